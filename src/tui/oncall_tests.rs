//! The on-call screen's promises, state by state: the verdict, the alert detail and its jump to
//! the histogram, the `↑ N new` marker, `/` search, `y` copy, the drift table's per-test columns
//! with marked cells and thresholds, names cut with `…`, and snapshots of each state at 80x24
//! and 120x40, with and without colour.

use crossterm::event::KeyCode;
use ml_monitor::AlertLevel;
use ratatui::style::{Color, Modifier};

use super::app::{App, Focus, View};
use super::fixtures::{self, key};
use super::render::testing::{find, lines, screen, shows};
use crate::app_event::AppEvent;

fn press(app: &mut App, code: KeyCode) {
    app.handle(key(code));
}

fn type_text(app: &mut App, text: &str) {
    for c in text.chars() {
        press(app, KeyCode::Char(c));
    }
}

fn with_window(mut app: App, i: usize, drift: bool) -> App {
    app.handle(AppEvent::Window(Box::new(fixtures::report(i, drift))));
    app
}

#[test]
fn the_verdict_line_names_the_worst_condition_and_since_when() {
    let app = fixtures::app(5, false);
    let t = screen(&app, 120, 40);
    let buffer = t.backend().buffer();
    let top = &lines(buffer)[0];
    assert!(
        top.starts_with("CRITICAL since window_0001 (20:01, 3 windows): accuracy 0.640 < 0.700"),
        "{top}"
    );
    let v = find(buffer, "CRITICAL since").expect("verdict");
    assert_eq!(buffer[(v.x, v.y)].fg, Color::Red);
    // Header counts are firing incidents, not alerts ever seen.
    assert!(lines(buffer)[1]
        .trim_end()
        .ends_with("firing CRITICAL 1 INFO 1"));
    // At 80 columns the drifted share gives way; the condition stays whole.
    let at_80 = screen(&app, 80, 24);
    let top = &lines(at_80.backend().buffer())[0];
    assert!(
        top.starts_with("CRITICAL since window_0001 (20:01, 3 windows): accuracy 0.640 < 0.700"),
        "{top}"
    );
}

#[test]
fn enter_on_an_incident_opens_its_detail_and_h_its_features_histogram() {
    let mut app = with_window(fixtures::app(4, false), 5, true);
    press(&mut app, KeyCode::Tab);
    press(&mut app, KeyCode::Enter);
    assert_eq!(app.view, View::Detail);
    let t = screen(&app, 80, 24);
    let buffer = t.backend().buffer();
    for text in [
        "accuracy 0.640 < 0.700",
        "threshold  0.700",
        "value      0.640",
        "first      window_0001.csv",
        "acked      no",
        "accuracy 0.6400 below threshold 0.7",
    ] {
        assert!(shows(buffer, text), "{text}\n{}", t.backend());
    }
    // The problem's first drifted member gives `h` its feature.
    let t = screen(&app, 80, 24);
    assert!(shows(t.backend().buffer(), "h histogram of income"));
    press(&mut app, KeyCode::Char('h'));
    assert_eq!(app.view, View::Histogram);
    assert_eq!(app.selected_feature().as_deref(), Some("income"));
    let t = screen(&app, 80, 24);
    assert!(shows(t.backend().buffer(), "Histogram: income"));
}

#[test]
fn the_alert_pane_follows_the_newest_until_scrolled_away_then_counts_new_rows() {
    let mut app = fixtures::app(3, false);
    press(&mut app, KeyCode::Char('l'));
    press(&mut app, KeyCode::Tab);
    // On the first row: a new window's alerts take the cursor with them.
    app.handle(AppEvent::Window(Box::new(fixtures::report(4, false))));
    assert_eq!(app.selected_alert_index(), 0);
    assert_eq!(app.visible_alerts()[0].key.0, "window_0004.csv");
    assert_eq!(app.new_above(), 0);
    // Scrolled away: the cursor stays on its alert and the title counts what came above.
    press(&mut app, KeyCode::Down);
    press(&mut app, KeyCode::Down);
    app.handle(AppEvent::Window(Box::new(fixtures::report(5, true))));
    assert_eq!(app.new_above(), 3);
    let t = screen(&app, 120, 40);
    assert!(shows(t.backend().buffer(), "↑ 3 new"), "{}", t.backend());
    press(&mut app, KeyCode::Char('g'));
    assert_eq!(app.new_above(), 0);
    let t = screen(&app, 120, 40);
    assert!(!shows(t.backend().buffer(), "new"));
}

