//! Tests of `ModelMonitor`: the builder's checks, and that the fast paths (recycled memory,
//! columns sorted in place) give the results of the plain ones.

use super::*;
use crate::drift::DriftDetector;

/// `rows` rows: two numeric features (one with NaN), one categorical, a probability
/// prediction and a target; `shift` moves the first feature.
fn window(name: &str, rows: usize, shift: f64) -> DataWindow {
    let mut x = 0x2545_F491_4F6C_DD1D_u64 ^ rows as u64;
    let mut next = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        (x >> 11) as f64 / (1u64 << 53) as f64
    };
    let a: Vec<f64> = (0..rows).map(|_| next() * 10.0 + shift).collect();
    let b: Vec<f64> = (0..rows)
        .map(|i| if i % 17 == 0 { f64::NAN } else { next() })
        .collect();
    let colours = ["red", "green", "blue"];
    let c: Vec<Option<&str>> = (0..rows).map(|i| Some(colours[i % 3])).collect();
    let p: Vec<f64> = (0..rows).map(|_| next()).collect();
    let t: Vec<f64> = p.iter().map(|&v| f64::from(u8::from(v > 0.4))).collect();
    DataWindow::new(
        name,
        vec![
            Column::numeric("a", a),
            Column::numeric("b", b),
            Column::categorical("c", &c),
        ],
        Some(Column::numeric("prediction", p)),
        Some(Column::numeric("target", t)),
    )
    .expect("columns of one length")
}

#[test]
fn recycled_memory_gives_the_same_results() {
    let reference = window("reference.csv", 400, 0.0);
    let mut plain = ModelMonitor::builder(MonitorConfig::default())
        .build(&reference)
        .expect("fits");
    let mut recycling = ModelMonitor::builder(MonitorConfig::default())
        .build(&reference)
        .expect("fits");
    recycling.recycle(reference);
    // The reference's two numeric features, not its prediction or target.
    assert_eq!(recycling.sort_buffers.len(), 2);
    // Windows larger and smaller than the reference, with and without drift.
    for (rows, shift) in [(300, 0.0), (600, 3.0), (250, 0.0), (400, 5.0)] {
        let w = window("w.csv", rows, shift);
        let a = plain.monitor(&w);
        let b = recycling.monitor(&w);
        assert_eq!(a.drift, b.drift, "{rows} rows");
        assert_eq!(a.data_quality, b.data_quality);
        assert_eq!(a.performance, b.performance);
        assert_eq!(
            a.drift["ad"].features["a"].drifted,
            shift > 0.0,
            "{rows} rows"
        );
        // The window's sorted copies came back for the next one.
        assert_eq!(recycling.sort_buffers.len(), 2);
    }
}

/// A result as JSON without its timestamp (the only field two runs may differ in).
fn comparable(result: &MonitoringResult) -> serde_json::Value {
    let mut value = serde_json::to_value(result).expect("serialises");
    if let Some(object) = value.as_object_mut() {
        object.remove("timestamp");
        for key in ["alerts", "incidents"] {
            for item in object
                .get_mut(key)
                .and_then(|a| a.as_array_mut())
                .into_iter()
                .flatten()
            {
                if let Some(item) = item.as_object_mut() {
                    for time in [
                        "timestamp",
                        "opened_at",
                        "first_opened_at",
                        "updated_at",
                        "resolved_at",
                    ] {
                        item.remove(time);
                    }
                    // A problem's members carry their own times.
                    for member in item
                        .get_mut("members")
                        .and_then(|m| m.as_array_mut())
                        .into_iter()
                        .flatten()
                        .filter_map(|m| m.as_object_mut())
                    {
                        for time in ["opened_at", "updated_at", "resolved_at", "timestamp"] {
                            member.remove(time);
                        }
                    }
                }
            }
        }
    }
    value
}

fn numeric_bits(features: &[Column]) -> Vec<Vec<u64>> {
    features
        .iter()
        .filter_map(|c| c.as_numeric())
        .map(|v| v.iter().map(|x| x.to_bits()).collect())
        .collect()
}

