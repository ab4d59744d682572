//! One monitor per history: an OS file lock beside the database (`history.sqlite.lock`).
//!
//! Two processes on one directory share its history and split its windows between them (each
//! takes the files the other has not recorded yet) and page twice for one condition. A lock
//! held for the life of the process keeps the second one out. Why `flock` on a file of its own
//! (std's `File::try_lock`) and not SQLite's locks or a pid file: SQLite's are per transaction,
//! and a pid file outlives a `kill -9`; the OS releases a `flock` however the holder ends. The
//! file says the holder's pid, for the message. `history show/export` do not take it: they
//! only read.

use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Exit status of a run refused because another monitor holds its history.
pub(crate) const BUSY_EXIT: u8 = 5;

/// Another process holds the history's lock.
#[derive(Debug, thiserror::Error)]
#[error("{history}: another ml-monitor{holder} is watching with this history; stop it, or give this run a history of its own (--history FILE)")]
pub(crate) struct HistoryBusy {
    pub(crate) history: PathBuf,
    /// ` (pid N)`, when the lock file says.
    holder: String,
}

/// Locks held by this process, by lock file: held until it exits.
static HELD: Mutex<Vec<(PathBuf, File)>> = Mutex::new(Vec::new());

/// The lock file of a history.
pub(crate) fn lock_path(history: &Path) -> PathBuf {
    let mut name = history.file_name().unwrap_or_default().to_os_string();
    name.push(".lock");
    history.with_file_name(name)
}

/// Takes the history's lock for the rest of the process (again: no-op), waiting at most
/// `patience` for another process to release it.
pub(crate) fn hold(history: &Path, patience: Duration) -> anyhow::Result<()> {
    let path = lock_path(history);
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)
            .map_err(|e| anyhow::anyhow!("{}: cannot create: {e}", dir.display()))?;
    }
    let key = std::fs::canonicalize(path.parent().unwrap_or(Path::new(".")))
        .map(|d| d.join(path.file_name().unwrap_or_default()))
        .unwrap_or_else(|_| path.clone());
    let mut held = HELD.lock().unwrap_or_else(|e| e.into_inner());
    if held.iter().any(|(k, _)| *k == key) {
        return Ok(());
    }
    let mut file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&path)
        .map_err(|e| anyhow::anyhow!("{}: cannot open the history's lock: {e}", path.display()))?;
    let deadline = Instant::now() + patience;
    loop {
        match file.try_lock() {
            Ok(()) => break,
            Err(std::fs::TryLockError::WouldBlock) if Instant::now() < deadline => {
                std::thread::sleep(Duration::from_millis(50));
            }
            Err(std::fs::TryLockError::WouldBlock) => {
                let mut text = String::new();
                let _ = file.read_to_string(&mut text);
                let holder = text
                    .trim()
                    .parse::<u32>()
                    .map(|pid| format!(" (pid {pid})"))
                    .unwrap_or_default();
                return Err(HistoryBusy {
                    history: history.to_path_buf(),
                    holder,
                }
                .into());
            }
            Err(std::fs::TryLockError::Error(e)) => {
                return Err(anyhow::anyhow!(
                    "{}: cannot lock the history: {e}",
                    path.display()
                ))
            }
        }
    }
    // Who holds it, for the message another run gives; a failure here only loses that.
    let _ = file
        .set_len(0)
        .and_then(|()| file.rewind())
        .and_then(|()| writeln!(file, "{}", std::process::id()));
    held.push((key, file));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_holder_is_refused_and_the_first_may_ask_again() {
        let dir = tempfile::tempdir().unwrap();
        let history = dir.path().join("h.sqlite");
        hold(&history, Duration::ZERO).unwrap();
        hold(&history, Duration::ZERO).unwrap();
        // Another open file description (as another process has) is refused.
        let other = File::open(lock_path(&history)).unwrap();
        assert!(matches!(
            other.try_lock(),
            Err(std::fs::TryLockError::WouldBlock)
        ));
        let text = std::fs::read_to_string(lock_path(&history)).unwrap();
        assert_eq!(text.trim(), std::process::id().to_string());
    }
}
