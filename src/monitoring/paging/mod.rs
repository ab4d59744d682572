//! Paging: which of a window's conditions carry evidence strong enough to wake someone.
//!
//! The per-window alerts keep the detectors' sensitivity for the screen; this policy looks at
//! the sequence of windows and says, window by window, which conditions page.

use std::collections::BTreeSet;

use super::incidents::{conditions, IncidentKey};
use super::result::MonitoringResult;
use crate::config::PagingConfig;

/// Decides, window by window, which conditions page.
#[derive(Debug, Clone)]
pub struct PagePolicy {
    config: PagingConfig,
}

impl PagePolicy {
    /// A policy for these settings.
    pub fn new(config: &PagingConfig) -> Self {
        PagePolicy {
            config: config.clone(),
        }
    }

    /// The settings in force.
    pub fn config(&self) -> &PagingConfig {
        &self.config
    }

    /// Folds one window's result (alerts raised) into the policy and returns the keys of the
    /// conditions whose evidence is strong enough to page at this window.
    pub fn observe(&mut self, result: &MonitoringResult) -> BTreeSet<IncidentKey> {
        conditions::of(result).iter().map(|c| c.key()).collect()
    }
}
