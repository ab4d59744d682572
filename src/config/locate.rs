//! Where a key is in a configuration file, so that every error names the user's line.
//!
//! A file is parsed once into its spanned tables ([`Document`], over `toml::de::DeTable`); a
//! serde error of a table built from it — the file's own, or one with a `[[models]]` override's
//! values merged in, which keep their spans — points into the user's text, and its key is found
//! by walking those tables, so dotted keys, inline tables and arrays of tables all resolve. A
//! range error carries a dotted key, looked up the same way. A TOML error is worded as one
//! line — `line N: key: what` — instead of toml's multi-line snippet.

use std::ops::Range;

use toml::de::{DeTable, DeValue};
use toml::Spanned;

use super::{ConfigError, InvalidValue};

/// A configuration file's text and its spanned tables.
pub struct Document<'i> {
    text: &'i str,
    root: Spanned<DeTable<'i>>,
}

impl<'i> Document<'i> {
    /// Parses `text`; a TOML syntax error is a [`ConfigError::Parse`] naming `origin` and the
    /// line.
    pub fn parse(text: &'i str, origin: &str) -> Result<Self, ConfigError> {
        let root = DeTable::parse(text).map_err(|e| ConfigError::Parse {
            path: origin.to_string(),
            line: e.span().map(|span| line_at(text, span.start)),
            key: None,
            message: one_line(e.message()),
        })?;
        Ok(Document { text, root })
    }

    /// The file's top-level table.
    pub fn root(&self) -> &Spanned<DeTable<'i>> {
        &self.root
    }

    /// The 1-based line of a byte offset of the text.
    pub(crate) fn line_at(&self, offset: usize) -> usize {
        line_at(self.text, offset)
    }

    /// The 1-based line where `path` is written (its key; an array element's start), if it is.
    pub fn line_of(&self, path: &[Step]) -> Option<usize> {
        let span = span_in(self.root.get_ref(), path)?;
        Some(self.line_at(span.start))
    }

    /// The path of the innermost key or value whose text holds byte `offset`.
    pub(crate) fn path_at(&self, offset: usize) -> Vec<Step> {
        let mut path = Vec::new();
        walk_table(self.root.get_ref(), offset, &mut path);
        path
    }

    /// A serde error of a table deserialized from this document (or from its values moved
    /// elsewhere) as one line naming `origin`, the line and the key as written in the file.
    pub fn error(&self, origin: &str, error: &toml::de::Error) -> ConfigError {
        let message = one_line(error.message());
        let (line, key) = match error.span() {
            Some(span) => {
                let path = self.path_at(span.start);
                (
                    Some(self.line_at(span.start)),
                    (!path.is_empty()).then(|| dotted(&path)),
                )
            }
            None => (None, None),
        };
        ConfigError::Parse {
            path: origin.to_string(),
            line,
            key,
            message,
        }
    }

    /// A range error of the settings under `prefix` (empty: the top level; `models[1]`: that
    /// entry's overrides over the file's): its key is the override's where the entry writes it
    /// (`models[1].alerts.accuracy`), else the file's, with the line either is written on; a key
    /// written nowhere is said at the entry's line.
    pub fn invalid(&self, origin: &str, prefix: &[Step], mut source: InvalidValue) -> ConfigError {
        let key = steps(&source.key);
        let own: Vec<Step> = prefix.iter().cloned().chain(key.iter().cloned()).collect();
        let line = if let Some(line) = self.line_of(&own).filter(|_| !prefix.is_empty()) {
            source.key = dotted(&own);
            Some(line)
        } else {
            self.line_of(&key)
                .or_else(|| super::validate::line_of(self.text, &source.key))
                .or_else(|| self.line_of(prefix))
        };
        ConfigError::Invalid {
            path: origin.to_string(),
            line,
            source,
        }
    }
}

/// One step of a path into a document: a table's key or an array's index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    Key(String),
    Index(usize),
}

/// The steps of a dotted key (`drift.statistical.alpha`).
pub(crate) fn steps(dotted: &str) -> Vec<Step> {
    dotted
        .split('.')
        .map(|k| Step::Key(k.to_string()))
        .collect()
}

/// The dotted form of a path: `models[1].drift.statistical.alpha`.
pub(crate) fn dotted(path: &[Step]) -> String {
    let mut out = String::new();
    for step in path {
        match step {
            Step::Key(k) if out.is_empty() => out.push_str(k),
            Step::Key(k) => {
                out.push('.');
                out.push_str(k);
            }
            Step::Index(i) => out.push_str(&format!("[{i}]")),
        }
    }
    out
}

