//! What the metrics say: counters since start, the last window's figures, and their text.
//!
//! The registry is rebuilt from this state after every window rather than updated in place, so
//! a feature, detector or metric that is gone from the last window is gone from the text too,
//! and a figure that is null in the JSON output (or not finite) is simply never written:
//! absent, never NaN or 0. Only the processing-time histogram is one long-lived object.

use std::collections::BTreeMap;
use std::sync::Arc;

use ml_monitor::MonitoringResult;
use prometheus_client::encoding::prometheus_text;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;

use super::window::{clean, WindowFigures};

/// Every metric name starts with this.
pub(crate) const PREFIX: &str = "ml_monitor";

/// Upper bounds (seconds) of the processing-time histogram: a small file in milliseconds up to
/// a classifier run on a large window.
const PROCESSING_BUCKETS: [f64; 13] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0,
];

type Labels = Vec<(&'static str, String)>;
type FloatGauge = Gauge<f64, std::sync::atomic::AtomicU64>;

/// Counters since start and the figures of the last window that had any.
pub(crate) struct MetricsState {
    windows: u64,
    errors: u64,
    processing: Histogram,
    /// Alerts raised since start, by (level, kind).
    alerts: BTreeMap<(String, String), u64>,
    /// Firing incidents by (level, kind); `None` until someone reports them.
    incidents: Option<BTreeMap<(String, String), u64>>,
    /// The last result without an error: an unreadable window changes only the counters.
    last: Option<Arc<MonitoringResult>>,
    max_features: usize,
    /// Late labels: per window (the latest [`REALISED_WINDOWS`]), its realised figures, their
    /// estimation errors and its labelled rows.
    realised: BTreeMap<String, Realised>,
    /// Arrival order of `realised`'s windows, oldest first.
    realised_order: Vec<String>,
}

/// Windows whose realised figures are exported at most (each adds a series per metric).
pub(crate) const REALISED_WINDOWS: usize = 100;

/// One window's figures from its late labels.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Realised {
    pub(crate) metrics: BTreeMap<String, f64>,
    pub(crate) errors: BTreeMap<String, f64>,
    pub(crate) labelled_rows: f64,
}

/// The exposition text, and whether per-feature series were cut.
pub(crate) struct Rendered {
    pub(crate) text: String,
    /// `(features in the window, features exported)` when `max_features` cut.
    pub(crate) cut: Option<(usize, usize)>,
}

impl MetricsState {
    pub(crate) fn new(max_features: usize) -> Self {
        MetricsState {
            windows: 0,
            errors: 0,
            processing: Histogram::new(PROCESSING_BUCKETS),
            alerts: BTreeMap::new(),
            incidents: None,
            last: None,
            max_features: max_features.max(1),
            realised: BTreeMap::new(),
            realised_order: Vec::new(),
        }
    }

    /// A window's realised figures from its labels so far (replacing its earlier ones).
    pub(crate) fn set_realised(&mut self, window: &str, figures: Realised) {
        self.realised_order.retain(|w| w != window);
        self.realised_order.push(window.to_string());
        self.realised.insert(window.to_string(), figures);
        while self.realised_order.len() > REALISED_WINDOWS {
            let oldest = self.realised_order.remove(0);
            self.realised.remove(&oldest);
        }
    }

    /// Counts a completed window (an error result too) and keeps its figures.
    pub(crate) fn observe(&mut self, result: &MonitoringResult, seconds: f64) {
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
            self.last = Some(Arc::new(result.clone()));
        }
    }

    /// Shows a window's figures without counting it (the last result of a kept history, so a
    /// restarted monitor is not blank until the next window).
    pub(crate) fn seed(&mut self, result: &MonitoringResult) {
        if result.error.is_none() {
            self.last = Some(Arc::new(result.clone()));
        }
    }

    /// Replaces the firing-incident counts.
    pub(crate) fn set_incidents(&mut self, firing: BTreeMap<(String, String), u64>) {
        self.incidents = Some(firing);
    }

    /// The Prometheus text exposition (format 0.0.4) of the state.
    pub(crate) fn render(&self) -> Rendered {
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
            let family = Family::<Labels, FloatGauge>::default();
            for ((level, kind), n) in incidents {
                family
                    .get_or_create(&vec![("level", clean(level)), ("kind", clean(kind))])
                    .set(*n as f64);
            }
            registry.register("incidents_firing", "Incidents firing now", family);
        }
        if !self.realised.is_empty() {
            let metrics = Family::<Labels, FloatGauge>::default();
            let errors = Family::<Labels, FloatGauge>::default();
            let labelled = Family::<Labels, FloatGauge>::default();
            for (window, r) in &self.realised {
                let w = clean(window);
                for (metric, v) in r.metrics.iter().filter(|(_, v)| v.is_finite()) {
                    metrics
                        .get_or_create(&vec![("window", w.clone()), ("metric", clean(metric))])
                        .set(*v);
                }
                for (metric, v) in r.errors.iter().filter(|(_, v)| v.is_finite()) {
                    errors
                        .get_or_create(&vec![("window", w.clone()), ("metric", clean(metric))])
                        .set(*v);
                }
                labelled
                    .get_or_create(&vec![("window", w)])
                    .set(r.labelled_rows);
            }
            registry.register(
                "realised_performance",
                "Realised metric of a window from its late labels so far",
                metrics,
            );
            registry.register(
                "estimation_error",
                "Estimated minus realised metric of a window (late labels)",
                errors,
            );
            registry.register(
                "labelled_rows",
                "Rows of a window labelled by late labels so far",
                labelled,
            );
        }
        let cut = match &self.last {
            Some(result) => {
                let (figures, cut) = WindowFigures::new(Arc::clone(result), self.max_features);
                registry.register_collector(Box::new(figures));
                cut
            }
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