#[test]
fn slash_searches_features_then_alerts_and_esc_drops_the_query() {
    let mut app = fixtures::app(3, false);
    press(&mut app, KeyCode::Tab);
    press(&mut app, KeyCode::Char('/'));
    type_text(&mut app, "ag");
    let t = screen(&app, 80, 24);
    assert!(lines(t.backend().buffer())[23].starts_with("/ag"));
    type_text(&mut app, "e");
    press(&mut app, KeyCode::Enter);
    assert_eq!(app.search, None);
    assert_eq!(app.focus, Focus::Drift);
    assert_eq!(app.selected_feature().as_deref(), Some("age"));
    let t = screen(&app, 80, 24);
    let buffer = t.backend().buffer();
    let selected = find(buffer, ">age").expect("age selected");
    assert!(buffer[(selected.x + 1, selected.y)]
        .modifier
        .contains(Modifier::REVERSED));
    // Not a feature: the first incident that mentions it.
    press(&mut app, KeyCode::Char('/'));
    type_text(&mut app, "shift");
    press(&mut app, KeyCode::Enter);
    assert_eq!(app.focus, Focus::Alerts);
    let problem = app.selected_incident().expect("a problem");
    assert!(
        problem
            .members
            .iter()
            .any(|m| m.kind.as_str() == "prediction_shift"),
        "{problem:?}"
    );
    // No match: said in the footer; keys are not actions while typing.
    press(&mut app, KeyCode::Char('/'));
    type_text(&mut app, "qzz");
    assert!(app.search.is_some(), "q typed, not quit");
    press(&mut app, KeyCode::Enter);
    let t = screen(&app, 80, 24);
    assert!(shows(
        t.backend().buffer(),
        "no feature or alert matches \"qzz\""
    ));
    press(&mut app, KeyCode::Char('/'));
    type_text(&mut app, "city");
    press(&mut app, KeyCode::Esc);
    assert_eq!(app.search, None);
}

#[test]
fn slash_filters_the_table_as_you_type_and_n_steps_through_the_matches() {
    let mut app = fixtures::app(3, false);
    press(&mut app, KeyCode::Char('/'));
    type_text(&mut app, "e");
    let all = app.all_feature_rows().len();
    let shown: Vec<String> = app.feature_rows().into_iter().map(|r| r.name).collect();
    assert!(shown.len() < all, "narrowed: {shown:?}");
    assert!(shown.iter().all(|n| n.contains('e')), "{shown:?}");
    let found = app.matches("e").len();
    assert!(found > shown.len(), "alerts match too: {found}");
    let t = screen(&app, 80, 24);
    let footer = lines(t.backend().buffer()).pop().unwrap_or_default();
    assert!(
        footer.starts_with(&format!("/e▏ {found} matches · Enter keep")),
        "{footer}"
    );
    press(&mut app, KeyCode::Enter);
    assert_eq!(app.feature_rows().len(), all, "the whole table again");
    let first = app.selected_feature();
    press(&mut app, KeyCode::Char('n'));
    assert_eq!(
        app.notice.as_deref(),
        Some(format!("match 2 of {found} for \"e\"").as_str())
    );
    assert_ne!(app.selected_feature(), first);
    press(&mut app, KeyCode::Char('N'));
    assert_eq!(app.selected_feature(), first, "N goes back");
    press(&mut app, KeyCode::Char('N'));
    assert_eq!(
        app.notice.as_deref(),
        Some(format!("match {found} of {found} for \"e\"").as_str()),
        "N wraps to the last match"
    );
    assert_eq!(app.focus, Focus::Alerts, "the last match is an incident");
}

#[test]
fn n_without_a_search_says_so() {
    let mut app = fixtures::app(3, false);
    press(&mut app, KeyCode::Char('n'));
    assert_eq!(
        app.notice.as_deref(),
        Some("n / N go to the next / previous match: / to search first")
    );
}

