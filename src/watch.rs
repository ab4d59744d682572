//! Directory watcher: says "this window file is now complete, process it", once per file.
//!
//! A file is complete when its writer closes it (inotify `Close(Write)`) or when it is renamed
//! into the directory (`Modify(Name(To | Both))`). `Create` and `Modify(Data)` only mean that a
//! write has started, so reacting to them would hand half-written CSV to the monitor. Events can
//! still be lost (inotify queue overflow, network file systems, the `--poll` mode that has no
//! events at all), so a periodic rescan is the backstop: a file whose size and modification time
//! are the same on two consecutive scans counts as complete too. In poll mode that rescan is the
//! only mechanism; notify's `PollWatcher` is not used, because its events carry no completion
//! signal and it would only stat the directory a second time.
//!
//! With notify, a file seen being written (`Create` / `Modify(Data)`) but not yet closed is held
//! back by the rescan until it has been quiet for [`OPEN_WRITER_QUIET`]: a writer that pauses
//! between chunks is not mistaken for a finished one, and a file whose close event was lost is
//! still picked up eventually.
//!
//! Files already present at start are taken as complete: nothing can tell otherwise.
//!
//! What the watcher remembers of a reported file is the history's key: name, size and
//! modification time. A new version of a reported file (rewritten, or appended to) is reported
//! again; the same version never is. A file closed with no data row yet (empty, or only its
//! header) is not a window: it is held until a later close brings rows, or until it has been
//! quiet for [`OPEN_WRITER_QUIET`] (then it is reported and becomes an error result). A file
//! the monitor could not read is handed back with [`Watcher::forget`] and reported again when
//! it changes in any way, its permissions included.
//!
//! The directory is canonicalised once at start: notify reports absolute paths, and a relative
//! directory would match none of them.
//!
//! Only direct children of the directory are considered, and only `*.csv`, `*.csv.gz` and
//! `*.parquet` (any case; see `ml_monitor::data::Format`) — so dot-directories such as
//! `.ml-monitor/` are never entered, and stray notes or logs are ignored.

use std::collections::{HashMap, HashSet};
use std::ffi::{OsStr, OsString};
use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant, SystemTime};

use notify::event::{AccessKind, AccessMode, ModifyKind, RenameMode};
use notify::{Event, EventKind, RecommendedWatcher, RecursiveMode, Watcher as _};

/// How long a file that notify saw being written, but not closed, must stay unchanged before
/// the rescan treats it as complete anyway.
pub(crate) const OPEN_WRITER_QUIET: Duration = Duration::from_secs(30);

/// How the watcher looks for files.
#[derive(Debug, Clone)]
pub(crate) struct WatchOptions {
    /// `Some(interval)`: no notify at all, only a rescan at this interval (for file systems
    /// where notify events do not arrive). A writer that keeps a file open and idle for two
    /// intervals is then taken as done: such writers should write a dotfile and rename it.
    pub(crate) poll: Option<Duration>,
    /// Backstop rescan interval when notify is used.
    pub(crate) rescan_interval: Duration,
    /// Files never reported, such as the reference when it lies in the directory (compared
    /// canonicalised).
    pub(crate) ignore: Vec<PathBuf>,
}

impl Default for WatchOptions {
    fn default() -> Self {
        Self {
            poll: None,
            rescan_interval: Duration::from_secs(2),
            ignore: Vec::new(),
        }
    }
}

/// What the watcher reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum WatchEvent {
    /// This file is complete: process it.
    Ready(PathBuf),
    /// The directory vanished or became unreadable, or notify failed; the watcher keeps retrying.
    Trouble(String),
    /// The directory is watched again after a `Trouble`.
    Recovered,
}

/// Why the watcher could not start. The cause is in the message, not a `source()`, so that
/// anyhow's `{:#}` does not say it twice.
#[derive(Debug, thiserror::Error)]
pub(crate) enum WatchError {
    #[error("cannot read the watched directory \"{}\": {error}", path.display())]
    Directory { path: PathBuf, error: io::Error },
    #[error("\"{}\" is not a directory", path.display())]
    NotADirectory { path: PathBuf },
    #[error("cannot watch \"{}\" for new files: {error} (try --poll)", path.display())]
    Notify { path: PathBuf, error: notify::Error },
    #[error("cannot start the watcher thread: {0}")]
    Thread(io::Error),
}

