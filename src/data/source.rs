//! Where a CSV table's text comes from, and reading it in line-aligned blocks.
//!
//! A window of a million rows is 280 MB of text and 176 MB of columns: holding the text whole
//! while it is parsed doubles what a window costs, and a `.csv.gz` inflated whole costs up to
//! the decode cap before the cap can refuse it. So a file (or a gzip stream) is read a block at
//! a time, each block ending at a line end, and `scan.rs` parses each block into the columns
//! before the next one is read: memory holds the columns and one block. Bytes already in memory
//! (the library's `parse_*` functions, an inflated label file) are parsed where they are.
//! Every source can be read again from the start: a reference whose feature turns out to hold
//! text is parsed twice, and a file with a quote is parsed whole by the strict quoted reader.

use std::borrow::Cow;
use std::fs::File;
use std::io::Read;
use std::os::unix::fs::FileExt;
use std::path::Path;

use flate2::read::MultiGzDecoder;
use rayon::prelude::*;

use super::error::DataError;
use super::gzip;

/// The CSV text of a table.
pub(super) enum CsvSource<'a> {
    /// Already in memory.
    Bytes(Cow<'a, [u8]>),
    /// The first `len` bytes of a file.
    File { file: File, len: u64 },
    /// Gzip-compressed text, at most `max_bytes` once inflated.
    Gzip {
        compressed: Cow<'a, [u8]>,
        max_bytes: u64,
    },
}

/// Text read per block: a few chunks of `scan.rs`'s minimum size for every thread. Larger
/// blocks only hold more text and more of the block's columns (each block is parsed into its
/// own column parts, then appended).
pub(super) fn block_bytes() -> usize {
    #[cfg(test)]
    if let Some(n) = tests::BLOCK_BYTES.with(std::cell::Cell::get) {
        return n;
    }
    (rayon::current_num_threads().max(1) * (1 << 20)).max(2 << 20)
}

impl CsvSource<'_> {
    /// The whole text (inflated, for gzip, within the cap).
    pub(super) fn read_all(&self, path: &Path) -> Result<Cow<'_, [u8]>, DataError> {
        match self {
            CsvSource::Bytes(bytes) => Ok(Cow::Borrowed(bytes)),
            CsvSource::File { file, len } => {
                let mut bytes = Vec::new();
                super::file::read_len_into(file, path, *len, &mut bytes)?;
                Ok(Cow::Owned(bytes))
            }
            CsvSource::Gzip {
                compressed,
                max_bytes,
            } => Ok(Cow::Owned(gzip::gunzip(path, compressed, *max_bytes)?)),
        }
    }

    /// About how many bytes of text there are, when known (to size the columns).
    pub(super) fn size_hint(&self) -> Option<u64> {
        match self {
            CsvSource::Bytes(bytes) => Some(bytes.len() as u64),
            CsvSource::File { len, .. } => Some(*len),
            CsvSource::Gzip { compressed, .. } => gzip::size_hint(compressed),
        }
    }

    /// A block reader from byte `from` of the text (after a header already read).
    pub(super) fn blocks<'s>(
        &'s self,
        path: &'s Path,
        from: u64,
    ) -> Result<BlockReader<'s>, DataError> {
        let stream = match self {
            CsvSource::Bytes(bytes) => Stream::Bytes {
                bytes,
                pos: usize::try_from(from).unwrap_or(usize::MAX).min(bytes.len()),
            },
            CsvSource::File { file, len } => Stream::File {
                file,
                pos: from.min(*len),
                end: *len,
            },
            CsvSource::Gzip { compressed, .. } if compressed.is_empty() => {
                Stream::Bytes { bytes: &[], pos: 0 }
            }
            CsvSource::Gzip {
                compressed,
                max_bytes,
            } => {
                gzip::check_magic(path, compressed)?;
                let mut stream = Stream::Gzip {
                    decoder: MultiGzDecoder::new(compressed),
                    total: 0,
                    max_bytes: *max_bytes,
                };
                // The bytes before `from` are inflated again and dropped.
                let mut skip = vec![0u8; 1 << 16];
                let mut left = from;
                while left > 0 {
                    let want = usize::try_from(left).unwrap_or(skip.len()).min(skip.len());
                    let n = stream.read(path, &mut skip[..want])?;
                    if n == 0 {
                        break;
                    }
                    left -= n as u64;
                }
                stream
            }
        };
        Ok(BlockReader {
            path,
            stream,
            buffer: Vec::new(),
            start: 0,
            filled: 0,
            eof: false,
        })
    }
}

enum Stream<'s> {
    Bytes {
        bytes: &'s [u8],
        pos: usize,
    },
    File {
        file: &'s File,
        pos: u64,
        end: u64,
    },
    Gzip {
        decoder: MultiGzDecoder<&'s [u8]>,
        total: u64,
        max_bytes: u64,
    },
}

