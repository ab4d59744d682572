//! One `watch … --headless` child for the integration tests: its JSON lines on a channel, its
//! stderr kept for failure messages, and a start that returns once the monitor watches.
//!
//! The monitor says `ml-monitor: watching DIR …` on stderr after its watch on the directory is
//! set up, so a file that lands after that line is seen: tests wait for the line instead of
//! sleeping for start-up.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc::{channel, Receiver};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;

use super::{wait_exit, BIN};

/// How long a monitor may take to fit its reference and start watching.
const START_WITHIN: Duration = Duration::from_secs(60);

/// A running `--headless` monitor, killed on drop.
pub struct Headless {
    pub child: Child,
    pub lines: Receiver<String>,
    stderr: Arc<Mutex<String>>,
    /// Results collected by [`wait_for`](Self::wait_for) and [`drain`](Self::drain).
    pub seen: Vec<Value>,
}

impl Headless {
    /// `watch DIR --reference R --headless EXTRA…` (run in `cwd` when given), once it watches.
    pub fn start(cwd: Option<&Path>, dir: &Path, reference: &Path, extra: &[&str]) -> Headless {
        let mut command = Command::new(BIN);
        if let Some(cwd) = cwd {
            command.current_dir(cwd);
        }
        command
            .arg("watch")
            .arg(dir)
            .arg("--reference")
            .arg(reference)
            .arg("--headless")
            .args(extra);
        Headless::spawn(command)
    }

    /// Spawns a `--headless` command and returns once it watches.
    pub fn spawn(mut command: Command) -> Headless {
        let mut child = command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
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
        let (stderr, watching) = keep_stderr(&mut child);
        let mut headless = Headless {
            child,
            lines,
            stderr,
            seen: Vec::new(),
        };
        if watching.recv_timeout(START_WITHIN).is_err() {
            let status = headless.child.try_wait().ok().flatten();
            panic!(
                "the monitor did not start watching within {START_WITHIN:?} (exit {status:?}); stderr: {}",
                headless.stderr()
            );
        }
        headless
    }

    /// The next result, whether or not collected before; panics after `within`.
    pub fn next(&self, within: Duration) -> Value {
        let line = self
            .lines
            .recv_timeout(within)
            .unwrap_or_else(|_| panic!("no result within {within:?}; stderr: {}", self.stderr()));
        serde_json::from_str(&line).expect("JSON line")
    }

    /// Waits until `n` results in all have been collected (or the deadline passes).
    pub fn wait_for(&mut self, n: usize, within: Duration) -> &[Value] {
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

    /// Collects anything more that arrives within `quiet` of the last result.
    pub fn drain(&mut self, quiet: Duration) -> &[Value] {
        while let Ok(line) = self.lines.recv_timeout(quiet) {
            self.seen
                .push(serde_json::from_str(&line).expect("JSON line"));
        }
        &self.seen
    }

    /// What the monitor said on stderr so far.
    pub fn stderr(&self) -> String {
        self.stderr.lock().map(|s| s.clone()).unwrap_or_default()
    }

    /// Waits until the monitor's stderr holds `needle`; false after `within`.
    pub fn wait_stderr(&self, needle: &str, within: Duration) -> bool {
        self.wait_stderr_until(|s| s.contains(needle), within)
    }

    /// Waits until the monitor's stderr so far satisfies `done`; false after `within`.
    pub fn wait_stderr_until(&self, done: impl Fn(&str) -> bool, within: Duration) -> bool {
        let deadline = Instant::now() + within;
        while !done(&self.stderr()) {
            if Instant::now() > deadline {
                return false;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        true
    }

    /// Sends a signal by name (`TERM`, `KILL`, `HUP`, …).
    pub fn signal(&self, name: &str) {
        let status = Command::new("kill")
            .arg(format!("-{name}"))
            .arg(self.child.id().to_string())
            .status()
            .expect("kill runs");
        assert!(status.success());
    }

    /// SIGTERM, then its exit status (panics after 20 s).
    pub fn terminate(&mut self) -> ExitStatus {
        self.signal("TERM");
        wait_exit(&mut self.child, Duration::from_secs(20), "SIGTERM")
    }
}

impl Drop for Headless {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Keeps a child's stderr (piped) in a string, and says on the receiver when the monitor's
/// "watching" line has come.
pub fn keep_stderr(child: &mut Child) -> (Arc<Mutex<String>>, Receiver<()>) {
    let pipe = child.stderr.take().expect("piped stderr");
    let kept = Arc::new(Mutex::new(String::new()));
    let (tx, watching) = channel();
    {
        let kept = Arc::clone(&kept);
        std::thread::spawn(move || {
            for line in BufReader::new(pipe).lines().map_while(Result::ok) {
                if line.starts_with("ml-monitor: watching ") {
                    let _ = tx.send(());
                }
                if let Ok(mut s) = kept.lock() {
                    s.push_str(&line);
                    s.push('\n');
                }
            }
        });
    }
    (kept, watching)
}

/// Returns once a `--headless` child (stderr piped) watches; its stderr is read on, and dropped.
pub fn wait_until_watching(child: &mut Child) {
    let (stderr, watching) = keep_stderr(child);
    if watching.recv_timeout(START_WITHIN).is_err() {
        let text = stderr.lock().map(|s| s.clone()).unwrap_or_default();
        panic!("the monitor did not start watching within {START_WITHIN:?}; stderr: {text}");
    }
}
