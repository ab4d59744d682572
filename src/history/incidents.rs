//! Incidents in the history: each incident's latest state and every change (`history
//! incidents` prints them: [`super::timeline`]).
//!
//! Why the whole incident as JSON beside a few indexed columns: as for results, the JSON is the
//! source of truth read back with serde, the columns serve queries. The changes and their outbox
//! rows are written in the window's transaction ([`store`]), so a window's result, its incident
//! changes and the deliveries they owe commit together or not at all: after `kill -9` the window
//! is processed again and yields the same changes, never a second copy.
//!
//! Why only the problems that changed are written, not every firing one: with thousands open, a
//! window that touches a few (an unreadable file opens one; the others neither update nor
//! resolve) would rewrite them all. The tracker says which changed
//! ([`IncidentTracker::take_changed`](ml_monitor::monitoring::IncidentTracker::take_changed));
//! a firing problem's row is its state as of its last change, which is its state now.

use chrono::{DateTime, Utc};
use ml_monitor::{
    monitoring::{Incident, IncidentChange},
    MonitoringResult,
};
use rusqlite::{params, Transaction};
use serde::Serialize;

use super::outbox::SinkFilter;
use super::{sql_err, History, HistoryError};

/// Schema step: incidents, their changes and the delivery outbox.
pub(super) const MIGRATION: &str = "
    CREATE TABLE incidents (
        id INTEGER PRIMARY KEY,
        kind TEXT NOT NULL,
        status TEXT NOT NULL,
        level TEXT NOT NULL,
        subject TEXT NOT NULL,
        opened_us INTEGER NOT NULL,
        updated_us INTEGER NOT NULL,
        acknowledged INTEGER NOT NULL DEFAULT 0,
        json TEXT NOT NULL
    );
    CREATE INDEX incidents_status ON incidents (status, id);
    CREATE TABLE incident_changes (
        id INTEGER PRIMARY KEY,
        result_id INTEGER NOT NULL REFERENCES results (id),
        incident_id INTEGER NOT NULL REFERENCES incidents (id),
        change TEXT NOT NULL,
        json TEXT NOT NULL
    );
    CREATE INDEX incident_changes_incident ON incident_changes (incident_id, id);
    CREATE TABLE outbox (
        id INTEGER PRIMARY KEY,
        sink TEXT NOT NULL,
        change_id INTEGER NOT NULL REFERENCES incident_changes (id),
        incident_id INTEGER NOT NULL,
        state TEXT NOT NULL DEFAULT 'pending',
        attempts INTEGER NOT NULL DEFAULT 0,
        last_error TEXT,
        done_us INTEGER
    );
    CREATE INDEX outbox_pending ON outbox (sink, state, id);
";

/// Stores a window's incident changes, the firing incidents that changed and the outbox rows.
pub(super) fn store(
    tx: &Transaction<'_>,
    result_id: i64,
    result: &MonitoringResult,
    changed: &[Incident],
    sinks: &[SinkFilter],
) -> rusqlite::Result<()> {
    store_changes(tx, result_id, &result.incidents, sinks)?;
    store_firing(tx, changed)
}

/// Records problem changes against the window (`result_id`) they belong to, each queued in the
/// outbox of every sink whose `min_level` it reaches.
pub(super) fn store_changes(
    tx: &Transaction<'_>,
    result_id: i64,
    changes: &[IncidentChange],
    sinks: &[SinkFilter],
) -> rusqlite::Result<()> {
    for change in changes {
        upsert(tx, &change.incident)?;
        let json = serde_json::to_string(change)
            .map_err(|e| rusqlite::Error::ToSqlConversionFailure(Box::new(e)))?;
        tx.execute(
            "INSERT INTO incident_changes (result_id, incident_id, change, json)
             VALUES (?1, ?2, ?3, ?4)",
            params![
                result_id,
                id_i64(change.incident.id),
                change.change.as_str(),
                json
            ],
        )?;
        let change_id = tx.last_insert_rowid();
        for sink in sinks
            .iter()
            .filter(|s| change.incident.level >= s.min_level)
        {
            tx.execute(
                "INSERT INTO outbox (sink, change_id, incident_id) VALUES (?1, ?2, ?3)",
                params![sink.name, change_id, id_i64(change.incident.id)],
            )?;
        }
    }
    Ok(())
}

/// The firing problems that changed, as they stand now.
pub(super) fn store_firing(tx: &Transaction<'_>, changed: &[Incident]) -> rusqlite::Result<()> {
    for incident in changed {
        upsert(tx, incident)?;
    }
    Ok(())
}

