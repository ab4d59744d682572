//! One past window read back as the screen showed it then (the TUI's time travel, `[` / `]`).
//!
//! Why from the history and not from the screen: the screen keeps only a bounded summary of
//! recent windows (and only the newest whole), while an engineer paged at 03:10 wants 02:00 of
//! last week. Why steps from a result id and not "the n-th window": windows keep arriving while
//! someone looks back, so a position counted from the newest moves under them; an id does not.
//! Results are keyed by their row id (`INTEGER PRIMARY KEY`), so finding a window `k` steps from
//! another is a B-tree seek plus `k` rows, and reading the trend before it is one range scan.
//!
//! What a window "as it stood" is: its stored result, the results before it for the trends, and
//! each incident's latest change up to it (its state then: firing, with the figures of that
//! change, or resolved). Histograms are not stored (they are computed from the window's rows,
//! which the history does not keep), so the screen says so for a past window.

use ml_monitor::{
    monitoring::{Incident, IncidentChange},
    MonitoringResult,
};
use rusqlite::{params, OptionalExtension};

use super::{sql_err, History, HistoryError};

/// A past window and what the screen needs to show it as it stood.
#[derive(Debug, Clone)]
pub(crate) struct PastWindow {
    /// Its result's id in the history (what the next step starts from).
    pub(crate) result_id: i64,
    /// Results recorded after it when it was read: how far behind live it is.
    pub(crate) behind: usize,
    /// Results recorded up to and including it.
    pub(crate) position: usize,
    /// The windows up to it, oldest first, it last (at most the `trend` asked for).
    pub(crate) results: Vec<MonitoringResult>,
    /// Incidents as they stood after it: each one's latest change up to it.
    pub(crate) incidents: Vec<Incident>,
}

impl History {
    /// The window `step` results after `from` (before it when negative; `from` `None`: the
    /// newest recorded), clamped to the first and the newest; `None` when nothing is recorded.
    /// `trend` is how many results, it included, to read back for the trends.
    pub(crate) fn past_window(
        &self,
        from: Option<i64>,
        step: i64,
        trend: usize,
    ) -> Result<Option<PastWindow>, HistoryError> {
        let err = sql_err(&self.path);
        // One id, or none (`MAX` and `MIN` of no rows are NULL).
        let one = |sql: &str, args: &[i64]| -> Result<Option<i64>, HistoryError> {
            self.conn
                .query_row(sql, rusqlite::params_from_iter(args), |row| row.get(0))
                .optional()
                .map(Option::flatten)
                .map_err(&err)
        };
        let newest = one("SELECT MAX(id) FROM results", &[])?;
        let Some(newest) = newest else {
            return Ok(None);
        };
        let anchor = from.unwrap_or(newest).min(newest);
        let target = if step < 0 {
            let older = one(
                "SELECT id FROM results WHERE id < ?1 ORDER BY id DESC LIMIT 1 OFFSET ?2",
                &[anchor, step.saturating_neg() - 1],
            )?;
            match older {
                Some(id) => id,
                None => one("SELECT MIN(id) FROM results", &[])?.unwrap_or(anchor),
            }
        } else if step > 0 {
            one(
                "SELECT id FROM results WHERE id > ?1 ORDER BY id LIMIT 1 OFFSET ?2",
                &[anchor, step - 1],
            )?
            .unwrap_or(newest)
        } else {
            // The anchor itself, or the nearest recorded at or before it.
            one(
                "SELECT id FROM results WHERE id <= ?1 ORDER BY id DESC LIMIT 1",
                &[anchor],
            )?
            .unwrap_or(newest)
        };
        let count = |sql: &str| -> Result<usize, HistoryError> {
            let n: i64 = self
                .conn
                .query_row(sql, [target], |row| row.get(0))
                .map_err(&err)?;
            Ok(usize::try_from(n).unwrap_or(0))
        };
        let behind = count("SELECT COUNT(*) FROM results WHERE id > ?1")?;
        let position = count("SELECT COUNT(*) FROM results WHERE id <= ?1")?;
        let results = self.results_up_to(target, trend.max(1))?;
        let incidents = self.incidents_as_of(target)?;
        Ok(Some(PastWindow {
            result_id: target,
            behind,
            position,
            results,
            incidents,
        }))
    }

    /// The last `n` results up to and including `id`, oldest first.
    fn results_up_to(&self, id: i64, n: usize) -> Result<Vec<MonitoringResult>, HistoryError> {
        let err = sql_err(&self.path);
        let mut stmt = self
            .conn
            .prepare(
                "SELECT id, window, json FROM
                     (SELECT id, window, json FROM results WHERE id <= ?1
                      ORDER BY id DESC LIMIT ?2)
                 ORDER BY id",
            )
            .map_err(&err)?;
        let rows = stmt
            .query_map(params![id, i64::try_from(n).unwrap_or(i64::MAX)], |row| {
                Ok((
                    row.get::<_, i64>(0)?,
                    row.get::<_, String>(1)?,
                    row.get::<_, String>(2)?,
                ))
            })
            .map_err(&err)?;
        let mut out = Vec::with_capacity(n.min(1024));
        for row in rows {
            let (id, window, json) = row.map_err(&err)?;
            out.push(
                serde_json::from_str(&json).map_err(|error| HistoryError::Corrupt {
                    path: self.path.clone(),
                    id,
                    window,
                    error,
                })?,
            );
        }
        Ok(out)
    }

