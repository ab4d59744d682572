//! Late labels in the terminal UI end to end (issue 26, the TUI's part): the real binary in a
//! pseudo-terminal watches windows without targets; a label file covering 80 % of the newest
//! window's rows lands in the watched directory; the trends then show that window's realised
//! accuracy under the estimate with `labels 80 %`. Every wait is on a condition with a
//! deadline; the child is killed past it.

use std::fs;
use std::path::Path;
use std::time::{Duration, Instant};

use crate::support::pty::Session;

const DEADLINE: Duration = Duration::from_secs(60);
const COLS: usize = 120;
const ROWS: usize = 30;
const WINDOW_ROWS: usize = 200;

/// Rows `id,x,prediction[,target]`: the score follows the target, so the model is decent.
fn rows(prefix: &str, with_target: bool) -> String {
    (0..WINDOW_ROWS)
        .map(|i| {
            let target = u8::from(i % 3 == 0);
            let p = if target == 1 { 0.55 } else { 0.2 } + (i % 5) as f64 * 0.05;
            let x = (i % 17) as f64 / 17.0;
            match with_target {
                true => format!("{prefix}{i},{x},{p:.3},{target}\n"),
                false => format!("{prefix}{i},{x},{p:.3}\n"),
            }
        })
        .collect()
}

fn drop_file(dir: &Path, name: &str, text: &str) -> std::io::Result<()> {
    let hidden = dir.join(format!(".{name}.tmp"));
    fs::write(&hidden, text)?;
    fs::rename(&hidden, dir.join(name))
}

#[test]
fn late_labels_show_realised_beside_the_estimate_with_the_labelled_share() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    fs::write(
        dir.path().join("reference.csv"),
        format!("id,x,prediction,target\n{}", rows("r", true).repeat(3)),
    )?;
    fs::write(dir.path().join("monitor.toml"), "[columns]\nid = \"id\"\n")?;
    let data = dir.path().join("data");
    fs::create_dir(&data)?;
    let deadline = Instant::now() + DEADLINE;
    let mut ui = Session::start_waiting(
        dir.path(),
        &[
            "watch",
            "data",
            "--reference",
            "reference.csv",
            "--config",
            "monitor.toml",
        ],
        COLS as u16,
        deadline,
    )?;
    for (i, prefix) in ["a", "b"].iter().enumerate() {
        let text = format!("id,x,prediction\n{}", rows(prefix, false));
        drop_file(&data, &format!("window_{:04}.csv", i + 1), &text)?;
    }
    let shows = |needle: &'static str| {
        move |screen: &[String]| screen.iter().any(|line| line.contains(needle))
    };
    assert!(
        ui.out.wait_for_screen(
            COLS,
            ROWS,
            deadline,
            shows("LIVE windows 2 last window_0002.csv")
        ),
        "the windows never showed; screen:\n{}",
        ui.out.screen(COLS, ROWS).join("\n")
    );
    // Labels for 160 of window 2's 200 rows.
    let labels: String = (0..WINDOW_ROWS * 4 / 5)
        .map(|i| format!("b{i},{}\n", u8::from(i % 3 == 0)))
        .collect();
    drop_file(&data, "day1.labels.csv", &format!("id,target\n{labels}"))?;
    assert!(
        ui.out
            .wait_for_screen(COLS, ROWS, deadline, shows("labels 80 %")),
        "the labelled share never showed; screen:\n{}",
        ui.out.screen(COLS, ROWS).join("\n")
    );
    let screen = ui.out.screen(COLS, ROWS);
    let estimate = screen.iter().position(|l| l.contains("accuracy est."));
    let realised = screen.iter().position(|l| l.contains("labels 80 %"));
    assert!(
        matches!((estimate, realised), (Some(e), Some(r)) if e < r),
        "the realised row is not under the estimate:\n{}",
        screen.join("\n")
    );

    ui.keys(b"q")?;
    let exit = ui.wait_exit("q", deadline)?;
    assert!(exit.success(), "{exit:?}");
    Ok(())
}