#[test]
fn y_copies_the_selected_row_as_json() {
    let mut app = with_window(fixtures::app(2, false), 3, true);
    let outcome = app.handle(key(KeyCode::Char('y')));
    let json: serde_json::Value =
        serde_json::from_str(outcome.copy.as_deref().expect("copied")).expect("JSON");
    assert_eq!(json["feature"], "income");
    assert_eq!(json["window"], "window_0003.csv");
    assert_eq!(json["drift"]["ks"]["drifted"], true);
    assert_eq!(json["data_quality"]["missing_cur"], 0.12);
    let t = screen(&app, 80, 24);
    assert!(shows(t.backend().buffer(), "copied income as JSON"));
    // The incident under the cursor, as the JSON output writes incidents.
    press(&mut app, KeyCode::Tab);
    let outcome = app.handle(key(KeyCode::Char('y')));
    let json: serde_json::Value =
        serde_json::from_str(outcome.copy.as_deref().expect("copied")).expect("JSON");
    assert_eq!(json["level"], "CRITICAL");
    assert_eq!(json["threshold"], 0.7);
    let osc = super::clipboard::osc52(outcome.copy.as_deref().unwrap_or_default());
    assert!(osc.starts_with("\u{1b}]52;c;") && osc.ends_with('\u{7}'));
}

#[test]
fn the_drift_table_has_a_column_per_test_marks_the_crossed_cell_and_names_thresholds() {
    let app = with_window(fixtures::app(2, false), 3, true);
    let t = screen(&app, 80, 24);
    let buffer = t.backend().buffer();
    let rows = lines(buffer);
    let header = rows
        .iter()
        .find(|r| r.contains("│ feature "))
        .expect("header");
    for heading in ["KS D", "χ²", "PSI", "p adj", "miss"] {
        assert!(header.contains(heading), "{heading}: {header}");
    }
    // income: KS and PSI flagged it, p adj crossed alpha, missing rose past +10%.
    let income = rows
        .iter()
        .find(|r| r.contains("income"))
        .expect("income row");
    assert!(income.contains("▲0.250"), "{income}");
    assert!(income.contains("▲0.450"), "{income}");
    assert!(
        income.contains("▲1.3e-30") || income.contains("▲5.2e-30"),
        "{income}"
    );
    assert!(income.contains("▲0%→12%"), "{income}");
    let mark = find(buffer, "▲0.450").expect("PSI cell");
    assert_eq!(buffer[(mark.x, mark.y)].fg, Color::Red);
    // score is not flagged anywhere.
    let score = rows
        .iter()
        .find(|r| r.contains("score"))
        .expect("score row");
    assert!(!score.contains('▲'), "{score}");
    assert!(shows(
        buffer,
        "▲ over: p adj < 0.04 · PSI > 0.2 · miss +10%"
    ));
    // Without colour the marks still say it.
    let plain = with_window(fixtures::app(2, true), 3, true);
    let t = screen(&plain, 80, 24);
    let buffer = t.backend().buffer();
    let mark = find(buffer, "▲0.450").expect("PSI cell");
    assert_eq!(buffer[(mark.x, mark.y)].fg, Color::Reset);
    assert!(buffer[(mark.x, mark.y)].modifier.contains(Modifier::BOLD));
}

#[test]
fn long_names_are_cut_with_an_ellipsis_at_80x24() {
    let mut report = fixtures::report(3, true);
    let long = "customer_lifetime_value_over_the_last_twelve_months";
    for d in report.result.drift.values_mut() {
        if let Some(f) = d.features.remove("income") {
            d.features.insert(long.into(), f);
        }
    }
    let app = with_window(fixtures::app(2, false), 3, true);
    let mut app = app;
    app.handle(AppEvent::Window(Box::new(report)));
    let t = screen(&app, 80, 24);
    let buffer = t.backend().buffer();
    let row = lines(buffer)
        .into_iter()
        .find(|r| r.contains("│>custo"))
        .expect("the long name's row, first (drifted)");
    let name = row
        .trim_start_matches(['│', '>'])
        .split(' ')
        .next()
        .unwrap_or("");
    assert!(
        name.ends_with('…') && long.starts_with(name.trim_end_matches('…')),
        "{row}"
    );
    assert!(!shows(buffer, long));
}

#[test]
fn the_selected_alert_is_wrapped_and_the_others_cut_with_an_ellipsis() {
    let mut app = fixtures::app(3, false);
    press(&mut app, KeyCode::Char('l'));
    press(&mut app, KeyCode::Tab);
    let t = screen(&app, 80, 24);
    let rows = lines(t.backend().buffer());
    // Compact rows: no seconds, and the window without its file name.
    assert!(
        rows.iter()
            .any(|r| r.contains("20:03 WARNING  window_0003 data_drift: ks: 1 of 4")),
        "the newest alert, compact: {rows:#?}"
    );
    let cut = rows
        .iter()
        .position(|r| r.contains("20:03 CRITICAL window_0003 performance_degradation"))
        .expect("the accuracy alert");
    assert!(
        rows[cut].trim_end_matches([' ', '│']).ends_with('…'),
        "{}",
        rows[cut]
    );
    // Selected and focused: wrapped onto the next line rather than cut.
    press(&mut app, KeyCode::Down);
    let t = screen(&app, 80, 24);
    let rows = lines(t.backend().buffer());
    let wrapped = rows
        .iter()
        .position(|r| r.contains(">") && r.contains("performance_degradation"))
        .expect("the selected accuracy alert");
    assert!(!rows[wrapped].contains('…'), "{}", rows[wrapped]);
    assert!(rows[wrapped + 1].contains("threshold 0.7"), "{rows:#?}");
}

