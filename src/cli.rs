//! Command-line arguments (clap derive). Parsing only: `main.rs` dispatches, `commands/` act.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};
use ml_monitor::config::DetectorKind;
use ml_monitor::generator::Scenario;
use ml_monitor::{
    config::{MonitorConfig, Task},
    AlertLevel,
};

use crate::duration::parse_duration;
use crate::history::{ExportFormat, IncidentFormat};
use crate::output::Format;
use crate::prometheus::MetricsArgs;

/// Live monitor for machine-learning models in production: data drift, prediction shift,
/// model quality and alerts for every new window of data.
#[derive(Debug, Parser)]
#[command(name = "ml-monitor", version, about, propagate_version = true)]
pub(crate) struct Cli {
    #[command(subcommand)]
    pub(crate) command: Command,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Monitor a directory of window files (or one file) against a reference; several
    /// directories (or `[[models]]` in the config) open the fleet view.
    #[command(after_help = WATCH_AFTER_HELP)]
    Watch(Box<WatchArgs>),
    /// Run the synthetic generator into a temporary directory and watch it live.
    Demo(DemoArgs),
    /// Write a synthetic reference and windows with a drift scenario.
    Generate(GenerateArgs),
    /// Train a model on a CSV file and save it (and the reference statistics).
    Train(TrainArgs),
    /// Print the default configuration, or check a configuration file.
    Config(ConfigArgs),
    /// Read the results history.
    History(HistoryArgs),
    /// Hold back notifications for a while: add, list and expire silences.
    Silence(SilenceArgs),
    /// Run stored windows through the monitor with one or more configurations, delivering
    /// nothing, and compare what each would have shown and paged.
    Replay(ReplayArgs),
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell) to stdout.
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the manual page (roff) to stdout: `ml-monitor man > ml-monitor.1`.
    Man,
    /// Print the SQL (Spark or DuckDB) that reduces a window's table to a profile.
    ProfileSql(ProfileSqlArgs),
}

/// `watch --help`'s closing words: the exit codes and two examples.
const WATCH_AFTER_HELP: &str = "\
Exit codes:
  0  no alert above INFO (--once), or a live mode ended normally
  1  an error stopped the run (unreadable reference, history not writable)
  2  bad usage (unknown flag, invalid configuration, missing --reference)
  3  a WARNING alert (--once; the worst over every model)
  4  a CRITICAL alert (--once; the worst over every model)
  5  another ml-monitor is running with the same history (one directory, one monitor)

Configuration: --config FILE, else DIR/.ml-monitor/config.toml, else
$XDG_CONFIG_HOME/ml-monitor/config.toml (~/.config when unset); flags override it.

Examples:
  ml-monitor watch data/windows --reference data/reference.csv --once
  ml-monitor watch models/churn models/fraud --reference data/reference.csv";

/// `--task`, `--prediction`, `--target`: what the model is and which columns hold its output,
/// over the configuration file (`watch` and `profile-sql` take them alike).
#[derive(Debug, Clone, Default, Args)]
pub(crate) struct ColumnFlags {
    /// Task, overriding the config: classification or regression.
    #[arg(long)]
    pub(crate) task: Option<Task>,
    /// Name of the prediction column, overriding the config.
    #[arg(long)]
    pub(crate) prediction: Option<String>,
    /// Name of the target column, overriding the config.
    #[arg(long)]
    pub(crate) target: Option<String>,
}

impl ColumnFlags {
    /// Applies the flags given over `config`.
    pub(crate) fn apply(&self, config: &mut MonitorConfig) {
        if let Some(t) = self.task {
            config.task = t;
        }
        if let Some(p) = &self.prediction {
            config.columns.prediction = p.clone();
        }
        if let Some(t) = &self.target {
            config.columns.target = t.clone();
        }
    }
}

