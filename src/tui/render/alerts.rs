//! The alert list, newest first: time, level written out and coloured, window, kind, message.
//! Acknowledged alerts stay in the list, dimmed and ticked, because they are still history.

use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{HighlightSpacing, List, ListItem, ListState, Paragraph};
use ratatui::Frame;

use super::pane;
use crate::tui::app::{AlertFilter, App, Focus};
use crate::tui::format;
use crate::tui::model::AlertEntry;
use crate::tui::sanitize::sanitize;

pub(super) fn render(frame: &mut Frame, area: Rect, app: &App) {
    let theme = app.theme;
    let focused = app.focus == Focus::Alerts;
    let visible = app.visible_alerts();
    let total = app.shown().alerts.len();
    let title = match app.filter {
        AlertFilter::All => format!(" Alerts: {total} · filter all "),
        f => format!(
            " Alerts: {} of {total} · filter {} ",
            visible.len(),
            f.label()
        ),
    };
    let block = pane(Line::from(title), focused, theme);
    if visible.is_empty() {
        let none = Paragraph::new(Line::styled("no alerts", theme.muted())).block(block);
        frame.render_widget(none, area);
        return;
    }
    let items: Vec<ListItem> = visible.iter().map(|e| item(e, app)).collect();
    let mut list = List::new(items)
        .block(block)
        .highlight_symbol(">")
        .highlight_spacing(HighlightSpacing::Always);
    if focused {
        list = list.highlight_style(theme.selected());
    }
    let mut state = ListState::default().with_selected(Some(app.selected_alert_index()));
    frame.render_stateful_widget(list, area, &mut state);
}

fn item<'a>(entry: &AlertEntry, app: &App) -> ListItem<'a> {
    let theme = app.theme;
    let alert = &entry.alert;
    let acked = app.is_acknowledged(&entry.key);
    let line = Line::from(vec![
        Span::raw(if acked { "✓" } else { " " }),
        Span::styled(format::time_of_day(alert.timestamp), theme.muted()),
        Span::raw(" "),
        Span::styled(
            format!("{:<8}", alert.level.as_str()),
            theme.level(alert.level),
        ),
        Span::raw(" "),
        Span::raw(sanitize(&alert.window).into_owned()),
        Span::raw(" "),
        Span::raw(alert.kind.as_str()),
        Span::raw(": "),
        Span::raw(sanitize(&alert.message).into_owned()),
    ]);
    let item = ListItem::new(line);
    if acked {
        item.style(theme.acknowledged())
    } else {
        item
    }
}

#[cfg(test)]
mod tests {
    use ratatui::style::{Color, Modifier};

    use crate::tui::fixtures::{self, key};
    use crate::tui::render::testing::{find, lines, screen, shows};
    use crossterm::event::KeyCode;

    #[test]
    fn levels_are_written_out_and_coloured() {
        let app = fixtures::app(3, false);
        let t = screen(&app, 120, 40);
        let buffer = t.backend().buffer();
        let c = find(buffer, "CRITICAL window_0003.csv").expect("critical alert");
        assert_eq!(buffer[(c.x, c.y)].fg, Color::Red);
        let w = find(buffer, "WARNING  window_0003.csv").expect("warning alert");
        assert_eq!(buffer[(w.x, w.y)].fg, Color::Yellow);
        let i = find(buffer, "INFO     window_0002.csv").expect("info alert");
        assert_eq!(buffer[(i.x, i.y)].fg, Color::Reset);
    }

    #[test]
    fn newest_alert_is_on_top() {
        let app = fixtures::app(3, false);
        let t = screen(&app, 120, 40);
        let rows = lines(t.backend().buffer());
        let first = rows
            .iter()
            .position(|r| r.contains("window_0003.csv data_drift"))
            .expect("newest");
        let older = rows
            .iter()
            .position(|r| r.contains("window_0001.csv data_drift"))
            .expect("oldest");
        assert!(first < older);
    }

    #[test]
    fn acknowledged_alerts_are_dimmed_and_ticked() {
        let mut app = fixtures::app(3, false);
        app.handle(key(KeyCode::Tab));
        app.handle(key(KeyCode::Char('a')));
        app.handle(key(KeyCode::BackTab));
        let t = screen(&app, 120, 40);
        let buffer = t.backend().buffer();
        let tick = find(buffer, "✓").expect("tick");
        assert!(buffer[(tick.x + 1, tick.y)]
            .modifier
            .contains(Modifier::DIM));
        assert!(!buffer[(tick.x + 1, tick.y + 1)]
            .modifier
            .contains(Modifier::DIM));
    }

    #[test]
    fn the_filter_is_named_in_the_title() {
        let mut app = fixtures::app(3, false);
        app.handle(key(KeyCode::Char('f')));
        let t = screen(&app, 80, 24);
        assert!(shows(
            t.backend().buffer(),
            "Alerts: 2 of 7 · filter CRITICAL"
        ));
        assert!(!shows(t.backend().buffer(), "WARNING  window"));
    }
}
