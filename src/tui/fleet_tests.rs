//! The fleet list: its rows, Enter/Esc between the list and a model's screen, event routing,
//! and snapshots at 80x24 and 120x40 (regenerate with
//! `INSTA_UPDATE=always cargo test --bin ml-monitor fleet` and review the diff).

use std::collections::HashSet;

use crossterm::event::KeyCode;
use ml_monitor::AlertLevel;
use ratatui::backend::TestBackend;
use ratatui::Terminal;

use super::app::App;
use super::event_loop::Screen;
use super::fixtures::{self, key};
use super::fleet::{Fleet, Member};
use super::fleet_render::sparkline;
use super::render::testing::shows;
use super::theme::Theme;
use crate::app_event::{AppEvent, UiCommand, WindowReport};

/// Three models: one drifting (incidents firing), one calm, one with no window yet.
fn fleet() -> Fleet {
    let calm = App::new(
        fixtures::options(false),
        (1..=4).map(|i| fixtures::result(i, false)).collect(),
        HashSet::new(),
        fixtures::now(),
    );
    let waiting = App::new(
        fixtures::options(false),
        Vec::new(),
        HashSet::new(),
        fixtures::now(),
    );
    let mut fleet = Fleet::of(
        "ml-monitor".into(),
        vec![
            Member::new("churn".into(), fixtures::app(7, false)),
            Member::new("fraud-detection-eu-west-production".into(), calm),
            Member::new("pricing".into(), waiting),
        ],
        Theme::new(false),
        fixtures::now(),
    );
    fleet.handle(AppEvent::Resize(80, 24));
    fleet
}

/// Model `index`'s window 5 could not be used.
fn window_error_of(index: usize) -> AppEvent {
    AppEvent::Model(
        index,
        Box::new(AppEvent::Window(Box::new(WindowReport {
            result: fixtures::error_result(5),
            histograms: Default::default(),
            firing: Vec::new(),
            failing_sinks: Vec::new(),
        }))),
    )
}

fn draw(fleet: &Fleet, width: u16, height: u16) -> Terminal<TestBackend> {
    let mut t = Terminal::new(TestBackend::new(width, height)).expect("test terminal");
    t.draw(|f| {
        fleet.draw(f);
    })
    .expect("draw");
    t
}

#[test]
fn rows_give_each_model_its_verdict_last_window_and_firing_count() {
    let rows = fleet().rows();
    assert_eq!(rows[0].name, "churn");
    assert!(
        rows[0].verdict.is_some_and(|l| l >= AlertLevel::Warning),
        "{:?}",
        rows[0]
    );
    assert!(rows[0].firing > 0);
    assert_eq!(
        rows[0].last_window.as_deref(),
        Some(fixtures::window_name(7).as_str())
    );
    assert_eq!(rows[0].drift_shares.len(), 7);
    assert_eq!(rows[1].verdict, None);
    assert_eq!(rows[1].firing, 0);
    assert_eq!(rows[2].last_window, None);
}

#[test]
fn enter_opens_the_selected_model_and_esc_returns_to_the_list() {
    let mut fleet = fleet();
    fleet.handle(key(KeyCode::Down));
    assert_eq!(fleet.selected, 1);
    assert!(fleet.handle(key(KeyCode::Enter)).redraw);
    assert_eq!(fleet.open, Some(1));
    // The where-part of the status line takes what room is left, so look wide.
    let t = draw(&fleet, 160, 40);
    assert!(shows(t.backend().buffer(), "dir /data/incoming"));
    // Esc first closes what the model's screen has open (its help), then leaves it.
    fleet.handle(key(KeyCode::Char('?')));
    fleet.handle(key(KeyCode::Esc));
    assert_eq!(fleet.open, Some(1));
    fleet.handle(key(KeyCode::Esc));
    assert_eq!(fleet.open, None);
    assert!(shows(
        draw(&fleet, 80, 24).backend().buffer(),
        "fleet of 3 models"
    ));
}

#[test]
fn a_models_events_reach_only_that_model() {
    let mut fleet = fleet();
    let report = fixtures::report(9, true);
    fleet.handle(AppEvent::Model(
        2,
        Box::new(AppEvent::Window(Box::new(report))),
    ));
    let rows = fleet.rows();
    assert_eq!(
        rows[2].last_window.as_deref(),
        Some(fixtures::window_name(9).as_str())
    );
    assert_eq!(
        rows[1].last_window.as_deref(),
        Some(fixtures::window_name(4).as_str())
    );
    // While a model is open, another model's window does not redraw its screen.
    fleet.open = Some(0);
    let outcome = fleet.handle(AppEvent::Model(
        1,
        Box::new(AppEvent::Window(Box::new(fixtures::report(5, false)))),
    ));
    assert!(!outcome.redraw);
}