#[derive(Debug, Args)]
pub(crate) struct WatchArgs {
    /// Directory of window files (CSV), or a single window file (--once); several directories
    /// share the reference and open the fleet view. None with --config naming [[models]].
    #[arg(value_name = "DIR")]
    pub(crate) paths: Vec<PathBuf>,
    /// Reference CSV (training data or a known-good period).
    #[arg(long, short = 'r')]
    pub(crate) reference: Option<PathBuf>,
    /// Saved reference statistics (from `ml-monitor train`) instead of the raw reference.
    #[arg(long, conflicts_with = "reference")]
    pub(crate) reference_stats: Option<PathBuf>,
    /// Configuration file (TOML); flags override it. Default: DIR/.ml-monitor/config.toml,
    /// else $XDG_CONFIG_HOME/ml-monitor/config.toml.
    #[arg(long, short = 'c')]
    pub(crate) config: Option<PathBuf>,
    /// Model file (from `ml-monitor train`) that computes each window's predictions.
    #[arg(long)]
    pub(crate) model: Option<PathBuf>,
    /// Process the files present now, print the results and exit (status from the worst alert).
    #[arg(long, conflicts_with = "headless")]
    pub(crate) once: bool,
    /// Keep watching without a UI, printing one JSON line per window.
    #[arg(long)]
    pub(crate) headless: bool,
    /// Output format (default: json; text for --once when stdout is a terminal).
    #[arg(long, value_enum)]
    pub(crate) format: Option<Format>,
    /// History database (default for live modes: DIR/.ml-monitor/history.sqlite).
    #[arg(long, conflicts_with = "no_history")]
    pub(crate) history: Option<PathBuf>,
    /// Keep no history.
    #[arg(long)]
    pub(crate) no_history: bool,
    /// Poll the directory instead of using file-system events (for NFS, SMB, some containers);
    /// the optional value is the interval, e.g. 2s or 500ms.
    #[arg(long, num_args = 0..=1, default_missing_value = "2s", value_parser = parse_duration)]
    pub(crate) poll: Option<Duration>,
    /// Detectors to run, overriding the config (default ad,psi,chi2,pca; also ks, cvm,
    /// wasserstein, classifier).
    #[arg(long, value_delimiter = ',')]
    pub(crate) detectors: Option<Vec<DetectorKind>>,
    #[command(flatten)]
    pub(crate) columns: ColumnFlags,
    /// Write logs here (never to the screen).
    #[arg(long)]
    pub(crate) log_file: Option<PathBuf>,
    /// No colours in the UI (also when NO_COLOR is set).
    #[arg(long)]
    pub(crate) no_color: bool,
    /// Largest window file read, in bytes (suffixes k, M, G: powers of 1000); a larger file is
    /// an `unreadable` error result naming the file.
    #[arg(long, default_value = "2G", value_parser = parse_bytes)]
    pub(crate) max_window_bytes: u64,
    /// With --once: how long to wait for the sinks to deliver before exiting.
    #[arg(long, value_parser = parse_duration, default_value = "10s")]
    pub(crate) sink_timeout: Duration,
    #[command(flatten)]
    pub(crate) metrics: MetricsArgs,
    /// No configuration file is looked for (the demo runs on the defaults).
    #[arg(skip)]
    pub(crate) no_config_discovery: bool,
}

/// A byte count: digits with an optional k, M or G suffix (powers of 1000); at least 1.
fn parse_bytes(s: &str) -> Result<u64, String> {
    let t = s.trim();
    let (digits, unit) = match t.char_indices().find(|(_, c)| !c.is_ascii_digit()) {
        Some((i, _)) => t.split_at(i),
        None => (t, ""),
    };
    let unit: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kb" => 1_000,
        "m" | "mb" => 1_000_000,
        "g" | "gb" => 1_000_000_000,
        other => return Err(format!("unknown unit \"{other}\" (use k, M or G)")),
    };
    let n: u64 = digits
        .parse()
        .map_err(|_| format!("\"{s}\" is not a byte count such as 500M or 2G"))?;
    match n.checked_mul(unit) {
        Some(0) => Err("must be at least 1 byte".into()),
        Some(v) => Ok(v),
        None => Err(format!("\"{s}\" is too large")),
    }
}

