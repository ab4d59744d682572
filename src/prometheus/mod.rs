//! Prometheus metrics of every figure the monitor computes: served on `--metrics-addr` in the
//! live modes and written to `--metrics-file` after each window in every mode.
//!
//! The worker that processes windows owns the [`Exporter`]: after each window it updates the
//! state and renders the text once; the server threads only hand that text out. Rendering on
//! the worker (a few milliseconds for a thousand features) keeps scrapes constant-time and
//! means a scrape always sees one whole window, never half of one.

pub(crate) mod config;
mod file;
pub(crate) mod server;
mod state;
#[cfg(test)]
mod tests;
mod window;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::Args;

use ml_monitor::MonitoringResult;

use crate::error::UsageError;
pub(crate) use config::MetricsConfig;
use server::{MetricsServer, Published};
use state::MetricsState;

/// Prometheus metrics flags of `watch`.
#[derive(Debug, Clone, Default, Args)]
pub(crate) struct MetricsArgs {
    /// Serve Prometheus metrics (GET /metrics, GET /healthz) on HOST:PORT in the live modes;
    /// a bare :PORT binds 127.0.0.1. Overrides [metrics] addr.
    #[arg(long, value_name = "HOST:PORT", conflicts_with = "once")]
    pub(crate) metrics_addr: Option<String>,
    /// Write the same metrics text to PATH after each window (atomically: temp file + rename),
    /// in every mode, for node_exporter's textfile collector.
    #[arg(long, value_name = "PATH")]
    pub(crate) metrics_file: Option<PathBuf>,
}

/// Where metrics go, resolved from the flags and the `[metrics]` section.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct MetricsSettings {
    pub(crate) addr: Option<SocketAddr>,
    pub(crate) file: Option<PathBuf>,
    pub(crate) max_features: usize,
}

impl MetricsSettings {
    /// Flags override the config. `live`: the mode serves HTTP (the TUI, `--headless`); `--once`
    /// only writes the file, and ignores `[metrics] addr`. `addr_at` says where the config's
    /// address is written (`c.toml: line 3: metrics.addr`), for its error.
    pub(crate) fn resolve(
        args: &MetricsArgs,
        config: &MetricsConfig,
        addr_at: &str,
        live: bool,
    ) -> Result<Self, UsageError> {
        let addr = match (&args.metrics_addr, &config.addr, live) {
            (Some(a), _, _) => Some(
                server::parse_addr(a).map_err(|e| UsageError(format!("--metrics-addr: {e}")))?,
            ),
            (None, Some(a), true) => {
                Some(server::parse_addr(a).map_err(|e| UsageError(format!("{addr_at}: {e}")))?)
            }
            _ => None,
        };
        if let Some(path) = &args.metrics_file {
            let dir = path.parent().filter(|p| !p.as_os_str().is_empty());
            if path.is_dir() || dir.is_some_and(|d| !d.is_dir()) {
                return Err(UsageError(format!(
                    "--metrics-file {}: not a file in an existing directory",
                    path.display()
                )));
            }
        }
        Ok(MetricsSettings {
            addr,
            file: args.metrics_file.clone(),
            max_features: config.max_features,
        })
    }
}

/// The metrics of one run: state, published text, the file and the server.
pub(crate) struct Exporter {
    state: MetricsState,
    published: Published,
    file: Option<PathBuf>,
    server: Option<MetricsServer>,
    /// Say things on stderr too (not in the TUI, which owns the screen).
    stderr: bool,
    cut_reported: bool,
    file_failing: bool,
}

impl Exporter {
    /// Starts the server, if an address is set; `None` when metrics are off.
    pub(crate) fn start(settings: MetricsSettings, stderr: bool) -> anyhow::Result<Option<Self>> {
        if settings.addr.is_none() && settings.file.is_none() {
            return Ok(None);
        }
        let state = MetricsState::new(settings.max_features);
        let published = Published::default();
        published.set(state.render().text);
        let server = settings
            .addr
            .map(|addr| MetricsServer::start(addr, published.clone()))
            .transpose()?;
        let exporter = Exporter {
            state,
            published,
            file: settings.file,
            server,
            stderr,
            cut_reported: false,
            file_failing: false,
        };
        if let Some(addr) = exporter.addr() {
            let message = format!("metrics on http://{addr}/metrics");
            log::info!("{message}");
            if stderr {
                eprintln!("ml-monitor: {}", crate::sanitize::lines(&message));
            }
        }
        Ok(Some(exporter))
    }

