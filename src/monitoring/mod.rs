//! Monitoring: metrics, alerts, and the [`ModelMonitor`] that ties detectors, metrics and alerts
//! into one [`MonitoringResult`] per window.

pub mod alerts;
pub mod estimation;
pub mod metrics;
pub mod monitor;
pub mod quality;
pub mod result;

pub use alerts::{Alert, AlertKind, AlertLevel, AlertManager, AlertThresholds};
pub use monitor::{Metadata, ModelMonitor, MonitorError};
pub use result::{
    FeatureQuality, MonitoringResult, Performance, PredictionSource, PredictionStats, WindowError,
};
