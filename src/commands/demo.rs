//! `ml-monitor demo`: the generator writes a window every interval into a temporary directory
//! while the TUI watches it; the directory is removed on exit.

use std::process::ExitCode;
use std::sync::mpsc::{channel, RecvTimeoutError};

use ml_monitor::config::DetectorKind;
use ml_monitor::generator::{Generator, GeneratorConfig};

use crate::cli::{DemoArgs, WatchArgs};
use crate::plan::RunPlan;
use crate::run::tui_mode;

pub(crate) fn run(args: &DemoArgs) -> anyhow::Result<ExitCode> {
    let dir = tempfile::Builder::new()
        .prefix("ml-monitor-demo-")
        .tempdir()?;
    let generator = Generator::new(GeneratorConfig {
        rows: args.rows,
        windows: args.windows,
        seed: args.seed,
        scenario: args.scenario,
        drift_start: args.drift_start,
    });
    let reference = generator.write_reference(dir.path())?;
    let (stop_tx, stop_rx) = channel::<()>();
    let out = dir.path().to_path_buf();
    let interval = args.interval;
    let limit = args.windows;
    let feeder = std::thread::Builder::new()
        .name("generator".into())
        .spawn(move || {
            let mut window = 1;
            while limit == 0 || window <= limit {
                if let Err(e) = generator.write_window(&out, window) {
                    log::error!("demo generator: {e}");
                    break;
                }
                window += 1;
                match stop_rx.recv_timeout(interval) {
                    Err(RecvTimeoutError::Timeout) => {}
                    _ => break,
                }
            }
        })?;
    let watch = WatchArgs {
        paths: vec![dir.path().to_path_buf()],
        reference: Some(reference),
        reference_stats: None,
        config: None,
        model: None,
        once: false,
        headless: false,
        format: None,
        history: None,
        no_history: true,
        poll: None,
        // The default set, and the classifier to show it too.
        detectors: Some(vec![
            DetectorKind::Ad,
            DetectorKind::Psi,
            DetectorKind::Chi2,
            DetectorKind::Pca,
            DetectorKind::Classifier,
        ]),
        columns: Default::default(),
        log_file: None,
        no_color: args.no_color,
        metrics: Default::default(),
        max_window_bytes: crate::file_bytes::DEFAULT_MAX_BYTES,
        sink_timeout: std::time::Duration::from_secs(10),
        no_config_discovery: true,
    };
    let outcome = RunPlan::resolve(&watch).and_then(|mut plan| {
        plan.title = "ml-monitor demo".into();
        tui_mode::run_tui(&plan)
    });
    drop(stop_tx);
    let _ = feeder.join();
    drop(dir);
    outcome
}
