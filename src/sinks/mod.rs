//! Delivery of incident changes to where on-call engineers look: Alertmanager, webhooks,
//! commands.
//!
//! Sinks are told about incident changes only (opened, escalated, resolved), never once per
//! window. Delivery goes through the history's outbox, written in the window's transaction, and
//! a sender thread ([`sender`]) drains it with capped exponential backoff: a receiver that is
//! down, slow or hung never stalls window processing, and whatever was recorded is delivered at
//! least once, in order per sink, after the receiver (or the monitor, after `kill -9`) comes
//! back. This is the binary's business: the library knows nothing of networks.

pub mod alertmanager;
pub mod command;
pub mod config;
pub mod http;
pub mod sender;
pub mod webhook;

use std::path::Path;

use chrono::Utc;

use crate::history::{OutboxRow, SinkFilter};
pub use config::{SinkSpec, SinkTarget};
pub use sender::Sender;

/// What one delivery attempt came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Delivered,
    /// Worth trying again (5xx, 429, timeout, connection refused).
    Retry(String),
    /// Never worth trying again (4xx other than 429); the answer.
    Refused(String),
}

/// The outbox filters of these sinks.
pub fn filters(specs: &[SinkSpec]) -> Vec<SinkFilter> {
    specs
        .iter()
        .map(|s| SinkFilter {
            name: s.name.clone(),
            min_level: s.min_level,
        })
        .collect()
}

/// Delivers one outbox row to one sink.
pub fn deliver(spec: &SinkSpec, monitor: &str, row: &OutboxRow) -> Outcome {
    match &spec.target {
        SinkTarget::Alertmanager { url, .. } => {
            let body = alertmanager::alerts_of(&row.change, monitor, Utc::now()).to_string();
            http::post_json(
                &format!("{url}/api/v2/alerts"),
                &body,
                &Default::default(),
                spec.timeout,
            )
        }
        SinkTarget::Webhook { url, headers } => {
            let body = webhook::document(&row.change, monitor, row.change_id).to_string();
            http::post_json(url, &body, headers, spec.timeout)
        }
        SinkTarget::Command { argv } => {
            let body = webhook::document(&row.change, monitor, row.change_id).to_string();
            command::run(argv, &body, spec.timeout)
        }
    }
}

/// The `monitor` label: `[monitor] name`, else the watched directory's name.
pub fn monitor_name(configured: Option<&str>, watched: &Path) -> String {
    if let Some(name) = configured.filter(|n| !n.trim().is_empty()) {
        return name.to_string();
    }
    let dir = if watched.is_file() {
        watched.parent().unwrap_or(watched)
    } else {
        watched
    };
    let dir = std::fs::canonicalize(dir).unwrap_or_else(|_| dir.to_path_buf());
    dir.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "ml-monitor".to_string())
}