#[test]
fn sorting_in_place_gives_the_same_results() {
    use crate::config::DetectorKind::{Ad, Chi2, Classifier, Ks, Pca, Psi};
    use crate::config::PcaThresholds;
    // KS sorts (in place); PSI and chi-square alone do not need to; the classifier needs
    // the rows in order (no sorting in place); pca reads the rows before they are sorted
    // (the defaults: ad, psi, chi2, pca).
    for (detectors, sorts, thresholds) in [
        (vec![Ks, Psi, Chi2], true, PcaThresholds::Window),
        (vec![Psi, Ks], true, PcaThresholds::Window),
        (vec![Psi, Chi2], false, PcaThresholds::Window),
        (vec![Ks, Classifier], false, PcaThresholds::Window),
        (vec![Ad, Psi, Chi2, Pca], true, PcaThresholds::Window),
        (vec![Pca, Ks], true, PcaThresholds::Chunks),
        (vec![Pca, Psi], false, PcaThresholds::Window),
        (vec![Pca, Ad, Classifier], false, PcaThresholds::Window),
    ] {
        let mut config = MonitorConfig::default();
        config.drift.detectors = detectors.clone();
        config.drift.pca.thresholds = thresholds;
        config.drift.statistical.confirmation_windows = 2;
        let reference = window("reference.csv", 400, 0.0);
        let mut copying = ModelMonitor::builder(config.clone())
            .build(&reference)
            .expect("fits");
        let mut in_place = ModelMonitor::builder(config)
            .build_owned(reference)
            .expect("fits");
        // Drift confirmed only on the second drifting window: the guard's state too.
        for (rows, shift) in [(300, 0.0), (600, 3.0), (250, 3.0), (20, 0.0), (400, 5.0)] {
            let w = window("w.csv", rows, shift);
            let a = copying.monitor(&w);
            let (b, sorted) = in_place.monitor_unordered(w.clone(), Metadata::new());
            assert_eq!(comparable(&a), comparable(&b), "{detectors:?}, {rows} rows");
            let (before, after) = (numeric_bits(w.features()), numeric_bits(sorted.features()));
            if sorts {
                for (mut original, reordered) in before.into_iter().zip(after) {
                    // Each column keeps its values; NaN (one pattern) sorts last.
                    assert!(reordered.windows(2).all(|p| f64::from_bits(p[0])
                        .total_cmp(&f64::from_bits(p[1]))
                        .is_le()));
                    let mut reordered = reordered;
                    let nan = f64::NAN.to_bits();
                    for bits in original.iter_mut().chain(reordered.iter_mut()) {
                        if f64::from_bits(*bits).is_nan() {
                            *bits = nan;
                        }
                    }
                    original.sort_unstable();
                    reordered.sort_unstable();
                    assert_eq!(original, reordered);
                }
            } else {
                assert_eq!(before, after, "{detectors:?}: rows left in order");
            }
        }
        assert_eq!(
            comparable(&copying.history()[4]),
            comparable(&in_place.history()[4])
        );
    }
}

#[test]
fn the_builder_refuses_bad_configuration_and_duplicate_detectors() {
    let reference = window("reference.csv", 100, 0.0);
    let mut config = MonitorConfig::default();
    config.drift.statistical.alpha = 2.0;
    let e = ModelMonitor::builder(config)
        .build(&reference)
        .expect_err("alpha out of range");
    assert!(
        matches!(&e, MonitorError::Config(v) if v.key == "drift.statistical.alpha"),
        "{e}"
    );

    let mut config = MonitorConfig::default();
    config.drift.detectors = vec![DetectorKind::Ks, DetectorKind::Psi, DetectorKind::Ks];
    let e = ModelMonitor::builder(config)
        .build(&reference)
        .expect_err("ks twice");
    assert!(e.to_string().contains("drift.detectors"), "{e}");

    let twice: Vec<Box<dyn DriftDetector>> = vec![
        Box::new(
            StatisticalDriftDetector::new(DetectorKind::Ks, Default::default())
                .expect("a per-feature test"),
        ),
        Box::new(
            StatisticalDriftDetector::new(DetectorKind::Ks, Default::default())
                .expect("a per-feature test"),
        ),
    ];
    let e = ModelMonitor::builder(MonitorConfig::default())
        .detectors(twice)
        .build(&reference)
        .expect_err("custom ks twice");
    assert_eq!(e, MonitorError::DuplicateDetector("ks".into()));
}

