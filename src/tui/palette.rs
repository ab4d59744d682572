//! Colour codes a 16-colour terminal understands.
//!
//! The theme uses only the 16 named ANSI colours, but crossterm writes even those as 256-colour
//! codes (`ESC[38;5;1m` for red), which a terminal of 16 colours (`TERM=xterm`, the Linux
//! console, some serial consoles) shows wrong or not at all. When the environment says the
//! terminal has 16 colours, [`Sgr16`] rewrites each such code on its way out into the classic
//! one (`ESC[31m`); everything else passes through byte for byte. Rewriting the output rather
//! than drawing differently keeps one theme and one renderer for every terminal.

use std::io::{self, Write};

/// Whether the terminal, by its `TERM` and `COLORTERM`, has only the 16 ANSI colours: no
/// `COLORTERM=truecolor|24bit` and no `256color` / `direct` in `TERM`.
pub(crate) fn has_only_16_colours(term: Option<&str>, colorterm: Option<&str>) -> bool {
    let colorterm = colorterm.unwrap_or("").to_ascii_lowercase();
    if colorterm == "truecolor" || colorterm == "24bit" {
        return false;
    }
    let term = term.unwrap_or("").to_ascii_lowercase();
    !(term.contains("256color") || term.contains("direct"))
}

/// The terminal's colours as the environment describes them.
pub(crate) fn from_env() -> bool {
    has_only_16_colours(
        std::env::var("TERM").ok().as_deref(),
        std::env::var("COLORTERM").ok().as_deref(),
    )
}

/// A longer escape sequence is not a colour code: passed through as it is.
const MAX_SEQUENCE: usize = 64;
const ESC: u8 = 0x1b;

/// A writer that turns 256-colour codes of the 16 named colours into 16-colour ones when `on`.
pub(crate) struct Sgr16<W: Write> {
    inner: W,
    on: bool,
    /// A control sequence begun (`ESC [ …`) and not yet ended: it may be split across writes.
    pending: Vec<u8>,
}

impl<W: Write> Sgr16<W> {
    pub(crate) fn new(inner: W, on: bool) -> Self {
        Sgr16 {
            inner,
            on,
            pending: Vec::new(),
        }
    }

    fn sequence_done(&mut self, out: &mut Vec<u8>) {
        let seq = std::mem::take(&mut self.pending);
        match seq
            .strip_prefix(b"\x1b[")
            .and_then(|s| s.strip_suffix(b"m"))
        {
            Some(params) => {
                out.extend_from_slice(b"\x1b[");
                out.extend_from_slice(sgr16(params).as_bytes());
                out.push(b'm');
            }
            None => out.extend_from_slice(&seq),
        }
    }
}

/// The parameters of one SGR sequence with `38;5;N` / `48;5;N` (N < 16) in their 16-colour
/// form; anything else as it was.
pub(crate) fn sgr16(params: &[u8]) -> String {
    let text = String::from_utf8_lossy(params);
    let parts: Vec<&str> = text.split(';').collect();
    let mut out: Vec<String> = Vec::with_capacity(parts.len());
    let mut i = 0;
    while i < parts.len() {
        let indexed = match (parts.get(i), parts.get(i + 1), parts.get(i + 2)) {
            (Some(&which), Some(&"5"), Some(n)) if which == "38" || which == "48" => {
                n.parse::<u8>().ok().filter(|n| *n < 16).map(|n| (which, n))
            }
            _ => None,
        };
        match indexed {
            Some((which, n)) => {
                let (normal, bright) = if which == "38" { (30, 90) } else { (40, 100) };
                let code = if n < 8 {
                    normal + u16::from(n)
                } else {
                    bright + u16::from(n - 8)
                };
                out.push(code.to_string());
                i += 3;
            }
            None => {
                out.push(parts[i].to_string());
                i += 1;
            }
        }
    }
    out.join(";")
}

impl<W: Write> Write for Sgr16<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if !self.on {
            return self.inner.write(buf);
        }
        let mut out = Vec::with_capacity(buf.len() + 8);
        for &b in buf {
            if self.pending.is_empty() {
                if b == ESC {
                    self.pending.push(b);
                } else {
                    out.push(b);
                }
                continue;
            }
            self.pending.push(b);
            if self.pending.len() == 2 {
                if b != b'[' {
                    // Not a control sequence (OSC 8 and 52 start `ESC ]`): as it is.
                    out.append(&mut self.pending);
                }
                continue;
            }
            if (0x40..=0x7e).contains(&b) {
                self.sequence_done(&mut out);
            } else if self.pending.len() > MAX_SEQUENCE {
                out.append(&mut self.pending);
            }
        }
        self.inner.write_all(&out)?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn through(on: bool, pieces: &[&[u8]]) -> Vec<u8> {
        let mut w = Sgr16::new(Vec::new(), on);
        for p in pieces {
            w.write_all(p).expect("written");
        }
        w.inner
    }

    #[test]
    fn named_colours_become_16_colour_codes() {
        assert_eq!(sgr16(b"38;5;1"), "31");
        assert_eq!(sgr16(b"38;5;9"), "91");
        assert_eq!(sgr16(b"48;5;8"), "100");
        assert_eq!(sgr16(b"1;38;5;6;48;5;0"), "1;36;40");
        // Beyond the 16 and true colour: left alone.
        assert_eq!(sgr16(b"38;5;196"), "38;5;196");
        assert_eq!(sgr16(b"38;2;255;0;0"), "38;2;255;0;0");
    }

    #[test]
    fn sequences_split_across_writes_are_rewritten_and_the_rest_passes_through() {
        let out = through(
            true,
            &[
                b"ab\x1b[",
                b"38;5;",
                b"3m",
                b"x\x1b[2;5H\x1b]8;;u\x1b\\",
                b"\x1b[0m",
            ],
        );
        assert_eq!(out, b"ab\x1b[33mx\x1b[2;5H\x1b]8;;u\x1b\\\x1b[0m".to_vec());
        assert_eq!(through(false, &[b"\x1b[38;5;3m"]), b"\x1b[38;5;3m".to_vec());
    }

    #[test]
    fn a_terminal_has_16_colours_unless_it_says_more() {
        assert!(has_only_16_colours(Some("xterm"), None));
        assert!(has_only_16_colours(Some("linux"), Some("")));
        assert!(has_only_16_colours(None, None));
        assert!(!has_only_16_colours(Some("xterm-256color"), None));
        assert!(!has_only_16_colours(Some("tmux-256color"), None));
        assert!(!has_only_16_colours(Some("xterm"), Some("truecolor")));
        assert!(!has_only_16_colours(Some("xterm"), Some("24bit")));
    }
}
