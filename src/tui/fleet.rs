//! The fleet list (k9s-style): several models in one process, one row each, and each model's
//! own screen behind Enter.
//!
//! Every model keeps a whole [`App`] (its screen's state), fed its own events, so opening a
//! model shows exactly what `watch DIR` would for it alone. The list reads its rows from those
//! apps: nothing is summarised twice. Esc goes back to the list only when the model's screen
//! has nothing of its own to close (help, histogram).
//!
//! The list is sorted worst first (ties keep the plan's order) and the selection follows its
//! model, not its row, when the order changes. Each row says why (the worst firing problem's
//! condition, as the model's verdict line says it) and carries `●` when the model's state —
//! verdict, firing problems, a failed window — changed since the reader last had it open; the
//! state at start-up counts as seen.

use chrono::{DateTime, Utc};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ml_monitor::AlertLevel;
use ratatui::Frame;

use super::app::{App, Outcome};
use super::event_loop::Screen;
use super::fleet_render;
use super::render::Link;
use super::theme::Theme;
use super::{verdict, ModelStart};
use crate::app_event::AppEvent;

/// One model of the fleet.
#[derive(Debug)]
pub(crate) struct Member {
    pub(crate) name: String,
    pub(crate) app: App,
    /// Its state when the reader last looked (opened it, or left it).
    seen: Looked,
}

impl Member {
    pub(crate) fn new(name: String, app: App) -> Self {
        let seen = looked(&app);
        Member { name, app, seen }
    }
}

/// What "changed since you looked" compares: the verdict, the firing problems and whether the
/// last window failed.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Looked {
    verdict: Option<AlertLevel>,
    firing: Vec<u64>,
    failed: bool,
}

fn looked(app: &App) -> Looked {
    let shown = app.present();
    Looked {
        verdict: shown.firing.first().map(|i| i.level),
        firing: shown.firing.iter().map(|i| i.id).collect(),
        failed: shown.last.as_ref().is_some_and(|l| l.failed),
    }
}

/// One row of the list, as drawn.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct FleetRow {
    /// The model's place in the plan (`Fleet::members`).
    pub(crate) index: usize,
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
    /// Why the verdict: the worst firing problem's condition, or the failed window's error.
    pub(crate) reason: Option<String>,
    /// Its state changed since the reader last had it open.
    pub(crate) changed: bool,
}

/// The fleet's whole state.
#[derive(Debug)]
pub(crate) struct Fleet {
    pub(crate) title: String,
    pub(crate) members: Vec<Member>,
    /// The selected model (index into `members`, not a row: it follows the model).
    pub(crate) selected: usize,
    /// The model whose screen is shown, if any.
    pub(crate) open: Option<usize>,
    pub(crate) theme: Theme,
    pub(crate) now: DateTime<Utc>,
    /// The `/` filter while it is typed.
    pub(crate) search: Option<String>,
    /// The filter kept with Enter (Esc drops it).
    pub(crate) filter: Option<String>,
    /// The `?` help is shown.
    pub(crate) help: bool,
}

impl Fleet {
    pub(crate) fn new(title: String, starts: Vec<ModelStart>, now: DateTime<Utc>) -> Self {
        let no_color = starts.first().is_some_and(|s| s.options.no_color);
        let light = starts.first().is_some_and(|s| s.options.light);
        let members = starts
            .into_iter()
            .map(|s| Member::new(s.name, App::new(s.options, s.initial, s.acknowledged, now)))
            .collect();
        Fleet::of(title, members, Theme::with_background(no_color, light), now)
    }

    /// A fleet of these members, the first selected, the list shown.
    pub(crate) fn of(
        title: String,
        members: Vec<Member>,
        theme: Theme,
        now: DateTime<Utc>,
    ) -> Self {
        Fleet {
            title,
            members,
            selected: 0,
            open: None,
            theme,
            now,
            search: None,
            filter: None,
            help: false,
        }
    }

    /// Every model's row, in the plan's order.
    pub(crate) fn rows(&self) -> Vec<FleetRow> {
        self.members
            .iter()
            .enumerate()
            .map(|(i, m)| row_of(i, m))
            .collect()
    }

    /// The rows the list shows: worst first (then more firing; ties in the plan's order),
    /// only those that hold the filter.
    pub(crate) fn shown_rows(&self) -> Vec<FleetRow> {
        let mut rows = self.rows();
        rows.sort_by_key(|r| (std::cmp::Reverse(rank(r)), std::cmp::Reverse(r.firing)));
        if let Some(query) = self.query().filter(|q| !q.is_empty()) {
            let q = query.to_lowercase();
            rows.retain(|r| {
                let verdict = r.verdict.map_or("OK", AlertLevel::as_str);
                [r.name.as_str(), verdict, r.reason.as_deref().unwrap_or("")]
                    .iter()
                    .any(|t| t.to_lowercase().contains(&q))
            });
        }
        rows
    }

    /// The filter in force: the one typed, else the one kept.
    pub(crate) fn query(&self) -> Option<&str> {
        self.search.as_deref().or(self.filter.as_deref())
    }

