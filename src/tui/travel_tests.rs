//! Time travel (issue 28 item 1): `[` / `]` and ←/→ on the trends show the whole screen as it
//! stood at an earlier window, the status line says which and how far behind live, new windows
//! keep arriving, `End` comes back. The worker's answers are played by [`Answers`], a history
//! in memory whose result ids are the window numbers; snapshots at 80x24 and 120x40.

use crossterm::event::KeyCode;
use ml_monitor::monitoring::{Incident, IncidentTracker};
use ml_monitor::MonitoringResult;

use super::app::{App, Focus, Outcome, View};
use super::fixtures::{self, key};
use super::render::testing::{lines, screen, shows};
use crate::app_event::{AppEvent, PastView, UiCommand, WindowReport};

/// Windows 1..=n as the history would answer for them, with the incidents after each.
struct Answers {
    results: Vec<MonitoringResult>,
    incidents_after: Vec<Vec<Incident>>,
    /// The `View` commands answered.
    asked: Vec<UiCommand>,
}

impl Answers {
    fn answer(&mut self, command: UiCommand) -> AppEvent {
        let UiCommand::View {
            request,
            from,
            step,
            trend,
        } = command.clone()
        else {
            panic!("not a view: {command:?}");
        };
        self.asked.push(command);
        let n = self.results.len() as i64;
        let target = (from.unwrap_or(n) + step).clamp(1, n);
        let end = target as usize;
        let view = PastView {
            result_id: target,
            behind: (n - target) as usize,
            position: end,
            results: self.results[end.saturating_sub(trend)..end].to_vec(),
            incidents: self.incidents_after[end - 1].clone(),
        };
        AppEvent::Past(request, Some(Box::new(view)))
    }

    /// A new window for the app and for the history.
    fn arrive(&mut self, app: &mut App, tracker: &mut IncidentTracker, i: usize) {
        let mut result = fixtures::result(i, i % 2 == 1);
        result.incidents = tracker.observe(&result);
        self.results.push(result.clone());
        self.incidents_after
            .push(all_incidents(tracker, &self.results));
        app.handle(AppEvent::Window(Box::new(WindowReport {
            result,
            histograms: Default::default(),
            firing: tracker.open().cloned().collect(),
            failing_sinks: Vec::new(),
        })));
    }
}

/// The firing incidents and those resolved so far (from the changes of `results`).
fn all_incidents(tracker: &IncidentTracker, results: &[MonitoringResult]) -> Vec<Incident> {
    let mut out: Vec<Incident> = tracker.open().cloned().collect();
    for change in results.iter().flat_map(|r| r.incidents.iter()) {
        if !change.incident.is_firing() {
            out.retain(|i| i.id != change.incident.id);
            out.push(change.incident.clone());
        }
    }
    out
}

/// An app that has seen windows 1..=n live, and the history behind it.
fn app_with_history(n: usize) -> (App, IncidentTracker, Answers) {
    let (mut app, mut tracker) = fixtures::app_and_tracker(0, false);
    let mut answers = Answers {
        results: Vec::new(),
        incidents_after: Vec::new(),
        asked: Vec::new(),
    };
    for i in 1..=n {
        answers.arrive(&mut app, &mut tracker, i);
    }
    (app, tracker, answers)
}

/// Presses a key and plays the worker until the app asks nothing more.
fn press(app: &mut App, answers: &mut Answers, code: KeyCode) -> Outcome {
    let mut outcome = app.handle(key(code));
    while let Some(command) = outcome.command.take() {
        outcome = app.handle(answers.answer(command));
    }
    outcome
}

fn status(app: &App, width: u16, height: u16) -> String {
    lines(screen(app, width, height).backend().buffer())[1].clone()
}

#[test]
fn six_brackets_back_show_window_2_then_a_step_forward_then_end_is_live() {
    let (mut app, _, mut answers) = app_with_history(8);
    for _ in 0..6 {
        press(&mut app, &mut answers, KeyCode::Char('['));
    }
    let line = status(&app, 120, 40);
    assert!(
        line.starts_with("viewing window_0002 · 6 behind live · End: live"),
        "{line}"
    );
    let t = screen(&app, 120, 40);
    assert!(shows(t.backend().buffer(), "Trends to window_0002"));
    // The table and the verdict are window 2's: no drift then, the window-1 drift resolving.
    assert_eq!(
        app.shown().latest_result().map(|r| r.window.as_str()),
        Some("window_0002.csv")
    );
    assert_eq!(app.shown().history.len(), 2);
    press(&mut app, &mut answers, KeyCode::Char(']'));
    let line = status(&app, 120, 40);
    assert!(
        line.starts_with("viewing window_0003 · 5 behind live"),
        "{line}"
    );
    press(&mut app, &mut answers, KeyCode::End);
    let line = status(&app, 120, 40);
    assert!(
        line.starts_with("LIVE windows 8 last window_0008.csv"),
        "{line}"
    );
    assert!(app.past().is_none());
}

