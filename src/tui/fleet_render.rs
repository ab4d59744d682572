//! Draws the fleet list: one row per model with its verdict, firing incidents, last window and
//! a drifted-share sparkline on a fixed 0–100 % scale (0 % is the bottom bar, so a calm model
//! reads flat and two models' lines compare).

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
    let rows = fleet.rows();

    let mut head = vec![
        Span::styled(fleet.title.clone(), theme.heading()),
        Span::raw(format!("  fleet of {} models ", rows.len())),
    ];
    for level in [AlertLevel::Critical, AlertLevel::Warning, AlertLevel::Info] {
        let n = rows.iter().filter(|r| r.verdict == Some(level)).count();
        if n > 0 {
            head.push(Span::raw(" "));
            head.push(Span::styled(
                format!("{} {n}", level.as_str()),
                theme.level(level),
            ));
        }
    }
    let ok = rows.iter().filter(|r| r.verdict.is_none()).count();
    head.push(Span::raw(" "));
    head.push(Span::styled(format!("OK {ok}"), theme.good()));
    let clock = format::clock(fleet.now);
    let clock_width = clock.chars().count() as u16 + 1;
    let [left, right] =
        Layout::horizontal([Constraint::Min(0), Constraint::Length(clock_width)]).areas(top);
    frame.render_widget(Paragraph::new(Line::from(head)), left);
    frame.render_widget(Line::from(clock).right_aligned(), right);

    let widths = Widths::of(&rows, body.width);
    let header = Row::new(
        [
            "MODEL".to_string(),
            "VERDICT".into(),
            "FIRING".into(),
            "LAST WINDOW".into(),
            "AGE".into(),
            "DRIFT".into(),
            cut("DRIFTED SHARE 0–100%", widths.spark),
        ]
        .map(|h| Cell::from(h).style(theme.heading())),
    );
    let table_rows: Vec<Row> = rows.iter().map(|r| fleet_row(r, &widths, theme)).collect();
    let table = Table::new(
        table_rows,
        [
            Constraint::Length(widths.name),
            Constraint::Length(VERDICT_W),
            Constraint::Length(FIRING_W),
            Constraint::Length(widths.window),
            Constraint::Length(AGE_W),
            Constraint::Length(DRIFT_W),
            Constraint::Length(widths.spark),
        ],
    )
    .header(header)
    .block(
        Block::new()
            .borders(Borders::ALL)
            .border_style(theme.border(true))
            .title(Line::styled(" models ", theme.heading())),
    )
    .row_highlight_style(theme.selected())
    .highlight_symbol("> ");
    let mut state = TableState::default().with_selected(Some(fleet.selected));
    frame.render_stateful_widget(table, body, &mut state);

    frame.render_widget(
        Line::styled(
            "↑↓ select  Enter open the model  Esc back to this list  q quit",
            theme.muted(),
        ),
        footer,
    );
}

const VERDICT_W: u16 = 8;
const FIRING_W: u16 = 6;
const AGE_W: u16 = 9;
const DRIFT_W: u16 = 6;

/// Column widths: the fixed ones, then the name and the window as long as they are (within
/// bounds), and the sparkline takes the rest (at least a quarter of it).
struct Widths {
    name: u16,
    window: u16,
    spark: u16,
}

impl Widths {
    fn of(rows: &[FleetRow], width: u16) -> Widths {
        // Borders, the highlight symbol and six column gaps.
        let inner = width.saturating_sub(2 + 2 + 6);
        let rest = inner.saturating_sub(VERDICT_W + FIRING_W + AGE_W + DRIFT_W);
        let longest = |it: &mut dyn Iterator<Item = usize>| it.max().unwrap_or(0) as u16;
        let name =
            longest(&mut rows.iter().map(|r| sanitize(&r.name).chars().count())).clamp(5, 32);
        let window = longest(
            &mut rows
                .iter()
                .filter_map(|r| r.last_window.as_deref())
                .map(|w| sanitize(w).chars().count()),
        )
        .clamp(13, 32);
        let spark = (rest / 4).max(8);
        let left = rest.saturating_sub(spark);
        let window = window.min(left / 2);
        let name = name.min(left.saturating_sub(window));
        Widths {
            name,
            window,
            spark: rest.saturating_sub(name + window),
        }
    }
}

fn fleet_row(r: &FleetRow, widths: &Widths, theme: super::theme::Theme) -> Row<'static> {
    let (name_w, window_w, spark_w) = (widths.name, widths.window, widths.spark);
    let verdict = match r.verdict {
        Some(level) => Cell::from(level.as_str()).style(theme.level(level)),
        None => Cell::from("OK").style(theme.good()),
    };
    let window = match &r.last_window {
        Some(w) if r.last_failed => {
            Cell::from(cut(&format!("{} ERROR", sanitize(w)), window_w)).style(theme.alarm())
        }
        Some(w) => Cell::from(cut(&sanitize(w), window_w)),
        None => Cell::from(cut("no window yet", window_w)).style(theme.muted()),
    };
    let latest = r.drift_shares.iter().rev().find_map(|s| *s);
    Row::new(vec![
        Cell::from(cut(&sanitize(&r.name), name_w)),
        verdict,
        Cell::from(r.firing.to_string()),
        window,
        Cell::from(r.age.clone().unwrap_or_default()),
        Cell::from(format::percent(latest)),
        Cell::from(sparkline(&r.drift_shares, spark_w as usize)).style(theme.trend()),
    ])
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
