//! The live watcher and history through the real binary in `--headless` mode: real files in
//! temporary directories, real signals.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::support::headless::Headless;
use crate::support::{tempdir, window_csv, BIN};

fn names(results: &[Value]) -> Vec<String> {
    results
        .iter()
        .map(|r| r["window"].as_str().unwrap_or("?").to_string())
        .collect()
}

fn setup() -> (tempfile::TempDir, PathBuf, PathBuf) {
    let root = tempdir();
    let dir = root.path().join("windows");
    std::fs::create_dir(&dir).expect("mkdir");
    let reference = root.path().join("reference.csv");
    std::fs::write(&reference, window_csv(60, 0)).expect("reference");
    (root, dir, reference)
}

fn drop_file(dir: &Path, name: &str, text: &str) {
    let tmp = dir.join(format!(".{name}.tmp"));
    std::fs::write(&tmp, text).expect("write tmp");
    std::fs::rename(&tmp, dir.join(name)).expect("rename");
}

fn history_results(history: &Path) -> Vec<Value> {
    let out = Command::new(BIN)
        .args(["history", "export", "--format", "json", "--history"])
        .arg(history)
        .output()
        .expect("export runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice::<Vec<Value>>(&out.stdout).expect("export is a JSON array")
}

#[test]
fn files_present_at_start_come_in_name_order_then_arrivals() {
    let (_root, dir, reference) = setup();
    for name in ["b.csv", "a.csv", "c.csv"] {
        std::fs::write(dir.join(name), window_csv(40, 1)).expect("write");
    }
    let mut m = Headless::start(None, &dir, &reference, &["--no-history"]);
    assert_eq!(
        names(m.wait_for(3, Duration::from_secs(30))),
        ["a.csv", "b.csv", "c.csv"]
    );
    drop_file(&dir, "0_late.csv", &window_csv(40, 2));
    assert_eq!(
        names(m.wait_for(4, Duration::from_secs(30)))[3],
        "0_late.csv"
    );
    assert!(m.terminate().success(), "SIGTERM exits cleanly");
}

#[test]
fn a_slowly_written_file_is_processed_once_after_it_is_complete() {
    let (_root, dir, reference) = setup();
    let mut m = Headless::start(None, &dir, &reference, &["--no-history"]);
    let text = window_csv(200, 3);
    let bytes = text.as_bytes();
    let mut file = std::fs::File::create(dir.join("slow.csv")).expect("create");
    for chunk in bytes.chunks(bytes.len() / 5 + 1) {
        file.write_all(chunk).expect("write");
        file.flush().expect("flush");
        std::thread::sleep(Duration::from_millis(150));
    }
    drop(file);
    let results = m.wait_for(1, Duration::from_secs(30)).to_vec();
    assert_eq!(names(&results), ["slow.csv"]);
    assert_eq!(results[0]["rows"], 200, "read only once complete");
    assert_eq!(results[0]["error"], Value::Null);
    assert_eq!(
        m.drain(Duration::from_millis(3000)).len(),
        1,
        "processed once"
    );
}

#[test]
fn a_thousand_files_at_once_give_a_thousand_results_in_order_each_once() {
    let (root, dir, reference) = setup();
    let history = root.path().join("h.sqlite");
    let history_arg = history.to_string_lossy().to_string();
    let mut m = Headless::start(None, &dir, &reference, &["--history", &history_arg]);
    // Written elsewhere, then moved in one after another: a burst of arrivals.
    let staging = root.path().join("staging");
    std::fs::create_dir(&staging).expect("mkdir");
    let text = window_csv(40, 4);
    for i in 0..1000 {
        std::fs::write(staging.join(format!("w{i:04}.csv")), &text).expect("write");
    }
    for i in 0..1000 {
        let name = format!("w{i:04}.csv");
        std::fs::rename(staging.join(&name), dir.join(&name)).expect("move in");
    }
    let got = names(m.wait_for(1000, Duration::from_secs(120)));
    let want: Vec<String> = (0..1000).map(|i| format!("w{i:04}.csv")).collect();
    assert_eq!(got, want);
    assert_eq!(
        m.drain(Duration::from_millis(2500)).len(),
        1000,
        "each once"
    );
    assert!(m.terminate().success());
    assert_eq!(history_results(&history).len(), 1000);
}

#[test]
fn a_restart_processes_only_new_files_and_the_history_holds_each_once() {
    let (root, dir, reference) = setup();
    let history = root.path().join("h.sqlite");
    let history_arg = history.to_string_lossy().to_string();
    for i in 0..10 {
        std::fs::write(dir.join(format!("w{i:02}.csv")), window_csv(40, i)).expect("write");
    }
    let mut m = Headless::start(None, &dir, &reference, &["--history", &history_arg]);
    assert_eq!(m.wait_for(10, Duration::from_secs(60)).len(), 10);
    assert!(m.terminate().success());
    drop_file(&dir, "w10.csv", &window_csv(40, 10));
    let mut m = Headless::start(None, &dir, &reference, &["--history", &history_arg]);
    assert_eq!(names(m.wait_for(1, Duration::from_secs(30))), ["w10.csv"]);
    assert_eq!(
        m.drain(Duration::from_millis(2500)).len(),
        1,
        "old files not reprocessed"
    );
    assert!(m.terminate().success());
    let mut recorded = names(&history_results(&history));
    recorded.sort();
    let want: Vec<String> = (0..11).map(|i| format!("w{i:02}.csv")).collect();
    assert_eq!(recorded, want);
}

#[test]
fn kill_9_during_a_burst_then_restart_records_every_window_exactly_once() {
    let (root, dir, reference) = setup();
    let history = root.path().join("h.sqlite");
    let history_arg = history.to_string_lossy().to_string();
    let mut m = Headless::start(None, &dir, &reference, &["--history", &history_arg]);
    for i in 0..200 {
        drop_file(&dir, &format!("w{i:03}.csv"), &window_csv(300, i));
    }
    // Kill it hard somewhere in the middle of the burst.
    m.wait_for(20, Duration::from_secs(60));
    m.signal("KILL");
    let _ = m.child.wait();
    drop(m);
    let mut m = Headless::start(None, &dir, &reference, &["--history", &history_arg]);
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        m.drain(Duration::from_millis(500));
        if history_results(&history).len() >= 200 || Instant::now() > deadline {
            break;
        }
    }
    assert!(m.terminate().success());
    let mut recorded = names(&history_results(&history));
    recorded.sort();
    let want: Vec<String> = (0..200).map(|i| format!("w{i:03}.csv")).collect();
    assert_eq!(recorded, want, "every window once, none twice");
}

