//! Webhooks and commands: one JSON document per incident change.
//!
//! The document is the problem's fields (its first member's kind, feature…, its `members`)
//! plus `status` (firing/resolved), `change` (opened/updated/escalated/resolved), `monitor`,
//! `problem_id` (also as `incident_id`), `labels` (kind, level, feature/detector/metric/file,
//! monitor, problem_id), and a stable `id` (monitor, problem and change) that is the same on
//! every retry, so a receiver can drop duplicates.

use ml_monitor::monitoring::IncidentChange;
use serde_json::Value;

/// The document for one change; `change_id` is the change's row in the history.
pub(crate) fn document(change: &IncidentChange, monitor: &str, change_id: i64) -> Value {
    let mut value = serde_json::to_value(change).unwrap_or(Value::Null);
    if let Some(obj) = value.as_object_mut() {
        obj.remove("quiet_windows");
        let incident_id = obj.remove("id").unwrap_or(Value::Null);
        obj.insert(
            "id".into(),
            format!("{monitor}/{}/{change_id}", change.incident.id).into(),
        );
        obj.insert("problem_id".into(), incident_id.clone());
        obj.insert("incident_id".into(), incident_id);
        obj.insert("monitor".into(), monitor.into());
        let mut labels = serde_json::Map::new();
        for (k, v) in change.incident.labels() {
            labels.insert(k.into(), v.into());
        }
        labels.insert("monitor".into(), monitor.into());
        obj.insert("labels".into(), Value::Object(labels));
    }
    value
}
