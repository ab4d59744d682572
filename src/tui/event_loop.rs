//! When to draw: on change, merged, and otherwise not at all.
//!
//! The loop blocks on the event channel (no polling), with a timeout only for the next clock
//! tick or the end of the frame interval. Every event marks the screen dirty if it changed
//! something; pending events are drained before drawing, and frames are at least
//! [`FRAME_INTERVAL`] apart, so a burst of windows costs one or two frames. Once a second the
//! clock is moved, which redraws only if a time on screen (clock, last window's age) changed:
//! an idle monitor draws once a second for the first minute after a window, then once a minute.
//!
//! Time comes from a [`Pace`]: the real one blocks on the channel; the tests' one jumps to the
//! deadline when nothing is queued, so they check the loop's timing without sleeping.

use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use ratatui::backend::Backend;
use ratatui::{Frame, Terminal};

use super::app::{App, Outcome};
use super::render::{self, Link};
use crate::app_event::{AppEvent, Work};

/// A whole screen the loop drives: one model's ([`App`]) or the fleet's.
pub(crate) trait Screen {
    fn handle(&mut self, event: AppEvent) -> Outcome;
    /// Moves the clock; redraws only if a time on screen changed.
    fn tick(&mut self, now: DateTime<Utc>) -> Outcome;
    /// Draws the screen; returns the links on it (see [`Link`]).
    fn draw(&self, frame: &mut Frame) -> Vec<Link>;
    /// The model (index into the workers) whose view made the last command.
    fn command_target(&self) -> usize {
        0
    }
}

impl Screen for App {
    fn handle(&mut self, event: AppEvent) -> Outcome {
        App::handle(self, event)
    }

    fn tick(&mut self, now: DateTime<Utc>) -> Outcome {
        App::tick(self, now)
    }

    fn draw(&self, frame: &mut Frame) -> Vec<Link> {
        render::draw(frame, self)
    }
}

/// A backend that can make text already on screen a hyperlink.
pub(crate) trait Hyperlinks {
    fn hyperlinks(&mut self, links: &[Link]) -> std::io::Result<()>;
}

/// A real terminal: each link's text is printed again at its place inside OSC 8
/// (`ESC ] 8 ; ; URL ESC \ text ESC ] 8 ; ; ESC \`), which terminals that do not know it ignore.
/// The next frame moves the cursor before it writes, so nothing else is disturbed.
impl<W: std::io::Write> Hyperlinks for ratatui::backend::CrosstermBackend<W> {
    fn hyperlinks(&mut self, links: &[Link]) -> std::io::Result<()> {
        for link in links {
            crossterm::queue!(
                self,
                crossterm::cursor::MoveTo(link.x, link.y),
                crossterm::style::Print(osc8(&link.url, &link.text))
            )?;
        }
        std::io::Write::flush(self)
    }
}

/// Tests draw into a buffer, which has no links.
impl Hyperlinks for ratatui::backend::TestBackend {
    fn hyperlinks(&mut self, _links: &[Link]) -> std::io::Result<()> {
        Ok(())
    }
}

/// `text` as an OSC 8 hyperlink to `url` (control characters are already stripped from both).
pub(crate) fn osc8(url: &str, text: &str) -> String {
    format!("\x1b]8;;{url}\x1b\\{text}\x1b]8;;\x1b\\")
}

/// At most ten frames a second.
pub(crate) const FRAME_INTERVAL: Duration = Duration::from_millis(100);
/// How often the clock is looked at.
pub(crate) const TICK_INTERVAL: Duration = Duration::from_secs(1);

/// The loop's sense of time: what time it is, and how to wait for an event until a deadline.
pub(crate) trait Pace {
    fn now(&self) -> Instant;
    /// The next event, or `Timeout` at `until`, or `Disconnected` when every sender is gone.
    fn wait(
        &self,
        events: &Receiver<AppEvent>,
        until: Instant,
    ) -> Result<AppEvent, RecvTimeoutError>;
}

/// The monotonic clock, and a blocking wait on the channel.
pub(crate) struct RealTime;

impl Pace for RealTime {
    fn now(&self) -> Instant {
        Instant::now()
    }

