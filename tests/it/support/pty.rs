//! The real binary in a pseudo-terminal, for the end-to-end UI tests: `watch` spawned on a fresh
//! PTY, its output read on a thread into text (escape sequences kept), the child killed if the
//! test ends while it still runs. Every wait has a deadline, so a test can fail but never hang CI.
#![allow(dead_code)]

use std::io::{Read, Write};
use std::path::Path;
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::thread;
use std::time::{Duration, Instant};

use portable_pty::{native_pty_system, Child, CommandBuilder, ExitStatus, PtySize};

/// What the terminal shows when the UI leaves its alternate screen (the terminal is restored).
pub const LEAVE_ALTERNATE_SCREEN: &str = "\u{1b}[?1049l";

/// Kills the child if the test ends (by failure) while it still runs.
pub struct KillOnDrop(pub Box<dyn Child + Send + Sync>);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        if let Ok(None) = self.0.try_wait() {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
}

/// Everything the child wrote; waits look at what arrived since the last [`Output::mark`].
pub struct Output {
    bytes: Receiver<Vec<u8>>,
    pub seen: String,
    pub from: usize,
}

impl Output {
    /// Reads until `needle` appears (since the mark) or `deadline` passes; whether it appeared.
    pub fn wait_for(&mut self, needle: &str, deadline: Instant) -> bool {
        while !self.seen[self.from..].contains(needle) {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return false;
            }
            match self
                .bytes
                .recv_timeout(left.min(Duration::from_millis(100)))
            {
                Ok(bytes) => self.seen.push_str(&String::from_utf8_lossy(&bytes)),
                Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => {
                    return self.seen[self.from..].contains(needle)
                }
            }
        }
        true
    }

    /// Takes in what has arrived, without waiting.
    pub fn drain(&mut self) {
        while let Ok(bytes) = self.bytes.try_recv() {
            self.seen.push_str(&String::from_utf8_lossy(&bytes));
        }
    }

    /// Later waits look only at what arrives from now on.
    pub fn mark(&mut self) {
        self.drain();
        self.from = self.seen.len();
    }

    /// The screen as the output so far left it, `rows` lines of `cols` cells (see [`screen`]).
    pub fn screen(&mut self, cols: usize, rows: usize) -> Vec<String> {
        self.drain();
        screen(&self.seen, cols, rows)
    }

    /// Reads until the screen satisfies `ok` or `deadline` passes; whether it did. Needed where
    /// a frame rewrites only the cells that changed (`window_0007` → `window_0002` sends a `2`).
    pub fn wait_for_screen(
        &mut self,
        cols: usize,
        rows: usize,
        deadline: Instant,
        ok: impl Fn(&[String]) -> bool,
    ) -> bool {
        loop {
            if ok(&self.screen(cols, rows)) {
                return true;
            }
            if Instant::now() >= deadline {
                return false;
            }
            thread::sleep(Duration::from_millis(50));
        }
    }

    /// The last part of the output, escapes made visible, for failure messages.
    pub fn tail(&self) -> String {
        let start = self.seen.len().saturating_sub(3000);
        let start = (start..self.seen.len())
            .find(|&i| self.seen.is_char_boundary(i))
            .unwrap_or(0);
        self.seen[start..].escape_debug().to_string()
    }
}

/// A running `ml-monitor` in a pseudo-terminal.
pub struct Session {
    pub child: KillOnDrop,
    pub out: Output,
    pub keyboard: Box<dyn Write + Send>,
}

impl Session {
    /// `ml-monitor ARGS` in `dir` on a `cols` x 30 terminal (`TERM=xterm-256color`, colour on).
    pub fn start(dir: &Path, args: &[&str], cols: u16) -> anyhow::Result<Session> {
        let mut command = CommandBuilder::new(env!("CARGO_BIN_EXE_ml-monitor"));
        for arg in args {
            command.arg(arg);
        }
        command.cwd(dir);
        command.env("TERM", "xterm-256color");
        command.env("XDG_CONFIG_HOME", dir);
        command.env_remove("NO_COLOR");
        Session::spawn(command, cols)
    }

    /// As [`start`](Self::start), then waits until the screen says it waits for the first
    /// window (before `deadline`), the start of every live test.
    pub fn start_waiting(
        dir: &Path,
        args: &[&str],
        cols: u16,
        deadline: Instant,
    ) -> anyhow::Result<Session> {
        let mut ui = Session::start(dir, args, cols)?;
        assert!(
            ui.out.wait_for("waiting for the first window", deadline),
            "no UI; output:\n{}",
            ui.out.tail()
        );
        Ok(ui)
    }

