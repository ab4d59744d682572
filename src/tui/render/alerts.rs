//! The alert pane. By default one row per incident, firing ones first (worst level first):
//! level written out and coloured, kind, feature or metric, since which window, for how many
//! windows, latest value vs threshold; resolved ones dimmed below. `l` switches to the raw log:
//! every window's alerts, newest first. Acknowledged rows stay, dimmed and ticked, because they
//! are still history.

use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, HighlightSpacing, List, ListItem, ListState, Paragraph};
use ratatui::Frame;

use super::pane;
use ml_monitor::monitoring::Incident;

use crate::tui::app::{AlertFilter, AlertView, App, Focus};
use crate::tui::format;
use crate::tui::model::AlertEntry;
use crate::tui::sanitize::sanitize;
use crate::tui::verdict;

pub(super) fn render(frame: &mut Frame, area: Rect, app: &App) {
    if app.alert_view == AlertView::Incidents {
        return render_incidents(frame, area, app);
    }
    let theme = app.theme;
    let focused = app.focus == Focus::Alerts;
    let visible = app.visible_alerts();
    let total = app.shown().alerts.len();
    let title = match app.filter {
        AlertFilter::All => format!(" Alerts: {total} · filter all{} ", new_marker(app)),
        f => format!(
            " Alerts: {} of {total} · filter {}{} ",
            visible.len(),
            f.label(),
            new_marker(app)
        ),
    };
    let block = pane(Line::from(title), focused, theme);
    if visible.is_empty() {
        let none = Paragraph::new(Line::styled("no alerts", theme.muted())).block(block);
        frame.render_widget(none, area);
        return;
    }
    let width = row_width(area);
    let selected = app.selected_alert_index();
    let items: Vec<ListItem> = visible
        .iter()
        .enumerate()
        .map(|(i, e)| item(e, app, width, focused && i == selected))
        .collect();
    render_list(frame, area, items, block, app, selected);
}

/// ` · ↑ 3 new` when rows arrived above the cursor since the reader scrolled away.
fn new_marker(app: &App) -> String {
    match app.new_above() {
        0 => String::new(),
        n => format!(" · ↑ {n} new"),
    }
}

/// Cells a row has inside the borders, after the selection marker.
fn row_width(area: Rect) -> usize {
    usize::from(area.width.saturating_sub(3))
}

fn render_incidents(frame: &mut Frame, area: Rect, app: &App) {
    let theme = app.theme;
    let focused = app.focus == Focus::Alerts;
    let visible = app.visible_incidents();
    let firing = app.shown().firing.len();
    let filter = match app.filter {
        AlertFilter::All => String::new(),
        f => format!(" · filter {}", f.label()),
    };
    let title = format!(
        " Incidents: {firing} firing{filter}{} · l: log ",
        new_marker(app)
    );
    let block = pane(Line::from(title), focused, theme);
    if visible.is_empty() {
        let none = Paragraph::new(Line::styled("no incidents", theme.muted())).block(block);
        frame.render_widget(none, area);
        return;
    }
    let width = row_width(area);
    let selected = app.selected_incident_index();
    let items: Vec<ListItem> = visible
        .iter()
        .enumerate()
        .map(|(i, inc)| incident_item(inc, app, width, focused && i == selected))
        .collect();
    render_list(frame, area, items, block, app, selected);
}

/// The pane's rows with the selection marked (highlighted only while the pane has focus).
fn render_list(
    frame: &mut Frame,
    area: Rect,
    items: Vec<ListItem>,
    block: Block,
    app: &App,
    selected: usize,
) {
    let mut list = List::new(items)
        .block(block)
        .highlight_symbol(">")
        .highlight_spacing(HighlightSpacing::Always);
    if app.focus == Focus::Alerts {
        list = list.highlight_style(app.theme.selected());
    }
    let mut state = ListState::default().with_selected(Some(selected));
    frame.render_stateful_widget(list, area, &mut state);
}

