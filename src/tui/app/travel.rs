//! Time travel: `[` / `]` (←/→ on the trends) show the whole screen as it stood at an earlier
//! window; `End` comes back to live.
//!
//! Why the past is asked of the worker and not kept here: the screen keeps a bounded summary of
//! recent windows, only the newest whole, and must stay small for weeks; the history has every
//! window. The worker reads it ([`UiCommand::View`]) so this thread never waits on SQLite, and
//! answers with [`AppEvent::Past`](crate::app_event::AppEvent::Past), which becomes a
//! [`Snapshot`] like the live one: every pane draws it as it draws the live one.
//!
//! Why steps are queued: keys come faster than answers (`[` held down, or typed six times before
//! the first answer), and each step must start from the window the previous one reached, whose
//! id only the answer carries. Steps typed meanwhile are added up and sent when the answer
//! comes; an answer to a request no longer waited for (End pressed meanwhile) is dropped.
//! Windows keep arriving while travelling: the live snapshot takes them as always, the past one
//! stays put, and its `behind` count grows.

use super::{App, Outcome};
use crate::app_event::{PastView, UiCommand, WindowReport};
use crate::tui::model::Snapshot;

/// Windows read back with a past window for its trends: more than the widest trend pane draws.
pub(crate) const TREND_WINDOWS: usize = 120;

/// A past window as shown.
#[derive(Debug, Clone)]
pub(crate) struct Past {
    /// Its result's id in the history.
    pub(crate) result_id: i64,
    /// Its window's name.
    pub(crate) window: String,
    /// Windows recorded after it, those that arrived since it was read included.
    pub(crate) behind: usize,
    pub(crate) snapshot: Snapshot,
}

impl Past {
    fn of(view: PastView) -> Past {
        let mut snapshot = Snapshot::default();
        let window = view
            .results
            .last()
            .map(|r| r.window.clone())
            .unwrap_or_default();
        for result in view.results {
            snapshot.push(WindowReport {
                result,
                histograms: Default::default(),
                firing: Vec::new(),
                failing_sinks: Vec::new(),
            });
        }
        snapshot.windows_seen = view.position;
        // The incidents as they stood, not as the windows' changes in reach left them.
        snapshot.firing.clear();
        snapshot.resolved.clear();
        snapshot.set_incidents(view.incidents);
        Past {
            result_id: view.result_id,
            window,
            behind: view.behind,
            snapshot,
        }
    }
}

/// Time travel's state.
#[derive(Debug, Clone, Default)]
pub(crate) struct Travel {
    /// The request whose answer is awaited.
    waiting: Option<u64>,
    /// Steps asked for while waiting.
    queued: i64,
    /// What is shown, once an answer came (until then the screen stays as it was).
    past: Option<Past>,
}

impl App {
    /// The past window on screen, if any.
    pub(crate) fn past(&self) -> Option<&Past> {
        self.travel.as_ref().and_then(|t| t.past.as_ref())
    }

    /// The past snapshot on screen, to take in what arrives for its windows.
    pub(super) fn past_snapshot_mut(&mut self) -> Option<&mut Snapshot> {
        self.travel
            .as_mut()
            .and_then(|t| t.past.as_mut())
            .map(|p| &mut p.snapshot)
    }

    /// `[` (`step` -1) or `]` (+1).
    pub(super) fn step(&mut self, step: i64) -> Outcome {
        if !self.options.has_history {
            self.notice = Some(
                "no history is kept here (--no-history, demo): no past windows to show".into(),
            );
            return Outcome::redraw();
        }
        let travel = self.travel.get_or_insert_with(Travel::default);
        if travel.waiting.is_some() {
            travel.queued += step;
            return Outcome::default();
        }
        match travel.past.as_ref().map(|p| p.result_id) {
            // Live is the newest window: nothing after it.
            None if step > 0 => {
                self.travel = None;
                Outcome::default()
            }
            from => self.request(from, step),
        }
    }

    fn request(&mut self, from: Option<i64>, step: i64) -> Outcome {
        self.requests += 1;
        let request = self.requests;
        self.travel.get_or_insert_with(Travel::default).waiting = Some(request);
        Outcome {
            command: Some(UiCommand::View {
                request,
                from,
                step,
                // Zoomed out, the trends draw several windows a column: read as many more.
                trend: (TREND_WINDOWS * self.trend_zoom.windows_per_column())
                    .min(crate::tui::model::MAX_WINDOWS),
            }),
            ..Outcome::default()
        }
    }

    /// A new window: the past shown falls one further behind.
    pub(super) fn window_arrived(&mut self) {
        if let Some(past) = self.travel.as_mut().and_then(|t| t.past.as_mut()) {
            past.behind += 1;
        }
    }

    /// The worker's answer to a [`UiCommand::View`].
    pub(super) fn past_arrived(&mut self, request: u64, view: Option<Box<PastView>>) -> Outcome {
        let Some(travel) = self.travel.as_mut() else {
            return Outcome::default();
        };
        if travel.waiting != Some(request) {
            return Outcome::default();
        }
        travel.waiting = None;
        let queued = std::mem::take(&mut travel.queued);
        let Some(view) = view else {
            if travel.past.is_none() {
                self.travel = None;
            }
            self.notice = Some("no earlier window in the history".into());
            return Outcome::redraw();
        };
        let from = view.result_id;
        if view.behind == 0 {
            // The newest window is live.
            self.travel = None;
        } else {
            travel.past = Some(Past::of(*view));
        }
        let mut outcome = if queued < 0 || queued > 0 && self.travel.is_some() {
            self.request(Some(from), queued)
        } else {
            Outcome::default()
        };
        outcome.redraw = true;
        outcome
    }
}
