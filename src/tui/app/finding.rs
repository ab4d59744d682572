//! The keys that find and take a row: `/` search, `y` copy as JSON, and the alert pane's
//! cursor, which follows the newest row until the reader moves it (then `↑ N new` counts what
//! arrived above). Kept apart from the dispatcher so each file reads as one job.

use ml_monitor::monitoring::Incident;

use super::{Action, AlertView, App, Focus, Outcome, ScrollMark, View};
use crate::tui::model::AlertEntry;

impl App {
    /// A key while the `/` query is typed: characters extend it and move the selection to
    /// the first match; Enter keeps the selection, Esc drops the query.
    pub(super) fn search_key(&mut self, key: &crossterm::event::KeyEvent) -> Outcome {
        use crossterm::event::{KeyCode, KeyEventKind, KeyModifiers};
        if key.kind == KeyEventKind::Release {
            return Outcome::default();
        }
        let Some(query) = self.search.as_mut() else {
            return Outcome::default();
        };
        match key.code {
            KeyCode::Char('c') if key.modifiers.contains(KeyModifiers::CONTROL) => {
                return self.act_main(Action::Quit)
            }
            KeyCode::Esc => self.search = None,
            KeyCode::Enter => {
                let query = self.search.take().unwrap_or_default();
                if !query.is_empty() && !self.find(&query) {
                    self.notice = Some(format!("no feature or alert matches \"{query}\""));
                }
            }
            KeyCode::Backspace => {
                query.pop();
                let query = query.clone();
                self.find(&query);
            }
            KeyCode::Char(c) if !c.is_control() => {
                query.push(c);
                let query = query.clone();
                self.find(&query);
            }
            _ => return Outcome::default(),
        }
        Outcome::redraw()
    }

    /// Selects the first feature whose name holds `query` (any case), else the first
    /// incident or alert whose text holds it; whether one did.
    pub(crate) fn find(&mut self, query: &str) -> bool {
        if query.is_empty() {
            return false;
        }
        let q = query.to_lowercase();
        let holds = |text: &str| text.to_lowercase().contains(&q);
        self.to_main();
        let rows = self.feature_rows();
        // A name that starts with the query beats one that merely holds it (`age` vs `usage`).
        let feature = rows
            .iter()
            .find(|r| r.name.to_lowercase().starts_with(&q))
            .or_else(|| rows.iter().find(|r| holds(&r.name)));
        if let Some(row) = feature {
            self.selected_feature = Some(row.name.clone());
            self.focus = Focus::Drift;
            return true;
        }
        match self.alert_view {
            AlertView::Incidents => {
                let found = self.visible_incidents().iter().position(|i| {
                    holds(i.subject()) || holds(&i.message) || holds(i.kind.as_str())
                });
                if let Some(index) = found {
                    self.select_alert_row(index);
                    self.focus = Focus::Alerts;
                    return true;
                }
            }
            AlertView::Log => {
                let found = self
                    .visible_alerts()
                    .iter()
                    .position(|e| holds(&e.alert.message) || holds(e.alert.kind.as_str()));
                if let Some(index) = found {
                    self.select_alert_row(index);
                    self.focus = Focus::Alerts;
                    return true;
                }
            }
        }
        false
    }

    /// The selected row as one JSON object: a feature's figures from every detector, or the
    /// incident or alert as the JSON output writes it.
    pub(crate) fn selected_json(&self) -> Option<(String, String)> {
        let drift = self.view == View::Histogram || self.focus == Focus::Drift;
        if drift && self.view != View::Detail {
            let name = self.selected_feature()?;
            let result = self.shown().latest_result()?;
            let detectors: serde_json::Map<String, serde_json::Value> = result
                .drift
                .iter()
                .filter_map(|(d, r)| {
                    let f = r.features.get(&name)?;
                    Some((d.clone(), serde_json::to_value(f).ok()?))
                })
                .collect();
            let value = serde_json::json!({
                "window": result.window,
                "feature": name,
                "drift": detectors,
                "data_quality": result.data_quality.get(&name),
            });
            return Some((name, value.to_string()));
        }
        match self.alert_view {
            AlertView::Incidents => {
                let incident = self.selected_incident()?;
                let json = serde_json::to_string(incident).ok()?;
                Some((format!("incident {}", incident.id), json))
            }
            AlertView::Log => {
                let entry = self.selected_alert()?;
                let json = serde_json::to_string(&entry.alert).ok()?;
                Some((format!("alert of {}", entry.key.0), json))
            }
        }
    }

    pub(super) fn copy(&mut self) -> Outcome {
        let Some((what, json)) = self.selected_json() else {
            return Outcome::default();
        };
        self.notice = Some(format!(
            "copied {} as JSON ({} bytes, OSC 52)",
            crate::tui::sanitize::sanitize(&what),
            json.len()
        ));
        Outcome {
            redraw: true,
            copy: Some(json),
            ..Outcome::default()
        }
    }

    /// The feature of the incident or alert the detail view shows.
    pub(super) fn selected_incident_or_alert_feature(&self) -> Option<String> {
        match self.alert_view {
            AlertView::Incidents => self
                .selected_incident()?
                .first_feature()
                .map(str::to_string),
            AlertView::Log => self.selected_alert()?.alert.feature.clone(),
        }
    }

    /// Moves the alert pane's cursor to a row; the first row means "follow the newest".
    pub(super) fn select_alert_row(&mut self, index: usize) {
        if index == 0 {
            self.selected_incident = None;
            self.selected_alert = None;
            self.scroll_mark = None;
            return;
        }
        if self.scroll_mark.is_none() {
            self.scroll_mark = Some(self.newest_mark());
        }
        match self.alert_view {
            AlertView::Incidents => {
                self.selected_incident = self.visible_incidents().get(index).map(|i| i.id)
            }
            AlertView::Log => {
                self.selected_alert = self.visible_alerts().get(index).map(|e| e.key.clone())
            }
        }
    }

    pub(super) fn newest_mark(&self) -> ScrollMark {
        let shown = self.shown();
        ScrollMark {
            alert_seq: shown.alerts.front().map_or(0, |e| e.seq),
            incident_id: shown
                .firing
                .iter()
                .chain(shown.resolved.iter())
                .map(|i| i.id)
                .max()
                .unwrap_or(0),
        }
    }

    /// Rows above the cursor that arrived since the reader scrolled away.
    pub(crate) fn new_above(&self) -> usize {
        let Some(mark) = self.scroll_mark else {
            return 0;
        };
        match self.alert_view {
            AlertView::Incidents => self.visible_incidents()[..self.selected_incident_index()]
                .iter()
                .filter(|i| i.id > mark.incident_id)
                .count(),
            AlertView::Log => self.visible_alerts()[..self.selected_alert_index()]
                .iter()
                .filter(|e| e.seq > mark.alert_seq)
                .count(),
        }
    }

    /// The incident under the cursor.
    pub(crate) fn selected_incident(&self) -> Option<&Incident> {
        self.visible_incidents()
            .get(self.selected_incident_index())
            .copied()
    }

    /// The alert under the cursor (raw log).
    pub(crate) fn selected_alert(&self) -> Option<&AlertEntry> {
        self.visible_alerts()
            .get(self.selected_alert_index())
            .copied()
    }
}
