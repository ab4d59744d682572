//! Results the history could not record, kept and written again later.
//!
//! A full disk or a locked database must not lose a window, nor stop the live modes on the
//! first failure: the result has been shown; it is kept in memory and written again after
//! 0.25, 0.5, 1, 2, 4 and 8 s. If the last attempt fails too, the live mode gives up with an
//! error (exit status 1), and the next start processes the window again, since its file key
//! was never recorded.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use ml_monitor::MonitoringResult;

use super::pipeline::Pipeline;
use crate::history::FileKey;

/// Attempts after the first failed write, each after twice the previous delay.
const RETRIES: u32 = 6;
const FIRST_DELAY: Duration = Duration::from_millis(250);

struct Unstored {
    key: Option<FileKey>,
    result: MonitoringResult,
    retries: u32,
    next: Instant,
}

/// The results waiting to be recorded, oldest first.
#[derive(Default)]
pub(crate) struct StoreRetry {
    queue: VecDeque<Unstored>,
}

impl StoreRetry {
    /// Keeps a result whose first write failed.
    pub(crate) fn push(&mut self, key: Option<FileKey>, result: MonitoringResult) {
        self.queue.push_back(Unstored {
            key,
            result,
            retries: 0,
            next: Instant::now() + FIRST_DELAY,
        });
    }

    /// How many results wait.
    pub(crate) fn len(&self) -> usize {
        self.queue.len()
    }

    /// When the next attempt is due, if any result waits.
    pub(crate) fn next_due(&self) -> Option<Instant> {
        self.queue.iter().map(|u| u.next).min()
    }

    /// Writes what is due (`now_all`: everything, e.g. before exiting). Returns the windows
    /// now recorded, or the error of one that failed its last attempt: give up.
    pub(crate) fn run(
        &mut self,
        pipeline: &mut Pipeline,
        now_all: bool,
    ) -> anyhow::Result<Vec<String>> {
        let now = Instant::now();
        let mut recorded = Vec::new();
        let mut waiting = VecDeque::new();
        while let Some(mut u) = self.queue.pop_front() {
            if !now_all && u.next > now {
                waiting.push_back(u);
                continue;
            }
            match pipeline.store(u.key.as_ref(), &u.result) {
                Ok(_) => recorded.push(u.result.window.clone()),
                Err(e) => {
                    u.retries += 1;
                    if u.retries >= RETRIES || now_all {
                        self.queue = waiting;
                        return Err(e.context(format!(
                            "gave up recording {} in the history after {} attempts",
                            u.result.window,
                            u.retries + 1
                        )));
                    }
                    log::warn!("{e:#}; retrying");
                    u.next = Instant::now() + FIRST_DELAY * 2u32.pow(u.retries);
                    waiting.push_back(u);
                }
            }
        }
        self.queue = waiting;
        Ok(recorded)
    }
}
