//! The fleet view end to end: the real binary in a pseudo-terminal watching two directories.
//!
//! `ml-monitor watch alpha zebra --reference REF --no-history` shows the fleet list; Enter opens
//! the first model's screen (still waiting for its first window), Esc comes back to the list, q
//! quits and the terminal is restored. Only changed cells are written by the UI, so the test
//! waits for words a screen has and the other has not (`zebra` is only in the list). Every wait
//! has a deadline and the child is killed past it.

use std::fs;
use std::io::{Read, Write};
use std::path::Path;
use std::sync::mpsc::{self, Receiver};
use std::thread;
use std::time::{Duration, Instant};

use portable_pty::{native_pty_system, Child, CommandBuilder, PtySize};

const DEADLINE: Duration = Duration::from_secs(20);
const LEAVE_ALTERNATE_SCREEN: &str = "\u{1b}[?1049l";

fn write_csv(path: &Path, rows: usize) -> std::io::Result<()> {
    let mut text = String::from("x0,x1,city,prediction\n");
    for i in 0..rows {
        let x0 = (i % 17) as f64 / 17.0;
        let x1 = ((i * 7) % 23) as f64 - 11.0;
        let city = ["paris", "lyon", "nice"][i % 3];
        let p = (i % 10) as f64 / 10.0;
        text.push_str(&format!("{x0},{x1},{city},{p}\n"));
    }
    fs::write(path, text)
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

/// What the child wrote since the last `forget`, as text (escape sequences kept).
struct Output {
    rx: Receiver<Vec<u8>>,
    seen: String,
}

impl Output {
    fn wait_for(&mut self, needle: &str, deadline: Instant) -> bool {
        while !self.seen.contains(needle) {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return false;
            }
            match self.rx.recv_timeout(left.min(Duration::from_millis(200))) {
                Ok(bytes) => self.seen.push_str(&String::from_utf8_lossy(&bytes)),
                Err(mpsc::RecvTimeoutError::Timeout) => {}
                Err(mpsc::RecvTimeoutError::Disconnected) => return self.seen.contains(needle),
            }
        }
        true
    }

    fn forget(&mut self) {
        while let Ok(bytes) = self.rx.try_recv() {
            self.seen.push_str(&String::from_utf8_lossy(&bytes));
        }
        self.seen.clear();
    }

    fn tail(&self) -> String {
        let start = self.seen.len().saturating_sub(3000);
        let start = (start..self.seen.len())
            .find(|&i| self.seen.is_char_boundary(i))
            .unwrap_or(0);
        self.seen[start..].escape_debug().to_string()
    }
}

#[test]
fn two_directories_open_the_fleet_list_enter_opens_a_model_esc_returns() -> anyhow::Result<()> {
    let deadline = Instant::now() + DEADLINE;
    let root = tempfile::tempdir()?;
    let reference = root.path().join("reference.csv");
    write_csv(&reference, 200)?;
    for name in ["alpha", "zebra"] {
        fs::create_dir(root.path().join(name))?;
    }
    let pty = native_pty_system().openpty(PtySize {
        rows: 30,
        cols: 110,
        pixel_width: 0,
        pixel_height: 0,
    })?;
    let mut command = CommandBuilder::new(env!("CARGO_BIN_EXE_ml-monitor"));
    for arg in [
        "watch",
        "alpha",
        "zebra",
        "--reference",
        "reference.csv",
        "--no-history",
    ] {
        command.arg(arg);
    }
    command.cwd(root.path());
    command.env("TERM", "xterm-256color");
    command.env("XDG_CONFIG_HOME", root.path());
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
        rx,
        seen: String::new(),
    };
    assert!(
        out.wait_for("zebra", deadline),
        "no fleet list; output:\n{}",
        out.tail()
    );

    out.forget();
    keyboard.write_all(b"\r")?;
    keyboard.flush()?;
    assert!(
        out.wait_for("waiting for the first window", deadline),
        "Enter did not open the model's screen; output:\n{}",
        out.tail()
    );

    out.forget();
    keyboard.write_all(b"\x1b")?;
    keyboard.flush()?;
    assert!(
        out.wait_for("zebra", deadline),
        "Esc did not come back to the list; output:\n{}",
        out.tail()
    );

    keyboard.write_all(b"q")?;
    keyboard.flush()?;
    let status = loop {
        if let Some(status) = child.0.try_wait()? {
            break status;
        }
        assert!(
            Instant::now() < deadline,
            "q did not end the UI; output:\n{}",
            out.tail()
        );
        thread::sleep(Duration::from_millis(50));
    };
    out.wait_for(
        LEAVE_ALTERNATE_SCREEN,
        Instant::now() + Duration::from_secs(2),
    );
    assert!(status.success(), "exit status {status:?}");
    assert!(
        out.seen.contains(LEAVE_ALTERNATE_SCREEN),
        "the alternate screen was not left; output:\n{}",
        out.tail()
    );
    Ok(())
}
