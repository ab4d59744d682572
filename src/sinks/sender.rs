//! The sender thread: drains the outbox, one sink at a time, with capped exponential backoff.
//!
//! Each sink keeps its own clock: a failing webhook waits 0.5 s, 1 s, 2 s ... up to a minute
//! between tries without holding up Alertmanager. The outbox owes each incident's latest change
//! only, most severe first (see `history::outbox`). The thread wakes when a window was recorded
//! ([`Sender::wake`]), when a backoff or re-send is due, and at least every second (which is
//! also when a silence that ended lets its held rows go). When a window recorded while a batch
//! is being delivered added a change more severe than the batch's next one, the batch ends
//! after the delivery in hand and the outbox is read again: a new CRITICAL change does not wait
//! behind the rest of a batch of INFO ones at a slow receiver. (Only then: reading the whole
//! backlog again after every window would cost more than the deliveries.)
//!
//! `--headless` has no status line: its stderr says which sinks fail or have a backlog, when
//! that starts and ends and every 10 s while it lasts ([`report_on_stderr`]).

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use super::hold::Holder;
use super::{deliver, firing_body, http, Outcome, SinkSpec, SinkTarget};
use crate::history::Outbox;
use crate::runbooks::Runbooks;

const FIRST_BACKOFF: Duration = Duration::from_millis(500);
const MAX_BACKOFF: Duration = Duration::from_secs(60);
/// Rows read per sink per pass.
const BATCH: usize = 64;
/// A backlog this long is shown on the status line (and logged) although nothing fails.
const BACKLOG_SHOWN: usize = 100;
/// How often a backlog is logged while it lasts.
const BACKLOG_LOGGED_EVERY: Duration = Duration::from_secs(10);

/// Whether the sinks' trouble and backlog are said on stderr as well.
static STDERR_REPORTS: AtomicBool = AtomicBool::new(false);

/// Says the sinks' trouble and backlog on stderr too (`--headless`, whose stderr is its log;
/// the TUI shows them on its status line).
pub(crate) fn report_on_stderr() {
    STDERR_REPORTS.store(true, Ordering::SeqCst);
}

/// How a sink is doing, for the status line and `--once`'s last words.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct SinkStatus {
    /// Changes not yet delivered.
    pub(crate) queued: usize,
    /// The last failed try's error while retrying.
    pub(crate) retrying: Option<String>,
    /// Changes refused for good during this run, with the last answer.
    pub(crate) refused: usize,
    pub(crate) last_refusal: Option<String>,
}

/// The sender thread's handle; dropping it stops the thread.
pub(crate) struct Sender {
    wake: mpsc::Sender<()>,
    stop: Arc<AtomicBool>,
    status: Arc<Mutex<BTreeMap<String, SinkStatus>>>,
    /// Passes over every sink completed so far.
    passes: Arc<AtomicU64>,
    /// Wake-ups so far: a batch being delivered ends when it changes.
    wakes: Arc<AtomicU64>,
    handle: Option<JoinHandle<()>>,
}

struct SinkState {
    spec: SinkSpec,
    next_try: Instant,
    backoff: Duration,
    next_resend: Option<Instant>,
}

impl Sender {
    /// Starts the thread on the history at `path`.
    pub(crate) fn start(
        path: &Path,
        specs: Vec<SinkSpec>,
        monitor: String,
        runbooks: Runbooks,
    ) -> anyhow::Result<Sender> {
        let outbox = Outbox::open(path)?;
        let (wake, woken) = mpsc::channel();
        let stop = Arc::new(AtomicBool::new(false));
        let status = Arc::new(Mutex::new(
            specs
                .iter()
                .map(|s| (s.name.clone(), SinkStatus::default()))
                .collect(),
        ));
        let now = Instant::now();
        let sinks: Vec<SinkState> = specs
            .into_iter()
            .map(|spec| SinkState {
                next_resend: match spec.target {
                    SinkTarget::Alertmanager { resend, .. } => Some(now + resend),
                    _ => None,
                },
                spec,
                next_try: now,
                backoff: FIRST_BACKOFF,
            })
            .collect();
        let passes = Arc::new(AtomicU64::new(0));
        let wakes = Arc::new(AtomicU64::new(0));
        let shared = Shared {
            stop: stop.clone(),
            status: status.clone(),
            passes: passes.clone(),
            wakes: wakes.clone(),
        };
        let handle = std::thread::Builder::new()
            .name("sinks".into())
            .spawn(move || run(outbox, sinks, (monitor, runbooks), woken, shared))?;
        Ok(Sender {
            wake,
            stop,
            status,
            passes,
            wakes,
            handle: Some(handle),
        })
    }

