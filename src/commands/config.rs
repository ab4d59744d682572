//! `ml-monitor config`: print the default file, or check one.

use std::process::ExitCode;

use ml_monitor::config::MonitorConfig;

use crate::cli::ConfigArgs;
use crate::error::UsageError;
use crate::plan::config_file::ConfigFile;

pub(crate) fn run(args: &ConfigArgs) -> anyhow::Result<ExitCode> {
    if let Some(path) = &args.check {
        let file = ConfigFile::read(path)?;
        // What `watch` checks beyond the file's own rules: the address resolves, the sinks'
        // variables are set, no two models watch one directory.
        if let Some(addr) = &file.metrics.addr {
            crate::prometheus::server::parse_addr(addr)
                .map_err(|e| UsageError(format!("{}: {e}", file.metrics_addr_at())))?;
        }
        file.sinks()?;
        let printed = file.printed()?;
        if !file.models.is_empty() {
            crate::plan::check_models(file)?;
        }
        crate::output::print(printed.as_bytes())?;
        return Ok(ExitCode::SUCCESS);
    }
    if args.print_default {
        crate::output::print(MonitorConfig::default_toml().as_bytes())?;
        return Ok(ExitCode::SUCCESS);
    }
    Err(UsageError("say what to do: --print-default or --check FILE".into()).into())
}