    /// The address the server listens on.
    pub(crate) fn addr(&self) -> Option<SocketAddr> {
        self.server.as_ref().map(MetricsServer::addr)
    }

    /// A window completed in `elapsed`: count it, show its figures, publish.
    pub(crate) fn observe(&mut self, result: &MonitoringResult, elapsed: Duration) {
        self.state.observe(result, elapsed.as_secs_f64());
        self.publish();
    }

    /// [`Exporter::observe`] with the incidents firing after that window (see
    /// `ml_monitor_incidents_firing{level,kind}`), published once.
    pub(crate) fn observe_with_incidents<L: AsRef<str>, K: AsRef<str>>(
        &mut self,
        result: &MonitoringResult,
        elapsed: Duration,
        firing: impl IntoIterator<Item = (L, K, u64)>,
    ) {
        self.state.set_incidents(counts(firing));
        self.observe(result, elapsed);
    }

    /// Late labels: each window line's realised figures and estimation errors, published once.
    pub(crate) fn observe_labels(&mut self, lines: &[crate::app_event::LabelLine]) {
        let mut any = false;
        for line in lines {
            let (Some(window), Some(performance)) = (
                line.json.get("window").and_then(|w| w.as_str()),
                line.json.get("performance").and_then(|p| p.as_object()),
            ) else {
                continue;
            };
            let numbers = |o: &serde_json::Map<String, serde_json::Value>| {
                o.iter()
                    .filter_map(|(k, v)| v.as_f64().map(|v| (k.clone(), v)))
                    .filter(|(k, _)| k != "n_classes")
                    .collect()
            };
            let errors = line
                .json
                .get("estimation_error")
                .and_then(|e| e.as_object())
                .map(numbers)
                .unwrap_or_default();
            let labelled_rows = line.json["labelled_rows"].as_f64().unwrap_or(0.0);
            self.state.set_realised(
                window,
                state::Realised {
                    metrics: numbers(performance),
                    errors,
                    labelled_rows,
                },
            );
            any = true;
        }
        if any {
            self.publish();
        }
    }

    /// Shows a window's figures (from the history) without counting it.
    pub(crate) fn seed(&mut self, result: &MonitoringResult) {
        self.state.seed(result);
        self.publish_text();
    }

    /// The hook for incidents: the number of incidents firing now by (level, kind), exported as
    /// `ml_monitor_incidents_firing{level,kind}`. Pairs left out are not firing; call it
    /// whenever the counts change (after each window at least).
    #[cfg(test)]
    pub(crate) fn set_incidents_firing<L: AsRef<str>, K: AsRef<str>>(
        &mut self,
        firing: impl IntoIterator<Item = (L, K, u64)>,
    ) {
        self.state.set_incidents(counts(firing));
        self.publish();
    }

    fn say(&self, message: &str) {
        log::warn!("{message}");
        if self.stderr {
            eprintln!("ml-monitor: {}", crate::sanitize::lines(message));
        }
    }

    /// Renders, swaps the served text, writes the file; returns nothing: metrics trouble never
    /// stops monitoring.
    fn publish(&mut self) {
        let text = self.publish_text();
        if let Some(path) = &self.file {
            match file::write_atomic(path, &text) {
                Ok(()) => self.file_failing = false,
                Err(e) if !self.file_failing => {
                    self.file_failing = true;
                    self.say(&format!("--metrics-file {}: {e}", path.display()));
                }
                Err(_) => {}
            }
        }
    }

    fn publish_text(&mut self) -> std::sync::Arc<String> {
        let rendered = self.state.render();
        if let Some((total, kept)) = rendered.cut {
            if !self.cut_reported {
                self.cut_reported = true;
                self.say(&format!(
                    "metrics: {total} features; per-feature series only for the first {kept} by name ([metrics] max_features)"
                ));
            }
        }
        self.published.set(rendered.text);
        self.published.get()
    }
}

/// Firing counts keyed by (level, kind), summed over repeated pairs.
fn counts<L: AsRef<str>, K: AsRef<str>>(
    firing: impl IntoIterator<Item = (L, K, u64)>,
) -> BTreeMap<(String, String), u64> {
    let mut counts = BTreeMap::new();
    for (level, kind, n) in firing {
        *counts
            .entry((level.as_ref().to_string(), kind.as_ref().to_string()))
            .or_insert(0) += n;
    }
    counts
}
