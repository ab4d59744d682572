//! The trends pane, honest (issue 28 item 2) and with late labels (issue 26): bars, threshold
//! line and printed range on one scale; the cursor naming the window read; `+`/`-` zoom; every
//! trend keeping its label and sparkline at 80x24; realised accuracy beside the estimate with the
//! labelled share. Snapshots at 80x24 and 120x40, one without colour.

use std::collections::HashSet;

use crossterm::event::KeyCode;
use ml_monitor::MonitoringResult;
use ratatui::buffer::Buffer;
use ratatui::layout::Position;

use super::app::App;
use super::fixtures::{self, key};
use super::render::testing::{find, lines, screen, shows};
use crate::app_event::{AppEvent, PastView, RealisedWindow};

/// The symbols of row `y` from `x`, `n` cells.
fn cells(buffer: &Buffer, x: u16, y: u16, n: u16) -> String {
    (x..x + n).map(|x| buffer[(x, y)].symbol()).collect()
}

/// An app whose prediction means are `means`, oldest first, with `threshold` on the mean.
fn app_with_means(means: &[f64], threshold: Option<f64>) -> App {
    let mut options = fixtures::options(false);
    options.thresholds.prediction_mean_threshold = threshold;
    let history: Vec<MonitoringResult> = means
        .iter()
        .enumerate()
        .map(|(i, &m)| {
            let mut r = fixtures::result(i + 1, false);
            if let Some(p) = r.predictions.as_mut() {
                p.mean = m;
            }
            r
        })
        .collect();
    App::new(options, history, HashSet::new(), fixtures::now())
}

/// Forty windows at 0.47, then 38 (the 120-column pane's width) of noise 0.233–0.258.
fn noisy_means() -> Vec<f64> {
    let mut means = vec![0.47; 40];
    means.extend((0..38).map(|i| 0.233 + f64::from(i % 6) * 0.005));
    means
}

/// The pred mean sparkline's rows: from under its label to the next label or the axis.
fn pred_mean_rows(buffer: &Buffer, label: Position) -> Vec<u16> {
    (label.y + 1..buffer.area.height)
        .take_while(|&y| {
            let first = buffer[(label.x, y)].symbol();
            !first
                .chars()
                .any(|c| c.is_alphabetic() || c == '─' || c == '◆')
        })
        .collect()
}

#[test]
fn bars_label_and_threshold_line_share_the_scale_printed() {
    // 120x40: the pane is 38 wide, so the 0.47 windows are out of view. The label prints the
    // range of the windows drawn, and the bars span exactly that: the lowest value is the
    // lowest bar, the highest fills the sparkline.
    let app = app_with_means(&noisy_means(), None);
    let t = screen(&app, 120, 40);
    let buffer = t.backend().buffer();
    let label = find(buffer, "pred mean 0.233–0.258").expect("the range drawn, printed");
    let rows = pred_mean_rows(buffer, label);
    let top = *rows.first().expect("sparkline rows");
    let bottom = *rows.last().expect("sparkline rows");
    // Window 0.258 (the sixth drawn, i % 6 == 5) reaches the top row; 0.233 (the first) is
    // the lowest bar, one eighth of the bottom row.
    assert_eq!(
        buffer[(label.x + 5, top)].symbol(),
        "█",
        "{:#?}",
        lines(buffer)
    );
    assert_eq!(buffer[(label.x, bottom)].symbol(), "▁");
    assert_eq!(buffer[(label.x, top)].symbol(), " ");

    // A threshold of 0.9: the scale reaches it (printed so), the noise stays low, and the
    // dashed line runs through the top row where no bar is.
    let app = app_with_means(&noisy_means(), Some(0.9));
    let t = screen(&app, 120, 40);
    let buffer = t.backend().buffer();
    let label = find(buffer, "pred mean 0.230–0.900 bad>0.900").expect("the widened range");
    let rows = pred_mean_rows(buffer, label);
    let top = *rows.first().expect("sparkline rows");
    assert_eq!(cells(buffer, label.x, top, 38), "┄".repeat(38));
    for &y in &rows[..rows.len() - 1] {
        assert!(
            !cells(buffer, label.x, y, 38).contains('█'),
            "noise stays low"
        );
    }
}

#[test]
fn the_threshold_is_drawn_and_named_at_80x24() {
    // One row of bars: the line runs through the free cells, and the label keeps the
    // threshold's text by shortening its name.
    let app = fixtures::app(6, false);
    let t = screen(&app, 80, 24);
    let buffer = t.backend().buffer();
    let label = find(buffer, "acc. 0–1 bad<0.700").expect("accuracy's scale and threshold");
    let row = cells(buffer, label.x, label.y + 1, 26);
    assert!(row.ends_with(&"┄".repeat(20)), "{row:?}");
}