    /// The selected model's row among [`Self::shown_rows`], if it is shown.
    pub(crate) fn selected_row(&self) -> Option<usize> {
        self.shown_rows()
            .iter()
            .position(|r| r.index == self.selected)
    }

    fn list_key(&mut self, key: KeyEvent) -> Outcome {
        if self.members.is_empty() {
            return quit();
        }
        let ctrl_c =
            key.modifiers.contains(KeyModifiers::CONTROL) && key.code == KeyCode::Char('c');
        if ctrl_c {
            return quit();
        }
        if self.search.is_some() {
            return self.search_key(key);
        }
        if self.help {
            return match key.code {
                KeyCode::Char('q') => quit(),
                KeyCode::Char('?') | KeyCode::Esc => {
                    self.help = false;
                    redraw(true)
                }
                _ => redraw(false),
            };
        }
        let order: Vec<usize> = self.shown_rows().iter().map(|r| r.index).collect();
        let before = self.selected;
        let at = order.iter().position(|&i| i == self.selected);
        let last = order.len().saturating_sub(1);
        let to = |pos: usize| order.get(pos).copied().unwrap_or(before);
        match key.code {
            KeyCode::Char('q') => return quit(),
            KeyCode::Char('?') => {
                self.help = true;
                return redraw(true);
            }
            KeyCode::Char('/') => {
                self.search = Some(self.filter.take().unwrap_or_default());
                return redraw(true);
            }
            KeyCode::Esc if self.filter.is_some() => {
                self.filter = None;
                return redraw(true);
            }
            KeyCode::Down | KeyCode::Char('j') => {
                self.selected = to(at.map_or(0, |p| (p + 1).min(last)))
            }
            KeyCode::Up | KeyCode::Char('k') => {
                self.selected = to(at.map_or(0, |p| p.saturating_sub(1)))
            }
            KeyCode::Home | KeyCode::Char('g') => self.selected = to(0),
            KeyCode::End | KeyCode::Char('G') => self.selected = to(last),
            KeyCode::Enter => {
                if at.is_none() {
                    return redraw(false);
                }
                self.open = Some(self.selected);
                self.mark_seen(self.selected);
                return redraw(true);
            }
            _ => {}
        }
        redraw(self.selected != before)
    }

    /// A key while the `/` filter is typed: the list narrows as it is typed and the selection
    /// moves to the first row shown; Enter keeps the filter, Esc drops it.
    fn search_key(&mut self, key: KeyEvent) -> Outcome {
        let Some(query) = self.search.as_mut() else {
            return redraw(false);
        };
        match key.code {
            KeyCode::Esc => self.search = None,
            KeyCode::Enter => {
                self.filter = self.search.take().filter(|q| !q.is_empty());
            }
            KeyCode::Backspace => {
                query.pop();
            }
            KeyCode::Char(c) if !c.is_control() => query.push(c),
            _ => return redraw(false),
        }
        if self.selected_row().is_none() {
            if let Some(first) = self.shown_rows().first() {
                self.selected = first.index;
            }
        }
        redraw(true)
    }

    /// The reader has model `i` in front of them: its state is seen.
    fn mark_seen(&mut self, i: usize) {
        if let Some(m) = self.members.get_mut(i) {
            m.seen = looked(&m.app);
        }
    }
}

/// How bad a row is, for the worst-first order: a level, then a failed last window, then OK.
fn rank(r: &FleetRow) -> (u8, bool) {
    let level = match r.verdict {
        Some(AlertLevel::Critical) => 3,
        Some(AlertLevel::Warning) => 2,
        Some(AlertLevel::Info) => 1,
        None => 0,
    };
    (level, r.last_failed)
}

fn row_of(index: usize, member: &Member) -> FleetRow {
    // The list is about now, even when a model's screen was left on a past window.
    let shown = member.app.present();
    let verdict = [AlertLevel::Critical, AlertLevel::Warning, AlertLevel::Info]
        .into_iter()
        .find(|&l| shown.firing_at(l) > 0);
    let (_, age) = member.app.time_texts();
    let last_failed = shown.last.as_ref().is_some_and(|l| l.failed);
    let reason = match shown.firing.first() {
        Some(worst) => Some(verdict::problem_condition(worst, &member.app.options)),
        None if last_failed => Some("window error".to_string()),
        None => None,
    };
    FleetRow {
        index,
        name: member.name.clone(),
        verdict,
        last_window: shown.last.as_ref().map(|l| l.name.clone()),
        last_failed,
        age,
        firing: shown.firing.len(),
        drift_shares: shown.history.iter().map(|w| w.drift_share).collect(),
        reason,
        changed: looked(&member.app) != member.seen,
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
                // The start-up state (the incidents restored from the history) counts as seen.
                let restored = matches!(*event, AppEvent::Incidents(..));
                let outcome = member.app.handle(*event);
                if restored {
                    member.seen = looked(&member.app);
                }
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
                        self.mark_seen(open);
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
