//! Copying to the terminal's clipboard with OSC 52, which works over SSH because the terminal,
//! not this machine, owns the clipboard.
//!
//! The sequence is `ESC ] 52 ; c ; BASE64 BEL`. tmux passes it on only with
//! `set -g allow-passthrough on` (or `set -g set-clipboard on`); some terminals ask first or
//! cap the length. Base64 is written here rather than pulled in as a dependency: it is a dozen
//! lines and only ever encodes.

use std::io::Write;

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Standard base64 with padding.
pub(crate) fn base64(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for (i, shift) in [18u32, 12, 6, 0].into_iter().enumerate() {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[((n >> shift) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// The OSC 52 sequence that puts `text` on the clipboard.
pub(crate) fn osc52(text: &str) -> String {
    format!("\u{1b}]52;c;{}\u{7}", base64(text.as_bytes()))
}

/// Writes the sequence to the terminal (stdout, where the UI draws).
pub(crate) fn copy(text: &str) {
    let mut out = std::io::stdout();
    if let Err(e) = out
        .write_all(osc52(text).as_bytes())
        .and_then(|()| out.flush())
    {
        log::warn!("copy to the clipboard failed: {e}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_rfc_4648_vectors() {
        for (plain, encoded) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(base64(plain.as_bytes()), encoded, "{plain}");
        }
        assert_eq!(osc52("{}"), "\u{1b}]52;c;e30=\u{7}");
    }
}
