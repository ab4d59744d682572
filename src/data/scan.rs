//! The CSV scanner: a file's bytes to column builders, in parallel.
//!
//! Parsing dominates the cost of a window, so files without quote characters (what every
//! exporter writes for numeric data) take a fast path: the body is cut into line-aligned chunks
//! parsed in parallel, straight into columns. Within a chunk a numeric cell that is a plain
//! decimal is parsed in the same scan that finds where it ends (see [`super::number`]); other
//! cells are delimited with `memchr` and go through the general cell parser. Files with quotes go
//! through the strict reader of `quoted.rs`, sequentially, into the same column builders, so
//! both paths agree.
//! What the columns mean (roles, the schema) is `reader.rs`'s business.

use std::borrow::Cow;
use std::path::Path;

use rayon::prelude::*;

use super::builder::{Builder, Built, Gathered, Part, Plan, Storage};
use super::error::DataError;
use super::quoted::{QuoteError, QuotedReader, Record};
use super::source::{block_bytes, CsvSource};

/// A CSV table: its header located, its body parsed whole or block by block.
pub(super) struct RawTable<'a> {
    file: &'a Path,
    source: &'a CsvSource<'a>,
    /// The whole text, when it is parsed at once (in memory already, small, or with quotes);
    /// `None` while it is read in blocks.
    whole: Option<Cow<'a, [u8]>>,
    /// The byte order mark's length, skipped.
    bom: usize,
    /// Read in blocks: the header line.
    head: Vec<u8>,
    /// Where the body starts (in `whole` after the mark, or in the streamed text).
    header_end: usize,
    quoted: bool,
    pub(super) rows: usize,
}

const BOM: &[u8] = b"\xEF\xBB\xBF";

const MIN_CHUNK: usize = 256 * 1024;

/// Bytes per task when looking for quotes.
const QUOTE_SCAN_CHUNK: usize = 1 << 20;

/// Chunks per thread: enough that a thread finishing early (or busy elsewhere: the reference
/// is fitted while the first window is parsed) leaves little for the others to wait on.
const CHUNKS_PER_THREAD: usize = 8;

impl<'a> RawTable<'a> {
    pub(super) fn new(file: &'a Path, source: &'a CsvSource<'a>) -> Result<Self, DataError> {
        if let CsvSource::Bytes(bytes) = source {
            return Self::whole(file, source, Cow::Borrowed(bytes));
        }
        let mut reader = source.blocks(file, 0)?;
        let (start, eof) = reader.peek(block_bytes(), |read| {
            let text = read.strip_prefix(BOM).unwrap_or(read);
            memchr::memchr(b'\n', text).is_none() || text.trim_ascii().is_empty()
        })?;
        let text = start.strip_prefix(BOM).unwrap_or(start);
        let bom = start.len() - text.len();
        let line_end = memchr::memchr(b'\n', text).map(|i| i + 1);
        let head = line_end.map(|end| text[..end].to_vec());
        // Read in blocks when the header is a plain line and the first block has no quote:
        // a quote further on is found block by block. A blank first line or a lone `\r` in it
        // would make the header depend on the quote rule, so such a text is read whole.
        let plain = head.as_deref().is_some_and(|h| {
            let first = trim_eol(h);
            !first.trim_ascii().is_empty()
                && memchr::memchr(b'\r', first).is_none()
                && memchr::memchr(b'"', text).is_none()
        });
        match (eof, head) {
            (false, Some(head)) if plain => Ok(RawTable {
                file,
                source,
                whole: None,
                bom,
                header_end: bom + head.len(),
                head,
                quoted: false,
                rows: 0,
            }),
            (true, _) => Self::whole(file, source, Cow::Owned(reader.into_buffer())),
            _ => {
                drop(reader);
                Self::whole(file, source, source.read_all(file)?)
            }
        }
    }