/// Below this a single read is as fast as one per thread.
const PARALLEL_READ_FROM: usize = 1 << 20;

impl Stream<'_> {
    /// Fills as much of `out` as the text has left; 0 at its end.
    fn read(&mut self, path: &Path, out: &mut [u8]) -> Result<usize, DataError> {
        match self {
            Stream::Bytes { bytes, pos } => {
                let n = out.len().min(bytes.len() - *pos);
                out[..n].copy_from_slice(&bytes[*pos..*pos + n]);
                *pos += n;
                Ok(n)
            }
            Stream::File { file, pos, end } => {
                let n = usize::try_from(*end - *pos)
                    .unwrap_or(usize::MAX)
                    .min(out.len());
                let out = &mut out[..n];
                let at = *pos;
                let read =
                    |part: &mut [u8], offset: usize| file.read_exact_at(part, at + offset as u64);
                let outcome = if n < PARALLEL_READ_FROM {
                    read(out, 0)
                } else {
                    let part = n.div_ceil(rayon::current_num_threads().max(1));
                    out.par_chunks_mut(part)
                        .enumerate()
                        .try_for_each(|(i, chunk)| read(chunk, i * part))
                };
                outcome.map_err(|e| DataError::Unreadable {
                    file: path.to_path_buf(),
                    message: if e.kind() == std::io::ErrorKind::UnexpectedEof {
                        "the file shrank while it was being read".into()
                    } else {
                        e.to_string()
                    },
                })?;
                *pos += n as u64;
                Ok(n)
            }
            Stream::Gzip {
                decoder,
                total,
                max_bytes,
            } => {
                let mut n = 0;
                while n < out.len() {
                    match decoder.read(&mut out[n..]) {
                        Ok(0) => break,
                        Ok(k) => n += k,
                        Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                        Err(e) => return Err(gzip::read_error(path, e)),
                    }
                }
                *total += n as u64;
                if *total > *max_bytes {
                    return Err(gzip::too_large(path, *max_bytes));
                }
                Ok(n)
            }
        }
    }
}

/// Reads the text in blocks that end just after a `\n` (the last one wherever the text ends).
pub(super) struct BlockReader<'s> {
    path: &'s Path,
    stream: Stream<'s>,
    buffer: Vec<u8>,
    /// `buffer[start..filled]` is read but not yet handed out.
    start: usize,
    filled: usize,
    eof: bool,
}

impl BlockReader<'_> {
    /// The next block of about `size` bytes (longer when a line is), or `None` at the end.
    pub(super) fn next_block(&mut self, size: usize) -> Result<Option<&[u8]>, DataError> {
        self.buffer.copy_within(self.start..self.filled, 0);
        self.filled -= self.start;
        self.start = 0;
        let mut searched = 0;
        loop {
            if !self.eof && self.filled < size {
                self.fill(size)?;
            }
            if let Some(i) = memchr::memrchr(b'\n', &self.buffer[searched..self.filled]) {
                self.start = searched + i + 1;
                break;
            }
            if self.eof {
                self.start = self.filled;
                break;
            }
            // One line longer than the block: read on until it ends.
            searched = self.filled;
            self.fill(self.filled + size)?;
        }
        Ok((self.start > 0).then(|| &self.buffer[..self.start]))
    }

    /// Reads until `buffer` holds `want` bytes or the text ends.
    fn fill(&mut self, want: usize) -> Result<(), DataError> {
        if self.buffer.len() < want {
            self.buffer.resize(want, 0);
        }
        while self.filled < want {
            let n = self
                .stream
                .read(self.path, &mut self.buffer[self.filled..want])?;
            if n == 0 {
                self.eof = true;
                break;
            }
            self.filled += n;
        }
        Ok(())
    }

    /// The start of the text, without handing it out: at least `size` bytes (or all there
    /// is), more while `keep_going` says what was read is not enough (no header line yet).
    /// Also whether that is the whole text.
    pub(super) fn peek(
        &mut self,
        size: usize,
        keep_going: impl Fn(&[u8]) -> bool,
    ) -> Result<(&[u8], bool), DataError> {
        self.fill(size)?;
        while !self.eof && keep_going(&self.buffer[..self.filled]) {
            self.fill(self.filled + size)?;
        }
        Ok((&self.buffer[..self.filled], self.eof))
    }

    /// The buffer read so far, taken (for a text that ended within it).
    pub(super) fn into_buffer(mut self) -> Vec<u8> {
        self.buffer.truncate(self.filled);
        self.buffer
    }
}

#[cfg(test)]
#[path = "source_tests.rs"]
mod tests;
