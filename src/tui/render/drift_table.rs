//! The per-feature drift table of the newest window.
//!
//! A drifted row is coloured and says "DRIFT" in its status column, so it reads the same
//! without colour. The test column names the test that decided (KS, AD, CvM, W for the normed
//! Wasserstein distance, χ² for categorical and few-valued numeric features), the statistic
//! column its statistic, with the p-value of that same test beside it.

use ml_monitor::drift::FeatureStatus;
use ratatui::layout::{Constraint, Rect};
use ratatui::text::Line;
use ratatui::widgets::{Cell, HighlightSpacing, Paragraph, Row, Table, TableState};
use ratatui::Frame;

use super::pane;
use crate::tui::app::{App, Focus};
use crate::tui::format;
use crate::tui::rows::{FeatureRow, Test};
use crate::tui::sanitize::sanitize;
use crate::tui::theme::Theme;

/// The status column's word for a row.
pub(super) fn status_word(row: &FeatureRow) -> &'static str {
    if row.drifted {
        return "DRIFT";
    }
    match row.status {
        FeatureStatus::Ok => "ok",
        FeatureStatus::InsufficientData => "few",
        FeatureStatus::Constant => "const",
    }
}

pub(super) fn render(frame: &mut Frame, area: Rect, app: &App) {
    let theme = app.theme;
    let focused = app.focus == Focus::Drift;
    let rows = app.feature_rows();
    let drifted = rows.iter().filter(|r| r.drifted).count();
    let title = Line::from(format!(
        " Drift: {drifted} of {} features · sort {} ",
        rows.len(),
        app.sort.label()
    ));
    let block = pane(title, focused, theme);
    if app.shown().latest_result().is_none() {
        let waiting = Paragraph::new(Line::styled(
            format!(
                "waiting for the first window in {}",
                sanitize(&app.options.directory)
            ),
            theme.muted(),
        ))
        .block(block);
        frame.render_widget(waiting, area);
        return;
    }
    let header =
        Row::new(["feature", "test", "stat", "p", "PSI", "miss", "status"]).style(theme.heading());
    let body: Vec<Row> = rows.iter().map(|r| row(r, theme)).collect();
    let widths = [
        Constraint::Min(8),
        Constraint::Length(4),
        Constraint::Length(7),
        Constraint::Length(8),
        Constraint::Length(7),
        Constraint::Length(6),
        Constraint::Length(6),
    ];
    let mut table = Table::new(body, widths)
        .header(header)
        .block(block)
        .column_spacing(1)
        .highlight_symbol(">")
        .highlight_spacing(HighlightSpacing::Always);
    if focused {
        table = table.row_highlight_style(theme.selected());
    }
    let mut state = TableState::default().with_selected(Some(app.selected_feature_index()));
    frame.render_stateful_widget(table, area, &mut state);
}

/// The statistic cell: `~` before a statistic computed on a profile's grid (within its stated
/// bound of the rows' figure).
fn statistic_text(r: &FeatureRow) -> String {
    match r.test {
        Test::None => format::NA.to_string(),
        _ if r.approximate && r.statistic.is_some() => format!("~{}", format::number(r.statistic)),
        _ => format::number(r.statistic),
    }
}

fn row(r: &FeatureRow, theme: Theme) -> Row<'static> {
    let statistic = statistic_text(r);
    let style = if r.drifted {
        theme.alarm()
    } else if r.status == FeatureStatus::InsufficientData {
        theme.muted()
    } else {
        Default::default()
    };
    Row::new([
        Cell::from(sanitize(&r.name).into_owned()),
        Cell::from(r.test.label()),
        Cell::from(statistic),
        Cell::from(format::p_value(r.p_value)),
        Cell::from(format::number(r.psi)),
        Cell::from(format::percent(r.missing)),
        Cell::from(status_word(r)),
    ])
    .style(style)
}

#[cfg(test)]
mod tests {
    use ratatui::style::{Color, Modifier};

    use crate::tui::fixtures;
    use crate::tui::render::testing::{find, screen, shows};

    #[test]
    fn drifted_rows_say_drift_in_red_and_come_first() {
        let app = fixtures::app(3, false);
        let t = screen(&app, 80, 24);
        let buffer = t.backend().buffer();
        let income = find(buffer, "income").expect("income row");
        let drift = find(buffer, "DRIFT").expect("DRIFT marker");
        assert_eq!(income.y, drift.y, "income is the first, drifted row");
        assert_eq!(buffer[(drift.x, drift.y)].fg, Color::Red);
        assert!(buffer[(drift.x, drift.y)].modifier.contains(Modifier::BOLD));
        let tenure = find(buffer, "tenure").expect("tenure row");
        assert!(tenure.y > income.y);
        assert_ne!(buffer[(tenure.x, tenure.y)].fg, Color::Red);
        assert!(shows(buffer, "Drift: 2 of 5 features"));
        assert!(shows(buffer, "1.3e-30"));
    }

    #[test]
    fn without_colour_the_marker_is_text_and_bold() {
        let app = fixtures::app(3, true);
        let t = screen(&app, 80, 24);
        let buffer = t.backend().buffer();
        let drift = find(buffer, "DRIFT").expect("DRIFT marker");
        let cell = &buffer[(drift.x, drift.y)];
        assert_eq!(cell.fg, Color::Reset);
        assert!(cell.modifier.contains(Modifier::BOLD));
    }

    #[test]
    fn focused_selection_is_reversed_and_untested_features_say_few() {
        let app = fixtures::app(3, false);
        let t = screen(&app, 80, 24);
        let buffer = t.backend().buffer();
        let selected = find(buffer, ">income").expect("selected first row");
        assert!(buffer[(selected.x + 1, selected.y)]
            .modifier
            .contains(Modifier::REVERSED));
        let age = find(buffer, "age").expect("age row");
        let few = find(buffer, "few").expect("few marker");
        assert_eq!(age.y, few.y);
    }

    #[test]
    fn a_statistic_from_a_profile_grid_is_marked_approximate() {
        use crate::tui::rows::{FeatureRow, Test};
        let mut row = FeatureRow {
            name: "x".into(),
            test: Test::Ks,
            statistic: Some(0.125),
            p_value: Some(0.5),
            psi: None,
            missing: None,
            drifted: false,
            status: ml_monitor::drift::FeatureStatus::Ok,
            approximate: true,
        };
        let marked = super::statistic_text(&row);
        assert!(marked.starts_with('~'), "{marked}");
        row.approximate = false;
        assert_eq!(format!("~{}", super::statistic_text(&row)), marked);
    }

    #[test]
    fn before_any_window_it_says_it_is_waiting() {
        let app = fixtures::app(0, false);
        let t = screen(&app, 80, 24);
        assert!(shows(
            t.backend().buffer(),
            "waiting for the first window in /data/incoming"
        ));
    }
}
