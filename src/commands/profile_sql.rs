//! `ml-monitor profile-sql`: prints the one SQL statement that reduces a window's table to
//! its profile, for Spark SQL or DuckDB (see the library's `profile` module).

use std::process::ExitCode;

use crate::cli::{DialectArg, ProfileSqlArgs};
use anyhow::Context;
use ml_monitor::config::MonitorConfig;
use ml_monitor::data;
use ml_monitor::profile::{profile_sql, Dialect, ProfileReference};

use crate::error::UsageError;
use crate::plan::config_file::ConfigFile;

/// The configuration with this command's flags applied.
fn config(args: &ProfileSqlArgs) -> anyhow::Result<MonitorConfig> {
    let mut config = match &args.config {
        Some(path) => ConfigFile::read(path)?.config,
        None => MonitorConfig::default(),
    };
    args.columns.apply(&mut config);
    config
        .validate()
        .map_err(|e| UsageError(format!("invalid settings: {e}")))?;
    Ok(config)
}

pub(crate) fn run(args: &ProfileSqlArgs) -> anyhow::Result<ExitCode> {
    let config = config(args)?;
    if args.table.trim().is_empty() {
        return Err(UsageError("--table must name the window's table".into()).into());
    }
    let reference = match (&args.reference, &args.reference_stats) {
        (Some(path), _) => {
            crate::plan::regular_file(path, "--reference")?;
            let (window, _) = data::read_reference(path, &config.columns)
                .with_context(|| format!("reference {} cannot be used", path.display()))?;
            ProfileReference::from_window(&window, &config)
        }
        (None, Some(path)) => {
            crate::plan::regular_file(path, "--reference-stats")?;
            let stats = ml_monitor::ReferenceStats::load(path)?;
            ProfileReference::from_stats(&stats, &config)
        }
        (None, None) => {
            return Err(UsageError(
                "--reference REF (or --reference-stats FILE) is required".into(),
            )
            .into())
        }
    };
    let dialect = match args.dialect {
        DialectArg::Spark => Dialect::Spark,
        DialectArg::Duckdb => Dialect::DuckDb,
    };
    let mut sql = profile_sql(&reference, &args.table, dialect);
    sql.push('\n');
    crate::output::print(sql.as_bytes())?;
    Ok(ExitCode::SUCCESS)
}
