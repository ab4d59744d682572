//! The pipeline's side of settings changes: at start, the reference's bytes and the settings
//! that decide alerts are hashed and compared with the last run's (in the history); when they
//! differ, every problem restored from the history is closed with the reason
//! `settings_changed`, and the first window under the new settings carries those resolutions
//! (so the sinks deliver them) and `metadata.settings_changed` (so the JSON line and the trends
//! mark the boundary). Apart from `pipeline.rs` so the window path reads on its own.

use std::collections::BTreeMap;

use ml_monitor::monitoring::{IncidentChange, SETTINGS_CHANGED};
use ml_monitor::MonitoringResult;
use serde_json::json;

use super::Pipeline;
use crate::history::{stable_hash, Settings, SettingsCheck};
use crate::plan::{ModelPlan, ReferenceSource};
use crate::sanitize;

/// The metadata key of the first result under new settings.
pub(crate) const METADATA_KEY: &str = "settings_changed";

/// A change of settings since the last run, until the first window under them takes it.
pub(crate) struct SettingsChange {
    /// The parts that changed: `reference`, `thresholds`, `detectors`.
    changed: Vec<String>,
    /// The reference file's name.
    reference: String,
    /// How many firing problems were closed.
    closed: usize,
    /// Their resolutions, until the first window is recorded with them.
    pending: Option<Vec<IncidentChange>>,
}

/// The settings of a plan: the reference's content (`reference_hash`), the thresholds and
/// paging rules (`[alerts]`, `[paging]`) and everything else that decides a result.
fn settings_of(plan: &ModelPlan, reference_hash: String) -> Settings {
    let c = &plan.config;
    let hash = |value: serde_json::Value| stable_hash(value.to_string().as_bytes());
    let parts = BTreeMap::from([
        ("reference".to_string(), reference_hash),
        (
            "thresholds".to_string(),
            hash(json!({ "alerts": c.alerts, "paging": c.paging })),
        ),
        (
            "detectors".to_string(),
            hash(json!({
                "task": c.task,
                "columns": c.columns,
                "drift": c.drift,
                "estimation": c.estimation,
                "profile": c.profile,
            })),
        ),
    ]);
    let reference = match &plan.reference {
        ReferenceSource::Csv(p) | ReferenceSource::Stats(p) => p.file_name().map_or_else(
            || p.display().to_string(),
            |n| n.to_string_lossy().into_owned(),
        ),
    };
    Settings { parts, reference }
}

impl Pipeline {
    /// Compares this run's settings with the last recorded ones (when the plan keeps a history)
    /// and, when they changed, closes every firing problem.
    pub(super) fn with_settings(
        mut self,
        plan: &ModelPlan,
        reference_hash: String,
    ) -> anyhow::Result<Self> {
        let Some(history) = self.history.as_mut().filter(|_| plan.history.is_some()) else {
            return Ok(self);
        };
        let settings = settings_of(plan, reference_hash);
        let reference = settings.reference.clone();
        if let SettingsCheck::Changed(changed) = history.note_settings(settings)? {
            let closed = self
                .monitor
                .incidents_mut()
                .close_all(SETTINGS_CHANGED, chrono::Utc::now());
            self.settings_change = Some(SettingsChange {
                changed,
                reference,
                closed: closed.len(),
                pending: Some(closed),
            });
        }
        Ok(self)
    }

    /// The line `--once` and `--headless` print on stderr when the settings changed since the
    /// last run.
    pub(crate) fn settings_note(&self) -> Option<String> {
        let c = self.settings_change.as_ref()?;
        let problems = if c.closed == 1 { "problem" } else { "problems" };
        Some(
            sanitize::sanitize(&format!(
                "settings changed since the last run ({}): {} open {problems} closed",
                c.changed.join(", "),
                c.closed
            ))
            .into_owned(),
        )
    }

    /// Gives the first result under new settings the closed problems' resolutions (first among
    /// its incident changes) and `metadata.settings_changed`. Returns whether it did, to undo
    /// with [`Pipeline::untake_settings`] when the result is not recorded.
    pub(super) fn take_settings(&mut self, result: &mut MonitoringResult) -> bool {
        let Some(change) = self.settings_change.as_mut() else {
            return false;
        };
        let Some(closed) = change.pending.take() else {
            return false;
        };
        result.incidents.splice(0..0, closed);
        result.metadata.insert(
            METADATA_KEY.into(),
            json!({
                "changed": change.changed,
                "reference": change.reference,
                "closed": change.closed,
            }),
        );
        true
    }

    /// Takes the resolutions back from a result that was not recorded (another run had
    /// recorded its file): the next window carries them.
    pub(super) fn untake_settings(&mut self, result: &mut MonitoringResult) {
        if let Some(change) = self.settings_change.as_mut() {
            result.metadata.remove(METADATA_KEY);
            change.pending = Some(result.incidents.drain(..change.closed).collect());
        }
    }
}
