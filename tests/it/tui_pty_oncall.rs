//! The on-call keys end to end: the real binary in a pseudo-terminal, on a drifted window;
//! and a history that refuses writes: the TUI says so and, when the retries give up, leaves the
//! terminal restored with a failure status.
//!
//! Tab focuses the incidents, Enter opens the selected one's detail (with its threshold), Esc
//! returns, `/age` then Enter moves the selection to the feature `age`, and `y` writes an OSC 52
//! sequence whose base64 payload is that row's JSON. Every wait has a deadline and the child is
//! killed past it, so the test can fail but never hang CI.

use std::fs;
use std::path::Path;
use std::thread;
use std::time::{Duration, Instant};

use crate::support::pty;
use pty::Session;

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
    let mut ui = Session::start_waiting(
        dir.path(),
        &["watch", ".", "--reference", "reference.csv", "--no-history"],
        110,
        deadline,
    )?;
    let hidden = dir.path().join(".drifted.csv.tmp");
    write_csv(&hidden, 300, 0.6)?;
    fs::rename(&hidden, dir.path().join("drifted.csv"))?;
    assert!(
        ui.out.wait_for("data_drift", deadline),
        "no incident on screen; output:\n{}",
        ui.out.tail()
    );
    thread::sleep(Duration::from_millis(300));

    // Tab, Enter: the selected incident's detail, with its threshold.
    ui.out.mark();
    ui.keys(b"\t")?;
    thread::sleep(Duration::from_millis(200));
    ui.keys(b"\r")?;
    assert!(
        ui.out.wait_for("threshold", deadline) && ui.out.wait_for("Incident", deadline),
        "Enter did not open the detail; output:\n{}",
        ui.out.tail()
    );
    ui.keys(b"\x1b")?;
    thread::sleep(Duration::from_millis(300));

    // `/age` Enter, then `y`: the clipboard gets age's row as JSON.
    ui.out.mark();
    ui.keys(b"/age")?;
    assert!(ui.out.wait_for("age", deadline), "{}", ui.out.tail());
    ui.keys(b"\r")?;
    thread::sleep(Duration::from_millis(300));
    ui.out.mark();
    ui.keys(b"y")?;
    assert!(
        ui.out.wait_for(OSC52, deadline) && ui.out.wait_for("\u{7}", deadline),
        "no OSC 52 sequence; output:\n{}",
        ui.out.tail()
    );
    let tail = &ui.out.seen[ui.out.from..];
    let start = tail.find(OSC52).map(|i| i + OSC52.len()).unwrap_or(0);
    let end = start + tail[start..].find('\u{7}').unwrap_or(0);
    let json: serde_json::Value = serde_json::from_slice(&base64_decode(&tail[start..end]))?;
    assert_eq!(json["feature"], "age", "{json}");
    assert_eq!(json["window"], "drifted.csv", "{json}");
    assert!(json["drift"]["ad"]["statistic"].is_number(), "{json}");

    ui.keys(b"q")?;
    let status = ui.wait_exit("q", deadline)?;
    assert!(status.success(), "{status:?}");
    Ok(())
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
    let mut ui = Session::start_waiting(
        dir.path(),
        &[
            "watch",
            ".",
            "--reference",
            "reference.csv",
            "--history",
            &h,
        ],
        160,
        deadline,
    )?;
    let hidden = dir.path().join(".w1.csv.tmp");
    write_csv(&hidden, 300, 0.6)?;
    fs::rename(&hidden, dir.path().join("w1.csv"))?;
    // The window is shown although it could not be stored, and the failure is said.
    assert!(
        ui.out.wait_for("not recorded in the history", deadline),
        "the failure is not on screen; output:\n{}",
        ui.out.tail()
    );
    assert!(ui.out.seen.contains("w1.csv"), "{}", ui.out.tail());
    // Retries over about 16 s, then it gives up: terminal restored, status 1.
    let status = ui.wait_exit("giving up", deadline)?;
    assert_eq!(status.exit_code(), 1, "{status:?}");
    assert!(
        ui.restored(),
        "the alternate screen was not left; output:\n{}",
        ui.out.tail()
    );
    Ok(())
}
