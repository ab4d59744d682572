//! # ml_monitor
//!
//! Evaluation logic for monitoring machine-learning models in production: data drift
//! (Kolmogorov–Smirnov with scipy-exact p-values, PSI, chi-square, a classifier two-sample test),
//! data quality, model metrics, prediction shift, and alerts — one [`MonitoringResult`] per
//! window of data.
//!
//! The library knows nothing of terminals, watched directories or stdout; the `ml-monitor`
//! binary wires it to a directory watcher, a SQLite history and a terminal UI.
//!
//! ```no_run
//! use ml_monitor::{data, ModelMonitor, MonitorConfig};
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let config = MonitorConfig::default();
//! let (reference, schema) = data::read_reference("reference.csv".as_ref(), &config.columns)?;
//! let mut monitor = ModelMonitor::builder(config).build(&reference)?;
//! let window = data::read_window("window_0001.csv".as_ref(), &schema)?;
//! let result = monitor.monitor(&window);
//! println!("{}", serde_json::to_string(&result)?);
//! # Ok(()) }
//! ```

// Nothing from outside the program (files, config, channels) may panic the monitor.
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used))]

pub mod config;
pub mod data;
pub mod drift;
pub mod generator;
pub mod model;
pub mod monitoring;
pub mod profile;
pub mod stats;

pub use config::DetectorKind;
pub use config::{MonitorConfig, Task};
pub use data::{DataWindow, Schema};
pub use drift::{
    DriftDetector, DriftResult, MLBasedDriftDetector, PcaDriftDetector, StatisticalDriftDetector,
};
pub use model::{train, Model, TrainedModel};
pub use monitoring::reference_stats::ReferenceStats;
pub use monitoring::{
    Alert, AlertLevel, AlertManager, AlertThresholds, ModelMonitor, MonitorBuilder, MonitorError,
    MonitoringResult, UnorderedWindow,
};
