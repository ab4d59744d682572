//! Reading a window file into memory, on every core.
//!
//! Copying a file of tens of megabytes out of the page cache, and faulting in the buffer it
//! lands in, is a serial step that would leave the other cores idle before parsing; so the file
//! is read in one part per thread with positioned reads. The buffer is reused from window to
//! window, and a fresh one comes zeroed from the allocator (`calloc`), so its pages are first
//! touched by the threads that fill them.
//!
//! Files are read, not memory-mapped: a file truncated while mapped kills the process with
//! `SIGBUS`, and a monitor must survive whatever happens in the directory it watches.

use std::fs::File;
use std::io::Read;
use std::os::unix::fs::FileExt;
use std::path::Path;

use rayon::prelude::*;

use super::error::DataError;

/// Below this a single read is as fast.
const PARALLEL_FROM: usize = 1 << 20;

/// Replaces `buffer`'s contents with the file's bytes: as many as its size when it was opened.
/// A file that grows meanwhile is read to that size, so the bytes are the version its size and
/// modification time describe (see [`read_len_into`]).
#[cfg(test)]
pub(crate) fn read_file_into(path: &Path, buffer: &mut Vec<u8>) -> Result<(), DataError> {
    let unreadable = |e: std::io::Error| DataError::Unreadable {
        file: path.to_path_buf(),
        message: e.to_string(),
    };
    let file = File::open(path).map_err(unreadable)?;
    let len = file.metadata().map_err(unreadable)?.len();
    read_len_into(&file, path, len, buffer)
}

/// Replaces `buffer`'s contents with the first `len` bytes of `file` (opened from `path`, named
/// in errors): exactly those, however much was appended since `len` was taken, so a window's
/// bytes and the key its size and modification time make (the history's and the watcher's)
/// describe the same version. A file now shorter than `len` is an error.
pub fn read_len_into(
    file: &File,
    path: &Path,
    len: u64,
    buffer: &mut Vec<u8>,
) -> Result<(), DataError> {
    let unreadable = |e: std::io::Error| DataError::Unreadable {
        file: path.to_path_buf(),
        message: e.to_string(),
    };
    let shrank = || DataError::Unreadable {
        file: path.to_path_buf(),
        message: "the file shrank while it was being read".into(),
    };
    let len_usize = usize::try_from(len).map_err(|_| DataError::Unreadable {
        file: path.to_path_buf(),
        message: "file too large".into(),
    })?;
    if len_usize < PARALLEL_FROM {
        buffer.clear();
        buffer.reserve(len_usize);
        file.take(len).read_to_end(buffer).map_err(unreadable)?;
        if buffer.len() < len_usize {
            return Err(shrank());
        }
        return Ok(());
    }
    if buffer.capacity() < len_usize {
        *buffer = vec![0; len_usize];
    } else {
        buffer.resize(len_usize, 0);
    }
    let part = len_usize.div_ceil(rayon::current_num_threads().max(1));
    buffer
        .par_chunks_mut(part)
        .enumerate()
        .try_for_each(|(i, chunk)| file.read_exact_at(chunk, (i * part) as u64))
        .map_err(|e| {
            if e.kind() == std::io::ErrorKind::UnexpectedEof {
                shrank()
            } else {
                unreadable(e)
            }
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_small_and_large_files_whole_and_reuses_the_buffer() {
        let dir = tempfile::tempdir().expect("tempdir");
        let small = dir.path().join("small.csv");
        let large = dir.path().join("large.csv");
        std::fs::write(&small, b"a,b\n1,2\n").expect("write");
        let big: Vec<u8> = (0..3_000_001u32).map(|i| (i % 251) as u8).collect();
        std::fs::write(&large, &big).expect("write");
        let mut buffer = Vec::new();
        read_file_into(&large, &mut buffer).expect("large");
        assert_eq!(buffer, big);
        let capacity = buffer.capacity();
        read_file_into(&small, &mut buffer).expect("small");
        assert_eq!(buffer, b"a,b\n1,2\n");
        read_file_into(&large, &mut buffer).expect("large again");
        assert_eq!(buffer, big);
        assert_eq!(buffer.capacity(), capacity);
    }

    #[test]
    fn a_file_that_grew_is_read_to_the_size_taken_and_one_that_shrank_is_refused() {
        let dir = tempfile::tempdir().expect("tempdir");
        for size in [100usize, 3_000_000] {
            let path = dir.path().join(format!("w{size}.csv"));
            let bytes: Vec<u8> = (0..size).map(|i| (i % 251) as u8).collect();
            std::fs::write(&path, &bytes).expect("write");
            let file = File::open(&path).expect("open");
            let len = file.metadata().expect("metadata").len();
            // Appended after the size was taken: not read.
            let mut appender = std::fs::OpenOptions::new()
                .append(true)
                .open(&path)
                .expect("append");
            std::io::Write::write_all(&mut appender, b"9,9\n").expect("append");
            let mut buffer = Vec::new();
            read_len_into(&file, &path, len, &mut buffer).expect("read");
            assert_eq!(buffer, bytes, "{size} bytes");
            let e = read_len_into(&file, &path, len + 100, &mut buffer).expect_err("shrank");
            assert!(e.to_string().contains("shrank"), "{e}");
        }
    }

    #[test]
    fn a_missing_file_is_an_error_naming_it() {
        let mut buffer = Vec::new();
        let e = read_file_into(Path::new("/nonexistent/w.csv"), &mut buffer).expect_err("missing");
        assert!(e.to_string().contains("/nonexistent/w.csv"), "{e}");
    }
}