#[derive(Debug, Args)]
pub(crate) struct DemoArgs {
    /// Time between windows, e.g. 2s or 500ms.
    #[arg(long, default_value = "2s", value_parser = parse_duration)]
    pub(crate) interval: Duration,
    /// Drift scenario.
    #[arg(long, default_value = "sudden")]
    pub(crate) scenario: Scenario,
    /// Window at which drift starts.
    #[arg(long, default_value_t = 4)]
    pub(crate) drift_start: usize,
    /// Rows per window.
    #[arg(long, default_value_t = 2000)]
    pub(crate) rows: usize,
    /// Windows to generate before stopping (0: until quit).
    #[arg(long, default_value_t = 0)]
    pub(crate) windows: usize,
    /// Seed.
    #[arg(long, default_value_t = 42)]
    pub(crate) seed: u64,
    /// No colours.
    #[arg(long)]
    pub(crate) no_color: bool,
}

#[derive(Debug, Args)]
pub(crate) struct GenerateArgs {
    /// Output directory (created if missing).
    #[arg(long)]
    pub(crate) out: PathBuf,
    /// Number of windows.
    #[arg(long, default_value_t = 8)]
    pub(crate) windows: usize,
    /// Rows per window (and in the reference).
    #[arg(long, default_value_t = 2000)]
    pub(crate) rows: usize,
    /// Seed; the same seed writes the same bytes.
    #[arg(long, default_value_t = 42)]
    pub(crate) seed: u64,
    /// Drift scenario: none, sudden, gradual or recurring.
    #[arg(long, default_value = "sudden")]
    pub(crate) scenario: Scenario,
    /// First drifting window (1-based).
    #[arg(long, default_value_t = 4)]
    pub(crate) drift_start: usize,
    /// File format: csv, csv.gz or parquet.
    #[arg(long, default_value = "csv")]
    pub(crate) format: ml_monitor::data::Format,
}

