//! Alertmanager: incidents as alerts through its own API (`POST /api/v2/alerts`).
//!
//! Same labels make the same alert, so an incident's labels never change while it lasts:
//! `alertname` (its kind), `severity`, `monitor`, and `detector`/`feature`/`metric`/`file` when
//! known. A drifted feature's detectors may change from window to window, so they go in an
//! annotation. Firing alerts carry no `endsAt` and are re-sent every `resend_interval`;
//! a resolved one is sent with `endsAt` = its resolution time. An escalation changes the
//! `severity` label, so the alert at the old severity is ended in the same request; as the
//! outbox sends only an incident's latest change, every change ends the alerts at the other
//! severities its incident had before.

use std::collections::BTreeSet;

use chrono::{DateTime, SecondsFormat, Utc};
use ml_monitor::monitoring::{ChangeKind, Incident, IncidentChange, Member};
use ml_monitor::AlertLevel;
use serde_json::{json, Map, Value};

/// The alerts one change posts. `earlier` are the levels the incident's earlier changes had:
/// alerts Alertmanager may hold at another severity than the change's, which it ends. They
/// matter when changes were coalesced: with an escalation superseded by the resolution that
/// followed it, the alert at the old severity would otherwise be left firing.
pub(crate) fn alerts_of(
    change: &IncidentChange,
    monitor: &str,
    now: DateTime<Utc>,
    earlier: &[AlertLevel],
) -> Value {
    let incident = &change.incident;
    let mut ended: BTreeSet<AlertLevel> = earlier.iter().copied().collect();
    if let (ChangeKind::Escalated, Some(previous)) = (change.change, change.previous_level) {
        ended.insert(previous);
    }
    ended.remove(&incident.level);
    let mut alerts: Vec<Value> = ended
        .into_iter()
        .map(|level| alert(incident, level, monitor, Some(now)))
        .collect();
    let ends = match change.change {
        ChangeKind::Resolved => Some(incident.resolved_at.unwrap_or(now)),
        _ => None,
    };
    alerts.push(alert(incident, incident.level, monitor, ends));
    Value::Array(alerts)
}

