//! A failing pager is never hidden (issue 28 item 3): the real binary in an 80-column
//! pseudo-terminal, a webhook sink to a closed port, a drifted window; the status line names the
//! failing sink. Every wait has a deadline and the child is killed past it.

use std::fs;
use std::path::Path;
use std::time::{Duration, Instant};

use crate::support::{free_port, pty::Session};

const DEADLINE: Duration = Duration::from_secs(30);

fn write_csv(path: &Path, rows: usize, shift: f64) -> std::io::Result<()> {
    let mut text = String::from("age,income,prediction\n");
    for i in 0..rows {
        let age = (i % 17) as f64 / 17.0 + shift;
        let income = ((i * 7) % 23) as f64 - 11.0 + 10.0 * shift;
        let p = (i % 10) as f64 / 10.0;
        text.push_str(&format!("{age},{income},{p}\n"));
    }
    fs::write(path, text)
}

#[test]
fn a_webhook_to_a_closed_port_shows_as_failing_at_80_columns() -> anyhow::Result<()> {
    let root = tempfile::tempdir()?;
    let dir = root.path().join("churn");
    fs::create_dir(&dir)?;
    write_csv(&root.path().join("reference.csv"), 300, 0.0)?;
    let config = root.path().join("monitor.toml");
    fs::write(
        &config,
        format!(
            "[[sinks]]\ntype = \"webhook\"\nurl = \"http://127.0.0.1:{}/hook\"\nmin_level = \"INFO\"\ntimeout = \"1s\"\n",
            free_port()
        ),
    )?;
    let deadline = Instant::now() + DEADLINE;
    let mut ui = Session::start_waiting(
        root.path(),
        &[
            "watch",
            "churn",
            "--reference",
            "reference.csv",
            "--config",
            "monitor.toml",
        ],
        80,
        deadline,
    )?;
    let hidden = dir.join(".w1.csv.tmp");
    write_csv(&hidden, 300, 0.8)?;
    fs::rename(&hidden, dir.join("w1.csv"))?;
    assert!(
        ui.out.wait_for("webhook:", deadline),
        "the failing webhook is not on screen; output:\n{}",
        ui.out.tail()
    );
    ui.keys(b"q")?;
    let status = ui.wait_exit("q", deadline)?;
    assert!(status.success(), "{status:?}");
    Ok(())
}