    /// `command` on a `cols` x 30 terminal.
    pub fn spawn(command: CommandBuilder, cols: u16) -> anyhow::Result<Session> {
        let pty = native_pty_system().openpty(PtySize {
            rows: 30,
            cols,
            pixel_width: 0,
            pixel_height: 0,
        })?;
        let child = KillOnDrop(pty.slave.spawn_command(command)?);
        drop(pty.slave);
        let mut reader = pty.master.try_clone_reader()?;
        let keyboard = pty.master.take_writer()?;
        let (tx, rx) = mpsc::channel();
        thread::spawn(move || {
            let mut buf = [0u8; 8192];
            while let Ok(n) = reader.read(&mut buf) {
                if n == 0 || tx.send(buf[..n].to_vec()).is_err() {
                    break;
                }
            }
        });
        let out = Output {
            bytes: rx,
            seen: String::new(),
            from: 0,
        };
        Ok(Session {
            child,
            out,
            keyboard,
        })
    }

    /// Types `bytes`.
    pub fn keys(&mut self, bytes: &[u8]) -> anyhow::Result<()> {
        self.keyboard.write_all(bytes)?;
        self.keyboard.flush()?;
        Ok(())
    }

    /// Waits for the child to exit (failing past `deadline`, saying `what` did not end it),
    /// then for the terminal to be restored; the exit status.
    pub fn wait_exit(&mut self, what: &str, deadline: Instant) -> anyhow::Result<ExitStatus> {
        let status = loop {
            if let Some(status) = self.child.0.try_wait()? {
                break status;
            }
            assert!(
                Instant::now() < deadline,
                "{what} did not end the UI in time; output:\n{}",
                self.out.tail()
            );
            thread::sleep(Duration::from_millis(50));
        };
        self.out.wait_for(
            LEAVE_ALTERNATE_SCREEN,
            Instant::now() + Duration::from_secs(2),
        );
        self.out.drain();
        Ok(status)
    }

    /// Whether the UI left its alternate screen at any point.
    pub fn restored(&self) -> bool {
        self.out.seen.contains(LEAVE_ALTERNATE_SCREEN)
    }
}

/// What a terminal of `cols` x `rows` shows after `output`: text placed at the cursor, moved by
/// `CSI row;col H`, cleared by `CSI 2 J` and `CSI K`; colours, modes and OSC strings ignored. It
/// is what ratatui's crossterm backend sends, not a whole terminal.
pub fn screen(output: &str, cols: usize, rows: usize) -> Vec<String> {
    let mut grid = vec![vec![' '; cols]; rows];
    let (mut row, mut col) = (0usize, 0usize);
    let mut chars = output.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\u{1b}' => match chars.next() {
                Some('[') => {
                    let mut params = String::new();
                    let mut last = None;
                    for c in chars.by_ref() {
                        if ('\u{40}'..='\u{7e}').contains(&c) {
                            last = Some(c);
                            break;
                        }
                        params.push(c);
                    }
                    let numbers: Vec<usize> = params
                        .trim_start_matches('?')
                        .split(';')
                        .map(|n| n.parse().unwrap_or(0))
                        .collect();
                    let n = |i: usize| numbers.get(i).copied().unwrap_or(0);
                    match last {
                        Some('H') | Some('f') => {
                            row = n(0).max(1) - 1;
                            col = n(1).max(1) - 1;
                        }
                        Some('J') if n(0) == 2 => grid = vec![vec![' '; cols]; rows],
                        Some('K') => {
                            if let Some(line) = grid.get_mut(row) {
                                for cell in line.iter_mut().skip(col) {
                                    *cell = ' ';
                                }
                            }
                        }
                        _ => {}
                    }
                }
                Some(']') => {
                    // OSC: to BEL or ESC \.
                    while let Some(c) = chars.next() {
                        if c == '\u{7}' {
                            break;
                        }
                        if c == '\u{1b}' {
                            chars.next();
                            break;
                        }
                    }
                }
                _ => {}
            },
            '\r' => col = 0,
            '\n' => row += 1,
            c if c < ' ' => {}
            c => {
                if let Some(cell) = grid.get_mut(row).and_then(|line| line.get_mut(col)) {
                    *cell = c;
                }
                col += 1;
            }
        }
    }
    grid.into_iter()
        .map(|line| line.into_iter().collect())
        .collect()
}
