//! Late labels in a run: a label file's rows joined to the kept rows of their windows, each
//! affected window's realised metrics recorded and reported, and labels that came before their
//! window held and applied when it arrives.
//!
//! Why here and not in the pipeline: the pipeline reads and records windows; this is the other
//! input, with its own output line. The join and the metrics are the library's
//! (`ml_monitor::monitoring::labels`); the history keeps the state, so a restart continues.

use std::path::Path;
use std::time::Instant;

use chrono::Utc;
use ml_monitor::data::{self, DataError, DataWindow};
use ml_monitor::model::Model;
use ml_monitor::monitoring::estimation::MulticlassEstimator;
use ml_monitor::monitoring::labels::{self as join, JoinCounts, KeptRows, PendingLabels};
use ml_monitor::{
    config::{MonitorConfig, Task},
    ModelMonitor,
};
use ml_monitor::{
    monitoring::WindowError, AlertKind, AlertLevel, AlertManager, AlertThresholds, MonitoringResult,
};
use serde_json::json;

use crate::app_event::{LabelLine, RealisedWindow};
use crate::history::labels::{HeldChanges, KeptWindow, StagedKept, WindowLabels};
use crate::history::{FileKey, History};
use crate::plan::labels::LabelsConfig;

/// Label files by name: `*.labels.csv`, `*.labels.csv.gz`, `*.labels.parquet`.
pub(crate) fn is_label_file(path: &Path) -> bool {
    path.file_name().is_some_and(|n| {
        let n = n.to_string_lossy().to_ascii_lowercase();
        [".labels.csv", ".labels.csv.gz", ".labels.parquet"]
            .iter()
            .any(|s| n.ends_with(s))
    })
}

/// The late-label settings of one model and the labels held for windows not seen yet.
pub(crate) struct LateLabels {
    id: Option<String>,
    target: String,
    task: Task,
    /// A multiclass model's classes, sorted; empty otherwise.
    classes: Vec<String>,
    config: LabelsConfig,
    /// Checks a labelled window's realised figures against the monitor's `[alerts]` (it keeps
    /// no list of what it raised, as the pipeline's does not).
    alerts: AlertManager,
    /// Loaded from the history on first use.
    held: Option<PendingLabels>,
    /// A window's kept rows were staged since the last `after_window`.
    staged: bool,
}

impl LateLabels {
    pub(crate) fn new(config: &MonitorConfig, labels: &LabelsConfig) -> anyhow::Result<Self> {
        let classes: Vec<&String> = config.columns.class_probabilities.keys().collect();
        let thresholds = AlertThresholds {
            max_history: 1,
            ..config.alerts.clone()
        };
        Ok(LateLabels {
            id: config.columns.id.clone(),
            target: config.columns.target.clone(),
            task: config.task,
            classes: MulticlassEstimator::sorted_classes(&classes),
            config: labels.clone(),
            alerts: AlertManager::new(thresholds)?,
            held: None,
            staged: false,
        })
    }

    /// What a window keeps for its labels, when ids are configured and it has them.
    pub(crate) fn kept(
        &mut self,
        window: &DataWindow,
        model: Option<&dyn Model>,
    ) -> Option<StagedKept> {
        self.id.as_ref()?;
        // `--model`: the scores it computes are what the labels will be compared with.
        let computed = match (window.prediction_values(), model) {
            (None, Some(model)) => model.predict(window).ok(),
            _ => None,
        };
        let (blob, rows) = KeptRows::compact_of(window, &self.classes, computed)?;
        self.staged = true;
        Some(StagedKept {
            blob,
            rows,
            keep: self.config.keep_duration(),
            max_rows: self.config.max_rows,
        })
    }

