//! Reference vs current histogram of the selected feature: one row per bin, the reference's
//! share drawn `█` and the current window's `▒` side by side, each with its percentage, and the
//! bin's part of the PSI at the right.
//!
//! Numeric features are binned on the reference's quantiles — the PSI's own bins — so every bin
//! holds about the same share of the reference and the parts add up to the PSI in the drift
//! table. Glyphs and the column headings tell the sides apart, so the chart reads without
//! colour and in a copy-paste. Histograms come with the windows processed while the UI runs (the
//! history does not store them), so after a restart a feature may have none until the next
//! window; the pane says so.

use ml_monitor::drift::psi::PROPORTION_FLOOR;
use ml_monitor::monitoring::HeldBack;
use ml_monitor::stats::Histogram;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};
use ratatui::Frame;

use super::{drift_table, pane};
use crate::tui::app::App;
use crate::tui::format;
use crate::tui::sanitize::sanitize;
use crate::tui::table_cells;
use crate::tui::theme::Theme;

/// Width of the PSI-part column: its heading, `PSI part`, is the widest text in it.
const PART: usize = 8;

/// The reference's bar glyph.
pub(crate) const REFERENCE: char = '█';
/// The current window's bar glyph.
pub(crate) const CURRENT: char = '▒';

pub(super) fn render(frame: &mut Frame, area: Rect, app: &App) {
    let theme = app.theme;
    let feature = app.selected_feature().unwrap_or_default();
    let latest = app.shown().latest.as_deref();
    let window = latest.map(|r| r.result.window.as_str()).unwrap_or_default();
    let title = Line::from(format!(
        " Histogram: {} · {} ",
        format::fit(&sanitize(&feature), 40),
        sanitize(format::window_label(window))
    ));
    let block = pane(title, true, theme);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let [figures, chart] =
        Layout::vertical([Constraint::Length(1), Constraint::Min(0)]).areas(inner);

    if let Some(row) = app.feature_rows().into_iter().find(|r| r.name == feature) {
        let style = if row.drifted {
            theme.alarm()
        } else {
            Default::default()
        };
        let mut parts: Vec<String> = row
            .figures
            .iter()
            .map(|(test, f)| {
                let mark = if f.drifted { drift_table::OVER } else { "" };
                format!("{} {mark}{}", test.label(), table_cells::statistic_text(f))
            })
            .collect();
        let mark = if row.p_drifted && row.p_adjusted.is_some() {
            drift_table::OVER
        } else {
            ""
        };
        parts.push(format!(
            "p adj {mark}{}",
            format::p_value_bounded(row.p_adjusted, row.p_bound)
        ));
        parts.push(format!(
            "missing {}→{}",
            format::percent_short(row.missing_ref),
            format::percent_short(row.missing)
        ));
        parts.push(drift_table::status_word(&row).to_string());
        // Shown as drifted, kept from paging by the page policy: say which test held it back.
        match latest.and_then(|r| r.result.held_back.get(&feature)) {
            Some(HeldBack::Evidence) => parts.push("not paged: weak evidence".into()),
            Some(HeldBack::Effect) => parts.push("not paged: small effect".into()),
            None => {}
        }
        let text = format::fit(&parts.join("  "), usize::from(figures.width));
        frame.render_widget(Line::styled(text, style), figures);
    }
    match latest.and_then(|r| r.histograms.get(&feature)) {
        Some(histogram) if !histogram.labels.is_empty() => {
            let lines = chart_lines(histogram, usize::from(chart.width), theme);
            frame.render_widget(Paragraph::new(lines), chart);
        }
        _ if app.past().is_some() => {
            let text = format!(
                "The histogram of {} is not kept for past windows: the history keeps each \
                 window's figures, not its rows (End: live).",
                sanitize(&feature)
            );
            let message =
                Paragraph::new(Line::styled(text, theme.muted())).wrap(Wrap { trim: true });
            frame.render_widget(message, chart);
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

/// A share in [0, 1], NaN read as 0.
fn clean(share: f64) -> f64 {
    if share.is_finite() {
        share.clamp(0.0, 1.0)
    } else {
        0.0
    }
}

/// A bin's part of the PSI: `(cur − ref) · ln(cur / ref)`, shares floored as the PSI floors them.
pub(crate) fn psi_part(reference: f64, current: f64) -> f64 {
    let r = clean(reference).max(PROPORTION_FLOOR);
    let c = clean(current).max(PROPORTION_FLOOR);
    (c - r) * (c / r).ln()
}

/// A bar of `share / max` of `width` cells, in whole cells (a non-zero share gets at least one).
fn bar(share: f64, max: f64, width: usize, glyph: char) -> String {
    let share = clean(share);
    let cells = if max > 0.0 {
        ((share / max) * width as f64).round() as usize
    } else {
        0
    };
    let cells = if share > 0.0 { cells.max(1) } else { cells }.min(width);
    let mut text: String = std::iter::repeat_n(glyph, cells).collect();
    text.extend(std::iter::repeat_n(' ', width - cells));
    text
}

/// The heading, one line per bin, and the PSI's total.
fn chart_lines(h: &Histogram, width: usize, theme: Theme) -> Vec<Line<'static>> {
    let label_width = h
        .labels
        .iter()
        .map(|l| sanitize(l).chars().count())
        .max()
        .unwrap_or(0)
        .clamp(5, 16);
    // label, space, "100.0% " bar, space, "100.0% " bar, space, part ("PSI part").
    let fixed = label_width + 1 + 7 + 1 + 7 + 1 + PART;
    let bar_width = width.saturating_sub(fixed) / 2;
    let max = h
        .reference
        .iter()
        .chain(&h.current)
        .map(|s| clean(*s))
        .fold(0.0, f64::max);
    let heading = format!(
        "{:<label_width$} {:<w$} {:<w$} {:>PART$}",
        "bin",
        format!("reference {REFERENCE}"),
        format!("current {CURRENT}"),
        "PSI part",
        w = 7 + bar_width,
    );
    let mut lines = vec![Line::styled(format::fit(&heading, width), theme.heading())];
    let mut total = 0.0;
    for (i, label) in h.labels.iter().enumerate() {
        let r = h.reference.get(i).copied().unwrap_or(0.0);
        let c = h.current.get(i).copied().unwrap_or(0.0);
        let part = psi_part(r, c);
        total += part;
        let label = format::fit(&sanitize(label), label_width);
        lines.push(Line::from(vec![
            Span::raw(format!("{label:<label_width$} ")),
            Span::raw(format!("{:>6} ", format::percent(Some(clean(r))))),
            Span::styled(bar(r, max, bar_width, REFERENCE), theme.reference_bar()),
            Span::raw(" "),
            Span::raw(format!("{:>6} ", format::percent(Some(clean(c))))),
            Span::styled(bar(c, max, bar_width, CURRENT), theme.current_bar()),
            Span::raw(" "),
            Span::styled(
                format!("{:>PART$}", format::number(Some(part))),
                if part > 0.1 {
                    theme.alarm()
                } else {
                    Style::new()
                },
            ),
        ]));
    }
    let sum = format!("Σ parts {}", format::number(Some(total)));
    lines.push(Line::styled(
        format!("{sum:>width$}", width = width.min(fixed + 2 * bar_width)),
        theme.muted(),
    ));
    lines
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tui::fixtures::{self, key};
    use crate::tui::render::testing::{find, screen, shows};
    use crossterm::event::KeyCode;
    use ratatui::style::Color;

    #[test]
    fn enter_shows_reference_and_current_bars_told_apart_by_glyph_and_colour() {
        let mut app = fixtures::app(3, false);
        app.handle(crate::app_event::AppEvent::Window(Box::new(
            fixtures::report(4, true),
        )));
        app.handle(key(KeyCode::Enter));
        let t = screen(&app, 80, 24);
        let buffer = t.backend().buffer();
        assert!(shows(buffer, "Histogram: income · window_0004"));
        assert!(shows(buffer, "reference █") && shows(buffer, "current ▒"));
        assert!(shows(buffer, "PSI part") && shows(buffer, "DRIFT"));
        let r = find(buffer, "██").expect("a reference bar");
        assert_eq!(buffer[(r.x, r.y)].fg, Color::Cyan);
        let c = find(buffer, "▒▒").expect("a current bar");
        assert_eq!(buffer[(c.x, c.y)].fg, Color::Yellow);
    }

    #[test]
    fn the_parts_add_up_to_the_psi_of_the_same_bins() {
        let reference = [0.1; 10];
        let current = [0.05, 0.05, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.15, 0.15];
        let parts: f64 = reference
            .iter()
            .zip(current)
            .map(|(r, c)| psi_part(*r, c))
            .sum();
        let counts = |s: &[f64]| {
            s.iter()
                .map(|v| (v * 1000.0).round() as u64)
                .collect::<Vec<_>>()
        };
        let psi = ml_monitor::drift::psi::psi_from_counts(&counts(&reference), &counts(&current))
            .expect("psi");
        assert!((parts - psi).abs() < 1e-12, "{parts} vs {psi}");
        assert!(psi_part(0.0, 0.0).abs() < 1e-15);
        assert!(psi_part(f64::NAN, 0.5).is_finite());
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
        assert_eq!(bar(f64::NAN, 1.0, 4, '█'), "    ");
        assert_eq!(bar(2.0, 1.0, 4, '█'), "████");
        assert_eq!(bar(0.01, 1.0, 4, '█'), "█   ", "a non-zero share shows");
        let h = Histogram {
            labels: vec!["a".into(); 40],
            reference: vec![f64::NAN; 40],
            current: vec![],
        };
        for width in [0, 1, 10, 200] {
            chart_lines(&h, width, Theme::new(false));
        }
    }
}