#[test]
fn an_empty_trend_collapses_and_scales_are_labelled() {
    let mut app = fixtures::app(0, false);
    for i in 1..=4 {
        let mut report = fixtures::report(i, i >= 3);
        report.result.drift.remove("classifier");
        app.handle(AppEvent::Window(Box::new(report)));
    }
    let t = screen(&app, 120, 40);
    let buffer = t.backend().buffer();
    assert!(!shows(buffer, "AUC"), "{}", t.backend());
    assert!(shows(buffer, "drifted 0–100%"));
    assert!(shows(buffer, "accuracy 0–1 bad<0.700"));
    // Drift began at window 3 (the third window shown): `↑` under it on the axis.
    let label = find(buffer, "drifted 0–100%").expect("label");
    let baseline = (label.y + 1..40)
        .find(|&y| buffer[(label.x, y)].symbol() == "─")
        .expect("an axis");
    assert_eq!(buffer[(label.x + 2, baseline)].symbol(), "↑");
}

#[test]
fn every_level_keeps_its_colour_in_the_verdict_and_the_quiet_one_is_green() {
    let (mut app, mut tracker) = fixtures::app_and_tracker(1, false);
    for i in 2..6 {
        let mut result = fixtures::result(i, false);
        result.alerts.clear();
        fixtures::feed(&mut app, &mut tracker, result);
    }
    let t = screen(&app, 120, 40);
    let buffer = t.backend().buffer();
    let ok = find(buffer, "OK · 0 firing").expect("OK verdict");
    assert_eq!(buffer[(ok.x, ok.y)].fg, Color::Green);
    assert_eq!(app.shown().firing_at(AlertLevel::Critical), 0);
}

// Snapshots of each state, 80x24 and 120x40, with and without colour (text only: the NO_COLOR
// ones show the same text, the style assertions above cover the difference).

fn detail_app(no_color: bool) -> App {
    let mut app = with_window(fixtures::app(4, no_color), 5, true);
    press(&mut app, KeyCode::Tab);
    press(&mut app, KeyCode::Enter);
    app
}

/// The worst problem acknowledged (Tab to the incidents, `a`).
fn acked_app(no_color: bool) -> App {
    let mut app = with_window(fixtures::app(4, no_color), 5, true);
    press(&mut app, KeyCode::Tab);
    press(&mut app, KeyCode::Char('a'));
    app
}

#[test]
fn an_acknowledged_problem_is_named_so_in_the_verdict_and_the_counts() {
    let mut app = acked_app(false);
    let id = app.shown().firing[0].id;
    assert!(app.is_incident_acknowledged(id));
    let (_, verdict) = crate::tui::verdict::verdict(&app);
    assert!(
        verdict.starts_with("CRITICAL (acked) since window_0001"),
        "{verdict}"
    );
    assert_eq!(app.firing_counts(AlertLevel::Critical), (1, 1));
    let t = screen(&app, 120, 40);
    let top = lines(t.backend().buffer());
    assert!(
        top[1]
            .trim_end()
            .ends_with("firing CRITICAL 1 (1 acked) INFO 1"),
        "{}",
        top[1]
    );
    // A second a takes it back, and the line with it.
    press(&mut app, KeyCode::Char('a'));
    let (_, verdict) = crate::tui::verdict::verdict(&app);
    assert!(verdict.starts_with("CRITICAL since"), "{verdict}");
    assert_eq!(app.firing_counts(AlertLevel::Critical), (1, 0));
}

fn search_app(no_color: bool) -> App {
    let mut app = with_window(fixtures::app(4, no_color), 5, true);
    press(&mut app, KeyCode::Char('/'));
    type_text(&mut app, "ten");
    app
}

fn histogram_app(no_color: bool) -> App {
    let mut app = with_window(fixtures::app(4, no_color), 5, true);
    press(&mut app, KeyCode::Enter);
    app
}

