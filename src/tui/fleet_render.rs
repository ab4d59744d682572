//! Draws the fleet list: one row per model, worst first, with its verdict, firing incidents,
//! the reason (the worst firing problem), last window and a drifted-share sparkline on a fixed
//! 0–100 % scale (0 % is the bottom bar, so a calm model reads flat and two models' lines
//! compare). The reason never gives way to the window or the sparkline: at 80 columns it is
//! what says why a model is red. `?` lays the list's keys over it.

use ml_monitor::AlertLevel;
use ratatui::layout::{Constraint, Layout};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Cell, Paragraph, Row, Table, TableState};
use ratatui::Frame;

use super::fleet::{Fleet, FleetRow};
use super::format;
use super::sanitize::sanitize;

const BARS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];

pub(crate) fn draw(frame: &mut Frame, fleet: &Fleet) {
    let theme = fleet.theme;
    let area = frame.area();
    let [top, body, footer] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Min(0),
        Constraint::Length(1),
    ])
    .areas(area);
    let all = fleet.rows();
    let rows = fleet.shown_rows();

    let mut head = vec![
        Span::styled(fleet.title.clone(), theme.heading()),
        Span::raw(format!("  fleet of {} models ", all.len())),
    ];
    for level in [AlertLevel::Critical, AlertLevel::Warning, AlertLevel::Info] {
        let n = all.iter().filter(|r| r.verdict == Some(level)).count();
        if n > 0 {
            head.push(Span::raw(" "));
            head.push(Span::styled(
                format!("{} {n}", level.as_str()),
                theme.level(level),
            ));
        }
    }
    let ok = all.iter().filter(|r| r.verdict.is_none()).count();
    head.push(Span::raw(" "));
    head.push(Span::styled(format!("OK {ok}"), theme.good()));
    let zone = fleet
        .members
        .first()
        .map_or(crate::local_time::Zone::Local, |m| m.app.options.zone);
    let clock = crate::local_time::clock(fleet.now, zone);
    let clock_width = clock.chars().count() as u16 + 1;
    let [left, right] =
        Layout::horizontal([Constraint::Min(0), Constraint::Length(clock_width)]).areas(top);
    frame.render_widget(Paragraph::new(Line::from(head)), left);
    frame.render_widget(Line::from(clock).right_aligned(), right);

    let widths = Widths::of(&all, body.width);
    let mut headings = vec![
        String::new(),
        "MODEL".to_string(),
        "VERDICT".into(),
        "FIRING".into(),
        "REASON".into(),
    ];
    let mut constraints = vec![
        Constraint::Length(1),
        Constraint::Length(widths.name),
        Constraint::Length(VERDICT_W),
        Constraint::Length(FIRING_W),
        Constraint::Length(widths.reason),
    ];
    if widths.window > 0 {
        headings.push("LAST WINDOW".into());
        constraints.push(Constraint::Length(widths.window));
    }
    headings.extend(["AGE".to_string(), "DRIFT".into()]);
    constraints.extend([Constraint::Length(AGE_W), Constraint::Length(DRIFT_W)]);
    if widths.spark > 0 {
        headings.push(cut("DRIFTED SHARE 0–100%", widths.spark));
        constraints.push(Constraint::Length(widths.spark));
    }
    let header = Row::new(
        headings
            .into_iter()
            .map(|h| Cell::from(h).style(theme.heading())),
    );
    let table_rows: Vec<Row> = rows.iter().map(|r| fleet_row(r, &widths, theme)).collect();
    let shown = if rows.len() == all.len() {
        " models · worst first ".to_string()
    } else {
        format!(" models · {} of {} shown ", rows.len(), all.len())
    };
    let table = Table::new(table_rows, constraints)
        .header(header)
        .block(
            Block::new()
                .borders(Borders::ALL)
                .border_style(theme.border(true))
                .title(Line::styled(shown, theme.heading())),
        )
        .row_highlight_style(theme.selected())
        .highlight_symbol("> ");
    let mut state = TableState::default().with_selected(fleet.selected_row());
    frame.render_stateful_widget(table, body, &mut state);

    let width = usize::from(footer.width);
    let line = match (&fleet.search, &fleet.filter) {
        (Some(query), _) => {
            let keys = format!(
                "▏ {} of {} models · Enter keep · Esc drop",
                rows.len(),
                all.len()
            );
            let room = width.saturating_sub(keys.chars().count() + 1);
            Line::from(vec![
                Span::styled("/", theme.heading()),
                Span::raw(format::fit(&sanitize(query), room)),
                Span::styled(keys, theme.muted()),
            ])
        }
        (None, Some(filter)) => Line::styled(
            format::fit(
                &format!(
                    "filter \"{}\": {} of {} models · Esc shows all · / changes it",
                    sanitize(filter),
                    rows.len(),
                    all.len()
                ),
                width,
            ),
            theme.muted(),
        ),
        (None, None) => Line::styled(
            format::fit(
                "↑↓ select  Enter open  / filter  ? help  Esc back to this list  q quit",
                width,
            ),
            theme.muted(),
        ),
    };
    frame.render_widget(line, footer);
    if fleet.help {
        help(frame, area, fleet);
    }
}

/// The list's keys and what its marks mean, over the list.
fn help(frame: &mut Frame, area: ratatui::layout::Rect, fleet: &Fleet) {
    let theme = fleet.theme;
    let lines: Vec<Line> = HELP
        .iter()
        .map(|(key, what)| {
            Line::from(vec![
                Span::styled(format!("{key:<14}"), theme.heading()),
                Span::raw(*what),
            ])
        })
        .collect();
    let width = area.width.min(72);
    let height = area.height.min(lines.len() as u16 + 2);
    let popup = ratatui::layout::Rect {
        x: area.x + (area.width - width) / 2,
        y: area.y + (area.height - height) / 2,
        width,
        height,
    };
    frame.render_widget(ratatui::widgets::Clear, popup);
    frame.render_widget(
        Paragraph::new(lines).block(
            Block::new()
                .borders(Borders::ALL)
                .border_style(theme.border(true))
                .title(Line::styled(
                    " Fleet keys · ? or Esc closes ",
                    theme.heading(),
                )),
        ),
        popup,
    );
}

