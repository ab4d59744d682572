//! From a window file to a recorded, reportable result.
//!
//! Every mode (`--once`, `--headless`, the TUI, the demo) goes through [`Pipeline::process`], so
//! they read, evaluate and record a window in exactly the same way. The result is recorded in
//! the history (one transaction) before anyone is shown it: what was shown is never lost.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context;
use ml_monitor::data::{self, DataWindow, Schema};
use ml_monitor::model::TrainedModel;
use ml_monitor::profile::{ProfileEvaluator, ProfileReference};
use ml_monitor::stats::histogram;
use ml_monitor::ModelMonitor;
use ml_monitor::ReferenceStats;
use ml_monitor::{monitoring::Metadata, UnorderedWindow};

use super::late_labels::LateLabels;
use super::setup::{self, Delivery};
use crate::app_event::LabelLine;
use crate::app_event::WindowReport;
use crate::error::UsageError;
use crate::file_bytes::FileBytes;
use crate::history::{FileKey, History};
use crate::plan::{Load, ModelPlan, ReferenceSource};

/// Bins of the TUI's histograms: ten keep each bar group wide enough for its label at 80 columns.
const HISTOGRAM_BINS: usize = 10;

/// A processed window: what to show, and whether the history holds it.
pub(crate) struct Processed {
    pub(crate) report: WindowReport,
    /// The key the result was (or is to be) recorded under.
    pub(crate) key: Option<FileKey>,
    /// Why the history could not record the result; it is shown all the same, and the caller
    /// retries ([`Pipeline::store`]) or fails.
    pub(crate) unstored: Option<anyhow::Error>,
    /// The file could not be read: it is not done, and is tried again when it changes.
    pub(crate) unread: bool,
}

/// Files whose last key is remembered (to say which window a new version supersedes); beyond
/// this many, those of files deleted since are forgotten (and if that is not enough, all), so a
/// run over millions of rotating files does not grow without end. A forgotten file's earlier
/// version is still found in the history. Kept small: at 10,000 the map (a path and a key per
/// file, and its table doubling) grew by 2 MB between the 5,000th and the 10,000th window.
const REMEMBERED_FILES: usize = 1_000;

/// The largest read buffer kept from window to window (ordinary windows are tens of
/// megabytes; reusing their buffer saves page faults).
const KEPT_BUFFER: usize = 256 << 20;

/// The largest window file parsed while the reference is fitted. The fit holds the reference's
/// columns and, for a while, a copy of half of them (pca's standardised rows); a window parsed
/// meanwhile adds its columns on top: 440 MB at the peak for 1,000,000 x 20, against 387 MB
/// when the window is read after the fit. A larger window is read after the fit (as `watch
/// DIR` reads every window), which costs its parsing time but bounds the peak.
const OVERLAP_MAX_BYTES: u64 = 64 << 20;

/// Whether the window at `path` is small enough to be parsed while the reference is fitted.
fn overlaps_the_fit(path: &Path) -> bool {
    std::fs::metadata(path).is_ok_and(|m| m.len() <= OVERLAP_MAX_BYTES)
}

/// A window read ahead: its path, the key of the bytes read, and the window.
type Prefetched = (
    PathBuf,
    Option<FileKey>,
    Result<DataWindow, data::DataError>,
);

/// Reads and parses a window file; the key is that of the very bytes read (`None` when they
/// could not be read, or the key not made).
fn read_window(
    bytes: &mut FileBytes,
    path: &Path,
    schema: &Schema,
    read: &data::ReadOptions,
) -> (Option<FileKey>, Result<DataWindow, data::DataError>) {
    if crate::file_bytes::streamed(path) {
        return match bytes.open_version(path) {
            Ok((file, meta)) => (
                FileKey::from_metadata(path, &meta).ok(),
                data::read_window_from(path, &file, meta.len(), schema, read),
            ),
            Err(e) => (None, Err(e)),
        };
    }
    match bytes.load_version(path) {
        Ok((b, meta)) => (
            FileKey::from_metadata(path, &meta).ok(),
            data::parse_window_with(path, b, schema, read),
        ),
        Err(e) => (None, Err(e)),
    }
}

