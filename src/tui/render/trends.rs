//! Sparklines of the history (share of drifted features, classifier AUC, pca's reconstruction
//! error, accuracy or R², prediction mean), with the gauges underneath.
//!
//! Every scale is written beside its label: fixed where the metric has one (drifted 0–100%,
//! AUC 0.5–1, accuracy 0–1), so 0% drift draws nothing above the baseline and noise of ±0.01
//! stays small; the visible data's range otherwise, labelled as such. A baseline runs under each
//! sparkline and carries `↑` under the window where the current drift began; bars past their
//! threshold are drawn in the alarm style and the threshold is named in the label. Values a
//! window lacks are gaps, not zeros, and a metric no window has (AUC with the classifier off,
//! the PCA error with pca off) gives its rows to the others.
//!
//! Viewing a past window (`[`), the trends are those of the screen then: they end at that
//! window, which the title names; with the focus here, ←/→ step through the windows.

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Sparkline, SparklineBar};
use ratatui::Frame;

use super::over_bars::MarkedSparkline;
use super::{gauges, pane};
use crate::tui::app::{App, Focus};
use crate::tui::format;
use crate::tui::model::WindowSummary;
use crate::tui::sanitize::sanitize;
use crate::tui::theme::Theme;

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
    /// The alert threshold, and whether values below it (accuracy) or above it are bad.
    threshold: Option<(f64, Bad)>,
}

/// Which side of a threshold raises the alert.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Bad {
    Below,
    Above,
}

impl Metric {
    fn has_values(&self) -> bool {
        self.values.iter().flatten().any(|v| v.is_finite())
    }

    fn is_bad(&self, value: Option<f64>) -> bool {
        match (value.filter(|v| v.is_finite()), self.threshold) {
            (Some(v), Some((t, Bad::Below))) => v < t,
            (Some(v), Some((t, Bad::Above))) => v.abs() > t,
            _ => false,
        }
    }

    /// The scale and threshold as the label line shows them: `0–1 thr 0.7`.
    fn scale_text(&self) -> String {
        let visible = || {
            self.values
                .iter()
                .flatten()
                .copied()
                .filter(|v| v.is_finite())
        };
        let mut text = match self.range {
            Range::Fixed(lo, hi) if self.label == "drifted" => {
                format!("{:.0}–{:.0}%", lo * 100.0, hi * 100.0)
            }
            Range::Fixed(lo, hi) => format!("{lo}–{hi}"),
            Range::Data => {
                let (lo, hi) = visible().fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| {
                    (a.min(v), b.max(v))
                });
                if lo.is_finite() {
                    format!("{}–{}", format::number(Some(lo)), format::number(Some(hi)))
                } else {
                    String::new()
                }
            }
        };
        if let Some((t, bad)) = self.threshold {
            let sign = if bad == Bad::Below { "<" } else { ">" };
            text.push_str(&format!(" bad{sign}{}", format::number(Some(t))));
        }
        text
    }
}

pub(super) fn render(frame: &mut Frame, area: Rect, app: &App) {
    let theme = app.theme;
    // Travelling, the trends end at the window shown: its bar is the rightmost.
    let title = match app.past() {
        Some(past) => format!(
            " Trends to {} ",
            format::fit(&sanitize(format::window_label(&past.window)), 24)
        ),
        None => " Trends ".to_string(),
    };
    let block = pane(Line::from(title), app.focus == Focus::Trends, theme);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let [metrics_area, gauge_area] =
        Layout::vertical([Constraint::Min(0), Constraint::Length(2)]).areas(inner);
    gauges::render(frame, gauge_area, app);

    let history: Vec<&WindowSummary> = app.shown().history.iter().collect();
    let began = drift_began(&history);
    let all = metrics(history, app);
    // Metrics no window has give their rows to the others (the drifted share always shows).
    let metrics: Vec<&Metric> = all
        .iter()
        .enumerate()
        .filter(|(i, m)| *i == 0 || m.has_values())
        .map(|(_, m)| m)
        .collect();
    let per = (metrics_area.height / metrics.len() as u16).max(1);
    let slots =
        Layout::vertical(metrics.iter().map(|_| Constraint::Length(per))).split(metrics_area);
    for (metric, slot) in metrics.iter().zip(slots.iter()) {
        render_metric(frame, *slot, metric, began, app);
    }
}

