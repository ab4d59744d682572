//! `watch --once`: process what is there, print, exit with the worst alert's status.

use std::io::IsTerminal;
use std::process::ExitCode;

use ml_monitor::AlertLevel;

use super::setup;
use crate::cli::{Format, WatchArgs};
use crate::file_bytes::Access;
use crate::metrics::{Exporter, MetricsSettings};
use crate::output::write_result;
use crate::pipeline::{Load, Pipeline, UsageError};
use crate::watch;

/// Exit status from the worst alert level seen.
pub fn exit_status(worst: Option<AlertLevel>) -> u8 {
    match worst {
        Some(AlertLevel::Critical) => 4,
        Some(AlertLevel::Warning) => 3,
        _ => 0,
    }
}

pub fn run(args: &WatchArgs) -> anyhow::Result<ExitCode> {
    let config = setup::config(args)?;
    let source = setup::reference(args)?;
    let format = args.format.unwrap_or(if std::io::stdout().is_terminal() {
        Format::Text
    } else {
        Format::Json
    });
    let files = if args.path.is_dir() {
        let ignore: Vec<std::path::PathBuf> = args.reference.iter().cloned().collect();
        watch::initial_files(&args.path, &ignore)
            .map_err(|e| anyhow::anyhow!("{}: {e}", args.path.display()))?
    } else if args.path.is_file() {
        vec![args.path.clone()]
    } else if args.path.exists() {
        return Err(UsageError(format!(
            "{}: not a regular file or a directory",
            args.path.display()
        ))
        .into());
    } else {
        return Err(UsageError(format!(
            "{}: no such file or directory",
            args.path.display()
        ))
        .into());
    };
    let (history, delivery) = setup::history_and_sinks(args, &config, false)?;
    let mut metrics = Exporter::start(
        MetricsSettings::resolve(&args.metrics, &config.metrics, false)?,
        true,
    )?;
    // A named file is mapped, and parsed while the reference is fitted; a directory's files
    // are read (see `file_bytes`).
    let (access, first) = if args.path.is_file() {
        (Access::Map, Some(args.path.as_path()))
    } else {
        (Access::Read, None)
    };
    let load = Load {
        access,
        max_bytes: args.max_window_bytes,
    };
    let mut pipeline = Pipeline::new(
        config,
        &source,
        args.model.as_deref(),
        history,
        false,
        load,
        first,
    )?;
    pipeline.set_delivery(delivery);
    let mut worst = None;
    let mut unstored = 0usize;
    let stdout = std::io::stdout();
    for file in files {
        let started = std::time::Instant::now();
        let Some(processed) = pipeline.process(&file) else {
            continue;
        };
        if let Some(m) = &mut metrics {
            m.observe_with_incidents(
                &processed.report.result,
                started.elapsed(),
                pipeline.firing_counts(),
            );
        }
        worst = worst.max(processed.report.result.worst_level());
        let mut out = stdout.lock();
        if let Err(e) = write_result(&mut out, &processed.report.result, format) {
            if e.kind() == std::io::ErrorKind::BrokenPipe {
                // The reader has gone (`| head`): stop quietly, as ripgrep does, once what
                // was raised so far is delivered.
                if let Some(delivery) = pipeline.delivery() {
                    setup::finish_delivery(delivery, args.sink_timeout);
                }
                return Ok(ExitCode::SUCCESS);
            }
            return Err(e.into());
        }
        drop(out);
        if let Some(e) = processed.unstored {
            // Shown, but not kept: say so, go on with the next window, and fail at the end
            // so that the next run processes it again.
            eprintln!("ml-monitor: {e:#}");
            unstored += 1;
        }
    }
    if let Some(delivery) = pipeline.delivery() {
        setup::finish_delivery(delivery, args.sink_timeout);
    }
    if unstored > 0 {
        return Err(anyhow::anyhow!(
            "{unstored} window(s) could not be recorded in the history; they will be processed again by the next run"
        ));
    }
    Ok(ExitCode::from(exit_status(worst)))
}
