//! Command sinks: a program (run directly, no shell) given the change's JSON on stdin.
//!
//! Each program runs in a process group of its own, so that what it starts (a shell's
//! children, `yes | …`) goes with it: the group is killed at the sink's timeout, after the
//! program exits (nothing it left in the background keeps running), and when the monitor ends
//! ([`kill_all`], called by `main` on every exit and by `--once` on SIGINT/SIGTERM/SIGHUP). Once
//! [`kill_all`] has run no new program is started. A guardian process ([`super::guardian`])
//! kills them when the monitor cannot (`kill -9`).
//!
//! Two decisions a reader may question. The program's stdin is written without blocking, inside
//! the loop that watches the clock: a program that never reads a document larger than a pipe
//! holds (64 KiB) must still be killed at its timeout, not hold the sender thread for ever. And
//! the program is reaped only after its group was killed and forgotten: until then it stays a
//! zombie that keeps its pid, so the group id signalled can never be one the kernel has given
//! to an unrelated process meanwhile. (No `pre_exec` hook, such as a parent-death signal for
//! `kill -9`: it would make the standard library fork the whole monitor instead of using
//! `posix_spawn`, and a monitor holding a large window forks slowly; sink programs are started
//! hundreds of times a second. The guardian covers `kill -9`.)

use std::io::Write;
use std::os::fd::AsRawFd as _;
use std::os::unix::process::CommandExt as _;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use super::{guardian, Outcome};

/// Process groups of the programs running now; `closed` once the monitor is ending; the
/// guardian's stdin (see [`super::guardian`]), started with the first program.
struct Running {
    groups: Vec<i32>,
    closed: bool,
    guardian: Option<ChildStdin>,
    guardian_tried: bool,
}

static RUNNING: Mutex<Running> = Mutex::new(Running {
    groups: Vec::new(),
    closed: false,
    guardian: None,
    guardian_tried: false,
});

/// Kills every running sink program's process group and starts no more. Called when the
/// monitor ends, however it ends (`--once` done, SIGTERM, SIGINT, the TUI quit).
pub(crate) fn kill_all() {
    let mut running = RUNNING.lock().unwrap_or_else(|e| e.into_inner());
    running.closed = true;
    let Running {
        groups, guardian, ..
    } = &mut *running;
    for group in groups.drain(..) {
        kill_group(group);
        guardian::tell(guardian, '-', group);
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

/// A group killed: no longer the guardian's business either (told before the program is
/// reaped, while its group id cannot belong to another process).
fn forget_group(group: i32) {
    let mut running = RUNNING.lock().unwrap_or_else(|e| e.into_inner());
    let Running {
        groups, guardian, ..
    } = &mut *running;
    if let Some(at) = groups.iter().position(|&g| g == group) {
        groups.swap_remove(at);
        guardian::tell(guardian, '-', group);
    }
}

/// Whether the child has exited, without reaping it (it stays a zombie that holds its pid).
fn has_exited(pid: i32) -> std::io::Result<bool> {
    let Ok(pid) = libc::id_t::try_from(pid) else {
        return Ok(true);
    };
    // SAFETY: waitid(2) writes into the zeroed siginfo_t we own; WNOWAIT leaves the child
    // unreaped, so std's `Child::wait` reaps it later as usual.
    unsafe {
        let mut info: libc::siginfo_t = std::mem::zeroed();
        if libc::waitid(
            libc::P_PID,
            pid,
            &mut info,
            libc::WEXITED | libc::WNOHANG | libc::WNOWAIT,
        ) != 0
        {
            return Err(std::io::Error::last_os_error());
        }
        Ok(info.si_pid() != 0)
    }
}

/// What is left of the document to write to the program's stdin.
struct Feed<'a> {
    pipe: Option<ChildStdin>,
    left: &'a [u8],
}

impl Feed<'_> {
    /// Writes what the pipe takes now; closes it when all is written or the program closed
    /// its end (a program that does not read its input is its own business: its exit status
    /// says whether the delivery failed).
    fn pump(&mut self) {
        let Some(pipe) = self.pipe.as_mut() else {
            return;
        };
        while !self.left.is_empty() {
            match pipe.write(self.left) {
                Ok(0) => break,
                Ok(n) => self.left = &self.left[n..],
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => return,
                Err(_) => break,
            }
        }
        self.pipe = None;
    }
}

fn set_nonblocking(pipe: &ChildStdin) -> std::io::Result<()> {
    let fd = pipe.as_raw_fd();
    // SAFETY: fcntl(2) on a descriptor we own; no memory is involved.
    unsafe {
        let flags = libc::fcntl(fd, libc::F_GETFL);
        if flags < 0 || libc::fcntl(fd, libc::F_SETFL, flags | libc::O_NONBLOCK) < 0 {
            return Err(std::io::Error::last_os_error());
        }
    }
    Ok(())
}

/// Runs `argv` with `input` on stdin; exit status 0 is delivered, any other or a timeout is
/// retried, a program that cannot be started is refused.
pub(crate) fn run(argv: &[String], input: &str, timeout: Duration) -> Outcome {
    let Some((program, args)) = argv.split_first() else {
        return Outcome::Refused("empty command".into());
    };
    let mut command = Command::new(program);
    command
        .env(guardian::MARK, guardian::mark_value())
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
        if !running.guardian_tried {
            running.guardian_tried = true;
            running.guardian = guardian::start();
        }
        match command.spawn() {
            Ok(c) => {
                let group = i32::try_from(c.id()).unwrap_or(0);
                running.groups.push(group);
                guardian::tell(&mut running.guardian, '+', group);
                (c, group)
            }
            Err(e) => return Outcome::Refused(format!("cannot run {program}: {e}")),
        }
    };
    let deadline = Instant::now() + timeout;
    let outcome = watch(&mut child, group, input, deadline);
    // What the program left running in its group goes with it; only then is it reaped.
    kill_group(group);
    forget_group(group);
    let status = child.wait();
    match outcome {
        Watched::Exited => match status {
            Ok(status) if status.success() => Outcome::Delivered,
            Ok(status) => Outcome::Retry(format!("{program} exited with {status}")),
            Err(e) => Outcome::Retry(format!("{program}: {e}")),
        },
        Watched::TimedOut => Outcome::Retry(format!("{program} timed out after {timeout:?}")),
        Watched::Failed(e) => Outcome::Retry(format!("{program}: {e}")),
    }
}

/// How watching a running program ended (it is not reaped yet).
enum Watched {
    Exited,
    TimedOut,
    Failed(std::io::Error),
}

/// Feeds the program its input and waits for it to exit or for the deadline.
fn watch(child: &mut Child, group: i32, input: &str, deadline: Instant) -> Watched {
    let mut feed = Feed {
        pipe: child.stdin.take(),
        left: input.as_bytes(),
    };
    if let Some(pipe) = &feed.pipe {
        if let Err(e) = set_nonblocking(pipe) {
            return Watched::Failed(e);
        }
    }
    // Short programs are the rule: look again soon, then less often.
    let mut pause = Duration::from_micros(250);
    loop {
        feed.pump();
        match has_exited(group) {
            Ok(true) => return Watched::Exited,
            Ok(false) if Instant::now() >= deadline => return Watched::TimedOut,
            Ok(false) => {
                std::thread::sleep(pause);
                pause = (pause * 2).min(Duration::from_millis(10));
            }
            Err(e) => return Watched::Failed(e),
        }
    }
}

#[cfg(test)]
#[path = "command_tests.rs"]
mod tests;
