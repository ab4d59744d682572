//! Monitoring: metrics, alerts, and the [`ModelMonitor`](crate::ModelMonitor) that ties
//! detectors, metrics and alerts into one [`MonitoringResult`](crate::MonitoringResult) per window.

pub(crate) mod alerts;
mod cached_fit;
pub mod estimation;
mod evaluate;
pub(crate) mod fit_cache;
pub(crate) mod incidents;
pub mod labels;
pub mod metrics;
pub(crate) mod monitor;
mod multiclass_window;
pub(crate) mod paging;
pub(crate) mod quality;
pub mod ranking;
pub(crate) mod reference_stats;
pub(crate) mod result;

pub(crate) use alerts::Alert;
pub use fit_cache::FitCache;
pub use incidents::{
    ChangeKind, Incident, IncidentChange, IncidentStatus, IncidentTracker, Member, SETTINGS_CHANGED,
};
pub use monitor::Metadata;
pub use paging::HeldBack;
pub use result::{
    FeatureQuality, Performance, PredictionSource, PredictionStats, WindowError, WindowErrorKind,
};
