//! What the metrics say: counters since start, the last window's figures, and their text.
//!
//! The registry is rebuilt from this state after every window rather than updated in place, so
//! a feature, detector or metric that is gone from the last window is gone from the text too,
//! and a figure that is null in the JSON output (or not finite) is simply never registered:
//! absent, never NaN or 0. Only the processing-time histogram is one long-lived object.

use std::collections::{BTreeMap, BTreeSet, HashSet};

use ml_monitor::MonitoringResult;
use prometheus_client::encoding::prometheus_text;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;

/// Every metric name starts with this.
pub const PREFIX: &str = "ml_monitor";

/// Upper bounds (seconds) of the processing-time histogram: a small file in milliseconds up to
/// a classifier run on a large window.
const PROCESSING_BUCKETS: [f64; 13] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0,
];

type Labels = Vec<(&'static str, String)>;
type FloatGauge = Gauge<f64, std::sync::atomic::AtomicU64>;
type GaugeFamily = Family<Labels, FloatGauge>;

/// Performance fields that are not a quality figure.
const NOT_PERFORMANCE: [&str; 1] = ["n_classes"];

/// Counters since start and the figures of the last window that had any.
pub struct MetricsState {
    windows: u64,
    errors: u64,
    processing: Histogram,
    /// Alerts raised since start, by (level, kind).
    alerts: BTreeMap<(String, String), u64>,
    /// Firing incidents by (level, kind); `None` until someone reports them.
    incidents: Option<BTreeMap<(String, String), u64>>,
    /// The last result without an error: an unreadable window changes only the counters.
    last: Option<MonitoringResult>,
    max_features: usize,
}

/// The exposition text, and whether per-feature series were cut.
pub struct Rendered {
    pub text: String,
    /// `(features in the window, features exported)` when `max_features` cut.
    pub cut: Option<(usize, usize)>,
}

impl MetricsState {
    pub fn new(max_features: usize) -> Self {
        MetricsState {
            windows: 0,
            errors: 0,
            processing: Histogram::new(PROCESSING_BUCKETS),
            alerts: BTreeMap::new(),
            incidents: None,
            last: None,
            max_features: max_features.max(1),
        }
    }

    /// Counts a completed window (an error result too) and keeps its figures.
    pub fn observe(&mut self, result: &MonitoringResult, seconds: f64) {
        self.windows += 1;
        if seconds.is_finite() && seconds >= 0.0 {
            self.processing.observe(seconds);
        }
        for alert in &result.alerts {
            *self
                .alerts
                .entry((
                    alert.level.as_str().to_string(),
                    alert.kind.as_str().to_string(),
                ))
                .or_insert(0) += 1;
        }
        if result.error.is_some() {
            self.errors += 1;
        } else {
            self.last = Some(result.clone());
        }
    }

    /// Shows a window's figures without counting it (the last result of a kept history, so a
    /// restarted monitor is not blank until the next window).
    pub fn seed(&mut self, result: &MonitoringResult) {
        if result.error.is_none() {
            self.last = Some(result.clone());
        }
    }

    /// Replaces the firing-incident counts.
    pub fn set_incidents(&mut self, firing: BTreeMap<(String, String), u64>) {
        self.incidents = Some(firing);
    }

    /// The Prometheus text exposition (format 0.0.4) of the state.
    pub fn render(&self) -> Rendered {
        let mut registry = Registry::with_prefix(PREFIX);
        registry.register(
            "windows",
            "Windows processed since start, unreadable ones included",
            counter(self.windows),
        );
        registry.register(
            "window_errors",
            "Windows since start that could not be read or evaluated",
            counter(self.errors),
        );
        registry.register(
            "window_processing_seconds",
            "Time to read, evaluate and record a window",
            self.processing.clone(),
        );
        if !self.alerts.is_empty() {
            let family = Family::<Labels, Counter>::default();
            for ((level, kind), n) in &self.alerts {
                family
                    .get_or_create(&vec![("level", level.clone()), ("kind", kind.clone())])
                    .inc_by(*n);
            }
            registry.register("alerts", "Alerts raised since start", family);
        }
        if let Some(incidents) = &self.incidents {
            let family = GaugeFamily::default();
            for ((level, kind), n) in incidents {
                family
                    .get_or_create(&vec![("level", clean(level)), ("kind", clean(kind))])
                    .set(*n as f64);
            }
            registry.register("incidents_firing", "Incidents firing now", family);
        }
        let cut = match &self.last {
            Some(result) => register_window(&mut registry, result, self.max_features),
            None => None,
        };
        let mut text = String::new();
        // Writing into a String cannot fail.
        let _ = prometheus_text::encode(&mut text, &registry);
        Rendered { text, cut }
    }
}

fn counter(value: u64) -> Counter {
    let c = Counter::default();
    c.inc_by(value);
    c
}

fn gauge(value: f64) -> FloatGauge {
    let g = FloatGauge::default();
    g.set(value);
    g
}

fn flag(value: bool) -> f64 {
    if value {
        1.0
    } else {
        0.0
    }
}

/// A label value as the data has it, without control characters (the encoder escapes `\`
/// and `"`).
pub fn clean(text: &str) -> String {
    text.chars().filter(|c| !c.is_control()).collect()
}

/// Gauges named `name` with one series per label set; registered only when one has a value.
struct Gauges {
    family: GaugeFamily,
    any: bool,
}

impl Gauges {
    fn new() -> Self {
        Gauges {
            family: GaugeFamily::default(),
            any: false,
        }
    }

    /// Sets a series when the value is a finite number (null and NaN in the JSON stay absent).
    fn set(&mut self, labels: Labels, value: Option<f64>) {
        if let Some(v) = value.filter(|v| v.is_finite()) {
            self.family.get_or_create(&labels).set(v);
            self.any = true;
        }
    }

    fn register(self, registry: &mut Registry, name: &str, help: &str) {
        if self.any {
            registry.register(name, help, self.family);
        }
    }
}

/// The features given series: the first `max` names (over every detector and the quality
/// table), each with its label value; names that only differ by control characters keep the
/// first, so no two series collide.
fn exported_features(result: &MonitoringResult, max: usize) -> (BTreeMap<&str, String>, usize) {
    let mut names: BTreeSet<&str> = result.data_quality.keys().map(String::as_str).collect();
    for d in result.drift.values() {
        names.extend(d.features.keys().map(String::as_str));
        if let Some(importances) = &d.feature_importances {
            names.extend(importances.keys().map(String::as_str));
        }
    }
    let total = names.len();
    let mut seen = HashSet::new();
    let kept = names
        .into_iter()
        .take(max)
        .filter_map(|n| {
            let label = clean(n);
            seen.insert(label.clone()).then_some((n, label))
        })
        .collect();
    (kept, total)
}

/// Registers the last window's figures; returns `(total, kept)` when features were cut.
fn register_window(
    registry: &mut Registry,
    result: &MonitoringResult,
    max_features: usize,
) -> Option<(usize, usize)> {
    registry.register(
        "last_window_timestamp_seconds",
        "Unix time of the window whose figures these are",
        gauge(result.timestamp.timestamp_millis() as f64 / 1000.0),
    );
    registry.register(
        "window_rows",
        "Rows in the last window",
        gauge(result.rows as f64),
    );

    let mut detected = Gauges::new();
    let mut score = Gauges::new();
    let mut statistic = Gauges::new();
    let mut p_value = Gauges::new();
    let mut drifted = Gauges::new();
    let mut importance = Gauges::new();
    let (features, total) = exported_features(result, max_features);
    for (detector, d) in &result.drift {
        let detector = clean(detector);
        let labels = vec![("detector", detector.clone())];
        detected.set(labels.clone(), Some(flag(d.drift_detected)));
        score.set(labels, Some(d.drift_score));
        for (name, f) in &d.features {
            let Some(label) = features.get(name.as_str()) else {
                continue;
            };
            let labels = vec![("detector", detector.clone()), ("feature", label.clone())];
            statistic.set(labels.clone(), f.statistic);
            p_value.set(labels.clone(), f.p_value);
            drifted.set(labels, Some(flag(f.drifted)));
        }
        for (name, v) in d.feature_importances.iter().flatten() {
            if let Some(label) = features.get(name.as_str()) {
                let labels = vec![("detector", detector.clone()), ("feature", label.clone())];
                importance.set(labels, Some(*v));
            }
        }
    }
    detected.register(
        registry,
        "drift_detected",
        "1 when the detector reports (confirmed) drift, else 0",
    );
    score.register(
        registry,
        "drift_score",
        "Share of drifted features (per-feature detectors) or the classifier's AUC",
    );
    statistic.register(
        registry,
        "feature_drift_statistic",
        "A feature's test statistic: KS D, PSI or chi-square",
    );
    p_value.register(
        registry,
        "feature_p_value",
        "A feature's raw p-value (KS, chi-square), before the multiple-testing correction",
    );
    drifted.register(
        registry,
        "feature_drifted",
        "1 when the feature drifts (after the correction), else 0",
    );
    importance.register(
        registry,
        "feature_importance",
        "The classifier's normalised importance of a feature",
    );

    let mut missing = Gauges::new();
    let mut out_of_range = Gauges::new();
    let mut unseen = Gauges::new();
    for (name, q) in &result.data_quality {
        let Some(label) = features.get(name.as_str()) else {
            continue;
        };
        let labels = vec![("feature", label.clone())];
        missing.set(labels.clone(), Some(q.missing_cur));
        out_of_range.set(labels.clone(), q.out_of_range);
        unseen.set(labels, q.unseen_category);
    }
    missing.register(
        registry,
        "feature_missing_ratio",
        "Share of the window's rows where the feature is missing",
    );
    out_of_range.register(
        registry,
        "feature_out_of_range_ratio",
        "Numeric feature: share of values outside the reference's [min, max]",
    );
    unseen.register(
        registry,
        "feature_unseen_category_ratio",
        "Categorical feature: share of rows whose category the reference never saw",
    );

    let mut performance = Gauges::new();
    if let Some(serde_json::Value::Object(fields)) = result
        .performance
        .as_ref()
        .and_then(|p| serde_json::to_value(p).ok())
    {
        for (metric, value) in fields {
            if !NOT_PERFORMANCE.contains(&metric.as_str()) {
                performance.set(vec![("metric", clean(&metric))], value.as_f64());
            }
        }
    }
    performance.register(
        registry,
        "performance",
        "Model quality on the window's targets (accuracy, f1, roc_auc, r2, rmse, ...)",
    );

    if let Some(mean) = result
        .predictions
        .as_ref()
        .map(|p| p.mean)
        .filter(|m| m.is_finite())
    {
        registry.register(
            "prediction_mean",
            "Mean of the window's predictions",
            gauge(mean),
        );
    }
    if let Some(shift) = result.prediction_shift.filter(|s| s.is_finite()) {
        registry.register(
            "prediction_shift",
            "|mean(current predictions) - mean(reference predictions)|",
            gauge(shift),
        );
    }
    (total > max_features).then_some((total, max_features))
}