    fn held<'a>(&'a mut self, history: &History) -> anyhow::Result<&'a mut PendingLabels> {
        let held = match self.held.take() {
            Some(h) => h,
            None => {
                let mut h = PendingLabels::new(self.config.max_pending);
                for (id, label, file, seq) in history.held_labels()? {
                    h.restore(id, join::Held { label, file, seq });
                }
                h
            }
        };
        Ok(self.held.insert(held))
    }

    /// Processes a label file whose bytes were read (`bytes`), under `key`. Returns its lines:
    /// one per affected window, then the file's summary (or its error).
    pub(crate) fn process_file(
        &mut self,
        history: Option<&mut History>,
        monitor: &mut ModelMonitor,
        path: &Path,
        key: Option<&FileKey>,
        bytes: Result<&[u8], DataError>,
        read: &data::ReadOptions,
    ) -> anyhow::Result<Vec<LabelLine>> {
        let name = file_name(path);
        let started = Instant::now();
        let Some(id) = self.id.clone() else {
            return Ok(vec![error_line(
                &name,
                "a label file needs [columns] id: the column its rows are joined by",
                None,
            )]);
        };
        let Some(history) = history else {
            return Ok(vec![error_line(
                &name,
                "late labels are joined to windows kept in the history: run with a history (--history PATH)",
                None,
            )]);
        };
        let rows = bytes.and_then(|b| {
            data::parse_labels(path, b, &id, &self.target, !self.classes.is_empty(), read)
        });
        let rows = match rows {
            Ok(rows) => rows,
            Err(e) => {
                // That version of the file is done: reported once, a new version is read.
                if !matches!(e, DataError::Unreadable { .. }) {
                    history.record_labels(key, &[], &HeldChanges::default(), &[])?;
                }
                let error = WindowError::from(&e);
                return Ok(vec![error_line(&name, &error.message.clone(), Some(error))]);
            }
        };
        let stored = history.kept_windows()?;
        let mut windows = Vec::with_capacity(stored.len());
        for w in &stored {
            match KeptRows::decode(&w.blob) {
                Ok(kept) => windows.push((w, kept)),
                Err(e) => log::warn!("window {}: {e}; its labels cannot be joined", w.window),
            }
        }
        let mut labels: Vec<Vec<f64>> = windows
            .iter()
            .map(|(w, kept)| decode_labels(w.labels.as_deref(), kept.rows()))
            .collect();
        let mut touched = vec![false; windows.len()];
        let refs: Vec<&KeptRows> = windows.iter().map(|(_, k)| k).collect();
        let values = join::label_values(&rows, &self.classes);
        let held = self.held(history)?;
        let seq_before = held.iter().map(|(_, h)| h.seq + 1).max().unwrap_or(0);
        let counts = join::apply(
            &refs,
            &rows,
            &values,
            &mut labels,
            &mut touched,
            held,
            &name,
        );
        let dropped = held.trim();
        let changes = HeldChanges {
            held: held
                .iter()
                .filter(|(_, h)| h.seq >= seq_before)
                .map(|(id, h)| (id.to_string(), h.label, h.file.clone(), h.seq))
                .collect(),
            forget: dropped.clone(),
        };
        let held_now = held.len();
        let mut updates = Vec::new();
        let mut lines = Vec::new();
        for (i, (w, kept)) in windows.iter().enumerate() {
            if !touched[i] {
                continue;
            }
            let mut files = w.files.clone();
            if !files.contains(&name) {
                files.push(name.clone());
            }
            if let Some((update, line)) =
                self.realise(history, monitor, w, kept, &labels[i], files, &name)?
            {
                updates.push(update);
                lines.push(line);
            }
        }
        let changed = monitor.incidents_mut().take_changed();
        let recorded = history.record_labels(key, &updates, &changes, &changed);
        if !matches!(recorded, Ok(true)) {
            monitor.incidents_mut().unstored(&changed);
        }
        match recorded {
            Ok(true) => {}
            // Another run recorded this very file: nothing here is new.
            Ok(false) => {
                self.held = None;
                return Ok(Vec::new());
            }
            // Not recorded: the held labels are read again from the history, which has none of
            // this file's; the file is read again by the next run.
            Err(e) => {
                self.held = None;
                return Err(e.into());
            }
        }
        lines.push(summary_line(
            &name,
            counts,
            &lines,
            held_now,
            dropped.len(),
            started.elapsed().as_secs_f64(),
        ));
        Ok(lines)
    }

    /// Applies the labels held for the window just recorded, if any.
    pub(crate) fn after_window(
        &mut self,
        history: &mut History,
        monitor: &mut ModelMonitor,
    ) -> anyhow::Result<Vec<LabelLine>> {
        if !std::mem::take(&mut self.staged) || self.held(history)?.is_empty() {
            return Ok(Vec::new());
        }
        let Some(w) = history.newest_kept()? else {
            return Ok(Vec::new());
        };
        let Ok(kept) = KeptRows::decode(&w.blob) else {
            return Ok(Vec::new());
        };
        let (found, files) = self.held(history)?.take_for(&kept);
        if found.is_empty() {
            return Ok(Vec::new());
        }
        let mut labels = decode_labels(w.labels.as_deref(), kept.rows());
        let mut forget = Vec::with_capacity(found.len());
        for (row, label) in found {
            join::set_label(&mut labels[row], label);
            forget.push(kept.id(row).to_string());
        }
        let mut all_files = w.files.clone();
        for f in &files {
            if !all_files.contains(f) {
                all_files.push(f.clone());
            }
        }
        let newest = files.last().cloned().unwrap_or_default();
        let Some((update, line)) =
            self.realise(history, monitor, &w, &kept, &labels, all_files, &newest)?
        else {
            return Ok(Vec::new());
        };
        let changes = HeldChanges {
            held: Vec::new(),
            forget,
        };
        let changed = monitor.incidents_mut().take_changed();
        if let Err(e) = history.record_labels(None, &[update], &changes, &changed) {
            monitor.incidents_mut().unstored(&changed);
            // The held labels taken are still in the history: read them again.
            self.held = None;
            return Err(e.into());
        }
        Ok(vec![line])
    }

    /// A window's realised figures from its labels so far: its updated result and its line,
    /// with the late-label problems they open or resolve (raised for this window).
    #[allow(clippy::too_many_arguments)]
    fn realise(
        &mut self,
        history: &History,
        monitor: &mut ModelMonitor,
        w: &KeptWindow,
        kept: &KeptRows,
        labels: &[f64],
        files: Vec<String>,
        file: &str,
    ) -> anyhow::Result<Option<(WindowLabels, LabelLine)>> {
        let Some(mut result) = history.result_by_id(w.result_id)? else {
            return Ok(None);
        };
        let performance = join::realised(self.task, !self.classes.is_empty(), kept, labels);
        let labelled = join::labelled_rows(labels);
        let error = match (&result.estimated_performance, &performance) {
            (Some(e), Some(p)) => join::estimation_error(e, p),
            _ => Default::default(),
        };
        let mut probe = MonitoringResult::new(w.window.clone());
        probe.performance = performance.clone();
        let alerts: Vec<_> = self
            .alerts
            .check_alerts(&probe)
            .into_iter()
            .filter(|a| a.kind == AlertKind::PerformanceDegradation)
            .collect();
        let incidents = monitor.observe_labelled(&w.window, &alerts, Utc::now());
        result.performance = performance.clone();
        result.metadata.insert(
            "late_labels".into(),
            json!({
                "labelled_rows": labelled,
                "rows": kept.rows(),
                "label_files": files,
                "estimation_error": error,
                "alerts": alerts,
                "updated": Utc::now(),
            }),
        );
        let line = LabelLine {
            worst: alerts.iter().map(|a| a.level).max(),
            changed_problems: !incidents.is_empty(),
            realised: Some(RealisedWindow {
                window: w.window.clone(),
                performance: performance.clone(),
                labelled_rows: labelled,
                rows: kept.rows(),
            }),
            json: json!({
                "window": w.window,
                "labels": file,
                "timestamp": Utc::now(),
                "labelled_rows": labelled,
                "rows": kept.rows(),
                "performance": performance,
                "estimated_performance": result.estimated_performance,
                "estimation_error": error,
                "alerts": alerts,
                "incidents": incidents,
            }),
        };
        let update = WindowLabels {
            result_id: w.result_id,
            labels: encode_labels(labels),
            files,
            result,
            changes: incidents,
        };
        Ok(Some((update, line)))
    }
}

