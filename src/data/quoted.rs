//! CSV with quote characters, read strictly: the records Python's `csv.reader(strict=True)`
//! gives, or an error naming the line and column where the offending quote opened.
//!
//! Why not the `csv` crate, which the rest of the ecosystem uses: it has no strict mode. An
//! unclosed quote makes it read the rest of the file as one field (a window of 500 rows became
//! one row, silently), and text after a closing quote is glued onto the field. Both are
//! `malformed` here. A quote that does not start a field is an ordinary character, as in
//! Python and RFC 4180 readers alike; a doubled quote inside a quoted field is one quote.
//! Records end at `\n`, `\r\n` or a lone `\r`; a blank line is a record of no fields.

/// One record's fields, kept in one buffer (reused from record to record).
#[derive(Debug, Default)]
pub(super) struct Record {
    /// The line the record starts on (1-based).
    pub(super) line: u64,
    data: Vec<u8>,
    ends: Vec<usize>,
}

impl Record {
    pub(super) fn len(&self) -> usize {
        self.ends.len()
    }

    pub(super) fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    pub(super) fn iter(&self) -> impl Iterator<Item = &[u8]> {
        let mut start = 0;
        self.ends.iter().map(move |&end| {
            let field = &self.data[start..end];
            start = end;
            field
        })
    }

    fn end_field(&mut self) {
        self.ends.push(self.data.len());
    }
}

/// A quote that breaks the strict rules: where it opened, and what is wrong.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct QuoteError {
    pub(super) line: u64,
    pub(super) message: String,
}

/// Reads records one after the other from the whole file's bytes.
pub(super) struct QuotedReader<'a> {
    bytes: &'a [u8],
    pos: usize,
    line: u64,
    line_start: usize,
}

impl<'a> QuotedReader<'a> {
    pub(super) fn new(bytes: &'a [u8]) -> Self {
        QuotedReader {
            bytes,
            pos: 0,
            line: 1,
            line_start: 0,
        }
    }

    /// Reads the next record into `record`; `false` at the end of the file.
    pub(super) fn read(&mut self, record: &mut Record) -> Result<bool, QuoteError> {
        record.data.clear();
        record.ends.clear();
        let b = self.bytes;
        if self.pos >= b.len() {
            return Ok(false);
        }
        record.line = self.line;
        if matches!(b[self.pos], b'\n' | b'\r') {
            self.end_of_line();
            return Ok(true);
        }
        // One field per iteration, from its first byte.
        loop {
            if b.get(self.pos) == Some(&b'"') {
                let open = self.pos;
                let (open_line, open_column) = (self.line, self.column(open));
                self.pos += 1;
                loop {
                    let Some(i) = memchr::memchr(b'"', &b[self.pos..]) else {
                        return Err(QuoteError {
                            line: open_line,
                            message: format!(
                                "column {open_column}: the quote opened here is never closed"
                            ),
                        });
                    };
                    let end = self.pos + i;
                    record.data.extend_from_slice(&b[self.pos..end]);
                    self.count_lines(self.pos, end);
                    self.pos = end + 1;
                    if b.get(self.pos) == Some(&b'"') {
                        record.data.push(b'"');
                        self.pos += 1;
                    } else {
                        break;
                    }
                }
                record.end_field();
                match b.get(self.pos) {
                    None => return Ok(true),
                    Some(b',') => self.pos += 1,
                    Some(b'\n' | b'\r') => {
                        self.end_of_line();
                        return Ok(true);
                    }
                    Some(_) => {
                        let closed_at = self.pos - 1;
                        return Err(QuoteError {
                            line: open_line,
                            message: format!(
                                "column {open_column}: the quoted field opened here is closed at line {}, column {} and followed by more text; expected ',' or the end of the line",
                                self.line,
                                self.column(closed_at)
                            ),
                        });
                    }
                }
            } else {
                let end = memchr::memchr3(b',', b'\n', b'\r', &b[self.pos..])
                    .map_or(b.len(), |i| self.pos + i);
                record.data.extend_from_slice(&b[self.pos..end]);
                record.end_field();
                self.pos = end;
                match b.get(end) {
                    None => return Ok(true),
                    Some(b',') => self.pos += 1,
                    _ => {
                        self.end_of_line();
                        return Ok(true);
                    }
                }
            }
        }
    }

    /// Past the `\n`, `\r\n` or `\r` at `pos`.
    fn end_of_line(&mut self) {
        if self.bytes.get(self.pos) == Some(&b'\r') && self.bytes.get(self.pos + 1) == Some(&b'\n')
        {
            self.pos += 1;
        }
        self.pos += 1;
        self.line += 1;
        self.line_start = self.pos;
    }

    /// Counts the line ends inside a quoted field's `from..to`.
    fn count_lines(&mut self, from: usize, to: usize) {
        let part = &self.bytes[from..to];
        for i in memchr::memchr2_iter(b'\n', b'\r', part) {
            if part[i] == b'\r' && self.bytes.get(from + i + 1) == Some(&b'\n') {
                continue;
            }
            self.line += 1;
            self.line_start = from + i + 1;
        }
    }

