//! Sparklines of the history (share of drifted features, classifier AUC, accuracy or R²,
//! prediction mean), with the gauges underneath.
//!
//! Each metric is scaled to its own range (fixed where the metric has one, the visible data's
//! otherwise), so a drop from 0.92 to 0.85 accuracy is visible rather than a flat line. Values
//! a window lacks are drawn as gaps, not zeros.

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Sparkline};
use ratatui::Frame;

use super::{gauges, pane};
use crate::tui::app::App;
use crate::tui::format;
use crate::tui::model::WindowSummary;

/// Sparkline bar heights run from 1 (lowest value seen) to this.
const LEVELS: u64 = 8;

/// How a metric's values map to bar heights.
#[derive(Debug, Clone, Copy)]
enum Range {
    Fixed(f64, f64),
    Data,
}

/// One metric's history and how to show it.
struct Metric {
    label: &'static str,
    values: Vec<Option<f64>>,
    range: Range,
    show: fn(Option<f64>) -> String,
    /// Shown after the latest value (the estimate beside the realised value).
    note: Option<String>,
    /// A line of its own under the label, when there is room (the estimate's band and
    /// thresholds).
    detail: Option<String>,
}

pub(super) fn render(frame: &mut Frame, area: Rect, app: &App) {
    let theme = app.theme;
    let block = pane(Line::from(" Trends "), false, theme);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let [metrics_area, gauge_area] =
        Layout::vertical([Constraint::Min(0), Constraint::Length(2)]).areas(inner);
    gauges::render(frame, gauge_area, app);

    let metrics = metrics(app.shown().history.iter().collect());
    let per = (metrics_area.height / metrics.len() as u16).max(1);
    let slots =
        Layout::vertical(metrics.iter().map(|_| Constraint::Length(per))).split(metrics_area);
    for (metric, slot) in metrics.iter().zip(slots.iter()) {
        render_metric(frame, *slot, metric, app);
    }
}

fn metrics(history: Vec<&WindowSummary>) -> [Metric; 4] {
    let headline_name = history
        .iter()
        .rev()
        .find_map(|w| w.headline.map(|(name, _)| name))
        .unwrap_or("accuracy");
    let (label, range) = match headline_name {
        "accuracy" => ("accuracy", Range::Fixed(0.0, 1.0)),
        _ => ("R²", Range::Data),
    };
    [
        Metric {
            label: "drifted",
            values: history.iter().map(|w| w.drift_share).collect(),
            range: Range::Fixed(0.0, 1.0),
            show: format::percent,
            note: None,
            detail: None,
        },
        Metric {
            label: "AUC",
            values: history.iter().map(|w| w.auc).collect(),
            range: Range::Fixed(0.5, 1.0),
            show: format::number,
            note: None,
            detail: None,
        },
        quality(&history, headline_name, label, range),
        Metric {
            label: "pred mean",
            values: history.iter().map(|w| w.prediction_mean).collect(),
            range: Range::Data,
            show: format::number,
            note: None,
            detail: None,
        },
    ]
}

/// Accuracy (or R²) per window; for a classifier's windows without labels, the accuracy
/// estimated from the scores. When the latest window's value is an estimate the label says
/// "est." and its band and thresholds follow the value; when it has both, the estimate follows
/// the realised value.
fn quality(
    history: &[&WindowSummary],
    headline_name: &str,
    label: &'static str,
    range: Range,
) -> Metric {
    let realised = |w: &WindowSummary| {
        w.headline
            .filter(|(n, _)| *n == headline_name)
            .map(|(_, v)| v)
    };
    let estimating = headline_name == "accuracy";
    let estimate = |w: &WindowSummary| {
        w.estimated_accuracy
            .as_ref()
            .filter(|_| estimating)
            .map(|e| e.value)
    };
    let values = history
        .iter()
        .map(|w| realised(w).or_else(|| estimate(w)))
        .collect();
    let latest = history.last().copied();
    let latest_estimate = latest
        .and_then(|w| w.estimated_accuracy.as_ref())
        .filter(|_| estimating);
    let (label, note, detail) = match (latest.and_then(realised), latest_estimate) {
        (Some(_), Some(e)) => (
            label,
            Some(format!(" est. {}", format::number(Some(e.value)))),
            None,
        ),
        (None, Some(e)) => (
            "accuracy est.",
            None,
            Some(format!(
                "band {}-{} thr {}-{}",
                format::number(Some(e.lower)),
                format::number(Some(e.upper)),
                format::number(e.lower_threshold),
                format::number(e.upper_threshold)
            )),
        ),
        _ => (label, None, None),
    };
    Metric {
        label,
        values,
        range,
        show: format::number,
        note,
        detail,
    }
}

