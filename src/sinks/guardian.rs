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
//! A program can start, and even start others, in the moment between its spawn and the `+PGID`
//! the monitor writes next; a `kill -9` in that moment would leave it unregistered. So every
//! sink program also carries [`MARK`] in its environment (its children inherit it), naming the
//! monitor's pid, and at end-of-file the guardian also kills the process group of every process
//! whose environment carries its monitor's mark (read from `/proc`).
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

/// Set on every sink program's environment: the pid of the monitor that started it.
pub(super) const MARK: &str = "ML_MONITOR_SINK_OF";

/// This monitor's mark ([`MARK`]'s value).
pub(super) fn mark_value() -> String {
    std::process::id().to_string()
}

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
    // The monitor is this process's parent until it dies: read it first.
    // SAFETY: getppid(2) takes nothing and cannot fail.
    let monitor = unsafe { libc::getppid() };
    let mut groups = registered(std::io::stdin().lock());
    groups.extend(marked_groups(&format!("{MARK}={monitor}")));
    for group in groups {
        // SAFETY: kill(2) with a negative pid signals a process group; no memory is involved.
        unsafe {
            libc::kill(-group, libc::SIGKILL);
        }
    }
    ExitCode::SUCCESS
}

/// The process groups of the processes whose environment holds `mark` (`NAME=VALUE`): the sink
/// programs of one monitor and what they started, registered or not. Processes that cannot be
/// read (gone, or another user's) are skipped.
fn marked_groups(mark: &str) -> BTreeSet<i32> {
    let mut groups = BTreeSet::new();
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return groups;
    };
    for entry in entries.flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|n| n.parse::<i32>().ok())
        else {
            continue;
        };
        let Ok(environ) = std::fs::read(entry.path().join("environ")) else {
            continue;
        };
        if environ.split(|&b| b == 0).any(|v| v == mark.as_bytes()) {
            // SAFETY: getpgid(2) takes a pid and returns a number; no memory is involved.
            let group = unsafe { libc::getpgid(pid) };
            if group > 1 {
                groups.insert(group);
            }
        }
    }
    groups
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

    /// A process carrying the mark is found, with its group; one without it is not.
    #[test]
    fn a_marked_process_is_found_by_its_environment() {
        use std::os::unix::process::CommandExt as _;
        let mark = format!("{MARK}=test-{}", std::process::id());
        let (name, value) = mark.split_once('=').expect("NAME=VALUE");
        let mut marked = std::process::Command::new("sleep")
            .arg("30")
            .env(name, value)
            .process_group(0)
            .spawn()
            .expect("sleep");
        let mut plain = std::process::Command::new("sleep")
            .arg("30")
            .process_group(0)
            .spawn()
            .expect("sleep");
        // The environment is readable once the program has started.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        let mut found = marked_groups(&mark);
        while found.is_empty() && std::time::Instant::now() < deadline {
            std::thread::sleep(std::time::Duration::from_millis(10));
            found = marked_groups(&mark);
        }
        let expected = i32::try_from(marked.id()).expect("pid");
        let other = i32::try_from(plain.id()).expect("pid");
        let _ = marked.kill();
        let _ = plain.kill();
        let _ = marked.wait();
        let _ = plain.wait();
        assert!(found.contains(&expected), "{found:?}");
        assert!(!found.contains(&other), "{found:?}");
    }

    #[test]
    fn the_groups_left_are_those_started_and_not_killed() {
        let input = "+12\n+13\n-12\n+14\nnonsense\n+0\n-99\n+-5\n";
        assert_eq!(registered(input.as_bytes()), BTreeSet::from([13, 14]));
    }
}
