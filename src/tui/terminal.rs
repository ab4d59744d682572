//! Raw mode and the alternate screen, and getting out of them on every path.
//!
//! An on-call engineer's shell must never be left in raw mode. [`Session`] restores the terminal
//! when dropped (normal exit, error, unwinding), and a panic hook restores it before the panic
//! message is printed, so the message is readable; the previous hook still runs after. Both go
//! through [`restore`], which does its work once per session and ignores write errors (the
//! terminal may be gone after SIGHUP), so `Drop` never panics. Mouse capture is never turned
//! on: over SSH the terminal's own selection and copy must keep working.

use std::io::{self, Stdout};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Once;

use crossterm::cursor::{Hide, Show};
use crossterm::execute;
use crossterm::terminal::{
    disable_raw_mode, enable_raw_mode, Clear, ClearType, EnterAlternateScreen, LeaveAlternateScreen,
};
use ratatui::backend::CrosstermBackend;
use ratatui::Terminal;

use super::palette::{self, Sgr16};

/// Whether the terminal is currently taken over (and so needs restoring).
static ACTIVE: AtomicBool = AtomicBool::new(false);
static HOOK: Once = Once::new();

/// What the UI draws on: stdout, with colour codes for a 16-colour terminal where needed.
pub(crate) type Backend = CrosstermBackend<Sgr16<Stdout>>;

/// The terminal, taken over for the UI's lifetime.
pub(crate) struct Session {
    terminal: Terminal<Backend>,
}

impl Session {
    /// Raw mode, alternate screen, hidden cursor.
    pub(crate) fn start() -> anyhow::Result<Self> {
        install_panic_hook();
        enable_raw_mode()?;
        ACTIVE.store(true, Ordering::SeqCst);
        // From here any early return drops nothing that restores, so restore by hand.
        let started = execute!(
            io::stdout(),
            EnterAlternateScreen,
            Hide,
            Clear(ClearType::All)
        )
        .map_err(anyhow::Error::from)
        .and_then(|_| {
            let out = Sgr16::new(io::stdout(), palette::from_env());
            Ok(Terminal::new(CrosstermBackend::new(out))?)
        });
        match started {
            Ok(terminal) => Ok(Session { terminal }),
            Err(e) => {
                restore();
                Err(e)
            }
        }
    }

    pub(crate) fn terminal(&mut self) -> &mut Terminal<Backend> {
        &mut self.terminal
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        restore();
    }
}

/// Leaves the alternate screen, shows the cursor and leaves raw mode, once per session.
pub(crate) fn restore() {
    if !ACTIVE.swap(false, Ordering::SeqCst) {
        return;
    }
    let _ = execute!(io::stdout(), LeaveAlternateScreen, Show);
    let _ = disable_raw_mode();
}

fn install_panic_hook() {
    HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            restore();
            previous(info);
        }));
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn restore_is_a_no_op_when_nothing_was_taken_over() {
        // Would write escape sequences to the test's stdout if it did anything.
        restore();
        restore();
        assert!(!ACTIVE.load(Ordering::SeqCst));
    }
}
