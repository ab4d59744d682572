//! `history incidents`: the incident timeline, to read on call or paste into a postmortem.
//!
//! Newest first, because the question asked of it is "what just happened". Times are local
//! (chrono's `Local`, which honours `TZ`), as people write them in a postmortem; the zone's
//! offset is named once in the heading, and on a cell only when it differs from the heading's
//! (a daylight-saving change inside the list). Figures keep four significant digits: a
//! threshold stored as 0.697073908352629 prints 0.6971. The table is built from the zone and
//! "now" it is given, so tests fix both; every text from data passes through `sanitize`.

use std::io::Write;

use chrono::{DateTime, FixedOffset, Offset, TimeDelta, TimeZone, Utc};
use clap::ValueEnum;
use ml_monitor::monitoring::Incident;

use super::incidents::StoredIncident;
use super::{History, HistoryError};
use crate::local_time;
use crate::sanitize::sanitize;

/// How `history incidents` prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum IncidentFormat {
    /// An aligned table.
    Text,
    /// One JSON object per incident per line.
    Json,
    /// A Markdown table, to paste into a postmortem.
    Md,
}

/// Subjects (feature names) longer than this end in `…`.
const MAX_SUBJECT: usize = 32;
/// Window names longer than this end in `…`.
const MAX_WINDOW: usize = 28;

/// `ml-monitor history incidents`: newest first, in every format.
pub(crate) fn incidents_report(
    history: &History,
    open_only: bool,
    since: Option<DateTime<Utc>>,
    format: IncidentFormat,
    out: &mut dyn Write,
) -> Result<(), HistoryError> {
    let mut incidents = history.incidents(open_only, since)?;
    newest_first(&mut incidents);
    let err = history.output_err();
    let text = match format {
        IncidentFormat::Json => {
            let mut text = String::new();
            for i in &incidents {
                text.push_str(&serde_json::to_string(i).map_err(|e| err(e.into()))?);
                text.push('\n');
            }
            text
        }
        IncidentFormat::Text => table(&incidents, Utc::now(), &chrono::Local, Layout::Text),
        IncidentFormat::Md => table(&incidents, Utc::now(), &chrono::Local, Layout::Markdown),
    };
    out.write_all(text.as_bytes()).map_err(&err)
}