    /// The 1-based column (in characters) of byte `at` on the current line.
    fn column(&self, at: usize) -> usize {
        let start = self.line_start.min(at);
        1 + self.bytes[start..at]
            .iter()
            .filter(|&&b| b & 0xC0 != 0x80)
            .count()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn records(text: &str) -> Result<Vec<Vec<String>>, QuoteError> {
        let mut reader = QuotedReader::new(text.as_bytes());
        let mut record = Record::default();
        let mut out = Vec::new();
        while reader.read(&mut record)? {
            out.push(
                record
                    .iter()
                    .map(|f| String::from_utf8_lossy(f).into_owned())
                    .collect(),
            );
        }
        Ok(out)
    }

    #[test]
    fn reads_as_pythons_strict_reader() {
        // Expected values from Python 3: list(csv.reader(io.StringIO(text, newline=''), strict=True))
        assert_eq!(
            records("a,\"b,c\"\n\"x\"\"y\",\n\n1,2").unwrap(),
            vec![
                vec!["a", "b,c"],
                vec!["x\"y", ""],
                Vec::<&str>::new(),
                vec!["1", "2"]
            ]
        );
        assert_eq!(
            records("a\"b,\"c\r\nd\"\r\n").unwrap(),
            vec![vec!["a\"b", "c\r\nd"]]
        );
        assert_eq!(records("a,\r").unwrap(), vec![vec!["a", ""]]);
    }

    #[test]
    fn an_unclosed_quote_names_where_it_opened() {
        let e = records("a,b\n1,\"0\n2,3\n").unwrap_err();
        assert_eq!(e.line, 2);
        assert!(e.message.contains("column 3") && e.message.contains("never closed"));
        let e = records("a,b\n1,\"x\"y\n").unwrap_err();
        assert_eq!(e.line, 2);
        assert!(e.message.contains("column 3") && e.message.contains("line 2, column 5"));
        // Non-ASCII text counts as characters.
        let e = records("é,\"x").unwrap_err();
        assert!(e.message.contains("column 3"), "{}", e.message);
    }

    /// Every case of `tests/fixtures/csv_quotes.json` (made by `make_csv_quotes_fixtures.py`
    /// with Python's `csv.reader(strict=True)`): the same records, or an error where Python
    /// has one.
    #[test]
    fn agrees_with_pythons_strict_reader_on_random_quoted_texts() {
        let fixture: serde_json::Value =
            serde_json::from_str(include_str!("../../tests/fixtures/csv_quotes.json")).unwrap();
        let cases = fixture["cases"].as_array().unwrap();
        assert!(cases.len() >= 3000);
        for case in cases {
            let text = case["text"].as_str().unwrap();
            let ours = records(text);
            match (&case["rows"], ours) {
                (serde_json::Value::Array(rows), Ok(ours)) => {
                    let rows: Vec<Vec<String>> =
                        serde_json::from_value(rows.clone().into()).unwrap();
                    assert_eq!(ours, rows, "{text:?}");
                }
                (serde_json::Value::Null, Err(_)) => {}
                (python, ours) => panic!("{text:?}: Python {python:?} {case:?}, ours {ours:?}"),
            }
        }
    }

    fn write(rows: &[Vec<String>]) -> String {
        let mut writer = csv::WriterBuilder::new()
            .flexible(true)
            .from_writer(Vec::new());
        for row in rows {
            writer.write_record(row).unwrap();
        }
        String::from_utf8(writer.into_inner().unwrap()).unwrap()
    }

    fn cell() -> impl proptest::strategy::Strategy<Value = String> {
        proptest::string::string_regex("[a-c0-9 ,\"\n\ré.]{1,6}").unwrap()
    }

    proptest::proptest! {
        /// Quoted as Python's `csv.writer` quotes (the `csv` crate's writer): read back as
        /// written, whatever quotes, commas and line ends the cells hold.
        #[test]
        fn written_cells_read_back(rows in proptest::collection::vec(
            proptest::collection::vec(cell(), 1..4), 1..6)) {
            proptest::prop_assert_eq!(records(&write(&rows)).unwrap(), rows);
        }

        /// A quote opened at the start of any field with no quote after it is an error at
        /// that line and column, never rows swallowed (the issue's `"0` in a last field).
        #[test]
        fn a_quote_never_closed_is_an_error_where_it_opened(
            rows in proptest::collection::vec(
                proptest::collection::vec("[a-c0-9]{1,4}", 3..4), 2..8),
            at_row in 0usize..8,
            at_field in 0usize..3,
        ) {
            let at_row = at_row % rows.len();
            let mut text = String::new();
            let mut expected = (0, 0);
            for (r, row) in rows.iter().enumerate() {
                for (f, cell) in row.iter().enumerate() {
                    if f > 0 {
                        text.push(',');
                    }
                    if (r, f) == (at_row, at_field) {
                        let line_start = text.rfind('\n').map_or(0, |i| i + 1);
                        expected = (r as u64 + 1, text[line_start..].chars().count() + 1);
                        text.push('"');
                    }
                    text.push_str(cell);
                }
                text.push('\n');
            }
            let e = records(&text).unwrap_err();
            proptest::prop_assert_eq!(e.line, expected.0);
            let column = format!("column {}:", expected.1);
            proptest::prop_assert!(e.message.starts_with(&column), "{}", e.message);
        }
    }
}