#[test]
fn steps_typed_before_the_answer_are_added_up_and_sent_from_where_it_landed() {
    let (mut app, _, mut answers) = app_with_history(8);
    let first = app.handle(key(KeyCode::Char('[')));
    let Some(command) = first.command else {
        panic!("no request: {first:?}");
    };
    for _ in 0..5 {
        let outcome = app.handle(key(KeyCode::Char('[')));
        assert!(outcome.command.is_none(), "{outcome:?}");
    }
    let then = app.handle(answers.answer(command));
    assert!(matches!(
        then.command,
        Some(UiCommand::View {
            from: Some(7),
            step: -5,
            ..
        })
    ));
    let Some(command) = then.command else {
        return;
    };
    app.handle(answers.answer(command));
    assert_eq!(
        app.past().map(|p| p.window.as_str()),
        Some("window_0002.csv")
    );
}

#[test]
fn new_windows_keep_arriving_the_view_stays_put_and_falls_further_behind() {
    let (mut app, mut tracker, mut answers) = app_with_history(8);
    press(&mut app, &mut answers, KeyCode::Char('['));
    answers.arrive(&mut app, &mut tracker, 9);
    answers.arrive(&mut app, &mut tracker, 10);
    let line = status(&app, 120, 40);
    assert!(
        line.starts_with("viewing window_0007 · 3 behind live"),
        "{line}"
    );
    press(&mut app, &mut answers, KeyCode::End);
    let line = status(&app, 120, 40);
    assert!(
        line.starts_with("LIVE windows 10 last window_0010.csv"),
        "{line}"
    );
}

#[test]
fn an_answer_no_longer_waited_for_is_dropped_and_the_newest_window_is_live() {
    let (mut app, _, mut answers) = app_with_history(4);
    let outcome = app.handle(key(KeyCode::Char('[')));
    press(&mut app, &mut answers, KeyCode::End);
    if let Some(command) = outcome.command {
        app.handle(answers.answer(command));
    }
    assert!(app.past().is_none());
    // `]` at live asks nothing; stepping forward onto the newest window is live again.
    assert!(app.handle(key(KeyCode::Char(']'))).command.is_none());
    press(&mut app, &mut answers, KeyCode::Char('['));
    assert!(app.past().is_some());
    press(&mut app, &mut answers, KeyCode::Char(']'));
    assert!(app.past().is_none());
    assert!(status(&app, 80, 24).starts_with("LIVE"));
}

#[test]
fn end_when_live_is_still_the_last_row() {
    let (mut app, _, mut answers) = app_with_history(4);
    press(&mut app, &mut answers, KeyCode::End);
    let rows = app.feature_rows();
    assert_eq!(app.selected_feature_index(), rows.len() - 1);
}

#[test]
fn left_and_right_step_when_the_trends_have_the_focus() {
    let (mut app, _, mut answers) = app_with_history(5);
    // Elsewhere ← does nothing.
    assert_eq!(
        press(&mut app, &mut answers, KeyCode::Left),
        Outcome::default()
    );
    press(&mut app, &mut answers, KeyCode::Tab);
    press(&mut app, &mut answers, KeyCode::Tab);
    assert_eq!(app.focus, Focus::Trends);
    press(&mut app, &mut answers, KeyCode::Left);
    press(&mut app, &mut answers, KeyCode::Left);
    assert_eq!(
        app.past().map(|p| p.window.as_str()),
        Some("window_0003.csv")
    );
    press(&mut app, &mut answers, KeyCode::Right);
    assert_eq!(
        app.past().map(|p| p.window.as_str()),
        Some("window_0004.csv")
    );
    // Shift-Tab goes back the way Tab came.
    press(&mut app, &mut answers, KeyCode::BackTab);
    assert_eq!(app.focus, Focus::Alerts);
}

#[test]
fn a_past_windows_histogram_says_it_is_not_kept() {
    let (mut app, _, mut answers) = app_with_history(4);
    press(&mut app, &mut answers, KeyCode::Char('['));
    press(&mut app, &mut answers, KeyCode::Enter);
    assert_eq!(app.view, View::Histogram);
    let t = screen(&app, 120, 40);
    assert!(
        shows(t.backend().buffer(), "is not kept for past windows"),
        "{:#?}",
        lines(t.backend().buffer())
    );
}

