//! The `?` overlay: the key table as the dispatcher uses it, and what the table's words mean.

use ratatui::layout::{Constraint, Rect};
use ratatui::text::Line;
use ratatui::widgets::{Block, Borders, Clear, Row, Table};
use ratatui::Frame;

use crate::tui::app::App;
use crate::tui::keys::{self, BINDINGS};

/// The words the panes use, as (term, meaning).
const LEGEND: [(&str, &str); 3] = [
    ("DRIFT, few", "drifted; too few values to test"),
    (
        "W, const",
        "normed Wasserstein test; constant in the reference",
    ),
    ("OVER, ✓", "beyond its alert threshold; acknowledged alert"),
];

pub(super) fn render(frame: &mut Frame, area: Rect, app: &App) {
    let theme = app.theme;
    let wanted_height = BINDINGS.len() as u16 + LEGEND.len() as u16 + 2;
    let width = area.width.saturating_sub(4).min(72);
    // At 24 rows the table needs all but one: it may cover the status lines, not the footer.
    let height = area.height.saturating_sub(1).min(wanted_height);
    let popup = Rect::new(
        area.x + (area.width - width) / 2,
        area.y + (area.height - height) / 2,
        width,
        height,
    );
    let mut rows: Vec<Row> = BINDINGS
        .iter()
        .map(|b| Row::new([keys::labels(b), b.description.to_string()]))
        .collect();
    rows.extend(
        LEGEND
            .iter()
            .map(|(term, meaning)| Row::new([term.to_string(), meaning.to_string()])),
    );
    let table = Table::new(rows, [Constraint::Length(14), Constraint::Min(0)]).block(
        Block::new()
            .borders(Borders::ALL)
            .border_style(theme.border(true))
            .title(Line::styled(" Keys · ? or Esc closes ", theme.heading())),
    );
    frame.render_widget(Clear, popup);
    frame.render_widget(table, popup);
}

#[cfg(test)]
mod tests {
    use crate::tui::fixtures::{self, key};
    use crate::tui::keys::{labels, BINDINGS};
    use crate::tui::render::testing::{screen, shows};
    use crossterm::event::KeyCode;

    #[test]
    fn help_lists_every_binding_from_the_key_table() {
        let mut app = fixtures::app(3, false);
        app.handle(key(KeyCode::Char('?')));
        let t = screen(&app, 80, 24);
        let buffer = t.backend().buffer();
        for binding in BINDINGS {
            assert!(shows(buffer, &labels(binding)), "{}", labels(binding));
            assert!(
                shows(buffer, binding.description),
                "{}",
                binding.description
            );
        }
        for (term, meaning) in super::LEGEND {
            assert!(shows(buffer, term) && shows(buffer, meaning), "{term}");
        }
    }
}
