//! Holding back what a silence matches, and letting it go when the silence ends.
//!
//! The sender asks [`Holder::check`] before each delivery. A row is held when an active silence
//! matches its notification's labels, or when an earlier row of the same incident is held (so
//! an incident's changes still go out in order). Once no silence matches an incident's latest
//! held change, its held rows are owed again, oldest first, except when the incident opened and
//! resolved while silenced: nobody was told it started, so nobody is told it ended, and its
//! rows are dropped quietly.

use std::collections::{BTreeMap, HashSet};

use chrono::{DateTime, Utc};
use ml_monitor::monitoring::{ChangeKind, Incident};

use crate::history::{HistoryError, Outbox, OutboxRow};
use crate::silences::{problem_silence, Silence};

/// One sink's view of the silences during one pass over its queue.
pub(crate) struct Holder {
    silences: Vec<Silence>,
    now: DateTime<Utc>,
    /// Incidents with a held row: their later rows wait behind it.
    held: HashSet<u64>,
}

impl Holder {
    /// Reads the silences in force and releases (or drops) the held rows of `sink` that no
    /// silence matches any more.
    pub(crate) fn start(
        outbox: &Outbox,
        sink: &str,
        monitor: &str,
    ) -> Result<Holder, HistoryError> {
        let now = Utc::now();
        let silences = outbox.active_silences(now)?;
        let mut by_incident: BTreeMap<u64, Vec<OutboxRow>> = BTreeMap::new();
        for row in outbox.held(sink)? {
            by_incident
                .entry(row.change.incident.id)
                .or_default()
                .push(row);
        }
        let mut held = HashSet::new();
        for (incident, rows) in by_incident {
            let Some(latest) = rows.last() else { continue };
            if problem_silence(&silences, &latest.change.incident, monitor, now).is_some() {
                held.insert(incident);
                continue;
            }
            // Its opening may have been held here or superseded in the queue (only the
            // latest change of an incident is owed): either way, nobody was told.
            let unannounced = latest.change.change == ChangeKind::Resolved
                && !outbox.announced(sink, incident)?;
            for row in &rows {
                if unannounced {
                    outbox.drop_held(row.id)?;
                } else {
                    outbox.release(row.id)?;
                }
            }
        }
        Ok(Holder {
            silences,
            now,
            held,
        })
    }

    /// Whether `row` is to be held; if so it is marked held.
    pub(crate) fn check(
        &mut self,
        outbox: &Outbox,
        row: &OutboxRow,
        monitor: &str,
    ) -> Result<bool, HistoryError> {
        let incident = &row.change.incident;
        if self.held.contains(&incident.id) || self.silences_incident(incident, monitor) {
            outbox.hold(row.id)?;
            self.held.insert(incident.id);
            return Ok(true);
        }
        Ok(false)
    }

    /// Whether an active silence matches this incident's notification.
    pub(crate) fn silences_incident(&self, incident: &Incident, monitor: &str) -> bool {
        problem_silence(&self.silences, incident, monitor, self.now).is_some()
    }
}
