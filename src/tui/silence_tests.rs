//! `S` on a problem and the runbook link: silencing from the screen, lifting it, the dimmed
//! `silenced until … by …` row, and the detail's OSC 8 hyperlink.

use std::collections::BTreeMap;

use chrono::Duration;
use crossterm::event::KeyCode;
use ratatui::backend::TestBackend;
use ratatui::Terminal;

use super::app::{App, SILENCE_FOR};
use super::event_loop::osc8;
use super::fixtures::{self, key};
use super::render::testing::{screen, shows};
use super::render::{self, Link};
use crate::app_event::{AppEvent, UiCommand};
use crate::runbooks::Runbooks;
use crate::silences::{Matcher, Silence};

fn on_problems(app: &mut App) {
    app.handle(key(KeyCode::Tab));
}

fn selected_id(app: &App) -> u64 {
    app.selected_incident().map(|i| i.id).expect("a problem")
}

#[test]
fn s_silences_the_selected_problem_and_again_lifts_it() {
    let mut app = fixtures::app(4, false);
    on_problems(&mut app);
    let id = selected_id(&app);
    let outcome = app.handle(key(KeyCode::Char('S')));
    assert_eq!(
        outcome.command,
        Some(UiCommand::Silence {
            problem_id: id,
            monitor: "ml-monitor".into(),
            seconds: SILENCE_FOR.num_seconds(),
        })
    );
    // Dimmed at once, before the history answers.
    let t = screen(&app, 120, 40);
    assert!(
        shows(t.backend().buffer(), "silenced until"),
        "{}",
        t.backend()
    );
    // The history's copy replaces the provisional one.
    let stored = Silence {
        id: 7,
        matchers: vec![
            Matcher {
                key: "problem_id".into(),
                value: id.to_string(),
            },
            Matcher {
                key: "monitor".into(),
                value: "ml-monitor".into(),
            },
        ],
        starts_at: app.now,
        ends_at: app.now + Duration::hours(4),
        created_by: "ana".into(),
        comment: "deploy".into(),
    };
    // Four hours after 20:05 is tomorrow: the date is written.
    let until = app.time(stored.ends_at);
    assert_eq!(until, "2026-11-28 00:05");
    app.handle(AppEvent::Silences(vec![stored]));
    // Wide enough that the selected row's wrap keeps the note on one line.
    let t = screen(&app, 160, 40);
    assert!(
        shows(
            t.backend().buffer(),
            &format!("silenced until {until} by ana")
        ),
        "{}",
        t.backend()
    );
    // The detail says so too.
    app.handle(key(KeyCode::Enter));
    let t = screen(&app, 120, 40);
    assert!(
        shows(t.backend().buffer(), "silenced   silenced until"),
        "{}",
        t.backend()
    );
    // S again lifts it: the history is asked to end silence 7.
    let outcome = app.handle(key(KeyCode::Char('S')));
    assert_eq!(outcome.command, Some(UiCommand::ExpireSilence { id: 7 }));
    let t = screen(&app, 120, 40);
    assert!(
        !shows(t.backend().buffer(), "silenced until"),
        "{}",
        t.backend()
    );
}

#[test]
fn a_silence_made_elsewhere_dims_its_problem_and_s_does_not_lift_it() {
    let mut app = fixtures::app(4, false);
    on_problems(&mut app);
    let id = selected_id(&app);
    // `silence add --match problem_id=ID --match level=CRITICAL`: not the screen's own.
    let other = Silence {
        id: 3,
        matchers: vec![Matcher {
            key: "problem_id".into(),
            value: id.to_string(),
        }],
        starts_at: app.now,
        ends_at: app.now + Duration::hours(1),
        created_by: "bo".into(),
        comment: "known".into(),
    };
    app.handle(AppEvent::Silences(vec![other]));
    let t = screen(&app, 120, 40);
    assert!(shows(t.backend().buffer(), "by bo"), "{}", t.backend());
    let outcome = app.handle(key(KeyCode::Char('S')));
    assert!(
        matches!(outcome.command, Some(UiCommand::Silence { .. })),
        "{outcome:?}"
    );
    // Without a history there is nowhere to keep one: a notice, no command.
    let mut options = fixtures::options(false);
    options.can_silence = false;
    let mut app = App::new(
        options,
        fixtures::history(4),
        Default::default(),
        fixtures::now(),
    );
    on_problems(&mut app);
    let outcome = app.handle(key(KeyCode::Char('S')));
    assert_eq!(outcome.command, None);
    assert!(app.notice.as_deref().is_some_and(|n| n.contains("history")));
}

#[test]
fn the_detail_links_the_runbook() {
    let templates: BTreeMap<String, String> = [(
        "performance_degradation".to_string(),
        "https://wiki.example/rb/{metric}?m={monitor}".to_string(),
    )]
    .into_iter()
    .collect();
    let mut app = fixtures::app(4, false);
    app.options.runbooks = Runbooks::new(&templates).expect("runbooks");
    on_problems(&mut app);
    app.handle(key(KeyCode::Enter));
    let mut terminal = Terminal::new(TestBackend::new(120, 40)).expect("terminal");
    let mut links: Vec<Link> = Vec::new();
    terminal
        .draw(|f| links = render::draw(f, &app))
        .expect("draw");
    let url = "https://wiki.example/rb/accuracy?m=ml-monitor";
    assert_eq!(links.len(), 1, "{links:?}\n{}", terminal.backend());
    assert_eq!(links[0].url, url);
    assert_eq!(links[0].text, url);
    // The link sits where the URL is drawn.
    let buffer = terminal.backend().buffer();
    let drawn: String = (0..url.chars().count() as u16)
        .map(|i| buffer[(links[0].x + i, links[0].y)].symbol().to_string())
        .collect();
    assert_eq!(drawn, url);
    assert_eq!(
        osc8(url, "x"),
        format!("\u{1b}]8;;{url}\u{1b}\\x\u{1b}]8;;\u{1b}\\")
    );
    // The main view has no links.
    app.handle(key(KeyCode::Esc));
    terminal
        .draw(|f| links = render::draw(f, &app))
        .expect("draw");
    assert!(links.is_empty());
}
