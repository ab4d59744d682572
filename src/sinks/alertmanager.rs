//! Alertmanager: incidents as alerts through its own API (`POST /api/v2/alerts`).
//!
//! Same labels make the same alert, so an incident's labels never change while it lasts:
//! `alertname` (its kind), `severity`, `monitor`, and `detector`/`feature`/`metric`/`file` when
//! known. A drifted feature's detectors may change from window to window, so they go in an
//! annotation. Firing alerts carry no `endsAt` and are re-sent every `resend_interval`;
//! a resolved one is sent with `endsAt` = its resolution time. An escalation changes the
//! `severity` label, so the alert at the old severity is ended in the same request.

use chrono::{DateTime, SecondsFormat, Utc};
use ml_monitor::monitoring::{ChangeKind, Incident, IncidentChange};
use ml_monitor::AlertLevel;
use serde_json::{json, Map, Value};

/// The alerts one change posts.
pub fn alerts_of(change: &IncidentChange, monitor: &str, now: DateTime<Utc>) -> Value {
    let incident = &change.incident;
    let mut alerts = Vec::new();
    if let (ChangeKind::Escalated, Some(previous)) = (change.change, change.previous_level) {
        alerts.push(alert(incident, previous, monitor, Some(now)));
    }
    let ends = match change.change {
        ChangeKind::Resolved => Some(incident.resolved_at.unwrap_or(now)),
        _ => None,
    };
    alerts.push(alert(incident, incident.level, monitor, ends));
    Value::Array(alerts)
}

/// The re-send of firing incidents.
pub fn firing_alerts(incidents: &[Incident], monitor: &str) -> Value {
    Value::Array(
        incidents
            .iter()
            .map(|i| alert(i, i.level, monitor, None))
            .collect(),
    )
}

fn alert(
    incident: &Incident,
    level: AlertLevel,
    monitor: &str,
    ends_at: Option<DateTime<Utc>>,
) -> Value {
    let mut labels = Map::new();
    labels.insert("alertname".into(), incident.kind.as_str().into());
    labels.insert("severity".into(), level.as_str().to_ascii_lowercase().into());
    labels.insert("monitor".into(), monitor.into());
    for (key, value) in [
        ("detector", &incident.detector),
        ("feature", &incident.feature),
        ("metric", &incident.metric),
        ("file", &incident.file),
    ] {
        if let Some(v) = value {
            labels.insert(key.into(), v.as_str().into());
        }
    }
    let mut annotations = Map::new();
    annotations.insert("summary".into(), incident.message.as_str().into());
    annotations.insert("window".into(), incident.last_window.as_str().into());
    annotations.insert("incident_id".into(), incident.id.to_string().into());
    if !incident.detectors.is_empty() {
        annotations.insert("detectors".into(), incident.detectors.join(",").into());
    }
    if let Some(v) = incident.value {
        annotations.insert("value".into(), v.to_string().into());
    }
    if let Some(t) = incident.threshold {
        annotations.insert("threshold".into(), t.to_string().into());
    }
    let mut alert = json!({
        "labels": labels,
        "annotations": annotations,
        "startsAt": rfc3339(incident.opened_at),
    });
    if let (Some(ends), Some(obj)) = (ends_at, alert.as_object_mut()) {
        obj.insert("endsAt".into(), rfc3339(ends).into());
    }
    alert
}

fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}
