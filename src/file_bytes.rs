//! A window file's bytes: read into a reused buffer, or memory-mapped; or a file opened, checked,
//! for the reader to read as it parses.
//!
//! CSV and gzipped CSV are opened ([`FileBytes::open_version`]) and read a block at a time by the
//! library as it parses them: a window's text is never all in memory (280 MB for a million rows
//! of 20 features, beside its 176 MB of columns). Parquet is loaded whole. `watch FILE --once`
//! maps a Parquet file instead of reading it: copying it out of the page cache, and faulting in
//! the buffer it lands in, costs as much CPU as decoding part of it, and a mapping costs neither.
//! Mapping has one hazard: a file truncated while it is mapped kills the process with `SIGBUS`.
//! ripgrep makes the same trade, mapping only files named on its command line; so do we: only the
//! one-shot run on named files maps them, and every mode that watches a directory, which must
//! survive whatever is done in it, reads.

use std::fs::{File, Metadata};
use std::path::Path;

use memmap2::{Mmap, MmapOptions};
use ml_monitor::data::{self, DataError};

/// How files are brought into memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Access {
    /// Read into a buffer reused from file to file.
    Read,
    /// Memory-mapped (one-shot runs on named files only; see the module docs).
    Map,
}

/// Default of `--max-window-bytes`: generous for CSV windows, small enough that a runaway file
/// is refused with a message instead of exhausting memory.
pub(crate) const DEFAULT_MAX_BYTES: u64 = 2_000_000_000;

/// The bytes of the file loaded last.
pub(crate) struct FileBytes {
    access: Access,
    /// Files larger than this are refused before they are read.
    max_bytes: u64,
    buffer: Vec<u8>,
    map: Option<Mmap>,
}

impl FileBytes {
    pub(crate) fn new(access: Access) -> Self {
        FileBytes {
            access,
            max_bytes: DEFAULT_MAX_BYTES,
            buffer: Vec::new(),
            map: None,
        }
    }

    /// Refuses files larger than `max_bytes` (`--max-window-bytes`).
    pub(crate) fn with_limit(mut self, max_bytes: u64) -> Self {
        self.max_bytes = max_bytes;
        self
    }

    /// Lets go of a mapping (a read buffer is kept for the next file).
    pub(crate) fn release(&mut self) {
        self.map = None;
    }

    /// Lets go of the read buffer when it is larger than `keep` bytes: kept, a huge window's
    /// buffer would hold its size through the window's evaluation and for the rest of the run.
    pub(crate) fn trim(&mut self, keep: usize) {
        if self.buffer.capacity() > keep {
            self.buffer = Vec::new();
        }
    }

    /// Loads `path`, replacing what was loaded before.
    /// Only regular files are loaded (a FIFO would block, a device never end), and only up to
    /// the size limit; either refusal is an `unreadable` error naming the file.
    pub(crate) fn load(&mut self, path: &Path) -> Result<&[u8], DataError> {
        self.load_version(path).map(|(bytes, _)| bytes)
    }

    /// [`FileBytes::load`], with the metadata of the file the bytes come from: exactly as many
    /// bytes as its size (a file still growing is read to the size taken), so a key made from
    /// that metadata (name, size, mtime) describes these very bytes.
    pub(crate) fn load_version(&mut self, path: &Path) -> Result<(&[u8], Metadata), DataError> {
        self.map = None;
        let (file, meta) = self.open_version(path)?;
        if self.access == Access::Map && meta.len() > 0 {
            let map = map_file(path, &file, meta.len())?;
            return Ok((&self.map.insert(map)[..], meta));
        }
        data::read_len_into(&file, path, meta.len(), &mut self.buffer)?;
        Ok((&self.buffer, meta))
    }
}

