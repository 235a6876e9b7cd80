//! The main screen's keys: one table, read by the key handler and shown by the help overlay.

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    Down,
    Up,
    PageDown,
    PageUp,
    Top,
    Bottom,
    Filter,
    Reveal,
    CopyPassword,
    CopyUsername,
    Add,
    Edit,
    Delete,
    Recipients,
    Lock,
    Help,
    Escape,
    Quit,
}

pub struct Binding {
    pub keys: &'static [(KeyCode, KeyModifiers)],
    /// How the help overlay names the keys.
    pub label: &'static str,
    pub action: Action,
    pub help: &'static str,
}

const NONE: KeyModifiers = KeyModifiers::NONE;
const CTRL: KeyModifiers = KeyModifiers::CONTROL;

pub const BINDINGS: &[Binding] = &[
    Binding {
        keys: &[(KeyCode::Char('j'), NONE), (KeyCode::Down, NONE)],
        label: "j ↓",
        action: Action::Down,
        help: "next entry",
    },
    Binding {
        keys: &[(KeyCode::Char('k'), NONE), (KeyCode::Up, NONE)],
        label: "k ↑",
        action: Action::Up,
        help: "previous entry",
    },
    Binding {
        keys: &[(KeyCode::PageDown, NONE)],
        label: "PgDn",
        action: Action::PageDown,
        help: "a page down",
    },
    Binding {
        keys: &[(KeyCode::PageUp, NONE)],
        label: "PgUp",
        action: Action::PageUp,
        help: "a page up",
    },
    Binding {
        keys: &[(KeyCode::Char('g'), NONE), (KeyCode::Home, NONE)],
        label: "g Home",
        action: Action::Top,
        help: "first entry",
    },
    Binding {
        keys: &[(KeyCode::Char('G'), NONE), (KeyCode::End, NONE)],
        label: "G End",
        action: Action::Bottom,
        help: "last entry",
    },
    Binding {
        keys: &[(KeyCode::Char('/'), NONE)],
        label: "/",
        action: Action::Filter,
        help: "filter: type; Enter keeps it, Esc clears it",
    },
    Binding {
        keys: &[(KeyCode::Char('r'), NONE)],
        label: "r",
        action: Action::Reveal,
        help: "reveal or hide the password",
    },
    Binding {
        keys: &[(KeyCode::Char('c'), NONE)],
        label: "c",
        action: Action::CopyPassword,
        help: "copy the password (cleared after 30 s)",
    },
    Binding {
        keys: &[(KeyCode::Char('u'), NONE)],
        label: "u",
        action: Action::CopyUsername,
        help: "copy the username (cleared after 30 s)",
    },
    Binding {
        keys: &[(KeyCode::Char('a'), NONE)],
        label: "a",
        action: Action::Add,
        help: "add an entry",
    },
    Binding {
        keys: &[(KeyCode::Char('e'), NONE)],
        label: "e",
        action: Action::Edit,
        help: "edit the entry",
    },
    Binding {
        keys: &[(KeyCode::Char('d'), NONE)],
        label: "d",
        action: Action::Delete,
        help: "delete the entry (asks y/n)",
    },
    Binding {
        keys: &[(KeyCode::Char('R'), NONE)],
        label: "R",
        action: Action::Recipients,
        help: "recipients: who can decrypt",
    },
    Binding {
        keys: &[(KeyCode::Char('L'), NONE)],
        label: "L",
        action: Action::Lock,
        help: "lock now",
    },
    Binding {
        keys: &[(KeyCode::Char('?'), NONE)],
        label: "?",
        action: Action::Help,
        help: "this help",
    },
    Binding {
        keys: &[(KeyCode::Esc, NONE)],
        label: "Esc",
        action: Action::Escape,
        help: "clear the filter, close a window",
    },
    Binding {
        keys: &[(KeyCode::Char('q'), NONE), (KeyCode::Char('c'), CTRL)],
        label: "q Ctrl-C",
        action: Action::Quit,
        help: "quit",
    },
];

/// The action a key stands for on the main screen. Shift is part of the character itself
/// (`G`, `R`, `?`), so only Control and Alt must match.
pub fn action_for(key: KeyEvent) -> Option<Action> {
    let modifiers = key.modifiers - KeyModifiers::SHIFT;
    BINDINGS
        .iter()
        .find(|b| {
            b.keys
                .iter()
                .any(|&(code, mods)| code == key.code && mods == modifiers)
        })
        .map(|b| b.action)
}

/// Whether a key means "get me out", in every screen: Ctrl-C.
pub fn is_interrupt(key: KeyEvent) -> bool {
    key.code == KeyCode::Char('c') && key.modifiers.contains(KeyModifiers::CONTROL)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_key_maps_to_one_action() {
        let mut seen = Vec::new();
        for binding in BINDINGS {
            for &(code, mods) in binding.keys {
                assert!(!seen.contains(&(code, mods)), "{code:?} bound twice");
                seen.push((code, mods));
                assert_eq!(action_for(KeyEvent::new(code, mods)), Some(binding.action));
            }
        }
    }

    #[test]
    fn shifted_characters_and_control() {
        assert_eq!(
            action_for(KeyEvent::new(KeyCode::Char('G'), KeyModifiers::SHIFT)),
            Some(Action::Bottom)
        );
        assert_eq!(
            action_for(KeyEvent::new(KeyCode::Char('?'), KeyModifiers::SHIFT)),
            Some(Action::Help)
        );
        assert_eq!(
            action_for(KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL)),
            Some(Action::Quit)
        );
        assert_eq!(
            action_for(KeyEvent::new(KeyCode::Char('c'), KeyModifiers::NONE)),
            Some(Action::CopyPassword)
        );
        assert_eq!(
            action_for(KeyEvent::new(KeyCode::Char('j'), KeyModifiers::ALT)),
            None
        );
    }
}
