//! `[paging]`: what may wake someone, as opposed to what the screen shows.
//!
//! The screen and the JSON flag every window at the detectors' own sensitivity; a pager must be
//! rare, so paging is configured by the false-page rate a user accepts, the way alibi-detect's
//! online detectors take an expected run time between false alarms.

use serde::{Deserialize, Serialize};

/// `[paging]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PagingConfig {
    /// Expected number of clean windows between two false pages.
    pub false_page_every: u64,
    /// Conditions of one model that start paging within this many windows of each other form
    /// one problem (0: the same window).
    pub group_windows: usize,
    /// Windows a problem must keep showing after its first paging window before it pages
    /// (Prometheus' `for`; 0: at once).
    pub pending_windows: usize,
    /// A feature's drift pages only when its effect (KS D for numeric features, the total
    /// variation distance of the shares for categorical and discrete ones) is at least this.
    pub min_effect: f64,
    /// pca's drift pages only when the window's mean reconstruction error is at least this
    /// much (relative) above the reference's.
    pub min_error_rise: f64,
}

impl Default for PagingConfig {
    fn default() -> Self {
        PagingConfig {
            false_page_every: 2000,
            group_windows: 0,
            pending_windows: 0,
            min_effect: 0.03,
            min_error_rise: 0.1,
        }
    }
}