fn log_app(no_color: bool) -> App {
    let mut app = with_window(fixtures::app(4, no_color), 5, true);
    press(&mut app, KeyCode::Char('l'));
    press(&mut app, KeyCode::Tab);
    press(&mut app, KeyCode::Char('f'));
    app
}

macro_rules! snapshots {
    ($($name:ident: $make:expr, $w:expr, $h:expr;)*) => {
        $(
            #[test]
            fn $name() {
                let app = $make;
                insta::assert_snapshot!(screen(&app, $w, $h).backend());
            }
        )*
    };
}

snapshots! {
    snapshot_detail_80x24: detail_app(false), 80, 24;
    snapshot_detail_120x40_no_color: detail_app(true), 120, 40;
    snapshot_search_80x24: search_app(false), 80, 24;
    snapshot_search_120x40_no_color: search_app(true), 120, 40;
    snapshot_acknowledged_80x24: acked_app(false), 80, 24;
    snapshot_acknowledged_120x40_no_color: acked_app(true), 120, 40;
    snapshot_histogram_120x40_no_color: histogram_app(true), 120, 40;
    snapshot_log_warning_and_above_80x24_no_color: log_app(true), 80, 24;
    snapshot_log_warning_and_above_120x40: log_app(false), 120, 40;
    snapshot_main_80x24_no_color: with_window(fixtures::app(5, true), 6, true), 80, 24;
    snapshot_help_120x40_no_color: {
        let mut app = fixtures::app(3, true);
        press(&mut app, KeyCode::Char('?'));
        app
    }, 120, 40;
}

#[test]
fn on_real_data_the_histograms_psi_parts_add_up_to_the_tables_psi() {
    use ml_monitor::generator::{Generator, GeneratorConfig};
    use ml_monitor::stats::histogram;
    use ml_monitor::{config::MonitorConfig, data, ModelMonitor};

    let dir = tempfile::tempdir().expect("temp dir");
    let generator = Generator::new(GeneratorConfig {
        rows: 800,
        windows: 6,
        ..GeneratorConfig::default()
    });
    let paths = generator.write_all(dir.path()).expect("windows");
    let config = MonitorConfig::default();
    let bins = config.drift.statistical.psi_bins;
    let (reference, schema) = data::read_reference(&paths[0], &config.columns).expect("reads");
    let mut monitor = ModelMonitor::builder(config)
        .build(&reference)
        .expect("reference fits");
    let window = data::read_window(&paths[6], &schema).expect("window reads");
    let result = monitor.monitor(&window);
    let psi = &result.drift["psi"];
    let mut checked = 0;
    let numeric =
        |c: &&ml_monitor::data::Column| matches!(c.data, ml_monitor::data::ColumnData::Numeric(_));
    for r in reference.features().iter().filter(numeric) {
        let Some(h) = window.feature(&r.name).and_then(|c| histogram(r, c, bins)) else {
            continue;
        };
        let Some(expected) = psi.features.get(&r.name).and_then(|f| f.statistic) else {
            continue;
        };
        let parts: f64 = h
            .reference
            .iter()
            .zip(&h.current)
            .map(|(a, b)| super::render::histogram_psi_part(*a, *b))
            .sum();
        assert!(
            (parts - expected).abs() < 1e-9,
            "{}: parts {parts} vs PSI {expected}",
            r.name
        );
        checked += 1;
    }
    assert!(checked >= 3, "numeric features checked: {checked}");
}

#[test]
fn the_incident_detail_names_the_features_to_blame() {
    use ml_monitor::monitoring::ranking::FeatureRank;
    use ml_monitor::AlertKind;
    let mut app = fixtures::app(4, false);
    let mut incident = app
        .shown()
        .firing
        .iter()
        .find(|i| i.kind == AlertKind::PerformanceDegradation)
        .cloned()
        .expect("the accuracy incident");
    let rank = |feature: &str, score: f64| FeatureRank {
        feature: feature.into(),
        score,
        p_value: 0.01,
        drifted_windows: 2,
    };
    incident.suspects = vec![rank("income", 0.93), rank("city", 0.41), rank("age", -0.2)];
    let mut report = fixtures::report(5, true);
    report.firing = vec![incident];
    app.handle(AppEvent::Window(Box::new(report)));
    press(&mut app, KeyCode::Tab);
    press(&mut app, KeyCode::Enter);
    assert_eq!(app.view, View::Detail);
    let t = screen(&app, 120, 40);
    let text = "suspects   income (r 0.93), city (r 0.41), age (r -0.20)";
    assert!(shows(t.backend().buffer(), text), "{}", t.backend());
}
