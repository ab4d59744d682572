//! The timeline's table: newest first, local times, durations, short figures, aligned columns,
//! Markdown, and names from data cleaned.

use chrono::{DateTime, FixedOffset, TimeZone, Utc};

use super::*;

fn at(hour: u32, minute: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 27, hour, minute, 0)
        .single()
        .expect("a valid time")
}

fn incident(id: u64, opened: DateTime<Utc>, resolved: Option<DateTime<Utc>>) -> StoredIncident {
    let incident = serde_json::from_value(serde_json::json!({
        "id": id,
        "kind": "performance_degradation",
        "status": if resolved.is_some() { "resolved" } else { "firing" },
        "level": "critical",
        "metric": "accuracy",
        "message": "accuracy below threshold",
        "value": 0.640_123_456,
        "threshold": 0.697_073_908_352_629,
        "first_window": "window_0001.csv",
        "last_window": "window_0004.csv",
        "windows": 4,
        "opened_at": opened,
        "updated_at": resolved.unwrap_or(opened),
        "resolved_at": resolved,
    }))
    .expect("an incident from its JSON form");
    StoredIncident {
        incident,
        acknowledged: id == 1,
    }
}

fn tokyo() -> FixedOffset {
    FixedOffset::east_opt(9 * 3600).expect("a valid offset")
}

#[test]
fn newest_first_in_local_time_with_durations_and_short_figures_aligned() {
    let mut incidents = vec![
        incident(1, at(1, 0), Some(at(3, 5))),
        incident(2, at(2, 30), None),
    ];
    let mut feature = incident(3, at(2, 0), Some(at(2, 0) + chrono::Duration::seconds(45)));
    feature.incident.kind = ml_monitor::AlertKind::DataDrift;
    feature.incident.metric = None;
    feature.incident.feature = Some("in\u{1b}[31mcome\u{7}".into());
    feature.incident.threshold = None;
    feature.incident.value = Some(565.912_3);
    feature.incident.last_window = "window_0001.csv".into();
    incidents.push(feature);
    newest_first(&mut incidents);
    let ids: Vec<u64> = incidents.iter().map(|s| s.incident.id).collect();
    assert_eq!(ids, [2, 3, 1]);
    let text = table(&incidents, at(4, 0), &tokyo(), Layout::Text);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 4, "{text}");
    assert!(
        lines[0].starts_with("id  status    level     kind"),
        "{text}"
    );
    assert!(lines[0].contains("opened (UTC+09:00)"), "{text}");
    // Opened 02:30 UTC is 11:30 in Tokyo; still firing, 1h 30m so far.
    assert!(lines[1].contains("2026-11-27 11:30"), "{text}");
    assert!(lines[1].contains("1h 30m so far"), "{text}");
    assert!(lines[1].contains("0.6401 < 0.6971"), "{text}");
    assert!(!text.contains("0.697073908352629"), "{text}");
    // 45 seconds, one window, no threshold, the escape sequence gone from the name.
    assert!(lines[2].contains(" income "), "{text}");
    assert!(lines[2].contains("45s"), "{text}");
    assert!(lines[2].contains("565.9"), "{text}");
    assert!(
        !text.chars().any(|c| c.is_control() && c != '\n'),
        "{text:?}"
    );
    assert!(lines[3].contains("2026-11-27 10:00 "), "{text}");
    assert!(lines[3].contains("2026-11-27 12:05 "), "{text}");
    assert!(lines[3].contains("2h 05m"), "{text}");
    assert!(
        lines[3].contains("window_0001.csv – window_0004.csv"),
        "{text}"
    );
    assert!(lines[3].trim_end().ends_with("yes"), "{text}");
    // Aligned: every column starts at the same place on every line.
    for heading in [
        "status",
        "opened",
        "resolved",
        "windows",
        "value / threshold",
    ] {
        let column = lines[0].find(heading).expect("heading");
        let chars = lines[0][..column].chars().count();
        for line in &lines[1..] {
            let before: String = line.chars().take(chars).collect();
            assert!(
                before.ends_with("  "),
                "{heading} at {chars} in {line:?}\n{text}"
            );
        }
    }
}

#[test]
fn markdown_is_a_table_to_paste_with_pipes_escaped() {
    let mut one = incident(7, at(1, 0), Some(at(1, 20)));
    one.incident.metric = Some("a|b".into());
    let text = table(&[one], at(4, 0), &Utc, Layout::Markdown);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 3, "{text}");
    assert!(lines[0].starts_with("| id | status | level |"), "{text}");
    assert!(lines[0].contains("| opened (UTC+00:00) |"), "{text}");
    assert!(lines[1].starts_with("|---:|---|---|"), "{text}");
    assert!(
        lines[2].starts_with("| 7 | resolved | CRITICAL |"),
        "{text}"
    );
    assert!(lines[2].contains("| a\\|b |"), "{text}");
    assert!(lines[2].contains("| 20m |"), "{text}");
    assert_eq!(
        lines[2].split(" | ").count(),
        lines[0].split(" | ").count(),
        "{text}"
    );
    assert_eq!(
        lines[1].matches('|').count(),
        lines[0].matches(" | ").count() + 2
    );
    assert_eq!(
        table(&[], at(4, 0), &Utc, Layout::Markdown),
        "no incidents\n"
    );
    let empty = table(&[], at(4, 0), &Utc, Layout::Text);
    assert_eq!(empty.lines().nth(1), Some("no incidents"));
}

#[test]
fn figures_have_four_significant_digits() {
    for (v, want) in [
        (0.697_073_908_352_629, "0.6971"),
        (0.7, "0.7"),
        (565.912, "565.9"),
        (0.001, "0.001"),
        (1.234_56e-5, "1.235e-5"),
        (12_345.6, "12346"),
        (-0.25, "-0.25"),
        (0.0, "0"),
        (f64::NAN, "n/a"),
    ] {
        assert_eq!(significant(v), want, "{v}");
    }
}

#[test]
fn durations_read_at_a_glance() {
    let d = |s: i64| duration(TimeDelta::seconds(s));
    assert_eq!(d(-5), "0s");
    assert_eq!(d(59), "59s");
    assert_eq!(d(61), "1m");
    assert_eq!(d(3 * 3600 + 5 * 60), "3h 05m");
    assert_eq!(d(2 * 86_400 + 4 * 3600), "2d 04h");
}

#[test]
fn a_problem_closed_by_a_settings_change_says_so_in_its_status() {
    let mut closed = incident(1, at(1, 0), Some(at(2, 0)));
    closed.incident.resolved_reason = Some(ml_monitor::monitoring::SETTINGS_CHANGED.into());
    let incidents = vec![closed, incident(2, at(1, 30), Some(at(2, 0)))];
    let text = table(&incidents, at(4, 0), &tokyo(), Layout::Text);
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines[1].contains("resolved (settings changed)"), "{text}");
    assert!(!lines[2].contains("settings changed"), "{text}");
    // The columns stay aligned with the longer status.
    let opened = |line: &str| line.find("2026-").expect("an opened time");
    assert_eq!(opened(lines[1]), opened(lines[2]), "{text}");
}
