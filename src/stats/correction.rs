//! Multiple-testing corrections of per-feature p-values.
//!
//! Adjusted p-values (rather than adjusted alphas) are reported so the JSON shows what was
//! compared with alpha; they equal `statsmodels.stats.multitest.multipletests`'s
//! `bonferroni` and `fdr_bh` outputs.

use serde::{Deserialize, Serialize};

/// Multiple-testing correction across a detector's features.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Correction {
    None,
    #[default]
    Bonferroni,
    /// Benjamini–Hochberg false discovery rate.
    Fdr,
}

/// Which p-values one correction covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum CorrectionScope {
    /// Every p-value of every detector in the window, together: a window's verdict ("some
    /// feature drifted under some test") keeps its false-alarm rate at `alpha`.
    #[default]
    Window,
    /// Each detector's features apart (before issue 18's measurement): detectors add their
    /// false-alarm rates.
    Detector,
}

/// Adjusts several groups of p-values (one per detector) as one family, and hands each group
/// its share back: `correction_scope = "window"`.
pub(crate) fn adjust_together(
    groups: &[Vec<Option<f64>>],
    method: Correction,
) -> Vec<Vec<Option<f64>>> {
    let all: Vec<Option<f64>> = groups.iter().flatten().copied().collect();
    let mut adjusted = adjust(&all, method).into_iter();
    groups
        .iter()
        .map(|g| adjusted.by_ref().take(g.len()).collect())
        .collect()
}

/// Adjusts p-values; `None` entries (untested features) stay `None` and do not count as tests.
pub(crate) fn adjust(p_values: &[Option<f64>], method: Correction) -> Vec<Option<f64>> {
    let tested: Vec<(usize, f64)> = p_values
        .iter()
        .enumerate()
        .filter_map(|(i, p)| p.map(|p| (i, p)))
        .collect();
    let m = tested.len() as f64;
    let mut out = vec![None; p_values.len()];
    match method {
        Correction::None => return p_values.to_vec(),
        Correction::Bonferroni => {
            for (i, p) in tested {
                out[i] = Some((p * m).min(1.0));
            }
        }
        Correction::Fdr => {
            let mut order = tested;
            order.sort_by(|a, b| a.1.total_cmp(&b.1));
            let mut running = 1.0f64;
            for (rank, &(i, p)) in order.iter().enumerate().rev() {
                running = running.min(p * m / (rank + 1) as f64).min(1.0);
                out[i] = Some(running);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bonferroni_multiplies_and_caps() {
        let p = [Some(0.01), None, Some(0.2), Some(0.5)];
        let a = adjust(&p, Correction::Bonferroni);
        assert_eq!(
            a,
            vec![Some(0.03), None, Some(0.6000000000000001), Some(1.0)]
        );
    }

    #[test]
    fn benjamini_hochberg_matches_statsmodels() {
        // statsmodels.stats.multitest.multipletests([0.01,0.04,0.03,0.2], method='fdr_bh')[1]
        // -> [0.04, 0.05333333, 0.05333333, 0.2]
        let p = [Some(0.01), Some(0.04), Some(0.03), Some(0.2)];
        let a: Vec<f64> = adjust(&p, Correction::Fdr).into_iter().flatten().collect();
        let want = [0.04, 0.16 / 3.0, 0.16 / 3.0, 0.2];
        for (x, y) in a.iter().zip(want) {
            assert!((x - y).abs() < 1e-12, "{a:?}");
        }
    }

    #[test]
    fn none_is_identity() {
        let p = [Some(0.3), None];
        assert_eq!(adjust(&p, Correction::None), p.to_vec());
    }
}
