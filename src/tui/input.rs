//! The thread that turns terminal input into [`AppEvent`]s on the one channel.
//!
//! It waits on input with a half-second timeout rather than blocking for good, only so that it
//! notices it should stop once the UI has restored the terminal: a reader left blocked would
//! swallow the user's next keystrokes in the shell while the process finishes shutting down.
//! Two wake-ups a second cost nothing measurable.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::Sender;
use std::sync::Arc;
use std::thread;
use std::time::Duration;

use crossterm::event::{self, Event};

use crate::app_event::AppEvent;

const POLL: Duration = Duration::from_millis(500);

/// Stops the reader when dropped (within [`POLL`]); the thread is not joined.
pub(crate) struct InputReader {
    stop: Arc<AtomicBool>,
}

impl InputReader {
    pub(crate) fn spawn(events: Sender<AppEvent>) -> std::io::Result<Self> {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&stop);
        thread::Builder::new()
            .name("tui-input".into())
            .spawn(move || read_loop(&events, &flag))?;
        Ok(InputReader { stop })
    }
}

impl Drop for InputReader {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
    }
}

fn read_loop(events: &Sender<AppEvent>, stop: &AtomicBool) {
    while !stop.load(Ordering::SeqCst) {
        match event::poll(POLL) {
            Ok(false) => continue,
            Ok(true) => {}
            Err(e) => {
                log::warn!("terminal input unreadable, keys stop working: {e}");
                return;
            }
        }
        if stop.load(Ordering::SeqCst) {
            return;
        }
        let event = match event::read() {
            Ok(Event::Key(key)) => AppEvent::Key(key),
            Ok(Event::Resize(width, height)) => AppEvent::Resize(width, height),
            Ok(_) => continue,
            Err(e) => {
                log::warn!("terminal input unreadable, keys stop working: {e}");
                return;
            }
        };
        if events.send(event).is_err() {
            return;
        }
    }
}
