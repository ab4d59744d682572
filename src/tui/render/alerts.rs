//! The alert pane. By default one row per incident, firing ones first (worst level first):
//! level written out and coloured, kind, feature or metric, since which window, for how many
//! windows, latest value vs threshold; resolved ones dimmed below. `l` switches to the raw log:
//! every window's alerts, newest first. Acknowledged rows stay, dimmed and ticked, because they
//! are still history.

use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, HighlightSpacing, List, ListItem, ListState, Paragraph};
use ratatui::Frame;

use super::pane;
use ml_monitor::monitoring::Incident;

use crate::tui::app::{AlertFilter, AlertView, App, Focus};
use crate::tui::format;
use crate::tui::model::AlertEntry;
use crate::tui::sanitize::sanitize;

pub(super) fn render(frame: &mut Frame, area: Rect, app: &App) {
    if app.alert_view == AlertView::Incidents {
        return render_incidents(frame, area, app);
    }
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
    render_list(frame, area, items, block, app, app.selected_alert_index());
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
    let title = format!(" Incidents: {firing} firing{filter} · l: log ");
    let block = pane(Line::from(title), focused, theme);
    if visible.is_empty() {
        let none = Paragraph::new(Line::styled("no incidents", theme.muted())).block(block);
        frame.render_widget(none, area);
        return;
    }
    let items: Vec<ListItem> = visible.iter().map(|i| incident_item(i, app)).collect();
    render_list(
        frame,
        area,
        items,
        block,
        app,
        app.selected_incident_index(),
    );
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

fn incident_item<'a>(incident: &Incident, app: &App) -> ListItem<'a> {
    let theme = app.theme;
    let acked = app.is_incident_acknowledged(incident.id);
    let firing = incident.is_firing();
    let figures = match (incident.value, incident.threshold) {
        (Some(v), Some(t)) => format!(
            " {} vs {}",
            format::number(Some(v)),
            format::number(Some(t))
        ),
        (Some(v), None) => format!(" {}", format::number(Some(v))),
        _ => String::new(),
    };
    let span = if firing {
        format!(
            " since {} ×{}",
            sanitize(&incident.first_window),
            incident.windows
        )
    } else {
        format!(
            " {}–{} ×{} resolved",
            sanitize(&incident.first_window),
            sanitize(&incident.last_window),
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
    let line = Line::from(spans);
    let item = ListItem::new(line);
    if acked || !firing {
        item.style(theme.acknowledged())
    } else {
        item
    }
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
        let mut app = fixtures::app(3, false);
        app.handle(key(KeyCode::Char('l')));
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
        let mut app = fixtures::app(3, false);
        app.handle(key(KeyCode::Char('l')));
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
            "Alerts: 2 of 7 · filter CRITICAL"
        ));
        assert!(!shows(t.backend().buffer(), "WARNING  window"));
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
            "CRITICAL performance_degradation accuracy since window_0001.csv ×3 0.640 vs 0.700",
        )
        .expect("the accuracy incident, once, with its figures");
        assert_eq!(buffer[(c.x, c.y)].fg, Color::Red);
        let w = find(
            buffer,
            "WARNING  data_drift income since window_0001.csv ×3",
        )
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
