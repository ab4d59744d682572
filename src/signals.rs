//! SIGINT, SIGTERM and SIGHUP become one callback, on a small thread running tokio's signal
//! driver, so every mode (headless, TUI) stops the same way: finish the window in hand, restore
//! the terminal, exit 0.

/// Calls `on_signal` once, when the first of SIGINT, SIGTERM or SIGHUP arrives.
pub fn on_termination(on_signal: impl FnOnce() + Send + 'static) -> std::io::Result<()> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    std::thread::Builder::new()
        .name("signals".into())
        .spawn(move || {
            let received = runtime.block_on(async {
                use tokio::signal::unix::{signal, SignalKind};
                let (Ok(mut int), Ok(mut term), Ok(mut hup)) = (
                    signal(SignalKind::interrupt()),
                    signal(SignalKind::terminate()),
                    signal(SignalKind::hangup()),
                ) else {
                    return false;
                };
                tokio::select! {
                    _ = int.recv() => true,
                    _ = term.recv() => true,
                    _ = hup.recv() => true,
                }
            });
            if received {
                on_signal();
            }
        })?;
    Ok(())
}
