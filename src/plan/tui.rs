//! `[tui]`: how the terminal UI looks. The binary's own section: only the choice is kept here,
//! the terminal UI's theme turns it into colours.

use serde::{Deserialize, Serialize};

/// `[tui]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct TuiConfig {
    /// The terminal's background: colours readable on it.
    pub(crate) theme: TuiTheme,
}

/// `[tui] theme`: `"dark"` (the default) or `"light"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub(crate) enum TuiTheme {
    /// Light text on a dark background.
    #[default]
    Dark,
    /// Dark text on a light background: blue and magenta where the dark theme has cyan and
    /// yellow, which wash out on white.
    Light,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::config_file::ConfigFile;
    use std::path::Path;

    fn parse(text: &str) -> Result<TuiTheme, String> {
        ConfigFile::parse(text.to_string(), Path::new("c.toml"))
            .map(|c| c.tui.theme)
            .map_err(|e| e.to_string())
    }

    #[test]
    fn the_theme_is_dark_or_light_and_anything_else_names_file_line_and_key() {
        let light = parse("[tui]\ntheme = \"light\"\n");
        assert_eq!(light.ok(), Some(TuiTheme::Light));
        assert_eq!(TuiConfig::default().theme, TuiTheme::Dark);
        let text = parse("task = \"classification\"\n[tui]\ntheme = \"blue\"\n")
            .expect_err("an unknown theme is refused");
        assert!(text.contains("c.toml: line 3: tui.theme"), "{text}");
        assert!(
            text.contains("`dark`") && text.contains("`light`"),
            "{text}"
        );
        assert!(!text.contains('\n'), "one line: {text}");
        let text = parse("[tui]\ncolour = \"dark\"\n").expect_err("an unknown key is refused");
        assert!(text.contains("unknown field `colour`"), "{text}");
    }
}