#[test]
fn detectors_of_ones_own_run_on_whole_windows() {
    let reference = window("reference.csv", 400, 0.0);
    let own: Vec<Box<dyn DriftDetector>> = vec![Box::new(
        StatisticalDriftDetector::new(DetectorKind::Ks, Default::default())
            .expect("a per-feature test"),
    )];
    let mut custom = ModelMonitor::builder(MonitorConfig::default())
        .detectors(own)
        .build_owned(reference.clone())
        .expect("fits");
    // A detector from outside corrects across its own features only: the built-in one does
    // so under `correction_scope = "detector"` (under "window" it shares chi2's correction).
    let mut per_detector = MonitorConfig::default();
    per_detector.drift.statistical.correction_scope = crate::config::CorrectionScope::Detector;
    per_detector.drift.detectors = vec![DetectorKind::Ks, DetectorKind::Psi, DetectorKind::Chi2];
    let mut built_in = ModelMonitor::builder(per_detector)
        .build(&reference)
        .expect("fits");
    let w = window("w.csv", 300, 3.0);
    let (a, unordered) = custom.monitor_unordered(w.clone(), Metadata::new());
    // An outside detector may read rows: the window was left in order.
    assert_eq!(
        numeric_bits(unordered.features()),
        numeric_bits(w.features())
    );
    assert_eq!(a.drift["ks"], built_in.monitor(&w).drift["ks"]);
}

/// A message that holds its cause's does not also give it as `source()`: printed as a chain
/// (anyhow's `{:#}`), the cause is said once.
#[test]
fn errors_that_quote_their_cause_have_no_source() {
    use std::error::Error;
    let drift = DriftError::Pca("no rows".into());
    let errors: [&dyn Error; 2] = [
        &MonitorError::from(drift.clone()),
        &DriftError::Classifier(crate::drift::ClassifierError::NotRun),
    ];
    for e in errors {
        assert!(e.source().is_none(), "{e}");
    }
    assert_eq!(
        MonitorError::from(drift).to_string(),
        "reference: pca: no rows"
    );
}

#[test]
fn the_fit_cache_gives_the_same_results_and_is_rebuilt_when_stale_or_broken() {
    let dir = tempfile::tempdir().expect("temp dir");
    let cache = FitCache::beside(&dir.path().join("history.sqlite"));
    let file = cache.path(ESTIMATOR);
    let reference = window("reference.csv", 400, 0.0);
    let config = MonitorConfig::default();
    let build = |config: &MonitorConfig, reference: &DataWindow| {
        ModelMonitor::builder(config.clone())
            .fit_cache(cache.clone())
            .build(reference)
            .expect("fits")
    };
    let mut plain = ModelMonitor::builder(config.clone())
        .build(&reference)
        .expect("fits");
    let mut fitted = build(&config, &reference);
    let stored = std::fs::read(&file).expect("the fit wrote its cache");
    let mut cached = build(&config, &reference);
    assert_eq!(plain.estimator(), cached.estimator());
    for (rows, shift) in [(300, 0.0), (600, 3.0)] {
        let w = window("w.csv", rows, shift);
        let a = comparable(&plain.monitor(&w));
        assert_eq!(a, comparable(&fitted.monitor(&w)));
        assert_eq!(a, comparable(&cached.monitor(&w)));
        assert!(a["estimated_performance"].is_object(), "{a}");
    }

    // The second build read the cache: a (valid) state stored for the key is what it uses.
    let target = reference.target_values().expect("target");
    let scores = reference.prediction_values().expect("scores");
    let key = estimator_key(&config, target, scores, None);
    let mut planted = plain.estimator().expect("estimator").clone();
    planted.decision_threshold = 0.25;
    cache.store(ESTIMATOR, key, &planted);
    assert_eq!(build(&config, &reference).estimator(), Some(&planted));

    // A changed setting, a changed reference: fitted anew, and the file rewritten.
    let mut other = config.clone();
    other.estimation.decision_threshold = 0.6;
    let refit = build(&other, &reference);
    assert_eq!(refit.estimator().map(|e| e.decision_threshold), Some(0.6));
    let changed = window("reference.csv", 401, 0.0);
    let refit = build(&config, &changed);
    let fresh = ModelMonitor::builder(config.clone())
        .build(&changed)
        .expect("fits");
    assert_eq!(refit.estimator(), fresh.estimator());
    assert_ne!(std::fs::read(&file).expect("rewritten"), stored);

    // Truncated or corrupt: never trusted, fitted anew and rewritten whole.
    for broken in [
        &stored[..stored.len() / 2],
        &stored[..10],
        b"garbage".as_slice(),
    ] {
        std::fs::write(&file, broken).expect("break the cache");
        let rebuilt = build(&config, &reference);
        assert_eq!(rebuilt.estimator(), plain.estimator());
        assert_eq!(std::fs::read(&file).expect("rewritten"), stored);
    }
}

