//! The `?` overlay: the key table as the dispatcher uses it, and a legend of the words,
//! colours and markers the panes use.

use ratatui::layout::{Constraint, Rect};
use ratatui::text::Line;
use ratatui::widgets::{Block, Borders, Clear, Row, Table};
use ratatui::Frame;

use crate::tui::app::App;
use crate::tui::format;
use crate::tui::keys::{self, BINDINGS};

/// The words, colours and markers the panes use, as (term, meaning).
const LEGEND: [(&str, &str); 9] = [
    (
        "CRITICAL",
        "red bold; WARNING yellow; INFO plain; always written out",
    ),
    (
        "▲ 0.450",
        "a figure past its threshold (red): that test flagged it",
    ),
    (
        "KS D, χ², PSI",
        "one column per test; p adj: smallest corrected p-value",
    ),
    (
        "W, AD, CvM",
        "normed Wasserstein, Anderson-Darling, Cramér-von Mises",
    ),
    (
        "0%→12%",
        "missing rate reference → current; ▲ when its alert fires",
    ),
    (
        "few, const",
        "too few values to test; constant in the reference",
    ),
    (
        "✓, dim",
        "acknowledged; dimmed rows are acknowledged or resolved",
    ),
    ("█ ref ▒ cur", "histogram: reference solid, current shaded"),
    (
        "↑ ◆ ┆",
        "trends axis: drift began, cursor, new reference/thresholds",
    ),
];

pub(super) fn render(frame: &mut Frame, area: Rect, app: &App) {
    let theme = app.theme;
    let wanted_height = BINDINGS.len() as u16 + LEGEND.len() as u16 + 3;
    let width = area.width.saturating_sub(4).min(96);
    // At 24 rows the table needs all but one: it may cover the status lines, not the footer.
    let height = area.height.saturating_sub(1).min(wanted_height);
    let popup = Rect::new(
        area.x + (area.width - width) / 2,
        area.y + (area.height - height) / 2,
        width,
        height,
    );
    // Key column, spacing and borders: what is left is the meaning's, cut with `…` past it.
    let room = usize::from(width.saturating_sub(14 + 1 + 2));
    let row = |term: String, meaning: &str| Row::new([term, format::fit(meaning, room)]);
    let mut rows: Vec<Row> = BINDINGS
        .iter()
        .map(|b| row(keys::labels(b), b.description))
        .collect();
    rows.push(Row::new(["", ""]));
    rows.extend(
        LEGEND
            .iter()
            .map(|(term, meaning)| row(term.to_string(), meaning)),
    );
    // Scrolled with the arrows when the terminal is too short for all of it.
    let visible = usize::from(height.saturating_sub(2));
    let scroll = app.help_scroll.min(rows.len().saturating_sub(visible));
    let more = rows.len() > scroll + visible;
    let rows: Vec<Row> = rows.into_iter().skip(scroll).collect();
    let title = if more {
        " Keys and legend · ↓ more · ? or Esc closes "
    } else {
        " Keys and legend · ? or Esc closes "
    };
    let table = Table::new(rows, [Constraint::Length(14), Constraint::Min(0)]).block(
        Block::new()
            .borders(Borders::ALL)
            .border_style(theme.border(true))
            .title(Line::styled(title, theme.heading())),
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
        // Tall enough for all of it (below, it scrolls: the next test).
        let t = screen(&app, 120, 50);
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

    #[test]
    fn at_80x24_the_help_scrolls_to_the_legend() {
        let mut app = fixtures::app(3, false);
        app.handle(key(KeyCode::Char('?')));
        let t = screen(&app, 80, 24);
        assert!(shows(t.backend().buffer(), "↓ more"));
        assert!(shows(t.backend().buffer(), "quit"));
        app.handle(key(KeyCode::End));
        let t = screen(&app, 80, 24);
        let buffer = t.backend().buffer();
        for (term, meaning) in super::LEGEND {
            assert!(
                shows(buffer, term) && shows(buffer, meaning),
                "{term}\n{}",
                t.backend()
            );
        }
        assert!(!shows(buffer, "↓ more"));
    }
}