    fn wait(
        &self,
        events: &Receiver<AppEvent>,
        until: Instant,
    ) -> Result<AppEvent, RecvTimeoutError> {
        events.recv_timeout(until.saturating_duration_since(Instant::now()))
    }
}

/// What a run did, for tests and measurements.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Stats {
    pub(crate) frames: usize,
    pub(crate) events: usize,
}

/// Runs until the app asks to quit or every sender of `events` is gone. Acknowledgements go
/// straight to the worker of the model they concern (`workers`, by model index).
pub(crate) fn run<B, S: Screen>(
    terminal: &mut Terminal<B>,
    app: &mut S,
    events: &Receiver<AppEvent>,
    workers: &[Sender<Work>],
    clock: impl Fn() -> DateTime<Utc>,
    pace: &impl Pace,
) -> anyhow::Result<Stats>
where
    B: Backend + Hyperlinks,
    B::Error: Send + Sync + 'static,
{
    let mut stats = Stats::default();
    let mut dirty = true;
    let mut last_frame: Option<Instant> = None;
    let mut next_tick = pace.now() + TICK_INTERVAL;
    loop {
        let now = pace.now();
        let frame_due = last_frame.is_none_or(|t| now.duration_since(t) >= FRAME_INTERVAL);
        if dirty && frame_due {
            let mut links = Vec::new();
            terminal.draw(|frame| links = app.draw(frame))?;
            if !links.is_empty() {
                terminal.backend_mut().hyperlinks(&links)?;
            }
            stats.frames += 1;
            last_frame = Some(now);
            dirty = false;
        }
        let wake = match (dirty, last_frame) {
            (true, Some(t)) => (t + FRAME_INTERVAL).min(next_tick),
            _ => next_tick,
        };
        let first = match pace.wait(events, wake) {
            Ok(event) => Some(event),
            Err(RecvTimeoutError::Timeout) => None,
            Err(RecvTimeoutError::Disconnected) => return Ok(stats),
        };
        // Drain what is already queued so a burst becomes one frame.
        for event in first
            .into_iter()
            .chain(std::iter::from_fn(|| events.try_recv().ok()))
        {
            stats.events += 1;
            let outcome = apply(app, event, &clock);
            if outcome.quit {
                return Ok(stats);
            }
            if let Some(text) = &outcome.copy {
                super::clipboard::copy(text);
            }
            if let Some(command) = outcome.command {
                let worker = workers.get(app.command_target());
                if worker.is_none_or(|w| w.send(Work::Command(command)).is_err()) {
                    log::warn!("acknowledgement not recorded: the processing side has stopped");
                }
            }
            dirty |= outcome.redraw;
        }
        if pace.now() >= next_tick {
            dirty |= apply(app, AppEvent::Tick, &clock).redraw;
            next_tick = pace.now() + TICK_INTERVAL;
        }
    }
}