/// Spans laid out in `width` cells: cut with `…` on one line, or, for the selected row,
/// wrapped at spaces onto as many lines as it needs (at most [`MAX_WRAPPED`]), continuation
/// lines indented.
fn lay_out(spans: Vec<Span<'static>>, width: usize, wrap: bool) -> Vec<Line<'static>> {
    let width = width.max(1);
    let cells: Vec<(char, Style)> = spans
        .iter()
        .flat_map(|s| s.content.chars().map(move |c| (c, s.style)))
        .collect();
    let mut lines = Vec::new();
    let mut start = 0;
    while start < cells.len() {
        let indent = if lines.is_empty() { 0 } else { INDENT };
        let room = width.saturating_sub(indent).max(1);
        let last_line = !wrap || lines.len() + 1 == MAX_WRAPPED;
        let rest = cells.len() - start;
        let (end, next, cut) = if rest <= room {
            (cells.len(), cells.len(), false)
        } else if last_line {
            (start + room, cells.len(), true)
        } else {
            // Break after the last space that leaves at least half the line used.
            let window = &cells[start..start + room + 1];
            match window.iter().rposition(|(c, _)| *c == ' ') {
                Some(space) if space >= room / 2 => (start + space, start + space + 1, false),
                _ => (start + room, start + room, false),
            }
        };
        let mut piece: Vec<(char, Style)> = cells[start..end].to_vec();
        if cut {
            piece.pop();
            piece.push(('…', piece.last().map_or(Style::new(), |p| p.1)));
        }
        let mut line_spans = vec![Span::raw(" ".repeat(indent))];
        for (c, style) in piece {
            match line_spans.last_mut() {
                Some(last) if last.style == style && !last.content.is_empty() => {
                    let mut text = last.content.to_string();
                    text.push(c);
                    last.content = text.into();
                }
                _ => line_spans.push(Span::styled(c.to_string(), style)),
            }
        }
        lines.push(Line::from(line_spans));
        start = next;
    }
    lines
}

/// Continuation lines of a wrapped row start under the level.
const INDENT: usize = 2;

/// Wrapped rows stop here; the detail view (Enter) shows the rest.
const MAX_WRAPPED: usize = 4;

fn incident_item<'a>(incident: &Incident, app: &App, width: usize, wrap: bool) -> ListItem<'a> {
    let theme = app.theme;
    let acked = app.is_incident_acknowledged(incident.id);
    let firing = incident.is_firing();
    let figures = match (incident.value, incident.threshold) {
        (Some(_), Some(_)) => {
            let c = verdict::condition(incident);
            let subject = sanitize(incident.subject()).into_owned();
            format!(" {}", c.strip_prefix(&subject).unwrap_or(&c).trim_start())
        }
        (Some(v), None) => format!(" {}", format::number(Some(v))),
        _ => String::new(),
    };
    let first = sanitize(format::window_label(&incident.first_window)).into_owned();
    let span = if firing {
        format!(" since {first} ×{}", incident.windows)
    } else {
        format!(
            " {first}–{} ×{} resolved",
            sanitize(format::window_label(&incident.last_window)),
            incident.windows
        )
    };
    let mut spans = vec![
        Span::raw(if acked { "✓" } else { " " }),
        Span::styled(
            format!("{:<8}", incident.level.as_str()),
            if firing {
                theme.level(incident.level)
            } else {
                theme.muted()
            },
        ),
        Span::raw(" "),
        Span::raw(incident.kind.as_str()),
    ];
    let subject = incident.subject();
    if !subject.is_empty() && subject != incident.kind.as_str() {
        spans.push(Span::raw(" "));
        spans.push(Span::raw(sanitize(subject).into_owned()));
    }
    spans.push(Span::raw(span));
    spans.push(Span::raw(figures));
    if wrap {
        spans.push(Span::styled(
            format!(" · {}", sanitize(&incident.message)),
            theme.muted(),
        ));
    }
    let item = ListItem::new(lay_out(spans, width, wrap));
    if acked || !firing {
        item.style(theme.acknowledged())
    } else {
        item
    }
}

fn item<'a>(entry: &AlertEntry, app: &App, width: usize, wrap: bool) -> ListItem<'a> {
    let theme = app.theme;
    let alert = &entry.alert;
    let acked = app.is_acknowledged(&entry.key);
    let spans = vec![
        Span::raw(if acked { "✓" } else { " " }),
        Span::styled(format::hour_minute(alert.timestamp), theme.muted()),
        Span::raw(" "),
        Span::styled(
            format!("{:<8}", alert.level.as_str()),
            theme.level(alert.level),
        ),
        Span::raw(" "),
        Span::raw(sanitize(format::window_label(&alert.window)).into_owned()),
        Span::raw(" "),
        Span::raw(alert.kind.as_str()),
        Span::raw(": "),
        Span::raw(compact_message(alert)),
    ];
    let item = ListItem::new(lay_out(spans, width, wrap));
    if acked {
        item.style(theme.acknowledged())
    } else {
        item
    }
}

/// The message without the window's file name when the window column already says it.
fn compact_message(alert: &ml_monitor::Alert) -> String {
    let message = sanitize(&alert.message).into_owned();
    let window = sanitize(&alert.window).into_owned();
    if window.is_empty() {
        return message;
    }
    let cut = message
        .replace(&format!("{window}: "), "")
        .replace(&format!(" in {window}"), "")
        .replace(&window, "this window");
    cut
}

#[cfg(test)]
mod tests {
    use ratatui::style::{Color, Modifier};

    use crate::tui::fixtures::{self, key};
    use crate::tui::render::testing::{find, lines, screen, shows};
    use crossterm::event::KeyCode;

    #[test]
    fn levels_are_written_out_and_coloured() {
        let mut app = fixtures::app(3, false);
        app.handle(key(KeyCode::Char('l')));
        let t = screen(&app, 120, 40);
        let buffer = t.backend().buffer();
        let c = find(buffer, "CRITICAL window_0003").expect("critical alert");
        assert_eq!(buffer[(c.x, c.y)].fg, Color::Red);
        let w = find(buffer, "WARNING  window_0003").expect("warning alert");
        assert_eq!(buffer[(w.x, w.y)].fg, Color::Yellow);
        let i = find(buffer, "INFO     window_0002").expect("info alert");
        assert_eq!(buffer[(i.x, i.y)].fg, Color::Reset);
    }

    #[test]
    fn newest_alert_is_on_top() {
        let mut app = fixtures::app(3, false);
        app.handle(key(KeyCode::Char('l')));
        let t = screen(&app, 120, 40);
        let rows = lines(t.backend().buffer());
        let first = rows
            .iter()
            .position(|r| r.contains("window_0003 data_drift"))
            .expect("newest");
        let older = rows
            .iter()
            .position(|r| r.contains("window_0001 data_drift"))
            .expect("oldest");
        assert!(first < older);
    }

    #[test]
    fn acknowledged_alerts_are_dimmed_and_ticked() {
        let mut app = fixtures::app(3, false);
        app.handle(key(KeyCode::Char('l')));
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
        app.handle(key(KeyCode::Char('l')));
        app.handle(key(KeyCode::Char('f')));
        let t = screen(&app, 80, 24);
        assert!(shows(
            t.backend().buffer(),
            "Alerts: 6 of 7 · filter WARNING+"
        ));
        assert!(!shows(t.backend().buffer(), "INFO     window"));
    }

    #[test]
    fn incidents_list_each_condition_once_firing_first_resolved_dimmed() {
        // Windows 1..=5: drift in odd ones; the fixture's tracker resolves after two quiet
        // windows, so the drift conditions are ongoing and the INFO one of even windows too.
        let (mut app, mut tracker) = fixtures::app_and_tracker(5, false);
        let t = screen(&app, 120, 40);
        let buffer = t.backend().buffer();
        let rows = lines(buffer);
        assert!(shows(buffer, "Incidents: 4 firing"), "{rows:#?}");
        let c = find(
            buffer,
            "CRITICAL performance_degradation accuracy since window_0001 ×3 0.640 < 0.700",
        )
        .expect("the accuracy incident, once, with its figures");
        assert_eq!(buffer[(c.x, c.y)].fg, Color::Red);
        let w = find(buffer, "WARNING  data_drift income since window_0001 ×3")
            .expect("the drifted feature");
        assert_eq!(buffer[(w.x, w.y)].fg, Color::Yellow);
        assert!(c.y < w.y, "CRITICAL first");
        assert_eq!(
            rows.iter()
                .filter(|r| r.contains("data_drift income"))
                .count(),
            1,
            "one row per condition"
        );
        // A clean stretch resolves them: they move below, dimmed.
        for i in 6..9 {
            let mut result = fixtures::result(i, false);
            result.alerts.clear();
            fixtures::feed(&mut app, &mut tracker, result);
        }
        let t = screen(&app, 120, 40);
        let buffer = t.backend().buffer();
        assert!(shows(buffer, "Incidents: 0 firing"));
        let r = find(buffer, "data_drift income").expect("resolved incident stays listed");
        assert!(buffer[(r.x, r.y)].modifier.contains(Modifier::DIM));
    }

    #[test]
    fn acknowledging_applies_to_the_selected_incident() {
        let mut app = fixtures::app(3, false);
        app.handle(key(KeyCode::Tab));
        app.handle(key(KeyCode::Char('j')));
        let id = app.visible_incidents()[1].id;
        let outcome = app.handle(key(KeyCode::Char('a')));
        assert_eq!(
            outcome.command,
            Some(crate::app_event::UiCommand::AcknowledgeIncident { id })
        );
        assert!(app.is_incident_acknowledged(id));
        assert_eq!(app.handle(key(KeyCode::Char('a'))).command, None, "once");
        let t = screen(&app, 120, 40);
        let tick = find(t.backend().buffer(), "✓").expect("tick");
        assert!(t.backend().buffer()[(tick.x + 1, tick.y)]
            .modifier
            .contains(Modifier::DIM));
    }
}
