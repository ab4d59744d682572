//! `[tui]`: how the terminal UI looks. Only the choice is kept here (the library draws
//! nothing); the binary's theme turns it into colours.

use serde::{Deserialize, Serialize};

/// `[tui]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
pub struct TuiConfig {
    /// The terminal's background: colours readable on it.
    pub theme: TuiTheme,
}

/// `[tui] theme`: `"dark"` (the default) or `"light"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum TuiTheme {
    /// Light text on a dark background.
    #[default]
    Dark,
    /// Dark text on a light background: blue and magenta where the dark theme has cyan and
    /// yellow, which wash out on white.
    Light,
}
