//! `*.csv.gz`: the compressed bytes inflated in memory, then read as CSV.
//!
//! The decompressed size is capped like a file's size (`--max-window-bytes`): a small file that
//! inflates to gigabytes (a gzip bomb, or a runaway export) is refused with a message instead of
//! exhausting memory. Concatenated gzip members are read as one stream, as `gzip -d` does.
//!
//! Why inflate twice, sometimes: the refusal must not cost the memory it protects. Deflate
//! cannot expand more than [`MAX_RATIO`] to 1, so a file too small to reach the cap is inflated
//! once, into a buffer of the size its trailer states. A larger one is first inflated into a
//! small scratch buffer only to count its bytes: a bomb is refused as soon as the count passes
//! the cap, with no more than the scratch buffer in memory; a file within the cap is then
//! inflated into a buffer of exactly its size (no doubling of a growing buffer). A window read
//! as it is parsed (`source.rs`) takes the same count first ([`check_cap`]), then inflates
//! block by block.

use std::io::Read;
use std::path::Path;

use flate2::read::MultiGzDecoder;

use super::error::DataError;

/// The CSV bytes of a gzip file's contents, at most `max_bytes` of them.
pub(super) fn gunzip(file: &Path, compressed: &[u8], max_bytes: u64) -> Result<Vec<u8>, DataError> {
    if compressed.is_empty() {
        return Ok(Vec::new());
    }
    check_magic(file, compressed)?;
    let hint = size_hint(compressed).unwrap_or(0);
    let could_pass_cap = (compressed.len() as u64).saturating_mul(MAX_RATIO) > max_bytes;
    let capacity = if could_pass_cap {
        inflated_len(file, compressed, max_bytes)?
    } else {
        hint.min(max_bytes).min(1 << 30)
    };
    let mut out = Vec::with_capacity(usize::try_from(capacity).unwrap_or(0));
    let mut decoder = MultiGzDecoder::new(compressed).take(max_bytes.saturating_add(1));
    decoder
        .read_to_end(&mut out)
        .map_err(|e| read_error(file, e))?;
    if out.len() as u64 > max_bytes {
        return Err(too_large(file, max_bytes));
    }
    Ok(out)
}

/// An error when the file could inflate past `max_bytes` and does: counted in a small buffer
/// before anything is parsed, so that a bomb of valid rows is refused before its columns are
/// built (the columns of a number's short text are larger than the text).
pub(super) fn check_cap(file: &Path, compressed: &[u8], max_bytes: u64) -> Result<(), DataError> {
    check_magic(file, compressed)?;
    if (compressed.len() as u64).saturating_mul(MAX_RATIO) > max_bytes {
        inflated_len(file, compressed, max_bytes)?;
    }
    Ok(())
}

/// An error unless the bytes start as gzip does (or are too short to tell).
pub(super) fn check_magic(file: &Path, compressed: &[u8]) -> Result<(), DataError> {
    if compressed.starts_with(&[0x1f, 0x8b][..compressed.len().min(2)]) {
        Ok(())
    } else {
        Err(DataError::Corrupt {
            file: file.to_path_buf(),
            format: "gzip",
            message: "not gzip data (it does not start with the gzip magic bytes)".into(),
        })
    }
}

/// The trailer's size field (the inflated length modulo 2^32): only a hint.
pub(super) fn size_hint(compressed: &[u8]) -> Option<u64> {
    compressed
        .len()
        .checked_sub(4)
        .and_then(|at| compressed.get(at..))
        .and_then(|tail| <[u8; 4]>::try_from(tail).ok())
        .map(|tail| u64::from(u32::from_le_bytes(tail)))
}

/// Deflate's largest expansion (a stream of one repeated byte): 1032 to 1.
const MAX_RATIO: u64 = 1032;

/// How many bytes the file inflates to, counted in a small buffer; an error as soon as the
/// count passes `max_bytes`.
fn inflated_len(file: &Path, compressed: &[u8], max_bytes: u64) -> Result<u64, DataError> {
    let mut decoder = MultiGzDecoder::new(compressed);
    let mut scratch = vec![0u8; 1 << 16];
    let mut total = 0u64;
    loop {
        match decoder.read(&mut scratch) {
            Ok(0) => return Ok(total),
            Ok(n) => {
                total += n as u64;
                if total > max_bytes {
                    return Err(too_large(file, max_bytes));
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(read_error(file, e)),
        }
    }
}

pub(super) fn too_large(file: &Path, max_bytes: u64) -> DataError {
    DataError::Unreadable {
        file: file.to_path_buf(),
        message: format!("decompresses to more than --max-window-bytes {max_bytes} bytes"),
    }
}

pub(super) fn read_error(file: &Path, e: std::io::Error) -> DataError {
    {
        if e.kind() == std::io::ErrorKind::UnexpectedEof {
            DataError::Unreadable {
                file: file.to_path_buf(),
                message: "the gzip data is cut short (truncated, or still being written)".into(),
            }
        } else {
            DataError::Corrupt {
                file: file.to_path_buf(),
                format: "gzip",
                message: e.to_string(),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use flate2::write::GzEncoder;
    use flate2::Compression;
    use std::io::Write;

    fn gz(data: &[u8]) -> Vec<u8> {
        let mut e = GzEncoder::new(Vec::new(), Compression::default());
        e.write_all(data).expect("write");
        e.finish().expect("finish")
    }

    #[test]
    fn inflates_whole_and_concatenated_members() {
        let file = Path::new("w.csv.gz");
        assert_eq!(gunzip(file, &gz(b"a\n1\n"), 100).expect("ok"), b"a\n1\n");
        let mut two = gz(b"a\n1\n");
        two.extend(gz(b"2\n"));
        assert_eq!(gunzip(file, &two, 100).expect("ok"), b"a\n1\n2\n");
        assert_eq!(gunzip(file, b"", 100).expect("empty"), b"");
    }

    #[test]
    fn cut_short_corrupt_and_oversized_are_errors_naming_the_file() {
        let file = Path::new("w.csv.gz");
        let data: Vec<u8> = (0..20_000u32)
            .flat_map(|i| i.to_string().into_bytes())
            .collect();
        let whole = gz(&data);
        let e = gunzip(file, &whole[..whole.len() / 2], u64::MAX).expect_err("cut");
        assert!(matches!(e, DataError::Unreadable { .. }), "{e}");
        assert!(e.to_string().contains("w.csv.gz") && e.to_string().contains("cut short"));
        let e = gunzip(file, b"not gzip at all", u64::MAX).expect_err("corrupt");
        assert!(matches!(e, DataError::Corrupt { .. }), "{e}");
        let e = gunzip(file, &whole, 1000).expect_err("too big");
        assert!(e.to_string().contains("--max-window-bytes 1000"), "{e}");
        assert_eq!(
            gunzip(file, &whole, data.len() as u64).expect("at the cap"),
            data
        );
    }
}
