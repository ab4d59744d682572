//! `a`: acknowledge the selected incident or alert, and `a` again to take it back. A key that
//! cannot act says why in the footer rather than doing nothing, and the acknowledged share of
//! the firing incidents is counted for the verdict and the status line (`CRITICAL 2 (1 acked)`).

use ml_monitor::AlertLevel;

use super::{AlertView, App, Focus, Outcome, View};
use crate::app_event::UiCommand;

impl App {
    pub(super) fn acknowledge(&mut self) -> Outcome {
        let in_alerts = match self.view {
            View::Main => self.focus == Focus::Alerts,
            View::Detail => true,
            View::Histogram => false,
        };
        if !in_alerts {
            let why = if self.view == View::Histogram {
                "a acknowledges an incident: Esc, then Tab to the alerts pane"
            } else {
                "a acknowledges an incident: Tab to the alerts pane first"
            };
            return self.say(why.to_string());
        }
        if self.alert_view == AlertView::Incidents {
            let index = self.selected_incident_index();
            let Some(id) = self.visible_incidents().get(index).map(|i| i.id) else {
                return self.say("nothing to acknowledge: no incident in the list".into());
            };
            let acknowledged = !self.acknowledged_incidents.remove(&id);
            if acknowledged {
                self.acknowledged_incidents.insert(id);
            }
            self.notice = Some(if acknowledged {
                format!("incident {id} acknowledged (a again: take it back)")
            } else {
                format!("incident {id} no longer acknowledged")
            });
            return Outcome {
                redraw: true,
                command: Some(UiCommand::AcknowledgeIncident { id, acknowledged }),
                ..Outcome::default()
            };
        }
        let index = self.selected_alert_index();
        let Some(key) = self.visible_alerts().get(index).map(|e| e.key.clone()) else {
            return self.say("nothing to acknowledge: no alert in the log".into());
        };
        let acknowledged = !self.acknowledged.remove(&key);
        if acknowledged {
            self.acknowledged.insert(key.clone());
        }
        self.notice = Some(if acknowledged {
            "alert acknowledged (a again: take it back)".to_string()
        } else {
            "alert no longer acknowledged".to_string()
        });
        Outcome {
            redraw: true,
            command: Some(UiCommand::Acknowledge {
                window: key.0,
                alert_index: key.1,
                acknowledged,
            }),
            ..Outcome::default()
        }
    }

    /// A footer notice until the next key.
    pub(super) fn say(&mut self, notice: String) -> Outcome {
        self.notice = Some(notice);
        Outcome::redraw()
    }

    /// How many incidents of `level` fire on screen, and how many of those are acknowledged.
    pub(crate) fn firing_counts(&self, level: AlertLevel) -> (usize, usize) {
        let firing = self.shown().firing.iter().filter(|i| i.level == level);
        let (mut n, mut acked) = (0, 0);
        for incident in firing {
            n += 1;
            if self.is_incident_acknowledged(incident.id) {
                acked += 1;
            }
        }
        (n, acked)
    }
}