impl FileBytes {
    /// Opens `path` for reading as it is parsed (CSV is read in blocks: see
    /// `data::read_window_from`), with the same checks as [`FileBytes::load_version`]; the
    /// metadata is the opened file's, whose size the reader is to stop at.
    pub(crate) fn open_version(&self, path: &Path) -> Result<(File, Metadata), DataError> {
        check_file(path, self.max_bytes)?;
        let unreadable = |e: std::io::Error| DataError::Unreadable {
            file: path.to_path_buf(),
            message: e.to_string(),
        };
        let file = File::open(path).map_err(unreadable)?;
        let meta = file.metadata().map_err(unreadable)?;
        // Checked again on what was opened: the name may have been replaced meanwhile.
        check_metadata(path, &meta, self.max_bytes)?;
        Ok((file, meta))
    }
}

/// Whether a file is read in blocks as it is parsed rather than loaded whole: CSV and gzipped
/// CSV are (their text need not be in memory all at once); Parquet is loaded (or mapped).
pub(crate) fn streamed(path: &Path) -> bool {
    !path.file_name().is_some_and(|n| {
        n.to_string_lossy()
            .to_ascii_lowercase()
            .ends_with(".parquet")
    })
}

/// Refuses what is not a regular file, or is larger than `max_bytes`.
pub(crate) fn check_file(path: &Path, max_bytes: u64) -> Result<(), DataError> {
    let meta = std::fs::metadata(path).map_err(|e| DataError::Unreadable {
        file: path.to_path_buf(),
        message: e.to_string(),
    })?;
    check_metadata(path, &meta, max_bytes)
}

fn check_metadata(path: &Path, meta: &Metadata, max_bytes: u64) -> Result<(), DataError> {
    let refuse = |message: String| DataError::Unreadable {
        file: path.to_path_buf(),
        message,
    };
    if !meta.is_file() {
        return Err(refuse("not a regular file".into()));
    }
    if meta.len() > max_bytes {
        return Err(refuse(format!(
            "{} bytes, more than --max-window-bytes {max_bytes}",
            meta.len()
        )));
    }
    Ok(())
}

/// The first `len` bytes of `file` mapped (`len` > 0: a zero-length mapping is refused).
fn map_file(path: &Path, file: &File, len: u64) -> Result<Mmap, DataError> {
    let unreadable = |message: String| DataError::Unreadable {
        file: path.to_path_buf(),
        message,
    };
    let len = usize::try_from(len).map_err(|_| unreadable("file too large".into()))?;
    // SAFETY: the mapping is read-only and private to this process. If another process
    // truncates the file while it is mapped, reading the lost pages raises SIGBUS; the module
    // docs say why that is accepted for named files in one-shot runs, and only they map.
    // Only the size taken is mapped: bytes appended since are not part of this version.
    // Not populated up front: that maps every page on this one thread before parsing starts,
    // while the parsing threads fault pages in themselves, 16 per fault (the kernel's
    // fault-around), on both cores at once (measured 5-8 % less wall time on a 100k x 20 run).
    unsafe { MmapOptions::new().len(len).map(file) }.map_err(|e| unreadable(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_ways_give_the_file_and_empty_files_work() {
        let dir = tempfile::tempdir().expect("tempdir");
        let full = dir.path().join("w.csv");
        let empty = dir.path().join("e.csv");
        std::fs::write(&full, b"a,b\n1,2\n").expect("write");
        std::fs::write(&empty, b"").expect("write");
        for access in [Access::Read, Access::Map] {
            let mut bytes = FileBytes::new(access);
            assert_eq!(bytes.load(&full).expect("full"), b"a,b\n1,2\n");
            assert_eq!(bytes.load(&empty).expect("empty"), b"");
            assert_eq!(bytes.load(&full).expect("again"), b"a,b\n1,2\n");
            // As many bytes as the version's size.
            let (loaded, meta) = bytes.load_version(&full).expect("version");
            assert_eq!(loaded.len() as u64, meta.len());
            let e = bytes
                .load(&dir.path().join("gone.csv"))
                .expect_err("missing");
            assert!(e.to_string().contains("gone.csv"), "{e}");
        }
    }
}
