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

/// Fewest reference rows split in halves; a smaller reference is fitted whole and its own
/// errors are the basis.
const MIN_ROWS: usize = 8;

/// Rows `first`, `first + step`, … of a window, `count` of them: a half is read where it lies
/// instead of being copied out (a copy of the reference is its size again in memory).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Rows {
    pub(super) first: usize,
    pub(super) step: usize,
    pub(super) count: usize,
}

impl Rows {
    /// Every one of `n` rows.
    pub(super) fn all(n: usize) -> Rows {
        Rows {
            first: 0,
            step: 1,
            count: n,
        }
    }

    /// The index in the window of the `i`-th selected row.
    pub(super) fn row(&self, i: usize) -> usize {
        self.first + i * self.step
    }

    /// The selected values of a column, in order.
    pub(super) fn of<'a, T: Copy>(&self, values: &'a [T]) -> impl Iterator<Item = T> + 'a {
        values
            .iter()
            .skip(self.first)
            .step_by(self.step)
            .take(self.count)
            .copied()
    }
}

/// The even rows and the odd rows of a reference of `n` rows, or `None` below `MIN_ROWS`.
pub(super) fn halves(n: usize) -> Option<(Rows, Rows)> {
    if n < MIN_ROWS {
        return None;
    }
    let half = |first: usize| Rows {
        first,
        step: 2,
        count: (n - first).div_ceil(2),
    };
    Some((half(0), half(1)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_alternate_between_the_halves() {
        let (even, odd) = halves(9).expect("halves");
        assert_eq!((even.count, odd.count), (5, 4));
        let values: Vec<f64> = (0..9).map(f64::from).collect();
        assert_eq!(
            even.of(&values).collect::<Vec<_>>(),
            [0.0, 2.0, 4.0, 6.0, 8.0]
        );
        assert_eq!(odd.of(&values).collect::<Vec<_>>(), [1.0, 3.0, 5.0, 7.0]);
        assert_eq!(odd.row(3), 7);
        assert_eq!(Rows::all(3).of(&values).count(), 3);
        assert!(halves(7).is_none());
    }
}
