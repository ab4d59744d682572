//! The alert pane. By default one row per problem, firing ones first (worst level first):
//! level written out and coloured, kind, feature or metric, since which window, for how many
//! windows, latest value vs threshold, and the other members folded after it (`+2: income,
//! accuracy`; one line each when the row is selected); resolved ones dimmed below. `l` switches to the raw log:
//! every window's alerts, newest first. Acknowledged rows stay, dimmed and ticked, because they
//! are still history; silenced problems stay too, dimmed, with `silenced until 06:00 by alice`
//! (a silence holds back pages, not what is shown). Rows that do not fit are counted on the
//! bottom border (`+4 more ↓`, `↑ 2 above`): the title's "10 firing" over six rows must not
//! read as six.

use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, HighlightSpacing, List, ListItem, ListState, Paragraph};
use ratatui::Frame;

use super::pane;
use ml_monitor::monitoring::{Incident, Member};

use crate::local_time;
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
    let heights: Vec<usize> = items.iter().map(ListItem::height).collect();
    let mut list = List::new(items)
        .block(block)
        .highlight_symbol(">")
        .highlight_spacing(HighlightSpacing::Always);
    if app.focus == Focus::Alerts {
        list = list.highlight_style(app.theme.selected());
    }
    let mut state = ListState::default().with_selected(Some(selected));
    frame.render_stateful_widget(list, area, &mut state);
    let inner = usize::from(area.height.saturating_sub(2));
    let hidden = hidden_rows(&heights, state.offset(), inner);
    if let Some(note) = hidden_note(hidden) {
        // On the bottom border, so no row gives its place to it.
        let width = (note.chars().count() as u16).min(area.width.saturating_sub(4));
        let at = Rect {
            x: area.x.saturating_add(2),
            y: area.bottom().saturating_sub(1),
            width,
            height: u16::from(area.height >= 2),
        };
        let note = format::fit(&note, usize::from(width));
        frame.render_widget(Line::styled(note, app.theme.heading()), at);
    }
}

/// Rows above and below the visible ones, for items of these heights shown from `offset` in
/// `room` lines (as ratatui's `List` lays them out: whole items only).
fn hidden_rows(heights: &[usize], offset: usize, room: usize) -> (usize, usize) {
    let offset = offset.min(heights.len());
    let mut used = 0;
    let visible = heights[offset..]
        .iter()
        .take_while(|h| {
            used += **h;
            used <= room
        })
        .count();
    (offset, heights.len() - offset - visible)
}

