//! The pipeline's side of late labels: a label file read like a window (the same byte loader
//! and limits) and handed to [`LateLabels`]; a window's ids staged to be recorded with it; held
//! labels applied once a window is recorded. Apart from `pipeline.rs` so the window path reads
//! on its own.

use std::path::Path;

use ml_monitor::data::DataWindow;
use serde_json::json;

use super::Pipeline;
use crate::app_event::LabelLine;
use crate::history::FileKey;

impl Pipeline {
    /// Reads a label file and joins it; its lines wait in `label_lines`.
    pub(super) fn process_label_file(&mut self, path: &Path) {
        let checked = FileKey::of(path).ok();
        if self.is_processed(checked.as_ref()) {
            return;
        }
        let (key, bytes) = match self.bytes.load_version(path) {
            Ok((b, meta)) => (FileKey::from_metadata(path, &meta).ok(), Ok(b)),
            Err(e) => (None, Err(e)),
        };
        // (The history itself, not `is_processed`: the bytes borrow the loader.)
        let seen = match (&self.history, &key) {
            (Some(h), Some(k)) => h.is_processed(k).unwrap_or(false),
            _ => false,
        };
        if key != checked && seen {
            return;
        }
        let lines = self.late.process_file(
            self.history.as_mut(),
            &mut self.monitor,
            path,
            key.as_ref(),
            bytes,
            &self.read,
        );
        self.bytes.trim(super::KEPT_BUFFER);
        match lines {
            Ok(lines) => self.extend_label_lines(lines),
            Err(e) => self.label_lines.push(failure(path, &e)),
        }
    }

    /// Keeps late-label lines to print, and wakes the sinks when they changed a problem (the
    /// history queued those changes with the labels).
    fn extend_label_lines(&mut self, lines: Vec<LabelLine>) {
        let changed = lines.iter().any(|l| l.changed_problems);
        if let (true, Some(d)) = (changed, &self.delivery) {
            d.sender.wake();
        }
        self.label_lines.extend(lines);
    }

    /// Stages the window's ids and predictions to be recorded with its result.
    pub(super) fn keep_ids(&mut self, window: &DataWindow) {
        if let Some(history) = self.history.as_mut() {
            if let Some(staged) = self.late.kept(window, self.monitor.model()) {
                history.stage_kept(staged);
            }
        }
    }

    /// Applies the labels held for the window just recorded.
    pub(super) fn apply_held(&mut self) {
        let Some(history) = self.history.as_mut() else {
            return;
        };
        match self.late.after_window(history, &mut self.monitor) {
            Ok(lines) => self.extend_label_lines(lines),
            Err(e) => self.label_lines.push(failure(Path::new("held labels"), &e)),
        }
    }

    /// The late-label lines made since the last call: one per window whose realised figures
    /// changed, and one per label file.
    pub(crate) fn take_label_lines(&mut self) -> Vec<LabelLine> {
        std::mem::take(&mut self.label_lines)
    }
}

/// A label file whose effects the history could not record: said, and tried again next run.
fn failure(path: &Path, e: &anyhow::Error) -> LabelLine {
    let name = path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    LabelLine {
        changed_problems: false,
        realised: None,
        json: json!({
            "labels": name,
            "timestamp": chrono::Utc::now(),
            "error": {"kind": "history", "message": format!("{e:#}"), "file": name},
        }),
        worst: Some(ml_monitor::AlertLevel::Critical),
    }
}
