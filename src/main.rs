//! `ml-monitor`: parses arguments and dispatches. The binary wires the library to a directory
//! watcher, a SQLite history, headless output and the terminal UI; it evaluates nothing itself.
//!
//! Exit status: 0 no alert above INFO, 3 a WARNING, 4 a CRITICAL (`--once`), 1 an error that
//! stopped the run, 2 bad usage.

// Nothing from outside the program (files, config, channels) may panic the monitor.
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used))]

mod app_event;
mod cli;
mod commands;
mod file_bytes;
mod history;
mod output;
mod pipeline;
mod signals;
mod sinks;
mod tui;
mod watch;

use std::process::ExitCode;

use clap::Parser;

use cli::{Cli, Command};
use pipeline::UsageError;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let outcome = match &cli.command {
        Command::Watch(args) if args.once => commands::once::run(args),
        Command::Watch(args) if args.headless => commands::live::run_headless(args),
        Command::Watch(args) => commands::live::run_tui(args, "ml-monitor"),
        Command::Demo(args) => commands::demo::run(args),
        Command::Generate(args) => commands::generate::run(args),
        Command::Train(args) => commands::train::run(args),
        Command::Config(args) => commands::config::run(args),
        Command::History(args) => commands::history::run(args),
    };
    match outcome {
        Ok(code) => code,
        Err(e) => {
            eprintln!("ml-monitor: {e:#}");
            if e.downcast_ref::<UsageError>().is_some() {
                ExitCode::from(2)
            } else {
                ExitCode::from(1)
            }
        }
    }
}