    /// A table over the whole text.
    fn whole(
        file: &'a Path,
        source: &'a CsvSource<'a>,
        all: Cow<'a, [u8]>,
    ) -> Result<Self, DataError> {
        let bytes = all.strip_prefix(BOM).unwrap_or(&all);
        let bom = all.len() - bytes.len();
        if bytes.trim_ascii().is_empty() {
            return Err(DataError::Empty {
                file: file.to_path_buf(),
            });
        }
        // On every core: this is the first pass over the file, and for a mapped file the one
        // that faults its pages in.
        let quoted = bytes
            .par_chunks(QUOTE_SCAN_CHUNK)
            .with_max_len(1)
            .any(|part| memchr::memchr(b'"', part).is_some());
        let header_end = memchr::memchr(b'\n', bytes).map_or(bytes.len(), |i| i + 1);
        Ok(RawTable {
            file,
            source,
            whole: Some(all),
            bom,
            head: Vec::new(),
            header_end,
            quoted,
            rows: 0,
        })
    }

    /// The whole text after the byte order mark (empty while it is read in blocks).
    fn bytes(&self) -> &[u8] {
        self.whole
            .as_deref()
            .and_then(|all| all.get(self.bom..))
            .unwrap_or_default()
    }

    pub(super) fn header(&self) -> Result<Vec<String>, DataError> {
        let names: Vec<String> = if self.quoted {
            let mut reader = QuotedReader::new(self.bytes());
            let mut record = Record::default();
            loop {
                if !reader.read(&mut record).map_err(|e| self.quote_error(e))? {
                    return Err(DataError::Empty {
                        file: self.file.to_path_buf(),
                    });
                }
                if !record.is_empty() {
                    break;
                }
            }
            record
                .iter()
                .map(|f| String::from_utf8_lossy(f.trim_ascii()).into_owned())
                .collect()
        } else {
            let line = match &self.whole {
                Some(_) => &self.bytes()[..self.header_end],
                None => &self.head,
            };
            trim_eol(line)
                .split(|&b| b == b',')
                .map(|f| String::from_utf8_lossy(f.trim_ascii()).into_owned())
                .collect()
        };
        for (i, name) in names.iter().enumerate() {
            if names[..i].contains(name) {
                return Err(DataError::DuplicateHeader {
                    file: self.file.to_path_buf(),
                    column: name.clone(),
                    index: i + 1,
                });
            }
        }
        Ok(names)
    }

    fn quote_error(&self, e: QuoteError) -> DataError {
        DataError::Malformed {
            file: self.file.to_path_buf(),
            line: e.line,
            message: e.message,
        }
    }

    /// Parses the body with the plan; entry `i` is `Some` for every non-skipped field.
    pub(super) fn parse(&mut self, plan: &[Plan]) -> Result<Vec<Option<Built>>, DataError> {
        if self.whole.is_none() {
            if let Some(columns) = self.parse_blocks(plan)? {
                return Ok(columns);
            }
            // A quote further on: the whole text goes to the strict quoted reader.
            let all = self.source.read_all(self.file)?;
            *self = Self::whole(self.file, self.source, all)?;
        }
        if !self.quoted {
            let body = &self.bytes()[self.header_end..];
            let (columns, rows, _) =
                parse_body(self.file, body, plan, 1, |_, p, n| Storage::new(p, n))?;
            self.rows = rows;
            return Ok(columns);
        }
        let body = &self.bytes()[self.header_end..];
        // Every record ends at a line end but the last one may not: that bounds its rows.
        // (The csv crate also ends records at a lone `\r`.)
        let slots = vec![memchr::memchr2_iter(b'\n', b'\r', body).count() + 1];
        let mut storage: Vec<Storage> = plan.iter().map(|&p| Storage::new(p, slots[0])).collect();
        let builders: Vec<Builder> = storage
            .iter_mut()
            .zip(plan)
            .filter_map(|(store, &p)| store.builders(p, &slots).pop())
            .collect();
        let outcome = self.parse_quoted(builders)?;
        if outcome.rows > slots[0] || outcome.parts.iter().any(|p| p.len > slots[0]) {
            // Cannot happen (each row has its line end, but the last); an error, not a panic.
            return Err(DataError::Malformed {
                file: self.file.to_path_buf(),
                line: 2,
                message: "more rows than line ends".into(),
            });
        }
        self.rows = outcome.rows;
        let rows = [outcome.rows];
        Ok(storage
            .into_iter()
            .zip(outcome.parts)
            .map(|(store, part)| store.assemble(vec![part], &slots, &rows))
            .collect())
    }

