//! Sparklines of the history (share of drifted features, classifier AUC, pca's reconstruction
//! error, estimated and realised accuracy or R², prediction mean), one axis under them all, and
//! the gauges underneath.
//!
//! Honest by construction: each trend's bars, its dashed threshold line and the range printed
//! beside its label come from one [`Scale`] of the windows shown — fixed where the metric has
//! one (drifted 0–100%, AUC 0.5–1, accuracy 0–1), so 0% drift draws nothing above the axis;
//! otherwise those windows' range widened to the threshold, so noise of ±0.01 under a threshold
//! of 0.9 stays small. The axis carries `↑` under the window where the current drift began and
//! the cursor `◆` under the window the values are read at, named beside it: the newest live,
//! and `┆` under the first window computed under a new reference or thresholds (before and
//! after it, the figures are not comparable; the boundary wins a column it shares with `↑`),
//! the viewed one when travelling (`[`, `]`; ←/→ with the focus here), where the trends end.
//! `+`/`-` zoom the time range. Values a window lacks are gaps, not zeros.
//!
//! Rows go first to every trend's label and sparkline (two rows each), then to the axis, then
//! to the gauges, then to taller sparklines: at 80x24 five trends keep their sparklines and
//! the gauges give way.

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Sparkline, SparklineBar, Widget};
use ratatui::Frame;

use super::trend_metrics::{metrics, Metric};
use super::{gauges, pane};
use crate::tui::app::{App, Focus};
use crate::tui::format;
use crate::tui::model::WindowSummary;
use crate::tui::sanitize::sanitize;
use crate::tui::theme::Theme;
use crate::tui::trend_scale::{column_value, covered, Scale};

/// The cursor's glyph on the axis.
const CURSOR: &str = "◆";
/// The axis's glyph under the first window under new settings.
const SETTINGS: &str = "┆";
/// The threshold line's glyph, in cells no bar fills.
const THRESHOLD: &str = "┄";

pub(super) fn render(frame: &mut Frame, area: Rect, app: &App) {
    let theme = app.theme;
    let history: Vec<&WindowSummary> = app.shown().history.iter().collect();
    let inner_width = usize::from(area.width.saturating_sub(2));
    let columns = app.trend_zoom.columns(history.len(), inner_width);
    // Travelling, the trends end at the window shown: its bar is the rightmost.
    let mut title = match app.past() {
        Some(past) => format!(
            " Trends to {}",
            format::fit(&sanitize(format::window_label(&past.window)), 24)
        ),
        None => " Trends".to_string(),
    };
    if app.trend_zoom != Default::default() {
        title.push_str(&format!(" · {} windows", covered(&columns)));
    }
    title.push(' ');
    let title = format::fit(&title, inner_width);
    let block = pane(Line::from(title), app.focus == Focus::Trends, theme);
    let inner = block.inner(area);
    frame.render_widget(block, area);

    let metrics = metrics(&history, app);
    let rows = rows(inner.height, metrics.len());
    let [metrics_area, axis_area, gauge_area] = Layout::vertical([
        Constraint::Length(rows.metrics),
        Constraint::Length(rows.axis),
        Constraint::Length(rows.gauges),
    ])
    .areas(inner);
    gauges::render(frame, gauge_area, app);
    let slots = Layout::vertical(rows.per_metric.iter().map(|&h| Constraint::Length(h)))
        .split(metrics_area);
    for (metric, slot) in metrics.iter().zip(slots.iter()) {
        render_metric(frame, *slot, metric, app);
    }
    let began = drift_began(&history);
    let axis = axis(&history, &columns, began, axis_area.width, theme);
    frame.render_widget(axis, axis_area);
}

/// How the pane's rows are shared.
#[derive(Debug, PartialEq, Eq)]
struct Rows {
    per_metric: Vec<u16>,
    metrics: u16,
    axis: u16,
    gauges: u16,
}

