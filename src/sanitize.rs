//! The one gate every string from data passes before a terminal, a CSV export or a text report
//! sees it.
//!
//! Feature names, categories, file names and messages come from files we do not control; a
//! header holding `ESC ] 0 ; ... BEL` would retitle the user's terminal, and one holding `ESC [ 2 J`
//! would wipe it. Whole escape sequences are removed (not just the ESC byte, which would leave
//! `[31m` litter), other control characters are dropped, and line breaks and tabs become spaces
//! so a value cannot break the layout (or a CSV row). Use it for every such string, everywhere:
//! the TUI, `--once` text, stderr, `history` output and the sinks' kept answers.

use std::borrow::Cow;
use std::iter::Peekable;

/// `text` without control characters, escape sequences or bidirectional overrides.
pub(crate) fn sanitize(text: &str) -> Cow<'_, str> {
    if !text.chars().any(needs_care) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\u{1b}' => skip_escape(&mut chars),
            '\u{9b}' => skip_csi(&mut chars),
            '\u{90}' | '\u{98}' | '\u{9d}' | '\u{9e}' | '\u{9f}' => skip_string(&mut chars),
            '\t' | '\n' | '\r' => out.push(' '),
            c if needs_care(c) => {}
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

fn needs_care(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2060}'..='\u{2069}' | '\u{feff}')
}

/// Each line of `text` sanitised, the line breaks kept: for messages of several lines.
pub(crate) fn lines(text: &str) -> String {
    text.split('\n')
        .map(sanitize)
        .collect::<Vec<_>>()
        .join("\n")
}

/// After ESC: CSI, a string command (OSC, DCS, SOS, PM, APC) or a short two-byte sequence.
fn skip_escape(chars: &mut Peekable<impl Iterator<Item = char>>) {
    match chars.peek() {
        Some('[') => {
            chars.next();
            skip_csi(chars);
        }
        Some(']' | 'P' | 'X' | '^' | '_') => {
            chars.next();
            skip_string(chars);
        }
        Some(c) if ('\u{20}'..='\u{7e}').contains(c) => {
            while chars
                .next_if(|c| ('\u{20}'..='\u{2f}').contains(c))
                .is_some()
            {}
            chars.next_if(|c| ('\u{30}'..='\u{7e}').contains(c));
        }
        _ => {}
    }
}

/// Parameter and intermediate bytes, then one final byte.
fn skip_csi(chars: &mut Peekable<impl Iterator<Item = char>>) {
    while chars
        .next_if(|c| ('\u{20}'..='\u{3f}').contains(c))
        .is_some()
    {}
    chars.next_if(|c| ('\u{40}'..='\u{7e}').contains(c));
}

/// Everything up to BEL, ST (`ESC \` or U+009C) or the end of the text.
fn skip_string(chars: &mut Peekable<impl Iterator<Item = char>>) {
    while let Some(c) = chars.next() {
        match c {
            '\u{7}' | '\u{9c}' => return,
            '\u{1b}' => {
                chars.next_if_eq(&'\\');
                return;
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::sanitize;

    #[test]
    fn clean_text_is_borrowed_unchanged() {
        let s = "feature_1 Zürich χ²";
        assert!(matches!(sanitize(s), std::borrow::Cow::Borrowed(t) if t == s));
    }

    #[test]
    fn csi_sequences_are_removed_whole() {
        assert_eq!(sanitize("a\u{1b}[31;1mred\u{1b}[0m"), "ared");
        assert_eq!(sanitize("x\u{1b}[2Jy"), "xy");
        assert_eq!(sanitize("x\u{9b}2Jy"), "xy");
    }

    #[test]
    fn osc_and_dcs_strings_are_removed_up_to_their_terminator() {
        assert_eq!(sanitize("a\u{1b}]0;pwned\u{7}b"), "ab");
        assert_eq!(
            sanitize("a\u{1b}]8;;http://x\u{1b}\\link\u{1b}]8;;\u{1b}\\b"),
            "alinkb"
        );
        assert_eq!(sanitize("a\u{1b}Pq#0;2;0;0;0\u{1b}\\b"), "ab");
        assert_eq!(sanitize("a\u{1b}]0;never terminated"), "a");
    }

    #[test]
    fn short_escapes_and_lone_controls_go() {
        assert_eq!(sanitize("a\u{1b}cb"), "ab");
        assert_eq!(sanitize("a\u{1b}(Bb"), "ab");
        assert_eq!(sanitize("bell\u{7}\u{8}\u{7f}\u{0}"), "bell");
        assert_eq!(sanitize("trailing\u{1b}"), "trailing");
    }

    #[test]
    fn line_breaks_and_tabs_become_spaces_and_bidi_overrides_go() {
        assert_eq!(sanitize("a\nb\tc\r"), "a b c ");
        assert_eq!(sanitize("abc\u{202e}fed"), "abcfed");
    }

    #[test]
    fn nothing_drawable_survives_as_a_control() {
        let nasty: String = (0u32..0x100).filter_map(char::from_u32).collect();
        let out = sanitize(&nasty);
        assert!(out.chars().all(|c| !c.is_control()), "{out:?}");
    }
}