#[test]
fn an_acknowledgement_goes_to_the_open_models_worker() {
    let mut fleet = fleet();
    fleet.handle(key(KeyCode::Enter));
    assert_eq!(fleet.command_target(), 0);
    fleet.handle(key(KeyCode::Tab));
    let outcome = fleet.handle(key(KeyCode::Char('a')));
    assert!(
        matches!(
            outcome.command,
            Some(UiCommand::AcknowledgeIncident { .. }) | Some(UiCommand::Acknowledge { .. })
        ),
        "{outcome:?}"
    );
    assert_eq!(fleet.command_target(), 0);
}

#[test]
fn q_quits_from_the_list() {
    assert!(fleet().handle(key(KeyCode::Char('q'))).quit);
}

#[test]
fn the_sparkline_has_a_fixed_scale() {
    assert_eq!(
        sparkline(&[Some(0.0), Some(1.0), None, Some(0.5)], 10),
        "▁█·▅"
    );
    // Only the newest that fit.
    assert_eq!(sparkline(&[Some(1.0), Some(0.0), Some(0.0)], 2), "▁▁");
    assert_eq!(sparkline(&[], 5), "");
}

#[test]
fn every_size_down_to_1x1_draws_without_a_panic() {
    let fleet = fleet();
    for (w, h) in [(1, 1), (10, 3), (40, 5), (79, 23), (200, 60)] {
        draw(&fleet, w, h);
    }
}

#[test]
fn snapshot_fleet_80x24() {
    let mut fleet = fleet();
    fleet.handle(key(KeyCode::Down));
    insta::assert_snapshot!(draw(&fleet, 80, 24).backend());
}

#[test]
fn snapshot_fleet_120x40() {
    let mut fleet = fleet();
    fleet.handle(AppEvent::Resize(120, 40));
    insta::assert_snapshot!(draw(&fleet, 120, 40).backend());
}

#[test]
fn the_status_line_names_the_configuration_in_use() {
    let mut options = fixtures::options(false);
    options.config = Some("/data/.ml-monitor/config.toml".into());
    let mut app = App::new(options, Vec::new(), HashSet::new(), fixtures::now());
    // The where-part of the status line takes what room is left (cut with `…`), so look wide.
    app.handle(AppEvent::Resize(180, 40));
    let t = super::render::testing::screen(&app, 180, 40);
    assert!(shows(
        t.backend().buffer(),
        "cfg /data/.ml-monitor/config.toml"
    ));
    let plain = super::render::testing::screen(&fixtures::app(1, false), 180, 40);
    assert!(!shows(plain.backend().buffer(), "cfg "));
}

fn type_text(fleet: &mut Fleet, text: &str) {
    for c in text.chars() {
        fleet.handle(key(KeyCode::Char(c)));
    }
}

fn footer(t: &Terminal<TestBackend>) -> String {
    super::render::testing::lines(t.backend().buffer())
        .pop()
        .unwrap_or_default()
}

/// The calm model first in the plan, the drifting one second, the waiting one last.
fn calm_first() -> Fleet {
    let mut fleet = fleet();
    fleet.members.swap(0, 1);
    fleet
}

#[test]
fn the_list_sorts_worst_first_and_the_selection_follows_its_model() {
    let mut fleet = calm_first();
    let order: Vec<String> = fleet.shown_rows().into_iter().map(|r| r.name).collect();
    assert_eq!(
        order,
        ["churn", "fraud-detection-eu-west-production", "pricing"]
    );
    assert_eq!(fleet.selected, 0, "the calm model, plan index 0");
    assert_eq!(fleet.selected_row(), Some(1), "drawn second");
    fleet.handle(key(KeyCode::Up));
    assert_eq!(fleet.members[fleet.selected].name, "churn");
    // The calm model's window fails: it moves up past the quiet one, the selection stays.
    fleet.handle(window_error_of(2));
    let rows = fleet.shown_rows();
    assert_eq!(rows[1].name, "pricing");
    assert_eq!(rows[1].reason.as_deref(), Some("window error"));
    assert_eq!(fleet.members[fleet.selected].name, "churn");
}

