//! `[labels]`: late labels, joined to their windows by `[columns] id`. The binary's own section
//! (the history keeps the rows and the labels); the join and its metrics are the library's.
//!
//! Why the keep period is a string ("30d") and not seconds: it is read by people deciding how
//! late their labels may be, in days; the number of rows kept is bounded too, because a period
//! says nothing about how many rows a busy model writes in it.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use ml_monitor::config::InvalidValue;

/// Most rows whose ids and predictions may be kept (100 million rows is ~2 GB of history).
const MAX_KEPT_ROWS: (usize, usize) = (1, 100_000_000);
/// Most labels held for windows not seen yet.
const MAX_PENDING: (usize, usize) = (0, 100_000_000);

/// Settings of late labels.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct LabelsConfig {
    /// A directory of label files besides the watched one, relative to it (`--once` lists it, the
    /// live modes watch it); unset: label files are found in the watched directory only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) dir: Option<String>,
    /// How long a window's ids and predictions are kept for its labels: a number and a unit,
    /// `s`, `m`, `h` or `d` ("30d").
    pub(crate) keep: String,
    /// At most this many rows are kept over all windows (the oldest windows go first).
    pub(crate) max_rows: usize,
    /// Labels whose window has not been seen are held, at most this many (the oldest go first).
    pub(crate) max_pending: usize,
}

impl Default for LabelsConfig {
    fn default() -> Self {
        LabelsConfig {
            dir: None,
            keep: "30d".into(),
            max_rows: 10_000_000,
            max_pending: 1_000_000,
        }
    }
}

impl LabelsConfig {
    /// The keep period; the configuration was validated, so a bad one is not expected here and
    /// reads as the default of 30 days.
    pub(crate) fn keep_duration(&self) -> Duration {
        parse_period(&self.keep).unwrap_or(Duration::from_secs(30 * 86_400))
    }

    /// Checks the period, the bounds and the directory; the error names the key.
    pub(crate) fn validate(&self) -> Result<(), InvalidValue> {
        parse_period(&self.keep)
            .map_err(|rule| invalid("labels.keep", format!("\"{}\"", self.keep), rule))?;
        for (key, value, (low, high)) in [
            ("labels.max_rows", self.max_rows, MAX_KEPT_ROWS),
            ("labels.max_pending", self.max_pending, MAX_PENDING),
        ] {
            if !(low..=high).contains(&value) {
                return Err(invalid(key, value, format!("must be from {low} to {high}")));
            }
        }
        if self.dir.as_deref().is_some_and(|d| d.trim().is_empty()) {
            return Err(invalid(
                "labels.dir",
                "\"\"",
                "is empty: give a directory, or leave it out for the watched one",
            ));
        }
        Ok(())
    }
}

fn invalid(key: &str, value: impl ToString, rule: impl Into<String>) -> InvalidValue {
    InvalidValue {
        key: key.into(),
        value: value.to_string(),
        rule: rule.into(),
    }
}

/// "30d", "12h", "90m", "3600s": a positive whole number and a unit.
fn parse_period(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let rule = || "must be a whole number and a unit s, m, h or d, such as \"30d\"".to_string();
    let n: u64 = number.parse().map_err(|_| rule())?;
    let seconds = match unit.trim() {
        "s" => 1,
        "m" => 60,
        "h" => 3_600,
        "d" => 86_400,
        _ => return Err(rule()),
    };
    if n == 0 {
        return Err("must be longer than nothing".into());
    }
    n.checked_mul(seconds)
        .filter(|s| *s <= 100 * 365 * 86_400)
        .map(Duration::from_secs)
        .ok_or_else(|| "must be at most 100 years".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periods_read_in_their_units() {
        assert_eq!(parse_period("30d"), Ok(Duration::from_secs(30 * 86_400)));
        assert_eq!(parse_period("12h"), Ok(Duration::from_secs(12 * 3_600)));
        assert_eq!(parse_period("90m"), Ok(Duration::from_secs(5_400)));
        assert_eq!(parse_period("15s"), Ok(Duration::from_secs(15)));
        for bad in ["", "d", "30", "30w", "-1d", "0d", "1.5d"] {
            assert!(parse_period(bad).is_err(), "{bad:?}");
        }
    }
}
