//! `ml-monitor`: parses arguments and dispatches. The binary wires the library to a directory
//! watcher, a SQLite history, headless output and the terminal UI; it evaluates nothing itself.
//!
//! Exit status: 0 no alert above INFO, 3 a WARNING, 4 a CRITICAL (`--once`), 1 an error that
//! stopped the run, 2 bad usage, 5 another monitor is running with the same history.

// Nothing from outside the program (files, config, channels) may panic the monitor.
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used))]

mod app_event;
mod cli;
mod commands;
mod duration;
mod error;
mod file_bytes;
mod history;
mod local_time;
mod output;
mod plan;
mod prometheus;
mod run;
mod runbooks;
mod sanitize;
mod signals;
mod silences;
mod sinks;
mod tui;
mod watch;

use std::process::ExitCode;

use clap::Parser;

use crate::error::UsageError;
use cli::{Cli, Command};

/// One malloc arena for every thread (glibc). By default each thread that allocates gets an
/// arena of its own, and memory freed in one is kept there: on a 100,000 x 20 `--once` that
/// held the peak at 80 MB instead of 59 MB (and a 1,000,000-row window at 477 MB instead of
/// 414 MB), with no measurable change in time. The threads allocate little while they work
/// (columns are allocated before the parallel parts write into them), so they rarely wait for
/// the one arena. Called first, before any thread starts.
fn one_malloc_arena() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt(3) takes two integers; it changes the allocator's tuning, not memory
    // that anything holds, and no other thread exists yet.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, 1);
    }
}

fn main() -> ExitCode {
    one_malloc_arena();
    // The sink programs' guardian is this binary, started by the monitor (see sinks::guardian).
    if sinks::guardian::is_guardian() {
        return sinks::guardian::run();
    }
    let cli = Cli::parse();
    let outcome = match &cli.command {
        Command::Watch(args) => watch(args),
        Command::Demo(args) => commands::demo::run(args),
        Command::Generate(args) => commands::generate::run(args),
        Command::Train(args) => commands::train::run(args),
        Command::Config(args) => commands::config::run(args),
        Command::History(args) => commands::history::run(args),
        Command::Silence(args) => commands::silence::run(args),
        Command::Replay(args) => commands::replay::run(args),
        Command::Completions { shell } => commands::docs::completions(*shell),
        Command::Man => commands::docs::man(),
        Command::ProfileSql(args) => commands::profile_sql::run(args),
    };
    // Sink programs never outlive the monitor, however the run ended.
    sinks::command::kill_all();
    match outcome {
        Ok(code) => code,
        // The reader of stdout has gone (`| head`): end quietly and successfully, as ripgrep.
        Err(e) if is_broken_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => {
            // File names and data text are quoted in errors: no escape reaches the terminal.
            eprintln!("ml-monitor: {}", sanitize::lines(&format!("{e:#}")));
            if e.downcast_ref::<UsageError>().is_some() {
                ExitCode::from(2)
            } else if e.downcast_ref::<history::lock::HistoryBusy>().is_some() {
                ExitCode::from(history::lock::BUSY_EXIT)
            } else {
                ExitCode::from(1)
            }
        }
    }
}

/// `watch`: the flags and the configuration resolved once into a run plan, then run.
fn watch(args: &cli::WatchArgs) -> anyhow::Result<ExitCode> {
    let plan = plan::RunPlan::resolve(args)?;
    match plan.mode {
        plan::Mode::Once => commands::once::run(&plan),
        plan::Mode::Headless => run::live::run_headless(&plan),
        plan::Mode::Tui => run::tui_mode::run_tui(&plan),
    }
}

/// Whether the error is a write to a closed stdout, however it was wrapped.
fn is_broken_pipe(e: &anyhow::Error) -> bool {
    use std::io::ErrorKind::BrokenPipe;
    e.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == BrokenPipe)
            || cause
                .downcast_ref::<serde_json::Error>()
                .and_then(serde_json::Error::io_error_kind)
                == Some(BrokenPipe)
            || cause
                .downcast_ref::<history::HistoryError>()
                .is_some_and(history::HistoryError::is_broken_pipe)
    })
}
