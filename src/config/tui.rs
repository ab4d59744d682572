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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::MonitorConfig;

    #[test]
    fn the_theme_is_dark_or_light_and_anything_else_names_file_line_and_key() {
        let light = MonitorConfig::from_toml("[tui]\ntheme = \"light\"\n", "c.toml");
        assert_eq!(light.map(|c| c.tui.theme).ok(), Some(TuiTheme::Light));
        assert_eq!(MonitorConfig::default().tui.theme, TuiTheme::Dark);
        let err = MonitorConfig::from_toml(
            "task = \"classification\"\n[tui]\ntheme = \"blue\"\n",
            "c.toml",
        )
        .expect_err("an unknown theme is refused");
        let text = err.to_string();
        assert!(
            text.starts_with("c.toml: line 3: tui.theme: unknown variant `blue`"),
            "{text}"
        );
        assert!(
            text.contains("`dark`") && text.contains("`light`"),
            "{text}"
        );
        assert!(!text.contains('\n'), "one line: {text}");
        let err = MonitorConfig::from_toml("[tui]\ncolour = \"dark\"\n", "c.toml")
            .expect_err("an unknown key is refused");
        assert!(err.to_string().contains("unknown field `colour`"), "{err}");
    }
}
