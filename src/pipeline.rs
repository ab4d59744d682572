//! From a window file to a recorded, reportable result.
//!
//! Every mode (`--once`, `--headless`, the TUI, the demo) goes through [`Pipeline::process`], so
//! they read, evaluate and record a window in exactly the same way. The result is recorded in
//! the history (one transaction) before anyone is shown it: what was shown is never lost.

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context;
use ml_monitor::data::{self, DataWindow, Schema};
use ml_monitor::drift::histogram::histogram;
use ml_monitor::model::TrainedModel;
use ml_monitor::monitoring::reference_stats::ReferenceStats;
use ml_monitor::monitoring::{Metadata, UnorderedWindow};
use ml_monitor::{ModelMonitor, MonitorConfig};

use crate::app_event::WindowReport;
use crate::file_bytes::{Access, FileBytes};
use crate::history::{FileKey, History};

/// Bins of the TUI's histograms: ten keep each bar group wide enough for its label at 80 columns.
const HISTOGRAM_BINS: usize = 10;

/// A usage problem (bad config, missing reference flag): exit status 2.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct UsageError(pub String);

/// What the monitor is compared against.
pub enum ReferenceSource {
    /// A reference CSV.
    Csv(PathBuf),
    /// Reference statistics saved by `ml-monitor train` (PSI, chi-square, quality and
    /// prediction shift only).
    Stats(PathBuf),
}

/// The monitor, the reference and the history, ready to process windows.
pub struct Pipeline {
    monitor: ModelMonitor,
    schema: Schema,
    /// Kept only for the UI's histograms; `--once` and `--headless` drop it after fitting.
    reference: Option<DataWindow>,
    history: Option<History>,
    /// File bytes, kept from window to window: a fresh 30 MB buffer per window costs
    /// thousands of page faults.
    bytes: FileBytes,
    /// A window parsed ahead (see `new`), with its path.
    prefetched: Option<(PathBuf, Result<DataWindow, data::DataError>)>,
}

impl Pipeline {
    /// Reads the reference (and the model, if any) and fits the monitor. Errors name the file.
    /// `histograms`: also compute per-feature histograms for the UI (keeps the reference in
    /// memory). `access`: how files are loaded (see [`crate::file_bytes`]). `first`: a window
    /// file to read while the reference is being fitted (the one `process` will be given first).
    pub fn new(
        config: MonitorConfig,
        source: &ReferenceSource,
        model: Option<&Path>,
        history: Option<History>,
        histograms: bool,
        access: Access,
        first: Option<&Path>,
    ) -> anyhow::Result<Self> {
        let mut builder = ModelMonitor::builder(config.clone()).history_limit(1000);
        if let Some(path) = model {
            let model = TrainedModel::load(path)?;
            builder = builder.model(Arc::new(model));
        }
        match source {
            ReferenceSource::Csv(path) => {
                let mut bytes = FileBytes::new(access);
                let (reference, schema) = bytes
                    .load(path)
                    .and_then(|b| data::parse_reference(path, b, &config.columns))
                    .with_context(|| format!("reference {} cannot be used", path.display()))?;
                // The reference's bytes are done with: a mapping would hold its pages.
                bytes.release();
                // The first window is read and parsed while the detectors fit: each step uses
                // every core but leaves some idle, and together they leave less. Without
                // histograms the reference rows are done with once fitted: the fit sorts them
                // in their own memory instead of copying them.
                let (fitted, prefetched) = rayon::join(
                    || {
                        if histograms {
                            builder.build(&reference).map(|m| (m, Some(reference)))
                        } else {
                            builder.build_owned(reference).map(|m| (m, None))
                        }
                    },
                    || {
                        first.map(|p| {
                            let window = FileBytes::new(access)
                                .load(p)
                                .and_then(|b| data::parse_window(p, b, &schema));
                            (p.to_path_buf(), window)
                        })
                    },
                );
                let (monitor, reference) =
                    fitted.with_context(|| format!("reference {}", path.display()))?;
                Ok(Pipeline {
                    monitor,
                    schema,
                    reference,
                    history,
                    bytes,
                    prefetched,
                })
            }
            ReferenceSource::Stats(path) => {
                let stats = ReferenceStats::load(path)?;
                let monitor = builder.build_from_stats(&stats).map_err(|e| {
                    UsageError(format!(
                        "--reference-stats {}: {e}; choose detectors with --detectors psi,chi2 or give --reference",
                        path.display()
                    ))
                })?;
                Ok(Pipeline {
                    monitor,
                    schema: stats.schema(&config.columns),
                    reference: None,
                    history,
                    bytes: FileBytes::new(access),
                    prefetched: None,
                })
            }
        }
    }

