//! One window's per-feature figures gathered across detectors into table rows, and the sort
//! orders the `s` key cycles through.
//!
//! Detectors report per detector (`ks`, `ad`, `cvm`, `wasserstein`, `psi`, `chi2`); a person
//! reads per feature. A feature counts as drifted when any per-feature detector says so. Each row
//! shows the test that decided — the one that drifted, else the smallest p-value, else the
//! largest effect size — with its statistic and p-value (a numeric feature with few distinct
//! values is tested by chi-square, and says so).

use std::cmp::Ordering;
use std::collections::BTreeMap;

use ml_monitor::config::{DetectorKind, Evidence};
use ml_monitor::drift::FeatureStatus;
use ml_monitor::drift::FeatureTest;
use ml_monitor::{drift::DriftResult, MonitoringResult};

/// How the drift table is ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SortMode {
    /// Drifted first, then smallest p-value, then largest PSI.
    Worst,
    Name,
    Psi,
    Missing,
}

impl SortMode {
    pub(crate) fn next(self) -> Self {
        match self {
            SortMode::Worst => SortMode::Name,
            SortMode::Name => SortMode::Psi,
            SortMode::Psi => SortMode::Missing,
            SortMode::Missing => SortMode::Worst,
        }
    }

    pub(crate) fn label(self) -> &'static str {
        match self {
            SortMode::Worst => "worst first",
            SortMode::Name => "name",
            SortMode::Psi => "PSI",
            SortMode::Missing => "missing",
        }
    }
}

/// Which test produced a figure: a per-feature detector, or the rank-sum test a discrete
/// feature gets beside chi-square; ordered as the drift table's columns
/// ([`DetectorKind::table_rank`], the rank sum right after chi-square).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Test {
    Detector(DetectorKind),
    /// Mann–Whitney's rank sum, beside chi-square on a discrete feature (`"test": "mwu"`).
    RankSum,
}

impl Test {
    fn rank(self) -> u16 {
        match self {
            Test::Detector(k) => u16::from(k.table_rank()) * 2,
            Test::RankSum => u16::from(DetectorKind::Chi2.table_rank()) * 2 + 1,
        }
    }

    /// The detector, when the test is one.
    pub(crate) fn kind(self) -> Option<DetectorKind> {
        match self {
            Test::Detector(k) => Some(k),
            Test::RankSum => None,
        }
    }

    /// The short name the table shows.
    pub(crate) fn label(self) -> &'static str {
        match self {
            Test::Detector(k) => k.label(),
            Test::RankSum => "MWU",
        }
    }

    /// The test a per-feature detector's entry ran (`"test": "chi2"` or `"mwu"` overrides the
    /// detector's); PSI has a column of its own.
    fn of(detector: &str, test: Option<FeatureTest>) -> Option<Test> {
        match test {
            Some(FeatureTest::Chi2) => Some(Test::Detector(DetectorKind::Chi2)),
            Some(FeatureTest::RankSum) => Some(Test::RankSum),
            None => detector
                .parse::<DetectorKind>()
                .ok()
                .filter(|k| k.per_feature() && *k != DetectorKind::Psi)
                .map(Test::Detector),
        }
    }
}

impl Ord for Test {
    fn cmp(&self, other: &Self) -> Ordering {
        self.rank().cmp(&other.rank())
    }
}

impl PartialOrd for Test {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// How strongly an entry speaks for drift: drifted first, then tests with a p-value (smaller
/// is stronger), then effect sizes (larger is stronger).
fn strength(drifted: bool, p_value: Option<f64>, statistic: Option<f64>) -> (bool, u8, f64) {
    match (
        p_value.filter(|p| !p.is_nan()),
        statistic.filter(|s| !s.is_nan()),
    ) {
        (Some(p), _) => (drifted, 2, -p),
        (None, Some(s)) => (drifted, 1, s),
        (None, None) => (drifted, 0, 0.0),
    }
}

/// One feature of the drift table.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct FeatureRow {
    /// As in the data (unsanitised: also the selection key).
    pub(crate) name: String,
    /// The test that decides the row (`None` when only PSI ran).
    pub(crate) test: Option<Test>,
    pub(crate) statistic: Option<f64>,
    pub(crate) p_value: Option<f64>,
    pub(crate) psi: Option<f64>,
    pub(crate) missing: Option<f64>,
    pub(crate) drifted: bool,
    pub(crate) status: FeatureStatus,
    /// Every test's statistic for this feature, and whether that test flagged it.
    pub(crate) figures: BTreeMap<Test, Figure>,
    /// The smallest p-value after correction (raw when none applies) of the tests that give
    /// one, and whether a test with a p-value flagged the feature.
    pub(crate) p_adjusted: Option<f64>,
    /// `p_adjusted` is only a bound, computed from a capped p-value (Anderson–Darling's
    /// [0.001, 0.25]): `Less`, the true one is below it; `Greater`, above.
    pub(crate) p_bound: Option<Ordering>,
    pub(crate) p_drifted: bool,
    pub(crate) missing_ref: Option<f64>,
}

