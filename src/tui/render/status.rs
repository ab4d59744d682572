//! The two status lines at the top — the verdict (worst firing incident and since when, or OK)
//! with the clock, then live or paused, how many, how recent, failing sinks, where, and the
//! firing incidents by level — and the footer: the `/` query while typed, a notice (`copied …`),
//! the watcher's trouble when it has some (which matters more than hints), or the key hints
//! that fit.
//!
//! Viewing a past window, the line starts `viewing window_0005 · 10 behind live · End: live`
//! instead of `LIVE`: a screen of the past must never pass for the present. Failing sinks are
//! the ones failing now, whatever window is shown.
//!
//! Narrow terminals cut by priority, not by position: the verdict's condition and a failing
//! sink are what an on-call engineer must see (a pager that silently fails reads as one that
//! works), so the clock, the counts and the rest give way first, and every cut ends in `…`.

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
    let [top, bottom] = Layout::vertical([Constraint::Length(1); 2]).areas(area);
    render_verdict(frame, top, app);
    render_state(frame, bottom, app);
}

/// The verdict, with the clock at the right while both fit. Narrow, the verdict gives up, in
/// turn, the drifted share, the clock (the least of it), the time and window count, `since`;
/// only then is the condition cut, with `…`.
fn render_verdict(frame: &mut Frame, area: Rect, app: &App) {
    let theme = app.theme;
    let (clock, _) = app.time_texts();
    let (level, variants) = verdict::verdict_variants(app);
    let style = match level {
        Some(level) => theme.level(level).add_modifier(Modifier::BOLD),
        None => theme.good().add_modifier(Modifier::BOLD),
    };
    let width = usize::from(area.width);
    let clock_width = clock.chars().count() + 1;
    let fits = |text: &String, room: usize| text.chars().count() <= room;
    let with_clock = variants
        .iter()
        .take(2)
        .find(|v| fits(v, width.saturating_sub(clock_width)));
    if let Some(text) = with_clock {
        let [left, right] =
            Layout::horizontal([Constraint::Min(0), Constraint::Length(clock_width as u16)])
                .areas(area);
        frame.render_widget(Paragraph::new(Line::styled(text.clone(), style)), left);
        frame.render_widget(Line::from(clock).right_aligned(), right);
        return;
    }
    let (_, text) = verdict::verdict_fitted(app, width);
    frame.render_widget(Paragraph::new(Line::styled(text, style)), area);
}

/// Live or paused, failing sinks, the firing counts, then how many windows and how recent, then
/// where — in that order of priority: a failing sink is never cut while the line can hold it
/// (the counts give way first), and whatever is cut ends in `…`.
fn render_state(frame: &mut Frame, area: Rect, app: &App) {
    let theme = app.theme;
    let shown = app.shown();
    let (_, age) = app.time_texts();
    let width = usize::from(area.width);

    let core = match (app.past(), app.paused()) {
        (Some(past), _) => vec![Span::styled(
            format!(
                "viewing {} · {} behind live · End: live",
                sanitize(format::window_label(&past.window)),
                past.behind
            ),
            theme.paused(),
        )],
        (None, Some(new)) => vec![Span::styled(format!(" PAUSED +{new} "), theme.paused())],
        (None, None) => vec![Span::styled("LIVE", theme.good())],
    };
    let mut detail = vec![Span::raw(format!(" windows {}", shown.windows_seen))];
    match &shown.last {
        // The window is named already: how long ago it was is what is left to say.
        Some(last) if app.past().is_some() => {
            detail = vec![Span::raw(format!(" · {}", age.unwrap_or_default()))];
            if last.failed {
                detail.push(Span::styled(" ERROR", theme.alarm()));
            }
        }
        Some(last) => {
            detail.push(Span::raw(" last "));
            detail.push(Span::raw(sanitize(&last.name).into_owned()));
            if last.failed {
                detail.push(Span::styled(" ERROR", theme.alarm()));
            }
            detail.push(Span::raw(format!(" {}", age.unwrap_or_default())));
        }
        None => detail.push(Span::styled(" no window yet", theme.muted())),
    }
    let mut sinks = Vec::new();
    for sink in app.failing_sinks() {
        sinks.push(Span::raw("  "));
        sinks.push(Span::styled(sanitize(sink).into_owned(), theme.alarm()));
    }
    // Firing incidents by level; levels with none are left out to keep the line short.
    let mut levels = Vec::new();
    for level in [AlertLevel::Critical, AlertLevel::Warning, AlertLevel::Info] {
        let (n, acked) = app.firing_counts(level);
        if n > 0 {
            levels.push(Span::styled(
                format!(" {} {n}", level.as_str()),
                theme.level(level),
            ));
            if acked > 0 {
                levels.push(Span::styled(format!(" ({acked} acked)"), theme.muted()));
            }
        }
    }
    if levels.is_empty() {
        levels.push(Span::styled(" none", theme.muted()));
    }
    // A leading blank: the counts never touch what is left of them.
    let mut counts = vec![Span::raw(" "), Span::styled(" firing", theme.muted())];
    counts.extend(levels.iter().cloned());
    levels.insert(0, Span::raw(" "));

    let core_width = spans_width(&core);
    let sinks_width = spans_width(&sinks);
    let counts = [counts, levels, Vec::new()]
        .into_iter()
        .find(|c| core_width + sinks_width + spans_width(c) <= width)
        .unwrap_or_default();
    let counts_width = spans_width(&counts);
    let sinks = fit_spans(sinks, width.saturating_sub(core_width + counts_width));
    let room = width.saturating_sub(core_width + spans_width(&sinks) + counts_width);
    let detail = fit_spans(detail, room);
    let room = room.saturating_sub(spans_width(&detail) + 2);
    // Where: the title, directory, reference and configuration file, in what room is left.
    let mut where_ = format!(
        "{} dir {} ref {}",
        app.options.title,
        sanitize(&app.options.directory),
        sanitize(&app.options.reference)
    );
    if let Some(config) = &app.options.config {
        where_.push_str(&format!(" cfg {}", sanitize(config)));
    }
    let mut line = core;
    line.extend(detail);
    line.extend(sinks);
    if room > 12 {
        line.push(Span::raw("  "));
        line.push(Span::styled(format::fit(&where_, room), theme.muted()));
    }
    let [left, right] =
        Layout::horizontal([Constraint::Min(0), Constraint::Length(counts_width as u16)])
            .areas(area);
    frame.render_widget(Paragraph::new(Line::from(line)), left);
    frame.render_widget(Line::from(counts).right_aligned(), right);
}

