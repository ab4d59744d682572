//! What a terminal smaller than 80x24 gets instead of a layout squeezed into nonsense.

use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::widgets::{Paragraph, Wrap};
use ratatui::Frame;

use super::{MIN_HEIGHT, MIN_WIDTH};
use crate::tui::app::App;

pub(super) fn render(frame: &mut Frame, area: Rect, app: &App) {
    let text = vec![
        Line::styled("Terminal too small", app.theme.alarm()),
        Line::from(format!(
            "{}x{}, ml-monitor needs {MIN_WIDTH}x{MIN_HEIGHT}. Enlarge it, or press q to quit.",
            area.width, area.height
        )),
    ];
    let top = area.height.saturating_sub(2) / 2;
    let message = Rect {
        y: area.y + top,
        height: area.height - top,
        ..area
    };
    frame.render_widget(
        Paragraph::new(text).centered().wrap(Wrap { trim: true }),
        message,
    );
}
