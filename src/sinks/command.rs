//! Command sinks: a program (run directly, no shell) given the change's JSON on stdin.
//!
//! Each program runs in a process group of its own, so that what it starts (a shell's
//! children, `yes | …`) goes with it: the group is killed at the sink's timeout, after the
//! program exits (nothing it left in the background keeps running), and when the monitor ends
//! ([`kill_all`], called by `main` on every exit). Once [`kill_all`] has run no new program is
//! started. (No `pre_exec` hook, such as a parent-death signal for `kill -9`: it would make the
//! standard library fork the whole monitor instead of using `posix_spawn`, and a monitor holding
//! a large window forks slowly; sink programs are started hundreds of times a second.)

use std::io::Write;
use std::os::unix::process::CommandExt as _;
use std::process::{Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use super::Outcome;

/// Process groups of the programs running now; `closed` once the monitor is ending.
struct Running {
    groups: Vec<i32>,
    closed: bool,
}

static RUNNING: Mutex<Running> = Mutex::new(Running {
    groups: Vec::new(),
    closed: false,
});

/// Kills every running sink program's process group and starts no more. Called when the
/// monitor ends, however it ends (`--once` done, SIGTERM, SIGINT, the TUI quit).
pub fn kill_all() {
    let mut running = RUNNING.lock().unwrap_or_else(|e| e.into_inner());
    running.closed = true;
    for group in running.groups.drain(..) {
        kill_group(group);
    }
}

fn kill_group(group: i32) {
    if group > 0 {
        // SAFETY: kill(2) with a negative pid signals a process group; no memory is involved.
        unsafe {
            libc::kill(-group, libc::SIGKILL);
        }
    }
}

fn forget_group(group: i32) {
    let mut running = RUNNING.lock().unwrap_or_else(|e| e.into_inner());
    running.groups.retain(|&g| g != group);
}

/// Runs `argv` with `input` on stdin; exit status 0 is delivered, any other or a timeout is
/// retried, a program that cannot be started is refused.
pub fn run(argv: &[String], input: &str, timeout: Duration) -> Outcome {
    let Some((program, args)) = argv.split_first() else {
        return Outcome::Refused("empty command".into());
    };
    let mut command = Command::new(program);
    command
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .process_group(0);
    // Started and registered under the lock, so `kill_all` never misses one.
    let (mut child, group) = {
        let mut running = RUNNING.lock().unwrap_or_else(|e| e.into_inner());
        if running.closed {
            return Outcome::Retry("the monitor is ending".into());
        }
        match command.spawn() {
            Ok(c) => {
                let group = i32::try_from(c.id()).unwrap_or(0);
                running.groups.push(group);
                (c, group)
            }
            Err(e) => return Outcome::Refused(format!("cannot run {program}: {e}")),
        }
    };
    if let Some(mut stdin) = child.stdin.take() {
        // A program that does not read its input is its own business: a broken pipe is not
        // a failed delivery, its exit status says.
        let _ = stdin.write_all(input.as_bytes());
    }
    let deadline = Instant::now() + timeout;
    // Short programs are the rule: look again soon, then less often.
    let mut pause = Duration::from_micros(250);
    let outcome = loop {
        match child.try_wait() {
            Ok(Some(status)) if status.success() => break Outcome::Delivered,
            Ok(Some(status)) => break Outcome::Retry(format!("{program} exited with {status}")),
            Ok(None) if Instant::now() >= deadline => {
                kill_group(group);
                let _ = child.wait();
                break Outcome::Retry(format!("{program} timed out after {timeout:?}"));
            }
            Ok(None) => {
                std::thread::sleep(pause);
                pause = (pause * 2).min(Duration::from_millis(10));
            }
            Err(e) => {
                kill_group(group);
                let _ = child.wait();
                break Outcome::Retry(format!("{program}: {e}"));
            }
        }
    };
    // What the program left running in its group goes with it.
    kill_group(group);
    forget_group(group);
    outcome
}