fn spans_width(spans: &[Span]) -> usize {
    spans.iter().map(|s| s.content.chars().count()).sum()
}

/// The spans cut to `width` cells, the last one ending in `…` when anything was cut.
fn fit_spans(spans: Vec<Span<'static>>, width: usize) -> Vec<Span<'static>> {
    if spans_width(&spans) <= width {
        return spans;
    }
    let mut out = Vec::new();
    let mut left = width.saturating_sub(1);
    let mut last_style = Default::default();
    for span in spans {
        if left == 0 {
            break;
        }
        let n = span.content.chars().count();
        last_style = span.style;
        if n <= left {
            left -= n;
            out.push(span);
        } else {
            let cut: String = span.content.chars().take(left).collect();
            out.push(Span::styled(cut, span.style));
            left = 0;
        }
    }
    if width > 0 {
        out.push(Span::styled("…", last_style));
    }
    out
}

pub(super) fn render_footer(frame: &mut Frame, area: Rect, app: &App) {
    let theme = app.theme;
    let width = usize::from(area.width);
    let line = if let Some(query) = &app.search {
        let found = app.matches(query).len();
        let count = match (query.is_empty(), found) {
            (true, _) => String::new(),
            (false, 0) => " no match ·".to_string(),
            (false, 1) => " 1 match ·".to_string(),
            (false, n) => format!(" {n} matches ·"),
        };
        let keys = "▏".to_string() + &count + " Enter keep (then n/N) · Esc drop";
        let room = width.saturating_sub(keys.chars().count() + 1);
        Line::from(vec![
            Span::styled("/", theme.heading()),
            Span::raw(format::fit(&sanitize(query), room)),
            Span::styled(keys, theme.muted()),
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
        // Whole hints only: the ones that do not fit are left for `?`, and a `…` says so.
        let hints: Vec<(String, &str)> = BINDINGS
            .iter()
            .filter_map(|b| Some((keys::label(*b.keys.first()?), b.hint?)))
            .collect();
        let needed =
            |(label, hint): &(String, &str)| label.chars().count() + 1 + hint.chars().count();
        let all: usize = hints
            .iter()
            .map(|h| needed(h) + 2)
            .sum::<usize>()
            .saturating_sub(2);
        let room = if all <= width {
            width
        } else {
            width.saturating_sub(3)
        };
        let mut spans = Vec::new();
        let mut used = 0;
        for hint in &hints {
            let gap = if spans.is_empty() { 0 } else { 2 };
            if used + gap + needed(hint) > room {
                break;
            }
            used += gap + needed(hint);
            if gap > 0 {
                spans.push(Span::raw("  "));
            }
            spans.push(Span::styled(hint.0.clone(), theme.heading()));
            spans.push(Span::raw(format!(" {}", hint.1)));
        }
        if all > width {
            spans.push(Span::styled(
                if spans.is_empty() { "…" } else { "  …" },
                theme.muted(),
            ));
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