/// Whether `path` names a data window: a regular file (symlinks followed) called `*.csv`,
/// `*.csv.gz` or `*.parquet` (any case), not hidden (`.name`), not a temporary `*.tmp` / `*.part`;
/// or a profile (`*.profile.parquet` / `*.profile.json`: a file, or a Spark directory holding
/// `_SUCCESS`).
///
/// Only the file name is checked: the watcher never descends into sub-directories, which is how
/// files inside dot-directories stay out.
pub(crate) fn is_candidate(path: &Path) -> bool {
    window_meta(path).is_some()
}

/// The window files in `dir` now, in name order, without those in `ignore`.
pub(crate) fn initial_files(dir: &Path, ignore: &[PathBuf]) -> io::Result<Vec<PathBuf>> {
    list_windows(dir, &IgnoreSet::new(ignore))
}

fn list_windows(dir: &Path, ignore: &IgnoreSet) -> io::Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    for entry in fs::read_dir(dir)? {
        let path = entry?.path();
        if is_candidate(&path) && !ignore.contains(&path) {
            files.push(path);
        }
    }
    files.sort_by(|a, b| a.file_name().cmp(&b.file_name()));
    Ok(files)
}

/// Paths to leave out, kept both as given and canonicalised.
struct IgnoreSet(Vec<PathBuf>);

impl IgnoreSet {
    fn new(paths: &[PathBuf]) -> Self {
        let mut all = Vec::new();
        for path in paths {
            all.push(path.clone());
            if let Ok(canonical) = fs::canonicalize(path) {
                all.push(canonical);
            }
        }
        Self(all)
    }

    fn contains(&self, path: &Path) -> bool {
        if self.0.is_empty() {
            return false;
        }
        self.0.iter().any(|p| p == path)
            || fs::canonicalize(path).is_ok_and(|canonical| self.0.contains(&canonical))
    }
}

/// A running watcher; stopping or dropping it ends its thread.
pub(crate) struct Watcher {
    /// The watched directory, canonical (as the paths it reports).
    dir: PathBuf,
    tx: Sender<Msg>,
    thread: Option<JoinHandle<()>>,
}

enum Msg {
    /// An event from the notify watcher of the given generation.
    Notify(u64, notify::Result<Event>),
    /// This reported file could not be read: report it again once it changes.
    Forget(OsString),
    Stop,
}

/// Hands files the monitor could not read back to the watcher that reported them (cloneable,
/// any thread). One model may have two watchers (its windows, and `[labels] dir`): the handle
/// of both sends each file to the one watching its directory.
#[derive(Clone)]
pub(crate) struct Forgetter(Vec<(PathBuf, Sender<Msg>)>);

impl Forgetter {
    /// The file at `path` could not be read: it is not done, and is reported again when its
    /// size, modification time or status (permissions) change.
    pub(crate) fn forget(&self, path: &Path) {
        let Some(name) = path.file_name() else {
            return;
        };
        let parent = path.parent();
        let owner = self
            .0
            .iter()
            .find(|(dir, _)| parent == Some(dir.as_path()))
            .or_else(|| self.0.first());
        if let Some((_, tx)) = owner {
            let _ = tx.send(Msg::Forget(name.to_owned()));
        }
    }

    /// A handle that hands files back to no watcher (tests of the worker without one).
    #[cfg(test)]
    pub(crate) fn none() -> Forgetter {
        Forgetter(Vec::new())
    }

    /// One handle for this watcher's files and `other`'s.
    pub(crate) fn and(mut self, other: Forgetter) -> Forgetter {
        self.0.extend(other.0);
        self
    }
}