/// Two rows a trend first, then the axis, then one gauge and the other, then the rest to the
/// trends, the first ones first.
fn rows(height: u16, trends: usize) -> Rows {
    let n = trends.max(1) as u16;
    let axis = u16::from(height > n);
    let avail = height - axis;
    let gauges = match avail.saturating_sub(2 * n) {
        0 => 0,
        1 => 1,
        _ => 2,
    };
    let metrics = avail - gauges;
    let per_metric = (0..n)
        .map(|i| metrics / n + u16::from(i < metrics % n))
        .collect();
    Rows {
        per_metric,
        metrics,
        axis,
        gauges,
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

/// The axis under the trends: `─` under every column drawn, `↑` under the one where the
/// current drift began (`←` at the left end when it began before them), `┆` under each one
/// where new settings start, `◆` under the cursor's window, and that window's name beside it.
fn axis(
    history: &[&WindowSummary],
    columns: &[std::ops::Range<usize>],
    began: Option<usize>,
    width: u16,
    theme: Theme,
) -> Line<'static> {
    let width = usize::from(width);
    let Some(cursor) = history.len().checked_sub(1) else {
        return Line::default();
    };
    let mut glyphs: Vec<&str> = vec!["─"; columns.len()];
    if let Some(b) = began {
        match columns.iter().position(|c| c.contains(&b)) {
            Some(i) => glyphs[i] = "↑",
            None if !glyphs.is_empty() => glyphs[0] = "←",
            None => {}
        }
    }
    // Zoomed in, a window spans several columns: its first one is marked.
    let mut previous = None;
    for (glyph, column) in glyphs.iter_mut().zip(columns) {
        let fresh = previous != Some(column);
        previous = Some(column);
        let windows = history.get(column.clone()).unwrap_or_default();
        if fresh && windows.iter().any(|w| w.settings_changed) {
            *glyph = SETTINGS;
        }
    }
    let at = columns.iter().position(|c| c.contains(&cursor));
    let mut name = sanitize(format::window_label(&history[cursor].window)).into_owned();
    if at.is_some_and(|a| glyphs[a] == SETTINGS) {
        // The cursor covers the `┆`: said in words.
        name.push_str(" ┆ new settings");
    } else if at.is_some() && at == began.and_then(|b| columns.iter().position(|c| c.contains(&b)))
    {
        // The cursor covers the `↑`: said in words.
        name.push_str(" ↑ drift began");
    }
    let mut spans: Vec<Span<'static>> = Vec::new();
    let Some(at) = at else {
        return Line::styled(glyphs.concat(), theme.muted());
    };
    // The name after the cursor when it fits there, else just before it.
    let after = width.saturating_sub(at + 2);
    let before = at.saturating_sub(1);
    let name_after = name.chars().count() <= after || after >= before;
    let cut = |room: usize| format::fit(&name, room);
    if name_after {
        spans.push(Span::styled(glyphs[..at].concat(), theme.muted()));
        spans.push(Span::styled(CURSOR, theme.heading()));
        let rest = cut(after);
        if !rest.is_empty() {
            spans.push(Span::raw(" "));
            spans.push(Span::styled(rest, theme.heading()));
        }
    } else {
        let label = cut(before);
        let keep = before - label.chars().count();
        spans.push(Span::styled(glyphs[..keep].concat(), theme.muted()));
        spans.push(Span::styled(label, theme.heading()));
        spans.push(Span::raw(" "));
        spans.push(Span::styled(CURSOR, theme.heading()));
        spans.push(Span::styled(glyphs[at + 1..].concat(), theme.muted()));
    }
    Line::from(spans)
}

fn render_metric(frame: &mut Frame, area: Rect, metric: &Metric, app: &App) {
    if area.height == 0 || area.width == 0 {
        return;
    }
    let theme = app.theme;
    let cursor = metric.values.len().saturating_sub(1);
    let value = (metric.show)(metric.values.last().copied().flatten());
    let value_style = if metric.is_bad(cursor) {
        theme.alarm()
    } else {
        Style::new()
    };
    if area.height == 1 {
        // No room for a label line: name, sparkline, value on one row.
        let [l, s, r] = Layout::horizontal([
            Constraint::Length(10),
            Constraint::Min(0),
            Constraint::Length(value.chars().count() as u16 + 1),
        ])
        .areas(area);
        frame.render_widget(Line::styled(metric.label, theme.heading()), l);
        let trend = Trend::of(metric, s.width, app);
        trend.draw(frame.buffer_mut(), s, metric, theme);
        frame.render_widget(Line::styled(value, value_style).right_aligned(), r);
        return;
    }
    let [head, mut spark] =
        Layout::vertical([Constraint::Length(1), Constraint::Min(0)]).areas(area);
    if let (Some(detail), true) = (&metric.detail, spark.height >= 3) {
        let [line, rest] =
            Layout::vertical([Constraint::Length(1), Constraint::Min(0)]).areas(spark);
        let detail = format::fit(detail, usize::from(line.width));
        frame.render_widget(Line::from(detail).right_aligned(), line);
        spark = rest;
    }
    let trend = Trend::of(metric, spark.width, app);
    let head_line = head_line(
        metric,
        trend.scale,
        &value,
        value_style,
        head.width,
        spark.height,
        theme,
    );
    frame.render_widget(head_line, head);
    trend.draw(frame.buffer_mut(), spark, metric, theme);
}

/// `label scale [threshold] … [note] value`, cut so the value, then the scale, survive: the
/// threshold text goes (the dashed line shows it) or the label gives way to its short form,
/// then both, then the label's end is cut.
fn head_line(
    metric: &Metric,
    scale: Option<Scale>,
    value: &str,
    value_style: Style,
    width: u16,
    spark_rows: u16,
    theme: Theme,
) -> Line<'static> {
    let width = usize::from(width);
    let scale = scale.map(|s| s.text(metric.percent));
    let note = metric
        .note
        .as_ref()
        .filter(|n| n.chars().count() + value.chars().count() + 6 <= width)
        .map(|n| format!("{n} "))
        .unwrap_or_default();
    let right = note.chars().count() + value.chars().count();
    let room = width.saturating_sub(right + 1);
    let join = |parts: &[Option<&str>]| {
        parts
            .iter()
            .flatten()
            .copied()
            .collect::<Vec<_>>()
            .join(" ")
    };
    let threshold = metric.threshold_text();
    let full = join(&[Some(metric.label), scale.as_deref(), threshold.as_deref()]);
    let short_full = join(&[Some(metric.short), scale.as_deref(), threshold.as_deref()]);
    let plain = join(&[Some(metric.label), scale.as_deref()]);
    let short = join(&[Some(metric.short), scale.as_deref()]);
    // On one row the line shows only in free cells: the threshold's text matters more there
    // than the label's full name.
    let order = if spark_rows > 1 {
        [full, plain, short_full, short]
    } else {
        [full, short_full, plain, short]
    };
    let label = order
        .into_iter()
        .find(|text| text.chars().count() <= room)
        .unwrap_or_else(|| match &scale {
            Some(scale) if room >= scale.chars().count() + 4 => format!(
                "{} {scale}",
                format::fit(metric.label, room - scale.chars().count() - 1)
            ),
            _ => format::fit(&join(&[Some(metric.label), scale.as_deref()]), room),
        });
    let pad = width.saturating_sub(label.chars().count() + right);
    Line::from(vec![
        Span::styled(label, theme.heading()),
        Span::raw(" ".repeat(pad)),
        Span::styled(note, theme.muted()),
        Span::styled(value.to_string(), value_style),
    ])
}

