//! The one rule that turns a feature's tested figures into a verdict, for raw windows
//! (`statistical.rs`) and profiles (`crate::profile`) alike, so a profile window and the same
//! rows read raw can never be judged by two rules.

use super::FeatureStatus;
use crate::config::{DetectorKind, Evidence, StatisticalConfig};

/// One feature's figures under one detector, after the window's correction.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Tested {
    pub statistic: Option<f64>,
    /// The corrected p-value (the raw one when no correction applies).
    pub p_adjusted: Option<f64>,
    pub status: FeatureStatus,
    /// A numeric feature with few distinct values, tested by chi-square on its values.
    pub discrete: bool,
}

/// Whether the feature drifted: its p-value below `alpha` (and KS's D at least
/// `min_statistic`), or its effect size past its threshold. A feature that could not be tested
/// never drifts. The rule follows the detector's [`Evidence`], so a new p-value test needs no
/// line here. Classifier and pca judge every feature together, in their own detectors.
pub fn feature_drifted(kind: DetectorKind, tested: &Tested, c: &StatisticalConfig) -> bool {
    if tested.status == FeatureStatus::InsufficientData {
        return false;
    }
    let significant = tested.statistic.is_some() && tested.p_adjusted.is_some_and(|p| p < c.alpha);
    if tested.discrete {
        return significant;
    }
    match kind.evidence() {
        Evidence::PValue => {
            // KS alone may also ask for a minimum D (`min_statistic`).
            significant
                && (kind != DetectorKind::Ks
                    || tested.statistic.is_some_and(|d| d >= c.min_statistic))
        }
        Evidence::Effect => match (tested.statistic, kind.effect_threshold(c)) {
            (Some(s), Some(threshold)) => s > threshold,
            _ => false,
        },
        // The classifier judges every feature together, in its own detector.
        Evidence::Auc => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tested(statistic: f64, p: Option<f64>) -> Tested {
        Tested {
            statistic: Some(statistic),
            p_adjusted: p,
            status: FeatureStatus::Ok,
            discrete: false,
        }
    }

    #[test]
    fn each_detector_by_its_own_figure() {
        let c = StatisticalConfig {
            min_statistic: 0.1,
            ..StatisticalConfig::default()
        };
        assert!(feature_drifted(
            DetectorKind::Ks,
            &tested(0.2, Some(0.001)),
            &c
        ));
        assert!(!feature_drifted(
            DetectorKind::Ks,
            &tested(0.05, Some(0.001)),
            &c
        ));
        for kind in [DetectorKind::Ad, DetectorKind::Cvm, DetectorKind::Chi2] {
            assert!(
                feature_drifted(kind, &tested(9.0, Some(0.001)), &c),
                "{kind}"
            );
            assert!(
                !feature_drifted(kind, &tested(9.0, Some(0.5)), &c),
                "{kind}"
            );
        }
        assert!(feature_drifted(DetectorKind::Psi, &tested(0.3, None), &c));
        assert!(!feature_drifted(DetectorKind::Psi, &tested(0.1, None), &c));
        assert!(feature_drifted(
            DetectorKind::Wasserstein,
            &tested(0.2, None),
            &c
        ));
        let discrete = Tested {
            discrete: true,
            ..tested(0.01, Some(0.001))
        };
        assert!(feature_drifted(DetectorKind::Wasserstein, &discrete, &c));
        let insufficient = Tested {
            status: FeatureStatus::InsufficientData,
            ..tested(0.9, Some(0.0))
        };
        assert!(!feature_drifted(DetectorKind::Ks, &insufficient, &c));
    }
}