/// Watches `dir`: reports the window files present now (name order, minus those `already_seen`
/// says an earlier run processed), then each file as it becomes complete (arrival order), each
/// path at most once. `sink` returns false when nobody listens any more; the watcher then stops.
pub(crate) fn spawn(
    dir: PathBuf,
    options: WatchOptions,
    already_seen: impl Fn(&Path) -> bool + Send + 'static,
    sink: impl Fn(WatchEvent) -> bool + Send + 'static,
) -> Result<Watcher, WatchError> {
    let meta = fs::metadata(&dir).map_err(|error| WatchError::Directory {
        path: dir.clone(),
        error,
    })?;
    // notify's paths are absolute: compare them with an absolute directory.
    let dir = fs::canonicalize(&dir).map_err(|error| WatchError::Directory {
        path: dir.clone(),
        error,
    })?;
    if !meta.is_dir() {
        return Err(WatchError::NotADirectory { path: dir });
    }
    let (tx, rx) = mpsc::channel();
    let mut state = State {
        ignore: IgnoreSet::new(&options.ignore),
        interval: options.poll.unwrap_or(options.rescan_interval),
        use_notify: options.poll.is_none(),
        dir,
        done: HashMap::new(),
        failed: HashMap::new(),
        pending: HashMap::new(),
        notify: None,
        generation: 0,
        dir_id: None,
        troubled: false,
        scan_soon: false,
        tx: tx.clone(),
        already_seen: Box::new(already_seen),
        sink: Box::new(sink),
    };
    // Watch first, then list: a file completed in between is in both, and `done` dedupes.
    state.establish().map_err(|error| WatchError::Notify {
        path: state.dir.clone(),
        error,
    })?;
    let initial =
        list_windows(&state.dir, &state.ignore).map_err(|error| WatchError::Directory {
            path: state.dir.clone(),
            error,
        })?;
    let watched = state.dir.clone();
    let thread = thread::Builder::new()
        .name("ml-monitor-watch".into())
        .spawn(move || state.run(initial, rx))
        .map_err(WatchError::Thread)?;
    Ok(Watcher {
        dir: watched,
        tx,
        thread: Some(thread),
    })
}

impl Watcher {
    /// A handle that hands unreadable files back (see [`Forgetter::forget`]).
    pub(crate) fn forgetter(&self) -> Forgetter {
        Forgetter(vec![(self.dir.clone(), self.tx.clone())])
    }

    /// Stops the watcher and waits for its thread.
    pub(crate) fn stop(mut self) {
        self.shutdown();
    }

    fn shutdown(&mut self) {
        let Some(thread) = self.thread.take() else {
            return;
        };
        let _ = self.tx.send(Msg::Stop);
        if thread.thread().id() == thread::current().id() {
            return; // dropped from inside the sink: the loop ends on its own
        }
        if thread.join().is_err() {
            log::error!("the directory watcher thread panicked");
        }
    }
}

