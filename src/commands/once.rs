//! `watch --once`: process what is there, print, exit with the worst alert's status.

use std::io::IsTerminal;
use std::process::ExitCode;

use ml_monitor::AlertLevel;

use super::setup;
use crate::cli::{Format, WatchArgs};
use crate::file_bytes::Access;
use crate::output::write_result;
use crate::pipeline::{Pipeline, UsageError};
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
    } else {
        return Err(UsageError(format!(
            "{}: no such file or directory",
            args.path.display()
        ))
        .into());
    };
    let (history, delivery) = setup::history_and_sinks(args, &config, false)?;
    // A named file is mapped, and parsed while the reference is fitted; a directory's files
    // are read (see `file_bytes`).
    let (access, first) = if args.path.is_file() {
        (Access::Map, Some(args.path.as_path()))
    } else {
        (Access::Read, None)
    };
    let mut pipeline = Pipeline::new(
        config,
        &source,
        args.model.as_deref(),
        history,
        false,
        access,
        first,
    )?;
    pipeline.set_delivery(delivery);
    let mut worst = None;
    let stdout = std::io::stdout();
    for file in files {
        if let Some(report) = pipeline.process(&file)? {
            worst = worst.max(report.result.worst_level());
            let mut out = stdout.lock();
            if let Err(e) = write_result(&mut out, &report.result, format) {
                if e.kind() == std::io::ErrorKind::BrokenPipe {
                    break;
                }
                return Err(e.into());
            }
        }
    }
    if let Some(delivery) = pipeline.delivery() {
        setup::finish_delivery(delivery, args.sink_timeout);
    }
    Ok(ExitCode::from(exit_status(worst)))
}
