//! Time travel end to end (issue 28 item 1): the real binary in a pseudo-terminal keeps a
//! history of 8 windows watched live; `[` six times shows window_0002 as the viewed window, `]`
//! steps forward, a window arriving meanwhile leaves the view where it is one further behind, and
//! End returns to live. The screen is read as a terminal would show it (a frame rewrites only
//! the cells that changed). Every wait is on a condition with a deadline; the child is killed
//! past it.

use std::fs;
use std::path::Path;
use std::time::{Duration, Instant};

use crate::support::pty::Session;

const DEADLINE: Duration = Duration::from_secs(60);
const COLS: usize = 110;
const ROWS: usize = 30;

fn write_csv(path: &Path, rows: usize, shift: f64) -> std::io::Result<()> {
    let mut text = String::from("age,income,prediction\n");
    for i in 0..rows {
        let age = (i % 17) as f64 / 17.0 + shift;
        let income = ((i * 7) % 23) as f64 - 11.0;
        let p = (i % 10) as f64 / 10.0;
        text.push_str(&format!("{age},{income},{p}\n"));
    }
    fs::write(path, text)
}

/// Writes `window_{i:04}.csv` the way a careful writer does (a dotfile renamed into place).
fn drop_window(dir: &Path, i: usize) -> std::io::Result<()> {
    let hidden = dir.join(format!(".window_{i:04}.csv.tmp"));
    write_csv(&hidden, 200, if i.is_multiple_of(2) { 0.0 } else { 0.4 })?;
    fs::rename(&hidden, dir.join(format!("window_{i:04}.csv")))
}

#[test]
fn brackets_travel_through_the_history_and_end_returns_to_live() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let reference = dir.path().join("reference.csv");
    write_csv(&reference, 300, 0.0)?;
    let data = dir.path().join("data");
    fs::create_dir(&data)?;
    let deadline = Instant::now() + DEADLINE;
    let mut ui = Session::start_waiting(
        dir.path(),
        &["watch", "data", "--reference", "reference.csv"],
        COLS as u16,
        deadline,
    )?;
    for i in 1..=8 {
        drop_window(&data, i)?;
    }
    let status = |needle: &'static str| move |screen: &[String]| screen[1].contains(needle);
    assert!(
        ui.out.wait_for_screen(
            COLS,
            ROWS,
            deadline,
            status("LIVE windows 8 last window_0008.csv")
        ),
        "the 8 windows never showed; screen:\n{}",
        ui.out.screen(COLS, ROWS).join("\n")
    );

    ui.keys(b"[[[[[[")?;
    assert!(
        ui.out.wait_for_screen(
            COLS,
            ROWS,
            deadline,
            status("viewing window_0002 · 6 behind live · End: live")
        ),
        "six [ did not show window_0002; screen:\n{}",
        ui.out.screen(COLS, ROWS).join("\n")
    );

    ui.keys(b"]")?;
    assert!(
        ui.out.wait_for_screen(
            COLS,
            ROWS,
            deadline,
            status("viewing window_0003 · 5 behind live")
        ),
        "] did not step forward; screen:\n{}",
        ui.out.screen(COLS, ROWS).join("\n")
    );

    // A new window: the view stays put, one further behind.
    drop_window(&data, 9)?;
    assert!(
        ui.out.wait_for_screen(
            COLS,
            ROWS,
            deadline,
            status("viewing window_0003 · 6 behind live")
        ),
        "a new window moved the view; screen:\n{}",
        ui.out.screen(COLS, ROWS).join("\n")
    );

    // End (as xterm sends it): live, with the window that arrived meanwhile.
    ui.keys(b"\x1b[F")?;
    assert!(
        ui.out.wait_for_screen(
            COLS,
            ROWS,
            deadline,
            status("LIVE windows 9 last window_0009.csv")
        ),
        "End did not return to live; screen:\n{}",
        ui.out.screen(COLS, ROWS).join("\n")
    );

    ui.keys(b"q")?;
    let exit = ui.wait_exit("q", deadline)?;
    assert!(exit.success(), "{exit:?}");
    Ok(())
}
