//! `ml-monitor replay DIR --reference REF [--config A.toml]... [--truth truth.json]`: how a
//! configuration would have done on stored windows, without delivering or recording anything.
//!
//! Each configuration is resolved exactly as `watch --once` resolves it and runs through the
//! same [`Pipeline`], on the same files in the same order, with no history and no sinks. What
//! pages is counted by one function, [`pages`], over each window's result, so the counts follow
//! whatever the monitor decides to notify.

use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use ml_monitor::AlertLevel;
use ml_monitor::{monitoring::ChangeKind, MonitoringResult};
use serde::Serialize;

use crate::cli::{ColumnFlags, ReplayArgs, WatchArgs};
use crate::prometheus::MetricsArgs;

use crate::error::UsageError;
use crate::output::Format;
use crate::plan::RunPlan;
use crate::run::pipeline::Pipeline;

/// What a truth file says.
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Truth {
    /// The first drifted window's file name (with or without its extension); null: none.
    start: Option<String>,
}

/// One configuration's row.
#[derive(Debug, Default, Serialize)]
pub(crate) struct Row {
    pub(crate) config: String,
    pub(crate) windows: usize,
    /// Windows whose file could not be used.
    pub(crate) errors: usize,
    /// Conditions (alerts) shown, summed over windows.
    pub(crate) conditions_shown: usize,
    /// Pages sent: notifications that would wake someone.
    pub(crate) paged: usize,
    /// Pages that re-open what resolved within `flap_windows` windows.
    pub(crate) flaps: usize,
    /// With --truth: pages before the drift started.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) false_pages: Option<usize>,
    /// With --truth: windows from the drift's start to its first page (null: never paged).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) detection_delay: Option<Option<usize>>,
}

/// A page, or the end of what it was about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Page {
    Opened(String),
    Resolved(String),
}

/// What a window's result pages: the one rule replay counts by. A notification is a problem
/// change at or above `min_level`: an opening (or a re-opening, or an escalation across
/// `min_level`) pages, a resolution ends it; a member joining or an escalation above
/// `min_level` is an update, not a page. Pages are keyed by `problem_id`.
pub(crate) fn pages(result: &MonitoringResult, min_level: AlertLevel) -> Vec<Page> {
    let mut out = Vec::new();
    for change in &result.incidents {
        let i = &change.incident;
        let key = i.id.to_string();
        match change.change {
            ChangeKind::Opened if i.level >= min_level => out.push(Page::Opened(key)),
            ChangeKind::Escalated
                if i.level >= min_level && change.previous_level.is_some_and(|p| p < min_level) =>
            {
                out.push(Page::Opened(key))
            }
            ChangeKind::Resolved if i.level >= min_level => out.push(Page::Resolved(key)),
            _ => {}
        }
    }
    out
}

pub(crate) fn run(args: &ReplayArgs) -> anyhow::Result<ExitCode> {
    if !args.dir.is_dir() {
        return Err(UsageError(format!("{}: not a directory", args.dir.display())).into());
    }
    let start = args.truth.as_deref().map(read_truth).transpose()?;
    let configs: Vec<Option<PathBuf>> = if args.configs.is_empty() {
        vec![None]
    } else {
        args.configs.iter().cloned().map(Some).collect()
    };
    let mut rows = Vec::with_capacity(configs.len());
    for config in configs {
        rows.push(replay_one(args, config, start.as_ref())?);
    }
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    match args.format {
        Format::Json => {
            for row in &rows {
                writeln!(out, "{}", serde_json::to_string(row)?)?;
            }
        }
        Format::Text => print_table(&rows, start.is_some(), &mut out)?,
    }
    Ok(ExitCode::SUCCESS)
}

fn read_truth(path: &Path) -> anyhow::Result<Option<String>> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| UsageError(format!("--truth {}: {e}", path.display())))?;
    let truth: Truth = serde_json::from_str(&text).map_err(|e| {
        UsageError(format!(
            "--truth {}: {e} (expected {{\"start\": \"window_0005.csv\"}})",
            path.display()
        ))
    })?;
    Ok(truth.start)
}

