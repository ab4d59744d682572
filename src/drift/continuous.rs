//! The continuous two-sample tests beyond KS — Anderson–Darling (`ad`), Cramér–von Mises
//! (`cvm`) and the normed Wasserstein distance (`wasserstein`) — on a feature's sorted values.
//!
//! Kept apart from `statistical.rs` so that detector's dispatch stays one line per test; the
//! numbers themselves live in `crate::stats`.

use crate::config::DetectorKind;
use crate::stats::{anderson_darling, cramer_von_mises, wasserstein};

/// Which of the tests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContinuousTest {
    Ad,
    Cvm,
    Wasserstein,
}

impl ContinuousTest {
    /// The test a detector runs on a numeric feature's sorted values beyond KS, if any.
    pub fn of(kind: DetectorKind) -> Option<ContinuousTest> {
        match kind {
            DetectorKind::Ad => Some(ContinuousTest::Ad),
            DetectorKind::Cvm => Some(ContinuousTest::Cvm),
            DetectorKind::Wasserstein => Some(ContinuousTest::Wasserstein),
            DetectorKind::Ks
            | DetectorKind::Psi
            | DetectorKind::Chi2
            | DetectorKind::Classifier
            | DetectorKind::Pca => None,
        }
    }
}

/// One feature's outcome: statistic and p-value (`None` for the effect size), or `None`
/// when the test cannot run on these samples.
#[cfg(test)]
fn run(
    test: ContinuousTest,
    reference: &[f64],
    reference_std: f64,
    current: &[f64],
) -> Option<(f64, Option<f64>)> {
    run_with_ks(test, reference, reference_std, current).0
}

/// One feature's outcome (statistic and p-value, `None` for the effect size; `None` when the
/// test cannot run on these samples), and the KS statistic of the samples when the test's
/// merge gave it on the way (Anderson–Darling does: see `crate::stats::ecdf_gap`).
pub(crate) fn run_with_ks(
    test: ContinuousTest,
    reference: &[f64],
    reference_std: f64,
    current: &[f64],
) -> (Option<(f64, Option<f64>)>, Option<f64>) {
    if reference.is_empty() || current.is_empty() {
        return (None, None);
    }
    // One value on both sides: nothing differs. scipy refuses AD there and gives CvM a
    // spurious small p-value from the all-tied ranks; the detectors report no difference.
    let pooled_constant = reference.first() == reference.last()
        && current.first() == current.last()
        && reference.first() == current.first();
    let outcome = match test {
        ContinuousTest::Ad | ContinuousTest::Cvm if pooled_constant => Some((0.0, Some(1.0))),
        ContinuousTest::Ad => {
            let (outcome, ks) = anderson_darling::anderson_ksamp_sorted_with_ks(reference, current);
            return (outcome.map(|o| (o.statistic, Some(o.p_value))), ks);
        }
        ContinuousTest::Cvm => cramer_von_mises::cramervonmises_2samp_sorted(reference, current)
            .map(|o| (o.statistic, Some(o.p_value))),
        ContinuousTest::Wasserstein => wasserstein::wasserstein_sorted(reference, current)
            .map(|d| (wasserstein::normed(d, reference_std), None)),
    };
    (outcome, None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pooled_constant_is_no_difference() {
        let a = [2.0; 40];
        for t in [ContinuousTest::Ad, ContinuousTest::Cvm] {
            assert_eq!(run(t, &a, 0.0, &a), Some((0.0, Some(1.0))));
        }
        assert_eq!(
            run(ContinuousTest::Wasserstein, &a, 0.0, &a),
            Some((0.0, None))
        );
        assert_eq!(run(ContinuousTest::Ad, &[], 0.0, &a), None);
    }
}
