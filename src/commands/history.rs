//! `ml-monitor history export|show|incidents`.

use std::path::PathBuf;
use std::process::ExitCode;

use crate::cli::{HistoryArgs, HistoryCommand};
use crate::error::UsageError;
use crate::history::{self, History};
use crate::plan::default_history_path;

pub(crate) fn run(args: &HistoryArgs) -> anyhow::Result<ExitCode> {
    let dir = args.dir.clone().unwrap_or_else(|| PathBuf::from("."));
    let path = args
        .history
        .clone()
        .unwrap_or_else(|| default_history_path(&dir));
    if !path.exists() {
        let hint = if args.history.is_none() && args.dir.is_none() {
            "; run this in the watched directory, or name it: --dir DIR (or --history FILE)"
        } else {
            ""
        };
        return Err(UsageError(format!("no history at {}{hint}", path.display())).into());
    }
    let history = History::open_for_reading(&path)?;
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    match &args.command {
        HistoryCommand::Export { format, since } => {
            let since = since
                .as_deref()
                .map(history::parse_since)
                .transpose()
                .map_err(UsageError)?;
            history::export(&history, *format, since, &mut out)?;
        }
        HistoryCommand::Show { last } => history::show(&history, *last, &mut out)?,
        HistoryCommand::Incidents {
            open,
            since,
            format,
        } => {
            let since = since
                .as_deref()
                .map(history::parse_since)
                .transpose()
                .map_err(UsageError)?;
            history::incidents_report(&history, *open, since, *format, &mut out)?;
        }
    }
    std::io::Write::flush(&mut out)?;
    Ok(ExitCode::SUCCESS)
}