#[derive(Debug, Args)]
pub(crate) struct TrainArgs {
    /// Training CSV.
    #[arg(long)]
    pub(crate) data: PathBuf,
    /// Target column.
    #[arg(long)]
    pub(crate) target: String,
    /// classification or regression.
    #[arg(long, default_value = "classification")]
    pub(crate) task: Task,
    /// Where to write the model (JSON).
    #[arg(long)]
    pub(crate) out: PathBuf,
    /// Also write the reference statistics here.
    #[arg(long)]
    pub(crate) reference_stats: Option<PathBuf>,
    /// Configuration file (column roles, PSI bins).
    #[arg(long, short = 'c')]
    pub(crate) config: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub(crate) struct ConfigArgs {
    /// Print the full default configuration file, with comments.
    #[arg(long)]
    pub(crate) print_default: bool,
    /// Check a configuration file and print it with defaults filled in.
    #[arg(long, conflicts_with = "print_default")]
    pub(crate) check: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub(crate) struct HistoryArgs {
    #[command(subcommand)]
    pub(crate) command: HistoryCommand,
    /// History database (default: DIR/.ml-monitor/history.sqlite).
    #[arg(long, global = true)]
    pub(crate) history: Option<PathBuf>,
    /// Watched directory whose default history to read (default: the current directory).
    #[arg(long, global = true)]
    pub(crate) dir: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub(crate) enum HistoryCommand {
    /// Write the history out.
    Export {
        #[arg(long, value_enum, default_value = "json")]
        format: ExportFormat,
        /// Only results since this time (RFC 3339, a date, or an age like 2h, 7d).
        #[arg(long)]
        since: Option<String>,
    },
    /// Print the last results as a table.
    Show {
        #[arg(long, default_value_t = 20)]
        last: usize,
    },
    /// List incidents, newest first (opened and resolved in local time).
    Incidents {
        /// Only incidents still firing.
        #[arg(long)]
        open: bool,
        /// Only incidents updated since this time (RFC 3339, a date, or an age like 2h, 7d).
        #[arg(long)]
        since: Option<String>,
        #[arg(long, value_enum, default_value = "text")]
        format: IncidentFormat,
    },
}

#[derive(Debug, Args)]
pub(crate) struct SilenceArgs {
    #[command(subcommand)]
    pub(crate) command: SilenceCommand,
    /// History database (default: DIR/.ml-monitor/history.sqlite).
    #[arg(long, global = true)]
    pub(crate) history: Option<PathBuf>,
    /// Watched directory whose default history holds the silences (default: the current
    /// directory).
    #[arg(long, global = true)]
    pub(crate) dir: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub(crate) enum SilenceCommand {
    /// Silence notifications whose labels match every --match; prints the silence's id.
    Add {
        /// KEY=VALUE, repeatable; keys: kind, feature, detector, metric, file, level, monitor,
        /// model, problem_id.
        #[arg(long = "match", value_name = "KEY=VALUE", required = true)]
        matchers: Vec<String>,
        /// How long: 30m, 4h, 2d, 1h30m.
        #[arg(long = "for", value_name = "DURATION", default_value = "4h")]
        length: String,
        /// Why (shown by `silence list` and the TUI).
        #[arg(long, default_value = "")]
        comment: String,
        /// Who (default: $USER).
        #[arg(long)]
        by: Option<String>,
    },
    /// List silences in force (with --all, ended ones too).
    List {
        /// Ended silences too.
        #[arg(long)]
        all: bool,
        #[arg(long, value_enum, default_value = "text")]
        format: IncidentFormat,
    },
    /// End a silence now.
    Expire {
        /// The silence's id (from `silence add` or `silence list`).
        id: String,
    },
}

/// `replay`: stored windows through one or more configurations.
#[derive(Debug, Args)]
pub(crate) struct ReplayArgs {
    /// Directory of stored window files (the kinds `watch` takes, in the order it takes them).
    #[arg(value_name = "DIR")]
    pub(crate) dir: PathBuf,
    /// Reference CSV.
    #[arg(long, short = 'r')]
    pub(crate) reference: PathBuf,
    /// A configuration to replay (repeatable: one row each). None: the one `watch` would find.
    #[arg(long = "config", short = 'c', value_name = "FILE")]
    pub(crate) configs: Vec<PathBuf>,
    /// JSON naming the first drifted window: {"start": "window_0005.csv"} ("start": null for
    /// a stream without drift).
    #[arg(long)]
    pub(crate) truth: Option<PathBuf>,
    #[arg(long, value_enum, default_value = "text")]
    pub(crate) format: Format,
    /// A page that opens again within this many windows of resolving is a flap.
    #[arg(long, default_value_t = 3)]
    pub(crate) flap_windows: usize,
    /// The lowest level that pages (as a sink's `min_level`).
    #[arg(long, default_value = "warning")]
    pub(crate) min_level: AlertLevel,
}

/// The engine the statement is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum DialectArg {
    Spark,
    Duckdb,
}

/// `profile-sql`: the statement that reduces a window's table to a profile.
#[derive(Debug, Args)]
pub(crate) struct ProfileSqlArgs {
    /// Reference CSV: the same one `watch` is given.
    #[arg(long, short = 'r')]
    pub(crate) reference: Option<PathBuf>,
    /// Saved reference statistics (from `ml-monitor train`) instead of the raw reference.
    #[arg(long, conflicts_with = "reference")]
    pub(crate) reference_stats: Option<PathBuf>,
    /// The window's table, inserted as written: a table name, `db.table`, Spark's
    /// parquet.`/path`, or DuckDB's read_parquet('…').
    #[arg(long)]
    pub(crate) table: String,
    /// SQL dialect.
    #[arg(long, value_enum, default_value = "spark")]
    pub(crate) dialect: DialectArg,
    /// Configuration file (TOML): the same one `watch` is given ([profile] grid_bins, PSI bins,
    /// column roles).
    #[arg(long, short = 'c')]
    pub(crate) config: Option<PathBuf>,
    #[command(flatten)]
    pub(crate) columns: ColumnFlags,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cli_is_consistent() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }
}
