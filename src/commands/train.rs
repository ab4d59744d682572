//! `ml-monitor train`: fit a model on a CSV and save it.

use std::process::ExitCode;

use crate::cli::TrainArgs;
use crate::pipeline::UsageError;

pub fn run(_args: &TrainArgs) -> anyhow::Result<ExitCode> {
    Err(UsageError("train: not wired yet".into()).into())
}
