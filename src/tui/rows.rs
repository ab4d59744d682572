//! One window's per-feature figures gathered across detectors into table rows, and the sort
//! orders the `s` key cycles through.
//!
//! Detectors report per detector (`ks`, `psi`, `chi2`); a person reads per feature. A feature
//! counts as drifted when any per-feature detector says so. KS covers numeric features and
//! chi-square categorical ones, so each row has one test statistic and one p-value.

use std::cmp::Ordering;
use std::collections::BTreeMap;

use ml_monitor::drift::FeatureStatus;
use ml_monitor::{DriftResult, MonitoringResult};

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

/// Which test produced a row's statistic.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Test {
    Ks,
    ChiSquare,
    None,
}

/// One feature of the drift table.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct FeatureRow {
    /// As in the data (unsanitised: also the selection key).
    pub(crate) name: String,
    pub(crate) test: Test,
    pub(crate) statistic: Option<f64>,
    pub(crate) p_value: Option<f64>,
    pub(crate) psi: Option<f64>,
    pub(crate) missing: Option<f64>,
    pub(crate) drifted: bool,
    pub(crate) status: FeatureStatus,
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
        test: Test::None,
        statistic: None,
        p_value: None,
        psi: None,
        missing: None,
        drifted: false,
        status: FeatureStatus::Ok,
    };
    for (detector, drift) in per_feature(result) {
        for (name, f) in &drift.features {
            let row = rows.entry(name).or_insert_with(|| blank(name));
            row.drifted |= f.drifted;
            row.status = worse_status(row.status, f.status);
            match detector.as_str() {
                "ks" => (row.test, row.statistic, row.p_value) = (Test::Ks, f.statistic, f.p_value),
                "chi2" if row.test != Test::Ks => {
                    (row.test, row.statistic, row.p_value) =
                        (Test::ChiSquare, f.statistic, f.p_value)
                }
                "psi" => row.psi = f.statistic,
                _ => {}
            }
        }
    }
    for (name, q) in &result.data_quality {
        rows.entry(name).or_insert_with(|| blank(name)).missing = Some(q.missing_cur);
    }
    let mut rows: Vec<FeatureRow> = rows.into_values().collect();
    sort_rows(&mut rows, sort);
    rows
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

fn sort_rows(rows: &mut [FeatureRow], sort: SortMode) {
    rows.sort_by(|a, b| {
        let by = match sort {
            SortMode::Worst => b
                .drifted
                .cmp(&a.drifted)
                .then(ascending(a.p_value, b.p_value))
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

/// The classifier detector's AUC, when it ran.
pub(crate) fn classifier_auc(result: &MonitoringResult) -> Option<f64> {
    result.drift.values().find_map(|d| d.auc)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tui::fixtures;

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
        assert_eq!(city.test, Test::ChiSquare);
        assert!(city.psi.is_some() && city.missing.is_some());
        let age = rows.iter().find(|r| r.name == "age").expect("age row");
        assert_eq!(age.test, Test::Ks);
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
