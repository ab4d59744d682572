//! Comparing results bit for bit across file formats: a result as JSON with what differs by
//! design (the window's name, the time it was made) taken out.
#![allow(dead_code)]

use serde_json::Value;

/// Drops every timestamp-like key, recursively.
fn strip_times(v: &mut Value) {
    match v {
        Value::Object(map) => {
            map.retain(|k, _| k != "timestamp" && !k.ends_with("_at") && k != "metadata");
            map.values_mut().for_each(strip_times);
        }
        Value::Array(items) => items.iter_mut().for_each(strip_times),
        _ => {}
    }
}

/// The result's JSON text with times and metadata dropped and `names` replaced by `WINDOW`.
/// Numbers are printed shortest-round-trip, so equal text means equal bits.
pub fn normalized(result: &Value, names: &[&str]) -> String {
    let mut v = result.clone();
    strip_times(&mut v);
    let mut text = v.to_string();
    for name in names {
        text = text.replace(name, "WINDOW");
    }
    text
}