/// One test's statistic in a row.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Figure {
    pub(crate) statistic: Option<f64>,
    pub(crate) drifted: bool,
    /// Computed on a profile's grid (within a stated bound of the rows' figure).
    pub(crate) approximate: bool,
}

/// The per-feature detectors of a result (the classifier is multivariate).
fn per_feature(result: &MonitoringResult) -> impl Iterator<Item = (&String, &DriftResult)> {
    result
        .drift
        .iter()
        .filter(|(_, d)| d.auc.is_none() && !d.features.is_empty())
}

/// The rows of a window, sorted.
pub(crate) fn feature_rows(result: &MonitoringResult, sort: SortMode) -> Vec<FeatureRow> {
    let mut rows: BTreeMap<&str, FeatureRow> = BTreeMap::new();
    let blank = |name: &str| FeatureRow {
        name: name.to_string(),
        test: None,
        statistic: None,
        p_value: None,
        psi: None,
        missing: None,
        drifted: false,
        status: FeatureStatus::Ok,
        figures: BTreeMap::new(),
        p_adjusted: None,
        p_bound: None,
        p_drifted: false,
        missing_ref: None,
    };
    let mut deciding: BTreeMap<&str, (bool, u8, f64)> = BTreeMap::new();
    for (detector, drift) in per_feature(result) {
        for (name, f) in &drift.features {
            let row = rows.entry(name).or_insert_with(|| blank(name));
            row.drifted |= f.drifted;
            row.status = worse_status(row.status, f.status);
            let psi = detector == DetectorKind::Psi.key();
            let test = if psi {
                Some(Test::Detector(DetectorKind::Psi))
            } else {
                Test::of(detector, f.test)
            };
            if let Some(test) = test {
                let figure = row.figures.entry(test).or_insert(Figure {
                    statistic: f.statistic,
                    drifted: false,
                    approximate: f.statistic_error_bound.is_some(),
                });
                figure.drifted |= f.drifted;
                if let Some(p) = f.p_value_adjusted.or(f.p_value).filter(|p| !p.is_nan()) {
                    if row.p_adjusted.is_none_or(|best| p < best) {
                        row.p_adjusted = Some(p);
                        row.p_bound = p_bound(test, f.p_value, p);
                    }
                    row.p_drifted |= f.drifted;
                }
            }
            if psi {
                row.psi = f.statistic;
            } else if let Some(test) = Test::of(detector, f.test) {
                let s = strength(f.drifted, f.p_value, f.statistic);
                let stronger = deciding
                    .get(name.as_str())
                    .is_none_or(|best| s.partial_cmp(best) == Some(Ordering::Greater));
                if stronger {
                    deciding.insert(name, s);
                    (row.test, row.statistic, row.p_value) = (Some(test), f.statistic, f.p_value);
                }
            }
        }
    }
    for (name, q) in &result.data_quality {
        let row = rows.entry(name).or_insert_with(|| blank(name));
        row.missing = Some(q.missing_cur);
        row.missing_ref = Some(q.missing_ref);
    }
    let mut rows: Vec<FeatureRow> = rows.into_values().collect();
    sort_rows(&mut rows, sort);
    rows
}

/// Whether a test's (adjusted) p-value `p` is only a bound, because the raw one is capped.
/// An adjusted p-value of 1 is exact whatever the raw one was.
fn p_bound(test: Test, raw: Option<f64>, p: f64) -> Option<Ordering> {
    use ml_monitor::stats::p_value_bound;
    if test != Test::Detector(DetectorKind::Ad) {
        return None;
    }
    raw.and_then(p_value_bound)
        .filter(|b| !(*b == Ordering::Greater && p >= 1.0))
}

