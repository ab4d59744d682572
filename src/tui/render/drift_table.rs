//! The per-feature drift table of the newest window.
//!
//! One column per test that ran (KS D, AD, CvM, W for the normed Wasserstein distance, χ² for
//! categorical and few-valued numeric features, PSI), then the smallest corrected p-value of the
//! tests that give one, then the missing rate as reference → current. A figure that crossed its
//! threshold is marked `▲` and coloured, so the table says which test fired and reads the same
//! without colour; the footer line gives the thresholds. Names too long for the column end in
//! `…`. Figures are written short (`format::figure`) and every column keeps a cell of spacing,
//! so no two figures touch; each column keeps the width of its widest cell so far this run
//! (`table_cells::Widths`), so columns do not move as windows arrive. When the terminal is too
//! narrow for every test, the least read test columns give way and the footer says which.

use ml_monitor::config::DetectorKind;
use ml_monitor::drift::FeatureStatus;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, HighlightSpacing, Paragraph, Row, Table, TableState};
use ratatui::Frame;

use super::pane;
use crate::tui::app::{App, Focus};
use crate::tui::format;
use crate::tui::rows::{FeatureRow, Test};
use crate::tui::sanitize::sanitize;
use crate::tui::table_cells::{self, Column};
use crate::tui::theme::Theme;

/// The marker of a figure over its threshold.
pub(crate) const OVER: &str = "▲";

/// The status word for a row (the histogram's figures line).
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

/// The thresholds of the tests shown: `▲ over: p adj < 0.05 · PSI > 0.2 · miss +10%`.
fn footer(columns: &[Column], hidden: &[&'static str], app: &App) -> String {
    let d = &app.options.drift;
    let mut parts = Vec::new();
    if columns.iter().any(|c| c.heading == "p adj") {
        parts.push(format!("p adj < {}", d.alpha));
    }
    for c in columns {
        if let Some((test, threshold)) = c
            .test
            .and_then(|t| Some((t, t.kind()?.effect_threshold(d)?)))
        {
            parts.push(format!("{} > {threshold}", test.label()));
        }
    }
    if let Some(t) = app.options.thresholds.missing_rate_increase {
        parts.push(format!("miss +{}", format::percent_short(Some(t))));
    }
    let over = format!("{OVER} over: {}", parts.join(" · "));
    if hidden.is_empty() {
        return over;
    }
    // First, so a narrow footer still says the table is incomplete.
    format!("hidden: {} (widen) · {over}", hidden.join(", "))
}

pub(super) fn render(frame: &mut Frame, area: Rect, app: &App) {
    let theme = app.theme;
    let focused = app.focus == Focus::Drift;
    let rows = app.feature_rows();
    let all = app.all_feature_rows();
    let drifted = all.iter().filter(|r| r.drifted).count();
    let title = if rows.len() == all.len() {
        format!(
            " Drift: {drifted} of {} features · sort {} ",
            all.len(),
            app.sort.label()
        )
    } else {
        format!(
            " Drift: {drifted} of {} features · {} match ",
            all.len(),
            rows.len()
        )
    };
    let title = Line::from(title);
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
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let [table_area, footer_area] =
        Layout::vertical([Constraint::Min(0), Constraint::Length(1)]).areas(inner);

    let mut columns = table_cells::columns(&rows, &app.options);
    // Each column's width is the widest of the run, so columns stay put between frames.
    let run_widths = app.column_widths();
    // The selection marker takes a cell; a name needs at least 8.
    let room = inner.width.saturating_sub(1 + 8);
    let mut hidden = Vec::new();
    // Each column takes a cell of spacing before it, so no figure runs into the next one's
    // `▲`; the least read tests give way first.
    let needed = |columns: &[Column]| -> u16 {
        columns
            .iter()
            .map(|c| run_widths.of(c).saturating_add(1))
            .fold(0, u16::saturating_add)
    };
    let order = [
        Test::RankSum,
        Test::Detector(DetectorKind::Cvm),
        Test::Detector(DetectorKind::Ad),
        Test::Detector(DetectorKind::Wasserstein),
        Test::Detector(DetectorKind::Chi2),
        Test::Detector(DetectorKind::Ks),
        Test::Detector(DetectorKind::Psi),
    ];
    for test in order {
        if needed(&columns) <= room {
            break;
        }
        if let Some(i) = columns.iter().position(|c| c.test == Some(test)) {
            hidden.push(columns.remove(i).heading);
        }
    }
    let used = needed(&columns);
    // One cell short of the column, so a cut name never runs into the first figure.
    let name_width = usize::from(inner.width.saturating_sub(used.saturating_add(2)));

    let mut header = vec![Cell::from("feature")];
    header.extend(
        columns
            .iter()
            .map(|c| Cell::from(format!(" {}", c.heading))),
    );
    let body: Vec<Row> = rows
        .iter()
        .enumerate()
        .map(|(i, r)| row(r, i, &columns, name_width, theme))
        .collect();
    let mut widths = vec![Constraint::Fill(1)];
    widths.extend(columns.iter().map(|c| Constraint::Length(run_widths.of(c))));
    let mut table = Table::new(body, widths)
        .header(Row::new(header).style(theme.heading()))
        .column_spacing(1)
        .highlight_symbol(">")
        .highlight_spacing(HighlightSpacing::Always);
    if focused {
        table = table.row_highlight_style(theme.selected());
    }
    let mut state = TableState::default().with_selected(Some(app.selected_feature_index()));
    frame.render_stateful_widget(table, table_area, &mut state);
    let footer = format::fit(&footer(&columns, &hidden, app), usize::from(inner.width));
    frame.render_widget(Line::styled(footer, theme.muted()), footer_area);
}

fn row(
    r: &FeatureRow,
    index: usize,
    columns: &[Column],
    name_width: usize,
    theme: Theme,
) -> Row<'static> {
    let base = if r.status == FeatureStatus::InsufficientData {
        theme.muted()
    } else {
        Style::new()
    };
    let mut name = sanitize(&r.name).into_owned();
    if r.status == FeatureStatus::Constant {
        name.push_str(" (const)");
    }
    let name_style = if r.drifted { theme.alarm() } else { base };
    let mut cells = vec![Cell::from(Span::styled(
        format::fit(&name, name_width),
        name_style,
    ))];
    for column in columns {
        let (text, over) = column.cells.get(index).cloned().unwrap_or_default();
        let cell = if over {
            Line::from(vec![
                Span::styled(OVER, theme.alarm()),
                Span::styled(text, theme.alarm()),
            ])
        } else {
            Line::from(vec![Span::raw(" "), Span::styled(text, base)])
        };
        cells.push(Cell::from(cell));
    }
    Row::new(cells)
}

