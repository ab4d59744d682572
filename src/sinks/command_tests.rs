use super::*;

use std::path::Path;
use std::sync::mpsc;

/// Whether a process is running (a zombie waiting for its parent is not).
fn alive(pid: i32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|stat| {
            let state = stat.rsplit_once(')')?.1.trim_start().chars().next()?;
            Some(state != 'Z' && state != 'X')
        })
        .unwrap_or(false)
}

/// The pids a sink program wrote to `file`; killed when dropped, whatever the test found.
struct Pids(std::path::PathBuf);

impl Pids {
    fn read(&self) -> Vec<i32> {
        std::fs::read_to_string(&self.0)
            .unwrap_or_default()
            .split_whitespace()
            .filter_map(|p| p.parse().ok())
            .collect()
    }
}

impl Drop for Pids {
    fn drop(&mut self) {
        for pid in self.read() {
            kill_group(pid);
            // SAFETY: kill(2) on a pid this test's program wrote; no memory is involved.
            unsafe {
                libc::kill(pid, libc::SIGKILL);
            }
        }
    }
}

fn wait_until(within: Duration, mut done: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + within;
    while !done() {
        if Instant::now() >= deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    true
}

/// A shell that starts a background `sleep` and becomes another, both never reading stdin;
/// their pids go to `pids`.
fn sleepers(pids: &Path) -> Vec<String> {
    vec![
        "/bin/sh".into(),
        "-c".into(),
        format!(
            "sleep 3600 & echo $! > {p}; echo $$ >> {p}; exec sleep 3600",
            p = pids.display()
        ),
    ]
}

/// Issue 29, item 3: a program that never reads a document larger than a pipe holds used to
/// hold the sender in `write_all` for ever, past its timeout. It is killed at its timeout,
/// with what it started.
#[test]
fn a_program_that_never_reads_a_large_document_is_killed_at_its_timeout() {
    let dir = tempfile::tempdir().expect("tempdir");
    let pids = Pids(dir.path().join("pids"));
    let argv = sleepers(&pids.0);
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let document = "x".repeat(4 << 20);
        let _ = tx.send(run(&argv, &document, Duration::from_millis(300)));
    });
    let outcome = rx
        .recv_timeout(Duration::from_secs(60))
        .expect("run returns after its timeout, not blocked writing stdin");
    assert!(
        matches!(&outcome, Outcome::Retry(e) if e.contains("timed out")),
        "{outcome:?}"
    );
    let started = pids.read();
    assert_eq!(started.len(), 2, "both sleeps started: {started:?}");
    assert!(
        wait_until(Duration::from_secs(10), || !started
            .iter()
            .any(|&p| alive(p))),
        "left running: {:?}",
        started.iter().filter(|&&p| alive(p)).collect::<Vec<_>>()
    );
}

/// A document far larger than a pipe reaches a program that reads it, whole.
#[test]
fn a_large_document_reaches_a_reading_program_whole() {
    let dir = tempfile::tempdir().expect("tempdir");
    let got = dir.path().join("got");
    let document: String = (0..200_000).map(|i| format!("{i},")).collect();
    let outcome = run(
        &[
            "/bin/sh".into(),
            "-c".into(),
            format!("cat > {}", got.display()),
        ],
        &document,
        Duration::from_secs(30),
    );
    assert_eq!(outcome, Outcome::Delivered);
    assert_eq!(std::fs::read_to_string(&got).expect("written"), document);
}

/// What a program leaves in the background goes when it exits; its exit status decides.
#[test]
fn what_a_program_leaves_behind_goes_with_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let pids = Pids(dir.path().join("pids"));
    let outcome = run(
        &[
            "/bin/sh".into(),
            "-c".into(),
            format!("sleep 3600 & echo $! > {}; exit 3", pids.0.display()),
        ],
        "{}",
        Duration::from_secs(30),
    );
    assert!(
        matches!(&outcome, Outcome::Retry(e) if e.contains("exit status: 3")),
        "{outcome:?}"
    );
    let started = pids.read();
    assert_eq!(started.len(), 1, "{started:?}");
    assert!(wait_until(Duration::from_secs(10), || !alive(started[0])));
    assert_eq!(
        run(&["true".into()], "{}", Duration::from_secs(30)),
        Outcome::Delivered
    );
}