/// The monitor, the reference and the history, ready to process windows.
pub(crate) struct Pipeline {
    /// The key each file was last processed under in this run.
    last_keys: HashMap<PathBuf, FileKey>,
    monitor: ModelMonitor,
    schema: Schema,
    /// Kept only for the UI's histograms; `--once` and `--headless` drop it after fitting.
    reference: Option<DataWindow>,
    history: Option<History>,
    /// File bytes, kept from window to window: a fresh 30 MB buffer per window costs
    /// thousands of page faults.
    bytes: FileBytes,
    /// Limits on decoding a window (`--max-window-bytes`).
    read: data::ReadOptions,
    /// A window parsed ahead (see `new`), with its path and the key of the bytes it was read
    /// from.
    prefetched: Option<Prefetched>,
    /// Where incident changes are delivered, when sinks are configured.
    delivery: Option<Delivery>,
    /// Evaluates profile windows (`*.profile.parquet`, `*.profile.json`) against the reference.
    profiles: Option<ProfileEvaluator>,
    /// Late labels: ids kept with each window, label files joined to them.
    late: LateLabels,
    /// Lines of late labels not yet taken by the caller ([`Pipeline::take_label_lines`]).
    label_lines: Vec<LabelLine>,
    /// The settings changed since the last run (see `pipeline_settings.rs`).
    settings_change: Option<settings::SettingsChange>,
    /// Whether each report carries the firing incidents: only the TUI shows them, and with
    /// thousands open a copy per window costs more than the rest of the window.
    reports_firing: bool,
}

