//! `[metrics]`: where the live modes serve Prometheus metrics. The binary's own section of the
//! configuration file — the library serves nothing — checked when the file is read, so a bad
//! address fails at its line before anything starts.

use ml_monitor::config::InvalidValue;
use serde::{Deserialize, Serialize};

/// Most per-feature series `max_features` may allow.
const MAX_FEATURES: usize = 100_000;

/// `[metrics]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct MetricsConfig {
    /// `HOST:PORT` (or `:PORT`, bound to 127.0.0.1) to serve `/metrics` on; off when absent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) addr: Option<String>,
    /// Per-feature series are exported for at most this many features (first by name).
    pub(crate) max_features: usize,
}

impl Default for MetricsConfig {
    fn default() -> Self {
        MetricsConfig {
            addr: None,
            max_features: 1000,
        }
    }
}

fn invalid(key: &str, value: impl ToString, rule: impl Into<String>) -> InvalidValue {
    InvalidValue {
        key: key.into(),
        value: value.to_string(),
        rule: rule.into(),
    }
}

impl MetricsConfig {
    /// Checks the ranges and the address's form (it is resolved when the server starts, or
    /// by `config --check`); the error names the key.
    pub(crate) fn validate(&self) -> Result<(), InvalidValue> {
        if !(1..=MAX_FEATURES).contains(&self.max_features) {
            return Err(invalid(
                "metrics.max_features",
                self.max_features,
                format!("must be from 1 to {MAX_FEATURES}"),
            ));
        }
        match self.addr.as_deref() {
            Some(a) if a.trim().is_empty() => Err(invalid(
                "metrics.addr",
                "\"\"",
                "is empty: give HOST:PORT or :PORT, or leave it out",
            )),
            Some(a) => {
                check_addr(a).map_err(|rule| invalid("metrics.addr", format!("\"{a}\""), rule))
            }
            None => Ok(()),
        }
    }
}

/// `HOST:PORT` or `:PORT`, the port a number up to 65535 (the host is resolved when the
/// server starts).
fn check_addr(addr: &str) -> Result<(), String> {
    let t = addr.trim();
    let bad = "expected HOST:PORT or :PORT (a port from 0 to 65535)".to_string();
    let (host, port) = t.rsplit_once(':').ok_or_else(|| bad.clone())?;
    if port.parse::<u16>().is_err() || host.chars().any(char::is_whitespace) {
        return Err(bad);
    }
    let bracketed = host.starts_with('[') == host.ends_with(']');
    if !bracketed || (host.contains(':') && !host.starts_with('[')) {
        return Err(bad);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metrics_config_is_bounded() {
        let c: MetricsConfig = toml::from_str("addr = \":9464\"\n").expect("parses");
        assert_eq!(c.addr.as_deref(), Some(":9464"));
        assert_eq!(c.max_features, 1000);
        assert_eq!(c.validate(), Ok(()));
        for bad in ["max_features = 0", "max_features = 100001", "addr = \" \""] {
            let c: MetricsConfig = toml::from_str(bad).expect("parses");
            let e = c.validate().expect_err(bad);
            assert!(e.to_string().starts_with("metrics."), "{e}");
        }
    }
}
