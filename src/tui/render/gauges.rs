//! Gauges of the newest window's prediction shift and prediction mean against their thresholds.
//!
//! ratatui's gauges panic on a ratio outside 0..=1, NaN included, and the figures here come from
//! data: every ratio goes through [`ratio`], which clamps and maps NaN and infinities to an empty
//! gauge labelled "n/a". Being over the threshold is written out ("OVER"), not only coloured.

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::widgets::LineGauge;
use ratatui::Frame;

use crate::tui::app::App;
use crate::tui::format;

/// The filled share of a gauge: |value| / threshold, or |value| itself without a threshold,
/// clamped to 0..=1; 0 when either is missing or not a finite number.
pub(super) fn ratio(value: Option<f64>, threshold: Option<f64>) -> f64 {
    let Some(v) = value.filter(|v| v.is_finite()) else {
        return 0.0;
    };
    let r = match threshold.filter(|t| t.is_finite() && *t > 0.0) {
        Some(t) => v.abs() / t,
        None => v.abs(),
    };
    if r.is_nan() {
        0.0
    } else {
        r.clamp(0.0, 1.0)
    }
}

/// Whether a value is beyond its threshold.
fn over(value: Option<f64>, threshold: Option<f64>) -> bool {
    matches!((value, threshold), (Some(v), Some(t)) if v.is_finite() && v.abs() > t)
}

fn label(name: &str, value: Option<f64>, threshold: Option<f64>) -> String {
    let mut text = format!("{name} {}", format::number(value));
    if let Some(t) = threshold {
        text.push('/');
        text.push_str(&format::number(Some(t)));
    }
    if over(value, threshold) {
        text.push_str(" OVER");
    }
    text
}

pub(super) fn render(frame: &mut Frame, area: Rect, app: &App) {
    let theme = app.theme;
    let latest = app.shown().latest_result();
    let thresholds = &app.options.thresholds;
    let gauges = [
        (
            "shift",
            latest.and_then(|r| r.prediction_shift),
            thresholds.prediction_shift,
        ),
        (
            "mean",
            latest.and_then(|r| r.predictions.as_ref()).map(|p| p.mean),
            thresholds.prediction_mean_threshold,
        ),
    ];
    let rows = Layout::vertical([Constraint::Length(1); 2]).split(area);
    for ((name, value, threshold), row) in gauges.into_iter().zip(rows.iter()) {
        let style = if over(value, threshold) {
            theme.alarm()
        } else {
            theme.good()
        };
        let gauge = LineGauge::default()
            .ratio(ratio(value, threshold))
            .label(label(name, value, threshold))
            .filled_symbol("█")
            .unfilled_symbol("░")
            .filled_style(style)
            .unfilled_style(theme.muted());
        frame.render_widget(gauge, *row);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tui::fixtures;
    use crate::tui::render::testing::{screen, shows};
    use ratatui::style::Color;

    #[test]
    fn ratios_are_clamped_and_nan_is_empty() {
        assert_eq!(ratio(Some(0.05), Some(0.1)), 0.5);
        assert_eq!(ratio(Some(-0.05), Some(0.1)), 0.5);
        assert_eq!(ratio(Some(3.0), Some(0.1)), 1.0);
        assert_eq!(ratio(Some(f64::NAN), Some(0.1)), 0.0);
        assert_eq!(ratio(Some(f64::INFINITY), Some(0.1)), 0.0);
        assert_eq!(ratio(Some(0.4), None), 0.4);
        assert_eq!(ratio(Some(0.4), Some(0.0)), 0.4);
        assert_eq!(ratio(Some(1e300), Some(1e-300)), 1.0);
        assert_eq!(ratio(None, Some(0.1)), 0.0);
    }

    #[test]
    fn labels_write_the_value_the_threshold_and_over() {
        assert_eq!(
            label("shift", Some(0.15), Some(0.1)),
            "shift 0.150/0.100 OVER"
        );
        assert_eq!(label("shift", Some(f64::NAN), Some(0.1)), "shift n/a/0.100");
        assert_eq!(label("mean", Some(0.42), None), "mean 0.420");
    }

    #[test]
    fn nan_and_huge_values_render_without_panic() {
        let mut app = fixtures::app(2, false);
        let mut report = fixtures::report(3, true);
        report.result.prediction_shift = Some(f64::NAN);
        if let Some(p) = report.result.predictions.as_mut() {
            p.mean = f64::INFINITY;
        }
        app.handle(crate::app_event::AppEvent::Window(Box::new(report)));
        let t = screen(&app, 80, 24);
        assert!(shows(t.backend().buffer(), "shift n/a"));
        assert!(shows(t.backend().buffer(), "mean n/a"));
    }

    #[test]
    fn a_shift_over_its_threshold_is_red_and_says_over() {
        let app = fixtures::app(3, false);
        let t = screen(&app, 80, 24);
        let buffer = t.backend().buffer();
        let at = crate::tui::render::testing::find(buffer, "OVER").expect("over marker");
        let bar_cell = (at.x + 6..buffer.area.right())
            .map(|x| &buffer[(x, at.y)])
            .find(|c| c.symbol() == "█")
            .expect("filled cells");
        assert_eq!(bar_cell.fg, Color::Red);
    }
}