    /// A window was recorded: look at the outbox now.
    pub(crate) fn wake(&self) {
        self.wakes.fetch_add(1, Ordering::SeqCst);
        let _ = self.wake.send(());
    }

    /// Each sink's status, by name.
    pub(crate) fn status(&self) -> BTreeMap<String, SinkStatus> {
        self.status.lock().map(|s| s.clone()).unwrap_or_default()
    }

    /// The sinks that are failing, each as one phrase: `alertmanager: retrying, 3 queued`.
    pub(crate) fn failing(&self) -> Vec<String> {
        self.watcher().failing()
    }

    /// A cheap handle that reads the sinks' status from another thread.
    pub(crate) fn watcher(&self) -> StatusWatcher {
        StatusWatcher(self.status.clone())
    }

    /// Waits until every sink's queue is empty or `timeout` passed; the final status.
    pub(crate) fn drain(&self, timeout: Duration) -> BTreeMap<String, SinkStatus> {
        let deadline = Instant::now() + timeout;
        // A pass that began before this call may have read the outbox before the last window
        // was recorded: only the status of a pass begun after it counts.
        let fresh = self.passes.load(Ordering::SeqCst) + 2;
        self.wake();
        loop {
            let status = self.status();
            let current = self.passes.load(Ordering::SeqCst) >= fresh;
            if (current && status.values().all(|s| s.queued == 0)) || Instant::now() >= deadline {
                return status;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

/// Reads the sinks' status from another thread (the TUI's status line).
#[derive(Clone)]
pub(crate) struct StatusWatcher(Arc<Mutex<BTreeMap<String, SinkStatus>>>);

impl StatusWatcher {
    /// The sinks that are failing, each as one phrase: `alertmanager: retrying, 3 queued`.
    pub(crate) fn failing(&self) -> Vec<String> {
        let status = self.0.lock().map(|s| s.clone()).unwrap_or_default();
        status
            .iter()
            .filter_map(|(name, s)| {
                if s.retrying.is_some() {
                    Some(format!("{name}: retrying, {} queued", s.queued))
                } else if s.refused > 0 {
                    Some(format!("{name}: {} refused", s.refused))
                } else if s.queued >= BACKLOG_SHOWN {
                    Some(format!("{name}: {} queued", s.queued))
                } else {
                    None
                }
            })
            .collect()
    }
}

impl Drop for Sender {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = self.wake.send(());
        // A hung receiver is bounded by the sink's timeout; the thread is not waited for
        // longer than that: a detached thread dies with the process.
        if let Some(handle) = self.handle.take() {
            if handle.is_finished() {
                let _ = handle.join();
            }
        }
    }
}

/// What the thread shares with its handle.
struct Shared {
    stop: Arc<AtomicBool>,
    status: Arc<Mutex<BTreeMap<String, SinkStatus>>>,
    passes: Arc<AtomicU64>,
    wakes: Arc<AtomicU64>,
}

/// What `--headless` says on stderr about the sinks: a line when the trouble starts, changes
/// (another sink, retrying or not, one more refusal) or ends, and every
/// [`BACKLOG_LOGGED_EVERY`] while changes wait. Refusals alone are not repeated: they stay
/// counted for the whole run.
#[derive(Default)]
struct StderrReport {
    /// The phrases last said, without the counts of what waits.
    said: Vec<String>,
    at: Option<Instant>,
}

impl StderrReport {
    /// The line to print now, if any, given the sinks' phrases (`webhook: 2500 queued`).
    fn line(&mut self, phrases: &[String], now: Instant) -> Option<String> {
        let waiting = |p: &String| p.ends_with(" queued");
        let shape: Vec<String> = phrases
            .iter()
            .map(|p| {
                if waiting(p) {
                    p.chars().filter(|c| !c.is_ascii_digit()).collect()
                } else {
                    p.clone()
                }
            })
            .collect();
        if phrases.is_empty() {
            if self.said.is_empty() {
                return None;
            }
            self.said.clear();
            self.at = None;
            return Some("sinks: every change delivered".into());
        }
        let due = phrases.iter().any(waiting)
            && self
                .at
                .is_none_or(|at| now.duration_since(at) >= BACKLOG_LOGGED_EVERY);
        if shape == self.said && !due {
            return None;
        }
        self.said = shape;
        self.at = Some(now);
        Some(format!("sinks: {}", phrases.join("; ")))
    }
}

fn run(
    outbox: Outbox,
    mut sinks: Vec<SinkState>,
    (monitor, runbooks): (String, Runbooks),
    woken: mpsc::Receiver<()>,
    shared: Shared,
) {
    let Shared {
        stop,
        status,
        passes,
        wakes,
    } = shared;
    let mut backlog_logged = Instant::now();
    let mut stderr_report = StderrReport::default();
    while !stop.load(Ordering::SeqCst) {
        let mut next_due = Instant::now() + Duration::from_secs(1);
        let mut backlog = Vec::new();
        for sink in &mut sinks {
            if stop.load(Ordering::SeqCst) {
                return;
            }
            let update = pass(&outbox, sink, (&monitor, &runbooks), &wakes);
            // A full batch delivered: more are waiting, go on at once.
            if update.more {
                next_due = Instant::now();
            }
            next_due = next_due.min(sink.next_try);
            if let Some(t) = sink.next_resend {
                next_due = next_due.min(t);
            }
            if let Ok(mut all) = status.lock() {
                let entry = all.entry(sink.spec.name.clone()).or_default();
                entry.queued = outbox
                    .pending_count(&sink.spec.name)
                    .unwrap_or(entry.queued);
                if entry.queued >= BACKLOG_SHOWN {
                    backlog.push(format!("{}: {}", sink.spec.name, entry.queued));
                }
                entry.retrying = update.retrying;
                if let Some(refusal) = update.refusal {
                    entry.refused += update.refused;
                    entry.last_refusal = Some(refusal);
                }
            }
        }
        if !backlog.is_empty() && backlog_logged.elapsed() >= BACKLOG_LOGGED_EVERY {
            log::info!(target: "ml_monitor::sinks", "incident changes queued for delivery: {}", backlog.join(", "));
            backlog_logged = Instant::now();
        }
        if STDERR_REPORTS.load(Ordering::SeqCst) {
            let phrases = StatusWatcher(status.clone()).failing();
            if let Some(line) = stderr_report.line(&phrases, Instant::now()) {
                eprintln!("ml-monitor: {}", crate::sanitize::sanitize(&line));
            }
        }
        passes.fetch_add(1, Ordering::SeqCst);
        let wait = next_due.saturating_duration_since(Instant::now());
        if wait.is_zero() {
            // Take a wake-up that came meanwhile, without waiting.
            if let Err(mpsc::TryRecvError::Disconnected) = woken.try_recv() {
                return;
            }
            continue;
        }
        match woken.recv_timeout(wait.max(Duration::from_millis(5))) {
            Ok(()) | Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => return,
        }
    }
}

#[derive(Default)]
struct PassUpdate {
    /// A full batch was delivered: more rows may be pending.
    more: bool,
    retrying: Option<String>,
    refused: usize,
    refusal: Option<String>,
}

/// One look at a sink's queue (and its re-send, when due). The batch read ends early when a
/// window recorded meanwhile (`wakes` moved) added a more severe change than the next one.
fn pass(
    outbox: &Outbox,
    sink: &mut SinkState,
    (monitor, runbooks): (&str, &Runbooks),
    wakes: &AtomicU64,
) -> PassUpdate {
    let mut update = PassUpdate::default();
    let woken = wakes.load(Ordering::SeqCst);
    let now = Instant::now();
    if now < sink.next_try {
        update.retrying = Some("waiting to retry".into());
        return update;
    }
    // The silences first: rows one lets go are pending again, before the newer ones.
    let (mut holder, rows) = match Holder::start(outbox, &sink.spec.name, monitor)
        .and_then(|holder| Ok((holder, outbox.pending(&sink.spec.name, BATCH)?)))
    {
        Ok(read) => read,
        Err(e) => {
            log::warn!(target: "ml_monitor::sinks", "{}: reading the outbox: {e}", sink.spec.name);
            return retry_later(sink, update, e.to_string());
        }
    };
    let mut woken = woken;
    let read_up_to = rows.iter().map(|r| r.id).max().unwrap_or(0);
    let mut cut_short = false;
    for row in &rows {
        let now_woken = wakes.load(Ordering::SeqCst);
        if now_woken != woken {
            woken = now_woken;
            let overtaken = outbox
                .more_severe_pending(&sink.spec.name, read_up_to, row.change.incident.level)
                .unwrap_or(false);
            if overtaken {
                cut_short = true;
                break;
            }
        }
        match holder.check(outbox, row, monitor) {
            Ok(false) => {}
            Ok(true) => continue,
            Err(e) => return retry_later(sink, update, e.to_string()),
        }
        let earlier = match &sink.spec.target {
            SinkTarget::Alertmanager { .. } => {
                match outbox.earlier_levels(row.change.incident.id, row.change_id) {
                    Ok(levels) => levels,
                    Err(e) => return retry_later(sink, update, e.to_string()),
                }
            }
            SinkTarget::Webhook { .. } | SinkTarget::Command { .. } => Vec::new(),
        };
        match deliver(&sink.spec, monitor, runbooks, row, &earlier) {
            Outcome::Delivered => {
                if let Err(e) = outbox.delivered(row.id) {
                    return retry_later(sink, update, e.to_string());
                }
            }
            Outcome::Refused(answer) => {
                log::error!(target: "ml_monitor::sinks", "{}: incident {} refused: {answer}", sink.spec.name, row.change.incident.id);
                let _ = outbox.failed(row.id, &answer);
                update.refused += 1;
                update.refusal = Some(answer);
            }
            Outcome::Retry(error) => {
                log::warn!(target: "ml_monitor::sinks", "{}: incident {}: {error}; will retry", sink.spec.name, row.change.incident.id);
                let _ = outbox.attempt_failed(row.id, &error);
                return retry_later(sink, update, error);
            }
        }
    }
    sink.backoff = FIRST_BACKOFF;
    update.more = cut_short || rows.len() == BATCH;
    if let (Some(due), SinkTarget::Alertmanager { url, resend }) =
        (sink.next_resend, &sink.spec.target)
    {
        if Instant::now() >= due && rows.len() < BATCH {
            let mut firing = outbox.firing(sink.spec.min_level).unwrap_or_default();
            firing.retain(|i| !holder.silences_incident(i, monitor));
            if !firing.is_empty() {
                let body = firing_body(&firing, monitor, runbooks);
                let outcome = http::post_json(
                    &format!("{url}/api/v2/alerts"),
                    &body,
                    &Default::default(),
                    sink.spec.timeout,
                );
                if let Outcome::Retry(e) | Outcome::Refused(e) = outcome {
                    log::warn!(target: "ml_monitor::sinks", "{}: re-sending firing alerts: {e}", sink.spec.name);
                }
            }
            sink.next_resend = Some(Instant::now() + *resend);
        }
    }
    update
}

fn retry_later(sink: &mut SinkState, mut update: PassUpdate, error: String) -> PassUpdate {
    sink.next_try = Instant::now() + sink.backoff;
    sink.backoff = (sink.backoff * 2).min(MAX_BACKOFF);
    update.retrying = Some(error);
    update
}

#[cfg(test)]
#[path = "sender_tests.rs"]
mod tests;
