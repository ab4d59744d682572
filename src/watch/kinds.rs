//! What in the watched directory is a window, and what says it is complete: a CSV, gzipped CSV
//! or Parquet file, or a
//! profile (`NAME.profile.parquet` / `NAME.profile.json`) — a single file, or a Spark output
//! directory, which is complete only once Spark has written its `_SUCCESS` marker (the
//! marker's size and time then stand for the directory's).

use std::ffi::OsStr;
use std::fs;
use std::path::Path;

use ml_monitor::data::Format;
use ml_monitor::profile::{completion_marker, profile_format};

/// Whether `name` is a window's name: `*.csv`, `*.csv.gz`, `*.parquet` (see
/// [`Format`]) or a profile's, not hidden, not temporary.
pub(super) fn is_window_name(name: &OsStr) -> bool {
    let lower = name.to_string_lossy().to_ascii_lowercase();
    !lower.starts_with('.')
        && !lower.ends_with(".tmp")
        && !lower.ends_with(".part")
        && (Format::of_name(name).is_some() || profile_format(&lower).is_some())
}

/// Whether `path` names a profile window.
pub(super) fn is_profile(path: &Path) -> bool {
    path.file_name()
        .is_some_and(|n| profile_format(&n.to_string_lossy()).is_some())
}

/// The metadata that tells whether a window is there and whether it changed: a window file's
/// own, a profile directory's `_SUCCESS` marker's; `None` when `path` is not (yet) a window.
pub(super) fn window_meta(path: &Path) -> Option<fs::Metadata> {
    if !path.file_name().is_some_and(is_window_name) {
        return None;
    }
    if is_profile(path) {
        return completion_marker(path);
    }
    fs::metadata(path).ok().filter(|m| m.is_file())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_spark_directory_is_a_window_only_with_success() {
        let dir = tempfile::tempdir().unwrap();
        let spark = dir.path().join("2026-11-29.profile.parquet");
        fs::create_dir(&spark).unwrap();
        fs::write(spark.join("part-00000-x.snappy.parquet"), b"PAR1").unwrap();
        assert!(window_meta(&spark).is_none(), "no _SUCCESS yet");
        fs::write(spark.join("_SUCCESS"), b"").unwrap();
        assert!(window_meta(&spark).is_some());
        let single = dir.path().join("a.profile.json");
        fs::write(&single, b"{}\n").unwrap();
        assert!(window_meta(&single).is_some());
        let plain_dir = dir.path().join("other.csv");
        fs::create_dir(&plain_dir).unwrap();
        assert!(
            window_meta(&plain_dir).is_none(),
            "a directory named .csv is not a window"
        );
        assert!(!is_window_name(OsStr::new(".x.profile.parquet")));
        assert!(!is_window_name(OsStr::new("x.profile.parquet.tmp")));
        assert!(is_window_name(OsStr::new("X.PROFILE.PARQUET")));
    }
}
