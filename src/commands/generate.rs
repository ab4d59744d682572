//! `ml-monitor generate`: a synthetic reference and windows on disk.

use std::process::ExitCode;

use ml_monitor::generator::{Generator, GeneratorConfig};

use crate::cli::GenerateArgs;

pub(crate) fn run(args: &GenerateArgs) -> anyhow::Result<ExitCode> {
    std::fs::create_dir_all(&args.out)
        .map_err(|e| anyhow::anyhow!("{}: {e}", args.out.display()))?;
    let generator = Generator::new(GeneratorConfig {
        rows: args.rows,
        windows: args.windows,
        seed: args.seed,
        scenario: args.scenario,
        drift_start: args.drift_start,
    });
    let files = generator
        .write_all_as(&args.out, args.format)
        .map_err(|e| anyhow::anyhow!("{}: {e}", args.out.display()))?;
    eprintln!(
        "wrote {} {} files to {} (scenario {}, drift from window {})",
        files.len(),
        args.format,
        args.out.display(),
        args.scenario,
        args.drift_start
    );
    Ok(ExitCode::SUCCESS)
}