fn file_name(path: &Path) -> String {
    path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    )
}

fn error_line(name: &str, message: &str, error: Option<WindowError>) -> LabelLine {
    let error = error.map_or_else(
        || json!({"kind": "labels", "message": format!("{name}: {message}"), "file": name}),
        |e| json!(e),
    );
    LabelLine {
        changed_problems: false,
        realised: None,
        json: json!({"labels": name, "timestamp": Utc::now(), "error": error}),
        worst: Some(AlertLevel::Critical),
    }
}

fn summary_line(
    name: &str,
    counts: JoinCounts,
    windows: &[LabelLine],
    held: usize,
    dropped: usize,
    seconds: f64,
) -> LabelLine {
    LabelLine {
        changed_problems: false,
        realised: None,
        json: json!({
            "labels": name,
            "timestamp": Utc::now(),
            "label_rows": counts.label_rows,
            "matched": counts.matched,
            "replaced": counts.replaced,
            "unchanged": counts.unchanged,
            "unknown_ids": counts.unknown,
            "unusable": counts.unusable,
            "held": held,
            "dropped": dropped,
            "windows": windows.iter().map(|l| l.json["window"].clone()).collect::<Vec<_>>(),
            "seconds": seconds,
            "error": null,
        }),
        worst: None,
    }
}

/// A window's labels as stored (see [`join::encode_labels`]).
fn encode_labels(labels: &[f64]) -> Vec<u8> {
    join::encode_labels(labels)
}

fn decode_labels(bytes: Option<&[u8]>, rows: usize) -> Vec<f64> {
    join::decode_labels(bytes, rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn label_files_are_known_by_name() {
        for yes in ["a.labels.csv", "B.LABELS.CSV.GZ", "x.labels.parquet"] {
            assert!(is_label_file(Path::new(yes)), "{yes}");
        }
        for no in ["labels.csv", "a.csv", "a.labels.json", "a.labels.csv.tmp"] {
            assert!(!is_label_file(Path::new(no)), "{no}");
        }
    }

    #[test]
    fn labels_round_trip_and_fill_to_the_rows() {
        let back = decode_labels(Some(&encode_labels(&[1.0, f64::NAN])), 3);
        assert_eq!(back[0], 1.0);
        assert!(back[1].is_nan() && back[2].is_nan());
    }
}