    /// Every incident's state after result `id`: its latest change recorded with a result up to
    /// that one (incidents first seen later are not there). By incident id.
    fn incidents_as_of(&self, id: i64) -> Result<Vec<Incident>, HistoryError> {
        let err = sql_err(&self.path);
        let mut stmt = self
            .conn
            .prepare(
                "SELECT id, json FROM incident_changes WHERE id IN
                     (SELECT MAX(id) FROM incident_changes WHERE result_id <= ?1
                      GROUP BY incident_id)
                 ORDER BY incident_id",
            )
            .map_err(&err)?;
        let rows = stmt
            .query_map([id], |row| {
                Ok((row.get::<_, i64>(0)?, row.get::<_, String>(1)?))
            })
            .map_err(&err)?;
        let mut out = Vec::new();
        for row in rows {
            let (change_id, json) = row.map_err(&err)?;
            let change: IncidentChange =
                serde_json::from_str(&json).map_err(|error| HistoryError::Corrupt {
                    path: self.path.clone(),
                    id: change_id,
                    window: format!("incident change {change_id}"),
                    error,
                })?;
            out.push(change.incident);
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ml_monitor::monitoring::ChangeKind;

    fn result(i: usize) -> MonitoringResult {
        let mut r = MonitoringResult::new(format!("window_{i:04}.csv"));
        r.rows = i;
        r
    }

    fn incident(id: u64, firing: bool, window: usize) -> Incident {
        serde_json::from_value(serde_json::json!({
            "id": id,
            "kind": "performance_degradation",
            "status": if firing { "firing" } else { "resolved" },
            "level": "critical",
            "metric": "accuracy",
            "message": "accuracy below threshold",
            "first_window": "window_0001.csv",
            "last_window": format!("window_{window:04}.csv"),
            "windows": window,
            "opened_at": "2026-11-27T20:00:00Z",
            "updated_at": "2026-11-27T20:00:00Z",
        }))
        .expect("an incident from its JSON form")
    }

    /// Ten windows; incident 1 opens at 3 and resolves at 6, incident 2 opens at 5.
    fn history() -> History {
        let mut h = History::open_in_memory().expect("history");
        for i in 1..=10 {
            let mut r = result(i);
            let change = |id, kind, firing| IncidentChange {
                change: kind,
                previous_level: None,
                incident: incident(id, firing, i),
            };
            match i {
                3 => r.incidents.push(change(1, ChangeKind::Opened, true)),
                5 => r.incidents.push(change(2, ChangeKind::Opened, true)),
                6 => r.incidents.push(change(1, ChangeKind::Resolved, false)),
                _ => {}
            }
            h.record_window(None, &r, &[]).expect("recorded");
        }
        h
    }

    fn window(p: &PastWindow) -> &str {
        p.results.last().map(|r| r.window.as_str()).unwrap_or("")
    }

    #[test]
    fn steps_go_back_and_forth_from_an_id_and_stop_at_either_end() {
        let h = history();
        let p = h.past_window(None, -1, 3).expect("read").expect("a window");
        assert_eq!(window(&p), "window_0009.csv");
        assert_eq!((p.behind, p.position), (1, 9));
        let names: Vec<&str> = p.results.iter().map(|r| r.window.as_str()).collect();
        assert_eq!(
            names,
            ["window_0007.csv", "window_0008.csv", "window_0009.csv"]
        );
        let back = h
            .past_window(Some(p.result_id), -6, 3)
            .expect("read")
            .expect("a window");
        assert_eq!(window(&back), "window_0003.csv");
        assert_eq!(back.behind, 7);
        let first = h
            .past_window(Some(back.result_id), -50, 3)
            .expect("read")
            .expect("a window");
        assert_eq!(window(&first), "window_0001.csv");
        assert_eq!(first.results.len(), 1);
        let newest = h
            .past_window(Some(first.result_id), 50, 3)
            .expect("read")
            .expect("a window");
        assert_eq!((window(&newest), newest.behind), ("window_0010.csv", 0));
    }

    #[test]
    fn incidents_are_as_they_stood_after_the_window() {
        let h = history();
        let at = |from_newest: i64| {
            h.past_window(None, from_newest, 1)
                .expect("read")
                .expect("a window")
                .incidents
        };
        // Window 2: none yet; 4: 1 firing; 5: both firing; 7: 1 resolved, 2 firing.
        assert!(at(-8).is_empty());
        let four = at(-6);
        assert_eq!(four.len(), 1);
        assert!(four[0].is_firing());
        let five: Vec<bool> = at(-5).iter().map(Incident::is_firing).collect();
        assert_eq!(five, [true, true]);
        let seven = at(-3);
        assert_eq!(seven.len(), 2);
        assert!(!seven[0].is_firing() && seven[1].is_firing());
    }

    #[test]
    fn an_empty_history_has_no_past() {
        let h = History::open_in_memory().expect("history");
        assert!(h.past_window(None, -1, 10).expect("read").is_none());
    }
}
