//! SIGINT, SIGTERM and SIGHUP become one callback, on a small thread running tokio's signal
//! driver, so every mode (headless, TUI) stops the same way: finish the window in hand, restore
//! the terminal, exit 0. `--once` with command sinks uses it only to kill their programs
//! before dying of the signal as it always did ([`die_of`]).
//!
//! The handlers are installed before this returns, not on the new thread, so a signal that
//! arrives right after start-up is never met by the default action (which would kill the process
//! with the terminal still in raw mode).

use tokio::signal::unix::{signal, SignalKind};

/// Calls `on_signal` once, when the first of SIGINT, SIGTERM or SIGHUP arrives.
pub(crate) fn on_termination(on_signal: impl FnOnce() + Send + 'static) -> std::io::Result<()> {
    on_termination_signal(move |_| on_signal())
}

/// As [`on_termination`], with the signal's number.
pub(crate) fn on_termination_signal(
    on_signal: impl FnOnce(i32) + Send + 'static,
) -> std::io::Result<()> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let (mut int, mut term, mut hup) = {
        let _context = runtime.enter();
        (
            signal(SignalKind::interrupt())?,
            signal(SignalKind::terminate())?,
            signal(SignalKind::hangup())?,
        )
    };
    std::thread::Builder::new()
        .name("signals".into())
        .spawn(move || {
            let signal = runtime.block_on(async {
                tokio::select! {
                    _ = int.recv() => libc::SIGINT,
                    _ = term.recv() => libc::SIGTERM,
                    _ = hup.recv() => libc::SIGHUP,
                }
            });
            on_signal(signal);
        })?;
    Ok(())
}

/// Ends the process as the signal's default action does, so that whoever started it sees the
/// status it expects (a shell's 130 after Ctrl-C).
pub(crate) fn die_of(signal: i32) -> ! {
    // SAFETY: signal(2) and raise(3) take and return plain integers; no memory is involved.
    unsafe {
        libc::signal(signal, libc::SIG_DFL);
        libc::raise(signal);
    }
    std::process::exit(128 + signal)
}
