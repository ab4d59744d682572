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

/// Replaces `buffer`'s contents with the file's bytes (keeping its capacity when it suffices).
pub fn read_file_into(path: &Path, buffer: &mut Vec<u8>) -> Result<(), DataError> {
    let unreadable = |e: std::io::Error| DataError::Unreadable {
        file: path.to_path_buf(),
        message: e.to_string(),
    };
    let mut file = File::open(path).map_err(unreadable)?;
    let len = file.metadata().map_err(unreadable)?.len();
    let len = usize::try_from(len).map_err(|_| DataError::Unreadable {
        file: path.to_path_buf(),
        message: "file too large".into(),
    })?;
    if len < PARALLEL_FROM {
        buffer.clear();
        file.read_to_end(buffer).map_err(unreadable)?;
        return Ok(());
    }
    if buffer.capacity() < len {
        *buffer = vec![0; len];
    } else {
        buffer.resize(len, 0);
    }
    let part = len.div_ceil(rayon::current_num_threads().max(1));
    buffer
        .par_chunks_mut(part)
        .enumerate()
        .try_for_each(|(i, chunk)| file.read_exact_at(chunk, (i * part) as u64))
        .map_err(|e| DataError::Unreadable {
            file: path.to_path_buf(),
            message: if e.kind() == std::io::ErrorKind::UnexpectedEof {
                "the file shrank while it was being read".into()
            } else {
                e.to_string()
            },
        })?;
    // A file that grew since its size was taken is read to its end, as a plain read would.
    use std::io::{Seek, SeekFrom};
    file.seek(SeekFrom::Start(len as u64)).map_err(unreadable)?;
    file.read_to_end(buffer).map_err(unreadable)?;
    Ok(())
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
    fn a_missing_file_is_an_error_naming_it() {
        let mut buffer = Vec::new();
        let e = read_file_into(Path::new("/nonexistent/w.csv"), &mut buffer).expect_err("missing");
        assert!(e.to_string().contains("/nonexistent/w.csv"), "{e}");
    }
}