#[test]
fn the_cursor_names_the_window_its_values_are_read_at() {
    // Live: the newest window, under its bar (the sixth column).
    let app = fixtures::app(6, false);
    let t = screen(&app, 80, 24);
    let buffer = t.backend().buffer();
    let axis = find(buffer, "◆ window_0006").expect("the cursor on the axis");
    let drifted = find(buffer, "drifted 0–100%").expect("label");
    assert_eq!(axis.x, drifted.x + 5);
    // Travelling to window 4: the trends end there, its values are read.
    let mut app = fixtures::app(6, false);
    let outcome = app.handle(key(KeyCode::Char('[')));
    let Some(crate::app_event::UiCommand::View { request, .. }) = outcome.command else {
        panic!("`[` asks for a past window: {outcome:?}");
    };
    let mut results = fixtures::history(4);
    results[3].predictions.as_mut().expect("predictions").mean = 0.321;
    app.handle(AppEvent::Past(
        request,
        Some(Box::new(PastView {
            result_id: 4,
            behind: 2,
            position: 4,
            results,
            incidents: Vec::new(),
        })),
    ));
    let t = screen(&app, 80, 24);
    let buffer = t.backend().buffer();
    let axis = find(buffer, "◆ window_0004").expect("the cursor on the viewed window");
    assert_eq!(axis.x, drifted.x + 3);
    assert!(shows(buffer, "0.321"), "the viewed window's value");
}

#[test]
fn plus_and_minus_zoom_the_time_range() {
    let app_of = |keys: &[char]| {
        let mut app = app_with_means(&noisy_means(), None);
        for &c in keys {
            app.handle(key(KeyCode::Char(c)));
        }
        app
    };
    let title = |app: &App| lines(screen(app, 120, 40).backend().buffer())[2].clone();
    assert!(title(&app_of(&[])).contains("┌ Trends ─"));
    // In: two columns a window, 19 windows; out: two windows a column, 76.
    assert!(title(&app_of(&['+'])).contains("Trends · 19 windows"));
    assert!(title(&app_of(&['-'])).contains("Trends · 76 windows"));
    assert!(title(&app_of(&['-', '-'])).contains("Trends · 78 windows"));
    assert!(title(&app_of(&['+', '-'])).contains("┌ Trends ─"));
    // Zoomed out over all 78 windows, the 0.47 ones are drawn and the scale takes them in.
    let t = screen(&app_of(&['-', '-']), 120, 40);
    assert!(shows(t.backend().buffer(), "pred mean 0.230–0.470"));
    // At the end of the range, a notice says so.
    let mut app = app_of(&['+', '+', '+']);
    app.handle(key(KeyCode::Char('+')));
    assert!(shows(
        screen(&app, 120, 40).backend().buffer(),
        "zoomed in as far as they go"
    ));
}

/// Windows 1..=6 with estimates; windows 1..=3 had their target, window 6 gets late labels
/// for 80 of its 100 rows: realised accuracy 0.600.
fn labelled_app(no_color: bool) -> App {
    let mut app = fixtures::estimated_app(6, 3);
    if no_color {
        app.theme = super::theme::Theme::new(true);
    }
    let performance = fixtures::result(6, false).performance.map(|mut p| {
        if let ml_monitor::monitoring::Performance::Classification(m) = &mut p {
            m.accuracy = 0.6;
        }
        p
    });
    let outcome = app.handle(AppEvent::Realised(Box::new(RealisedWindow {
        window: fixtures::window_name(6),
        performance,
        labelled_rows: 80,
        rows: 100,
    })));
    assert!(outcome.redraw);
    app
}