/// Index in the history of the first window of the current drifting stretch (the newest
/// window has drifted features and so did every window since this one).
fn drift_began(history: &[&WindowSummary]) -> Option<usize> {
    let drifting = |w: &&WindowSummary| w.drift_share.is_some_and(|s| s > 0.0);
    if !history.last().is_some_and(drifting) {
        return None;
    }
    let quiet_before = history.iter().rposition(|w| !drifting(w));
    Some(quiet_before.map_or(0, |i| i + 1))
}

fn metrics(history: Vec<&WindowSummary>, app: &App) -> [Metric; 5] {
    let thresholds = &app.options.thresholds;
    let headline_name = history
        .iter()
        .rev()
        .find_map(|w| w.headline.map(|(name, _)| name))
        .unwrap_or("accuracy");
    let (label, range) = match headline_name {
        "accuracy" => ("accuracy", Range::Fixed(0.0, 1.0)),
        _ => ("R²", Range::Data),
    };
    let quality_threshold = match headline_name {
        "accuracy" => thresholds.accuracy,
        _ => thresholds.r2_score,
    };
    [
        Metric {
            label: "drifted",
            values: history.iter().map(|w| w.drift_share).collect(),
            range: Range::Fixed(0.0, 1.0),
            show: format::percent,
            note: None,
            detail: None,
            threshold: None,
        },
        Metric {
            label: "AUC",
            values: history.iter().map(|w| w.auc).collect(),
            range: Range::Fixed(0.5, 1.0),
            show: format::number,
            note: None,
            detail: None,
            threshold: None,
        },
        Metric {
            label: "PCA err",
            values: history.iter().map(|w| w.pca.map(|p| p.0)).collect(),
            range: Range::Data,
            show: format::number,
            note: None,
            detail: None,
            // The latest window's: under pca's window thresholds it follows the window's size.
            threshold: history
                .last()
                .and_then(|w| w.pca)
                .and_then(|p| p.1)
                .map(|t| (t, Bad::Above)),
        },
        Metric {
            threshold: quality_threshold.map(|t| (t, Bad::Below)),
            ..quality(&history, headline_name, label, range)
        },
        Metric {
            label: "pred mean",
            values: history.iter().map(|w| w.prediction_mean).collect(),
            range: Range::Data,
            show: format::number,
            note: None,
            detail: None,
            threshold: thresholds
                .prediction_mean_threshold
                .map(|t| (t, Bad::Above)),
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
        threshold: None,
    }
}

fn render_metric(frame: &mut Frame, area: Rect, metric: &Metric, began: Option<usize>, app: &App) {
    let theme = app.theme;
    let latest = metric.values.last().copied().flatten();
    let mut value = (metric.show)(latest);
    value.push_str(metric.note.as_deref().unwrap_or(""));
    let value_style = if metric.is_bad(latest) {
        theme.alarm()
    } else {
        Style::new()
    };
    let scale = metric.scale_text();
    let head_line = |width: u16| {
        let room = usize::from(width).saturating_sub(value.chars().count() + 1);
        let label = format!("{} {scale}", metric.label);
        let label = format::fit(&label, room);
        let pad = usize::from(width).saturating_sub(label.chars().count() + value.chars().count());
        Line::from(vec![
            Span::styled(label, theme.heading()),
            Span::raw(" ".repeat(pad)),
            Span::styled(value.clone(), value_style),
        ])
    };
    if area.height >= 3 {
        let [head, mut spark, base] = Layout::vertical([
            Constraint::Length(1),
            Constraint::Min(0),
            Constraint::Length(1),
        ])
        .areas(area);
        if let (Some(detail), true) = (&metric.detail, area.height >= 4) {
            let [line, rest] =
                Layout::vertical([Constraint::Length(1), Constraint::Min(0)]).areas(spark);
            frame.render_widget(Line::from(detail.as_str()).right_aligned(), line);
            spark = rest;
        }
        frame.render_widget(head_line(head.width), head);
        frame.render_widget(sparkline(metric, spark.width, app), spark);
        frame.render_widget(baseline(metric, base.width, began, theme), base);
    } else if area.height == 2 {
        let [head, spark] = Layout::vertical([Constraint::Length(1); 2]).areas(area);
        frame.render_widget(head_line(head.width), head);
        frame.render_widget(sparkline(metric, spark.width, app), spark);
    } else {
        let [l, s, r] = Layout::horizontal([
            Constraint::Length(10),
            Constraint::Min(0),
            Constraint::Length(value.chars().count() as u16 + 1),
        ])
        .areas(area);
        frame.render_widget(Line::styled(metric.label, theme.heading()), l);
        frame.render_widget(sparkline(metric, s.width, app), s);
        frame.render_widget(Line::styled(value.clone(), value_style).right_aligned(), r);
    }
}

/// The axis under a sparkline: `─` under every window shown, `↑` under the one where the
/// current drift began.
fn baseline(metric: &Metric, width: u16, began: Option<usize>, theme: Theme) -> Line<'static> {
    let skip = metric.values.len().saturating_sub(usize::from(width));
    let shown = metric.values.len() - skip;
    let mut text: String = (0..shown)
        .map(|i| {
            if began == Some(skip + i) {
                '↑'
            } else {
                '─'
            }
        })
        .collect();
    if began.is_some_and(|b| b < skip) {
        // Began before the visible stretch: say so at the left end.
        text.replace_range(0..'─'.len_utf8(), "←");
    }
    Line::styled(text, theme.muted())
}

