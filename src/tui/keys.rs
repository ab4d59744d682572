//! The key bindings: one table that the dispatcher, the footer hints and the `?` help all read,
//! so the help can never describe keys that do not exist.

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

/// What a key asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Action {
    Quit,
    Help,
    FocusNext,
    FocusPrev,
    Down,
    Up,
    PageDown,
    PageUp,
    Top,
    Bottom,
    Open,
    Back,
    Pause,
    Sort,
    Filter,
    Acknowledge,
    Silence,
    AlertLog,
    Search,
    Copy,
    /// The next row that holds the last `/` query.
    NextMatch,
    /// The previous row that holds it.
    PrevMatch,
    FeatureHistogram,
    /// Time travel: the previous window.
    Older,
    /// Time travel: the next window.
    Newer,
    /// ← (the previous window when the trends have the focus).
    Left,
    /// → (the next window when the trends have the focus).
    Right,
    /// Back to live (and the last row when already live).
    Live,
    /// The trends: fewer windows, wider.
    ZoomIn,
    /// The trends: more windows.
    ZoomOut,
}

/// A key, with or without Ctrl. Shift is part of the character (`G`), so it is not matched.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Key {
    code: KeyCode,
    ctrl: bool,
}

const fn plain(code: KeyCode) -> Key {
    Key { code, ctrl: false }
}

const fn ch(c: char) -> Key {
    plain(KeyCode::Char(c))
}

const fn ctrl(c: char) -> Key {
    Key {
        code: KeyCode::Char(c),
        ctrl: true,
    }
}

/// One row of the table.
#[derive(Debug)]
pub(crate) struct Binding {
    pub(crate) keys: &'static [Key],
    pub(crate) action: Action,
    pub(crate) description: &'static str,
    /// The word in the footer's key hints, for the bindings worth a hint.
    pub(crate) hint: Option<&'static str>,
}

/// Every binding, in the order the help lists them.
pub(crate) static BINDINGS: &[Binding] = &[
    Binding {
        keys: &[ch('q'), ctrl('c')],
        action: Action::Quit,
        description: "quit",
        hint: Some("quit"),
    },
    Binding {
        keys: &[ch('?')],
        action: Action::Help,
        description: "show or hide this help",
        hint: Some("help"),
    },
    Binding {
        keys: &[plain(KeyCode::Tab)],
        action: Action::FocusNext,
        description: "focus the next pane",
        hint: Some("focus"),
    },
    Binding {
        keys: &[plain(KeyCode::BackTab)],
        action: Action::FocusPrev,
        description: "focus the previous pane",
        hint: None,
    },
    Binding {
        keys: &[plain(KeyCode::Down), ch('j')],
        action: Action::Down,
        description: "next row (next feature in the histogram)",
        hint: None,
    },
    Binding {
        keys: &[plain(KeyCode::Up), ch('k')],
        action: Action::Up,
        description: "previous row (previous feature in the histogram)",
        hint: None,
    },
    Binding {
        keys: &[plain(KeyCode::PageDown)],
        action: Action::PageDown,
        description: "a page down",
        hint: None,
    },
    Binding {
        keys: &[plain(KeyCode::PageUp)],
        action: Action::PageUp,
        description: "a page up",
        hint: None,
    },
    Binding {
        keys: &[ch('g'), plain(KeyCode::Home)],
        action: Action::Top,
        description: "first row",
        hint: None,
    },
    Binding {
        keys: &[ch('G')],
        action: Action::Bottom,
        description: "last row",
        hint: None,
    },
    Binding {
        keys: &[plain(KeyCode::Enter)],
        action: Action::Open,
        description: "on a feature: its histogram; on an alert: its detail",
        hint: Some("open"),
    },
    Binding {
        keys: &[plain(KeyCode::Esc)],
        action: Action::Back,
        description: "close the help, the histogram, the detail or the search",
        hint: None,
    },
    Binding {
        keys: &[ch('/')],
        action: Action::Search,
        description: "search as you type (Enter keeps, then n/N; Esc drops)",
        hint: Some("search"),
    },
    Binding {
        keys: &[ch('n')],
        action: Action::NextMatch,
        description: "the next match of the search",
        hint: None,
    },
    Binding {
        keys: &[ch('N')],
        action: Action::PrevMatch,
        description: "the previous match of the search",
        hint: None,
    },
    Binding {
        keys: &[ch('y')],
        action: Action::Copy,
        description: "copy the row as JSON (OSC 52; tmux: allow-passthrough on)",
        hint: Some("copy"),
    },
    Binding {
        keys: &[ch('h')],
        action: Action::FeatureHistogram,
        description: "in an alert's detail: histogram of its feature",
        hint: None,
    },
    Binding {
        keys: &[ch('p')],
        action: Action::Pause,
        description: "pause or resume the display (monitoring goes on)",
        hint: Some("pause"),
    },
    Binding {
        keys: &[ch('s')],
        action: Action::Sort,
        description: "cycle the drift table's sort",
        hint: Some("sort"),
    },
    Binding {
        keys: &[ch('f')],
        action: Action::Filter,
        description: "alerts of this level and above: all, WARNING+, CRITICAL",
        hint: Some("filter"),
    },
    Binding {
        keys: &[ch('a')],
        action: Action::Acknowledge,
        description: "acknowledge the selected incident or alert",
        hint: Some("ack"),
    },
    Binding {
        keys: &[ch('S')],
        action: Action::Silence,
        description: "silence the selected problem for 4h (again: lift it)",
        hint: None,
    },
    Binding {
        keys: &[ch('l')],
        action: Action::AlertLog,
        description: "incidents or the raw alert log",
        hint: None,
    },
    Binding {
        keys: &[ch('[')],
        action: Action::Older,
        description: "the whole screen as at the previous window (from the history)",
        hint: None,
    },
    Binding {
        keys: &[ch(']')],
        action: Action::Newer,
        description: "the whole screen as at the next window",
        hint: None,
    },
    Binding {
        keys: &[plain(KeyCode::Left)],
        action: Action::Left,
        description: "on the trends: the previous window",
        hint: None,
    },
    Binding {
        keys: &[plain(KeyCode::Right)],
        action: Action::Right,
        description: "on the trends: the next window",
        hint: None,
    },
    Binding {
        keys: &[plain(KeyCode::End)],
        action: Action::Live,
        description: "back to live (when live: the last row)",
        hint: None,
    },
    Binding {
        keys: &[ch('+')],
        action: Action::ZoomIn,
        description: "trends: zoom in; ◆ marks the window read, ┄ a threshold",
        hint: None,
    },
    Binding {
        keys: &[ch('-')],
        action: Action::ZoomOut,
        description: "trends: zoom out (several windows a column)",
        hint: None,
    },
];