impl Pipeline {
    /// Opens the history (and the sinks' delivery) the plan names, reads the reference (and
    /// the model, if any) and fits the monitor. Errors name the file. With `plan.histograms`
    /// the reference is kept for the UI's histograms; `plan.prefetch` is read and parsed while
    /// the reference is fitted (the window `process` will be given first).
    pub(crate) fn new(plan: &ModelPlan) -> anyhow::Result<Self> {
        let (history, delivery) = setup::history_and_sinks(plan)?;
        let config = &plan.config;
        let histograms = plan.histograms;
        let first = plan.prefetch.as_deref();
        let Load { access, max_bytes } = plan.load;
        // The same cap on what a compressed or Parquet file decodes to.
        let read = data::ReadOptions { max_bytes };
        // Nothing reads the monitor's own result history here (the views get each result as
        // it is made, the history database keeps them): keep none. Nor its alert manager's
        // list of raised alerts: at `[alerts] max_history` (10,000) it held about 5 MB, the
        // largest part of the heap, and kept growing for thousands of windows (issue 29's
        // soak); the key is for library users.
        let mut monitor_config = config.clone();
        monitor_config.alerts.max_history = 1;
        let mut builder = ModelMonitor::builder(monitor_config).history_limit(0);
        // What the reference fit computes is kept beside the history, for the next start.
        if let Some(path) = &plan.history {
            builder = builder.fit_cache(ml_monitor::monitoring::FitCache::beside(path));
        }
        if let Some(path) = &plan.model {
            let model = TrainedModel::load(path)?;
            builder = builder.model(Arc::new(model));
        }
        match &plan.reference {
            ReferenceSource::Csv(path) => {
                let mut bytes = FileBytes::new(access).with_limit(max_bytes);
                let mut reference_hash = String::new();
                let loaded = if crate::file_bytes::streamed(path) {
                    // Only a history compares settings between runs; a streamed reference is
                    // hashed as it is read from the file, a block at a time.
                    if plan.history.is_some() {
                        reference_hash =
                            crate::history::stable_hash_file(path).with_context(|| {
                                format!("reference {} cannot be used", path.display())
                            })?;
                    }
                    bytes.open_version(path).and_then(|(file, meta)| {
                        data::read_reference_from(path, &file, meta.len(), &config.columns, &read)
                    })
                } else {
                    bytes.load(path).and_then(|b| {
                        if plan.history.is_some() {
                            reference_hash = crate::history::stable_hash(b);
                        }
                        data::parse_reference_with(path, b, &config.columns, &read)
                    })
                };
                let (reference, schema) = loaded
                    .with_context(|| format!("reference {} cannot be used", path.display()))?;
                // The reference's bytes are done with: a mapping would hold its pages.
                bytes.release();
                // The grid profiles are checked against (a sort of every feature): not for
                // `--once` on one window file that is not a profile.
                let profiles = first
                    .is_none_or(|p| {
                        p.file_name().is_some_and(|n| {
                            ml_monitor::profile::profile_format(&n.to_string_lossy()).is_some()
                        })
                    })
                    .then(|| {
                        ProfileEvaluator::new(
                            ProfileReference::from_window(&reference, config),
                            config.clone(),
                        )
                    });
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
                        first.filter(|p| overlaps_the_fit(p)).map(|p| {
                            let mut bytes = FileBytes::new(access).with_limit(max_bytes);
                            let (key, window) = read_window(&mut bytes, p, &schema, &read);
                            (p.to_path_buf(), key, window)
                        })
                    },
                );
                let (monitor, reference) =
                    fitted.with_context(|| format!("reference {}", path.display()))?;
                Pipeline {
                    last_keys: HashMap::new(),
                    monitor,
                    schema,
                    reference,
                    history,
                    bytes,
                    read,
                    prefetched,
                    delivery,
                    profiles,
                    late: LateLabels::new(config, &plan.labels)?,
                    label_lines: Vec::new(),
                    settings_change: None,
                    reports_firing: histograms,
                }
                .with_open_incidents()?
                .with_settings(plan, reference_hash)
            }
            ReferenceSource::Stats(path) => {
                let stats = ReferenceStats::load(path)?;
                let reference_hash = match plan.history {
                    Some(_) => std::fs::read(path)
                        .map(|b| crate::history::stable_hash(&b))
                        .with_context(|| format!("--reference-stats {}", path.display()))?,
                    None => String::new(),
                };
                let monitor = builder.build_from_stats(&stats).map_err(|e| {
                    UsageError(format!(
                        "--reference-stats {}: {e}; choose detectors with --detectors psi,chi2 or give --reference",
                        path.display()
                    ))
                })?;
                Pipeline {
                    last_keys: HashMap::new(),
                    monitor,
                    schema: stats.schema(&config.columns),
                    reference: None,
                    history,
                    bytes: FileBytes::new(access).with_limit(max_bytes),
                    read,
                    prefetched: None,
                    delivery,
                    profiles: Some(ProfileEvaluator::new(
                        ProfileReference::from_stats(&stats, config),
                        config.clone(),
                    )),
                    late: LateLabels::new(config, &plan.labels)?,
                    label_lines: Vec::new(),
                    settings_change: None,
                    reports_firing: histograms,
                }
                .with_open_incidents()?
                .with_settings(plan, reference_hash)
            }
        }
    }

    /// Open incidents continue where the last run left them.
    fn with_open_incidents(mut self) -> anyhow::Result<Self> {
        if let Some(h) = &self.history {
            // Resolved problems too: one that pages again re-opens with its id.
            let stored = h.stored_incidents()?;
            let last = h.last_incident_id()?;
            self.monitor.incidents_mut().restore(stored, last);
        }
        Ok(self)
    }

    /// The delivery of incident changes, when sinks are configured.
    pub(crate) fn delivery(&self) -> Option<&Delivery> {
        self.delivery.as_ref()
    }

    /// Incidents firing now, by (level, kind) (the metrics' `ml_monitor_incidents_firing`).
    pub(crate) fn firing_counts(&self) -> Vec<(&'static str, &'static str, u64)> {
        self.monitor
            .incidents()
            .firing_counts()
            .into_iter()
            .map(|((level, kind), n)| (level.as_str(), kind.as_str(), n as u64))
            .collect()
    }

    /// The alert thresholds in force (the TUI's gauges).
    pub(crate) fn thresholds(&self) -> &ml_monitor::AlertThresholds {
        self.monitor.alert_manager().thresholds()
    }

    /// The drift tests' settings in force (the TUI's thresholds footer).
    pub(crate) fn drift_settings(&self) -> &ml_monitor::config::StatisticalConfig {
        &self.monitor.config().drift.statistical
    }

    /// The history, when kept.
    pub(crate) fn history(&self) -> Option<&History> {
        self.history.as_ref()
    }

    /// The history, mutably (acknowledgements).
    pub(crate) fn history_mut(&mut self) -> Option<&mut History> {
        self.history.as_mut()
    }

    /// Keys of the files the history has already recorded (for the watcher's skip check).
    pub(crate) fn processed_keys(&self) -> anyhow::Result<HashSet<FileKey>> {
        match &self.history {
            Some(h) => Ok(h.processed_keys()?),
            None => Ok(HashSet::new()),
        }
    }

    /// Processes one window file. `None`: the history already holds this exact file.
    /// An unusable file gives an error result; a result the history could not record is still
    /// returned, with the reason in `unstored`. Nothing is lost silently.
    pub(crate) fn process(&mut self, path: &Path) -> Option<Processed> {
        // A label file is not a window: its lines are taken with `take_label_lines`.
        if super::late_labels::is_label_file(path) {
            self.process_label_file(path);
            return None;
        }
        let checked = FileKey::of(path).ok();
        if self.is_processed(checked.as_ref()) {
            return None;
        }
        // The window, and the key of the bytes it was read from: the file may have grown since
        // it was checked (or since it was read ahead), and the key recorded must be the one of
        // the bytes evaluated, never a later size with earlier rows.
        let name = path.file_name().map_or_else(
            || path.display().to_string(),
            |n| n.to_string_lossy().into_owned(),
        );
        // `loaded`: the file's bytes were read (a key is made only then), so an error is one
        // of that version's content.
        let (key, window, loaded) = match self.prefetched.take() {
            _ if self.profiles.is_some()
                && ml_monitor::profile::profile_format(&name).is_some() =>
            {
                (checked.clone(), None, false)
            }
            Some((prefetched, key, window))
                if prefetched == path && key.is_some() && key == checked =>
            {
                (key, Some(window), true)
            }
            _ => {
                let (key, window) = read_window(&mut self.bytes, path, &self.schema, &self.read);
                // The window's columns are built: its text is not needed while it is evaluated.
                self.bytes.trim(KEPT_BUFFER);
                let loaded = key.is_some();
                (key.or_else(|| checked.clone()), Some(window), loaded)
            }
        };
        if key != checked && self.is_processed(key.as_ref()) {
            return None;
        }
        let mut metadata = Metadata::new();
        metadata.insert("file".into(), path.display().to_string().into());
        if let Some(k) = &key {
            metadata.insert("bytes".into(), k.size.into());
            if let Some(earlier) = self.earlier_key(path, k) {
                metadata.insert(
                    "supersedes".into(),
                    serde_json::json!({
                        "window": earlier.name,
                        "bytes": earlier.size,
                        "mtime_ns": earlier.mtime_ns,
                    }),
                );
            }
        }
        // A profile is evaluated from its counts; it has no rows to read here.
        let Some(window) = window else {
            // (Only a profile with an evaluator comes here without rows.)
            let profiles = self.profiles.as_mut()?;
            let result = profiles.evaluate_path(path, &name, metadata);
            let result = self.monitor.record(result);
            return self.finish(path, key, loaded, result, BTreeMap::new());
        };
        let (result, histograms) = match window {
            Ok(window) => {
                if !window.extra_columns().is_empty() {
                    // Ignored columns are reported, so a renamed feature does not go unnoticed.
                    metadata.insert(
                        "extra_columns".into(),
                        window.extra_columns().to_vec().into(),
                    );
                }
                self.keep_ids(&window);
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
        let processed = self.finish(path, key, loaded, result, histograms);
        self.apply_held();
        processed
    }

    /// Remembers, records and reports a window's result.
    ///
    /// A file that could not be read is not done: it is recorded without its key, so it is
    /// tried again. One whose bytes were read (`loaded`) but cannot be decoded (a truncated
    /// `.csv.gz`, a Parquet file without its footer) is that version's result, recorded once
    /// under its key: a restart does not report it (and page) again, a new version is read.
    fn finish(
        &mut self,
        path: &Path,
        key: Option<FileKey>,
        loaded: bool,
        mut result: ml_monitor::MonitoringResult,
        histograms: BTreeMap<String, ml_monitor::stats::Histogram>,
    ) -> Option<Processed> {
        let unread = result
            .error
            .as_ref()
            .is_some_and(|e| e.kind.as_str() == "unreadable");
        let key = key.filter(|_| !unread || loaded);
        if let (Some(k), false) = (&key, unread) {
            if self.last_keys.len() >= REMEMBERED_FILES {
                self.last_keys.retain(|p, _| p.exists());
                if self.last_keys.len() >= REMEMBERED_FILES / 2 {
                    self.last_keys.clear();
                }
            }
            self.last_keys.insert(path.to_path_buf(), k.clone());
        }
        let first_under_settings = self.take_settings(&mut result);
        let unstored = match self.store(key.as_ref(), &result) {
            Ok(false) => {
                if first_under_settings {
                    self.untake_settings(&mut result);
                }
                return None;
            }
            Ok(true) => None,
            Err(e) => Some(e),
        };
        let firing = if self.reports_firing {
            self.monitor.incidents().open().cloned().collect()
        } else {
            Vec::new()
        };
        let failing_sinks = self
            .delivery
            .as_ref()
            .map(|d| d.sender.failing())
            .unwrap_or_default();
        Some(Processed {
            report: WindowReport {
                result,
                histograms,
                firing,
                failing_sinks,
            },
            key,
            unstored,
            unread,
        })
    }

    /// Whether the history holds this key already. A failing lookup is not a reason to skip
    /// the window: recording will say.
    fn is_processed(&self, key: Option<&FileKey>) -> bool {
        match (&self.history, key) {
            (Some(h), Some(k)) => h.is_processed(k).unwrap_or(false),
            _ => false,
        }
    }

    /// Records a result, with the firing incidents that changed since the last record and the
    /// outbox rows of its incident changes, in the history (if kept), and wakes the sinks'
    /// sender. `Ok(false)`: that file key was recorded already (by another run), so nothing
    /// was. The changed incidents of a window not recorded go with the next one's.
    pub(crate) fn store(
        &mut self,
        key: Option<&FileKey>,
        result: &ml_monitor::MonitoringResult,
    ) -> anyhow::Result<bool> {
        let changed = self.monitor.incidents_mut().take_changed();
        let Some(h) = &mut self.history else {
            return Ok(true);
        };
        let recorded = h.record_window(key, result, &changed);
        if !matches!(recorded, Ok(true)) {
            self.monitor.incidents_mut().unstored(&changed);
        }
        let recorded =
            recorded.with_context(|| format!("{}: not recorded in the history", result.window))?;
        if let (Some(d), true, false) = (&self.delivery, recorded, result.incidents.is_empty()) {
            d.sender.wake();
        }
        Ok(recorded)
    }

    /// The earlier version of this file processed in this run or recorded in the history, when
    /// `key` is a new one.
    fn earlier_key(&self, path: &Path, key: &FileKey) -> Option<FileKey> {
        let earlier = match self.last_keys.get(path) {
            Some(k) => Some(k.clone()),
            None => self
                .history
                .as_ref()
                .and_then(|h| h.latest_key(&key.name).ok().flatten()),
        };
        earlier.filter(|k| k != key)
    }

    fn histograms_of(
        &self,
        window: &UnorderedWindow,
    ) -> BTreeMap<String, ml_monitor::stats::Histogram> {
        let Some(reference) = &self.reference else {
            return BTreeMap::new();
        };
        reference
            .features()
            .iter()
            .filter_map(|r| {
                let c = window.feature(&r.name)?;
                let bins = match self.monitor.config().drift.statistical.psi_bins {
                    0 => HISTOGRAM_BINS,
                    n => n,
                };
                histogram(r, c, bins).map(|h| (r.name.clone(), h))
            })
            .collect()
    }
}

#[path = "pipeline_labels.rs"]
mod labels;
#[path = "pipeline_settings.rs"]
mod settings;

#[cfg(test)]
#[path = "pipeline_tests.rs"]
mod tests;
