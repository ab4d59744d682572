//! Command sinks through the real binary (issue 29, item 3): a sink program and what it starts
//! never outlive the monitor, however `--once` ends.

use crate::support;

use std::os::unix::process::ExitStatusExt as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use support::{once_command, wait_exit, Setup};

/// Whether a process is running (a zombie waiting for its parent is not).
fn alive(pid: i32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|stat| {
            let state = stat.rsplit_once(')')?.1.trim_start().chars().next()?;
            Some(state != 'Z' && state != 'X')
        })
        .unwrap_or(false)
}

/// The pids the sink program wrote; killed when dropped, whatever the test found.
struct Pids(PathBuf);

impl Pids {
    fn read(&self) -> Vec<i32> {
        std::fs::read_to_string(&self.0)
            .unwrap_or_default()
            .split_whitespace()
            .filter_map(|p| p.parse().ok())
            .collect()
    }
}

impl Drop for Pids {
    fn drop(&mut self) {
        for pid in self.read() {
            let _ = Command::new("kill")
                .args(["-KILL", &pid.to_string()])
                .stderr(Stdio::null())
                .status();
        }
    }
}

fn wait_until(within: Duration, what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + within;
    while !done() {
        assert!(Instant::now() < deadline, "{what}: not within {within:?}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// A command sink whose shell starts a background `sleep` and becomes another one, writing
/// both pids to `pids`; the sink's timeout is a minute.
fn sleeping_sink(pids: &Path) -> String {
    format!(
        "[[sinks]]\ntype = \"command\"\ncommand = [\"/bin/sh\", \"-c\", \"sleep 3600 & echo $! > {p}; echo $$ >> {p}; exec sleep 3600\"]\ntimeout = \"60s\"\n",
        p = pids.display()
    )
}

/// SIGTERM, SIGINT or SIGHUP to `--once` while it waits for its sink program: the monitor
/// dies of the signal as before, and the program (in a process group of its own, which Ctrl-C
/// does not reach) goes with it, with what it started. They used to be left running.
#[test]
fn a_signal_to_once_kills_the_sink_program_and_what_it_started() {
    for (signal, number) in [("TERM", 15), ("INT", 2), ("HUP", 1)] {
        let setup = Setup::new("");
        let pids = Pids(setup.root.path().join("pids"));
        std::fs::write(&setup.config, sleeping_sink(&pids.0)).expect("config");
        setup.window("w00.csv", true);
        let mut monitor = once_command(
            &setup.dir,
            &setup.reference,
            &setup.config,
            &setup.history(),
        )
        .args(["--sink-timeout", "120s"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("starts");
        wait_until(Duration::from_secs(60), "the sink program started", || {
            pids.read().len() == 2
        });
        let started = pids.read();
        assert!(started.iter().all(|&p| alive(p)), "{started:?}");
        let sent = Command::new("kill")
            .args([&format!("-{signal}"), &monitor.id().to_string()])
            .status()
            .expect("kill");
        assert!(sent.success());
        let status = wait_exit(
            &mut monitor,
            Duration::from_secs(30),
            "--once after a signal",
        );
        assert_eq!(status.signal(), Some(number), "SIG{signal}: {status:?}");
        wait_until(
            Duration::from_secs(10),
            &format!("SIG{signal}: no sink process left of {started:?}"),
            || !started.iter().any(|&p| alive(p)),
        );
    }
}

/// `kill -9` of `--headless` while its sink program runs: nothing the monitor does can kill
/// the program then; its guardian does. The program and what it started used to be left.
#[test]
fn after_kill_9_of_the_monitor_its_sink_program_goes_too() {
    let setup = Setup::new("");
    let pids = Pids(setup.root.path().join("pids"));
    std::fs::write(&setup.config, sleeping_sink(&pids.0)).expect("config");
    let mut monitor = setup.headless();
    let lines = support::lines_of(&mut monitor);
    setup.window("w00.csv", true);
    lines
        .recv_timeout(Duration::from_secs(60))
        .expect("the window's result");
    wait_until(Duration::from_secs(60), "the sink program started", || {
        pids.read().len() == 2
    });
    let started = pids.read();
    assert!(started.iter().all(|&p| alive(p)), "{started:?}");
    monitor.kill().expect("kill -9");
    let _ = monitor.wait();
    wait_until(
        Duration::from_secs(10),
        &format!("no sink process left of {started:?}"),
        || !started.iter().any(|&p| alive(p)),
    );
}