    /// Parses the body block by block into gathered columns; `None` when a block holds a
    /// quote (nothing is kept: the caller parses the whole text by the quote rules).
    fn parse_blocks(&mut self, plan: &[Plan]) -> Result<Option<Vec<Option<Built>>>, DataError> {
        let mut reader = self.source.blocks(self.file, self.header_end as u64)?;
        let size = block_bytes();
        let total = self.source.size_hint();
        let mut line = 1u64; // the header
        let mut rows = 0;
        let mut gathered: Option<Vec<Option<Gathered>>> = None;
        while let Some(block) = reader.next_block(size)? {
            if memchr::memchr(b'"', block).is_some() {
                return Ok(None);
            }
            // Numeric columns after the first block are parsed into the gathered column.
            let (columns, block_rows, lines) =
                parse_body(self.file, block, plan, line, |i, p, n| {
                    match gathered
                        .as_mut()
                        .and_then(|g| g.get_mut(i))
                        .and_then(Option::as_mut)
                    {
                        Some(g) => g.storage_for_next(p, n),
                        None => Storage::new(p, n),
                    }
                })?;
            line += lines;
            rows += block_rows;
            match &mut gathered {
                None => {
                    // Room for the rows the whole text would hold at this block's density.
                    let expected = total.map_or(0, |total| {
                        let per_byte = block_rows as f64 / block.len().max(1) as f64;
                        (per_byte * total as f64 * 1.02) as usize + 64
                    });
                    gathered = Some(
                        columns
                            .into_iter()
                            .map(|c| c.map(|c| Gathered::new(c, expected)))
                            .collect(),
                    );
                }
                Some(gathered) => gathered
                    .par_iter_mut()
                    .zip(columns)
                    .with_max_len(1)
                    .for_each(|(g, c)| {
                        if let (Some(g), Some(c)) = (g, c) {
                            g.append(c);
                        }
                    }),
            }
        }
        self.rows = rows;
        let columns = match gathered {
            Some(gathered) => gathered
                .into_iter()
                .map(|g| g.map(Gathered::finish))
                .collect(),
            None => parse_body(self.file, &[], plan, line, |_, p, n| Storage::new(p, n))?.0,
        };
        Ok(Some(columns))
    }

    fn parse_quoted(&self, mut builders: Vec<Builder>) -> Result<ChunkOutcome, DataError> {
        let mut reader = QuotedReader::new(self.bytes());
        let mut record = Record::default();
        let mut header = false;
        let mut rows = 0;
        while reader.read(&mut record).map_err(|e| self.quote_error(e))? {
            // Blank lines are skipped, before the header and after it.
            if record.is_empty() {
                continue;
            }
            if !header {
                header = true;
                continue;
            }
            if record.len() != builders.len() {
                return Err(DataError::Ragged {
                    file: self.file.to_path_buf(),
                    line: record.line,
                    expected: builders.len(),
                    found: record.len(),
                });
            }
            for (b, cell) in builders.iter_mut().zip(record.iter()) {
                b.push(cell);
            }
            rows += 1;
        }
        Ok(ChunkOutcome {
            parts: builders.into_iter().map(Builder::finish).collect(),
            lines: 0,
            rows,
            ragged: None,
        })
    }
}

