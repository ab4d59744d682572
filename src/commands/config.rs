//! `ml-monitor config`: print the default file, or check one.

use std::process::ExitCode;

use ml_monitor::MonitorConfig;

use crate::cli::ConfigArgs;
use crate::error::UsageError;

pub(crate) fn run(args: &ConfigArgs) -> anyhow::Result<ExitCode> {
    if let Some(path) = &args.check {
        let config = MonitorConfig::from_file(path).map_err(|e| UsageError(e.to_string()))?;
        // What `watch` checks beyond the file's own rules: the address resolves.
        if let Some(addr) = &config.metrics.addr {
            crate::prometheus::server::parse_addr(addr).map_err(|e| {
                let text = std::fs::read_to_string(path).unwrap_or_default();
                let line = ml_monitor::config::locate::line_of_path(
                    &text,
                    &ml_monitor::config::locate::steps("metrics.addr"),
                )
                .map(|l| format!("line {l}: "))
                .unwrap_or_default();
                UsageError(format!("{}: {line}metrics.addr: {e}", path.display()))
            })?;
        }
        if !config.sinks.is_empty() || !config.models.is_empty() {
            let text = std::fs::read_to_string(path)
                .map_err(|e| UsageError(format!("{}: cannot read: {e}", path.display())))?;
            crate::sinks::config::parse(&text, path).map_err(UsageError)?;
            if !config.models.is_empty() {
                crate::plan::check_models(path, &text)?;
            }
        }
        crate::output::print(toml::to_string_pretty(&config)?.as_bytes())?;
        return Ok(ExitCode::SUCCESS);
    }
    if args.print_default {
        crate::output::print(MonitorConfig::default_toml().as_bytes())?;
        return Ok(ExitCode::SUCCESS);
    }
    Err(UsageError("say what to do: --print-default or --check FILE".into()).into())
}
