//! Which file formats a window or reference may be in, chosen by the file's name.
//!
//! The extension decides, not the content: a watcher must tell a window from a stray file
//! before it opens it, and a name is what a pipeline controls. [`Format::of`] is the one place
//! that maps a name to a format; the watcher, `--once`, `train` and the reference loading all
//! go through it.

use std::ffi::OsStr;
use std::path::Path;

/// A window file's format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    /// `*.csv`: comma-separated with a header row.
    Csv,
    /// `*.csv.gz`: the same, gzip-compressed.
    CsvGz,
    /// `*.parquet`: Apache Parquet (snappy, zstd, gzip, lz4 or uncompressed).
    Parquet,
}

impl Format {
    /// Every format, in the order they are listed to users.
    pub(crate) const ALL: [Format; 3] = [Format::Csv, Format::CsvGz, Format::Parquet];

    /// The format of a window file called `name` (ASCII case ignored), or `None` when the name
    /// is not a window's. Spark profiles (`*.profile.parquet`) are not windows: they are
    /// summaries of one, handled where profiles are read.
    pub fn of_name(name: &OsStr) -> Option<Format> {
        let name = name.to_string_lossy().to_ascii_lowercase();
        if is_profile_name(&name) {
            // Hook: profile windows (`*.profile.parquet`, `*.profile.json`) are recognised by
            // the profile reader, not as ordinary windows.
            return None;
        }
        if name.ends_with(".csv.gz") {
            Some(Format::CsvGz)
        } else if name.ends_with(".csv") {
            Some(Format::Csv)
        } else if name.ends_with(".parquet") {
            Some(Format::Parquet)
        } else {
            None
        }
    }

    /// The format of the file at `path`, by its name; see [`Format::of_name`].
    pub fn of(path: &Path) -> Option<Format> {
        path.file_name().and_then(Format::of_name)
    }

    /// The format to read `path` in: by its name, and CSV when the name says nothing (a
    /// reference may be called anything).
    pub(crate) fn for_reading(path: &Path) -> Format {
        let lower = path
            .file_name()
            .map(|n| n.to_string_lossy().to_ascii_lowercase())
            .unwrap_or_default();
        if lower.ends_with(".parquet") {
            Format::Parquet
        } else if lower.ends_with(".gz") {
            Format::CsvGz
        } else {
            Format::Csv
        }
    }

    /// The file name extension, without the leading dot: `csv`, `csv.gz`, `parquet`.
    pub(crate) fn extension(self) -> &'static str {
        match self {
            Format::Csv => "csv",
            Format::CsvGz => "csv.gz",
            Format::Parquet => "parquet",
        }
    }
}

impl std::fmt::Display for Format {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.extension())
    }
}

impl std::str::FromStr for Format {
    type Err = String;

    /// Parses `csv`, `csv.gz` or `parquet` (ASCII case ignored).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Format::ALL
            .into_iter()
            .find(|f| f.extension().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| format!("unknown format \"{s}\": expected csv, csv.gz or parquet"))
    }
}

/// Whether a lower-cased file name is a Spark profile's rather than a window's.
fn is_profile_name(lower: &str) -> bool {
    lower.ends_with(".profile.parquet") || lower.ends_with(".profile.json")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_map_to_formats() {
        for (name, want) in [
            ("w.csv", Some(Format::Csv)),
            ("W.CSV", Some(Format::Csv)),
            ("w.csv.gz", Some(Format::CsvGz)),
            ("w.CSV.GZ", Some(Format::CsvGz)),
            ("w.parquet", Some(Format::Parquet)),
            ("part-0001.snappy.parquet", Some(Format::Parquet)),
            ("w.profile.parquet", None),
            ("w.profile.json", None),
            ("w.gz", None),
            ("w.json", None),
            ("w.csv.tmp", None),
        ] {
            assert_eq!(Format::of_name(OsStr::new(name)), want, "{name}");
        }
    }

    #[test]
    fn references_default_to_csv() {
        assert_eq!(Format::for_reading(Path::new("ref.txt")), Format::Csv);
        assert_eq!(Format::for_reading(Path::new("ref.gz")), Format::CsvGz);
        assert_eq!(
            Format::for_reading(Path::new("ref.PARQUET")),
            Format::Parquet
        );
    }

    #[test]
    fn formats_parse_and_display() {
        for f in Format::ALL {
            assert_eq!(f.to_string().parse::<Format>(), Ok(f));
        }
        assert!("xlsx".parse::<Format>().is_err());
    }
}