const HELP: &[(&str, &str)] = &[
    ("Down, j", "next model"),
    ("Up, k", "previous model"),
    ("g, G", "first, last model"),
    ("Enter", "the model's own screen (Esc: back to this list)"),
    ("/", "filter by name, verdict or reason as you type"),
    ("Esc", "drop the filter"),
    ("?", "show or hide this help"),
    ("q, Ctrl-c", "quit"),
    ("", ""),
    ("order", "worst verdict first, then most firing"),
    (
        "REASON",
        "the worst firing problem, as its verdict line says",
    ),
    (CHANGED, "changed since you last had the model open"),
];

/// The mark of a model whose state changed since the reader last looked.
pub(crate) const CHANGED: &str = "●";

const VERDICT_W: u16 = 8;
const FIRING_W: u16 = 6;
const AGE_W: u16 = 9;
const DRIFT_W: u16 = 6;
/// The reason column is never narrower than this (nor wider than its longest text) while the
/// window and the sparkline can give way.
const REASON_MIN: u16 = 22;

/// Column widths: the fixed ones, the name as long as it is (within bounds), then the reason;
/// the last window and the sparkline only in the room left after them.
struct Widths {
    name: u16,
    reason: u16,
    /// 0: not shown.
    window: u16,
    /// 0: not shown.
    spark: u16,
}

impl Widths {
    fn of(rows: &[FleetRow], width: u16) -> Widths {
        // Borders, the highlight symbol, the changed mark and the gaps of the six columns
        // always shown.
        let inner = width.saturating_sub(2 + 2);
        let fixed = 1 + VERDICT_W + FIRING_W + AGE_W + DRIFT_W + 5;
        let rest = inner.saturating_sub(fixed);
        let longest = |it: &mut dyn Iterator<Item = usize>| it.max().unwrap_or(0) as u16;
        let name = longest(&mut rows.iter().map(|r| sanitize(&r.name).chars().count()))
            .clamp(5, 32)
            .min(rest / 4);
        let mut left = rest.saturating_sub(name + 1);
        let wanted = longest(
            &mut rows
                .iter()
                .filter_map(|r| r.reason.as_ref())
                .map(|r| r.chars().count()),
        )
        .clamp(REASON_MIN, 60);
        let reason = wanted.min(left);
        left -= reason;
        let window = longest(
            &mut rows
                .iter()
                .filter_map(|r| r.last_window.as_deref())
                .map(|w| sanitize(w).chars().count()),
        )
        .clamp(13, 32);
        let window = if left > window {
            left -= window + 1;
            window
        } else {
            0
        };
        let spark = if left >= 9 {
            let spark = (left - 1).min(24);
            left -= spark + 1;
            spark
        } else {
            0
        };
        Widths {
            name,
            reason: reason + left,
            window,
            spark,
        }
    }
}

fn fleet_row(r: &FleetRow, widths: &Widths, theme: super::theme::Theme) -> Row<'static> {
    let verdict = match r.verdict {
        Some(level) => Cell::from(level.as_str()).style(theme.level(level)),
        None => Cell::from("OK").style(theme.good()),
    };
    let reason = match (&r.reason, &r.last_window) {
        (Some(reason), _) => Cell::from(cut(reason, widths.reason)),
        (None, None) => Cell::from(cut("no window yet", widths.reason)).style(theme.muted()),
        (None, Some(_)) => Cell::from(""),
    };
    let latest = r.drift_shares.iter().rev().find_map(|s| *s);
    let mut cells = vec![
        Cell::from(if r.changed { CHANGED } else { " " }).style(theme.alarm()),
        Cell::from(cut(&sanitize(&r.name), widths.name)),
        verdict,
        Cell::from(r.firing.to_string()),
        reason,
    ];
    if widths.window > 0 {
        cells.push(match &r.last_window {
            // The reason says `window error`.
            Some(w) if r.last_failed => {
                Cell::from(cut(&sanitize(w), widths.window)).style(theme.alarm())
            }
            Some(w) => Cell::from(cut(&sanitize(w), widths.window)),
            None => Cell::from(cut("-", widths.window)).style(theme.muted()),
        });
    }
    cells.push(Cell::from(r.age.clone().unwrap_or_default()));
    cells.push(Cell::from(format::percent(latest)));
    if widths.spark > 0 {
        cells.push(
            Cell::from(sparkline(&r.drift_shares, widths.spark as usize)).style(theme.trend()),
        );
    }
    Row::new(cells)
}

/// The newest `width` shares as bars on a fixed 0–1 scale; a window without a figure is `·`.
pub(crate) fn sparkline(shares: &[Option<f64>], width: usize) -> String {
    let start = shares.len().saturating_sub(width);
    shares[start..]
        .iter()
        .map(|s| match s {
            Some(v) if v.is_finite() => {
                let i = (v.clamp(0.0, 1.0) * (BARS.len() - 1) as f64).round() as usize;
                BARS[i.min(BARS.len() - 1)]
            }
            _ => '·',
        })
        .collect()
}

/// `text` in at most `width` characters, cut with `…`.
fn cut(text: &str, width: u16) -> String {
    let width = width as usize;
    if text.chars().count() <= width {
        return text.to_string();
    }
    let mut out: String = text.chars().take(width.saturating_sub(1)).collect();
    out.push('…');
    out
}
