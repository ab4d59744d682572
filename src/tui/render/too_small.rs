//! What a terminal smaller than 80x24 gets instead of a layout squeezed into nonsense: the
//! one-line verdict at the top (what matters most survives any size), then how big it must be.

use ratatui::layout::Rect;
use ratatui::style::Modifier;
use ratatui::text::Line;
use ratatui::widgets::{Paragraph, Wrap};
use ratatui::Frame;

use super::{MIN_HEIGHT, MIN_WIDTH};
use crate::tui::app::App;
use crate::tui::verdict;

pub(super) fn render(frame: &mut Frame, area: Rect, app: &App) {
    let theme = app.theme;
    let (level, verdict) = verdict::verdict_fitted(app, usize::from(area.width));
    let style = match level {
        Some(level) => theme.level(level).add_modifier(Modifier::BOLD),
        None => theme.good().add_modifier(Modifier::BOLD),
    };
    frame.render_widget(
        Line::styled(verdict, style),
        Rect {
            height: area.height.min(1),
            ..area
        },
    );
    let size = format!("{}x{}", area.width, area.height);
    let area = Rect {
        y: area.y.saturating_add(1),
        height: area.height.saturating_sub(1),
        ..area
    };
    let text = vec![
        Line::styled("Terminal too small", app.theme.alarm()),
        Line::from(format!(
            "{size}, ml-monitor needs {MIN_WIDTH}x{MIN_HEIGHT}. Enlarge it, or press q to quit."
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