#[test]
fn the_pca_fit_is_cached_gives_the_same_results_and_is_rebuilt_when_stale_or_broken() {
    use crate::monitoring::cached_fit::detector_key;
    let dir = tempfile::tempdir().expect("temp dir");
    let cache = FitCache::beside(&dir.path().join("history.sqlite"));
    let file = cache.path("pca");
    let reference = window("reference.csv", 400, 0.0);
    let mut config = MonitorConfig::default();
    config.drift.detectors = vec![DetectorKind::Pca, DetectorKind::Ks];
    let builder = |config: &MonitorConfig| ModelMonitor::builder(config.clone());
    let build = |config: &MonitorConfig, reference: &DataWindow| {
        builder(config)
            .fit_cache(cache.clone())
            .build(reference)
            .expect("fits")
    };
    let mut plain = builder(&config).build(&reference).expect("fits");
    let mut fitted = build(&config, &reference);
    let stored = std::fs::read(&file).expect("the fit wrote its cache");
    // Both ways to a monitor read the cache: the reference borrowed, and owned (sorted in
    // place once the pca has read its rows).
    let mut cached = build(&config, &reference);
    let mut owned = builder(&config)
        .fit_cache(cache.clone())
        .build_owned(reference.clone())
        .expect("fits");
    for (rows, shift) in [(300, 0.0), (600, 3.0)] {
        let w = window("w.csv", rows, shift);
        let a = comparable(&plain.monitor(&w));
        assert!(a["drift"]["pca"]["pca"].is_object(), "{a}");
        assert_eq!(a, comparable(&fitted.monitor(&w)));
        assert_eq!(a, comparable(&cached.monitor(&w)));
        assert_eq!(a, comparable(&owned.monitor(&w)));
    }
    assert_eq!(std::fs::read(&file).expect("kept"), stored);

    // A (valid) state stored for the key is what a build uses: one with another mean error
    // gives another effect.
    let settings = serde_json::to_string(&config.drift.pca).expect("settings");
    let key = detector_key("pca", &settings, &reference);
    let mut state = cache.load_state("pca", key).expect("stored for this key");
    let mut head: serde_json::Value = serde_json::from_str(&state.head).expect("json");
    head["row_mean"] = serde_json::json!(head["row_mean"].as_f64().expect("mean") * 2.0);
    state.head = head.to_string();
    cache.store_state("pca", key, &state);
    let w = window("w.csv", 300, 0.0);
    let effect = |m: &mut ModelMonitor| m.monitor(&w).drift["pca"].pca.clone().map(|p| p.effect);
    assert_ne!(effect(&mut build(&config, &reference)), effect(&mut plain));

    // A changed setting, a changed reference: fitted anew, and the file rewritten.
    let mut other = config.clone();
    other.drift.pca.explained_variance = 0.9;
    let fresh = |config: &MonitorConfig, reference: &DataWindow| {
        comparable(&builder(config).build(reference).expect("fits").monitor(&w))
    };
    assert_eq!(
        comparable(&build(&other, &reference).monitor(&w)),
        fresh(&other, &reference)
    );
    let changed = window("reference.csv", 401, 0.0);
    assert_eq!(
        comparable(&build(&config, &changed).monitor(&w)),
        fresh(&config, &changed)
    );
    assert_ne!(std::fs::read(&file).expect("rewritten"), stored);

    // Truncated or corrupt: never trusted, fitted anew and rewritten whole.
    let want = fresh(&config, &reference);
    for broken in [
        &stored[..stored.len() / 2],
        &stored[..stored.len() - 1],
        &stored[..10],
        b"garbage".as_slice(),
    ] {
        std::fs::write(&file, broken).expect("break the cache");
        assert_eq!(comparable(&build(&config, &reference).monitor(&w)), want);
        assert_eq!(std::fs::read(&file).expect("rewritten"), stored);
    }
}