fn render_metric(frame: &mut Frame, area: Rect, metric: &Metric, app: &App) {
    let theme = app.theme;
    let latest = metric.values.last().copied().flatten();
    let mut value = (metric.show)(latest);
    value.push_str(metric.note.as_deref().unwrap_or(""));
    let label = Span::styled(metric.label, theme.heading());
    if area.height >= 2 {
        let [head, mut spark] =
            Layout::vertical([Constraint::Length(1), Constraint::Min(0)]).areas(area);
        if let (Some(detail), true) = (&metric.detail, area.height >= 3) {
            let [line, rest] =
                Layout::vertical([Constraint::Length(1), Constraint::Min(0)]).areas(spark);
            frame.render_widget(Line::from(detail.as_str()).right_aligned(), line);
            spark = rest;
        }
        let [l, r] =
            Layout::horizontal([Constraint::Min(0), Constraint::Length(value.len() as u16)])
                .areas(head);
        frame.render_widget(Line::from(label), l);
        frame.render_widget(Line::from(value).right_aligned(), r);
        frame.render_widget(sparkline(metric, spark.width, app), spark);
    } else {
        let [l, s, r] = Layout::horizontal([
            Constraint::Length(10),
            Constraint::Min(0),
            Constraint::Length(value.len() as u16 + 1),
        ])
        .areas(area);
        frame.render_widget(Line::from(label), l);
        frame.render_widget(sparkline(metric, s.width, app), s);
        frame.render_widget(Line::from(value).right_aligned(), r);
    }
}

fn sparkline(metric: &Metric, width: u16, app: &App) -> Sparkline<'static> {
    let skip = metric.values.len().saturating_sub(usize::from(width));
    let visible = &metric.values[skip..];
    Sparkline::default()
        .block(Block::new())
        .data(scale(visible, metric.range))
        .max(LEVELS)
        .style(app.theme.trend())
}

/// Bar heights 1..=LEVELS for the values, `None` for missing or non-finite ones.
fn scale(values: &[Option<f64>], range: Range) -> Vec<Option<u64>> {
    let finite = || values.iter().flatten().copied().filter(|v| v.is_finite());
    let (lo, hi) = match range {
        Range::Fixed(lo, hi) => (lo, hi),
        Range::Data => finite().fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
            (lo.min(v), hi.max(v))
        }),
    };
    values
        .iter()
        .map(|v| {
            let v = v.filter(|v| v.is_finite())?;
            let share = if hi > lo {
                ((v - lo) / (hi - lo)).clamp(0.0, 1.0)
            } else {
                0.5
            };
            Some(1 + (share * (LEVELS - 1) as f64).round() as u64)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tui::fixtures;
    use crate::tui::render::testing::{find, screen, shows};

    #[test]
    fn scaling_keeps_gaps_and_the_range() {
        let v = [
            Some(0.0),
            None,
            Some(0.5),
            Some(1.0),
            Some(f64::NAN),
            Some(7.0),
        ];
        assert_eq!(
            scale(&v, Range::Fixed(0.0, 1.0)),
            vec![Some(1), None, Some(5), Some(8), None, Some(8)]
        );
        assert_eq!(
            scale(&[Some(3.0), Some(3.0)], Range::Data),
            vec![Some(5), Some(5)]
        );
        assert_eq!(
            scale(&[Some(-2.0), Some(2.0)], Range::Data),
            vec![Some(1), Some(8)]
        );
        assert!(scale(&[], Range::Data).is_empty());
    }

    #[test]
    fn the_pane_names_each_metric_with_its_latest_value() {
        let app = fixtures::app(6, false);
        let t = screen(&app, 120, 40);
        let buffer = t.backend().buffer();
        for label in ["drifted", "AUC", "accuracy", "pred mean"] {
            assert!(shows(buffer, label), "{label}");
        }
        // Window 6 does not drift: no feature drifted, the classifier sees little.
        assert!(shows(buffer, "0.0%"));
        let drifted = find(buffer, "drifted").expect("label");
        let bars: String = (drifted.y + 1..drifted.y + 4)
            .flat_map(|y| (drifted.x..drifted.x + 30).map(move |x| (x, y)))
            .map(|(x, y)| buffer[(x, y)].symbol().to_string())
            .collect();
        assert!(bars.chars().any(|c| "▁▂▃▄▅▆▇█".contains(c)), "{bars:?}");
    }

    #[test]
    fn without_labels_the_estimate_is_shown_marked_with_band_and_thresholds() {
        // Window 6 has no labels: estimated 0.740, band 0.710-0.770, thresholds 0.78-0.9.
        let t = screen(&fixtures::estimated_app(6, 3), 120, 40);
        let buffer = t.backend().buffer();
        assert!(shows(buffer, "accuracy est."));
        assert!(shows(buffer, "0.740"));
        assert!(shows(buffer, "band 0.710-0.770 thr 0.780-0.900"));
        // With labels, realised and estimated side by side (realised 0.600 in the fixture).
        let t = screen(&fixtures::estimated_app(6, 6), 120, 40);
        let buffer = t.backend().buffer();
        assert!(!shows(buffer, "accuracy est."));
        assert!(shows(buffer, "est. 0.740"));
    }
}