#[test]
fn incidents_are_those_of_the_window_shown() {
    let (mut app, _, mut answers) = app_with_history(8);
    let live: Vec<u64> = app.shown().firing.iter().map(|i| i.id).collect();
    for _ in 0..7 {
        press(&mut app, &mut answers, KeyCode::Char('['));
    }
    assert_eq!(
        app.past().map(|p| p.window.as_str()),
        Some("window_0001.csv")
    );
    let then: Vec<u64> = app.shown().firing.iter().map(|i| i.id).collect();
    assert_eq!(
        then,
        answers.incidents_after[0]
            .iter()
            .filter(|i| i.is_firing())
            .map(|i| i.id)
            .collect::<Vec<_>>()
    );
    assert_ne!(live, then, "window 1's incidents are not today's");
}

#[test]
fn without_a_history_it_says_why() {
    let mut options = fixtures::options(false);
    options.has_history = false;
    let mut app = App::new(
        options,
        fixtures::history(3),
        Default::default(),
        fixtures::now(),
    );
    app.handle(AppEvent::Resize(80, 24));
    let outcome = app.handle(key(KeyCode::Char('[')));
    assert!(outcome.command.is_none());
    let t = screen(&app, 80, 24);
    assert!(shows(t.backend().buffer(), "no history is kept"));
}

#[test]
fn snapshot_viewing_a_past_window_80x24() {
    let (mut app, _, mut answers) = app_with_history(12);
    for _ in 0..5 {
        press(&mut app, &mut answers, KeyCode::Char('['));
    }
    insta::assert_snapshot!(screen(&app, 80, 24).backend());
}

#[test]
fn snapshot_viewing_a_past_window_120x40() {
    let (mut app, _, mut answers) = app_with_history(12);
    for _ in 0..5 {
        press(&mut app, &mut answers, KeyCode::Char('['));
    }
    press(&mut app, &mut answers, KeyCode::Tab);
    press(&mut app, &mut answers, KeyCode::Tab);
    insta::assert_snapshot!(screen(&app, 120, 40).backend());
}

#[test]
fn in_a_fleet_each_models_screen_travels_on_its_own_and_the_list_stays_live() {
    use super::event_loop::Screen;
    use super::fleet::{Fleet, Member};
    use super::theme::Theme;
    let (first, _, _) = app_with_history(3);
    let (second, _, mut answers) = app_with_history(6);
    let mut fleet = Fleet::of(
        "ml-monitor".into(),
        vec![
            Member::new("churn".into(), first),
            Member::new("pricing".into(), second),
        ],
        Theme::new(false),
        fixtures::now(),
    );
    fleet.selected = 1;
    fleet.handle(AppEvent::Resize(120, 40));
    fleet.handle(key(KeyCode::Enter));
    let mut outcome = fleet.handle(key(KeyCode::Char('[')));
    assert_eq!(fleet.command_target(), 1);
    // The answer comes back tagged with the model, as the worker sends it.
    while let Some(command) = outcome.command.take() {
        outcome = fleet.handle(AppEvent::Model(1, Box::new(answers.answer(command))));
    }
    let app = &fleet.members[1].app;
    assert_eq!(
        app.past().map(|p| p.window.as_str()),
        Some("window_0005.csv")
    );
    assert!(fleet.members[0].app.past().is_none());
    // Back on the list, the row is the model's now.
    fleet.handle(key(KeyCode::Esc));
    assert_eq!(fleet.open, None);
    let rows = fleet.rows();
    assert_eq!(rows[1].last_window.as_deref(), Some("window_0006.csv"));
}

/// A past window (five steps back), for the size and colour matrix of issue 28.
fn past_window(no_color: bool) -> App {
    let (mut app, _, mut answers) = app_with_history(12);
    for _ in 0..5 {
        press(&mut app, &mut answers, KeyCode::Char('['));
    }
    app.theme = super::theme::Theme::new(no_color);
    app
}

#[test]
fn snapshot_viewing_a_past_window_matrix() {
    for (w, h) in [(80, 24), (120, 40), (200, 50)] {
        for no_color in [false, true] {
            let name = format!(
                "viewing_a_past_window_{w}x{h}{}",
                if no_color { "_no_color" } else { "_colour" }
            );
            insta::assert_snapshot!(name, screen(&past_window(no_color), w, h).backend());
        }
    }
}