/// Parses a body (or a block of it, whose first line is line `first_line + 1`) without
/// quotes: its columns, rows and physical lines. `storage(i, plan, slots)` gives column `i`'s
/// memory for `slots` rows.
fn parse_body(
    file: &Path,
    body: &[u8],
    plan: &[Plan],
    first_line: u64,
    mut storage: impl FnMut(usize, Plan, usize) -> Storage,
) -> Result<(Vec<Option<Built>>, usize, u64), DataError> {
    let chunks = line_aligned_chunks(body);
    // Every row ends at a line end but the last one may not: that bounds each chunk's rows.
    let last = chunks.len().saturating_sub(1);
    let slots: Vec<usize> = chunks
        .par_iter()
        .with_max_len(1)
        .enumerate()
        .map(|(c, chunk)| memchr::memchr_iter(b'\n', chunk).count() + usize::from(c == last))
        .collect();
    let total = slots.iter().sum();
    let mut storage: Vec<Storage> = plan
        .iter()
        .enumerate()
        .map(|(i, &p)| storage(i, p, total))
        .collect();
    // builders[c][i]: chunk c's slice of column i.
    let mut builders: Vec<Vec<Builder>> = chunks.iter().map(|_| Vec::new()).collect();
    for (store, &p) in storage.iter_mut().zip(plan) {
        for (chunk, b) in builders.iter_mut().zip(store.builders(p, &slots)) {
            chunk.push(b);
        }
    }
    let outcomes: Vec<ChunkOutcome> = chunks
        .par_iter()
        .zip(builders)
        // One task per chunk, so a thread that joins late still finds some to take.
        .with_max_len(1)
        .map(|(chunk, builders)| parse_chunk(chunk, builders))
        .collect();
    let mut line = first_line;
    let mut rows = Vec::with_capacity(outcomes.len());
    let mut parts: Vec<Vec<Part>> = plan.iter().map(|_| Vec::new()).collect();
    for (outcome, &reserved) in outcomes.into_iter().zip(&slots) {
        if let Some((local, found)) = outcome.ragged {
            return Err(DataError::Ragged {
                file: file.to_path_buf(),
                line: line + local,
                expected: plan.len(),
                found,
            });
        }
        if outcome.rows > reserved || outcome.parts.iter().any(|p| p.len > reserved) {
            // Cannot happen (each row has its line end, but the last); an error, not a panic.
            return Err(DataError::Malformed {
                file: file.to_path_buf(),
                line: line + 1,
                message: "more rows than line ends".into(),
            });
        }
        line += outcome.lines;
        rows.push(outcome.rows);
        for (column, part) in parts.iter_mut().zip(outcome.parts) {
            column.push(part);
        }
    }
    let columns = storage
        .into_iter()
        .zip(parts)
        .map(|(store, parts)| store.assemble(parts, &slots, &rows))
        .collect();
    Ok((columns, rows.iter().sum(), line - first_line))
}

/// The body cut into [`CHUNKS_PER_THREAD`] chunks per thread (none under [`MIN_CHUNK`]), each
/// ending just after a `\n` (but the last).
fn line_aligned_chunks(body: &[u8]) -> Vec<&[u8]> {
    let threads = rayon::current_num_threads().max(1);
    let target = (body.len() / (threads * CHUNKS_PER_THREAD)).max(MIN_CHUNK);
    let mut chunks = Vec::new();
    let mut start = 0;
    while start < body.len() {
        let mut end = (start + target).min(body.len());
        if end < body.len() {
            end = memchr::memchr(b'\n', &body[end..]).map_or(body.len(), |i| end + i + 1);
        }
        chunks.push(&body[start..end]);
        start = end;
    }
    chunks
}

struct ChunkOutcome {
    parts: Vec<Part>,
    /// Physical lines in the chunk.
    lines: u64,
    rows: usize,
    /// First ragged line: (1-based line within the chunk, fields found).
    ragged: Option<(u64, usize)>,
}

fn parse_chunk(chunk: &[u8], mut builders: Vec<Builder>) -> ChunkOutcome {
    let width = builders.len();
    let mut lines = 0u64;
    let mut rows = 0;
    let mut start = 0;
    while start < chunk.len() {
        lines += 1;
        // Blank lines (nothing but an optional `\r` before the `\n`) are skipped.
        match chunk[start] {
            b'\n' => {
                start += 1;
                continue;
            }
            b'\r' if matches!(chunk.get(start + 1), None | Some(b'\n')) => {
                start += 2;
                continue;
            }
            _ => {}
        }
        // One cell per iteration; each ends at a `,` (more cells follow), a `\n` or the chunk end.
        let mut fields = 0;
        loop {
            let end = match builders.get_mut(fields) {
                Some(b) => b.push_at(chunk, start),
                None => {
                    memchr::memchr2(b',', b'\n', &chunk[start..]).map_or(chunk.len(), |i| start + i)
                }
            };
            fields += 1;
            start = end + 1;
            if chunk.get(end) != Some(&b',') {
                break;
            }
        }
        if fields != width {
            return ChunkOutcome {
                parts: builders.into_iter().map(Builder::finish).collect(),
                lines,
                rows,
                ragged: Some((lines, fields)),
            };
        }
        rows += 1;
    }
    ChunkOutcome {
        parts: builders.into_iter().map(Builder::finish).collect(),
        lines,
        rows,
        ragged: None,
    }
}

fn trim_eol(line: &[u8]) -> &[u8] {
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    line.strip_suffix(b"\r").unwrap_or(line)
}
