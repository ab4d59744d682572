//! `history export` and `history show`: the stored results written out for tools and people.

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::io::{self, Write};

use chrono::{DateTime, NaiveDate, Utc};
use ml_monitor::{monitoring::Performance, AlertLevel, MonitoringResult};

use super::{rfc3339, History, HistoryError};
use crate::local_time;
use crate::sanitize::sanitize;

/// Format of `history export`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum ExportFormat {
    /// One JSON array of results, compact, on one line.
    Json,
    /// One row per window with the headline figures.
    Csv,
}

/// Writes the results recorded since `since` (all with `None`), in recording order.
///
/// JSON is a single compact array of `MonitoringResult`s (not JSON Lines: an export is one
/// document that tools load whole), followed by a newline. CSV has one row per window: window,
/// timestamp, rows, error (its message, empty if none), worst_level, n_alerts, then
/// `<detector>_drift_detected` and `<detector>_drift_score` for every detector present in the
/// export, then accuracy, f1, roc_auc, r2, rmse, prediction_mean, prediction_shift; a figure a
/// window does not have is an empty cell. A stored result that cannot be read is left out with
/// a warning on stderr.
pub(crate) fn export(
    history: &History,
    format: ExportFormat,
    since: Option<DateTime<Utc>>,
    out: &mut dyn Write,
) -> Result<(), HistoryError> {
    let (results, skipped) = history.since_readable(since)?;
    for e in &skipped {
        eprintln!("ml-monitor: warning: {}; skipped", sanitize(&e.to_string()));
    }
    let io_err = history.output_err();
    match format {
        ExportFormat::Json => {
            // Serialised first, written after: a closed stdout stays a plain `BrokenPipe`.
            let mut text = serde_json::to_vec(&results).map_err(|e| io_err(io::Error::other(e)))?;
            text.push(b'\n');
            out.write_all(&text).map_err(&io_err)?;
        }
        ExportFormat::Csv => {
            let csv_err = |e: csv::Error| io_err(io::Error::other(e));
            let detectors: BTreeSet<&str> = results
                .iter()
                .flat_map(|r| r.drift.keys().map(String::as_str))
                .collect();
            let mut writer = csv::Writer::from_writer(Vec::new());
            let mut header: Vec<String> = [
                "window",
                "timestamp",
                "rows",
                "error",
                "worst_level",
                "n_alerts",
            ]
            .map(String::from)
            .to_vec();
            for d in &detectors {
                header.push(format!("{d}_drift_detected"));
                header.push(format!("{d}_drift_score"));
            }
            header.extend(
                [
                    "accuracy",
                    "f1",
                    "roc_auc",
                    "r2",
                    "rmse",
                    "prediction_mean",
                    "prediction_shift",
                ]
                .map(String::from),
            );
            writer.write_record(&header).map_err(csv_err)?;
            for r in &results {
                writer
                    .write_record(csv_row(r, &detectors))
                    .map_err(csv_err)?;
            }
            let text = writer
                .into_inner()
                .map_err(|e| io_err(io::Error::other(e.to_string())))?;
            out.write_all(&text).map_err(&io_err)?;
        }
    }
    Ok(())
}

fn csv_row(r: &MonitoringResult, detectors: &BTreeSet<&str>) -> Vec<String> {
    // A figure that is not finite (stored as null, read back as NaN) is an empty cell.
    let num = |v: Option<f64>| {
        v.filter(|v| v.is_finite())
            .map(|v| v.to_string())
            .unwrap_or_default()
    };
    let mut row = vec![
        sanitize(&r.window).into_owned(),
        rfc3339(r.timestamp),
        r.rows.to_string(),
        r.error
            .as_ref()
            .map(|e| sanitize(&e.message).into_owned())
            .unwrap_or_default(),
        r.worst_level()
            .map(|l| l.as_str().to_string())
            .unwrap_or_default(),
        r.alerts.len().to_string(),
    ];
    for d in detectors {
        let drift = r.drift.get(*d);
        row.push(
            drift
                .map(|d| d.drift_detected.to_string())
                .unwrap_or_default(),
        );
        row.push(num(drift.map(|d| d.drift_score)));
    }
    let (accuracy, f1, roc_auc, r2, rmse) = match &r.performance {
        Some(Performance::Classification(m)) => {
            (Some(m.accuracy), Some(m.f1), m.roc_auc, None, None)
        }
        Some(Performance::Regression(m)) => (None, None, None, Some(m.r2), Some(m.rmse)),
        None => (None, None, None, None, None),
    };
    row.extend([accuracy, f1, roc_auc, r2, rmse].map(num));
    row.push(num(r.predictions.as_ref().map(|p| p.mean)));
    row.push(num(r.prediction_shift));
    row
}