fn upsert(tx: &Transaction<'_>, incident: &Incident) -> rusqlite::Result<()> {
    let json = serde_json::to_string(incident)
        .map_err(|e| rusqlite::Error::ToSqlConversionFailure(Box::new(e)))?;
    tx.execute(
        "INSERT INTO incidents (id, kind, status, level, subject, opened_us, updated_us, json)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
         ON CONFLICT (id) DO UPDATE SET status = excluded.status, level = excluded.level,
             updated_us = excluded.updated_us, json = excluded.json",
        params![
            id_i64(incident.id),
            incident.kind.as_str(),
            incident.status.as_str(),
            incident.level.as_str(),
            incident.subject(),
            incident.opened_at.timestamp_micros(),
            incident.updated_at.timestamp_micros(),
            json,
        ],
    )?;
    Ok(())
}

pub(super) fn id_i64(id: u64) -> i64 {
    i64::try_from(id).unwrap_or(i64::MAX)
}

/// An incident as stored, with whether someone acknowledged it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct StoredIncident {
    #[serde(flatten)]
    pub(crate) incident: Incident,
    pub(crate) acknowledged: bool,
}

impl History {
    /// Says which sinks each window's changes owe a delivery to (their outbox rows).
    pub(crate) fn set_sinks(&mut self, sinks: Vec<SinkFilter>) {
        self.sinks = sinks;
    }

    /// Every stored problem (firing ones first): a restarted monitor continues the firing
    /// ones and re-opens a resolved one with its id.
    pub(crate) fn stored_incidents(&self) -> Result<Vec<Incident>, HistoryError> {
        Ok(self
            .incidents(false, None)?
            .into_iter()
            .map(|s| s.incident)
            .collect())
    }

    /// The largest incident id ever given (0 when none).
    pub(crate) fn last_incident_id(&self) -> Result<u64, HistoryError> {
        let id: i64 = self
            .conn
            .query_row("SELECT COALESCE(MAX(id), 0) FROM incidents", [], |row| {
                row.get(0)
            })
            .map_err(sql_err(&self.path))?;
        Ok(u64::try_from(id).unwrap_or(0))
    }

    /// Incidents, firing ones first, then by id; `open_only`: only firing ones; `since`: only
    /// those updated at or after it.
    pub(crate) fn incidents(
        &self,
        open_only: bool,
        since: Option<DateTime<Utc>>,
    ) -> Result<Vec<StoredIncident>, HistoryError> {
        let err = sql_err(&self.path);
        let mut stmt = self
            .conn
            .prepare(
                "SELECT id, json, acknowledged FROM incidents
                 WHERE (?1 = 0 OR status = 'firing') AND updated_us >= ?2
                 ORDER BY status = 'firing' DESC, id",
            )
            .map_err(&err)?;
        let rows = stmt
            .query_map(
                params![open_only, since.map_or(i64::MIN, |t| t.timestamp_micros())],
                |row| {
                    Ok((
                        row.get::<_, i64>(0)?,
                        row.get::<_, String>(1)?,
                        row.get::<_, bool>(2)?,
                    ))
                },
            )
            .map_err(&err)?;
        let mut out = Vec::new();
        for row in rows {
            let (id, json, acknowledged) = row.map_err(&err)?;
            let incident = serde_json::from_str(&json).map_err(|error| HistoryError::Corrupt {
                path: self.path.clone(),
                id,
                window: format!("incident {id}"),
                error,
            })?;
            out.push(StoredIncident {
                incident,
                acknowledged,
            });
        }
        Ok(out)
    }

    /// The firing incidents and the last `resolved` resolved ones, firing first.
    pub(crate) fn recent_incidents(
        &self,
        resolved: usize,
    ) -> Result<Vec<StoredIncident>, HistoryError> {
        let mut all = self.incidents(false, None)?;
        let firing = all.iter().filter(|s| s.incident.is_firing()).count();
        // Resolved ones come after the firing ones, oldest first: keep the newest.
        let excess = all.len().saturating_sub(firing + resolved);
        all.drain(firing..firing + excess);
        Ok(all)
    }

    /// Marks an incident acknowledged or not (`a` again takes it back); `false` when there is
    /// no such incident.
    pub(crate) fn set_incident_acknowledged(
        &mut self,
        id: u64,
        acknowledged: bool,
    ) -> Result<bool, HistoryError> {
        let changed = self
            .conn
            .execute(
                "UPDATE incidents SET acknowledged = ?2 WHERE id = ?1",
                params![id_i64(id), acknowledged],
            )
            .map_err(sql_err(&self.path))?;
        Ok(changed > 0)
    }
}
