//! Silences: "do not page about this for a while", matched on a notification's labels.
//!
//! Why a plain map of labels: whatever shape a notification takes (an incident today, a
//! problem with its members later), it is described to a silence by the same flat labels
//! (`kind`, `feature`, `detector`, `metric`, `file`, `level`, `monitor`/`model`, `problem_id`),
//! so the matching here never changes when the notification does. A silence is a list of
//! `key=value` matchers that must all hold (as Alertmanager's equality matchers), an end time,
//! who made it and why. The history keeps them ([`crate::history`]); the sender holds back
//! what an active silence matches and lets it go when the silence ends.

use std::collections::BTreeMap;
use std::fmt;

use chrono::{DateTime, Duration, Utc};
use ml_monitor::monitoring::Incident;
use serde::{Deserialize, Serialize};

/// The keys a matcher may name.
pub(crate) const KEYS: &[&str] = &[
    "kind",
    "feature",
    "detector",
    "metric",
    "file",
    "level",
    "monitor",
    "model",
    "problem_id",
];

/// A notification's labels, by key.
pub(crate) type Labels = BTreeMap<String, String>;

/// `key=value`: the label `key` equals `value` (case-sensitive, except `level`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Matcher {
    pub(crate) key: String,
    pub(crate) value: String,
}

impl Matcher {
    /// Parses `key=value`; the key must be one of [`KEYS`] and the value not empty.
    pub(crate) fn parse(text: &str) -> Result<Matcher, String> {
        let Some((key, value)) = text.split_once('=') else {
            return Err(format!(
                "--match \"{}\": expected key=value, e.g. kind=data_drift",
                clean(text)
            ));
        };
        let key = key.trim();
        if !KEYS.contains(&key) {
            return Err(format!(
                "--match \"{}\": unknown key \"{}\" (use one of: {})",
                clean(text),
                clean(key),
                KEYS.join(", ")
            ));
        }
        let value = value.trim();
        if value.is_empty() {
            return Err(format!("--match \"{}\": empty value", clean(text)));
        }
        let value = if key == "level" {
            value.to_ascii_uppercase()
        } else {
            value.to_string()
        };
        Ok(Matcher {
            key: key.to_string(),
            value,
        })
    }

    fn matches(&self, labels: &Labels) -> bool {
        labels.get(&self.key).is_some_and(|v| *v == self.value)
    }
}

impl fmt::Display for Matcher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}={}", self.key, clean(&self.value))
    }
}

/// One silence, as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Silence {
    pub(crate) id: i64,
    pub(crate) matchers: Vec<Matcher>,
    pub(crate) starts_at: DateTime<Utc>,
    /// When it stops holding (earlier than planned when expired by hand).
    pub(crate) ends_at: DateTime<Utc>,
    pub(crate) created_by: String,
    pub(crate) comment: String,
}

impl Silence {
    /// Whether it holds at `now`.
    pub(crate) fn is_active(&self, now: DateTime<Utc>) -> bool {
        self.starts_at <= now && now < self.ends_at
    }

    /// Whether every matcher holds for these labels (a silence without matchers matches
    /// nothing: it cannot be made by `silence add`, and must not hide everything if stored).
    pub(crate) fn matches(&self, labels: &Labels) -> bool {
        !self.matchers.is_empty() && self.matchers.iter().all(|m| m.matches(labels))
    }

    /// The matchers as `key=value, key=value`.
    pub(crate) fn matchers_text(&self) -> String {
        self.matchers
            .iter()
            .map(Matcher::to_string)
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// The active silence that matches these labels, if any (the one that ends last).
pub(crate) fn silencing<'a>(
    silences: &'a [Silence],
    labels: &Labels,
    now: DateTime<Utc>,
) -> Option<&'a Silence> {
    silences
        .iter()
        .filter(|s| s.is_active(now) && s.matches(labels))
        .max_by_key(|s| s.ends_at)
}

/// The labels of a problem's notification to `monitor`: its first member's, its worst level and
/// its `problem_id` (as an Alertmanager alert carries them).
pub(crate) fn labels_of(incident: &Incident, monitor: &str) -> Labels {
    with_monitor(incident.labels(), monitor)
}

/// The silence that holds a problem back: one that matches each of its members (with the
/// problem's `problem_id`, `monitor` and `model`), the one that ends first when several do. A
/// problem with a member no silence matches is not silenced: silencing `feature=age` never
/// hides a problem that is also about something else.
pub(crate) fn problem_silence<'a>(
    silences: &'a [Silence],
    incident: &Incident,
    monitor: &str,
    now: DateTime<Utc>,
) -> Option<&'a Silence> {
    if incident.members.is_empty() {
        return silencing(silences, &labels_of(incident, monitor), now);
    }
    let mut first_end: Option<&Silence> = None;
    for member in incident.members.iter() {
        let mut labels = member.labels();
        labels.insert("problem_id", incident.id.to_string());
        let found = silencing(silences, &with_monitor(labels, monitor), now)?;
        if first_end.is_none_or(|f| found.ends_at < f.ends_at) {
            first_end = Some(found);
        }
    }
    first_end
}

fn with_monitor(labels: BTreeMap<&'static str, String>, monitor: &str) -> Labels {
    let mut out: Labels = labels
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
    out.insert("monitor".into(), monitor.into());
    out.insert("model".into(), monitor.into());
    out
}

/// Parses a silence's length: a number and a unit, `30s`, `45m`, `4h`, `2d`, `1w` (or a
/// combination such as `1h30m`); at least a second, at most a year.
pub(crate) fn parse_length(text: &str) -> Result<Duration, String> {
    let bad = || {
        format!(
            "--for \"{}\": not a duration (use e.g. 30m, 4h, 2d, 1h30m)",
            clean(text)
        )
    };
    let t = text.trim();
    if t.is_empty() {
        return Err(bad());
    }
    let mut total: i64 = 0;
    let mut digits = String::new();
    for c in t.chars() {
        if c.is_ascii_digit() {
            digits.push(c);
            continue;
        }
        let unit: i64 = match c {
            's' => 1,
            'm' => 60,
            'h' => 3_600,
            'd' => 86_400,
            'w' => 604_800,
            _ => return Err(bad()),
        };
        let n: i64 = digits.parse().map_err(|_| bad())?;
        digits.clear();
        total = n
            .checked_mul(unit)
            .and_then(|v| total.checked_add(v))
            .ok_or_else(bad)?;
    }
    if !digits.is_empty() {
        return Err(bad());
    }
    if !(1..=366 * 86_400).contains(&total) {
        return Err(format!(
            "--for \"{}\": must be between 1s and 366d",
            clean(text)
        ));
    }
    Ok(Duration::seconds(total))
}

/// Who is making a silence: `$USER`, else `$LOGNAME`, else "unknown".
pub(crate) fn user() -> String {
    ["USER", "LOGNAME"]
        .iter()
        .find_map(|v| std::env::var(v).ok().filter(|u| !u.trim().is_empty()))
        .unwrap_or_else(|| "unknown".into())
}

/// The comment of a silence made with `S` on the screen.
pub(crate) const SCREEN_COMMENT: &str = "silenced from the screen (S)";

/// Text without control characters or escape sequences, for printing.
pub(crate) fn clean(text: &str) -> String {
    crate::sanitize::sanitize(text).into_owned()
}

#[cfg(test)]
mod tests;
