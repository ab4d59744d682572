//! The two status lines at the top — the verdict (worst firing incident and since when, or OK)
//! with the clock, then live or paused, how many, how recent, failing sinks, where, and the
//! firing incidents by level — and the footer: the `/` query while typed, a notice (`copied …`),
//! the watcher's trouble when it has some (which matters more than hints), or the key hints
//! that fit.

use ml_monitor::AlertLevel;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

use ratatui::style::Modifier;

use crate::tui::app::App;
use crate::tui::keys::{self, BINDINGS};
use crate::tui::sanitize::sanitize;
use crate::tui::{format, verdict};

pub(super) fn render(frame: &mut Frame, area: Rect, app: &App) {
    let theme = app.theme;
    let shown = app.shown();
    let (clock, age) = app.time_texts();
    let [top, bottom] = Layout::vertical([Constraint::Length(1); 2]).areas(area);

    // The verdict, with the clock at the right.
    let (level, text) = verdict::verdict(app);
    let clock_width = clock.chars().count() as u16 + 1;
    let [left, right] =
        Layout::horizontal([Constraint::Min(0), Constraint::Length(clock_width)]).areas(top);
    let style = match level {
        Some(level) => theme.level(level).add_modifier(Modifier::BOLD),
        None => theme.good().add_modifier(Modifier::BOLD),
    };
    // Narrow: the drifted share goes first, so the condition and its figures stay whole.
    let room = usize::from(left.width);
    let text = match text.rsplit_once(" · ") {
        Some((head, tail))
            if text.chars().count() > room
                && tail.ends_with("features drifted")
                && head.chars().count() <= room =>
        {
            head.to_string()
        }
        _ => format::fit(&text, room),
    };
    frame.render_widget(Paragraph::new(Line::styled(text, style)), left);
    frame.render_widget(Line::from(clock).right_aligned(), right);

    let mut state = match app.paused() {
        Some(new) => vec![Span::styled(format!(" PAUSED +{new} "), theme.paused())],
        None => vec![Span::styled("LIVE", theme.good())],
    };
    state.push(Span::raw(format!(" windows {}", shown.windows_seen)));
    match &shown.last {
        Some(last) => {
            state.push(Span::raw(" last "));
            state.push(Span::raw(sanitize(&last.name).into_owned()));
            if last.failed {
                state.push(Span::styled(" ERROR", theme.alarm()));
            }
            state.push(Span::raw(format!(" {}", age.unwrap_or_default())));
        }
        None => state.push(Span::styled(" no window yet", theme.muted())),
    }
    for sink in &shown.failing_sinks {
        state.push(Span::raw("  "));
        state.push(Span::styled(sanitize(sink).into_owned(), theme.alarm()));
    }
    // Firing incidents by level; levels with none are left out to keep the line short.
    let mut counts = vec![Span::styled(" firing", theme.muted())];
    for level in [AlertLevel::Critical, AlertLevel::Warning, AlertLevel::Info] {
        let n = shown.firing_at(level);
        if n > 0 {
            counts.push(Span::styled(
                format!(" {} {n}", level.as_str()),
                theme.level(level),
            ));
        }
    }
    if counts.len() == 1 {
        counts.push(Span::styled(" none", theme.muted()));
    }
    let counts = Line::from(counts).right_aligned();
    let [left, right] = Layout::horizontal([
        Constraint::Min(0),
        Constraint::Length(counts.width() as u16),
    ])
    .areas(bottom);
    // Where: the title, directory, reference and configuration file, in what room the state leaves (cut with `…`).
    let used = Line::from(state.clone()).width();
    let room = usize::from(left.width).saturating_sub(used + 2);
    let mut where_ = format!(
        "{} dir {} ref {}",
        app.options.title,
        sanitize(&app.options.directory),
        sanitize(&app.options.reference)
    );
    if let Some(config) = &app.options.config {
        where_.push_str(&format!(" cfg {}", sanitize(config)));
    }
    if room > 12 {
        state.push(Span::raw("  "));
        state.push(Span::styled(format::fit(&where_, room), theme.muted()));
    }
    frame.render_widget(Paragraph::new(Line::from(state)), left);
    frame.render_widget(counts, right);
}