#[cfg(test)]
mod tests {
    use ratatui::style::{Color, Modifier};

    use crate::tui::fixtures;
    use crate::tui::render::testing::{find, screen, shows};

    #[test]
    fn crossed_figures_are_marked_in_red_and_drifted_rows_come_first() {
        let app = fixtures::app(3, false);
        let t = screen(&app, 80, 24);
        let buffer = t.backend().buffer();
        let income = find(buffer, "income").expect("income row");
        let mark = find(buffer, "▲0.250").expect("the KS D that crossed");
        assert_eq!(income.y, mark.y, "income is the first, drifted row");
        assert_eq!(buffer[(mark.x, mark.y)].fg, Color::Red);
        assert!(buffer[(mark.x, mark.y)].modifier.contains(Modifier::BOLD));
        assert_eq!(buffer[(income.x, income.y)].fg, Color::Red);
        let tenure = find(buffer, "tenure").expect("tenure row");
        assert!(tenure.y > income.y);
        assert_ne!(buffer[(tenure.x, tenure.y)].fg, Color::Red);
        assert!(shows(buffer, "Drift: 2 of 5 features"));
        assert!(shows(buffer, "5.2e-30"), "the corrected p-value");
    }

    #[test]
    fn without_colour_the_marker_is_a_glyph_and_bold() {
        let app = fixtures::app(3, true);
        let t = screen(&app, 80, 24);
        let buffer = t.backend().buffer();
        let mark = find(buffer, "▲0.250").expect("marker");
        let cell = &buffer[(mark.x, mark.y)];
        assert_eq!(cell.fg, Color::Reset);
        assert!(cell.modifier.contains(Modifier::BOLD));
    }

    #[test]
    fn too_narrow_for_every_test_the_rightmost_give_way_and_the_footer_says_which() {
        let mut report = fixtures::report(3, true);
        for name in ["ad", "cvm", "wasserstein"] {
            let mut d = report.result.drift["ks"].clone();
            d.features.retain(|n, _| n != "city");
            report.result.drift.insert(name.to_string(), d);
        }
        let mut app = fixtures::app(2, false);
        app.handle(crate::app_event::AppEvent::Window(Box::new(report)));
        let t = screen(&app, 80, 24);
        let buffer = t.backend().buffer();
        assert!(shows(buffer, "hidden: CvM"), "{}", t.backend());
        assert!(
            shows(buffer, "PSI") && shows(buffer, "χ²"),
            "{}",
            t.backend()
        );
        let t = screen(&app, 160, 40);
        let buffer = t.backend().buffer();
        for heading in ["KS D", "AD", "CvM", " W ", "χ²", "PSI", "p adj"] {
            assert!(shows(buffer, heading), "{heading}");
        }
        assert!(!shows(buffer, "hidden"));
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
        let age = find(buffer, "age ").expect("age row");
        let few = find(buffer, "few").expect("few marker");
        assert_eq!(age.y, few.y);
    }

    #[test]
    fn a_statistic_from_a_profile_grid_is_marked_approximate() {
        use crate::tui::rows::Figure;
        let mut figure = Figure {
            statistic: Some(0.126),
            drifted: false,
            approximate: true,
        };
        let marked = crate::tui::table_cells::statistic_text(&figure);
        assert!(marked.starts_with('~'), "{marked}");
        figure.approximate = false;
        assert_eq!(crate::tui::table_cells::statistic_text(&figure), "0.126");
        assert_eq!(marked, "~0.13", "the mark takes a digit, not a cell");
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
