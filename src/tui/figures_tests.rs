//! Issue 28 item 4, "correct figures": each detector's detail shows its own rule (a
//! classifier's problem says `AUC 0.839 > 0.550`, not the per-feature tests' p / PSI / W rule),
//! capped p-values are written as bounds, and a categorical feature's histogram header fits and
//! marks its `p adj` like the drift table.

use std::collections::{BTreeMap, HashSet};

use crossterm::event::KeyCode;
use ml_monitor::drift::{DriftResult, FeatureDrift, FeatureStatus};
use ml_monitor::monitoring::IncidentTracker;
use ml_monitor::AlertKind;
use ml_monitor::{Alert, AlertLevel};

use super::app::{App, View};
use super::fixtures::{self, key};
use super::render::testing::{lines, screen, shows};
use crate::app_event::AppEvent;

fn with_window(mut app: App, i: usize, drift: bool) -> App {
    app.handle(AppEvent::Window(Box::new(fixtures::report(i, drift))));
    app
}

/// An app whose only problem is the classifier's: AUC 0.839 in windows 1 and 2.
fn classifier_app(no_color: bool) -> App {
    let mut app = App::new(
        fixtures::options(no_color),
        Vec::new(),
        HashSet::new(),
        fixtures::now(),
    );
    let mut tracker = IncidentTracker::new(2);
    for i in 1..=2 {
        let mut result = fixtures::result(i, false);
        let mut alert = Alert::new(
            AlertLevel::Warning,
            AlertKind::DataDrift,
            &result.window,
            "classifier: AUC 0.839 telling current rows from reference rows".into(),
            result.timestamp,
        );
        // As the alert rules make it: the AUC as value, no threshold.
        alert.detector = Some("classifier".into());
        alert.metric = Some("auc".into());
        alert.value = Some(0.839);
        result.alerts = vec![alert];
        fixtures::feed(&mut app, &mut tracker, result);
    }
    app.handle(AppEvent::Resize(80, 24));
    app
}

fn classifier_detail(no_color: bool) -> App {
    let mut app = classifier_app(no_color);
    app.handle(key(KeyCode::Tab));
    app.handle(key(KeyCode::Enter));
    assert_eq!(app.view, View::Detail);
    app
}

#[test]
fn the_classifier_detail_shows_its_auc_against_its_own_threshold() {
    let app = classifier_detail(false);
    let t = screen(&app, 80, 24);
    let buffer = t.backend().buffer();
    let text = lines(buffer).join("\n");
    assert!(
        shows(buffer, "data_drift · classifier: AUC 0.839 > 0.550"),
        "{text}"
    );
    assert!(shows(buffer, "threshold  AUC > 0.550"), "{text}");
    assert!(!text.contains("classifier: classifier:"), "{text}");
    assert!(!text.contains("p adj <"), "{text}");
    assert!(!text.contains("PSI >"), "{text}");
    // The incident list and the verdict say it the same way.
    let main = classifier_app(false);
    let t = screen(&main, 80, 24);
    let main_text = lines(t.backend().buffer()).join("\n");
    assert!(main_text.contains("AUC 0.839 > 0.550"), "{main_text}");
    assert!(
        !main_text.contains("classifier: classifier:"),
        "{main_text}"
    );
}

#[test]
fn the_threshold_a_classifier_is_held_to_comes_from_its_settings() {
    let mut app = classifier_detail(false);
    app.options.auc_threshold = 0.6;
    let t = screen(&app, 80, 24);
    assert!(shows(t.backend().buffer(), "threshold  AUC > 0.600"));
}

#[test]
fn a_drifted_features_detail_gives_the_rules_of_its_own_detectors() {
    let mut app = fixtures::app(4, false);
    app.handle(AppEvent::Window(Box::new(fixtures::report(5, true))));
    // The log view lists single alerts: the ks one carries no threshold.
    app.handle(key(KeyCode::Char('l')));
    app.handle(key(KeyCode::Tab));
    let mut found = false;
    for _ in 0..12 {
        app.handle(key(KeyCode::Enter));
        let t = screen(&app, 120, 40);
        let text = lines(t.backend().buffer()).join("\n");
        if text.contains("detector   ks") {
            assert!(text.contains("threshold  ks: p adj < 0.04"), "{text}");
            assert!(!text.contains("PSI > 0.2"), "{text}");
            found = true;
            break;
        }
        app.handle(key(KeyCode::Esc));
        app.handle(key(KeyCode::Down));
    }
    assert!(found, "the ks alert's detail");
}