fn worse_status(a: FeatureStatus, b: FeatureStatus) -> FeatureStatus {
    let rank = |s| match s {
        FeatureStatus::Ok => 0,
        FeatureStatus::Constant => 1,
        FeatureStatus::InsufficientData => 2,
    };
    if rank(b) > rank(a) {
        b
    } else {
        a
    }
}

/// Ascending by value, missing and NaN last.
fn ascending(a: Option<f64>, b: Option<f64>) -> Ordering {
    let clean = |v: Option<f64>| v.filter(|x| !x.is_nan());
    match (clean(a), clean(b)) {
        (Some(x), Some(y)) => x.total_cmp(&y),
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        (None, None) => Ordering::Equal,
    }
}

/// Descending by value, missing and NaN still last.
fn descending(a: Option<f64>, b: Option<f64>) -> Ordering {
    ascending(a.map(|x| -x), b.map(|x| -x))
}

/// The statistic of a row decided by an effect size (no p-value).
fn effect(row: &FeatureRow) -> Option<f64> {
    row.test
        .and_then(Test::kind)
        .is_some_and(|k| k.evidence() == Evidence::Effect)
        .then_some(row.statistic)
        .flatten()
}

fn sort_rows(rows: &mut [FeatureRow], sort: SortMode) {
    rows.sort_by(|a, b| {
        let by = match sort {
            SortMode::Worst => b
                .drifted
                .cmp(&a.drifted)
                .then(ascending(a.p_value, b.p_value))
                .then(descending(effect(a), effect(b)))
                .then(descending(a.psi, b.psi)),
            SortMode::Name => Ordering::Equal,
            SortMode::Psi => descending(a.psi, b.psi),
            SortMode::Missing => descending(a.missing, b.missing),
        };
        by.then_with(|| a.name.cmp(&b.name))
    });
}

/// Share of features drifted under any per-feature detector; `None` without such detectors.
pub(crate) fn drift_share(result: &MonitoringResult) -> Option<f64> {
    let mut features: BTreeMap<&str, bool> = BTreeMap::new();
    for (_, drift) in per_feature(result) {
        for (name, f) in &drift.features {
            *features.entry(name).or_default() |= f.drifted;
        }
    }
    (!features.is_empty())
        .then(|| features.values().filter(|d| **d).count() as f64 / features.len() as f64)
}

/// The pca detector's mean reconstruction error and upper threshold, when it ran.
pub(crate) fn pca_error(result: &MonitoringResult) -> Option<(f64, Option<f64>)> {
    result
        .drift
        .values()
        .find_map(|d| d.pca.as_ref())
        .map(|p| (p.reconstruction_error, p.upper_threshold))
}

