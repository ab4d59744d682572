//! The worker tells the TUI what late labels realised: one `Realised` event per window they
//! changed, after that window's own event (labels held for a window not seen yet included).

use std::path::Path;
use std::sync::mpsc;

use super::*;
use crate::app_event::RealisedWindow;
use crate::file_bytes::{Access, DEFAULT_MAX_BYTES};
use crate::plan::{Load, ModelPlan, ReferenceSource};

const ROWS: usize = 40;

fn rows(prefix: &str, with_target: bool) -> String {
    (0..ROWS)
        .map(|i| {
            let p = (i % 10) as f64 / 10.0;
            let target = if with_target {
                format!(",{}", u8::from(i % 3 == 0))
            } else {
                String::new()
            };
            format!("{prefix}{i},{},{p}{target}\n", (i % 7) as f64)
        })
        .collect()
}

fn pipeline(dir: &Path) -> Pipeline {
    let reference = dir.join("reference.csv");
    let text = format!("id,x,prediction,target\n{}", rows("r", true).repeat(5));
    std::fs::write(&reference, text).expect("reference");
    let mut config = ml_monitor::config::MonitorConfig::default();
    config.columns.id = Some("id".into());
    let plan = ModelPlan {
        name: "test".into(),
        path: dir.to_path_buf(),
        config,
        config_file: None,
        reference: ReferenceSource::Csv(reference),
        model: None,
        history: Some(dir.join("history.sqlite")),
        sinks: Vec::new(),
        monitor_name: String::new(),
        runbooks: Default::default(),
        load: Load {
            access: Access::Read,
            max_bytes: DEFAULT_MAX_BYTES,
        },
        histograms: false,
        prefetch: None,
        lock_wait: std::time::Duration::ZERO,
        labels: Default::default(),
        tui: Default::default(),
    };
    Pipeline::new(&plan).expect("pipeline")
}

/// Labels for the first `n` rows of the window whose ids start with `prefix`.
fn labels(dir: &Path, name: &str, prefix: &str, n: usize) -> std::path::PathBuf {
    let text: String = (0..n)
        .map(|i| format!("{prefix}{i},{}\n", u8::from(i % 3 == 0)))
        .collect();
    let path = dir.join(name);
    std::fs::write(&path, format!("id,target\n{text}")).expect("labels");
    path
}

fn window(dir: &Path, name: &str, prefix: &str) -> std::path::PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, format!("id,x,prediction\n{}", rows(prefix, false))).expect("window");
    path
}

/// Runs the worker over `files`, then returns what it told the view (windows by name, and
/// realised figures).
fn run(dir: &Path, files: Vec<std::path::PathBuf>) -> Vec<Result<String, RealisedWindow>> {
    let (work_tx, work_rx) = mpsc::channel();
    let (events_tx, events_rx) = mpsc::channel();
    for f in files {
        work_tx.send(Work::File(f)).expect("send");
    }
    work_tx.send(Work::Stop).expect("send");
    let error = work_loop(
        pipeline(dir),
        None,
        work_rx,
        events_tx,
        watch::Forgetter::none(),
        None,
    );
    assert!(error.is_none(), "{error:?}");
    events_rx
        .try_iter()
        .filter_map(|e| match e {
            AppEvent::Window(w) => Some(Ok(w.result.window)),
            AppEvent::Realised(r) => Some(Err(*r)),
            _ => None,
        })
        .collect()
}

#[test]
fn late_labels_reach_the_view_as_one_event_per_window_after_the_window() {
    let root = tempfile::tempdir().expect("tempdir");
    let dir = root.path();
    let w1 = window(dir, "w1.csv", "a");
    // 32 of w1's 40 rows labelled; labels for w2 come before w2 and are held.
    let first = labels(dir, "1.labels.csv", "a", 32);
    let second = labels(dir, "2.labels.csv", "b", 10);
    let w2 = window(dir, "w2.csv", "b");
    let events = run(dir, vec![w1, first, second, w2]);
    let names = |e: &Result<String, RealisedWindow>| match e {
        Ok(w) => format!("window {w}"),
        Err(r) => format!("realised {} {}/{}", r.window, r.labelled_rows, r.rows),
    };
    assert_eq!(
        events.iter().map(names).collect::<Vec<_>>(),
        vec![
            "window w1.csv",
            "realised w1.csv 32/40",
            "window w2.csv",
            "realised w2.csv 10/40",
        ]
    );
    let Some(Err(realised)) = events.get(1) else {
        panic!("{events:?}");
    };
    let accuracy = realised.performance.as_ref().map(|p| p.headline());
    assert!(
        matches!(accuracy, Some(("accuracy", a)) if (0.0..=1.0).contains(&a)),
        "{accuracy:?}"
    );
}