/// A trend as drawn at one width: the windows of each column and the scale of those windows.
struct Trend {
    columns: Vec<std::ops::Range<usize>>,
    scale: Option<Scale>,
}

impl Trend {
    fn of(metric: &Metric, width: u16, app: &App) -> Trend {
        let columns = app
            .trend_zoom
            .columns(metric.values.len(), usize::from(width));
        let shown = match (columns.first(), columns.last()) {
            (Some(first), Some(last)) => &metric.values[first.start..last.end],
            _ => &[],
        };
        let scale = Scale::of(shown, metric.bounds, metric.threshold.map(|t| t.0));
        Trend { columns, scale }
    }

    /// The bars (a column past its threshold in the alarm style when any of its windows is),
    /// then the threshold's dashed line through the cells no bar fills, at its height.
    fn draw(&self, buffer: &mut Buffer, area: Rect, metric: &Metric, theme: Theme) {
        let Some(scale) = self.scale else {
            return;
        };
        let bars: Vec<SparklineBar> = self
            .columns
            .iter()
            .map(|c| {
                let value = column_value(&metric.values, c);
                let bar = SparklineBar::from(scale.height(value, area.height));
                if c.clone().any(|i| metric.is_bad(i)) {
                    bar.style(theme.alarm())
                } else {
                    bar
                }
            })
            .collect();
        Sparkline::default()
            .block(Block::new())
            .data(bars)
            .max(Scale::levels(area.height))
            .style(theme.trend())
            .render(area, buffer);
        let Some((threshold, _)) = metric.threshold else {
            return;
        };
        if area.height == 0 {
            return;
        }
        let y = area.bottom() - 1 - scale.threshold_row(threshold, area.height);
        for x in area.left()..area.right() {
            let cell = &mut buffer[(x, y)];
            if cell.symbol() == " " {
                cell.set_symbol(THRESHOLD).set_style(theme.muted());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::tui::fixtures;
    use crate::tui::render::testing::{find, lines, screen, shows};

    #[test]
    fn rows_go_to_labels_and_bars_then_the_axis_then_the_gauges() {
        let shares = |height, trends| {
            let r = super::rows(height, trends);
            (r.per_metric, r.axis, r.gauges)
        };
        // The 80x24 pane has 11 rows.
        assert_eq!(shares(11, 4), (vec![2; 4], 1, 2));
        assert_eq!(shares(11, 5), (vec![2; 5], 1, 0));
        assert_eq!(shares(11, 6), (vec![2, 2, 2, 2, 1, 1], 1, 0));
        assert_eq!(shares(12, 5), (vec![2; 5], 1, 1));
        // Taller: the rest to the sparklines, the first ones first.
        assert_eq!(shares(21, 4), (vec![5, 5, 4, 4], 1, 2));
        assert_eq!(shares(0, 4), (vec![0; 4], 0, 0));
    }

    #[test]
    fn pca_adds_its_error_with_the_latest_threshold_and_is_absent_without_it() {
        use ml_monitor::drift::DriftResult;
        use ml_monitor::drift::PcaFigures;
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
        // With labels, realised and estimated one above the other (realised 0.600 in the
        // fixture), on the same scale.
        let t = screen(&fixtures::estimated_app(6, 6), 120, 40);
        let buffer = t.backend().buffer();
        let estimate = find(buffer, "accuracy est. 0–1").expect("the estimate");
        let realised = find(buffer, "realised 0–1 bad<0.700").expect("the realised figure");
        assert!(realised.y > estimate.y);
        let accuracy = fixtures::result(6, false)
            .performance
            .map(|p| p.headline().1);
        let row = lines(buffer)[usize::from(realised.y)].clone();
        assert!(row.contains(&crate::tui::format::number(accuracy)), "{row}");
    }
}