pub(super) fn render_footer(frame: &mut Frame, area: Rect, app: &App) {
    let theme = app.theme;
    let width = usize::from(area.width);
    let line = if let Some(query) = &app.search {
        Line::from(vec![
            Span::styled("/", theme.heading()),
            Span::raw(format::fit(&sanitize(query), width.saturating_sub(30))),
            Span::styled("▏ Enter keep · Esc drop", theme.muted()),
        ])
    } else if let Some(notice) = &app.notice {
        Line::from(format::fit(notice, width))
    } else if let Some(message) = &app.watcher_trouble {
        let text = format::fit(&sanitize(message), width.saturating_sub(27));
        Line::from(vec![
            Span::styled("WATCHER TROUBLE ", theme.alarm()),
            Span::raw(text),
            Span::styled(" (retrying)", theme.muted()),
        ])
    } else {
        // Whole hints only: the ones that do not fit are left for `?`.
        let mut spans = Vec::new();
        let mut used = 0;
        for binding in BINDINGS {
            let (Some(hint), Some(key)) = (binding.hint, binding.keys.first()) else {
                continue;
            };
            let label = keys::label(*key);
            let gap = if spans.is_empty() { 0 } else { 2 };
            let needed = gap + label.chars().count() + 1 + hint.chars().count();
            if used + needed > width {
                break;
            }
            used += needed;
            if gap > 0 {
                spans.push(Span::raw("  "));
            }
            spans.push(Span::styled(label, theme.heading()));
            spans.push(Span::raw(format!(" {hint}")));
        }
        Line::from(spans)
    };
    frame.render_widget(Paragraph::new(line), area);
}

#[cfg(test)]
mod tests {
    use crate::app_event::AppEvent;
    use crate::tui::fixtures;
    use crate::tui::render::testing::{lines, screen, shows};

    #[test]
    fn status_says_where_how_many_how_recent_and_the_alert_counts() {
        let app = fixtures::app(3, false);
        let t = screen(&app, 150, 30);
        let top = lines(t.backend().buffer());
        assert!(
            top[0].starts_with("CRITICAL since window_0001"),
            "{}",
            top[0]
        );
        assert!(top[0].trim_end().ends_with("20:05 UTC"), "{}", top[0]);
        assert!(
            top[1].starts_with(
                "LIVE windows 3 last window_0003.csv 2m ago  \
                 ml-monitor dir /data/incoming ref /data/reference.csv"
            ),
            "{}",
            top[1]
        );
        assert!(
            top[1].trim_end().ends_with("firing CRITICAL 1 INFO 1"),
            "{}",
            top[1]
        );
    }

    #[test]
    fn paused_marker_counts_what_arrived_meanwhile() {
        let mut app = fixtures::app(3, false);
        app.handle(fixtures::key(crossterm::event::KeyCode::Char('p')));
        app.handle(AppEvent::Window(Box::new(fixtures::report(4, false))));
        let t = screen(&app, 80, 24);
        assert!(shows(t.backend().buffer(), "PAUSED +1"));
        assert!(shows(t.backend().buffer(), "windows 3"));
    }

    #[test]
    fn footer_lists_key_hints_or_the_watchers_trouble() {
        let mut app = fixtures::app(1, false);
        let t = screen(&app, 80, 24);
        let footer = lines(t.backend().buffer()).pop().unwrap_or_default();
        assert!(
            footer.starts_with("q quit  ? help  Tab focus  Enter open  / search  y copy"),
            "{footer}"
        );
        app.handle(AppEvent::WatcherTrouble(
            "cannot read /data/incoming\u{1b}[2J".into(),
        ));
        let t = screen(&app, 80, 24);
        let footer = lines(t.backend().buffer()).pop().unwrap_or_default();
        assert!(
            footer.starts_with("WATCHER TROUBLE cannot read /data/incoming (retrying)"),
            "{footer}"
        );
    }

    #[test]
    fn failing_sinks_are_named_on_the_status_line() {
        let mut app = fixtures::app(2, false);
        let mut report = fixtures::report(3, true);
        report.failing_sinks = vec!["alertmanager: retrying, 3 queued".into()];
        app.handle(AppEvent::Window(Box::new(report)));
        let t = screen(&app, 120, 30);
        let top = lines(t.backend().buffer());
        assert!(
            top[1].contains("alertmanager: retrying, 3 queued"),
            "{}",
            top[1]
        );
        // Between windows, the sender's status arrives on its own.
        app.handle(AppEvent::Sinks(vec!["webhook: 2 refused".into()]));
        let t = screen(&app, 120, 30);
        let top = lines(t.backend().buffer());
        assert!(top[1].contains("webhook: 2 refused"), "{}", top[1]);
        assert!(!top[1].contains("alertmanager"), "{}", top[1]);
    }
}
