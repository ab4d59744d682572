//! End-to-end test of the live UI: the real binary in a pseudo-terminal.
//!
//! It starts `ml-monitor watch DIR --reference DIR/reference.csv --no-history` on an empty
//! directory, waits for the UI, drops a window the way a careful writer does (a dotfile renamed
//! into place), reads the screen until the window's name shows, presses `q`, and checks the exit
//! status and that the alternate screen was left. Every wait has a deadline and the child is
//! killed past it, so the test can fail but never hang CI.

use std::fs;
use std::path::Path;
use std::time::{Duration, Instant};

use crate::support::pty;
use pty::Session;

/// The whole test's budget.
const DEADLINE: Duration = Duration::from_secs(20);

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

/// A running `ml-monitor watch` in a pseudo-terminal, and the whole test's deadline.
struct Ui {
    session: Session,
    deadline: Instant,
}

fn start(dir: &Path, reference: &Path, extra: &[&str]) -> anyhow::Result<Ui> {
    let deadline = Instant::now() + DEADLINE;
    let (dir_arg, reference_arg) = (dir.to_string_lossy(), reference.to_string_lossy());
    let mut args = vec!["watch", &dir_arg, "--reference", &reference_arg];
    args.extend_from_slice(extra);
    let mut session = Session::start(dir, &args, 110)?;
    assert!(
        session
            .out
            .wait_for("waiting for the first window", deadline),
        "the UI never drew its status line; output:\n{}",
        session.out.tail()
    );
    Ok(Ui { session, deadline })
}

impl Ui {
    /// Waits for the child to exit, then checks it exited 0 and restored the terminal.
    fn assert_exits_restored(mut self, how: &str) -> anyhow::Result<()> {
        let status = self.session.wait_exit(how, self.deadline)?;
        assert!(
            status.success(),
            "{how}: exit status {status:?}; output:\n{}",
            self.session.out.tail()
        );
        assert!(
            self.session.restored(),
            "{how}: the alternate screen was not left; output:\n{}",
            self.session.out.tail()
        );
        Ok(())
    }
}

#[test]
fn watch_shows_a_new_window_and_q_restores_the_terminal() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let reference = dir.path().join("reference.csv");
    write_csv(&reference, 200, 0.0)?;
    let mut ui = start(dir.path(), &reference, &["--no-history"])?;

    let hidden = dir.path().join(".batch_7731.csv.tmp");
    write_csv(&hidden, 120, 0.5)?;
    fs::rename(&hidden, dir.path().join("batch_7731.csv"))?;
    let deadline = ui.deadline;
    assert!(
        ui.session.out.wait_for("batch_7731.csv", deadline),
        "the new window never appeared on screen; output:\n{}",
        ui.session.out.tail()
    );

    ui.session.keys(b"q")?;
    ui.assert_exits_restored("q")
}

#[test]
fn sigterm_and_sighup_restore_the_terminal() -> anyhow::Result<()> {
    for signal in ["TERM", "HUP"] {
        let dir = tempfile::tempdir()?;
        let reference = dir.path().join("reference.csv");
        write_csv(&reference, 200, 0.0)?;
        let ui = start(dir.path(), &reference, &["--no-history"])?;
        let pid = ui
            .session
            .child
            .0
            .process_id()
            .ok_or_else(|| anyhow::anyhow!("no pid"))?;
        let sent = std::process::Command::new("kill")
            .arg(format!("-{signal}"))
            .arg(pid.to_string())
            .status()?;
        assert!(sent.success());
        ui.assert_exits_restored(&format!("SIG{signal}"))?;
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
    let mut ui = start(dir.path(), &reference, &["--history", &history_arg])?;

    // A shifted window: drift alerts.
    let hidden = dir.path().join(".drifted.csv.tmp");
    write_csv(&hidden, 200, 0.5)?;
    fs::rename(&hidden, dir.path().join("drifted.csv"))?;
    let deadline = ui.deadline;
    assert!(
        ui.session.out.wait_for("data_drift", deadline),
        "no drift alert on screen; output:\n{}",
        ui.session.out.tail()
    );
    // Focus the alert pane (incidents), acknowledge the selected incident, quit.
    // Keys are read in order: no pause between them is needed.
    ui.session.keys(b"\t")?;
    ui.session.keys(b"a")?;
    assert!(
        ui.session.out.wait_for("(1 acked)", deadline),
        "the screen does not say the incident is acknowledged; output:\n{}",
        ui.session.out.tail()
    );
    ui.session.keys(b"q")?;
    ui.assert_exits_restored("q")?;

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