/// The most recently opened first; among equals, the larger id.
fn newest_first(incidents: &mut [StoredIncident]) {
    incidents.sort_by(|a, b| {
        (b.incident.opened_at, b.incident.id).cmp(&(a.incident.opened_at, a.incident.id))
    });
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Layout {
    Text,
    Markdown,
}

/// The heading and whether the column's figures align right.
const COLUMNS: [(&str, bool); 12] = [
    ("id", true),
    ("status", false),
    ("level", false),
    ("kind", false),
    ("subject", false),
    ("opened", false),
    ("resolved", false),
    ("duration", true),
    ("windows", true),
    ("first – last window", false),
    ("value / threshold", false),
    ("ack", false),
];

/// The table in local time of `tz`, durations of firing incidents counted up to `now`.
fn table<Tz: TimeZone>(
    incidents: &[StoredIncident],
    now: DateTime<Utc>,
    tz: &Tz,
    layout: Layout,
) -> String {
    let zone = tz.offset_from_utc_datetime(&now.naive_utc()).fix();
    let mut headings: Vec<String> = COLUMNS.iter().map(|(h, _)| h.to_string()).collect();
    headings[5] = format!("opened (UTC{zone})");
    let rows: Vec<Vec<String>> = incidents.iter().map(|s| row(s, now, tz, zone)).collect();
    match layout {
        Layout::Markdown if rows.is_empty() => "no incidents\n".to_string(),
        Layout::Markdown => markdown(&headings, &rows),
        Layout::Text => {
            let mut text = aligned(&headings, &rows);
            if rows.is_empty() {
                text.push_str("no incidents\n");
            }
            text
        }
    }
}

fn row<Tz: TimeZone>(
    s: &StoredIncident,
    now: DateTime<Utc>,
    tz: &Tz,
    zone: FixedOffset,
) -> Vec<String> {
    let i = &s.incident;
    let local = |t: DateTime<Utc>| local_time::date_time(t, tz, Some(zone));
    let duration = match i.resolved_at {
        Some(end) => duration(end - i.opened_at),
        None => format!("{} so far", duration(now - i.opened_at)),
    };
    let first = clip(&sanitize(&i.first_window), MAX_WINDOW);
    let last = clip(&sanitize(&i.last_window), MAX_WINDOW);
    let windows = if first == last {
        first
    } else {
        format!("{first} – {last}")
    };
    vec![
        i.id.to_string(),
        status(i),
        i.level.as_str().to_string(),
        i.kind.as_str().to_string(),
        clip(&sanitize(i.subject()), MAX_SUBJECT),
        local(i.opened_at),
        i.resolved_at.map_or_else(|| "-".to_string(), local),
        duration,
        i.windows.to_string(),
        windows,
        figures(i),
        if s.acknowledged { "yes" } else { "" }.to_string(),
    ]
}

/// `firing`, `resolved`, or `resolved (settings changed)` for a problem closed because the
/// reference or the thresholds changed.
fn status(i: &Incident) -> String {
    match i.resolved_reason.as_deref() {
        Some(ml_monitor::monitoring::SETTINGS_CHANGED) if !i.is_firing() => {
            "resolved (settings changed)".to_string()
        }
        Some(other) if !i.is_firing() => format!("resolved ({})", sanitize(other)),
        _ => i.status.as_str().to_string(),
    }
}

/// `0.64 < 0.7`, the sign taken from the numbers; the value alone without a threshold.
fn figures(i: &Incident) -> String {
    match (i.value, i.threshold) {
        (Some(v), Some(t)) => {
            let sign = match v.partial_cmp(&t) {
                Some(std::cmp::Ordering::Less) => "<",
                Some(std::cmp::Ordering::Greater) => ">",
                Some(std::cmp::Ordering::Equal) => "=",
                None => "vs",
            };
            format!("{} {sign} {}", significant(v), significant(t))
        }
        (Some(v), None) => significant(v),
        (None, _) => String::new(),
    }
}

/// Four significant digits, trailing zeros dropped: `0.6971`, `565.9`, `0.7`, `1.234e-5`;
/// whole numbers from 10,000 up as they are.
pub(crate) fn significant(v: f64) -> String {
    if !v.is_finite() {
        return "n/a".to_string();
    }
    if v == 0.0 {
        return "0".to_string();
    }
    let magnitude = v.abs().log10().floor();
    if magnitude >= 4.0 {
        return format!("{v:.0}");
    }
    if magnitude < -4.0 {
        return format!("{v:.3e}");
    }
    let decimals = (3.0 - magnitude) as usize;
    let text = format!("{v:.decimals$}");
    if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        text
    }
}

/// `45s`, `12m`, `2h 05m`, `3d 04h`; a negative span (clocks set back) is `0s`.
fn duration(d: TimeDelta) -> String {
    let s = d.num_seconds().max(0);
    match s {
        s if s < 60 => format!("{s}s"),
        s if s < 3600 => format!("{}m", s / 60),
        s if s < 86_400 => format!("{}h {:02}m", s / 3600, s % 3600 / 60),
        s => format!("{}d {:02}h", s / 86_400, s % 86_400 / 3600),
    }
}

fn clip(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let mut clipped: String = text.chars().take(max.saturating_sub(1)).collect();
    clipped.push('…');
    clipped
}

/// Columns padded to their widest cell, two spaces apart, no trailing blanks.
fn aligned(headings: &[String], rows: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = headings.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |cells: &[String]| {
        let padded: Vec<String> = cells
            .iter()
            .zip(&widths)
            .zip(COLUMNS.iter().map(|(_, right)| *right))
            .map(|((cell, &w), right)| {
                if right {
                    format!("{cell:>w$}")
                } else {
                    format!("{cell:<w$}")
                }
            })
            .collect();
        let mut text = padded.join("  ").trim_end().to_string();
        text.push('\n');
        text
    };
    let mut text = line(headings);
    for row in rows {
        text.push_str(&line(row));
    }
    text
}

/// A GitHub-flavoured Markdown table; `|` in a cell is escaped.
fn markdown(headings: &[String], rows: &[Vec<String>]) -> String {
    let line = |cells: &[String]| {
        let cells: Vec<String> = cells.iter().map(|c| c.replace('|', "\\|")).collect();
        format!("| {} |\n", cells.join(" | "))
    };
    let mut text = line(headings);
    let rule: Vec<String> = COLUMNS
        .iter()
        .map(|(_, right)| if *right { "---:" } else { "---" }.to_string())
        .collect();
    text.push_str(&format!("|{}|\n", rule.join("|")));
    for row in rows {
        text.push_str(&line(row));
    }
    text
}

#[cfg(test)]
#[path = "timeline_tests.rs"]
mod tests;
