//! The reference's two halves for `thresholds = "window"`: the model is fitted on one, and the
//! z-test compares a window with the other half's errors.
//!
//! A PCA fitted on rows reconstructs those very rows better than fresh ones from the same
//! distribution: the kept components are the directions they vary most along, and where
//! eigenvalues are near-equal the choice itself follows their noise. With the fitted rows'
//! own errors as the basis, clean windows sat on average 0.6 (500 rows) and 1.5 (5,000 rows)
//! spreads above it, and 9.9 % and 30.6 % of them alarmed at 0.05
//! (`benches/measure_detectors.py`, 20 references of 5,000 rows, 1,000 clean windows per size).
//! Cross-fitting (each row's error from a PCA fitted without its fold) did not cure it: the
//! folds' fits kept other near-equal directions than the whole fit and 21.2 % still alarmed at
//! 5,000 rows. Rows the model never saw are, for that model, exactly a fresh sample.
//!
//! Rows alternate (even rows fit, odd rows are held out), so a reference ordered in time gives
//! both halves the same span.

use crate::data::{Column, ColumnData, DataWindow, MISSING_CODE};

/// Fewest reference rows split in halves; a smaller reference is fitted whole and its own
/// errors are the basis.
const MIN_ROWS: usize = 8;

/// The even rows and the odd rows of `reference`'s features, or `None` below `MIN_ROWS`.
pub(super) fn halves(reference: &DataWindow) -> Option<(DataWindow, DataWindow)> {
    if reference.rows() < MIN_ROWS {
        return None;
    }
    let half = |offset: usize| {
        let columns = reference
            .features()
            .iter()
            .map(|c| every_other(c, offset))
            .collect();
        DataWindow::new(reference.name(), columns, None, None)
    };
    Some((half(0)?, half(1)?))
}

/// Rows `offset`, `offset + 2`, … of `column`.
fn every_other(column: &Column, offset: usize) -> Column {
    let (data, missing) = match &column.data {
        ColumnData::Numeric(values) => {
            let v: Vec<f64> = values.iter().skip(offset).step_by(2).copied().collect();
            let missing = v.iter().filter(|x| x.is_nan()).count();
            (ColumnData::Numeric(v), missing)
        }
        ColumnData::Categorical { codes, dictionary } => {
            let c: Vec<u32> = codes.iter().skip(offset).step_by(2).copied().collect();
            let missing = c.iter().filter(|&&x| x == MISSING_CODE).count();
            (
                ColumnData::Categorical {
                    codes: c,
                    dictionary: dictionary.clone(),
                },
                missing,
            )
        }
    };
    Column {
        name: column.name.clone(),
        data,
        missing,
        invalid: 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_alternate_between_the_halves() {
        let w = DataWindow::new(
            "r",
            vec![
                Column::numeric("x", (0..9).map(f64::from).collect()),
                Column::categorical(
                    "c",
                    &["a", "b", "a", "c", "a", "b", "a", "c", "a"].map(Some),
                ),
            ],
            None,
            None,
        )
        .expect("equal lengths");
        let (even, odd) = halves(&w).expect("halves");
        assert_eq!((even.rows(), odd.rows()), (5, 4));
        assert_eq!(
            even.features()[0].as_numeric(),
            Some(&[0.0, 2.0, 4.0, 6.0, 8.0][..])
        );
        let (codes, dictionary) = odd.features()[1].as_categorical().expect("categorical");
        let odd_values: Vec<&str> = codes
            .iter()
            .map(|&c| dictionary[c as usize].as_str())
            .collect();
        assert_eq!(odd_values, ["b", "c", "b", "c"]);
        let small = DataWindow::new("s", vec![Column::numeric("x", vec![1.0; 7])], None, None)
            .expect("one column");
        assert!(halves(&small).is_none());
    }
}