/// ` ↑ 2 above · +4 more ↓ `, or nothing when every row shows.
fn hidden_note((above, below): (usize, usize)) -> Option<String> {
    let mut parts = Vec::new();
    if above > 0 {
        parts.push(format!("↑ {above} above"));
    }
    if below > 0 {
        parts.push(format!("+{below} more ↓"));
    }
    (!parts.is_empty()).then(|| format!(" {} ", parts.join(" · ")))
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
    // The row leads with the worst firing member; the others are folded after it.
    let lead = verdict::worst_member(incident);
    let (kind, subject, value, threshold, condition) = match lead {
        Some(m) => (
            m.kind,
            m.subject(),
            m.value,
            m.threshold
                .or_else(|| verdict::own_threshold(m.metric.as_deref(), &app.options)),
            verdict::member_condition(m, &app.options),
        ),
        None => (
            incident.kind,
            incident.subject(),
            incident.value,
            incident
                .threshold
                .or_else(|| verdict::own_threshold(incident.metric.as_deref(), &app.options)),
            verdict::condition(incident, &app.options),
        ),
    };
    let figures = match (value, threshold) {
        (Some(_), Some(_)) => {
            let clean_subject = sanitize(subject).into_owned();
            format!(
                " {}",
                condition
                    .strip_prefix(&clean_subject)
                    .unwrap_or(&condition)
                    .trim_start_matches(':')
                    .trim_start()
            )
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
        Span::raw(kind.as_str()),
    ];
    if !subject.is_empty() && subject != kind.as_str() {
        spans.push(Span::raw(" "));
        spans.push(Span::raw(sanitize(subject).into_owned()));
    }
    spans.push(Span::raw(span));
    spans.push(Span::raw(figures));
    let others: Vec<&Member> = incident
        .members
        .iter()
        .filter(|m| !lead.is_some_and(|l| std::ptr::eq(*m, l)))
        .collect();
    if !wrap && !others.is_empty() {
        let names: Vec<String> = others.iter().map(|m| member_name(m)).collect();
        spans.push(Span::styled(
            format!(" +{}: {}", others.len(), names.join(", ")),
            theme.muted(),
        ));
    }
    if let Some(note) = incident.reopened_note() {
        spans.push(Span::styled(format!(" · {note}"), theme.muted()));
    }
    if let Some(note) = incident.resolved_note() {
        spans.push(Span::styled(format!(" · {note}"), theme.muted()));
    }
    let silenced = app.silence_of(incident);
    if let Some(s) = silenced {
        spans.push(Span::styled(
            format!(" · {}", silenced_note(s, app)),
            theme.muted(),
        ));
    }
    if wrap {
        spans.push(Span::styled(
            format!(" · {}", sanitize(&incident.message)),
            theme.muted(),
        ));
    }
    let mut lines = lay_out(spans, width, wrap);
    if wrap {
        for m in others.iter().take(MAX_MEMBER_LINES) {
            let state = if m.is_firing() { "" } else { " (resolved)" };
            let spans = vec![
                Span::raw("  + "),
                Span::styled(
                    format!("{:<8}", m.level.as_str()),
                    if firing && m.is_firing() {
                        theme.level(m.level)
                    } else {
                        theme.muted()
                    },
                ),
                Span::raw(format!(
                    " {} {}{state}",
                    m.kind.as_str(),
                    verdict::member_condition(m, &app.options)
                )),
            ];
            lines.extend(lay_out(spans, width, false));
        }
        if others.len() > MAX_MEMBER_LINES {
            lines.push(Line::styled(
                format!("  + {} more (Enter)", others.len() - MAX_MEMBER_LINES),
                theme.muted(),
            ));
        }
    }
    let item = ListItem::new(lines);
    if acked || !firing || silenced.is_some() {
        item.style(theme.acknowledged())
    } else {
        item
    }
}

/// `silenced until 06:00 by alice`: what holds a problem's pages back.
pub(super) fn silenced_note(silence: &crate::silences::Silence, app: &App) -> String {
    format!(
        "silenced until {} by {}",
        app.time(silence.ends_at),
        sanitize(&silence.created_by)
    )
}

/// A folded member: `data_quality income`, or the kind alone.
fn member_name(m: &Member) -> String {
    let subject = sanitize(m.subject()).into_owned();
    if subject.is_empty() || subject == m.kind.as_str() {
        m.kind.as_str().to_string()
    } else if m.kind == ml_monitor::AlertKind::DataDrift {
        subject
    } else {
        format!("{} {subject}", m.kind.as_str())
    }
}

/// Members listed under a selected problem; the detail view (Enter) has them all.
const MAX_MEMBER_LINES: usize = 6;

fn item<'a>(entry: &AlertEntry, app: &App, width: usize, wrap: bool) -> ListItem<'a> {
    let theme = app.theme;
    let alert = &entry.alert;
    let acked = app.is_acknowledged(&entry.key);
    let spans = vec![
        Span::raw(if acked { "✓" } else { " " }),
        Span::styled(
            local_time::compact(alert.timestamp, app.now, app.options.zone),
            theme.muted(),
        ),
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
    fn problems_list_their_members_once_firing_first_resolved_dimmed() {
        // Windows 1..=5: drift in odd ones; the fixture's tracker resolves after two quiet
        // windows. What starts in window 1 (accuracy, the prediction shift, drifted income)
        // is one problem; the INFO condition of window 2 another.
        let (mut app, mut tracker) = fixtures::app_and_tracker(5, false);
        let t = screen(&app, 120, 40);
        let buffer = t.backend().buffer();
        let rows = lines(buffer);
        assert!(shows(buffer, "Incidents: 2 firing"), "{rows:#?}");
        let c = find(
            buffer,
            "CRITICAL performance_degradation accuracy since window_0001 ×3 0.640 < 0.700 +",
        )
        .expect("the problem, named by its worst member, with its figures");
        assert_eq!(buffer[(c.x, c.y)].fg, Color::Red);
        assert!(rows[c.y as usize].contains("income"), "{rows:#?}");
        assert_eq!(
            rows.iter().filter(|r| r.contains("income")).count(),
            2,
            "once in the alert pane (and once in the drift table): {rows:#?}"
        );
        let i = find(buffer, "INFO     data_drift since window_0002").expect("the INFO one");
        assert!(c.y < i.y, "CRITICAL first");
        // Selected, the problem lists its members one per line.
        app.handle(key(KeyCode::Tab));
        let t = screen(&app, 120, 40);
        let buffer = t.backend().buffer();
        let m = find(buffer, "  + WARNING  data_drift income").expect("a member line");
        assert_eq!(buffer[(m.x + 4, m.y)].fg, Color::Yellow);
        // A clean stretch resolves them: they move below, dimmed.
        for i in 6..9 {
            let mut result = fixtures::result(i, false);
            result.alerts.clear();
            fixtures::feed(&mut app, &mut tracker, result);
        }
        let t = screen(&app, 120, 40);
        let buffer = t.backend().buffer();
        assert!(shows(buffer, "Incidents: 0 firing"));
        let r = find(buffer, "performance_degradation accuracy")
            .expect("resolved problem stays listed");
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
            Some(crate::app_event::UiCommand::AcknowledgeIncident {
                id,
                acknowledged: true
            })
        );
        assert!(app.is_incident_acknowledged(id));
        let t = screen(&app, 120, 40);
        let tick = find(t.backend().buffer(), "✓").expect("tick");
        assert!(t.backend().buffer()[(tick.x + 1, tick.y)]
            .modifier
            .contains(Modifier::DIM));
        assert_eq!(
            app.handle(key(KeyCode::Char('a'))).command,
            Some(crate::app_event::UiCommand::AcknowledgeIncident {
                id,
                acknowledged: false
            }),
            "a second a takes it back"
        );
        assert!(!app.is_incident_acknowledged(id));
    }
}
