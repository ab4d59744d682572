//! What each trend draws: its values per window, its scale, its threshold and the text beside
//! its value; the rendering is in `trends.rs`.
//!
//! Why the estimate and the realised figure are two trends and not one: late labels come hours
//! or weeks after a window, so most recent windows have only the estimate and older ones both;
//! one row showing "realised or else estimated" hid which was which. On one shared 0–1 scale,
//! one row above the other, a window's estimate and its realised accuracy read side by side,
//! the realised row's gaps are the windows without labels yet, and `labels 80 %` says how much
//! of the cursor's window its labels cover.

use crate::tui::app::App;
use crate::tui::format;
use crate::tui::model::WindowSummary;
use crate::tui::trend_scale::Bounds;

/// One metric's history and how to show it.
pub(super) struct Metric {
    pub(super) label: &'static str,
    /// The label when the whole one does not fit beside the scale (`real` for `realised`).
    pub(super) short: &'static str,
    /// Per window, oldest first; the last is the cursor's.
    pub(super) values: Vec<Option<f64>>,
    pub(super) bounds: Bounds,
    /// A share, printed as `0–100%`.
    pub(super) percent: bool,
    pub(super) show: fn(Option<f64>) -> String,
    /// Written before the cursor's value (`labels 80 %`).
    pub(super) note: Option<String>,
    /// A line of its own under the label, when there is room (the estimate's band and
    /// thresholds).
    pub(super) detail: Option<String>,
    /// The alert threshold, and whether values below it (accuracy) or above it are bad.
    pub(super) threshold: Option<(f64, Bad)>,
    /// Per window, whether it alerted, when that is not a matter of one threshold (the
    /// estimate's band has its own per window).
    pub(super) alerted: Option<Vec<bool>>,
}

/// Which side of a threshold raises the alert.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Bad {
    Below,
    Above,
}

impl Metric {
    pub(super) fn has_values(&self) -> bool {
        self.values.iter().flatten().any(|v| v.is_finite())
    }

    /// Whether window `i` is past its threshold.
    pub(super) fn is_bad(&self, i: usize) -> bool {
        if let Some(alerted) = &self.alerted {
            return alerted.get(i).copied().unwrap_or(false);
        }
        let value = self.values.get(i).copied().flatten();
        match (value.filter(|v| v.is_finite()), self.threshold) {
            (Some(v), Some((t, Bad::Below))) => v < t,
            (Some(v), Some((t, Bad::Above))) => v.abs() > t,
            _ => false,
        }
    }

    /// The threshold as the label writes it: `bad<0.700`.
    pub(super) fn threshold_text(&self) -> Option<String> {
        self.threshold.map(|(t, bad)| {
            let sign = if bad == Bad::Below { "<" } else { ">" };
            format!("bad{sign}{}", format::number(Some(t)))
        })
    }
}

/// Every trend, in the order drawn; those without a value give their rows to the others
/// (the drifted share always shows).
pub(super) fn metrics(history: &[&WindowSummary], app: &App) -> Vec<Metric> {
    let thresholds = &app.options.thresholds;
    let headline_name = history
        .iter()
        .rev()
        .find_map(|w| w.headline.map(|(name, _)| name))
        .unwrap_or("accuracy");
    let [estimated, realised] = quality(history, headline_name, app);
    let all = [
        Metric {
            label: "drifted",
            short: "drift",
            values: history.iter().map(|w| w.drift_share).collect(),
            bounds: Bounds::Fixed(0.0, 1.0),
            percent: true,
            show: format::percent,
            note: None,
            detail: None,
            threshold: None,
            alerted: None,
        },
        Metric {
            label: "AUC",
            short: "AUC",
            values: history.iter().map(|w| w.auc).collect(),
            bounds: Bounds::Fixed(0.5, 1.0),
            percent: false,
            show: format::number,
            note: None,
            detail: None,
            threshold: None,
            alerted: None,
        },
        Metric {
            label: "PCA err",
            short: "PCA",
            values: history.iter().map(|w| w.pca.map(|p| p.0)).collect(),
            bounds: Bounds::Data,
            percent: false,
            show: format::number,
            note: None,
            detail: None,
            // The latest window's: under pca's window thresholds it follows the window's size.
            threshold: history
                .last()
                .and_then(|w| w.pca)
                .and_then(|p| p.1)
                .map(|t| (t, Bad::Above)),
            alerted: None,
        },
        estimated,
        realised,
        Metric {
            label: "pred mean",
            short: "pred",
            values: history.iter().map(|w| w.prediction_mean).collect(),
            bounds: Bounds::Data,
            percent: false,
            show: format::number,
            note: None,
            detail: None,
            threshold: thresholds
                .prediction_mean_threshold
                .map(|t| (t, Bad::Above)),
            alerted: None,
        },
    ];
    all.into_iter()
        .enumerate()
        .filter(|(i, m)| *i == 0 || m.has_values())
        .map(|(_, m)| m)
        .collect()
}

