//! The alert rules (the kinds in docs/output.md, the thresholds in docs/configuration.md), in one
//! function.
//!
//! Every comparison is strict (`<` for scores that should stay high, `>` for figures that should
//! stay low), so a value exactly at its threshold raises nothing; `alerts/tests.rs` holds the
//! table of boundaries.

use chrono::{DateTime, Utc};

use super::{Alert, AlertKind, AlertLevel, AlertThresholds};
use crate::monitoring::result::{FeatureQuality, MonitoringResult, Performance};

/// The alerts a result raises under these thresholds, timestamped `now`.
pub(crate) fn check(
    t: &AlertThresholds,
    result: &MonitoringResult,
    now: DateTime<Utc>,
) -> Vec<Alert> {
    let w = result.window.as_str();
    let alert = |level, kind, message| Alert::new(level, kind, w, message, now);
    let mut raised = Vec::new();
    if let Some(error) = &result.error {
        raised.push(alert(
            AlertLevel::Critical,
            AlertKind::WindowError,
            format!("window could not be used: {}", error.message),
        ));
        return raised;
    }
    for (name, drift) in &result.drift {
        if drift.drift_detected {
            let mut a = alert(t.drift_level, AlertKind::DataDrift, drift.summary(name));
            a.detector = Some(name.clone());
            a.metric = Some(
                if drift.auc.is_some() {
                    "auc"
                } else {
                    "drift_score"
                }
                .into(),
            );
            a.value = Some(drift.auc.unwrap_or(drift.drift_score));
            raised.push(a);
        }
    }
    let performance = match &result.performance {
        Some(Performance::Classification(m)) => t.accuracy.and_then(|th| {
            (m.accuracy < th).then(|| {
                let message = format!("accuracy {:.4} below threshold {th}", m.accuracy);
                (AlertLevel::Critical, "accuracy", m.accuracy, th, message)
            })
        }),
        Some(Performance::Regression(m)) => t.r2_score.and_then(|th| {
            (m.r2 < th).then(|| {
                let message = format!("R² {:.4} below threshold {th}", m.r2);
                (AlertLevel::Warning, "r2", m.r2, th, message)
            })
        }),
        None => None,
    };
    if let Some((level, metric, value, th, message)) = performance {
        raised.push(figures(
            alert(level, AlertKind::PerformanceDegradation, message),
            metric,
            value,
            th,
        ));
    }
    if let Some(estimated) = &result.estimated_performance {
        for e in crate::monitoring::estimation::alert_figures(estimated, t.accuracy) {
            raised.push(figures(
                alert(
                    AlertLevel::Warning,
                    AlertKind::EstimatedPerformanceDegradation,
                    e.message,
                ),
                &e.metric,
                e.value,
                e.threshold,
            ));
        }
    }
    if let (Some(shift), Some(th)) = (result.prediction_shift, t.prediction_shift) {
        if shift.abs() > th {
            let message = format!(
                "prediction mean shifted by {:.4} (threshold {th})",
                shift.abs()
            );
            raised.push(figures(
                alert(AlertLevel::Warning, AlertKind::PredictionShift, message),
                "prediction_shift",
                shift.abs(),
                th,
            ));
        }
    }
    if let (Some(stats), Some(th)) = (&result.predictions, t.prediction_mean_threshold) {
        if stats.mean.abs() > th {
            let message = format!("prediction mean {:.4} beyond ±{th}", stats.mean);
            raised.push(figures(
                alert(
                    AlertLevel::Critical,
                    AlertKind::PredictionMeanAnomaly,
                    message,
                ),
                "prediction_mean",
                stats.mean,
                th,
            ));
        }
    }
    // A feature's missing or invalid rate risen past its threshold: one data_quality alert each.
    type Rate = fn(&FeatureQuality) -> (f64, f64);
    let rates: [(Option<f64>, &str, &str, &str, Rate); 2] = [
        (
            t.missing_rate_increase,
            "missing_rate_increase",
            "missing rate",
            "",
            |q| (q.missing_ref, q.missing_cur),
        ),
        (
            t.invalid_rate_increase,
            "invalid_rate_increase",
            "invalid rate",
            ": values of the wrong type or not finite",
            |q| (q.invalid_ref, q.invalid_cur),
        ),
    ];
    for (threshold, metric, what, cause, rate) in rates {
        let Some(th) = threshold else { continue };
        for (feature, q) in &result.data_quality {
            let (reference, current) = rate(q);
            let increase = current - reference;
            if increase > th {
                let message = format!(
                    "feature \"{feature}\" {what} {:.1}% (reference {:.1}%){cause}",
                    current * 100.0,
                    reference * 100.0
                );
                let mut a = figures(
                    alert(AlertLevel::Warning, AlertKind::DataQuality, message),
                    metric,
                    increase,
                    th,
                );
                a.feature = Some(feature.clone());
                raised.push(a);
            }
        }
    }
    raised
}

fn figures(mut alert: Alert, metric: &str, value: f64, threshold: f64) -> Alert {
    alert.metric = Some(metric.to_string());
    alert.value = Some(value);
    alert.threshold = Some(threshold);
    alert
}
