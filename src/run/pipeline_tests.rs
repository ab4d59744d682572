use super::*;
use crate::file_bytes::{Access, DEFAULT_MAX_BYTES};
use crate::history::History;
use ml_monitor::monitoring::Incident;

fn csv(rows: std::ops::Range<usize>) -> String {
    rows.map(|i| format!("{},{}\n", i % 10, (i % 7) as f64 / 10.0))
        .collect()
}

fn pipeline(dir: &Path, first: Option<&Path>) -> Pipeline {
    Pipeline::new(&plan(dir, first)).expect("pipeline")
}

fn plan(dir: &Path, first: Option<&Path>) -> ModelPlan {
    let reference = dir.join("reference.csv");
    std::fs::write(&reference, format!("x,prediction\n{}", csv(0..200))).expect("reference");
    ModelPlan {
        name: "test".into(),
        path: dir.to_path_buf(),
        config: ml_monitor::config::MonitorConfig::default(),
        config_file: None,
        reference: ReferenceSource::Csv(reference),
        model: None,
        history: None,
        sinks: Vec::new(),
        monitor_name: String::new(),
        runbooks: Default::default(),
        labels: Default::default(),
        tui: Default::default(),
        load: Load {
            access: Access::Read,
            max_bytes: DEFAULT_MAX_BYTES,
        },
        histograms: false,
        prefetch: first.map(Path::to_path_buf),
        lock_wait: std::time::Duration::ZERO,
    }
}

/// What `--headless` and `--once` print, and what the first window under new settings carries:
/// a restart with another threshold closes the problem the last run left open, once.
#[test]
fn a_restart_with_other_thresholds_closes_the_open_problems_once() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut plan = plan(dir.path(), None);
    plan.history = Some(dir.path().join("history.sqlite"));
    let drifting = |name: &str| {
        let path = dir.path().join(name);
        let rows: String = (0..200)
            .map(|i| format!("{},{}\n", i % 10 + 50, (i % 7) as f64 / 10.0))
            .collect();
        std::fs::write(&path, format!("x,prediction\n{rows}")).expect("window");
        path
    };
    let mut first = Pipeline::new(&plan).expect("pipeline");
    assert_eq!(first.settings_note(), None);
    let processed = first.process(&drifting("w1.csv")).expect("processed");
    let open = first.monitor.incidents().open().count();
    assert!(open > 0, "{:?}", processed.report.result.alerts);
    drop(first);

    plan.config.alerts.prediction_shift = Some(0.2);
    let mut second = Pipeline::new(&plan).expect("pipeline");
    let problems = if open == 1 { "problem" } else { "problems" };
    assert_eq!(
        second.settings_note().as_deref(),
        Some(
            format!(
                "settings changed since the last run (thresholds): {open} open {problems} closed"
            )
            .as_str()
        )
    );
    let result = second
        .process(&drifting("w2.csv"))
        .expect("processed")
        .report
        .result;
    assert_eq!(
        result.metadata["settings_changed"],
        serde_json::json!({ "changed": ["thresholds"], "reference": "reference.csv", "closed": open })
    );
    let closed = result
        .incidents
        .iter()
        .take_while(|c| c.incident.resolved_reason.as_deref() == Some("settings_changed"))
        .count();
    assert_eq!(closed, open);
    // The next window is an ordinary one.
    let result = second
        .process(&drifting("w3.csv"))
        .expect("processed")
        .report
        .result;
    assert!(!result.metadata.contains_key("settings_changed"));
    drop(second);
    let third = Pipeline::new(&plan).expect("pipeline");
    assert_eq!(third.settings_note(), None, "the same settings again");
}

fn append(path: &Path, text: &str) {
    use std::io::Write;
    let mut file = std::fs::OpenOptions::new()
        .append(true)
        .open(path)
        .expect("open");
    file.write_all(text.as_bytes()).expect("append");
}

/// A window read ahead, then appended to before it is processed: the result (and the key it is
/// recorded under) describe one version, the rows and the bytes of the same file content.
#[test]
fn a_window_that_grew_after_it_was_read_ahead_is_one_version() {
    let dir = tempfile::tempdir().expect("tempdir");
    let window = dir.path().join("w.csv");
    std::fs::write(&window, format!("x,prediction\n{}", csv(0..50))).expect("window");
    let mut pipeline = pipeline(dir.path(), Some(&window));
    append(&window, &csv(50..80));
    let processed = pipeline.process(&window).expect("processed");
    let result = &processed.report.result;
    let size = std::fs::metadata(&window).expect("metadata").len();
    let key = processed.key.expect("key");
    assert_eq!(result.metadata["bytes"], serde_json::json!(key.size));
    assert_eq!(key.size, size);
    assert_eq!(result.rows, 80, "the rows of the version the key names");
}

