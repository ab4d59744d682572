//! Reference-vs-current histograms of one feature, on shared bins, for display.
//!
//! Numeric features use equal-width bins over the union of both sides' ranges (what a person
//! expects of a histogram, unlike PSI's quantile bins); categorical features use the categories,
//! most frequent in the reference first, with unseen ones after.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

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
    let finite = r.iter().chain(c).copied().filter(|v| !v.is_nan());
    let (lo, hi) = finite.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
        (lo.min(v), hi.max(v))
    });
    if !(lo.is_finite() && hi.is_finite()) {
        return None;
    }
    let width = if hi > lo {
        (hi - lo) / bins as f64
    } else {
        1.0
    };
    let count = |values: &[f64]| {
        let mut counts = vec![0u64; bins];
        for &v in values.iter().filter(|v| !v.is_nan()) {
            let i = (((v - lo) / width) as usize).min(bins - 1);
            counts[i] += 1;
        }
        counts
    };
    Some(Histogram {
        labels: (0..bins)
            .map(|i| format_edge(lo + width * i as f64))
            .collect(),
        reference: shares(&count(r)),
        current: shares(&count(c)),
    })
}

fn format_edge(v: f64) -> String {
    if v.abs() >= 1e4 || (v != 0.0 && v.abs() < 1e-2) {
        format!("{v:.2e}")
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
    fn numeric_histogram_shares_sum_to_one_on_shared_bins() {
        let r = Column::numeric("x", vec![0.0, 1.0, 2.0, 3.0, f64::NAN]);
        let c = Column::numeric("x", vec![2.0, 3.0, 4.0]);
        let h = histogram(&r, &c, 4).expect("histogram");
        assert_eq!(h.labels.len(), 4);
        assert!((h.reference.iter().sum::<f64>() - 1.0).abs() < 1e-12);
        assert_eq!(h.reference, vec![0.25, 0.25, 0.25, 0.25]);
        assert_eq!(h.current, vec![0.0, 0.0, 1.0 / 3.0, 2.0 / 3.0]);
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
