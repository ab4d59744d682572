//! `ml-monitor completions SHELL` and `ml-monitor man`: generated from the same clap
//! definition the parser uses, so they never disagree with it.

use std::process::ExitCode;

use clap::CommandFactory;

use crate::cli::Cli;

pub(crate) fn completions(shell: clap_complete::Shell) -> anyhow::Result<ExitCode> {
    let mut command = Cli::command();
    // Generated into memory first: clap_complete panics when its writer fails.
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut command, "ml-monitor", &mut out);
    crate::output::print(&out)?;
    Ok(ExitCode::SUCCESS)
}

pub(crate) fn man() -> anyhow::Result<ExitCode> {
    let mut out = Vec::new();
    clap_mangen::Man::new(Cli::command()).render(&mut out)?;
    crate::output::print(&out)?;
    Ok(ExitCode::SUCCESS)
}