/// The bytes read are those of the version the key names, however much is appended while the
/// window is read: with a writer appending rows as fast as it can, every result's rows match
/// its recorded size.
#[test]
fn rows_always_match_the_recorded_size_of_a_growing_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let window = dir.path().join("w.csv");
    let header = "x,prediction\n";
    let row = "5,0.5\n";
    std::fs::write(&window, header).expect("window");
    let mut pipeline = pipeline(dir.path(), None);
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let writer = {
        let (stop, window) = (stop.clone(), window.clone());
        std::thread::spawn(move || {
            use std::io::Write;
            let mut file = std::fs::OpenOptions::new()
                .append(true)
                .open(&window)
                .expect("open");
            // About 80,000 rows a second, 200,000 at most: the file grows during every read.
            let mut written = 0usize;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) && written < 200_000 {
                file.write_all(row.repeat(16).as_bytes()).expect("append");
                written += 16;
                std::thread::sleep(std::time::Duration::from_micros(200));
            }
        })
    };
    // On a loaded machine the writer may not have run yet: a file of its header alone is held
    // (not a window), so start once rows are arriving.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while std::fs::metadata(&window).map_or(0, |m| m.len()) < (header.len() + 64 * row.len()) as u64
        && std::time::Instant::now() < deadline
    {
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    let mut checked = 0;
    for _ in 0..100 {
        let Some(processed) = pipeline.process(&window) else {
            continue;
        };
        let Some(key) = processed.key else { continue };
        let result = &processed.report.result;
        if result.error.is_some() {
            continue;
        }
        // A version may end inside a row: Linux copies a write into the page cache a page at a
        // time and raises the file's size after each page, so a read can see a write that
        // crosses a page boundary half done (CI saw a version of 212,992 bytes = 52 pages: the
        // 13-byte header, 35,496 rows and the 3 bytes "5,0"). That partial row is part of the
        // version read, and counts as a row when it parses.
        let expected = (key.size as usize - header.len()).div_ceil(row.len());
        assert_eq!(result.rows, expected, "rows of {} bytes", key.size);
        checked += 1;
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    writer.join().expect("writer");
    // The file at rest, one row longer (a new version): every row is counted. However the
    // scheduler treated the loop above, at least this version is checked.
    {
        use std::io::Write;
        let mut file = std::fs::OpenOptions::new()
            .append(true)
            .open(&window)
            .expect("open");
        file.write_all(row.as_bytes()).expect("append");
    }
    let processed = pipeline
        .process(&window)
        .expect("a new version is processed");
    let key = processed.key.expect("its key");
    assert!(
        processed.report.result.error.is_none(),
        "{:?}",
        processed.report.result.error
    );
    let expected = (key.size as usize - header.len()) / row.len();
    assert_eq!(
        processed.report.result.rows, expected,
        "rows of {} bytes",
        key.size
    );
    checked += 1;
    assert!(checked > 0);
}

/// A run over rotating files (each deleted once processed) remembers at most 1,000 of them:
/// the map of last keys grew with every new file name up to 10,000 entries, about 2 MB (issue
/// 29, item 13).
#[test]
fn a_run_over_rotating_files_remembers_a_bounded_number_of_them() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut pipeline = pipeline(dir.path(), None);
    for i in 0..1_500 {
        let window = dir.path().join(format!("w{i:06}.csv"));
        std::fs::write(&window, format!("x,prediction\n{}", csv(i..i + 5))).expect("window");
        pipeline.process(&window).expect("processed");
        std::fs::remove_file(&window).expect("rotated away");
        assert!(
            pipeline.last_keys.len() <= 1_000,
            "{} files remembered after {i}",
            pipeline.last_keys.len()
        );
    }
}

/// Nothing in the binary reads the alert manager's list of raised alerts (the history database
/// keeps every one), so the pipeline keeps only the latest: at the library's default it held
/// 10,000 to 20,000 alerts, about 5 MB, and grew for thousands of windows.
#[test]
fn the_pipeline_keeps_no_list_of_raised_alerts() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut pipeline = pipeline(dir.path(), None);
    for i in 0..20 {
        let window = dir.path().join(format!("w{i:02}.csv"));
        // Every window drifts and shifts the predictions: alerts every time.
        let rows: String = (0..50)
            .map(|r| format!("{},{}\n", 100 + r % 3, 0.9))
            .collect();
        std::fs::write(&window, format!("x,prediction\n{rows}")).expect("window");
        let processed = pipeline.process(&window).expect("processed");
        assert!(
            !processed.report.result.alerts.is_empty(),
            "window {i} alerts"
        );
    }
    assert!(pipeline.monitor.alert_manager().history().len() <= 1);
}

