//! End-to-end test of the live UI: the real binary in a pseudo-terminal.
//!
//! It starts `ml-monitor watch DIR --reference DIR/reference.csv --no-history` on an empty
//! directory, waits for the UI, drops a window the way a careful writer does (a dotfile renamed
//! into place), reads the screen until the window's name shows, presses `q`, and checks the exit
//! status and that the alternate screen was left. Every wait has a deadline and the child is
//! killed past it, so the test can fail but never hang CI.

use std::fs;
use std::io::{Read, Write};
use std::path::Path;
use std::sync::mpsc::{self, Receiver};
use std::thread;
use std::time::{Duration, Instant};

use portable_pty::{native_pty_system, Child, CommandBuilder, PtySize};

/// The whole test's budget.
const DEADLINE: Duration = Duration::from_secs(20);
const LEAVE_ALTERNATE_SCREEN: &str = "\u{1b}[?1049l";

fn write_csv(path: &Path, rows: usize, shift: f64) -> std::io::Result<()> {
    let mut text = String::from("x0,x1,city,prediction\n");
    for i in 0..rows {
        let x0 = (i % 17) as f64 / 17.0 + shift;
        let x1 = ((i * 7) % 23) as f64 - 11.0;
        let city = ["paris", "lyon", "nice"][i % 3];
        let p = (i % 10) as f64 / 10.0;
        text.push_str(&format!("{x0},{x1},{city},{p}\n"));
    }
    fs::write(path, text)
}

/// Everything the child wrote, as text (escape sequences kept).
struct Screen {
    output: Receiver<Vec<u8>>,
    seen: String,
}

impl Screen {
    /// Reads until `needle` appears or `deadline` passes; whether it appeared.
    fn wait_for(&mut self, needle: &str, deadline: Instant) -> bool {
        while !self.seen.contains(needle) {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return false;
            }
            match self
                .output
                .recv_timeout(left.min(Duration::from_millis(200)))
            {
                Ok(bytes) => self.seen.push_str(&String::from_utf8_lossy(&bytes)),
                Err(mpsc::RecvTimeoutError::Timeout) => {}
                Err(mpsc::RecvTimeoutError::Disconnected) => return self.seen.contains(needle),
            }
        }
        true
    }

    /// Takes in what has arrived without waiting.
    fn drain(&mut self) {
        while let Ok(bytes) = self.output.try_recv() {
            self.seen.push_str(&String::from_utf8_lossy(&bytes));
        }
    }

    /// The last part of the output, escapes made visible, for failure messages.
    fn tail(&self) -> String {
        let start = self.seen.len().saturating_sub(3000);
        let start = (start..self.seen.len())
            .find(|&i| self.seen.is_char_boundary(i))
            .unwrap_or(0);
        self.seen[start..].escape_debug().to_string()
    }
}

/// Kills the child if the test ends (by failure) while it still runs.
struct KillOnDrop(Box<dyn Child + Send + Sync>);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        if let Ok(None) = self.0.try_wait() {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
}

/// A running `ml-monitor watch` in a pseudo-terminal.
struct Session {
    child: KillOnDrop,
    screen: Screen,
    keyboard: Box<dyn Write + Send>,
    deadline: Instant,
}

fn start(dir: &Path, reference: &Path, extra: &[&str]) -> anyhow::Result<Session> {
    let deadline = Instant::now() + DEADLINE;
    let pty = native_pty_system().openpty(PtySize {
        rows: 30,
        cols: 110,
        pixel_width: 0,
        pixel_height: 0,
    })?;
    let mut command = CommandBuilder::new(env!("CARGO_BIN_EXE_ml-monitor"));
    command.arg("watch");
    command.arg(dir);
    command.arg("--reference");
    command.arg(reference);
    for arg in extra {
        command.arg(arg);
    }
    command.cwd(dir);
    command.env("TERM", "xterm-256color");
    command.env_remove("NO_COLOR");
    let child = KillOnDrop(pty.slave.spawn_command(command)?);
    drop(pty.slave);

    let mut reader = pty.master.try_clone_reader()?;
    let keyboard = pty.master.take_writer()?;
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        let mut buf = [0u8; 8192];
        while let Ok(n) = reader.read(&mut buf) {
            if n == 0 || tx.send(buf[..n].to_vec()).is_err() {
                break;
            }
        }
    });
    let mut screen = Screen {
        output: rx,
        seen: String::new(),
    };
    assert!(
        screen.wait_for("waiting for the first window", deadline),
        "the UI never drew its status line; output:\n{}",
        screen.tail()
    );
    Ok(Session {
        child,
        screen,
        keyboard,
        deadline,
    })
}