impl Drop for Watcher {
    fn drop(&mut self) {
        self.shutdown();
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Flow {
    Continue,
    Stop,
}

/// A file not yet reported.
#[derive(Default)]
struct Pending {
    /// Size and modification time at the last scan.
    stamp: Option<(u64, SystemTime)>,
    /// Last `Create` / `Modify(Data)` from notify without a close since (or when a file closed
    /// without rows was held back).
    last_write: Option<Instant>,
    /// Held back because it had no data row when it was closed: reported after the quiet
    /// period even without rows.
    held_empty: bool,
}

struct State {
    dir: PathBuf,
    ignore: IgnoreSet,
    interval: Duration,
    use_notify: bool,
    /// Names reported, skipped as already seen, or ignored, with the version that was: that
    /// version is never reported again, a new one is.
    done: HashMap<OsString, Stamp>,
    /// Files the monitor could not read, with their full stamp then: reported again on change.
    failed: HashMap<OsString, (Stamp, i64, i64)>,
    pending: HashMap<OsString, Pending>,
    notify: Option<RecommendedWatcher>,
    /// Tags the current notify watcher's events, so that those of a dropped one are ignored.
    generation: u64,
    /// Device and inode of the directory when the watch was set up.
    dir_id: Option<(u64, u64)>,
    troubled: bool,
    scan_soon: bool,
    tx: Sender<Msg>,
    already_seen: Box<dyn Fn(&Path) -> bool + Send>,
    sink: Box<dyn Fn(WatchEvent) -> bool + Send>,
}

impl State {
    fn run(mut self, initial: Vec<PathBuf>, rx: Receiver<Msg>) {
        for path in initial {
            if let Some(name) = path.file_name() {
                if self.complete(name, false) == Flow::Stop {
                    return;
                }
            }
        }
        let mut next_scan = Instant::now() + self.interval;
        loop {
            let timeout = next_scan.saturating_duration_since(Instant::now());
            let flow = match rx.recv_timeout(timeout) {
                Ok(Msg::Stop) | Err(RecvTimeoutError::Disconnected) => return,
                Ok(Msg::Forget(name)) => {
                    self.forget(name);
                    Flow::Continue
                }
                Ok(Msg::Notify(generation, result)) if generation == self.generation => {
                    self.on_notify(result)
                }
                Ok(Msg::Notify(..)) | Err(RecvTimeoutError::Timeout) => Flow::Continue,
            };
            if flow == Flow::Stop {
                return;
            }
            if self.scan_soon || Instant::now() >= next_scan {
                self.scan_soon = false;
                let flow = if self.troubled {
                    self.recover()
                } else {
                    self.scan()
                };
                if flow == Flow::Stop {
                    return;
                }
                next_scan = Instant::now() + self.interval;
            }
        }
    }

    /// Sets up the notify watch (unless polling) and remembers which directory it is on.
    fn establish(&mut self) -> notify::Result<()> {
        self.notify = None;
        self.generation += 1;
        self.dir_id = dir_identity(&self.dir);
        if self.use_notify {
            let tx = self.tx.clone();
            let generation = self.generation;
            let mut watcher = notify::recommended_watcher(move |event| {
                let _ = tx.send(Msg::Notify(generation, event));
            })?;
            watcher.watch(&self.dir, RecursiveMode::NonRecursive)?;
            self.notify = Some(watcher);
        }
        Ok(())
    }

    fn emit(&self, event: WatchEvent) -> Flow {
        if (self.sink)(event) {
            Flow::Continue
        } else {
            Flow::Stop
        }
    }

    fn trouble(&mut self, message: String) -> Flow {
        self.notify = None;
        self.generation += 1;
        self.pending.clear();
        if self.troubled {
            return Flow::Continue;
        }
        log::warn!("{message}");
        self.troubled = true;
        self.emit(WatchEvent::Trouble(message))
    }

    fn recover(&mut self) -> Flow {
        if fs::read_dir(&self.dir).is_err() {
            return Flow::Continue;
        }
        if let Err(err) = self.establish() {
            log::debug!("still cannot watch {}: {err}", self.dir.display());
            return Flow::Continue;
        }
        log::info!("watching {} again", self.dir.display());
        self.troubled = false;
        if self.emit(WatchEvent::Recovered) == Flow::Stop {
            return Flow::Stop;
        }
        self.scan()
    }

    fn on_notify(&mut self, result: notify::Result<Event>) -> Flow {
        let event = match result {
            Ok(event) => event,
            Err(err) => {
                return self.trouble(format!(
                    "file notification for {} failed: {err}",
                    self.dir.display()
                ))
            }
        };
        log::trace!("notify: {:?} {:?}", event.kind, event.paths);
        if event.need_rescan() {
            // Events were lost: nothing can be assumed about open writers.
            for pending in self.pending.values_mut() {
                pending.last_write = None;
            }
            self.scan_soon = true;
            return Flow::Continue;
        }
        if event.paths.iter().any(|path| path == &self.dir) {
            match event.kind {
                EventKind::Remove(_) => {
                    return self.trouble(format!("{} was removed", self.dir.display()))
                }
                // The watch follows the moved directory, so its paths would be wrong from now on.
                EventKind::Modify(ModifyKind::Name(_)) => {
                    return self.trouble(format!("{} was moved away", self.dir.display()))
                }
                _ => return Flow::Continue,
            }
        }
        match event.kind {
            EventKind::Access(AccessKind::Close(AccessMode::Write))
            | EventKind::Modify(ModifyKind::Name(RenameMode::To)) => match self.child(&event, 0) {
                Some(name) => self.complete(&name, false),
                None => Flow::Continue,
            },
            EventKind::Modify(ModifyKind::Name(RenameMode::Both)) => match self.child(&event, 1) {
                Some(name) => self.complete(&name, false),
                None => Flow::Continue,
            },
            EventKind::Create(_) | EventKind::Modify(ModifyKind::Data(_)) => {
                // Also for a reported file: this is a new version being written.
                if let Some(name) = self.child(&event, 0) {
                    self.pending.entry(name).or_default().last_write = Some(Instant::now());
                }
                Flow::Continue
            }
            EventKind::Remove(_) | EventKind::Modify(ModifyKind::Name(RenameMode::From)) => {
                if let Some(name) = self.child(&event, 0) {
                    self.pending.remove(&name);
                }
                Flow::Continue
            }
            _ => Flow::Continue,
        }
    }

    /// The file name of the event's `index`-th path, when that is a window-named child of the
    /// directory.
    fn child(&self, event: &Event, index: usize) -> Option<OsString> {
        let path = event.paths.get(index)?;
        let name = path.file_name()?;
        (path.parent() == Some(self.dir.as_path()) && is_window_name(name)).then(|| name.to_owned())
    }

    /// Reports `name` unless this version of it was handled before, it is not a window, it is
    /// ignored or already seen, or it has no data row yet (held back unless `force`).
    fn complete(&mut self, name: &OsStr, force: bool) -> Flow {
        let path = self.dir.join(name);
        let meta = match window_meta(&path) {
            Some(meta) => meta,
            None => {
                self.pending.remove(name);
                return Flow::Continue;
            }
        };
        let stamp = stamp_of(&meta);
        let unchanged_failure = self.failed.get(name) == Some(&full_stamp(&meta));
        if self.done.get(name) == Some(&stamp) || unchanged_failure {
            self.pending.remove(name);
            return Flow::Continue;
        }
        if !force && !has_data_row(&path) {
            // Closed with only a header (or nothing): the rows may come with a later close.
            let pending = self.pending.entry(name.to_owned()).or_default();
            pending.held_empty = true;
            pending.last_write = Some(Instant::now());
            return Flow::Continue;
        }
        self.pending.remove(name);
        self.failed.remove(name);
        self.done.insert(name.to_owned(), stamp);
        if self.ignore.contains(&path) || (self.already_seen)(&path) {
            return Flow::Continue;
        }
        self.emit(WatchEvent::Ready(path))
    }

    /// A reported file could not be read: forget that it was done, and remember how it looked,
    /// so that any change (even of its permissions) reports it again.
    fn forget(&mut self, name: OsString) {
        self.done.remove(&name);
        if let Some(meta) = window_meta(&self.dir.join(&name)) {
            self.failed.insert(name, full_stamp(&meta));
        }
    }

    /// The backstop: reports files whose size and mtime did not change since the last scan.
    fn scan(&mut self) -> Flow {
        let entries = match fs::read_dir(&self.dir) {
            Ok(entries) => entries,
            Err(err) => {
                return self.trouble(format!("cannot read {}: {err}", self.dir.display()));
            }
        };
        if self.use_notify && dir_identity(&self.dir) != self.dir_id {
            // Replaced by another directory of the same name: the watch is on the old one.
            if self.trouble(format!("{} was replaced", self.dir.display())) == Flow::Stop {
                return Flow::Stop;
            }
            return self.recover();
        }
        let mut present = HashSet::new();
        let mut existing = HashSet::new();
        let mut stable = Vec::new();
        for entry in entries.flatten() {
            let name = entry.file_name();
            if !is_window_name(&name) {
                continue;
            }
            existing.insert(name.clone());
            let Some(meta) = window_meta(&entry.path()) else {
                continue;
            };
            let stamp = stamp_of(&meta);
            if self.done.get(&name) == Some(&stamp)
                || self.failed.get(&name) == Some(&full_stamp(&meta))
            {
                continue;
            }
            let pending = self.pending.entry(name.clone()).or_default();
            let writer_quiet = pending
                .last_write
                .is_none_or(|at| at.elapsed() >= OPEN_WRITER_QUIET);
            if pending.stamp == Some(stamp) && writer_quiet {
                stable.push((name.clone(), pending.held_empty));
            } else {
                pending.stamp = Some(stamp);
            }
            present.insert(name);
        }
        self.pending.retain(|name, _| present.contains(name));
        // Files deleted since: forget them, so a long run over rotating files stays bounded.
        self.done.retain(|name, _| existing.contains(name));
        self.failed.retain(|name, _| existing.contains(name));
        stable.sort();
        for (name, force) in stable {
            if self.complete(&name, force) == Flow::Stop {
                return Flow::Stop;
            }
        }
        Flow::Continue
    }
}

mod kinds;
mod stamps;
use kinds::{is_window_name, window_meta};
use stamps::{dir_identity, full_stamp, has_data_row, stamp_of, Stamp};

#[cfg(test)]
mod tests;
