//! Delivery of incident changes to where on-call engineers look: Alertmanager, webhooks,
//! commands.
//!
//! Sinks are told about incident changes only (opened, escalated, resolved), never once per
//! window. Delivery goes through the history's outbox, written in the window's transaction, and
//! a sender thread ([`sender`]) drains it with capped exponential backoff: a receiver that is
//! down, slow or hung never stalls window processing, and whatever was recorded is delivered at
//! least once, in order per sink, after the receiver (or the monitor, after `kill -9`) comes
//! back. This is the binary's business: the library knows nothing of networks.

pub(crate) mod alertmanager;
pub(crate) mod command;
pub(crate) mod config;
pub(crate) mod guardian;
mod hold;
pub(crate) mod http;
pub(crate) mod sender;
pub(crate) mod webhook;

use std::path::Path;

use chrono::Utc;
use ml_monitor::AlertLevel;

use crate::history::{OutboxRow, SinkFilter};
use crate::runbooks::Runbooks;
pub(crate) use config::{SinkSpec, SinkTarget};
pub(crate) use sender::Sender;

/// What one delivery attempt came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Outcome {
    Delivered,
    /// Worth trying again (5xx, 429, timeout, connection refused).
    Retry(String),
    /// Never worth trying again (4xx other than 429); the answer.
    Refused(String),
}

/// The outbox filters of these sinks.
pub(crate) fn filters(specs: &[SinkSpec]) -> Vec<SinkFilter> {
    specs
        .iter()
        .map(|s| SinkFilter {
            name: s.name.clone(),
            min_level: s.min_level,
        })
        .collect()
}

/// Whether any of these sinks runs a program (which must not outlive the monitor).
pub(crate) fn runs_programs(specs: &[SinkSpec]) -> bool {
    specs
        .iter()
        .any(|s| matches!(s.target, SinkTarget::Command { .. }))
}

/// Delivers one outbox row to one sink. `earlier` are the levels of the incident's earlier
/// changes (see [`alertmanager::alerts_of`]; only Alertmanager uses them).
pub(crate) fn deliver(
    spec: &SinkSpec,
    monitor: &str,
    runbooks: &Runbooks,
    row: &OutboxRow,
    earlier: &[AlertLevel],
) -> Outcome {
    let runbook = runbooks.for_incident(&row.change.incident, monitor);
    match &spec.target {
        SinkTarget::Alertmanager { url, .. } => {
            // An alert below the sink's level was never sent: nothing to end.
            let earlier: Vec<AlertLevel> = earlier
                .iter()
                .copied()
                .filter(|l| *l >= spec.min_level)
                .collect();
            let mut alerts = alertmanager::alerts_of(&row.change, monitor, Utc::now(), &earlier);
            annotate_runbook(&mut alerts, runbook.as_deref());
            let body = alerts.to_string();
            http::post_json(
                &format!("{url}/api/v2/alerts"),
                &body,
                &Default::default(),
                spec.timeout,
            )
        }
        SinkTarget::Webhook { url, headers } => {
            let body = document(row, monitor, runbook).to_string();
            http::post_json(url, &body, headers, spec.timeout)
        }
        SinkTarget::Command { argv } => {
            let body = document(row, monitor, runbook).to_string();
            command::run(argv, &body, spec.timeout)
        }
    }
}

/// The webhook's and command's document, with its `runbook_url` when one is configured.
fn document(row: &OutboxRow, monitor: &str, runbook: Option<String>) -> serde_json::Value {
    let mut doc = webhook::document(&row.change, monitor, row.change_id);
    if let (Some(url), Some(obj)) = (runbook, doc.as_object_mut()) {
        obj.insert("runbook_url".into(), url.into());
    }
    doc
}

/// Adds the `runbook_url` annotation to every alert of an Alertmanager request.
fn annotate_runbook(alerts: &mut serde_json::Value, runbook: Option<&str>) {
    let (Some(url), Some(alerts)) = (runbook, alerts.as_array_mut()) else {
        return;
    };
    for alert in alerts {
        if let Some(annotations) = alert
            .get_mut("annotations")
            .and_then(serde_json::Value::as_object_mut)
        {
            annotations.insert("runbook_url".into(), url.into());
        }
    }
}

/// The re-send of firing incidents to Alertmanager, each with its runbook.
pub(crate) fn firing_body(
    firing: &[ml_monitor::monitoring::Incident],
    monitor: &str,
    runbooks: &Runbooks,
) -> String {
    let mut all = Vec::with_capacity(firing.len());
    for incident in firing {
        let mut alerts = alertmanager::firing_alerts(std::slice::from_ref(incident), monitor);
        annotate_runbook(
            &mut alerts,
            runbooks.for_incident(incident, monitor).as_deref(),
        );
        if let serde_json::Value::Array(a) = alerts {
            all.extend(a);
        }
    }
    serde_json::Value::Array(all).to_string()
}

/// The `monitor` label: `[monitor] name`, else the watched directory's name.
pub(crate) fn monitor_name(configured: Option<&str>, watched: &Path) -> String {
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
