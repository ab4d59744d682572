//! Reference vs current histogram of the selected feature, as grouped bars per bin.
//!
//! Histograms come with the windows processed while the UI runs (the history does not store
//! them), so after a restart a feature may have none until the next window; the pane says so.
//! Reference bars are left of current ones in every group and the legend says which is which,
//! so the chart reads without colour too.

use ml_monitor::drift::histogram::Histogram;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Bar, BarChart, BarGroup, Paragraph, Wrap};
use ratatui::Frame;

use super::{drift_table, pane};
use crate::tui::app::App;
use crate::tui::format;
use crate::tui::sanitize::sanitize;
use crate::tui::theme::Theme;

pub(super) fn render(frame: &mut Frame, area: Rect, app: &App) {
    let theme = app.theme;
    let feature = app.selected_feature().unwrap_or_default();
    let latest = app.shown().latest.as_deref();
    let window = latest.map(|r| r.result.window.as_str()).unwrap_or_default();
    let title = Line::from(format!(
        " Histogram: {} · {} ",
        sanitize(&feature),
        sanitize(window)
    ));
    let block = pane(title, true, theme);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let [figures, legend, chart] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Min(0),
    ])
    .areas(inner);

    if let Some(row) = app.feature_rows().into_iter().find(|r| r.name == feature) {
        let style = if row.drifted {
            theme.alarm()
        } else {
            Default::default()
        };
        let text = format!(
            "statistic {}  p {}  PSI {}  missing {}  {}",
            format::number(row.statistic),
            format::p_value(row.p_value),
            format::number(row.psi),
            format::percent(row.missing),
            drift_table::status_word(&row),
        );
        frame.render_widget(Line::styled(text, style), figures);
    }
    frame.render_widget(
        Line::from(vec![
            Span::styled("█ reference", theme.reference_bar()),
            Span::raw(" (left)  "),
            Span::styled("█ current", theme.current_bar()),
            Span::raw(" (right)  % of rows · Up/Down feature · Esc back"),
        ]),
        legend,
    );
    match latest.and_then(|r| r.histograms.get(&feature)) {
        Some(histogram) if !histogram.labels.is_empty() => {
            frame.render_widget(chart_widget(histogram, chart.width, theme), chart)
        }
        _ => {
            let text = format!(
                "No histogram of {} yet: histograms come with each window processed while \
                 ml-monitor runs.",
                sanitize(&feature)
            );
            let message =
                Paragraph::new(Line::styled(text, theme.muted())).wrap(Wrap { trim: true });
            frame.render_widget(message, chart);
        }
    }
}

/// Per-mille bar values, so small shares still show.
fn per_mille(share: f64) -> u64 {
    if share.is_finite() {
        (share.clamp(0.0, 1.0) * 1000.0).round() as u64
    } else {
        0
    }
}

fn bar(share: f64, style: ratatui::style::Style) -> Bar<'static> {
    let value = per_mille(share);
    Bar::new(value)
        .style(style)
        .text_value(format!("{}", (value as f64 / 10.0).round()))
}

fn chart_widget(h: &Histogram, width: u16, theme: Theme) -> BarChart<'static> {
    let bins = h.labels.len().max(1);
    let group_gap: u16 = 1;
    let per_group = (usize::from(width) / bins).saturating_sub(usize::from(group_gap));
    let bar_width = (per_group / 2).clamp(1, 9) as u16;
    let groups: Vec<BarGroup> = h
        .labels
        .iter()
        .enumerate()
        .map(|(i, label)| {
            let r = h.reference.get(i).copied().unwrap_or(0.0);
            let c = h.current.get(i).copied().unwrap_or(0.0);
            BarGroup::new([bar(r, theme.reference_bar()), bar(c, theme.current_bar())])
                .label(Line::from(sanitize(label).into_owned()))
        })
        .collect();
    let max = h
        .reference
        .iter()
        .chain(&h.current)
        .map(|s| per_mille(*s))
        .max()
        .unwrap_or(0)
        .max(1);
    BarChart::grouped(groups)
        .bar_width(bar_width)
        .bar_gap(0)
        .group_gap(group_gap)
        .max(max)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tui::fixtures::{self, key};
    use crate::tui::render::testing::{screen, shows};
    use crossterm::event::KeyCode;
    use ratatui::style::Color;

    #[test]
    fn enter_shows_reference_and_current_bars_of_the_selected_feature() {
        let mut app = fixtures::app(3, false);
        app.handle(crate::app_event::AppEvent::Window(Box::new(
            fixtures::report(4, true),
        )));
        app.handle(key(KeyCode::Enter));
        let t = screen(&app, 80, 24);
        let buffer = t.backend().buffer();
        assert!(shows(buffer, "Histogram: income · window_0004.csv"));
        assert!(shows(buffer, "reference (left)"));
        assert!(shows(buffer, "DRIFT"));
        let colours: Vec<Color> = buffer
            .content()
            .iter()
            .filter(|c| c.symbol() == "█")
            .map(|c| c.fg)
            .collect();
        assert!(
            colours.contains(&Color::Cyan) && colours.contains(&Color::Yellow),
            "both sides drawn"
        );
    }

    #[test]
    fn a_feature_without_a_histogram_says_so() {
        let mut app = fixtures::app(3, false);
        app.handle(key(KeyCode::Enter));
        let t = screen(&app, 80, 24);
        assert!(shows(t.backend().buffer(), "No histogram of income yet"));
    }

    #[test]
    fn values_outside_zero_to_one_do_not_break_the_chart() {
        assert_eq!(per_mille(f64::NAN), 0);
        assert_eq!(per_mille(2.0), 1000);
        assert_eq!(per_mille(-1.0), 0);
        let h = Histogram {
            labels: vec!["a".into(); 40],
            reference: vec![f64::NAN; 40],
            current: vec![],
        };
        let mut buffer = ratatui::buffer::Buffer::empty(Rect::new(0, 0, 10, 5));
        ratatui::widgets::Widget::render(
            chart_widget(&h, 10, Theme::new(false)),
            buffer.area,
            &mut buffer,
        );
    }
}