    /// The alert thresholds in force (the TUI's gauges).
    pub fn thresholds(&self) -> &ml_monitor::AlertThresholds {
        self.monitor.alert_manager().thresholds()
    }

    /// The history, when kept.
    pub fn history(&self) -> Option<&History> {
        self.history.as_ref()
    }

    /// The history, mutably (acknowledgements).
    pub fn history_mut(&mut self) -> Option<&mut History> {
        self.history.as_mut()
    }

    /// Keys of the files the history has already recorded (for the watcher's skip check).
    pub fn processed_keys(&self) -> anyhow::Result<HashSet<FileKey>> {
        match &self.history {
            Some(h) => Ok(h.processed_keys()?),
            None => Ok(HashSet::new()),
        }
    }

    /// Processes one window file. `Ok(None)`: the history already holds this exact file.
    /// An unusable file gives an error result, not an `Err`; `Err` means the history could not
    /// be written.
    pub fn process(&mut self, path: &Path) -> anyhow::Result<Option<WindowReport>> {
        let key = FileKey::of(path).ok();
        if let (Some(h), Some(k)) = (&self.history, &key) {
            if h.is_processed(k)? {
                return Ok(None);
            }
        }
        let name = path.file_name().map_or_else(
            || path.display().to_string(),
            |n| n.to_string_lossy().into_owned(),
        );
        let mut metadata = Metadata::new();
        metadata.insert("file".into(), path.display().to_string().into());
        if let Some(k) = &key {
            metadata.insert("bytes".into(), k.size.into());
        }
        let window = match self.prefetched.take() {
            Some((prefetched, window)) if prefetched == path => window,
            _ => self
                .bytes
                .load(path)
                .and_then(|b| data::parse_window(path, b, &self.schema)),
        };
        let (result, histograms) = match window {
            Ok(window) => {
                if !window.extra_columns.is_empty() {
                    // Ignored columns are reported, so a renamed feature does not go unnoticed.
                    metadata.insert("extra_columns".into(), window.extra_columns.clone().into());
                }
                // The window's rows are not needed after this (histograms only count values):
                // its columns are sorted where they are instead of into copies.
                let (result, window) = self.monitor.monitor_unordered(window, metadata);
                let histograms = if result.error.is_none() {
                    self.histograms_of(&window)
                } else {
                    BTreeMap::new()
                };
                (result, histograms)
            }
            Err(e) => (
                self.monitor.monitor_error(&name, &e, metadata),
                BTreeMap::new(),
            ),
        };
        if let Some(h) = &mut self.history {
            let recorded = h
                .record(key.as_ref(), &result)
                .with_context(|| format!("recording {name} in the history"))?;
            if !recorded {
                return Ok(None);
            }
        }
        Ok(Some(WindowReport { result, histograms }))
    }

    fn histograms_of(
        &self,
        window: &UnorderedWindow,
    ) -> BTreeMap<String, ml_monitor::drift::histogram::Histogram> {
        let Some(reference) = &self.reference else {
            return BTreeMap::new();
        };
        reference
            .features
            .iter()
            .filter_map(|r| {
                let c = window.feature(&r.name)?;
                histogram(r, c, HISTOGRAM_BINS).map(|h| (r.name.clone(), h))
            })
            .collect()
    }
}

/// The default history location for a watched directory.
pub fn default_history_path(dir: &Path) -> PathBuf {
    dir.join(".ml-monitor").join("history.sqlite")
}