/// The estimated accuracy (CBPE, from the scores) and the realised accuracy or R² (a target
/// in the window, or late labels), per window. The estimate's bars alert where its band does;
/// the realised ones under the `[alerts]` threshold.
fn quality(history: &[&WindowSummary], headline_name: &str, app: &App) -> [Metric; 2] {
    let thresholds = &app.options.thresholds;
    let estimating = headline_name == "accuracy";
    let estimates: Vec<_> = history
        .iter()
        .map(|w| w.estimated_accuracy.as_ref().filter(|_| estimating))
        .collect();
    let latest = estimates.last().copied().flatten();
    let estimated = Metric {
        label: "accuracy est.",
        short: "acc. est.",
        values: estimates.iter().map(|e| e.map(|e| e.value)).collect(),
        bounds: Bounds::Fixed(0.0, 1.0),
        percent: false,
        show: format::number,
        note: None,
        detail: latest.map(|e| {
            format!(
                "band {}-{} thr {}-{}",
                format::number(Some(e.lower)),
                format::number(Some(e.upper)),
                format::number(e.lower_threshold),
                format::number(e.upper_threshold)
            )
        }),
        threshold: latest
            .and_then(|e| e.lower_threshold)
            .map(|t| (t, Bad::Below)),
        alerted: Some(
            estimates
                .iter()
                .map(|e| e.is_some_and(|e| e.alert))
                .collect(),
        ),
    };
    let has_estimates = estimated.has_values();
    let (label, bounds, threshold) = match headline_name {
        "accuracy" if has_estimates => ("realised", Bounds::Fixed(0.0, 1.0), thresholds.accuracy),
        "accuracy" => ("accuracy", Bounds::Fixed(0.0, 1.0), thresholds.accuracy),
        _ => ("R²", Bounds::Data, thresholds.r2_score),
    };
    let realised = Metric {
        label,
        short: match label {
            "realised" => "real",
            "accuracy" => "acc.",
            other => other,
        },
        values: history
            .iter()
            .map(|w| {
                w.headline
                    .filter(|(n, _)| *n == headline_name)
                    .map(|(_, v)| v)
            })
            .collect(),
        bounds,
        percent: false,
        show: format::number,
        note: history
            .last()
            .and_then(|w| w.labelled)
            .map(|(labelled, rows)| labels_share(labelled, rows)),
        detail: None,
        threshold: threshold.map(|t| (t, Bad::Below)),
        alerted: None,
    };
    [estimated, realised]
}

/// The share of a window's rows its late labels cover: `labels 80 %` (whole percents, and
/// `<1 %` rather than a rounded `0 %` when some rows have labels).
pub(super) fn labels_share(labelled: usize, rows: usize) -> String {
    if rows == 0 {
        return "labels n/a".into();
    }
    let share = labelled as f64 * 100.0 / rows as f64;
    if labelled > 0 && share < 1.0 {
        "labels <1 %".into()
    } else {
        format!("labels {} %", share.floor() as u64)
    }
}

#[cfg(test)]
mod tests {
    use super::labels_share;

    #[test]
    fn the_labelled_share_is_never_rounded_up_to_whole_or_down_to_none() {
        assert_eq!(labels_share(80, 100), "labels 80 %");
        assert_eq!(labels_share(999, 1000), "labels 99 %");
        assert_eq!(labels_share(1000, 1000), "labels 100 %");
        assert_eq!(labels_share(1, 1000), "labels <1 %");
        assert_eq!(labels_share(0, 1000), "labels 0 %");
        assert_eq!(labels_share(0, 0), "labels n/a");
    }
}
