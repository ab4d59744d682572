//! The on-call keys end to end: the real binary in a pseudo-terminal, on a drifted window;
//! and a history that refuses writes: the TUI says so and, when the retries give up, leaves the
//! terminal restored with a failure status.
//!
//! Tab focuses the incidents, Enter opens the selected one's detail (with its threshold), Esc
//! returns, `/age` then Enter moves the selection to the feature `age`, and `y` writes an OSC 52
//! sequence whose base64 payload is that row's JSON. Every wait has a deadline and the child is
//! killed past it, so the test can fail but never hang CI.

use std::fs;
use std::io::{Read, Write};
use std::path::Path;
use std::sync::mpsc::{self, Receiver};
use std::thread;
use std::time::{Duration, Instant};

use portable_pty::{native_pty_system, Child, CommandBuilder, PtySize};

const DEADLINE: Duration = Duration::from_secs(30);
const OSC52: &str = "\u{1b}]52;c;";

fn write_csv(path: &Path, rows: usize, shift: f64) -> std::io::Result<()> {
    let mut text = String::from("age,income,city,prediction\n");
    for i in 0..rows {
        let age = (i % 17) as f64 / 17.0 + shift;
        let income = ((i * 7) % 23) as f64 - 11.0;
        let city = ["paris", "lyon", "nice"][i % 3];
        let p = (i % 10) as f64 / 10.0;
        text.push_str(&format!("{age},{income},{city},{p}\n"));
    }
    fs::write(path, text)
}

struct KillOnDrop(Box<dyn Child + Send + Sync>);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        if let Ok(None) = self.0.try_wait() {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
}

/// Everything the child wrote since the last [`Output::mark`], as text.
struct Output {
    bytes: Receiver<Vec<u8>>,
    seen: String,
    from: usize,
}

impl Output {
    fn wait_for(&mut self, needle: &str, deadline: Instant) -> bool {
        while !self.seen[self.from..].contains(needle) {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return false;
            }
            if let Ok(bytes) = self
                .bytes
                .recv_timeout(left.min(Duration::from_millis(100)))
            {
                self.seen.push_str(&String::from_utf8_lossy(&bytes));
            }
        }
        true
    }

    /// Later waits look only at what arrives from now on.
    fn mark(&mut self) {
        while let Ok(bytes) = self.bytes.try_recv() {
            self.seen.push_str(&String::from_utf8_lossy(&bytes));
        }
        self.from = self.seen.len();
    }

    fn tail(&self) -> String {
        let start = self.seen.len().saturating_sub(2500);
        let start = (start..self.seen.len())
            .find(|&i| self.seen.is_char_boundary(i))
            .unwrap_or(0);
        self.seen[start..].escape_debug().to_string()
    }
}

fn base64_decode(text: &str) -> Vec<u8> {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = Vec::new();
    let mut buffer = 0u32;
    let mut bits = 0;
    for c in text.bytes().filter(|c| *c != b'=') {
        let Some(v) = ALPHABET.iter().position(|a| *a == c) else {
            break;
        };
        buffer = (buffer << 6) | v as u32;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((buffer >> bits) as u8);
            buffer &= (1 << bits) - 1;
        }
    }
    out
}

#[test]
fn tab_enter_search_and_copy_work_in_a_real_terminal() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let reference = dir.path().join("reference.csv");
    write_csv(&reference, 300, 0.0)?;
    let deadline = Instant::now() + DEADLINE;
    let pty = native_pty_system().openpty(PtySize {
        rows: 30,
        cols: 110,
        pixel_width: 0,
        pixel_height: 0,
    })?;
    let mut command = CommandBuilder::new(env!("CARGO_BIN_EXE_ml-monitor"));
    for arg in ["watch", ".", "--reference", "reference.csv", "--no-history"] {
        command.arg(arg);
    }
    command.cwd(dir.path());
    command.env("TERM", "xterm-256color");
    command.env_remove("NO_COLOR");
    let mut child = KillOnDrop(pty.slave.spawn_command(command)?);
    drop(pty.slave);
    let mut reader = pty.master.try_clone_reader()?;
    let mut keyboard = pty.master.take_writer()?;
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        let mut buf = [0u8; 8192];
        while let Ok(n) = reader.read(&mut buf) {
            if n == 0 || tx.send(buf[..n].to_vec()).is_err() {
                break;
            }
        }
    });
    let mut out = Output {
        bytes: rx,
        seen: String::new(),
        from: 0,
    };
    let mut keys = |bytes: &[u8]| -> anyhow::Result<()> {
        keyboard.write_all(bytes)?;
        keyboard.flush()?;
        Ok(())
    };
    assert!(
        out.wait_for("waiting for the first window", deadline),
        "no UI; output:\n{}",
        out.tail()
    );
    let hidden = dir.path().join(".drifted.csv.tmp");
    write_csv(&hidden, 300, 0.6)?;
    fs::rename(&hidden, dir.path().join("drifted.csv"))?;
    assert!(
        out.wait_for("data_drift", deadline),
        "no incident on screen; output:\n{}",
        out.tail()
    );
    thread::sleep(Duration::from_millis(300));

    // Tab, Enter: the selected incident's detail, with its threshold.
    out.mark();
    keys(b"\t")?;
    thread::sleep(Duration::from_millis(200));
    keys(b"\r")?;
    assert!(
        out.wait_for("threshold", deadline) && out.wait_for("Incident", deadline),
        "Enter did not open the detail; output:\n{}",
        out.tail()
    );
    keys(b"\x1b")?;
    thread::sleep(Duration::from_millis(300));

    // `/age` Enter, then `y`: the clipboard gets age's row as JSON.
    out.mark();
    keys(b"/age")?;
    assert!(out.wait_for("age", deadline), "{}", out.tail());
    keys(b"\r")?;
    thread::sleep(Duration::from_millis(300));
    out.mark();
    keys(b"y")?;
    assert!(
        out.wait_for(OSC52, deadline) && out.wait_for("\u{7}", deadline),
        "no OSC 52 sequence; output:\n{}",
        out.tail()
    );
    let tail = &out.seen[out.from..];
    let start = tail.find(OSC52).map(|i| i + OSC52.len()).unwrap_or(0);
    let end = start + tail[start..].find('\u{7}').unwrap_or(0);
    let json: serde_json::Value = serde_json::from_slice(&base64_decode(&tail[start..end]))?;
    assert_eq!(json["feature"], "age", "{json}");
    assert_eq!(json["window"], "drifted.csv", "{json}");
    assert!(json["drift"]["ks"]["statistic"].is_number(), "{json}");

    keys(b"q")?;
    let status = loop {
        if let Some(status) = child.0.try_wait()? {
            break status;
        }
        assert!(Instant::now() < deadline, "q did not quit: {}", out.tail());
        thread::sleep(Duration::from_millis(50));
    };
    assert!(status.success(), "{status:?}");
    Ok(())
}