/// `watch DIR --reference REF [--config FILE] --once --no-history`, as `watch` would resolve it.
fn watch_args(args: &ReplayArgs, config: Option<PathBuf>) -> WatchArgs {
    WatchArgs {
        paths: vec![args.dir.clone()],
        reference: Some(args.reference.clone()),
        reference_stats: None,
        config,
        model: None,
        once: true,
        headless: false,
        format: Some(Format::Json),
        history: None,
        no_history: true,
        poll: None,
        detectors: None,
        columns: ColumnFlags::default(),
        log_file: None,
        no_color: true,
        max_window_bytes: 2_000_000_000,
        sink_timeout: std::time::Duration::from_secs(1),
        metrics: MetricsArgs::default(),
        no_config_discovery: false,
    }
}

fn replay_one(
    args: &ReplayArgs,
    config: Option<PathBuf>,
    truth: Option<&Option<String>>,
) -> anyhow::Result<Row> {
    let label = config
        .as_ref()
        .map_or_else(|| "(default)".to_string(), |c| c.display().to_string());
    let mut plan = RunPlan::resolve(&watch_args(args, config))?;
    if plan.models.len() != 1 {
        return Err(UsageError(format!(
            "{label}: replay runs one model per configuration ([[models]] names {})",
            plan.models.len()
        ))
        .into());
    }
    let mut model = plan.models.remove(0);
    // Nothing is delivered and nothing recorded.
    model.sinks.clear();
    model.history = None;
    let files = super::once::files_of(&model)?;
    let mut pipeline = Pipeline::new(&model)?;
    let mut row = Row {
        config: label,
        ..Row::default()
    };
    let start_index = match truth {
        Some(Some(name)) => Some(window_index(&files, name).ok_or_else(|| {
            UsageError(format!(
                "--truth: no window \"{}\" in {}",
                name.chars().filter(|c| !c.is_control()).collect::<String>(),
                args.dir.display()
            ))
        })?),
        _ => None,
    };
    let mut resolved_at: HashMap<String, usize> = HashMap::new();
    let mut first_page_after_start = None;
    let mut false_pages = 0;
    for (index, file) in files.iter().enumerate() {
        let Some(processed) = pipeline.process(file) else {
            continue;
        };
        let result = &processed.report.result;
        row.windows += 1;
        row.errors += usize::from(result.error.is_some());
        row.conditions_shown += result.alerts.len();
        for page in pages(result, args.min_level) {
            match page {
                Page::Opened(key) => {
                    row.paged += 1;
                    if resolved_at
                        .get(&key)
                        .is_some_and(|&r| index - r <= args.flap_windows)
                    {
                        row.flaps += 1;
                    }
                    match start_index {
                        Some(s) if index >= s => {
                            first_page_after_start.get_or_insert(index - s);
                        }
                        _ => false_pages += 1,
                    }
                }
                Page::Resolved(key) => {
                    resolved_at.insert(key, index);
                }
            }
        }
    }
    if truth.is_some() {
        row.false_pages = Some(false_pages);
        row.detection_delay = Some(first_page_after_start.filter(|_| start_index.is_some()));
    }
    Ok(row)
}

/// The position of the window named `name` (or named so with its extension).
fn window_index(files: &[PathBuf], name: &str) -> Option<usize> {
    files.iter().position(|f| {
        f.file_name()
            .map(|n| n.to_string_lossy())
            .is_some_and(|n| n == name || n.split('.').next() == Some(name))
    })
}

fn print_table(rows: &[Row], truth: bool, out: &mut dyn Write) -> std::io::Result<()> {
    let width = rows
        .iter()
        .map(|r| r.config.chars().count())
        .max()
        .unwrap_or(6)
        .max(6);
    write!(
        out,
        "{:<width$}  {:>7}  {:>6}  {:>6}  {:>5}  {:>5}",
        "config", "windows", "errors", "shown", "paged", "flaps"
    )?;
    if truth {
        write!(out, "  {:>11}  {:>5}", "false pages", "delay")?;
    }
    writeln!(out)?;
    for r in rows {
        let config: String = r.config.chars().filter(|c| !c.is_control()).collect();
        write!(
            out,
            "{:<width$}  {:>7}  {:>6}  {:>6}  {:>5}  {:>5}",
            config, r.windows, r.errors, r.conditions_shown, r.paged, r.flaps
        )?;
        if let (Some(f), Some(d)) = (r.false_pages, r.detection_delay) {
            let delay = d.map_or_else(|| "never".to_string(), |d| d.to_string());
            write!(out, "  {f:>11}  {delay:>5}")?;
        }
        writeln!(out)?;
    }
    Ok(())
}
