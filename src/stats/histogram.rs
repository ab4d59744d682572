//! Reference-vs-current histograms of one feature, on shared bins, for display.
//!
//! Numeric features use the PSI's bins — the reference's quantiles (deciles by default) — so
//! every bin holds about the same share of the reference, a skewed feature uses the whole
//! width, and each bin's part of the PSI can be shown beside it; categorical features use the
//! categories, most frequent in the reference first, with unseen ones after.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use super::quantile::quantile_edges;
use super::sort::sorted_non_missing;
use crate::data::{Column, ColumnData, MISSING_CODE};

/// Shares of each side per bin (each side sums to 1 over its non-missing values).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Histogram {
    /// Bin labels: the lower edge of numeric bins, or the category.
    pub labels: Vec<String>,
    pub reference: Vec<f64>,
    pub current: Vec<f64>,
}

/// Histogram of a feature in both windows; `None` when the kinds differ or a side is empty.
pub fn histogram(reference: &Column, current: &Column, bins: usize) -> Option<Histogram> {
    match (&reference.data, &current.data) {
        (ColumnData::Numeric(r), ColumnData::Numeric(c)) => numeric(r, c, bins.max(1)),
        (
            ColumnData::Categorical {
                codes: rc,
                dictionary: rd,
            },
            ColumnData::Categorical {
                codes: cc,
                dictionary: cd,
            },
        ) => categorical(rc, rd, cc, cd, bins.max(1)),
        _ => None,
    }
}

fn shares(counts: &[u64]) -> Vec<f64> {
    let total: u64 = counts.iter().sum();
    counts
        .iter()
        .map(|&c| {
            if total == 0 {
                0.0
            } else {
                c as f64 / total as f64
            }
        })
        .collect()
}

fn numeric(r: &[f64], c: &[f64], bins: usize) -> Option<Histogram> {
    let sorted = sorted_non_missing(r);
    if sorted.is_empty() || c.iter().all(|v| v.is_nan()) {
        return None;
    }
    // The PSI's bins: the reference's quantiles, a value on an edge in the bin to its right.
    let edges = quantile_edges(&sorted, bins.max(2));
    let count = |values: &[f64]| {
        let mut counts = vec![0u64; edges.len() + 1];
        for &v in values.iter().filter(|v| !v.is_nan()) {
            counts[edges.partition_point(|&e| e <= v)] += 1;
        }
        counts
    };
    let labels = (0..=edges.len())
        .map(
            |i| match (i.checked_sub(1).map(|j| edges[j]), edges.get(i)) {
                (None, Some(hi)) => format!("< {}", format_edge(*hi)),
                (Some(lo), None) => format!("≥ {}", format_edge(lo)),
                (Some(lo), Some(hi)) => format!("{}–{}", format_edge(lo), format_edge(*hi)),
                (None, None) => "all".to_string(),
            },
        )
        .collect();
    Some(Histogram {
        labels,
        reference: shares(&count(r)),
        current: shares(&count(c)),
    })
}

fn format_edge(v: f64) -> String {
    if v.abs() >= 1e4 || (v != 0.0 && v.abs() < 1e-2) {
        format!("{v:.1e}")
    } else if v.abs() >= 100.0 {
        format!("{v:.0}")
    } else {
        format!("{v:.2}")
    }
}

fn categorical(
    rc: &[u32],
    rd: &[String],
    cc: &[u32],
    cd: &[String],
    max_bins: usize,
) -> Option<Histogram> {
    let mut totals: HashMap<&str, (u64, u64)> = HashMap::new();
    for &code in rc.iter().filter(|&&c| c != MISSING_CODE) {
        if let Some(name) = rd.get(code as usize) {
            totals.entry(name).or_default().0 += 1;
        }
    }
    for &code in cc.iter().filter(|&&c| c != MISSING_CODE) {
        if let Some(name) = cd.get(code as usize) {
            totals.entry(name).or_default().1 += 1;
        }
    }
    if totals.is_empty() {
        return None;
    }
    let mut order: Vec<(&str, (u64, u64))> = totals.into_iter().collect();
    order.sort_by(|a, b| {
        b.1 .0
            .cmp(&a.1 .0)
            .then(b.1 .1.cmp(&a.1 .1))
            .then(a.0.cmp(b.0))
    });
    if order.len() > max_bins {
        let keep = max_bins.saturating_sub(1).max(1);
        let rest = order.split_off(keep);
        let merged = rest
            .iter()
            .fold((0, 0), |(r, c), (_, (a, b))| (r + a, c + b));
        order.push(("(other)", merged));
    }
    let labels = order.iter().map(|(name, _)| name.to_string()).collect();
    let rcounts: Vec<u64> = order.iter().map(|(_, (r, _))| *r).collect();
    let ccounts: Vec<u64> = order.iter().map(|(_, (_, c))| *c).collect();
    Some(Histogram {
        labels,
        reference: shares(&rcounts),
        current: shares(&ccounts),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numeric_histogram_uses_the_psi_bins_so_each_holds_a_tenth_of_the_reference() {
        // A skewed reference: equal-width bins would put most of it in the first bin.
        let values: Vec<f64> = (0..1000).map(|i| (f64::from(i) / 100.0).exp()).collect();
        let r = Column::numeric("x", values.clone());
        let c = Column::numeric("x", values.iter().map(|v| v * 2.0).collect());
        let h = histogram(&r, &c, 10).expect("histogram");
        assert_eq!(h.labels.len(), 10);
        for share in &h.reference {
            assert!((share - 0.1).abs() < 0.002, "{:?}", h.reference);
        }
        assert!((h.current.iter().sum::<f64>() - 1.0).abs() < 1e-12);
        assert!(h.labels[0].starts_with("< ") && h.labels[9].starts_with("≥ "));
        // The PSI detector's bins: edges at the reference's deciles, values on an edge go right.
        let edges = quantile_edges(&sorted_non_missing(&values), 10);
        assert_eq!(edges.len(), 9);
        let below_first = values.iter().filter(|v| **v < edges[0]).count();
        assert_eq!(h.reference[0], below_first as f64 / 1000.0);
    }

    #[test]
    fn numeric_histogram_shares_sum_to_one_and_skip_missing() {
        let r = Column::numeric("x", vec![0.0, 1.0, 2.0, 3.0, f64::NAN]);
        let c = Column::numeric("x", vec![2.0, 3.0, 4.0]);
        let h = histogram(&r, &c, 4).expect("histogram");
        assert_eq!(h.labels.len(), 4);
        assert!((h.reference.iter().sum::<f64>() - 1.0).abs() < 1e-12);
        assert_eq!(h.reference, vec![0.25, 0.25, 0.25, 0.25]);
        assert!((h.current.iter().sum::<f64>() - 1.0).abs() < 1e-12);
        assert!(histogram(&r, &Column::numeric("x", vec![f64::NAN]), 4).is_none());
    }

    #[test]
    fn categorical_histogram_keeps_unseen_categories() {
        let r = Column::categorical("c", &[Some("a"), Some("a"), Some("b")]);
        let c = Column::categorical("c", &[Some("b"), Some("new")]);
        let h = histogram(&r, &c, 10).expect("histogram");
        assert_eq!(h.labels, vec!["a", "b", "new"]);
        assert_eq!(h.current, vec![0.0, 0.5, 0.5]);
    }
}