/// The 1-based line of a byte offset.
pub fn line_at(text: &str, offset: usize) -> usize {
    text.as_bytes()[..offset.min(text.len())]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

fn span_in(table: &DeTable<'_>, path: &[Step]) -> Option<Range<usize>> {
    let (Step::Key(first), rest) = path.split_first()? else {
        return None;
    };
    let (key, value) = table.iter().find(|(k, _)| k.get_ref() == first)?;
    if rest.is_empty() {
        return Some(key.span());
    }
    span_in_value(value, rest)
}

fn span_in_value(value: &Spanned<DeValue<'_>>, path: &[Step]) -> Option<Range<usize>> {
    match (value.get_ref(), path.first()?) {
        (DeValue::Table(t), Step::Key(_)) => span_in(t, path),
        (DeValue::Array(a), Step::Index(i)) => {
            let item = a.get(*i)?;
            if path.len() == 1 {
                Some(item.span())
            } else {
                span_in_value(item, &path[1..])
            }
        }
        _ => None,
    }
}

fn walk_table(table: &DeTable<'_>, offset: usize, path: &mut Vec<Step>) {
    for (key, value) in table.iter() {
        if key.span().contains(&offset) {
            path.push(Step::Key(key.get_ref().to_string()));
            return;
        }
        let before = path.len();
        path.push(Step::Key(key.get_ref().to_string()));
        if walk_value(value, offset, path) {
            return;
        }
        path.truncate(before);
    }
}

/// Whether `offset` is inside `value` (its path then completed below it).
fn walk_value(value: &Spanned<DeValue<'_>>, offset: usize, path: &mut Vec<Step>) -> bool {
    match value.get_ref() {
        DeValue::Table(t) => {
            let before = path.len();
            walk_table(t, offset, path);
            path.len() > before || value.span().contains(&offset)
        }
        DeValue::Array(a) => {
            for (i, item) in a.iter().enumerate() {
                let before = path.len();
                path.push(Step::Index(i));
                if walk_value(item, offset, path) {
                    return true;
                }
                path.truncate(before);
            }
            value.span().contains(&offset)
        }
        _ => value.span().contains(&offset),
    }
}

/// A TOML error's message on one line (toml's own display is a snippet of several lines).
fn one_line(message: &str) -> String {
    message
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[test]
    fn paths_resolve_through_dotted_keys_inline_tables_and_arrays_of_tables() {
        let text = "a = 1\n[drift.statistical]\nalpha = 0.1\n\n[[models]]\nname = \"x\"\n\n[[models]]\nname = \"y\"\ndrift = { statistical = { alpha = 7 } }\n[models.alerts]\naccuracy = 2\n";
        let doc = Document::parse(text, "t.toml").expect("parses");
        let line_of_path = |_: &str, path: &[Step]| doc.line_of(path);
        assert_eq!(
            line_of_path(text, &steps("drift.statistical.alpha")),
            Some(3)
        );
        let second = |rest: &str| {
            let mut p = vec![Step::Key("models".into()), Step::Index(1)];
            p.extend(steps(rest));
            p
        };
        assert_eq!(
            line_of_path(text, &second("drift.statistical.alpha")),
            Some(10)
        );
        assert_eq!(line_of_path(text, &second("alerts.accuracy")), Some(12));
        assert_eq!(line_of_path(text, &second("name")), Some(9));
        assert_eq!(line_of_path(text, &steps("nothing")), None);
        let offset = text.find("alpha = 7").expect("there") + 8;
        assert_eq!(
            dotted(&doc.path_at(offset)),
            "models[1].drift.statistical.alpha"
        );
    }

    #[test]
    fn a_type_error_is_one_line_with_its_line_and_key() {
        #[derive(Debug, serde::Deserialize)]
        #[allow(dead_code)]
        struct T {
            x: Inner,
        }
        #[derive(Debug, serde::Deserialize)]
        #[allow(dead_code)]
        struct Inner {
            n: u32,
        }
        let text = "\n[x]\nn = \"many\"\n";
        let doc = Document::parse(text, "t.toml").expect("parses");
        let e = T::deserialize(toml::de::Deserializer::from(doc.root().clone())).expect_err("type");
        let line = doc.error("t.toml", &e).to_string();
        assert!(line.starts_with("t.toml: line 3: x.n: "), "{line}");
        assert!(!line.contains('\n'), "{line}");
        let e = Document::parse("a = [\n", "t.toml")
            .err()
            .expect("syntax")
            .to_string();
        assert!(e.starts_with("t.toml: line "), "{e}");
        assert!(!e.contains('\n'), "{e}");
    }
}
