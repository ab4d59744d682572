//! `S` on a problem: silence it (its `problem_id` on this monitor, for [`SILENCE_FOR`]) or,
//! when the screen silenced it, lift that silence. The silence itself is kept in the history by
//! the model's worker, the same as `ml-monitor silence add`; until the worker sends the
//! silences back, the screen shows it at once from a provisional copy, so the row dims on the
//! key press.

use chrono::Duration;
use ml_monitor::monitoring::Incident;

use super::{AlertView, App, Focus, Outcome, View};
use crate::app_event::UiCommand;
use crate::silences::{self, Matcher, Silence};

/// How long `S` silences a problem.
pub(crate) const SILENCE_FOR: Duration = Duration::hours(4);

/// The id of a silence the screen made and the history has not confirmed yet.
const PROVISIONAL: i64 = -1;

impl App {
    /// The active silence holding `incident` back, if any.
    pub(crate) fn silence_of(&self, incident: &Incident) -> Option<&Silence> {
        silences::problem_silence(&self.silences, incident, &self.options.monitor, self.now)
    }

    /// The silences from the history replace what the screen had.
    pub(super) fn set_silences(&mut self, silences: Vec<Silence>) -> Outcome {
        let changed = self.silences != silences;
        self.silences = silences;
        Outcome {
            redraw: changed,
            ..Outcome::default()
        }
    }

    /// `S`: silence the selected problem, or lift the screen's silence of it.
    pub(super) fn toggle_silence(&mut self) -> Outcome {
        let on_problems = self.alert_view == AlertView::Incidents
            && match self.view {
                View::Main => self.focus == Focus::Alerts,
                View::Detail => true,
                View::Histogram => false,
            };
        if !on_problems {
            return Outcome::default();
        }
        if !self.options.can_silence {
            self.notice = Some("no history to keep a silence in (see --history)".into());
            return Outcome::redraw();
        }
        let Some(incident) = self.selected_incident().cloned() else {
            return Outcome::default();
        };
        let own = self
            .silence_of(&incident)
            .filter(|s| self.is_screen_silence(s, incident.id))
            .map(|s| s.id);
        if let Some(id) = own {
            self.silences.retain(|s| s.id != id);
            self.notice = Some(format!("problem {}: silence lifted", incident.id));
            return Outcome {
                redraw: true,
                command: (id != PROVISIONAL).then_some(UiCommand::ExpireSilence { id }),
                ..Outcome::default()
            };
        }
        let matchers = vec![
            matcher("problem_id", incident.id.to_string()),
            matcher("monitor", self.options.monitor.clone()),
        ];
        self.silences.push(Silence {
            id: PROVISIONAL,
            matchers,
            starts_at: self.now,
            ends_at: self.now + SILENCE_FOR,
            created_by: silences::user(),
            comment: silences::SCREEN_COMMENT.into(),
        });
        self.notice = Some(format!(
            "problem {} silenced for {}h (S again lifts it)",
            incident.id,
            SILENCE_FOR.num_hours()
        ));
        Outcome {
            redraw: true,
            command: Some(UiCommand::Silence {
                problem_id: incident.id,
                monitor: self.options.monitor.clone(),
                seconds: SILENCE_FOR.num_seconds(),
            }),
            ..Outcome::default()
        }
    }

    /// Whether `silence` is one `S` made for problem `id` (so `S` may lift it); silences made
    /// with `silence add` are lifted with `silence expire`.
    fn is_screen_silence(&self, silence: &Silence, id: u64) -> bool {
        silence.matchers.len() == 2
            && silence
                .matchers
                .iter()
                .any(|m| m.key == "problem_id" && m.value == id.to_string())
            && silence
                .matchers
                .iter()
                .any(|m| m.key == "monitor" && m.value == self.options.monitor)
    }
}

fn matcher(key: &str, value: String) -> Matcher {
    Matcher {
        key: key.into(),
        value,
    }
}