/// A window whose `ad` detector reports income at AD's floor (p < 0.001, adjusted 0.004),
/// tenure at its ceiling (p > 0.25, adjusted 1) and age in between.
fn capped_app() -> App {
    let feature = |p: f64, adjusted: f64, drifted: bool| FeatureDrift {
        statistic: Some(if drifted { 565.9 } else { 0.4 }),
        p_value: Some(p),
        p_value_adjusted: Some(adjusted),
        drifted,
        status: FeatureStatus::Ok,
        test: None,
        statistic_error_bound: None,
        p_value_approximate: None,
        effect: None,
        paging_p_value: None,
    };
    let features = BTreeMap::from([
        ("income".to_string(), feature(0.001, 0.004, true)),
        ("tenure".to_string(), feature(0.25, 1.0, false)),
        ("age".to_string(), feature(0.02, 0.08, false)),
    ]);
    let mut report = fixtures::report(5, true);
    report.result.drift = BTreeMap::from([(
        "ad".to_string(),
        DriftResult::per_feature(features, 1, 1, |d| d),
    )]);
    let mut app = fixtures::app(4, false);
    app.handle(AppEvent::Window(Box::new(report)));
    app
}

#[test]
fn a_capped_p_value_is_written_as_a_bound_in_the_table_and_the_histogram() {
    let mut app = capped_app();
    let t = screen(&app, 120, 40);
    let text = lines(t.backend().buffer()).join("\n");
    let row = |name: &str| {
        text.lines()
            .find(|l| l.contains(&format!("{name} ")))
            .unwrap_or_default()
            .to_string()
    };
    assert!(row("income").contains("▲<0.004 "), "{text}");
    // Adjusted to 1, a capped p-value is exact again; in between, exact.
    assert!(row("tenure").contains(" 1.0000"), "{text}");
    assert!(!row("tenure").contains(">"), "{text}");
    assert!(row("age").contains(" 0.0800"), "{text}");
    while app.selected_feature().as_deref() != Some("income") {
        app.handle(key(KeyCode::Down));
    }
    app.handle(key(KeyCode::Enter));
    let t = screen(&app, 80, 24);
    assert!(
        shows(t.backend().buffer(), "p adj ▲<0.004 "),
        "{}",
        t.backend()
    );
}

fn city_histogram(no_color: bool) -> App {
    let mut app = with_window(fixtures::app(4, no_color), 5, true);
    while app.selected_feature().as_deref() != Some("city") {
        app.handle(key(KeyCode::Down));
    }
    app.handle(key(KeyCode::Enter));
    assert_eq!(app.view, View::Histogram);
    app
}

#[test]
fn a_categorical_histograms_header_fits_at_every_width_and_marks_p_adj() {
    let app = city_histogram(false);
    for width in 80..=130 {
        let t = screen(&app, width, 24);
        let rows = lines(t.backend().buffer());
        let figures = &rows[3];
        assert!(figures.contains("p adj ▲8.4e-8"), "{width}: {figures}");
        assert!(
            figures.contains("χ² ▲48.70  PSI ▲0.310"),
            "{width}: {figures}"
        );
        let heading = rows[4].trim_end_matches('│').trim_end();
        assert!(heading.ends_with("PSI part"), "{width}: {heading}");
        assert!(!rows.iter().any(|r| r.contains("pa…")), "{width}");
    }
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
    snapshot_classifier_detail_80x24: classifier_detail(false), 80, 24;
    snapshot_classifier_detail_120x40_no_color: classifier_detail(true), 120, 40;
    snapshot_categorical_histogram_80x24: city_histogram(false), 80, 24;
    snapshot_categorical_histogram_120x40_no_color: city_histogram(true), 120, 40;
    // Issue 28: every view at 80x24, 120x40 and 200x50, with colour and without.
    snapshot_classifier_detail_80x24_no_color: classifier_detail(true), 80, 24;
    snapshot_classifier_detail_120x40: classifier_detail(false), 120, 40;
    snapshot_classifier_detail_200x50: classifier_detail(false), 200, 50;
    snapshot_classifier_detail_200x50_no_color: classifier_detail(true), 200, 50;
    snapshot_categorical_histogram_80x24_no_color: city_histogram(true), 80, 24;
    snapshot_categorical_histogram_120x40: city_histogram(false), 120, 40;
    snapshot_categorical_histogram_200x50: city_histogram(false), 200, 50;
    snapshot_categorical_histogram_200x50_no_color: city_histogram(true), 200, 50;
}

/// A drifted feature the page policy keeps from paging says so in its histogram's header, and
/// which test held it back (issue 24 item 2).
#[test]
fn a_histogram_says_when_its_feature_is_shown_but_not_paged() {
    let mut report = fixtures::report(5, true);
    report
        .result
        .held_back
        .insert("city".to_string(), ml_monitor::monitoring::HeldBack::Effect);
    let mut app = fixtures::app(4, false);
    app.handle(AppEvent::Window(Box::new(report)));
    while app.selected_feature().as_deref() != Some("city") {
        app.handle(key(KeyCode::Down));
    }
    app.handle(key(KeyCode::Enter));
    assert_eq!(app.view, View::Histogram);
    let t = screen(&app, 200, 40);
    assert!(
        shows(t.backend().buffer(), "not paged: small effect"),
        "{}",
        t.backend()
    );
}