/// The re-send of firing incidents.
pub(crate) fn firing_alerts(incidents: &[Incident], monitor: &str) -> Value {
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
    labels.insert(
        "severity".into(),
        level.as_str().to_ascii_lowercase().into(),
    );
    labels.insert("monitor".into(), monitor.into());
    labels.insert("problem_id".into(), incident.id.to_string().into());
    for (key, value) in incident.subject_labels() {
        labels.insert(key.into(), value.into());
    }
    let mut annotations = Map::new();
    annotations.insert("summary".into(), incident.message.as_str().into());
    annotations.insert("window".into(), incident.last_window.as_str().into());
    annotations.insert("incident_id".into(), incident.id.to_string().into());
    if incident.members.len() > 1 {
        let members: Vec<String> = incident.members.iter().map(member_phrase).collect();
        annotations.insert("members".into(), members.join("; ").into());
    }
    if let Some(note) = incident.reopened_note() {
        annotations.insert("reopened".into(), note.into());
    }
    if let Some(note) = incident.resolved_note() {
        annotations.insert("resolved".into(), note.into());
    }
    if !incident.detectors.is_empty() {
        annotations.insert("detectors".into(), incident.detectors.join(",").into());
    }
    if let Some(v) = incident.value {
        annotations.insert("value".into(), v.to_string().into());
    }
    if let Some(t) = incident.threshold {
        annotations.insert("threshold".into(), t.to_string().into());
    }
    if !incident.suspects.is_empty() {
        annotations.insert("suspects".into(), suspects(&incident.suspects).into());
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

/// `f03 (r 0.97), f11 (r 0.42)`: the features to blame, best first.
fn suspects(ranked: &[ml_monitor::monitoring::ranking::FeatureRank]) -> String {
    ranked
        .iter()
        .map(|r| format!("{} (r {:.2})", r.feature, r.score))
        .collect::<Vec<_>>()
        .join(", ")
}

/// `data_drift feature=age (WARNING)`: one member in the `members` annotation.
fn member_phrase(m: &Member) -> String {
    let labels = m.labels();
    let subject: Vec<String> = ["feature", "detector", "metric", "file"]
        .iter()
        .filter_map(|k| labels.get(k).map(|v| format!("{k}={v}")))
        .collect();
    format!(
        "{} {} ({})",
        m.kind.as_str(),
        subject.join(" "),
        m.level.as_str()
    )
}

fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ml_monitor::{monitoring::IncidentStatus, AlertKind};

    fn incident(level: AlertLevel, status: IncidentStatus) -> Incident {
        let t = DateTime::from_timestamp(1_795_800_000, 0).unwrap_or_default();
        Incident {
            id: 7,
            kind: AlertKind::DataDrift,
            status,
            level,
            detector: None,
            detectors: vec!["ks".into(), "psi".into()],
            feature: Some("age".into()),
            metric: None,
            file: None,
            message: "feature \"age\" drifted".into(),
            value: Some(0.3),
            threshold: None,
            first_window: "w1.csv".into(),
            last_window: "w2.csv".into(),
            windows: 2,
            opened_at: t,
            updated_at: t,
            resolved_at: (status == IncidentStatus::Resolved).then_some(t),
            quiet_windows: 0,
            suspects: Vec::new(),
            members: Vec::new(),
            times_opened: 1,
            first_opened_at: None,
            resolved_reason: None,
        }
    }

    #[test]
    fn suspects_are_an_annotation() {
        use ml_monitor::monitoring::ranking::FeatureRank;
        let mut i = incident(AlertLevel::Critical, IncidentStatus::Firing);
        let rank = |feature: &str, score: f64| FeatureRank {
            feature: feature.into(),
            score,
            p_value: 0.01,
            drifted_windows: 3,
        };
        i.suspects = vec![rank("f03", 0.974), rank("f11", 0.42)];
        let a = alert(&i, i.level, "churn", None);
        assert_eq!(a["annotations"]["suspects"], "f03 (r 0.97), f11 (r 0.42)");
        i.suspects.clear();
        let a = alert(&i, i.level, "churn", None);
        assert!(a["annotations"].get("suspects").is_none());
    }

    #[test]
    fn labels_annotations_and_times() {
        let change = IncidentChange {
            change: ChangeKind::Opened,
            previous_level: None,
            incident: incident(AlertLevel::Warning, IncidentStatus::Firing),
        };
        let alerts = alerts_of(&change, "churn", Utc::now(), &[]);
        let a = &alerts[0];
        assert_eq!(alerts.as_array().map(Vec::len), Some(1));
        assert_eq!(a["labels"]["alertname"], "data_drift");
        assert_eq!(a["labels"]["severity"], "warning");
        assert_eq!(a["labels"]["monitor"], "churn");
        assert_eq!(a["labels"]["feature"], "age");
        assert!(a["labels"].get("detector").is_none());
        assert_eq!(a["annotations"]["detectors"], "ks,psi");
        assert_eq!(a["annotations"]["window"], "w2.csv");
        assert_eq!(a["startsAt"], "2026-11-27T17:20:00.000Z");
        assert!(a.get("endsAt").is_none(), "firing: no end");
    }

    #[test]
    fn an_escalation_ends_the_old_severity_and_a_resolution_sets_ends_at() {
        let now = Utc::now();
        let change = IncidentChange {
            change: ChangeKind::Escalated,
            previous_level: Some(AlertLevel::Warning),
            incident: incident(AlertLevel::Critical, IncidentStatus::Firing),
        };
        let alerts = alerts_of(&change, "churn", now, &[]);
        assert_eq!(alerts[0]["labels"]["severity"], "warning");
        assert_eq!(alerts[0]["endsAt"], rfc3339(now));
        assert_eq!(alerts[1]["labels"]["severity"], "critical");
        assert!(alerts[1].get("endsAt").is_none());
        let change = IncidentChange {
            change: ChangeKind::Resolved,
            previous_level: None,
            incident: incident(AlertLevel::Critical, IncidentStatus::Resolved),
        };
        let alerts = alerts_of(&change, "churn", now, &[]);
        assert_eq!(alerts[0]["endsAt"], "2026-11-27T17:20:00.000Z");
    }

    /// Opened at WARNING (delivered), then escalated and resolved while Alertmanager was away:
    /// only the resolution is sent, and it ends the WARNING alert too.
    #[test]
    fn a_change_ends_the_alerts_at_the_severities_its_incident_had_before() {
        let now = Utc::now();
        let change = IncidentChange {
            change: ChangeKind::Resolved,
            previous_level: None,
            incident: incident(AlertLevel::Critical, IncidentStatus::Resolved),
        };
        let alerts = alerts_of(
            &change,
            "churn",
            now,
            &[
                AlertLevel::Warning,
                AlertLevel::Critical,
                AlertLevel::Warning,
            ],
        );
        let sent: Vec<(&str, &str)> = alerts
            .as_array()
            .into_iter()
            .flatten()
            .map(|a| {
                (
                    a["labels"]["severity"].as_str().unwrap_or(""),
                    a["endsAt"].as_str().unwrap_or(""),
                )
            })
            .collect();
        assert_eq!(
            sent,
            vec![
                ("warning", rfc3339(now).as_str()),
                ("critical", "2026-11-27T17:20:00.000Z"),
            ]
        );
    }
}
