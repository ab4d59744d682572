//! Alert thresholds learned from the reference, as NannyML's `StandardDeviationThreshold`:
//! the reference cut into equal chunks, the realised metric per chunk, mean ± 3 standard
//! deviations (ddof 0, NaN chunks ignored), past the metric's range [0, 1] replaced by the limit.

use std::ops::Range;

/// NannyML's `DefaultChunker`: `n / count` rows per chunk, the remainder kept as a last, smaller
/// chunk (`SizeBasedChunker(incomplete="keep")`). Empty when `n < count`.
pub(crate) fn chunk_ranges(n: usize, count: usize) -> Vec<Range<usize>> {
    let size = n.checked_div(count).unwrap_or(0);
    if size == 0 {
        return Vec::new();
    }
    let mut ranges: Vec<Range<usize>> = (0..n / size).map(|i| i * size..(i + 1) * size).collect();
    if !n.is_multiple_of(size) {
        ranges.push(size * (n / size)..n);
    }
    ranges
}

/// `(lower, upper)` from per-chunk values: `nanmean ± 3 · nanstd`, a lower value at or below 0
/// becomes 0 and an upper at or above 1 becomes 1; `None` when no chunk has a value.
pub(crate) fn std_thresholds(values: &[f64]) -> (Option<f64>, Option<f64>) {
    let finite: Vec<f64> = values.iter().copied().filter(|v| !v.is_nan()).collect();
    if finite.is_empty() {
        return (None, None);
    }
    let n = finite.len() as f64;
    let mean = finite.iter().sum::<f64>() / n;
    let std = (finite.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / n).sqrt();
    let lower = mean - 3.0 * std;
    let upper = mean + 3.0 * std;
    (
        Some(if lower <= 0.0 { 0.0 } else { lower }),
        Some(if upper >= 1.0 { 1.0 } else { upper }),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_as_nannyml_default_chunker() {
        assert_eq!(chunk_ranges(100, 10).len(), 10);
        let r = chunk_ranges(105, 10);
        assert_eq!(r.len(), 11);
        assert_eq!(r[10], 100..105);
        assert!(chunk_ranges(5, 10).is_empty());
        assert!(chunk_ranges(5, 0).is_empty());
    }

    #[test]
    fn thresholds_clip_to_unit_range() {
        assert_eq!(std_thresholds(&[f64::NAN]), (None, None));
        let (lo, hi) = std_thresholds(&[0.5, 0.7, f64::NAN]);
        assert!((lo.unwrap_or(-1.0) - 0.3).abs() < 1e-12);
        assert!((hi.unwrap_or(-1.0) - 0.9).abs() < 1e-12);
        assert_eq!(std_thresholds(&[0.1, 0.99]), (Some(0.0), Some(1.0)));
    }
}