#[test]
fn late_labels_show_realised_beside_the_estimate_with_the_labelled_share() {
    let app = labelled_app(false);
    let t = screen(&app, 120, 40);
    let buffer = t.backend().buffer();
    assert!(shows(buffer, "accuracy est. 0–1"));
    let realised = find(buffer, "realised 0–1").expect("the realised row");
    let row = lines(buffer)[usize::from(realised.y)].clone();
    assert!(row.contains("labels 80 % 0.600"), "{row}");
    // Windows 4 and 5 have no labels yet: gaps in the realised row, bars in the estimate's.
    let estimate = find(buffer, "accuracy est.").expect("the estimate's row");
    let bottom = realised.y - 1;
    assert_ne!(buffer[(estimate.x + 3, bottom)].symbol(), " ");
    let realised_bottom = (realised.y + 1..40)
        .take_while(|&y| buffer[(realised.x, y)].symbol() != "p")
        .last()
        .expect("realised bars");
    let realised_row = cells(buffer, realised.x, realised_bottom, 6);
    assert_eq!(realised_row.chars().nth(3), Some(' '), "{realised_row:?}");
    assert_ne!(realised_row.chars().nth(5), Some(' '), "{realised_row:?}");
    // A window the trends do not hold is not redrawn for.
    let mut app = labelled_app(false);
    let outcome = app.handle(AppEvent::Realised(Box::new(RealisedWindow {
        window: "window_9999.csv".into(),
        performance: None,
        labelled_rows: 1,
        rows: 2,
    })));
    assert!(!outcome.redraw);
}

#[test]
fn every_trend_keeps_its_label_and_sparkline_at_80x24() {
    // Five trends (drifted, AUC, estimate, realised, pred mean) in the 80x24 pane.
    let app = labelled_app(false);
    let t = screen(&app, 80, 24);
    let buffer = t.backend().buffer();
    for label in [
        "drifted 0–100%",
        "AUC 0.5–1",
        "accuracy est. 0–1",
        "real 0–1",
        "pred 0.",
    ] {
        let at = find(buffer, label).unwrap_or_else(|| panic!("{label}: {:#?}", lines(buffer)));
        let bars = cells(buffer, at.x, at.y + 1, 6);
        assert!(
            bars.chars().any(|c| "▁▂▃▄▅▆▇█".contains(c)),
            "{label}: {bars:?}"
        );
    }
    assert!(shows(buffer, "labels 80 % 0.600"));
    assert!(shows(buffer, "◆ window_0006"));
}

#[test]
fn snapshot_realised_beside_estimated_80x24() {
    insta::assert_snapshot!(screen(&labelled_app(false), 80, 24).backend());
}

#[test]
fn snapshot_realised_beside_estimated_120x40_no_color() {
    insta::assert_snapshot!(screen(&labelled_app(true), 120, 40).backend());
}

#[test]
fn snapshot_scale_shared_with_threshold_80x24() {
    insta::assert_snapshot!(screen(&app_with_means(&noisy_means(), Some(0.9)), 80, 24).backend());
}

#[test]
fn snapshot_scale_shared_zoomed_in_120x40() {
    let mut app = app_with_means(&noisy_means(), Some(0.9));
    app.handle(key(KeyCode::Char('+')));
    insta::assert_snapshot!(screen(&app, 120, 40).backend());
}

#[test]
fn zoomed_out_a_step_back_reads_as_many_windows_as_it_draws() {
    let trend_asked = |zoom: &[char]| {
        let mut app = fixtures::app(6, false);
        for &c in zoom {
            app.handle(key(KeyCode::Char(c)));
        }
        match app.handle(key(KeyCode::Char('['))).command {
            Some(crate::app_event::UiCommand::View { trend, .. }) => trend,
            other => panic!("{other:?}"),
        }
    };
    assert_eq!(trend_asked(&[]), 120);
    assert_eq!(trend_asked(&['+']), 120);
    assert_eq!(trend_asked(&['-']), 240);
    // The screen keeps no more than its own live history.
    assert_eq!(trend_asked(&['-', '-', '-']), super::model::MAX_WINDOWS);
}

#[test]
fn bars_past_the_threshold_and_the_line_are_told_apart_with_and_without_colour() {
    use ratatui::style::{Color, Modifier};
    for no_color in [false, true] {
        let app = fixtures::app(6, no_color);
        let t = screen(&app, 80, 24);
        let buffer = t.backend().buffer();
        let label = find(buffer, "acc. 0–1 bad<0.700").expect("accuracy");
        // Window 1's accuracy 0.640 is under 0.700; the line runs past the bars.
        let bad = &buffer[(label.x, label.y + 1)];
        let line = &buffer[(label.x + 10, label.y + 1)];
        assert_eq!(line.symbol(), "┄");
        let cursor = find(buffer, "◆").expect("cursor");
        let cursor = &buffer[(cursor.x, cursor.y)];
        if no_color {
            assert!(bad.modifier.contains(Modifier::BOLD));
            assert!(line.modifier.contains(Modifier::DIM));
            assert_eq!((bad.fg, line.fg), (Color::Reset, Color::Reset));
        } else {
            assert_eq!(bad.fg, Color::Red);
            assert_eq!(line.fg, Color::DarkGray);
        }
        assert!(cursor.modifier.contains(Modifier::BOLD));
    }
}