/// Writes a short table of the last `last` windows: window, time, rows, drifted detectors,
/// headline metric, alerts by level.
pub(crate) fn show(
    history: &History,
    last: usize,
    out: &mut dyn Write,
) -> Result<(), HistoryError> {
    let results = history.recent(last)?;
    let io_err = history.output_err();
    if results.is_empty() {
        writeln!(out, "no windows recorded in {}", history.path().display()).map_err(&io_err)?;
        return Ok(());
    }
    show_table(&results, &chrono::Local, chrono::Utc::now(), out, &io_err)
}

/// The table of `history show` with its times in `tz` (local time; tests fix the zone), the
/// zone named in the heading as of `now`.
pub(super) fn show_table<Tz: chrono::TimeZone>(
    results: &[MonitoringResult],
    tz: &Tz,
    now: DateTime<Utc>,
    out: &mut dyn Write,
    io_err: &dyn Fn(std::io::Error) -> HistoryError,
) -> Result<(), HistoryError> {
    const MAX_WINDOW: usize = 40;
    use chrono::Offset;
    let zone = tz.offset_from_utc_datetime(&now.naive_utc()).fix();
    let time = format!("TIME ({})", local_time::zone_name(zone));
    let header = ["WINDOW", &time, "ROWS", "DRIFT", "METRIC", "ALERTS"].map(String::from);
    let mut table = vec![header];
    table.extend(results.iter().map(|r| {
        show_row(
            r,
            MAX_WINDOW,
            local_time::date_time(r.timestamp, tz, Some(zone)),
        )
    }));
    let mut widths = [0usize; 6];
    for row in &table {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let mut text = String::new();
    for [window, time, rows, drift, metric, alerts] in &table {
        let _ = writeln!(
            text,
            "{window:<w0$}  {time:<w1$}  {rows:>w2$}  {drift:<w3$}  {metric:<w4$}  {alerts}",
            w0 = widths[0],
            w1 = widths[1],
            w2 = widths[2],
            w3 = widths[3],
            w4 = widths[4],
        );
    }
    out.write_all(text.as_bytes()).map_err(io_err)?;
    Ok(())
}

fn show_row(r: &MonitoringResult, max_window: usize, time: String) -> [String; 6] {
    let drifted: Vec<&str> = r
        .drift
        .iter()
        .filter(|(_, d)| d.drift_detected)
        .map(|(n, _)| n.as_str())
        .collect();
    let drift = match (&r.error, drifted.is_empty()) {
        (Some(_), _) => "error".to_string(),
        (None, true) => "-".to_string(),
        (None, false) => clean(&drifted.join(",")),
    };
    let metric = match (&r.error, &r.performance) {
        (Some(e), _) => clean(e.kind.as_str()),
        (None, Some(p)) => match p.headline() {
            (label, value) if value.is_finite() => format!("{label} {value:.4}"),
            (label, _) => format!("{label} n/a"),
        },
        (None, None) => "-".to_string(),
    };
    let alerts: Vec<String> = AlertLevel::ALL
        .iter()
        .rev()
        .filter_map(|level| {
            let n = r.alerts.iter().filter(|a| a.level == *level).count();
            (n > 0).then(|| format!("{n} {level}"))
        })
        .collect();
    let alerts = if alerts.is_empty() {
        "-".to_string()
    } else {
        alerts.join(", ")
    };
    [
        clip(&clean(&r.window), max_window),
        time,
        r.rows.to_string(),
        drift,
        metric,
        alerts,
    ]
}

/// File names and other data text, as a terminal may see them.
fn clean(text: &str) -> String {
    sanitize(text).into_owned()
}

fn clip(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let mut clipped: String = text.chars().take(max.saturating_sub(1)).collect();
    clipped.push('…');
    clipped
}

/// Parses `--since`: RFC 3339 (`2026-11-27T20:00:00Z`), a date (`2026-11-27`, midnight UTC), or
/// an age before now (`90s`, `30m`, `2h`, `7d`, `2w`).
pub(crate) fn parse_since(text: &str) -> Result<DateTime<Utc>, String> {
    let text = text.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Ok(t.with_timezone(&Utc));
    }
    if let Ok(date) = NaiveDate::parse_from_str(text, "%Y-%m-%d") {
        return Ok(date.and_time(chrono::NaiveTime::MIN).and_utc());
    }
    let invalid = || {
        format!(
            "invalid time \"{text}\": expected RFC 3339 (2026-11-27T20:00:00Z), a date \
             (2026-11-27) or an age such as 90s, 30m, 2h, 7d, 2w"
        )
    };
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .ok_or_else(invalid)?;
    let (number, unit) = text.split_at(split);
    let number: i64 = number.parse().map_err(|_| invalid())?;
    let seconds = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        "w" => 7 * 86_400,
        _ => return Err(invalid()),
    };
    number
        .checked_mul(seconds)
        .and_then(chrono::TimeDelta::try_seconds)
        .and_then(|age| Utc::now().checked_sub_signed(age))
        .ok_or_else(invalid)
}