fn sparkline(metric: &Metric, width: u16, app: &App) -> MarkedSparkline {
    let skip = metric.values.len().saturating_sub(usize::from(width));
    let visible = &metric.values[skip..];
    let heights = scale(visible, metric.range);
    let bars: Vec<SparklineBar> = heights
        .iter()
        .zip(visible)
        .map(|(h, v)| {
            let bar = SparklineBar::from(*h);
            if metric.is_bad(*v) {
                bar.style(app.theme.alarm())
            } else {
                bar
            }
        })
        .collect();
    let sparkline = Sparkline::default()
        .block(Block::new())
        .data(bars)
        .max(LEVELS)
        .style(app.theme.trend());
    MarkedSparkline {
        sparkline,
        over: visible.iter().map(|v| metric.is_bad(*v)).collect(),
        mark: app.theme.marks(),
    }
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
            Some(match range {
                // A fixed scale starts at its floor: the floor draws nothing above the baseline.
                Range::Fixed(..) => (share * LEVELS as f64).round() as u64,
                // The data's own range: its lowest value still shows as the lowest bar.
                Range::Data => 1 + (share * (LEVELS - 1) as f64).round() as u64,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tui::fixtures;
    use crate::tui::render::testing::{find, lines, screen, shows};

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
            vec![Some(0), None, Some(4), Some(8), None, Some(8)]
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
    fn pca_adds_its_error_with_the_latest_threshold_and_is_absent_without_it() {
        use ml_monitor::drift::pca::PcaFigures;
        use ml_monitor::drift::DriftResult;
        let (mut app, mut tracker) = fixtures::app_and_tracker(3, false);
        for (i, error) in [(4, 1.58), (5, 1.87)] {
            let mut result = fixtures::result(i, false);
            let pca = PcaFigures {
                reconstruction_error: error,
                sampling_error: Some(0.01),
                lower_threshold: Some(1.48),
                upper_threshold: Some(1.64),
                components: 4,
                p_value: Some(if error > 1.64 { 1e-30 } else { 0.4 }),
                p_value_adjusted: None,
                effect: None,
                paging_p_value: None,
            };
            result.drift.insert(
                "pca".into(),
                DriftResult {
                    drift_detected: error > 1.64,
                    drift_score: error,
                    window_drift: error > 1.64,
                    n_features: 5,
                    n_drifted: 0,
                    features: Default::default(),
                    auc: None,
                    feature_importances: None,
                    status: None,
                    pca: Some(pca),
                },
            );
            fixtures::feed(&mut app, &mut tracker, result);
        }
        let t = screen(&app, 120, 40);
        let buffer = t.backend().buffer();
        assert!(
            shows(buffer, "PCA err 1.580–1.870 bad>1.640"),
            "{:#?}",
            lines(buffer)
        );
        assert!(shows(buffer, "1.870"));
        let without = screen(&fixtures::app(6, false), 120, 40);
        assert!(!shows(without.backend().buffer(), "PCA err"));
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
        let drifted = find(buffer, "drifted 0–100%").expect("label");
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
