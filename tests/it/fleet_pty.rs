//! The fleet view end to end: the real binary in a pseudo-terminal watching two directories.
//!
//! `ml-monitor watch alpha zebra --reference REF --no-history` shows the fleet list; Enter opens
//! the first model's screen (still waiting for its first window), Esc comes back to the list, q
//! quits and the terminal is restored. Only changed cells are written by the UI, so the test
//! waits for words a screen has and the other has not (`zebra` is only in the list). Every wait
//! has a deadline and the child is killed past it.

use std::fs;
use std::path::Path;
use std::time::{Duration, Instant};

use crate::support::pty;
use pty::Session;

const DEADLINE: Duration = Duration::from_secs(20);

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

#[test]
fn two_directories_open_the_fleet_list_enter_opens_a_model_esc_returns() -> anyhow::Result<()> {
    let deadline = Instant::now() + DEADLINE;
    let root = tempfile::tempdir()?;
    let reference = root.path().join("reference.csv");
    write_csv(&reference, 200)?;
    for name in ["alpha", "zebra"] {
        fs::create_dir(root.path().join(name))?;
    }
    let mut ui = Session::start(
        root.path(),
        &[
            "watch",
            "alpha",
            "zebra",
            "--reference",
            "reference.csv",
            "--no-history",
        ],
        110,
    )?;
    assert!(
        ui.out.wait_for("zebra", deadline),
        "no fleet list; output:\n{}",
        ui.out.tail()
    );

    ui.out.mark();
    ui.keys(b"\r")?;
    assert!(
        ui.out.wait_for("waiting for the first window", deadline),
        "Enter did not open the model's screen; output:\n{}",
        ui.out.tail()
    );

    ui.out.mark();
    ui.keys(b"\x1b")?;
    assert!(
        ui.out.wait_for("zebra", deadline),
        "Esc did not come back to the list; output:\n{}",
        ui.out.tail()
    );

    ui.keys(b"q")?;
    let status = ui.wait_exit("q", deadline)?;
    assert!(status.success(), "exit status {status:?}");
    assert!(
        ui.restored(),
        "the alternate screen was not left; output:\n{}",
        ui.out.tail()
    );
    Ok(())
}
