//! Drawing: the screen layout, and one module per pane, each a function of `&App`.
//!
//! Nothing here changes state or reads the clock (times come from `App::now`), so a render is
//! a pure function of the state and can be snapshot-tested. Below 80x24 the layout would be
//! unreadable, so a message replaces it; every pane also copes with any area it is given, down
//! to zero, because ratatui hands out what is left after the borders.

mod alerts;
mod detail;
mod drift_table;
mod gauges;
mod help;
mod histogram;
mod status;
mod too_small;
mod trend_metrics;
mod trends;

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::Line;
use ratatui::widgets::{Block, Borders};
use ratatui::Frame;

use super::app::{App, View};
use super::theme::Theme;

#[cfg(test)]
pub(crate) use histogram::psi_part as histogram_psi_part;

/// The smallest terminal the full layout is drawn in.
pub(crate) const MIN_WIDTH: u16 = 80;
pub(crate) const MIN_HEIGHT: u16 = 24;

/// Draws the whole screen.
/// Text on screen that is a link: the event loop writes it again, wrapped in OSC 8, after the
/// frame is drawn (ratatui's cells cannot hold the escape sequence; terminals without OSC 8
/// print the same text).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Link {
    pub(crate) x: u16,
    pub(crate) y: u16,
    pub(crate) text: String,
    pub(crate) url: String,
}

/// Draws the screen; returns its links (the detail view's runbook).
pub(crate) fn draw(frame: &mut Frame, app: &App) -> Vec<Link> {
    let area = frame.area();
    if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
        too_small::render(frame, area, app);
        return Vec::new();
    }
    let [status_area, body, footer] = Layout::vertical([
        Constraint::Length(2),
        Constraint::Min(0),
        Constraint::Length(1),
    ])
    .areas(area);
    status::render(frame, status_area, app);
    status::render_footer(frame, footer, app);
    let mut links = Vec::new();
    match app.view {
        View::Main => main_view(frame, body, app),
        View::Histogram => histogram::render(frame, body, app),
        View::Detail => links.extend(detail::render(frame, body, app)),
    }
    if app.help {
        help::render(frame, area, app);
        links.clear();
    }
    links
}

/// Drift table and trends side by side above the alert list.
fn main_view(frame: &mut Frame, area: Rect, app: &App) {
    let alerts_height = (area.height * 2 / 5).max(7);
    let [middle, alert_area] =
        Layout::vertical([Constraint::Min(0), Constraint::Length(alerts_height)]).areas(area);
    let trends_width = (area.width / 3).clamp(28, 48);
    let [table, right] =
        Layout::horizontal([Constraint::Min(0), Constraint::Length(trends_width)]).areas(middle);
    drift_table::render(frame, table, app);
    trends::render(frame, right, app);
    alerts::render(frame, alert_area, app);
}

/// A bordered pane whose border shows whether it has the focus; without colour its title also
/// starts with `▶` (a bold border alone is easy to miss).
fn pane<'a>(mut title: Line<'a>, focused: bool, theme: Theme) -> Block<'a> {
    if focused && theme.marks() {
        title.spans.insert(0, ratatui::text::Span::raw(FOCUS_MARK));
    }
    Block::new()
        .borders(Borders::ALL)
        .border_style(theme.border(focused))
        .title(title.style(theme.heading()))
}

/// The focused pane's title mark without colour.
pub(crate) const FOCUS_MARK: &str = "▶";

#[cfg(test)]
pub(crate) mod testing {
    //! Helpers for asserting on rendered buffers.

    use ratatui::backend::TestBackend;
    use ratatui::buffer::Buffer;
    use ratatui::layout::Position;
    use ratatui::Terminal;

    use crate::tui::app::App;

    /// Renders the whole screen at a size.
    pub(crate) fn screen(app: &App, width: u16, height: u16) -> Terminal<TestBackend> {
        let mut terminal = Terminal::new(TestBackend::new(width, height)).expect("test terminal");
        terminal
            .draw(|f| {
                super::draw(f, app);
            })
            .expect("draw");
        terminal
    }

    /// The buffer's rows as strings, one cell per char.
    pub(crate) fn lines(buffer: &Buffer) -> Vec<String> {
        let area = buffer.area;
        (area.top()..area.bottom())
            .map(|y| {
                (area.left()..area.right())
                    .map(|x| buffer[(x, y)].symbol())
                    .collect()
            })
            .collect()
    }

    /// Where `text` starts on screen (cells, not bytes), searching rows top to bottom.
    pub(crate) fn find(buffer: &Buffer, text: &str) -> Option<Position> {
        let area = buffer.area;
        let wanted: Vec<char> = text.chars().collect();
        for y in area.top()..area.bottom() {
            let row: Vec<String> = (area.left()..area.right())
                .map(|x| buffer[(x, y)].symbol().to_string())
                .collect();
            for start in 0..row.len() {
                let matches = wanted.iter().enumerate().all(|(i, c)| {
                    row.get(start + i)
                        .is_some_and(|s| s.chars().eq(std::iter::once(*c)))
                });
                if matches {
                    return Some(Position::new(area.left() + start as u16, y));
                }
            }
        }
        None
    }

    /// Whether the screen shows `text` anywhere.
    pub(crate) fn shows(buffer: &Buffer, text: &str) -> bool {
        find(buffer, text).is_some()
    }
}
