//! The few styles the panes use, in the terminal's own 16 colours or, with `NO_COLOR`, none.
//!
//! Named ANSI colours follow the user's palette, so they stay readable on light and dark
//! backgrounds alike; 256-colour or RGB values would not. Without colour every style falls back
//! to modifiers (bold, dim, reversed), and nothing relies on colour alone: severities and drift
//! are also written out.

use ml_monitor::AlertLevel;
use ratatui::style::{Color, Modifier, Style};

/// Styles for one run, with or without colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Theme {
    color: bool,
}

impl Theme {
    pub(crate) fn new(no_color: bool) -> Self {
        Theme { color: !no_color }
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
                Style::new().fg(Color::Cyan).add_modifier(Modifier::BOLD),
                self.heading(),
            )
        } else {
            Style::new()
        }
    }

    /// The "PAUSED" marker.
    pub(crate) fn paused(self) -> Style {
        let marker = Style::new().add_modifier(Modifier::BOLD | Modifier::REVERSED);
        self.pick(marker.fg(Color::Yellow), marker)
    }

    /// Reference bars of a histogram.
    pub(crate) fn reference_bar(self) -> Style {
        self.pick(
            Style::new().fg(Color::Cyan),
            Style::new().add_modifier(Modifier::DIM),
        )
    }

    /// Current-window bars of a histogram.
    pub(crate) fn current_bar(self) -> Style {
        self.pick(Style::new().fg(Color::Yellow), Style::new())
    }

    /// Sparklines.
    pub(crate) fn trend(self) -> Style {
        self.pick(Style::new().fg(Color::Cyan), Style::new())
    }
}
