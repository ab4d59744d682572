//! `[alerts.runbooks]`: the page that says what to do, linked from every notification.
//!
//! A key is a kind (`data_drift`) or a kind and a feature (`"data_drift.age"`); the more
//! precise one wins. The template's placeholders are filled from the notification's labels
//! (the same map silences match on), each value percent-encoded so a feature named
//! `"net income"` still gives a working URL; a label the notification lacks is left empty.
//! Everything is checked once, when the plan is made.

use std::collections::BTreeMap;

use ml_monitor::monitoring::Incident;

use crate::silences::{labels_of, Labels};

/// The placeholders a template may use.
const PLACEHOLDERS: &[&str] = &["kind", "feature", "detector", "metric", "monitor"];

/// The kinds a runbook may be for.
const KINDS: &[&str] = &[
    "data_drift",
    "performance_degradation",
    "prediction_shift",
    "prediction_mean_anomaly",
    "data_quality",
    "window_error",
    "estimated_performance_degradation",
];

/// Checked runbook templates.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Runbooks {
    by_key: BTreeMap<String, String>,
}

impl Runbooks {
    /// Checks `[alerts.runbooks]`: each key a known kind (with an optional `.feature`), each
    /// template's placeholders known. The error is the key at fault and what is wrong.
    pub(crate) fn new(templates: &BTreeMap<String, String>) -> Result<Runbooks, (String, String)> {
        for (key, template) in templates {
            Self::check(key, template).map_err(|e| (key.clone(), e))?;
        }
        Ok(Runbooks {
            by_key: templates.clone(),
        })
    }

    fn check(key: &str, template: &str) -> Result<(), String> {
        {
            let kind = key.split_once('.').map_or(key, |(k, _)| k);
            if !KINDS.contains(&kind) {
                return Err(format!(
                    "alerts.runbooks.\"{}\": unknown kind \"{}\" (use one of: {}, optionally followed by .FEATURE)",
                    clean(key),
                    clean(kind),
                    KINDS.join(", ")
                ));
            }
            for name in placeholders(template)? {
                if !PLACEHOLDERS.contains(&name) {
                    return Err(format!(
                        "alerts.runbooks.\"{}\": unknown placeholder {{{}}} (use {})",
                        clean(key),
                        clean(name),
                        PLACEHOLDERS
                            .iter()
                            .map(|p| format!("{{{p}}}"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ));
                }
            }
        }
        Ok(())
    }

    /// The runbook URL for a notification with these labels, if one is configured.
    pub(crate) fn url(&self, labels: &Labels) -> Option<String> {
        let kind = labels.get("kind")?;
        let precise = labels
            .get("feature")
            .and_then(|f| self.by_key.get(&format!("{kind}.{f}")));
        let template = precise.or_else(|| self.by_key.get(kind))?;
        Some(fill(template, labels))
    }

    /// The runbook URL for an incident's notifications to `monitor`.
    pub(crate) fn for_incident(&self, incident: &Incident, monitor: &str) -> Option<String> {
        if self.by_key.is_empty() {
            return None;
        }
        self.url(&labels_of(incident, monitor))
    }
}

/// The names between braces; an unclosed brace is an error.
fn placeholders(template: &str) -> Result<Vec<&str>, String> {
    let mut names = Vec::new();
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        let after = &rest[open + 1..];
        let Some(close) = after.find('}') else {
            return Err(format!(
                "runbook template \"{}\": a \"{{\" is never closed",
                clean(template)
            ));
        };
        names.push(&after[..close]);
        rest = &after[close + 1..];
    }
    Ok(names)
}

fn fill(template: &str, labels: &Labels) -> String {
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        match after.find('}') {
            Some(close) => {
                if let Some(v) = labels.get(&after[..close]) {
                    out.push_str(&encode(v));
                }
                rest = &after[close + 1..];
            }
            None => {
                rest = &rest[open..];
                break;
            }
        }
    }
    out.push_str(rest);
    out
}

/// Percent-encodes all but RFC 3986's unreserved characters.
fn encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn clean(text: &str) -> String {
    text.chars().filter(|c| !c.is_control()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn the_feature_key_wins_and_placeholders_are_filled_encoded() {
        let r = Runbooks::new(&map(&[
            ("data_drift", "https://wiki/runbooks/{kind}?m={monitor}"),
            ("data_drift.age", "https://wiki/age/{feature}"),
        ]))
        .expect("valid");
        let age = map(&[
            ("kind", "data_drift"),
            ("feature", "age"),
            ("monitor", "churn"),
        ]);
        assert_eq!(r.url(&age).as_deref(), Some("https://wiki/age/age"));
        let income = map(&[
            ("kind", "data_drift"),
            ("feature", "net income"),
            ("monitor", "churn model"),
        ]);
        assert_eq!(
            r.url(&income).as_deref(),
            Some("https://wiki/runbooks/data_drift?m=churn%20model")
        );
        assert_eq!(r.url(&map(&[("kind", "prediction_shift")])), None);
    }

    #[test]
    fn a_missing_label_is_left_empty() {
        let r = Runbooks::new(&map(&[("data_quality", "https://w/{feature}/{metric}")]))
            .expect("valid");
        assert_eq!(
            r.url(&map(&[("kind", "data_quality"), ("feature", "x")]))
                .as_deref(),
            Some("https://w/x/")
        );
    }

    #[test]
    fn unknown_kinds_and_placeholders_are_refused_naming_the_key() {
        let (key, e) = Runbooks::new(&map(&[("data_drfit", "https://w")])).unwrap_err();
        assert_eq!(key, "data_drfit");
        assert!(
            e.contains("alerts.runbooks.\"data_drfit\": unknown kind"),
            "{e}"
        );
        let (_, e) = Runbooks::new(&map(&[("data_drift", "https://w/{colour}")])).unwrap_err();
        assert!(e.contains("unknown placeholder {colour}"), "{e}");
        let (_, e) = Runbooks::new(&map(&[("data_drift", "https://w/{kind")])).unwrap_err();
        assert!(e.contains("never closed"), "{e}");
    }
}
