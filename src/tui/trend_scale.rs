//! The trends' two axes: which windows each column draws at a zoom level (`+`/`-`), and the one
//! value scale a trend's bars, threshold line and printed range all use.
//!
//! Why one [`Scale`] value and not a range recomputed where needed: the label used to print the
//! whole history's range over bars drawn on the visible windows' range, so ±0.01 of noise looked
//! like a collapse. The scale is made once from the windows shown, widened to hold the threshold
//! and rounded outward to the digits printed, and everything drawn reads it.
//!
//! Why zoom is a level and not a window count: the key handler does not know the pane's width.
//! Level 0 draws one window a column; level +k gives each window 2^k columns; level −k puts 2^k
//! windows in a column (their mean, marked bad when any of them is).

use std::ops::Range;

/// The widest zoom in: eight columns a window.
pub(crate) const ZOOM_IN_MAX: i8 = 3;
/// The widest zoom out: 32 windows a column.
pub(crate) const ZOOM_OUT_MAX: i8 = -5;

/// The trends' zoom level, from [`ZOOM_OUT_MAX`] to [`ZOOM_IN_MAX`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Zoom(i8);

impl Zoom {
    /// `+` (`step` 1) or `-` (−1); `None` at the end of the range.
    pub(crate) fn stepped(self, step: i8) -> Option<Zoom> {
        let level = self.0.saturating_add(step);
        (ZOOM_OUT_MAX..=ZOOM_IN_MAX)
            .contains(&level)
            .then_some(Zoom(level))
    }

    /// Windows drawn in one column: 1 unless zoomed out.
    pub(crate) fn windows_per_column(self) -> usize {
        1 << (-self.0).max(0)
    }

    #[cfg(test)]
    pub(crate) fn level(self) -> i8 {
        self.0
    }

    /// The windows each column draws, oldest first, for `len` windows in a trend `width`
    /// columns wide: the newest window is always in the last column drawn (the cursor's).
    pub(crate) fn columns(self, len: usize, width: usize) -> Vec<Range<usize>> {
        if len == 0 || width == 0 {
            return Vec::new();
        }
        if self.0 > 0 {
            let per = 1usize << self.0;
            let shown = (width / per).clamp(1, len);
            let per = per.min(width);
            return (len - shown..len)
                .flat_map(|w| std::iter::repeat_n(w..w + 1, per))
                .collect();
        }
        let per = 1usize << (-self.0);
        let columns = len.div_ceil(per).min(width);
        (0..columns)
            .map(|c| {
                let back = columns - c;
                let end = len - (back - 1) * per;
                end.saturating_sub(per)..end
            })
            .collect()
    }
}

/// The windows the columns cover, oldest first (how the title counts them).
pub(crate) fn covered(columns: &[Range<usize>]) -> usize {
    match (columns.first(), columns.last()) {
        (Some(first), Some(last)) => last.end - first.start,
        _ => 0,
    }
}

/// A column's value: the mean of its windows' finite values, `None` when it has none.
pub(crate) fn column_value(values: &[Option<f64>], column: &Range<usize>) -> Option<f64> {
    let finite: Vec<f64> = values[column.clone()]
        .iter()
        .flatten()
        .copied()
        .filter(|v| v.is_finite())
        .collect();
    (!finite.is_empty()).then(|| finite.iter().sum::<f64>() / finite.len() as f64)
}

/// Whether a metric has a fixed scale (drifted 0–100 %, accuracy 0–1) or takes the shown
/// windows' range.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Bounds {
    Fixed(f64, f64),
    Data,
}

/// Eighths of a cell: a sparkline `rows` high draws bar heights 0..=`rows * EIGHTHS`.
pub(crate) const EIGHTHS: u64 = 8;

/// The value range a trend's bars, threshold and label share.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Scale {
    pub(crate) lo: f64,
    pub(crate) hi: f64,
    fixed: bool,
}

