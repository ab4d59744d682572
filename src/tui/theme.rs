//! The few styles the panes use, in the terminal's own 16 colours or, with `NO_COLOR`, none.
//!
//! Named ANSI colours follow the user's palette; 256-colour or RGB values would not (and a
//! 16-colour terminal gets 16-colour codes for them, see `palette`). `[tui] theme = "light"`
//! trades cyan and yellow, which wash out on white, for blue and magenta. Without colour every
//! style falls back to modifiers (bold, dim, reversed) and nothing relies on colour alone:
//! severities and drift are written out, the focused pane's title starts with `▶`, and bars
//! over their threshold are dotted (`marks`).

use ml_monitor::AlertLevel;
use ratatui::style::{Color, Modifier, Style};

/// Styles for one run, with or without colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Theme {
    color: bool,
    light: bool,
}

impl Theme {
    /// The dark theme, or no colour.
    #[cfg(test)]
    pub(crate) fn new(no_color: bool) -> Self {
        Theme {
            color: !no_color,
            light: false,
        }
    }

    /// As [`Theme::new`], for a light background when `light`.
    pub(crate) fn with_background(no_color: bool, light: bool) -> Self {
        Theme {
            color: !no_color,
            light,
        }
    }

    /// Whether shapes must say what colour would: the focus mark, dotted over-threshold bars.
    pub(crate) fn marks(self) -> bool {
        !self.color
    }

    /// Cyan on a dark background, blue on a light one.
    fn accent(self) -> Color {
        if self.light {
            Color::Blue
        } else {
            Color::Cyan
        }
    }

    /// Yellow on a dark background, magenta on a light one.
    fn second(self) -> Color {
        if self.light {
            Color::Magenta
        } else {
            Color::Yellow
        }
    }

    fn pick(self, colored: Style, plain: Style) -> Style {
        if self.color {
            colored
        } else {
            plain
        }
    }

    /// An alert level's label.
    pub(crate) fn level(self, level: AlertLevel) -> Style {
        let bold = Style::new().add_modifier(Modifier::BOLD);
        match level {
            AlertLevel::Critical => self.pick(bold.fg(Color::Red), bold),
            AlertLevel::Warning => self.pick(Style::new().fg(Color::Yellow), bold),
            AlertLevel::Info => Style::new(),
        }
    }

    /// A drifted feature's row, and anything over its threshold.
    pub(crate) fn alarm(self) -> Style {
        let bold = Style::new().add_modifier(Modifier::BOLD);
        self.pick(bold.fg(Color::Red), bold)
    }

    /// Within limits.
    pub(crate) fn good(self) -> Style {
        self.pick(Style::new().fg(Color::Green), Style::new())
    }

    /// Secondary text: untested features, missing values.
    pub(crate) fn muted(self) -> Style {
        self.pick(
            Style::new().fg(Color::DarkGray),
            Style::new().add_modifier(Modifier::DIM),
        )
    }

    /// An acknowledged alert.
    pub(crate) fn acknowledged(self) -> Style {
        Style::new().add_modifier(Modifier::DIM)
    }

    /// The selected row of the focused pane.
    pub(crate) fn selected(self) -> Style {
        Style::new().add_modifier(Modifier::REVERSED)
    }

    /// Headings and the title.
    pub(crate) fn heading(self) -> Style {
        Style::new().add_modifier(Modifier::BOLD)
    }

    /// The border of a pane, focused or not.
    pub(crate) fn border(self, focused: bool) -> Style {
        if focused {
            self.pick(
                Style::new().fg(self.accent()).add_modifier(Modifier::BOLD),
                self.heading(),
            )
        } else {
            Style::new()
        }
    }

    /// The "PAUSED" marker.
    pub(crate) fn paused(self) -> Style {
        let marker = Style::new().add_modifier(Modifier::BOLD | Modifier::REVERSED);
        self.pick(marker.fg(self.second()), marker)
    }

    /// Reference bars of a histogram.
    pub(crate) fn reference_bar(self) -> Style {
        self.pick(
            Style::new().fg(self.accent()),
            Style::new().add_modifier(Modifier::DIM),
        )
    }

    /// Current-window bars of a histogram.
    pub(crate) fn current_bar(self) -> Style {
        self.pick(Style::new().fg(self.second()), Style::new())
    }

    /// Sparklines.
    pub(crate) fn trend(self) -> Style {
        self.pick(Style::new().fg(self.accent()), Style::new())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_light_theme_trades_cyan_and_yellow_and_no_colour_has_none() {
        let dark = Theme::new(false);
        let light = Theme::with_background(false, true);
        assert_eq!(dark.trend().fg, Some(Color::Cyan));
        assert_eq!(light.trend().fg, Some(Color::Blue));
        assert_eq!(dark.current_bar().fg, Some(Color::Yellow));
        assert_eq!(light.current_bar().fg, Some(Color::Magenta));
        assert_eq!(light.alarm().fg, Some(Color::Red), "red stays red");
        let plain = Theme::with_background(true, true);
        assert_eq!(plain.trend().fg, None);
        assert!(plain.marks() && !light.marks());
    }
}
