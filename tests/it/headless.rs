//! The live watcher and history through the real binary in `--headless` mode: real files in
//! temporary directories, real signals.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{channel, Receiver};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::support::{tempdir, window_csv, BIN};

struct Monitor {
    child: Child,
    lines: Receiver<String>,
    seen: Vec<Value>,
}

impl Monitor {
    fn start(dir: &Path, reference: &Path, extra: &[&str]) -> Monitor {
        let mut child = Command::new(BIN)
            .arg("watch")
            .arg(dir)
            .arg("--reference")
            .arg(reference)
            .arg("--headless")
            .args(extra)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("starts");
        let stdout = child.stdout.take().expect("piped stdout");
        let (tx, lines) = channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Monitor {
            child,
            lines,
            seen: Vec::new(),
        }
    }

    /// Waits until `n` results in all have arrived (or the deadline passes).
    fn wait_for(&mut self, n: usize, within: Duration) -> &[Value] {
        let deadline = Instant::now() + within;
        while self.seen.len() < n {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => self
                    .seen
                    .push(serde_json::from_str(&line).expect("JSON line")),
                Err(_) => break,
            }
        }
        &self.seen
    }

    /// Collects anything more that arrives within `quiet`.
    fn drain(&mut self, quiet: Duration) -> &[Value] {
        while let Ok(line) = self.lines.recv_timeout(quiet) {
            self.seen
                .push(serde_json::from_str(&line).expect("JSON line"));
        }
        &self.seen
    }

    fn signal(&self, name: &str) {
        let status = Command::new("kill")
            .arg(format!("-{name}"))
            .arg(self.child.id().to_string())
            .status()
            .expect("kill runs");
        assert!(status.success());
    }

    fn stop(mut self) -> std::process::ExitStatus {
        self.signal("TERM");
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                return status;
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                panic!("monitor did not stop on SIGTERM");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Monitor {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

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
    let mut m = Monitor::start(&dir, &reference, &["--no-history"]);
    assert_eq!(
        names(m.wait_for(3, Duration::from_secs(30))),
        ["a.csv", "b.csv", "c.csv"]
    );
    drop_file(&dir, "0_late.csv", &window_csv(40, 2));
    assert_eq!(
        names(m.wait_for(4, Duration::from_secs(30)))[3],
        "0_late.csv"
    );
    assert!(m.stop().success(), "SIGTERM exits cleanly");
}

#[test]
fn a_slowly_written_file_is_processed_once_after_it_is_complete() {
    let (_root, dir, reference) = setup();
    let mut m = Monitor::start(&dir, &reference, &["--no-history"]);
    std::thread::sleep(Duration::from_millis(300));
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
    let mut m = Monitor::start(&dir, &reference, &["--history", &history_arg]);
    std::thread::sleep(Duration::from_millis(300));
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
    assert!(m.stop().success());
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
    let mut m = Monitor::start(&dir, &reference, &["--history", &history_arg]);
    assert_eq!(m.wait_for(10, Duration::from_secs(60)).len(), 10);
    assert!(m.stop().success());
    drop_file(&dir, "w10.csv", &window_csv(40, 10));
    let mut m = Monitor::start(&dir, &reference, &["--history", &history_arg]);
    assert_eq!(names(m.wait_for(1, Duration::from_secs(30))), ["w10.csv"]);
    assert_eq!(
        m.drain(Duration::from_millis(2500)).len(),
        1,
        "old files not reprocessed"
    );
    assert!(m.stop().success());
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
    let mut m = Monitor::start(&dir, &reference, &["--history", &history_arg]);
    std::thread::sleep(Duration::from_millis(300));
    for i in 0..200 {
        drop_file(&dir, &format!("w{i:03}.csv"), &window_csv(300, i));
    }
    // Kill it hard somewhere in the middle of the burst.
    m.wait_for(20, Duration::from_secs(60));
    m.signal("KILL");
    let _ = m.child.wait();
    drop(m);
    let mut m = Monitor::start(&dir, &reference, &["--history", &history_arg]);
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        m.drain(Duration::from_millis(500));
        if history_results(&history).len() >= 200 || Instant::now() > deadline {
            break;
        }
    }
    assert!(m.stop().success());
    let mut recorded = names(&history_results(&history));
    recorded.sort();
    let want: Vec<String> = (0..200).map(|i| format!("w{i:03}.csv")).collect();
    assert_eq!(recorded, want, "every window once, none twice");
}

#[test]
fn poll_mode_finds_files() {
    let (_root, dir, reference) = setup();
    let mut m = Monitor::start(&dir, &reference, &["--no-history", "--poll", "200ms"]);
    std::thread::sleep(Duration::from_millis(300));
    std::fs::write(dir.join("p.csv"), window_csv(40, 5)).expect("write");
    assert_eq!(names(m.wait_for(1, Duration::from_secs(30))), ["p.csv"]);
    assert!(m.stop().success());
}

#[test]
fn a_vanished_directory_does_not_crash_and_watching_resumes() {
    let (_root, dir, reference) = setup();
    let mut m = Monitor::start(&dir, &reference, &["--no-history"]);
    std::thread::sleep(Duration::from_millis(300));
    std::fs::remove_dir_all(&dir).expect("remove");
    std::thread::sleep(Duration::from_millis(2500));
    assert!(m.child.try_wait().expect("wait").is_none(), "still running");
    std::fs::create_dir(&dir).expect("recreate");
    std::thread::sleep(Duration::from_millis(2500));
    drop_file(&dir, "back.csv", &window_csv(40, 6));
    assert_eq!(names(m.wait_for(1, Duration::from_secs(30))), ["back.csv"]);
    assert!(m.stop().success());
}

#[test]
fn a_file_rewritten_under_an_old_name_is_a_new_window_after_restart() {
    let (root, dir, reference) = setup();
    let history = root.path().join("h.sqlite");
    let history_arg = history.to_string_lossy().to_string();
    std::fs::write(dir.join("w.csv"), window_csv(40, 1)).expect("write");
    let mut m = Monitor::start(&dir, &reference, &["--history", &history_arg]);
    assert_eq!(names(m.wait_for(1, Duration::from_secs(30))), ["w.csv"]);
    assert!(m.stop().success());
    // Same name, different content (size and mtime): processed again on restart.
    std::fs::write(dir.join("w.csv"), window_csv(80, 2)).expect("rewrite");
    let mut m = Monitor::start(&dir, &reference, &["--history", &history_arg]);
    let results = m.wait_for(1, Duration::from_secs(30)).to_vec();
    assert_eq!(names(&results), ["w.csv"]);
    assert_eq!(results[0]["rows"], 80);
    assert!(m.stop().success());
    assert_eq!(history_results(&history).len(), 2);
}
