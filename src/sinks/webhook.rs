//! Webhooks and commands: one JSON document per incident change.
//!
//! The document is the incident's fields plus `status` (firing/resolved), `change`
//! (opened/escalated/resolved), `monitor`, `incident_id`, and a stable `id` (monitor, incident
//! and change) that is the same on every retry, so a receiver can drop duplicates.

use ml_monitor::monitoring::IncidentChange;
use serde_json::Value;

/// The document for one change; `change_id` is the change's row in the history.
pub fn document(change: &IncidentChange, monitor: &str, change_id: i64) -> Value {
    let mut value = serde_json::to_value(change).unwrap_or(Value::Null);
    if let Some(obj) = value.as_object_mut() {
        obj.remove("quiet_windows");
        let incident_id = obj.remove("id").unwrap_or(Value::Null);
        obj.insert(
            "id".into(),
            format!("{monitor}/{}/{change_id}", change.incident.id).into(),
        );
        obj.insert("incident_id".into(), incident_id);
        obj.insert("monitor".into(), monitor.into());
    }
    value
}