/// One event, with the clock moved first so a window's age starts right.
fn apply<S: Screen>(app: &mut S, event: AppEvent, clock: &impl Fn() -> DateTime<Utc>) -> Outcome {
    let ticked = app.tick(clock());
    let mut outcome = app.handle(event);
    outcome.redraw |= ticked.redraw;
    outcome
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tui::fixtures;
    use crate::tui::render::testing::shows;
    use ratatui::backend::TestBackend;
    use std::cell::Cell;
    use std::sync::mpsc::{self, TryRecvError};

    fn terminal() -> Terminal<TestBackend> {
        Terminal::new(TestBackend::new(80, 24)).expect("test terminal")
    }

    /// Test time: what is queued comes at once; when nothing is, time jumps to the deadline
    /// (`idle` times), then the run is told to shut down.
    struct FakeTime {
        now: Cell<Instant>,
        idle: Cell<usize>,
        /// Every deadline waited for, relative to the start.
        waited: std::cell::RefCell<Vec<Duration>>,
        start: Instant,
    }

    impl FakeTime {
        fn new(idle: usize) -> FakeTime {
            let start = Instant::now();
            FakeTime {
                now: Cell::new(start),
                idle: Cell::new(idle),
                waited: Default::default(),
                start,
            }
        }
    }

    impl Pace for FakeTime {
        fn now(&self) -> Instant {
            self.now.get()
        }

        fn wait(
            &self,
            events: &Receiver<AppEvent>,
            until: Instant,
        ) -> Result<AppEvent, RecvTimeoutError> {
            match events.try_recv() {
                Ok(event) => Ok(event),
                Err(TryRecvError::Disconnected) => Err(RecvTimeoutError::Disconnected),
                Err(TryRecvError::Empty) if self.idle.get() == 0 => Ok(AppEvent::Shutdown),
                Err(TryRecvError::Empty) => {
                    self.idle.set(self.idle.get() - 1);
                    self.now.set(self.now.get().max(until));
                    self.waited.borrow_mut().push(until - self.start);
                    Err(RecvTimeoutError::Timeout)
                }
            }
        }
    }

    /// Three idle seconds: the loop wakes once a second for the clock and draws nothing new.
    #[test]
    fn an_idle_screen_is_drawn_once() {
        let (_tx, rx) = mpsc::channel();
        let (cmd_tx, _cmd_rx) = mpsc::channel();
        let mut app = fixtures::app(3, false);
        let now = app.now;
        let time = FakeTime::new(3);
        let stats = run(
            &mut terminal(),
            &mut app,
            &rx,
            &[cmd_tx],
            move || now,
            &time,
        )
        .expect("run");
        assert_eq!(stats.frames, 1, "idle ticks redrew: {stats:?}");
        assert_eq!(
            *time.waited.borrow(),
            vec![TICK_INTERVAL, 2 * TICK_INTERVAL, 3 * TICK_INTERVAL],
            "it sleeps until each tick, never polls"
        );
    }

    #[test]
    fn a_burst_of_windows_is_merged_into_few_frames() {
        let (tx, rx) = mpsc::channel();
        let (cmd_tx, _cmd_rx) = mpsc::channel();
        let mut app = fixtures::app(0, false);
        let now = fixtures::now();
        for i in 1..=40 {
            let _ = tx.send(AppEvent::Window(Box::new(fixtures::report(i, i % 3 == 0))));
        }
        let mut t = terminal();
        let time = FakeTime::new(2);
        let stats = run(&mut t, &mut app, &rx, &[cmd_tx], move || now, &time).expect("run");
        assert_eq!(stats.events, 41, "40 windows and the shutdown");
        assert_eq!(
            stats.frames, 2,
            "the first frame, then one for the burst: {stats:?}"
        );
        // The burst's frame waited for the frame interval after the first.
        assert_eq!(time.waited.borrow().first(), Some(&FRAME_INTERVAL));
        assert!(shows(t.backend().buffer(), "window_0040.csv"));
    }

    #[test]
    fn acknowledgements_go_out_as_commands_and_q_quits() {
        let (tx, rx) = mpsc::channel();
        let (cmd_tx, cmd_rx) = mpsc::channel();
        let mut app = fixtures::app(3, false);
        let now = app.now;
        for code in ['\t', 'a', 'q'] {
            let code = match code {
                '\t' => crossterm::event::KeyCode::Tab,
                c => crossterm::event::KeyCode::Char(c),
            };
            tx.send(fixtures::key(code)).expect("queued");
        }
        run(
            &mut terminal(),
            &mut app,
            &rx,
            &[cmd_tx],
            move || now,
            &FakeTime::new(0),
        )
        .expect("run");
        let sent: Vec<Work> = cmd_rx.try_iter().collect();
        assert_eq!(sent.len(), 1, "{sent:?}");
        assert!(matches!(sent[0], Work::Command(_)), "{sent:?}");
    }

    #[test]
    fn the_loop_ends_when_every_sender_is_gone() {
        let (tx, rx) = mpsc::channel::<AppEvent>();
        let (cmd_tx, _cmd_rx) = mpsc::channel();
        drop(tx);
        let mut app = fixtures::app(1, false);
        let stats = run(
            &mut terminal(),
            &mut app,
            &rx,
            &[cmd_tx],
            fixtures::now,
            &FakeTime::new(0),
        )
        .expect("run");
        assert_eq!(stats.frames, 1);
    }
}