impl Scale {
    /// The scale for the values shown: a fixed range as it is; otherwise their range, widened
    /// to hold `threshold`, never empty, and rounded outward to the three significant digits
    /// the label prints. `None` when a data scale has no finite value to take.
    pub(crate) fn of(
        values: &[Option<f64>],
        range: Bounds,
        threshold: Option<f64>,
    ) -> Option<Scale> {
        let (lo, hi) = match range {
            Bounds::Fixed(lo, hi) => {
                return Some(Scale {
                    lo,
                    hi,
                    fixed: true,
                })
            }
            Bounds::Data => values
                .iter()
                .flatten()
                .copied()
                .chain(threshold)
                .filter(|v| v.is_finite())
                .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
                    (lo.min(v), hi.max(v))
                }),
        };
        if !lo.is_finite() {
            return None;
        }
        let (lo, hi) = if hi > lo {
            (lo, hi)
        } else {
            let pad = (lo.abs() * 0.05).max(1e-3);
            (lo - pad, hi + pad)
        };
        let step = 10f64.powf((hi - lo).log10().floor() - 1.0);
        Some(Scale {
            lo: (lo / step).floor() * step,
            hi: (hi / step).ceil() * step,
            fixed: false,
        })
    }

    /// Where a value sits on the scale, 0 at the floor, 1 at the top (clamped).
    fn share(&self, v: f64) -> f64 {
        ((v - self.lo) / (self.hi - self.lo)).clamp(0.0, 1.0)
    }

    /// A bar's height in eighths of a cell, 0..=`rows * 8`, so every row adds resolution;
    /// `None` for a missing or non-finite value. A fixed scale's floor draws nothing above the
    /// axis; a data scale's lowest value is still the lowest bar.
    pub(crate) fn height(&self, value: Option<f64>, rows: u16) -> Option<u64> {
        let v = value.filter(|v| v.is_finite())?;
        let levels = Self::levels(rows);
        let share = self.share(v);
        Some(if self.fixed {
            (share * levels as f64).round() as u64
        } else {
            1 + (share * (levels - 1) as f64).round() as u64
        })
    }

    /// The tallest bar of a sparkline `rows` high.
    pub(crate) fn levels(rows: u16) -> u64 {
        u64::from(rows.max(1)) * EIGHTHS
    }

    /// The row (from the bottom, of `rows`) whose cells a threshold line runs through: where a
    /// bar of the threshold's height ends.
    pub(crate) fn threshold_row(&self, threshold: f64, rows: u16) -> u16 {
        let eighths = self.height(Some(threshold), rows).unwrap_or(0);
        (eighths.div_ceil(EIGHTHS) as u16)
            .saturating_sub(1)
            .min(rows.saturating_sub(1))
    }

    /// The range as the label prints it: `0–1`, `0–100%` (`percent`), `0.230–0.470`.
    pub(crate) fn text(&self, percent: bool) -> String {
        if percent {
            format!("{:.0}–{:.0}%", self.lo * 100.0, self.hi * 100.0)
        } else if self.fixed {
            format!("{}–{}", self.lo, self.hi)
        } else {
            format!(
                "{}–{}",
                super::format::number(Some(self.lo)),
                super::format::number(Some(self.hi))
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_printed_range_is_the_range_the_bars_use() {
        // The case: values 0.233–0.258 with the history's 0.470 elsewhere. The scale is
        // that of the values shown, and the bars span it exactly: the lowest at 1, the highest
        // at the top.
        let shown = [Some(0.233), Some(0.258), Some(0.24)];
        let s = Scale::of(&shown, Bounds::Data, None).expect("a scale");
        assert_eq!(s.text(false), "0.233–0.258");
        assert_eq!(s.height(Some(0.233), 1), Some(1));
        assert_eq!(s.height(Some(0.258), 1), Some(8));
        assert_eq!(s.height(Some(0.258), 3), Some(24));
        // With a threshold of 0.9, the scale reaches it: the same noise stays small.
        let s = Scale::of(&shown, Bounds::Data, Some(0.9)).expect("a scale");
        assert_eq!(s.text(false), "0.230–0.900");
        assert_eq!(s.height(Some(0.258), 1), Some(1));
        assert_eq!(s.height(Some(0.9), 1), Some(8));
    }

    #[test]
    fn scales_keep_gaps_fixed_floors_and_never_collapse() {
        let fixed = Scale::of(&[], Bounds::Fixed(0.0, 1.0), None).expect("fixed");
        let heights: Vec<_> = [
            Some(0.0),
            None,
            Some(0.5),
            Some(1.0),
            Some(f64::NAN),
            Some(7.0),
        ]
        .into_iter()
        .map(|v| fixed.height(v, 1))
        .collect();
        assert_eq!(
            heights,
            vec![Some(0), None, Some(4), Some(8), None, Some(8)]
        );
        assert_eq!(fixed.text(true), "0–100%");
        assert_eq!(fixed.text(false), "0–1");
        // One value: a range around it, the bar in the middle.
        let flat = Scale::of(&[Some(3.0), Some(3.0)], Bounds::Data, None).expect("flat");
        assert!(flat.lo < 3.0 && flat.hi > 3.0, "{flat:?}");
        assert_eq!(flat.height(Some(3.0), 1), Some(5));
        assert_eq!(Scale::of(&[None, Some(f64::NAN)], Bounds::Data, None), None);
        let wide = Scale::of(&[Some(-2.0), Some(2.0)], Bounds::Data, None).expect("wide");
        assert_eq!(
            (wide.height(Some(-2.0), 2), wide.height(Some(2.0), 2)),
            (Some(1), Some(16))
        );
        // Rows add resolution: 0.7 and 0.8 differ on two rows, not on one.
        assert_eq!(fixed.height(Some(0.7), 1), fixed.height(Some(0.8), 1));
        assert!(fixed.height(Some(0.7), 2) < fixed.height(Some(0.8), 2));
    }

    #[test]
    fn the_threshold_row_is_where_a_bar_of_its_height_ends() {
        let fixed = Scale::of(&[], Bounds::Fixed(0.0, 1.0), None).expect("fixed");
        // 0.7 of 0–1 is 6 of 8 levels: in the only row of one, the second of two.
        assert_eq!(fixed.threshold_row(0.7, 1), 0);
        assert_eq!(fixed.threshold_row(0.7, 2), 1);
        assert_eq!(fixed.threshold_row(0.2, 2), 0);
        assert_eq!(fixed.threshold_row(0.7, 4), 2);
        assert_eq!(fixed.threshold_row(1.5, 3), 2);
    }

    #[test]
    fn zoom_maps_windows_to_columns_ending_at_the_newest() {
        let zero = Zoom::default();
        // One window a column; the newest last, the oldest cut when they do not fit.
        assert_eq!(zero.columns(3, 5), vec![0..1, 1..2, 2..3]);
        assert_eq!(zero.columns(10, 4), vec![6..7, 7..8, 8..9, 9..10]);
        // Zoomed in: two columns a window, as many windows as fit.
        let z_in = zero.stepped(1).expect("in");
        assert_eq!(z_in.columns(10, 5), vec![8..9, 8..9, 9..10, 9..10]);
        // Zoomed out: two windows a column, the newest column full.
        let z_out = zero.stepped(-1).expect("out");
        assert_eq!(z_out.columns(5, 10), vec![0..1, 1..3, 3..5]);
        assert_eq!(z_out.columns(10, 2), vec![6..8, 8..10]);
        assert_eq!(covered(&z_out.columns(10, 2)), 4);
        assert!(zero.columns(0, 5).is_empty() && zero.columns(5, 0).is_empty());
        // A window wider than the trend still shows.
        let max_in = Zoom(ZOOM_IN_MAX);
        assert_eq!(max_in.columns(3, 4), vec![2..3; 4]);
    }

    #[test]
    fn zoom_stops_at_its_ends() {
        let mut z = Zoom::default();
        while let Some(next) = z.stepped(1) {
            z = next;
        }
        assert_eq!(z.level(), ZOOM_IN_MAX);
        while let Some(next) = z.stepped(-1) {
            z = next;
        }
        assert_eq!(z.level(), ZOOM_OUT_MAX);
        assert_eq!(z.windows_per_column(), 32);
        assert_eq!(Zoom(2).windows_per_column(), 1);
        assert_eq!(Zoom(ZOOM_OUT_MAX).columns(100, 2), vec![36..68, 68..100]);
    }

    #[test]
    fn a_column_is_the_mean_of_its_windows_values() {
        let v = [Some(1.0), None, Some(3.0), Some(f64::NAN)];
        assert_eq!(column_value(&v, &(0..3)), Some(2.0));
        assert_eq!(column_value(&v, &(1..2)), None);
        assert_eq!(column_value(&v, &(3..4)), None);
    }
}
