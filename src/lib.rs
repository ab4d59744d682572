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
//! use ml_monitor::{config::MonitorConfig, data, ModelMonitor};
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

// One path per type. The root holds what running a monitor takes: the monitor, its result, the
// default detectors and the alerts; everything else is named through its layer's module
// (`config::MonitorConfig`, `data::DataWindow`, `drift::DriftResult`, ...). docs/library.md lists it.
pub use config::alerts::{AlertLevel, AlertThresholds};
pub use drift::ml_based::MLBasedDriftDetector;
pub use drift::pca::PcaDriftDetector;
pub use drift::statistical::StatisticalDriftDetector;
pub use monitoring::alerts::{Alert, AlertKind, AlertManager};
pub use monitoring::monitor::{ModelMonitor, MonitorBuilder, MonitorError, UnorderedWindow};
pub use monitoring::reference_stats::ReferenceStats;
pub use monitoring::result::MonitoringResult;
