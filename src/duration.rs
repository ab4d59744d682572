//! Durations as people type them (`2s`, `500ms`, `1m`, `4h`), bounded to a day. One parser for
//! the command line and the config file (sink timeouts), so both accept and refuse the same text.

use std::time::Duration;

/// Parses `2s`, `500ms`, `1m`, `1h`, `1.5s` or a bare number of seconds, up to 24h.
pub(crate) fn parse_duration(text: &str) -> Result<Duration, String> {
    let t = text.trim();
    let (number, unit) = match t.find(|c: char| !(c.is_ascii_digit() || c == '.')) {
        Some(i) => (&t[..i], t[i..].trim()),
        None => (t, "s"),
    };
    let value: f64 = number
        .parse()
        .map_err(|_| format!("\"{text}\" is not a duration (try 2s, 500ms, 1m)"))?;
    let seconds = match unit {
        "ms" => value / 1000.0,
        "s" | "sec" => value,
        "m" | "min" => value * 60.0,
        "h" => value * 3600.0,
        _ => {
            return Err(format!(
                "\"{text}\": unknown unit \"{unit}\" (use ms, s, m or h)"
            ))
        }
    };
    if !(seconds.is_finite() && seconds > 0.0 && seconds <= 86_400.0) {
        return Err(format!("\"{text}\": must be between 1ms and 24h"));
    }
    Ok(Duration::from_secs_f64(seconds.max(0.001)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("2s"), Ok(Duration::from_secs(2)));
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("1m"), Ok(Duration::from_secs(60)));
        assert_eq!(parse_duration("3"), Ok(Duration::from_secs(3)));
        assert!(parse_duration("fast").is_err());
        assert!(parse_duration("0s").is_err());
        assert_eq!(parse_duration("2h"), Ok(Duration::from_secs(7200)));
        assert!(parse_duration("2d").is_err());
    }

    /// A duration past the bound names the bound, whatever its unit (issue 29, item 14).
    #[test]
    fn a_duration_past_the_bound_names_the_bound() {
        for text in ["99999999h", "25h", "1441m", "86401s"] {
            let e = parse_duration(text).expect_err(text);
            assert!(e.contains("24h"), "{text}: {e}");
            assert!(!e.contains("unknown unit"), "{text}: {e}");
        }
        assert_eq!(parse_duration("24h"), Ok(Duration::from_secs(86_400)));
    }
}
