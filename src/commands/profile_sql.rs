//! `ml-monitor profile-sql`: prints the one SQL statement that reduces a window's table to
//! its profile, for Spark SQL or DuckDB (see the library's `profile` module).

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Args, ValueEnum};
use ml_monitor::data;
use ml_monitor::profile::{profile_sql, Dialect, ProfileReference};
use ml_monitor::MonitorConfig;

use crate::pipeline::UsageError;

/// The engine the statement is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DialectArg {
    Spark,
    Duckdb,
}

#[derive(Debug, Args)]
pub struct ProfileSqlArgs {
    /// Reference CSV: the same one `watch` is given.
    #[arg(long, short = 'r')]
    pub reference: Option<PathBuf>,
    /// Saved reference statistics (from `ml-monitor train`) instead of the raw reference.
    #[arg(long, conflicts_with = "reference")]
    pub reference_stats: Option<PathBuf>,
    /// The window's table, inserted as written: a table name, `db.table`, Spark's
    /// parquet.`/path`, or DuckDB's read_parquet('…').
    #[arg(long)]
    pub table: String,
    /// SQL dialect.
    #[arg(long, value_enum, default_value = "spark")]
    pub dialect: DialectArg,
    /// Configuration file (TOML): the same one `watch` is given ([profile] grid_bins, PSI bins,
    /// column roles).
    #[arg(long, short = 'c')]
    pub config: Option<PathBuf>,
    #[command(flatten)]
    pub columns: crate::cli::ColumnFlags,
}

/// The configuration with this command's flags applied.
fn config(args: &ProfileSqlArgs) -> anyhow::Result<MonitorConfig> {
    let mut config = match &args.config {
        Some(path) => MonitorConfig::from_file(path).map_err(|e| UsageError(e.to_string()))?,
        None => MonitorConfig::default(),
    };
    args.columns.apply(&mut config);
    config
        .validate()
        .map_err(|e| UsageError(format!("invalid settings: {e}")))?;
    Ok(config)
}

pub fn run(args: &ProfileSqlArgs) -> anyhow::Result<ExitCode> {
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
