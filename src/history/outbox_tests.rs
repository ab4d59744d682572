use super::*;
use crate::history::History;
use ml_monitor::{monitoring::ChangeKind, MonitoringResult};

/// A change of incident `id` at `level` (`resolved` or opened).
pub(crate) fn change(id: u64, level: AlertLevel, kind: ChangeKind) -> IncidentChange {
    let status = if kind == ChangeKind::Resolved {
        "resolved"
    } else {
        "firing"
    };
    let incident: Incident = serde_json::from_value(serde_json::json!({
        "id": id,
        "kind": "data_drift",
        "status": status,
        "level": level,
        "feature": format!("f{id}"),
        "message": "drift",
        "first_window": "w0",
        "last_window": "w0",
        "windows": 1,
        "opened_at": "2026-01-01T00:00:00Z",
        "updated_at": "2026-01-01T00:00:00Z",
    }))
    .expect("an incident");
    IncidentChange {
        change: kind,
        previous_level: None,
        incident,
    }
}

/// Records one window per change in the history at `path`, which owes them to sink `s`.
pub(crate) fn queue(path: &Path, changes: Vec<IncidentChange>) {
    let mut h = History::open(path).expect("history");
    h.set_sinks(vec![SinkFilter {
        name: "s".into(),
        min_level: AlertLevel::Info,
    }]);
    for (i, c) in changes.into_iter().enumerate() {
        let mut r = MonitoringResult::new(format!("w{i}"));
        r.incidents = vec![c];
        h.record_window(None, &r, &[]).expect("recorded");
    }
}

#[test]
fn the_latest_change_of_each_incident_is_owed_most_severe_first() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("h.sqlite");
    queue(
        &path,
        vec![
            change(1, AlertLevel::Info, ChangeKind::Opened),
            change(2, AlertLevel::Warning, ChangeKind::Opened),
            change(1, AlertLevel::Info, ChangeKind::Resolved),
            change(3, AlertLevel::Critical, ChangeKind::Opened),
            change(4, AlertLevel::Info, ChangeKind::Opened),
            change(2, AlertLevel::Critical, ChangeKind::Escalated),
        ],
    );
    let outbox = Outbox::open(&path).unwrap();
    assert_eq!(outbox.pending_count("s").unwrap(), 6);
    let owed: Vec<(u64, ChangeKind)> = outbox
        .pending("s", 10)
        .unwrap()
        .iter()
        .map(|r| (r.change.incident.id, r.change.change))
        .collect();
    assert_eq!(
        owed,
        vec![
            // CRITICAL first, oldest first: 3 was opened before 2 escalated.
            (3, ChangeKind::Opened),
            (2, ChangeKind::Escalated),
            (1, ChangeKind::Resolved),
            (4, ChangeKind::Opened),
        ]
    );
    assert_eq!(outbox.pending_count("s").unwrap(), 4, "two superseded");
}
