//! Monitoring: metrics, alerts, and the [`ModelMonitor`] that ties detectors, metrics and alerts
//! into one [`MonitoringResult`] per window.

pub mod alerts;
mod cached_fit;
pub mod estimation;
mod evaluate;
pub mod fit_cache;
pub mod incidents;
pub mod labels;
pub mod metrics;
pub mod monitor;
mod multiclass_window;
pub mod paging;
pub mod quality;
pub mod ranking;
pub mod reference_stats;
pub mod result;

pub use alerts::{Alert, AlertKind, AlertLevel, AlertManager, AlertThresholds};
pub use incidents::{
    ChangeKind, Incident, IncidentChange, IncidentStatus, IncidentTracker, Member, SETTINGS_CHANGED,
};
pub use monitor::{Metadata, ModelMonitor, MonitorBuilder, MonitorError, UnorderedWindow};
pub use result::{
    FeatureQuality, MonitoringResult, Performance, PredictionSource, PredictionStats, WindowError,
    WindowErrorKind,
};