/// A window that cannot be used (none of the reference's columns): a `window_error` problem of
/// its own, which neither updates nor resolves the others.
fn unusable(dir: &Path, name: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, "a,b\n1,2\n").expect("window");
    path
}

/// A window whose `x` drifts by `shift` (0: clean).
fn shifted(dir: &Path, name: &str, shift: usize) -> PathBuf {
    let path = dir.join(name);
    let rows: String = (0..200)
        .map(|i| format!("{},{}\n", i % 10 + shift, (i % 7) as f64 / 10.0))
        .collect();
    std::fs::write(&path, format!("x,prediction\n{rows}")).expect("window");
    path
}

/// Issue 29: a window's history write is what changed in it, not every open problem. The 31st
/// unusable window, with 30 problems open, writes as many rows as the 2nd did with one open (on
/// the full rewrite it wrote 29 more).
#[test]
fn a_window_writes_as_many_rows_with_thirty_problems_open_as_with_one() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut plan = plan(dir.path(), None);
    plan.history = Some(dir.path().join("history.sqlite"));
    let mut pipeline = Pipeline::new(&plan).expect("pipeline");
    let mut written = Vec::new();
    for i in 0..31 {
        let before = pipeline.history.as_ref().map_or(0, History::rows_written);
        let processed = pipeline
            .process(&unusable(dir.path(), &format!("w{i:02}.csv")))
            .expect("processed");
        assert!(processed.unstored.is_none());
        assert_eq!(processed.report.result.incidents.len(), 1);
        written.push(pipeline.history.as_ref().map_or(0, History::rows_written) - before);
    }
    assert_eq!(pipeline.monitor.incidents().open().count(), 31);
    assert!(written[1] > 0);
    assert_eq!(
        written[30], written[1],
        "rows written per window: {written:?}"
    );
}

/// What a window leaves in the history is what the tracker holds: after every window of a mix
/// (drift kept firing and aged by `resolve_after`, a clean stretch that resolves it, unusable
/// windows that touch only their own problem) the stored firing problems equal the open ones,
/// and a restart continues exactly these.
#[test]
fn the_stored_firing_problems_are_the_open_ones_after_every_window() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut plan = plan(dir.path(), None);
    plan.history = Some(dir.path().join("history.sqlite"));
    plan.config.alerts.resolve_after = 3;
    let mut pipeline = Pipeline::new(&plan).expect("pipeline");
    let shifts = [50, 50, 0, 50, 0, 0, 0, 0, 0, 80, 80];
    for (i, &shift) in shifts.iter().enumerate() {
        let path = if i % 3 == 2 {
            unusable(dir.path(), &format!("w{i:02}.csv"))
        } else {
            shifted(dir.path(), &format!("w{i:02}.csv"), shift)
        };
        pipeline.process(&path).expect("processed");
        let open: Vec<Incident> = pipeline.monitor.incidents().open().cloned().collect();
        let stored: Vec<Incident> = pipeline
            .history
            .as_ref()
            .expect("history")
            .incidents(true, None)
            .expect("incidents")
            .into_iter()
            .map(|s| s.incident)
            .collect();
        assert_eq!(stored, open, "after window {i}");
    }
    let open: Vec<Incident> = pipeline.monitor.incidents().open().cloned().collect();
    assert!(!open.is_empty());
    drop(pipeline);
    let restarted = Pipeline::new(&plan).expect("pipeline");
    let restored: Vec<Incident> = restarted.monitor.incidents().open().cloned().collect();
    assert_eq!(restored, open);
}

/// Only the TUI is given the firing incidents with each window (`--once` and `--headless` print
/// the changes): with thousands open, copying them all per window cost more than the window.
#[test]
fn only_the_tui_is_given_the_firing_problems_with_each_window() {
    let dir = tempfile::tempdir().expect("tempdir");
    for tui in [false, true] {
        let mut plan = plan(dir.path(), None);
        plan.histograms = tui;
        let mut pipeline = Pipeline::new(&plan).expect("pipeline");
        let processed = pipeline
            .process(&unusable(dir.path(), &format!("w{tui}.csv")))
            .expect("processed");
        assert_eq!(pipeline.monitor.incidents().open().count(), 1);
        assert_eq!(processed.report.firing.len(), usize::from(tui));
    }
}
