//! The sink programs' guardian: a small process that kills them if the monitor is killed.
//!
//! [`super::command::kill_all`] covers every end the monitor sees (`--once` done, SIGTERM,
//! SIGINT, the TUI quit), but not `kill -9` or a crash: then nobody kills the process groups
//! of the sink programs running at that moment. So the first command sink started also starts
//! a guardian — this same binary, told by an environment variable — in a process group of its
//! own (a terminal's Ctrl-C does not reach it) that ignores SIGINT, SIGTERM and SIGHUP. The
//! monitor writes `+PGID` to its stdin when a program starts and `-PGID` when its group was
//! killed, before the program is reaped (so a group id still registered always belongs to a
//! sink program); when the guardian reads end-of-file the monitor has gone, however it went,
//! and it kills every group still registered.
//!
//! Not a `pre_exec` hook with a parent-death signal: that makes the standard library fork the
//! monitor for each program instead of `posix_spawn`, about halving the programs started a
//! second, and it would reach only the program, not what the program started.

use std::collections::BTreeSet;
use std::io::{BufRead, Write};
use std::os::unix::process::CommandExt as _;
use std::process::{ChildStdin, Command, ExitCode, Stdio};

/// Set on the guardian's environment: `main` runs [`run`] instead of the command line.
const ROLE: &str = "ML_MONITOR_SINK_GUARDIAN";

/// Whether this process is a guardian (see [`run`]).
pub(crate) fn is_guardian() -> bool {
    std::env::var_os(ROLE).is_some_and(|v| v == "1")
}

/// Starts a guardian for this monitor; `None` (said in the log) when it cannot be started: the
/// monitor goes on, only a `kill -9` would then leave sink programs behind.
pub(super) fn start() -> Option<ChildStdin> {
    // A unit test binary is not this program: it would run the tests again.
    if cfg!(test) {
        return None;
    }
    let started = std::env::current_exe().and_then(|exe| {
        Command::new(exe)
            .env(ROLE, "1")
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .process_group(0)
            .spawn()
    });
    match started {
        Ok(mut child) => child.stdin.take(),
        Err(e) => {
            log::warn!(target: "ml_monitor::sinks", "cannot start the guardian of sink programs: {e}");
            None
        }
    }
}

/// Tells the guardian that a group started (`+`) or was killed (`-`); a guardian that has gone
/// is not asked again.
pub(super) fn tell(guardian: &mut Option<ChildStdin>, sign: char, group: i32) {
    if let Some(pipe) = guardian.as_mut() {
        if pipe
            .write_all(format!("{sign}{group}\n").as_bytes())
            .is_err()
        {
            *guardian = None;
        }
    }
}

/// The guardian's life: register the groups the monitor names on stdin, and kill those left
/// when stdin ends.
pub(crate) fn run() -> ExitCode {
    for signal in [libc::SIGINT, libc::SIGTERM, libc::SIGHUP] {
        // SAFETY: signal(2) with SIG_IGN installs no handler; no memory is involved.
        unsafe {
            libc::signal(signal, libc::SIG_IGN);
        }
    }
    let groups = registered(std::io::stdin().lock());
    for group in groups {
        // SAFETY: kill(2) with a negative pid signals a process group; no memory is involved.
        unsafe {
            libc::kill(-group, libc::SIGKILL);
        }
    }
    ExitCode::SUCCESS
}

/// The groups still registered when `input` ends (or fails).
fn registered(input: impl BufRead) -> BTreeSet<i32> {
    let mut groups = BTreeSet::new();
    for line in input.lines() {
        let Ok(line) = line else { break };
        let (sign, group) = line.split_at(line.len().min(1));
        match (sign, group.trim().parse::<i32>()) {
            ("+", Ok(g)) if g > 0 => {
                groups.insert(g);
            }
            ("-", Ok(g)) => {
                groups.remove(&g);
            }
            _ => {}
        }
    }
    groups
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_groups_left_are_those_started_and_not_killed() {
        let input = "+12\n+13\n-12\n+14\nnonsense\n+0\n-99\n+-5\n";
        assert_eq!(registered(input.as_bytes()), BTreeSet::from([13, 14]));
    }
}