/// The classifier detector's AUC, when it ran.
pub(crate) fn classifier_auc(result: &MonitoringResult) -> Option<f64> {
    result.drift.values().find_map(|d| d.auc)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tui::fixtures;

    fn entry(
        statistic: f64,
        p_value: Option<f64>,
        drifted: bool,
        test: Option<&str>,
    ) -> ml_monitor::drift::FeatureDrift {
        ml_monitor::drift::FeatureDrift {
            statistic: Some(statistic),
            p_value,
            p_value_adjusted: p_value,
            drifted,
            status: FeatureStatus::Ok,
            test: test.and_then(|t| serde_json::from_value(serde_json::json!(t)).ok()),
            statistic_error_bound: None,
            p_value_approximate: None,
            effect: None,
            paging_p_value: None,
        }
    }

    fn detector(features: Vec<(&str, ml_monitor::drift::FeatureDrift)>) -> DriftResult {
        let mut result = fixtures::result(3, false).drift["ks"].clone();
        result.features = features
            .into_iter()
            .map(|(n, f)| (n.to_string(), f))
            .collect();
        result
    }

    #[test]
    fn the_deciding_test_is_shown_and_worst_first_spans_tests() {
        let mut result = fixtures::result(3, false);
        result.drift.clear();
        result.data_quality.clear();
        result.drift.insert(
            "ad".into(),
            detector(vec![
                ("u", entry(0.5, Some(0.25), false, None)),
                ("v", entry(9.0, Some(0.001), true, None)),
                ("k", entry(40.0, Some(1e-6), true, Some("chi2"))),
            ]),
        );
        result.drift.insert(
            "wasserstein".into(),
            detector(vec![
                ("u", entry(0.3, None, true, None)),
                ("v", entry(0.05, None, false, None)),
                ("k", entry(0.9, Some(1e-6), true, Some("chi2"))),
                ("w", entry(0.2, None, true, None)),
            ]),
        );
        let rows = feature_rows(&result, SortMode::Worst);
        let by = |n: &str| rows.iter().find(|r| r.name == n).expect("row").clone();
        assert_eq!(by("k").test, Some(Test::Detector(DetectorKind::Chi2)));
        assert_eq!(
            by("v").test,
            Some(Test::Detector(DetectorKind::Ad)),
            "a drifted p-value test decides"
        );
        assert_eq!(
            by("u").test,
            Some(Test::Detector(DetectorKind::Wasserstein)),
            "the drifted effect size decides"
        );
        assert_eq!(by("u").statistic, Some(0.3));
        let names: Vec<&str> = rows.iter().map(|r| r.name.as_str()).collect();
        // Drifted: k (p 1e-6), v (p 0.001), then effect sizes u (0.3), w (0.2).
        assert_eq!(names, ["k", "v", "u", "w"]);
        assert_eq!(Test::Detector(DetectorKind::Cvm).label(), "CvM");
    }

    #[test]
    fn a_discrete_feature_names_the_test_that_decided() {
        let chi2 = Some(Test::Detector(DetectorKind::Chi2));
        assert_eq!(Test::of("ad", Some(FeatureTest::Chi2)), chi2);
        assert_eq!(
            Test::of("ad", Some(FeatureTest::RankSum)),
            Some(Test::RankSum)
        );
        assert_eq!(
            Test::of("ks", Some(FeatureTest::RankSum)),
            Some(Test::RankSum)
        );
        assert_eq!(Test::of("ad", None), Some(Test::Detector(DetectorKind::Ad)));
        assert_eq!(Test::RankSum.label(), "MWU");
        assert!(chi2 < Some(Test::RankSum));
        assert!(Test::RankSum < Test::Detector(DetectorKind::Psi));
    }

    #[test]
    fn rows_merge_detectors_and_put_the_worst_first() {
        let result = fixtures::result(3, true);
        let rows = feature_rows(&result, SortMode::Worst);
        let names: Vec<&str> = rows.iter().map(|r| r.name.as_str()).collect();
        assert_eq!(names[0], "income");
        assert!(
            rows[0].drifted && rows[1].drifted && !rows[2].drifted,
            "{rows:#?}"
        );
        let city = rows.iter().find(|r| r.name == "city").expect("city row");
        assert_eq!(city.test, Some(Test::Detector(DetectorKind::Chi2)));
        assert!(city.psi.is_some() && city.missing.is_some());
        let age = rows.iter().find(|r| r.name == "age").expect("age row");
        assert_eq!(age.test, Some(Test::Detector(DetectorKind::Ks)));
        assert_eq!(age.status, FeatureStatus::InsufficientData);
    }

    #[test]
    fn every_sort_mode_orders_as_it_says() {
        let result = fixtures::result(3, true);
        let names = |s| {
            feature_rows(&result, s)
                .into_iter()
                .map(|r| r.name)
                .collect::<Vec<_>>()
        };
        let mut sorted = names(SortMode::Worst);
        sorted.sort();
        assert_eq!(names(SortMode::Name), sorted);
        let psi: Vec<Option<f64>> = feature_rows(&result, SortMode::Psi)
            .iter()
            .map(|r| r.psi)
            .collect();
        let known: Vec<f64> = psi.iter().flatten().copied().collect();
        assert!(known.windows(2).all(|w| w[0] >= w[1]), "{psi:?}");
        assert!(
            psi.iter().skip_while(|p| p.is_some()).all(|p| p.is_none()),
            "missing PSI last"
        );
        let mut mode = SortMode::Worst;
        for _ in 0..4 {
            mode = mode.next();
        }
        assert_eq!(mode, SortMode::Worst);
    }

    #[test]
    fn share_counts_a_feature_once_across_detectors() {
        let result = fixtures::result(3, true);
        let share = drift_share(&result).expect("share");
        let rows = feature_rows(&result, SortMode::Name);
        let drifted = rows.iter().filter(|r| r.drifted).count() as f64;
        assert!((share - drifted / rows.len() as f64).abs() < 1e-12);
        assert_eq!(classifier_auc(&result), Some(0.81));
        assert_eq!(drift_share(&fixtures::error_result(4)), None);
    }
}
