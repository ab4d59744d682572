//! The drift table's cells as text, apart from drawing them.
//!
//! The renderer lays these columns out; the app keeps each column's widest cell of the run
//! ([`Widths`]), so the columns stay put as windows arrive, as a search narrows the rows and as
//! the reader travels back. A width grows when a wider figure comes and never shrinks: a table
//! whose columns move by a cell between frames reads as if its figures changed.

use std::collections::BTreeMap;

use ml_monitor::config::DetectorKind;
use ml_monitor::drift::FeatureStatus;

use super::format;
use super::rows::{FeatureRow, Figure, Test};
use super::TuiOptions;

/// A column of figures: its heading and each row's cell text and whether it is over.
pub(crate) struct Column {
    pub(crate) heading: &'static str,
    pub(crate) test: Option<Test>,
    pub(crate) cells: Vec<(String, bool)>,
}

impl Column {
    /// The cells this column needs for its widest text of this frame, with one cell for the
    /// marker (or a space) before the figure.
    fn widest(&self) -> u16 {
        let widest = self
            .cells
            .iter()
            .map(|(t, _)| t.chars().count())
            .chain(std::iter::once(self.heading.chars().count()))
            .max()
            .unwrap_or(0);
        u16::try_from(widest + 1).unwrap_or(u16::MAX)
    }
}

/// Each column's width so far this run, by heading.
#[derive(Debug, Clone, Default)]
pub(crate) struct Widths(BTreeMap<&'static str, u16>);

impl Widths {
    /// Takes in a frame's columns: a wider one widens its column for the rest of the run.
    pub(crate) fn widen(&mut self, columns: &[Column]) {
        for column in columns {
            let width = self.0.entry(column.heading).or_insert(0);
            *width = (*width).max(column.widest());
        }
    }

    /// The width `column` is drawn at: the widest of the run, and never narrower than its
    /// cells now.
    pub(crate) fn of(&self, column: &Column) -> u16 {
        self.0
            .get(column.heading)
            .copied()
            .unwrap_or(0)
            .max(column.widest())
    }
}

fn heading(test: Test) -> &'static str {
    if test == Test::Detector(DetectorKind::Ks) {
        "KS D"
    } else {
        test.label()
    }
}

/// The tests that ran on any feature, in column order.
fn tests_running(rows: &[FeatureRow]) -> Vec<Test> {
    let mut tests: Vec<Test> = rows
        .iter()
        .flat_map(|r| r.figures.keys().copied())
        .collect();
    tests.sort();
    tests.dedup();
    tests
}

fn missing_over(row: &FeatureRow, options: &TuiOptions) -> bool {
    match (
        row.missing_ref,
        row.missing,
        options.thresholds.missing_rate_increase,
    ) {
        (Some(r), Some(c), Some(t)) => c - r > t,
        _ => false,
    }
}

/// A test's cell: `~` before a statistic computed on a profile's grid (within its stated
/// bound of the rows' figure), the two together no wider than a figure alone.
pub(crate) fn statistic_text(figure: &Figure) -> String {
    match figure.statistic {
        Some(_) if figure.approximate => format!(
            "~{}",
            format::figure_within(figure.statistic, format::FIGURE - 1)
        ),
        _ => format::figure(figure.statistic),
    }
}

/// The table's columns for `rows`: one per test that ran, then `p adj` when a test gave a
/// p-value, then `miss`.
pub(crate) fn columns(rows: &[FeatureRow], options: &TuiOptions) -> Vec<Column> {
    let few = |r: &FeatureRow| r.status == FeatureStatus::InsufficientData;
    let mut columns: Vec<Column> = tests_running(rows)
        .into_iter()
        .map(|test| Column {
            heading: heading(test),
            test: Some(test),
            cells: rows
                .iter()
                .map(|r| match r.figures.get(&test) {
                    _ if few(r) => ("few".to_string(), false),
                    Some(f) => (statistic_text(f), f.drifted),
                    None => (String::new(), false),
                })
                .collect(),
        })
        .collect();
    if rows.iter().any(|r| r.p_adjusted.is_some()) {
        columns.push(Column {
            heading: "p adj",
            test: None,
            cells: rows
                .iter()
                .map(|r| match r.p_adjusted {
                    _ if few(r) => ("few".to_string(), false),
                    Some(p) => (format::p_value_bounded(Some(p), r.p_bound), r.p_drifted),
                    None => (String::new(), false),
                })
                .collect(),
        });
    }
    columns.push(Column {
        heading: "miss",
        test: None,
        cells: rows
            .iter()
            .map(|r| {
                let text = match (r.missing_ref, r.missing) {
                    (Some(a), Some(b)) => format!(
                        "{}→{}",
                        format::percent_short(Some(a)),
                        format::percent_short(Some(b))
                    ),
                    (_, b) => format::percent_short(b),
                };
                (text, missing_over(r, options))
            })
            .collect(),
    });
    columns
}

#[cfg(test)]
mod tests {
    use super::*;

    fn column(cells: &[&str]) -> Column {
        Column {
            heading: "AD",
            test: None,
            cells: cells.iter().map(|c| (c.to_string(), false)).collect(),
        }
    }

    #[test]
    fn a_column_widens_for_a_wider_figure_and_never_narrows() {
        let mut widths = Widths::default();
        widths.widen(&[column(&["0.5"])]);
        assert_eq!(widths.of(&column(&["0.5"])), 4);
        widths.widen(&[column(&["565.9"])]);
        assert_eq!(widths.of(&column(&["0.5"])), 6, "kept from the wider frame");
        widths.widen(&[column(&["1"])]);
        assert_eq!(widths.of(&column(&["1"])), 6);
        assert_eq!(
            Widths::default().of(&column(&["1.2e-5"])),
            7,
            "a frame is never drawn narrower than its cells"
        );
    }
}