/// A PTY session of `ml-monitor watch . --reference reference.csv ARGS` in `dir`.
fn spawn(dir: &Path, args: &[&str]) -> anyhow::Result<(KillOnDrop, Output, Box<dyn Write + Send>)> {
    let pty = native_pty_system().openpty(PtySize {
        rows: 30,
        cols: 160,
        pixel_width: 0,
        pixel_height: 0,
    })?;
    let mut command = CommandBuilder::new(env!("CARGO_BIN_EXE_ml-monitor"));
    for arg in ["watch", ".", "--reference", "reference.csv"]
        .iter()
        .chain(args)
    {
        command.arg(arg);
    }
    command.cwd(dir);
    command.env("TERM", "xterm-256color");
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
    let out = Output {
        bytes: rx,
        seen: String::new(),
        from: 0,
    };
    Ok((child, out, keyboard))
}

#[test]
fn a_history_that_refuses_writes_is_shown_and_the_tui_exits_1_when_it_gives_up(
) -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    write_csv(&dir.path().join("reference.csv"), 300, 0.0)?;
    let history = dir.path().join("history.sqlite");
    // An empty history made by the binary, then a trigger that refuses every result.
    let empty = tempfile::tempdir()?;
    let made = std::process::Command::new(env!("CARGO_BIN_EXE_ml-monitor"))
        .arg("watch")
        .arg(empty.path())
        .arg("--reference")
        .arg(dir.path().join("reference.csv"))
        .arg("--once")
        .arg("--history")
        .arg(&history)
        .output()?;
    assert!(made.status.success(), "{made:?}");
    rusqlite::Connection::open(&history)?.execute_batch(
        "CREATE TRIGGER refuse BEFORE INSERT ON results
         BEGIN SELECT RAISE(FAIL, 'simulated disk full'); END;",
    )?;

    let deadline = Instant::now() + Duration::from_secs(60);
    let h = history.to_string_lossy().to_string();
    let (mut child, mut out, _keyboard) = spawn(dir.path(), &["--history", &h])?;
    assert!(
        out.wait_for("waiting for the first window", deadline),
        "no UI; output:\n{}",
        out.tail()
    );
    let hidden = dir.path().join(".w1.csv.tmp");
    write_csv(&hidden, 300, 0.6)?;
    fs::rename(&hidden, dir.path().join("w1.csv"))?;
    // The window is shown although it could not be stored, and the failure is said.
    assert!(
        out.wait_for("not recorded in the history", deadline),
        "the failure is not on screen; output:\n{}",
        out.tail()
    );
    assert!(out.seen.contains("w1.csv"), "{}", out.tail());
    // Retries over about 16 s, then it gives up: terminal restored, status 1.
    let status = loop {
        if let Some(status) = child.0.try_wait()? {
            break status;
        }
        assert!(
            Instant::now() < deadline,
            "the TUI never gave up; output:\n{}",
            out.tail()
        );
        thread::sleep(Duration::from_millis(100));
    };
    out.wait_for("\u{1b}[?1049l", Instant::now() + Duration::from_secs(2));
    assert_eq!(status.exit_code(), 1, "{status:?}");
    assert!(
        out.seen.contains("\u{1b}[?1049l"),
        "the alternate screen was not left; output:\n{}",
        out.tail()
    );
    Ok(())
}