#[test]
fn paging_evidence_of_a_numeric_feature_is_computed_by_the_first_sorting_detector_only() {
    use crate::config::DetectorKind::{Ad, Cvm, Psi};
    let mut config = MonitorConfig::default();
    config.drift.detectors = vec![Psi, Ad, Cvm];
    let mut monitor = ModelMonitor::builder(config)
        .build(&window("reference.csv", 400, 0.0))
        .expect("fits");
    let r = monitor.monitor(&window("w.csv", 300, 3.0));
    let of = |detector: &str| r.drift[detector].features["a"].clone();
    let (ad, cvm) = (of("ad"), of("cvm"));
    assert!(ad.paging_p_value.is_some_and(|p| p < 1e-6), "{ad:?}");
    assert!(ad.effect.is_some_and(|d| d > 0.2), "{ad:?}");
    assert_eq!((cvm.paging_p_value, cvm.effect), (None, None), "{cvm:?}");
    // The categorical feature's evidence is each detector's own chi-square.
    assert!(r.drift["psi"].features["c"].effect.is_some());
}

/// A drift too small to matter is shown and not paged, and the result says which of the page
/// policy's two tests held it back (issue 24 item 2): at 100,000 rows a 0.02 shift of a
/// feature's distribution is significant, but its KS D stays under `[paging] min_effect`.
#[test]
fn the_result_says_which_test_held_a_shown_drift_back_from_paging() {
    use crate::config::DetectorKind::Ad;
    use crate::monitoring::paging::HeldBack;
    let mut config = MonitorConfig::default();
    config.drift.detectors = vec![Ad];
    let mut monitor = ModelMonitor::builder(config)
        .build(&window("reference.csv", 100_000, 0.0))
        .expect("fits");
    let small = monitor.monitor(&window("small.csv", 100_000, 0.2));
    assert!(small.drift["ad"].features["a"].drifted, "shown");
    assert_eq!(
        small.held_back.get("a"),
        Some(&HeldBack::Effect),
        "{:?}",
        small.held_back
    );
    let json = serde_json::to_value(&small).expect("json");
    assert_eq!(json["held_back"]["a"], "effect");
    let large = monitor.monitor(&window("large.csv", 100_000, 3.0));
    assert!(large.drift["ad"].features["a"].drifted);
    assert_eq!(large.held_back.get("a"), None, "a large shift pages");
}

/// What pages is shown: a feature whose own paging evidence (KS at the budget's share) is past
/// the paging level while the per-window test does not flag it (here AD at a correction no
/// window can reach) gets a drift alert of its own, and its problem opens and pages.
#[test]
fn evidence_past_the_paging_level_is_shown_and_pages_though_no_test_flags_it() {
    use crate::config::DetectorKind::Ad;
    use crate::monitoring::alerts::AlertKind;
    use crate::monitoring::ChangeKind;
    let mut config = MonitorConfig::default();
    config.drift.detectors = vec![Ad];
    config.drift.statistical.alpha = 1e-12;
    let mut monitor = ModelMonitor::builder(config)
        .build(&window("reference.csv", 2_000, 0.0))
        .expect("fits");
    let clean = monitor.monitor(&window("clean.csv", 2_000, 0.0));
    assert!(
        !clean.alerts.iter().any(|a| a.kind == AlertKind::DataDrift),
        "{:?}",
        clean.alerts
    );
    let shifted = monitor.monitor(&window("shifted.csv", 2_000, 1.0));
    assert!(
        !shifted.drift["ad"].features["a"].drifted,
        "AD does not flag it"
    );
    let alert = shifted
        .alerts
        .iter()
        .find(|a| a.feature.as_deref() == Some("a"))
        .expect("an alert for a");
    assert_eq!(alert.kind, AlertKind::DataDrift);
    assert_eq!(alert.detector, None);
    assert!(alert.message.contains("KS p"), "{}", alert.message);
    assert_eq!(alert.threshold, Some(0.03));
    assert!(
        shifted
            .incidents
            .iter()
            .any(|c| c.change == ChangeKind::Opened && c.incident.feature.as_deref() == Some("a")),
        "{:?}",
        shifted.incidents
    );
    assert!(shifted.held_back.is_empty(), "{:?}", shifted.held_back);
}
