//! SIGINT, SIGTERM and SIGHUP become one callback, on a small thread running tokio's signal
//! driver, so every mode (headless, TUI) stops the same way: finish the window in hand, restore
//! the terminal, exit 0.
//!
//! The handlers are installed before this returns, not on the new thread, so a signal that
//! arrives right after start-up is never met by the default action (which would kill the process
//! with the terminal still in raw mode).

use tokio::signal::unix::{signal, SignalKind};

/// Calls `on_signal` once, when the first of SIGINT, SIGTERM or SIGHUP arrives.
pub fn on_termination(on_signal: impl FnOnce() + Send + 'static) -> std::io::Result<()> {
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
            runtime.block_on(async {
                tokio::select! {
                    _ = int.recv() => {}
                    _ = term.recv() => {}
                    _ = hup.recv() => {}
                }
            });
            on_signal();
        })?;
    Ok(())
}
