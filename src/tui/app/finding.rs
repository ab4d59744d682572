//! The keys that find and take a row: `/` search, `y` copy as JSON, and the alert pane's
//! cursor, which follows the newest row until the reader moves it (then `↑ N new` counts what
//! arrived above). Kept apart from the dispatcher so each file reads as one job.

use ml_monitor::monitoring::Incident;

use super::{Action, AlertView, App, Focus, Outcome, ScrollMark, View};
use crate::tui::model::AlertEntry;

/// A row that holds the `/` query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Match {
    /// A feature of the drift table, by name.
    Feature(String),
    /// A row of the alert pane (incidents or the log, whichever it shows), by index.
    AlertRow(usize),
}

impl App {
    /// A key while the `/` query is typed: characters extend it, the drift table narrows to
    /// the features that hold it and the selection moves to the first match; Enter keeps the
    /// selection (and the query, for n/N), Esc drops the query.
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
                if !query.is_empty() {
                    if self.find(&query) {
                        self.match_at = 0;
                        self.last_query = Some(query);
                    } else {
                        self.notice = Some(format!("no feature or alert matches \"{query}\""));
                    }
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

    /// Every row that holds `query` (any case): features whose name starts with it, then the
    /// other features that hold it, then the incidents or alerts of the alert pane.
    pub(crate) fn matches(&self, query: &str) -> Vec<Match> {
        if query.is_empty() {
            return Vec::new();
        }
        let q = query.to_lowercase();
        let holds = |text: &str| text.to_lowercase().contains(&q);
        let rows = self.all_feature_rows();
        // A name that starts with the query beats one that merely holds it (`age` vs `usage`).
        let (starting, holding): (Vec<_>, Vec<_>) = rows
            .iter()
            .filter(|r| holds(&r.name))
            .partition(|r| r.name.to_lowercase().starts_with(&q));
        let mut found: Vec<Match> = starting
            .into_iter()
            .chain(holding)
            .map(|r| Match::Feature(r.name.clone()))
            .collect();
        match self.alert_view {
            AlertView::Incidents => found.extend(
                self.visible_incidents()
                    .iter()
                    .enumerate()
                    .filter(|(_, i)| {
                        holds(i.subject()) || holds(&i.message) || holds(i.kind.as_str())
                    })
                    .map(|(n, _)| Match::AlertRow(n)),
            ),
            AlertView::Log => found.extend(
                self.visible_alerts()
                    .iter()
                    .enumerate()
                    .filter(|(_, e)| holds(&e.alert.message) || holds(e.alert.kind.as_str()))
                    .map(|(n, _)| Match::AlertRow(n)),
            ),
        }
        found
    }

    /// Selects the first row that holds `query` (see [`Self::matches`]); whether one did.
    pub(crate) fn find(&mut self, query: &str) -> bool {
        match self.matches(query).into_iter().next() {
            Some(found) => {
                self.select_match(found);
                true
            }
            None => false,
        }
    }

    /// `n` / `N`: the next or previous row that holds the last query kept with Enter.
    pub(super) fn next_match(&mut self, forward: bool) -> Outcome {
        let Some(query) = self.last_query.clone() else {
            return self.say("n / N go to the next / previous match: / to search first".into());
        };
        let found = self.matches(&query);
        if found.is_empty() {
            return self.say(format!("no feature or alert matches \"{query}\" any more"));
        }
        let n = found.len();
        self.match_at = if forward {
            (self.match_at + 1) % n
        } else {
            (self.match_at + n - 1) % n
        };
        let at = self.match_at.min(n - 1);
        self.select_match(found[at].clone());
        self.say(format!("match {} of {n} for \"{query}\"", at + 1))
    }

    fn select_match(&mut self, found: Match) {
        self.back_to_main();
        match found {
            Match::Feature(name) => {
                self.selected_feature = Some(name);
                self.focus = Focus::Drift;
            }
            Match::AlertRow(index) => {
                self.select_alert_row(index);
                self.focus = Focus::Alerts;
            }
        }
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