#[test]
fn poll_mode_finds_files() {
    let (_root, dir, reference) = setup();
    let mut m = Headless::start(None, &dir, &reference, &["--no-history", "--poll", "200ms"]);
    std::fs::write(dir.join("p.csv"), window_csv(40, 5)).expect("write");
    assert_eq!(names(m.wait_for(1, Duration::from_secs(30))), ["p.csv"]);
    assert!(m.terminate().success());
}

#[test]
fn a_vanished_directory_does_not_crash_and_watching_resumes() {
    let (_root, dir, reference) = setup();
    let mut m = Headless::start(None, &dir, &reference, &["--no-history"]);
    std::fs::remove_dir_all(&dir).expect("remove");
    let lost = |s: &str| {
        s.lines()
            .any(|l| l.ends_with(" was removed") || l.contains(": cannot read "))
    };
    assert!(
        m.wait_stderr_until(lost, Duration::from_secs(30)),
        "the watcher says it lost the directory: {}",
        m.stderr()
    );
    assert!(m.child.try_wait().expect("wait").is_none(), "still running");
    std::fs::create_dir(&dir).expect("recreate");
    assert!(
        m.wait_stderr("ml-monitor: watching again", Duration::from_secs(30)),
        "{}",
        m.stderr()
    );
    drop_file(&dir, "back.csv", &window_csv(40, 6));
    assert_eq!(names(m.wait_for(1, Duration::from_secs(30))), ["back.csv"]);
    assert!(m.terminate().success());
}

#[test]
fn a_file_rewritten_under_an_old_name_is_a_new_window_after_restart() {
    let (root, dir, reference) = setup();
    let history = root.path().join("h.sqlite");
    let history_arg = history.to_string_lossy().to_string();
    std::fs::write(dir.join("w.csv"), window_csv(40, 1)).expect("write");
    let mut m = Headless::start(None, &dir, &reference, &["--history", &history_arg]);
    assert_eq!(names(m.wait_for(1, Duration::from_secs(30))), ["w.csv"]);
    assert!(m.terminate().success());
    // Same name, different content (size and mtime): processed again on restart.
    std::fs::write(dir.join("w.csv"), window_csv(80, 2)).expect("rewrite");
    let mut m = Headless::start(None, &dir, &reference, &["--history", &history_arg]);
    let results = m.wait_for(1, Duration::from_secs(30)).to_vec();
    assert_eq!(names(&results), ["w.csv"]);
    assert_eq!(results[0]["rows"], 80);
    assert!(m.terminate().success());
    assert_eq!(history_results(&history).len(), 2);
}
