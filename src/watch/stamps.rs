//! How the watcher tells file versions apart and when a file is ready: the stamp (size and
//! modification time, the history's key too; with the status-change time for `chmod`), whether a
//! file already holds a data row (a header-only CSV, a gzip stream without a row, or a Parquet
//! file without its footer is not a window yet), and the watched directory's identity (a
//! directory replaced under the same name is watched anew).

use std::fs;
use std::path::Path;
use std::time::SystemTime;

use ml_monitor::data::Format;

use super::kinds::is_profile;

/// What the watcher (and the history) know a file version by: size and modification time.
pub(super) type Stamp = (u64, SystemTime);

pub(super) fn stamp_of(meta: &fs::Metadata) -> Stamp {
    (
        meta.len(),
        meta.modified().unwrap_or(SystemTime::UNIX_EPOCH),
    )
}

/// A stamp that also changes with the file's status (a `chmod` changes its ctime).
#[cfg(unix)]
pub(super) fn full_stamp(meta: &fs::Metadata) -> (Stamp, i64, i64) {
    use std::os::unix::fs::MetadataExt;
    (stamp_of(meta), meta.ctime(), meta.ctime_nsec())
}

#[cfg(not(unix))]
pub(super) fn full_stamp(meta: &fs::Metadata) -> (Stamp, i64, i64) {
    (stamp_of(meta), 0, 0)
}

/// Whether the file holds a data row: something other than line breaks after its first line
/// (of the inflated text, for gzip). Only the start of the file is read (at most 1 MiB); when
/// in doubt, yes. A Parquet file is complete once its footer is there: it ends in `PAR1`.
pub(super) fn has_data_row(path: &Path) -> bool {
    use std::io::Read;
    if is_profile(path) {
        return true;
    }
    let Ok(file) = fs::File::open(path) else {
        return true;
    };
    let mut head = Vec::new();
    match Format::of(path) {
        Some(Format::Parquet) => return has_parquet_footer(file),
        Some(Format::CsvGz) => {
            // A gzip stream cut short still inflates up to where it stops.
            let mut inflated = flate2::read::MultiGzDecoder::new(file).take(1 << 20);
            let _ = inflated.read_to_end(&mut head);
        }
        _ => {
            if file.take(1 << 20).read_to_end(&mut head).is_err() {
                return true;
            }
        }
    }
    match memchr::memchr(b'\n', &head) {
        Some(end) => head[end + 1..].iter().any(|b| !b.is_ascii_whitespace()),
        None => head.len() == 1 << 20,
    }
}

/// Whether a Parquet file ends in its footer's magic bytes (a file being written does not yet).
fn has_parquet_footer(mut file: fs::File) -> bool {
    use std::io::{Read, Seek, SeekFrom};
    let mut tail = [0u8; 4];
    let len = file.metadata().map_or(0, |m| m.len());
    len >= 12
        && file.seek(SeekFrom::End(-4)).is_ok()
        && file.read_exact(&mut tail).is_ok()
        && &tail == b"PAR1"
}

#[cfg(unix)]
pub(super) fn dir_identity(dir: &Path) -> Option<(u64, u64)> {
    use std::os::unix::fs::MetadataExt;
    fs::metadata(dir).ok().map(|meta| (meta.dev(), meta.ino()))
}

#[cfg(not(unix))]
pub(super) fn dir_identity(_dir: &Path) -> Option<(u64, u64)> {
    None
}
