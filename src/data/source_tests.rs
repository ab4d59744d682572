//! Reading in blocks gives what parsing the whole text gives: the same columns bit for bit,
//! the same dictionaries, the same errors at the same lines, whatever the block size.

use std::cell::Cell;
use std::io::Write;
use std::path::{Path, PathBuf};

use super::super::{
    parse_reference, parse_window, read_reference_from, read_window_from, ColumnRoles, DataError,
    ReadOptions,
};

thread_local! {
    /// Overrides the block size on this thread (the tests' tiny blocks).
    pub(super) static BLOCK_BYTES: Cell<Option<usize>> = const { Cell::new(None) };
}

fn with_blocks<T>(size: usize, f: impl FnOnce() -> T) -> T {
    BLOCK_BYTES.with(|b| b.set(Some(size)));
    let out = f();
    BLOCK_BYTES.with(|b| b.set(None));
    out
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, bytes).expect("write");
    path
}

fn gz(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(data).expect("write");
    e.finish().expect("finish")
}

/// A reference and a window read from files in blocks of `size` bytes, as `Debug` text (NaN
/// compares equal to itself there, and -0.0 differs from 0.0).
fn streamed(dir: &Path, name: &str, reference: &[u8], window: &[u8], size: usize) -> String {
    let roles = ColumnRoles::default();
    let options = ReadOptions::default();
    with_blocks(size, || {
        let path = write(dir, &format!("ref-{name}"), reference);
        let file = std::fs::File::open(&path).expect("open");
        let (r, schema) =
            read_reference_from(&path, &file, reference.len() as u64, &roles, &options)
                .expect("reference");
        let path = write(dir, name, window);
        let file = std::fs::File::open(&path).expect("open");
        let w = read_window_from(&path, &file, window.len() as u64, &schema, &options);
        format!("{r:?}\n{schema:?}\n{w:?}")
            .replace(&format!("ref-{name}"), name)
            .replace(&format!("{}/", dir.display()), "")
    })
}

fn whole(name: &str, reference: &[u8], window: &[u8]) -> String {
    let roles = ColumnRoles::default();
    let (r, schema) = parse_reference(Path::new(name), reference, &roles).expect("reference");
    let w = parse_window(Path::new(name), window, &schema);
    format!("{r:?}\n{schema:?}\n{w:?}")
}

/// A text of `rows` rows: numbers, categories first seen late, missing and invalid cells,
/// blank lines, `\r\n` line ends, a feature that turns out to hold text after many numbers.
fn text(rows: usize, seed: u64) -> Vec<u8> {
    let mut s = String::from("a,b,c,late_text,prediction,target\r\n");
    let mut x = seed;
    for i in 0..rows {
        x = x
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let r = (x >> 33) as usize;
        let a = match r % 13 {
            0 => String::new(),
            1 => "NA".into(),
            2 => "oops".into(),
            _ => format!("{}.{}", r % 1000, r % 7),
        };
        let b = format!("cat{}", (r / 7) % (1 + i / 40));
        let c = format!("{}e-{}", r % 97, r % 3);
        let late = if i > rows * 3 / 4 && r.is_multiple_of(5) {
            "word".to_string()
        } else {
            (r % 11).to_string()
        };
        s.push_str(&format!("{a},{b},{c},{late},0.{},{}", r % 100, r % 2));
        s.push_str(if r.is_multiple_of(3) { "\n" } else { "\r\n" });
        if r.is_multiple_of(17) {
            s.push('\n');
        }
    }
    s.into_bytes()
}

#[test]
fn blocks_of_any_size_give_the_whole_texts_columns() {
    let dir = tempfile::tempdir().expect("tempdir");
    let reference = text(700, 1);
    let window = text(900, 2);
    let want = whole("w.csv", &reference, &window);
    for size in [1, 7, 64, 1000, 4096, 1 << 20] {
        let got = streamed(dir.path(), "w.csv", &reference, &window, size);
        assert!(got == want, "{size}");
    }
    // gzip, inflated as it is read; and a text without a line end at its end.
    let mut cut = window.clone();
    while cut.last().is_some_and(|b| b.is_ascii_whitespace()) {
        cut.pop();
    }
    let want = whole("w.csv", &reference, &cut);
    for size in [5, 300] {
        let got = streamed(dir.path(), "w.csv.gz", &gz(&reference), &gz(&cut), size);
        assert!(got.replace("w.csv.gz", "w.csv") == want, "{size}");
    }
}

