//! `*.csv.gz`: the compressed bytes inflated in memory, then read as CSV.
//!
//! The decompressed size is capped like a file's size (`--max-window-bytes`): a small file that
//! inflates to gigabytes (a gzip bomb, or a runaway export) is refused with a message instead of
//! exhausting memory. Concatenated gzip members are read as one stream, as `gzip -d` does.

use std::io::Read;
use std::path::Path;

use flate2::read::MultiGzDecoder;

use super::error::DataError;

/// The CSV bytes of a gzip file's contents, at most `max_bytes` of them.
pub(super) fn gunzip(file: &Path, compressed: &[u8], max_bytes: u64) -> Result<Vec<u8>, DataError> {
    if compressed.is_empty() {
        return Ok(Vec::new());
    }
    if !compressed.starts_with(&[0x1f, 0x8b][..compressed.len().min(2)]) {
        return Err(DataError::Corrupt {
            file: file.to_path_buf(),
            format: "gzip",
            message: "not gzip data (it does not start with the gzip magic bytes)".into(),
        });
    }
    // The trailer's size field (the length modulo 2^32) sizes the buffer; it is only a hint.
    let hint = compressed
        .len()
        .checked_sub(4)
        .and_then(|at| compressed.get(at..))
        .and_then(|tail| <[u8; 4]>::try_from(tail).ok())
        .map_or(0, |tail| u64::from(u32::from_le_bytes(tail)));
    let capacity = hint.min(max_bytes).min(1 << 30) as usize;
    let mut out = Vec::with_capacity(capacity);
    let mut decoder = MultiGzDecoder::new(compressed).take(max_bytes.saturating_add(1));
    decoder.read_to_end(&mut out).map_err(|e| {
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
    })?;
    if out.len() as u64 > max_bytes {
        return Err(DataError::Unreadable {
            file: file.to_path_buf(),
            message: format!("decompresses to more than --max-window-bytes {max_bytes} bytes"),
        });
    }
    Ok(out)
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