#[test]
fn each_row_says_why() {
    let rows = fleet().rows();
    assert_eq!(
        rows[0].reason.as_deref(),
        Some("accuracy 0.640 < 0.700 (+2 more)")
    );
    assert_eq!(rows[1].reason, None, "OK needs no reason");
    let t = draw(&fleet(), 120, 40);
    assert!(shows(
        t.backend().buffer(),
        "CRITICAL 2      accuracy 0.640 < 0.700 (+2 more)"
    ));
}

#[test]
fn a_model_that_changed_since_you_looked_is_marked_until_you_open_it() {
    let mut fleet = fleet();
    assert!(fleet.rows().iter().all(|r| !r.changed), "start-up is seen");
    fleet.handle(window_error_of(1));
    assert!(fleet.rows()[1].changed);
    assert!(!fleet.rows()[0].changed);
    let t = draw(&fleet, 80, 24);
    assert!(shows(t.backend().buffer(), "● fraud"));
    // A window that changes nothing the list says is no news.
    fleet.handle(AppEvent::Model(
        0,
        Box::new(AppEvent::Window(Box::new(fixtures::report(7, false)))),
    ));
    fleet.selected = 1;
    fleet.handle(key(KeyCode::Enter));
    fleet.handle(key(KeyCode::Esc));
    assert_eq!(fleet.open, None);
    assert!(!fleet.rows()[1].changed, "seen now");
}

#[test]
fn slash_filters_the_list_as_you_type_and_esc_shows_all_again() {
    let mut fleet = fleet();
    fleet.handle(key(KeyCode::Char('/')));
    type_text(&mut fleet, "pric");
    let names: Vec<String> = fleet.shown_rows().into_iter().map(|r| r.name).collect();
    assert_eq!(names, ["pricing"]);
    assert_eq!(fleet.members[fleet.selected].name, "pricing", "moved to it");
    let t = draw(&fleet, 80, 24);
    assert!(
        footer(&t).starts_with("/pric▏ 1 of 3 models · Enter keep · Esc drop"),
        "{}",
        footer(&t)
    );
    assert!(
        !fleet.handle(key(KeyCode::Char('q'))).quit,
        "q is typed, not quit"
    );
    fleet.handle(key(KeyCode::Backspace));
    fleet.handle(key(KeyCode::Enter));
    assert_eq!(fleet.filter.as_deref(), Some("pric"));
    let t = draw(&fleet, 80, 24);
    assert!(
        footer(&t).starts_with("filter \"pric\": 1 of 3 models · Esc shows all"),
        "{}",
        footer(&t)
    );
    // By verdict too.
    fleet.handle(key(KeyCode::Esc));
    assert_eq!(fleet.shown_rows().len(), 3);
    fleet.handle(key(KeyCode::Char('/')));
    type_text(&mut fleet, "crit");
    assert_eq!(fleet.shown_rows().len(), 1);
}

#[test]
fn question_mark_shows_the_lists_keys() {
    let mut fleet = fleet();
    fleet.handle(key(KeyCode::Char('?')));
    let t = draw(&fleet, 80, 24);
    assert!(shows(t.backend().buffer(), "Fleet keys"));
    assert!(shows(
        t.backend().buffer(),
        "changed since you last had the model open"
    ));
    fleet.handle(key(KeyCode::Esc));
    assert!(!fleet.help);
    let t = draw(&fleet, 80, 24);
    assert!(!shows(t.backend().buffer(), "Fleet keys"));
}

/// A fleet where the calm model's last window failed since it was looked at, in colour or not.
fn changed_fleet(no_color: bool) -> Fleet {
    let mut fleet = fleet();
    fleet.theme = Theme::new(no_color);
    fleet.handle(window_error_of(1));
    fleet
}

#[test]
fn snapshot_fleet_with_reasons_and_a_change_80x24_no_color() {
    insta::assert_snapshot!(draw(&changed_fleet(true), 80, 24).backend());
}

#[test]
fn snapshot_fleet_with_reasons_and_a_change_120x40_no_color() {
    insta::assert_snapshot!(draw(&changed_fleet(true), 120, 40).backend());
}

/// The fleet list with reasons and a change marker at every size, with colour and without.
#[test]
fn snapshot_fleet_with_reasons_matrix() {
    for (w, h) in [(80, 24), (120, 40), (200, 50)] {
        for no_color in [false, true] {
            let name = format!(
                "fleet_with_reasons_{w}x{h}{}",
                if no_color { "_no_color" } else { "_colour" }
            );
            insta::assert_snapshot!(name, draw(&changed_fleet(no_color), w, h).backend());
        }
    }
}