impl Session {
    /// Waits for the child to exit, then checks it exited 0 and restored the terminal.
    fn assert_exits_restored(mut self, how: &str) -> anyhow::Result<()> {
        let status = loop {
            if let Some(status) = self.child.0.try_wait()? {
                break status;
            }
            assert!(
                Instant::now() < self.deadline,
                "{how} did not end the UI within {DEADLINE:?}; output:\n{}",
                self.screen.tail()
            );
            thread::sleep(Duration::from_millis(50));
        };
        self.screen.wait_for(
            LEAVE_ALTERNATE_SCREEN,
            Instant::now() + Duration::from_secs(2),
        );
        self.screen.drain();
        assert!(
            status.success(),
            "{how}: exit status {status:?}; output:\n{}",
            self.screen.tail()
        );
        assert!(
            self.screen.seen.contains(LEAVE_ALTERNATE_SCREEN),
            "{how}: the alternate screen was not left; output:\n{}",
            self.screen.tail()
        );
        Ok(())
    }
}

#[test]
fn watch_shows_a_new_window_and_q_restores_the_terminal() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let reference = dir.path().join("reference.csv");
    write_csv(&reference, 200, 0.0)?;
    let mut session = start(dir.path(), &reference, &["--no-history"])?;

    let hidden = dir.path().join(".batch_7731.csv.tmp");
    write_csv(&hidden, 120, 0.5)?;
    fs::rename(&hidden, dir.path().join("batch_7731.csv"))?;
    let deadline = session.deadline;
    assert!(
        session.screen.wait_for("batch_7731.csv", deadline),
        "the new window never appeared on screen; output:\n{}",
        session.screen.tail()
    );

    session.keyboard.write_all(b"q")?;
    session.keyboard.flush()?;
    session.assert_exits_restored("q")
}

#[test]
fn sigterm_and_sighup_restore_the_terminal() -> anyhow::Result<()> {
    for signal in ["TERM", "HUP"] {
        let dir = tempfile::tempdir()?;
        let reference = dir.path().join("reference.csv");
        write_csv(&reference, 200, 0.0)?;
        let session = start(dir.path(), &reference, &["--no-history"])?;
        let pid = session
            .child
            .0
            .process_id()
            .ok_or_else(|| anyhow::anyhow!("no pid"))?;
        let sent = std::process::Command::new("kill")
            .arg(format!("-{signal}"))
            .arg(pid.to_string())
            .status()?;
        assert!(sent.success());
        session.assert_exits_restored(&format!("SIG{signal}"))?;
    }
    Ok(())
}

#[test]
fn an_acknowledged_alert_is_stored_in_the_history() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let reference = dir.path().join("reference.csv");
    write_csv(&reference, 200, 0.0)?;
    let history = dir.path().join("history.sqlite");
    let history_arg = history.to_string_lossy().to_string();
    let mut session = start(dir.path(), &reference, &["--history", &history_arg])?;

    // A shifted window: drift alerts.
    let hidden = dir.path().join(".drifted.csv.tmp");
    write_csv(&hidden, 200, 0.5)?;
    fs::rename(&hidden, dir.path().join("drifted.csv"))?;
    let deadline = session.deadline;
    assert!(
        session.screen.wait_for("data_drift", deadline),
        "no drift alert on screen; output:\n{}",
        session.screen.tail()
    );
    // Focus the alert pane (incidents), acknowledge the selected incident, quit.
    session.keyboard.write_all(b"\t")?;
    session.keyboard.flush()?;
    thread::sleep(Duration::from_millis(300));
    session.keyboard.write_all(b"a")?;
    session.keyboard.flush()?;
    thread::sleep(Duration::from_millis(500));
    session.keyboard.write_all(b"q")?;
    session.keyboard.flush()?;
    session.assert_exits_restored("q")?;

    let db = rusqlite::Connection::open(&history)?;
    let alerts: i64 = db.query_row("SELECT COUNT(*) FROM alerts", [], |row| row.get(0))?;
    assert!(alerts >= 1, "the window's alerts are recorded");
    let (incidents, acknowledged): (i64, i64) = db.query_row(
        "SELECT COUNT(*), COALESCE(SUM(acknowledged), 0) FROM incidents",
        [],
        |row| Ok((row.get(0)?, row.get(1)?)),
    )?;
    assert!(incidents >= 1, "the window's incidents are recorded");
    assert_eq!(
        acknowledged, 1,
        "exactly the selected incident is acknowledged"
    );
    Ok(())
}
