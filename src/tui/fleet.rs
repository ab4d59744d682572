//! The fleet list (k9s-style): several models in one process, one row each, and each model's
//! own screen behind Enter.
//!
//! Every model keeps a whole [`App`] (its screen's state), fed its own events, so opening a
//! model shows exactly what `watch DIR` would for it alone. The list reads its rows from those
//! apps: nothing is summarised twice. Esc goes back to the list only when the model's screen
//! has nothing of its own to close (help, histogram).

use chrono::{DateTime, Utc};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ml_monitor::AlertLevel;
use ratatui::Frame;

use super::app::{App, Outcome};
use super::event_loop::Screen;
use super::fleet_render;
use super::render::Link;
use super::theme::Theme;
use super::ModelStart;
use crate::app_event::AppEvent;

/// One model of the fleet.
#[derive(Debug)]
pub(crate) struct Member {
    pub(crate) name: String,
    pub(crate) app: App,
}

/// One row of the list, as drawn.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct FleetRow {
    pub(crate) name: String,
    /// The worst firing incident's level, or `None`: OK.
    pub(crate) verdict: Option<AlertLevel>,
    pub(crate) last_window: Option<String>,
    pub(crate) last_failed: bool,
    /// The last window's age as the model's status line says it.
    pub(crate) age: Option<String>,
    pub(crate) firing: usize,
    /// The drifted share of features per window, oldest first (`None`: no drift figure).
    pub(crate) drift_shares: Vec<Option<f64>>,
}

/// The fleet's whole state.
#[derive(Debug)]
pub(crate) struct Fleet {
    pub(crate) title: String,
    pub(crate) members: Vec<Member>,
    pub(crate) selected: usize,
    /// The model whose screen is shown, if any.
    pub(crate) open: Option<usize>,
    pub(crate) theme: Theme,
    pub(crate) now: DateTime<Utc>,
}

impl Fleet {
    pub(crate) fn new(title: String, starts: Vec<ModelStart>, now: DateTime<Utc>) -> Self {
        let no_color = starts.first().is_some_and(|s| s.options.no_color);
        let members = starts
            .into_iter()
            .map(|s| Member {
                name: s.name,
                app: App::new(s.options, s.initial, s.acknowledged, now),
            })
            .collect();
        Fleet {
            title,
            members,
            selected: 0,
            open: None,
            theme: Theme::new(no_color),
            now,
        }
    }

    /// The list's rows, in the plan's order.
    pub(crate) fn rows(&self) -> Vec<FleetRow> {
        self.members.iter().map(row_of).collect()
    }

    fn list_key(&mut self, key: KeyEvent) -> Outcome {
        let n = self.members.len();
        if n == 0 {
            return quit();
        }
        let before = self.selected;
        let ctrl_c =
            key.modifiers.contains(KeyModifiers::CONTROL) && key.code == KeyCode::Char('c');
        match key.code {
            _ if ctrl_c => return quit(),
            KeyCode::Char('q') => return quit(),
            KeyCode::Down | KeyCode::Char('j') => self.selected = (self.selected + 1).min(n - 1),
            KeyCode::Up | KeyCode::Char('k') => self.selected = self.selected.saturating_sub(1),
            KeyCode::Home | KeyCode::Char('g') => self.selected = 0,
            KeyCode::End | KeyCode::Char('G') => self.selected = n - 1,
            KeyCode::Enter => {
                self.open = Some(self.selected);
                return redraw(true);
            }
            _ => {}
        }
        redraw(self.selected != before)
    }
}

fn row_of(member: &Member) -> FleetRow {
    // The list is about now, even when a model's screen was left on a past window.
    let shown = member.app.present();
    let verdict = [AlertLevel::Critical, AlertLevel::Warning, AlertLevel::Info]
        .into_iter()
        .find(|&l| shown.firing_at(l) > 0);
    let (_, age) = member.app.time_texts();
    FleetRow {
        name: member.name.clone(),
        verdict,
        last_window: shown.last.as_ref().map(|l| l.name.clone()),
        last_failed: shown.last.as_ref().is_some_and(|l| l.failed),
        age,
        firing: shown.firing.len(),
        drift_shares: shown.history.iter().map(|w| w.drift_share).collect(),
    }
}

fn quit() -> Outcome {
    Outcome {
        quit: true,
        ..Outcome::default()
    }
}

fn redraw(redraw: bool) -> Outcome {
    Outcome {
        redraw,
        ..Outcome::default()
    }
}

impl Screen for Fleet {
    fn handle(&mut self, event: AppEvent) -> Outcome {
        match event {
            AppEvent::Model(i, event) => {
                let Some(member) = self.members.get_mut(i) else {
                    return Outcome::default();
                };
                let outcome = member.app.handle(*event);
                // The list shows every model; a model's screen only itself.
                let shown = self.open.is_none_or(|open| open == i);
                Outcome {
                    redraw: outcome.redraw && shown,
                    quit: outcome.quit,
                    // A past window's answer may ask for the next step: it goes to the model
                    // shown, the one `command_target` names.
                    command: outcome.command.filter(|_| self.open == Some(i)),
                    copy: None,
                }
            }
            AppEvent::Key(key) => match self.open {
                None => self.list_key(key),
                Some(open) => {
                    let Some(member) = self.members.get_mut(open) else {
                        self.open = None;
                        return redraw(true);
                    };
                    let outcome = member.app.handle(AppEvent::Key(key));
                    if key.code == KeyCode::Esc && outcome == Outcome::default() {
                        // Nothing on the model's screen to close: back to the list.
                        self.open = None;
                        return redraw(true);
                    }
                    outcome
                }
            },
            AppEvent::Resize(w, h) => {
                for m in &mut self.members {
                    m.app.handle(AppEvent::Resize(w, h));
                }
                redraw(true)
            }
            AppEvent::Shutdown => quit(),
            // Events of no model in particular (none are sent in a fleet) go to every model.
            other => {
                let mut any = false;
                for m in &mut self.members {
                    any |= m.app.handle(other.clone()).redraw;
                }
                redraw(any)
            }
        }
    }

    fn tick(&mut self, now: DateTime<Utc>) -> Outcome {
        self.now = now;
        let mut changed = false;
        for (i, m) in self.members.iter_mut().enumerate() {
            let ticked = m.app.tick(now).redraw;
            changed |= ticked && self.open.is_none_or(|open| open == i);
        }
        redraw(changed)
    }

    fn draw(&self, frame: &mut Frame) -> Vec<Link> {
        match self.open.and_then(|i| self.members.get(i)) {
            Some(member) => super::render::draw(frame, &member.app),
            None => {
                fleet_render::draw(frame, self);
                Vec::new()
            }
        }
    }

    fn command_target(&self) -> usize {
        self.open.unwrap_or(0)
    }
}