/// The action bound to a key press, if any. Releases (reported by some terminals) are ignored.
pub(crate) fn action_for(event: &KeyEvent) -> Option<Action> {
    if event.kind == KeyEventKind::Release {
        return None;
    }
    let ctrl = event.modifiers.contains(KeyModifiers::CONTROL);
    if event.modifiers.contains(KeyModifiers::ALT) {
        return None;
    }
    let code = match event.code {
        // Some terminals report Ctrl-C as upper case when Shift is held.
        KeyCode::Char(c) if ctrl => KeyCode::Char(c.to_ascii_lowercase()),
        code => code,
    };
    BINDINGS
        .iter()
        .find(|b| b.keys.iter().any(|k| k.code == code && k.ctrl == ctrl))
        .map(|b| b.action)
}

/// How a key is written in the help and the footer.
pub(crate) fn label(key: Key) -> String {
    let name = match key.code {
        KeyCode::Char(c) => c.to_string(),
        KeyCode::Tab => "Tab".to_string(),
        KeyCode::BackTab => "Shift-Tab".to_string(),
        KeyCode::Up => "Up".to_string(),
        KeyCode::Down => "Down".to_string(),
        KeyCode::PageUp => "PgUp".to_string(),
        KeyCode::PageDown => "PgDn".to_string(),
        KeyCode::Home => "Home".to_string(),
        KeyCode::End => "End".to_string(),
        KeyCode::Enter => "Enter".to_string(),
        KeyCode::Esc => "Esc".to_string(),
        KeyCode::Left => "Left".to_string(),
        KeyCode::Right => "Right".to_string(),
        other => format!("{other:?}"),
    };
    if key.ctrl {
        format!("Ctrl-{name}")
    } else {
        name
    }
}

/// All keys of a binding, as the help lists them: `Down, j`.
pub(crate) fn labels(binding: &Binding) -> String {
    binding
        .keys
        .iter()
        .map(|&k| label(k))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn press(code: KeyCode, modifiers: KeyModifiers) -> KeyEvent {
        KeyEvent::new(code, modifiers)
    }

    #[test]
    fn every_key_maps_to_its_own_action_only() {
        let mut seen = Vec::new();
        for binding in BINDINGS {
            for key in binding.keys {
                assert!(!seen.contains(key), "{key:?} bound twice");
                seen.push(*key);
                let modifiers = if key.ctrl {
                    KeyModifiers::CONTROL
                } else {
                    KeyModifiers::NONE
                };
                assert_eq!(
                    action_for(&press(key.code, modifiers)),
                    Some(binding.action)
                );
            }
        }
    }

    #[test]
    fn shift_is_part_of_the_character_and_ctrl_is_not_ignored() {
        assert_eq!(
            action_for(&press(KeyCode::Char('G'), KeyModifiers::SHIFT)),
            Some(Action::Bottom)
        );
        assert_eq!(
            action_for(&press(KeyCode::BackTab, KeyModifiers::SHIFT)),
            Some(Action::FocusPrev)
        );
        assert_eq!(
            action_for(&press(KeyCode::Char('c'), KeyModifiers::NONE)),
            None
        );
        assert_eq!(
            action_for(&press(
                KeyCode::Char('C'),
                KeyModifiers::CONTROL | KeyModifiers::SHIFT
            )),
            Some(Action::Quit)
        );
        assert_eq!(
            action_for(&press(KeyCode::Char('q'), KeyModifiers::CONTROL)),
            None
        );
        assert_eq!(
            action_for(&press(KeyCode::Char('q'), KeyModifiers::ALT)),
            None
        );
    }

    #[test]
    fn releases_do_nothing() {
        let mut release = press(KeyCode::Char('q'), KeyModifiers::NONE);
        release.kind = KeyEventKind::Release;
        assert_eq!(action_for(&release), None);
    }

    #[test]
    fn labels_read_like_the_keys() {
        assert_eq!(labels(&BINDINGS[0]), "q, Ctrl-c");
        let down = BINDINGS
            .iter()
            .find(|b| b.action == Action::Down)
            .expect("Down is bound");
        assert_eq!(labels(down), "Down, j");
    }
}