#[test]
fn errors_name_the_same_line_in_any_block() {
    let dir = tempfile::tempdir().expect("tempdir");
    let reference = text(300, 3);
    let mut window = text(500, 4);
    // A ragged row far down; then, apart, a quote never closed far down.
    let at = window.len() * 4 / 5;
    let line_start = at + memchr::memchr(b'\n', &window[at..]).expect("line") + 1;
    let mut ragged = window.clone();
    ragged.splice(line_start..line_start, b"1,2\n".iter().copied());
    window.splice(line_start..line_start, b"\"1,x,1,1,0.5,1\n".iter().copied());
    let ragged_want = whole("w.csv", &reference, &ragged);
    let quote_want = whole("w.csv", &reference, &window);
    assert!(ragged_want.contains("Ragged"), "{ragged_want}");
    assert!(quote_want.contains("never closed"), "{quote_want}");
    for size in [3, 200, 1 << 20] {
        let got = streamed(dir.path(), "w.csv", &reference, &ragged, size);
        assert!(got == ragged_want, "{size}: {}", &got[got.len() - 100..]);
        let got = streamed(dir.path(), "w.csv", &reference, &window, size);
        assert!(got == quote_want, "{size}: {}", &got[got.len() - 100..]);
    }
}

#[test]
fn quotes_after_the_first_block_are_read_by_the_quote_rules() {
    let dir = tempfile::tempdir().expect("tempdir");
    let reference = text(200, 5);
    let mut window = text(400, 6);
    window.extend_from_slice(b"\"1.5\",\"cat, with comma\",2,3,0.5,1\n");
    let want = whole("w.csv", &reference, &window);
    assert!(want.contains("cat, with comma"), "{want}");
    for size in [10, 1000] {
        let got = streamed(dir.path(), "w.csv", &reference, &window, size);
        assert!(got == want, "{size}");
    }
}

#[test]
fn a_gzip_bomb_is_refused_at_the_cap_before_its_rows_are_parsed() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut text = b"a\n".to_vec();
    text.extend(std::iter::repeat_n(b"1\n", 3_000_000).flatten());
    let path = write(dir.path(), "bomb.csv.gz", &gz(&text));
    let file = std::fs::File::open(&path).expect("open");
    let len = file.metadata().expect("meta").len();
    let options = ReadOptions { max_bytes: 1 << 20 };
    let e = with_blocks(64 << 10, || {
        read_reference_from(&path, &file, len, &ColumnRoles::default(), &options)
    })
    .expect_err("bomb");
    assert!(matches!(e, DataError::Unreadable { .. }), "{e}");
    assert!(e.to_string().contains("--max-window-bytes 1048576"), "{e}");
}

#[test]
fn a_file_that_grew_is_read_to_the_length_given() {
    let dir = tempfile::tempdir().expect("tempdir");
    let reference = text(100, 7);
    let (_, schema) =
        parse_reference(Path::new("r.csv"), &reference, &ColumnRoles::default()).expect("ref");
    let window = text(300, 8);
    let path = write(dir.path(), "w.csv", &window);
    let mut more = std::fs::OpenOptions::new()
        .append(true)
        .open(&path)
        .expect("append");
    more.write_all(b"1,2,3,4,0.5,1\n").expect("append");
    let file = std::fs::File::open(&path).expect("open");
    let got = with_blocks(50, || {
        read_window_from(
            &path,
            &file,
            window.len() as u64,
            &schema,
            &ReadOptions::default(),
        )
    })
    .expect("window");
    let want = parse_window(&path, &window, &schema).expect("window");
    assert_eq!(format!("{got:?}"), format!("{want:?}"));
    let e = read_window_from(&path, &file, 1 << 30, &schema, &ReadOptions::default())
        .expect_err("shrank");
    assert!(e.to_string().contains("shrank"), "{e}");
}
