//! Every key of every screen in one table: the screens ask it what a key means, the help
//! overlay lists it, and each hint bar is cut from it. A key not in the table goes to the text
//! field that has the focus, if there is one.

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

/// Where a key is pressed: each screen or popup is one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    Unlock,
    Setup,
    Main,
    Filter,
    Form,
    Fields,
    FieldEdit,
    History,
    Conflicts,
    Recipients,
    RecipientEdit,
    Confirm,
    Help,
    Prompt,
}

impl Mode {
    /// The heading of this mode's keys in the help overlay.
    pub fn title(self) -> &'static str {
        match self {
            Mode::Unlock => "unlock",
            Mode::Setup => "new vault",
            Mode::Main => "entry list",
            Mode::Filter => "filter (/)",
            Mode::Form => "add and edit form",
            Mode::Fields => "fields window (f)",
            Mode::FieldEdit => "a field being edited",
            Mode::History => "password history (h)",
            Mode::Conflicts => "merge conflicts (C)",
            Mode::Recipients => "recipients window (R)",
            Mode::RecipientEdit => "adding or scoping a recipient",
            Mode::Confirm => "questions",
            Mode::Help => "this help",
            Mode::Prompt => "a plugin's question (PIN, touch)",
        }
    }

    /// The modes in the order the help overlay lists them.
    pub const ALL: [Mode; 14] = [
        Mode::Main,
        Mode::Filter,
        Mode::Form,
        Mode::Fields,
        Mode::FieldEdit,
        Mode::History,
        Mode::Conflicts,
        Mode::Recipients,
        Mode::RecipientEdit,
        Mode::Confirm,
        Mode::Help,
        Mode::Unlock,
        Mode::Setup,
        Mode::Prompt,
    ];
}

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
    Copy,
    Add,
    Edit,
    Delete,
    Fields,
    History,
    Conflicts,
    Recipients,
    Scope,
    Sort,
    Fold,
    Lock,
    Help,
    Quit,
    /// Esc on the list: clears the filter.
    Clear,
    Close,
    Keep,
    Next,
    Previous,
    Save,
    Generate,
    ShowPassword,
    Restore,
    Ours,
    Theirs,
    Yes,
    No,
    Submit,
}

pub struct Binding {
    pub mode: Mode,
    pub keys: &'static [(KeyCode, KeyModifiers)],
    /// How the help overlay and the hint bars name the keys.
    pub label: &'static str,
    pub action: Action,
    pub help: &'static str,
    /// The word on the hint bar; `None`: only in the help overlay.
    pub hint: Option<&'static str>,
}

const NONE: KeyModifiers = KeyModifiers::NONE;
const CTRL: KeyModifiers = KeyModifiers::CONTROL;

const fn b(
    mode: Mode,
    keys: &'static [(KeyCode, KeyModifiers)],
    label: &'static str,
    action: Action,
    help: &'static str,
    hint: Option<&'static str>,
) -> Binding {
    Binding {
        mode,
        keys,
        label,
        action,
        help,
        hint,
    }
}

const fn c(ch: char) -> (KeyCode, KeyModifiers) {
    (KeyCode::Char(ch), NONE)
}

const DOWN: &[(KeyCode, KeyModifiers)] = &[c('j'), (KeyCode::Down, NONE)];
const UP: &[(KeyCode, KeyModifiers)] = &[c('k'), (KeyCode::Up, NONE)];
const ESC: &[(KeyCode, KeyModifiers)] = &[(KeyCode::Esc, NONE)];
const ENTER: &[(KeyCode, KeyModifiers)] = &[(KeyCode::Enter, NONE)];
const ESC_Q: &[(KeyCode, KeyModifiers)] = &[(KeyCode::Esc, NONE), c('q')];
const YES: &[(KeyCode, KeyModifiers)] = &[c('y')];
const NO: &[(KeyCode, KeyModifiers)] = &[c('n'), (KeyCode::Esc, NONE)];

use Action as A;
use Mode as M;

pub const BINDINGS: &[Binding] = &[
    // The entry list.
    b(M::Main, DOWN, "j ↓", A::Down, "next entry", None),
    b(M::Main, UP, "k ↑", A::Up, "previous entry", None),
    b(
        M::Main,
        &[(KeyCode::PageDown, NONE)],
        "PgDn",
        A::PageDown,
        "a page down",
        None,
    ),
    b(
        M::Main,
        &[(KeyCode::PageUp, NONE)],
        "PgUp",
        A::PageUp,
        "a page up",
        None,
    ),
    b(
        M::Main,
        &[c('g'), (KeyCode::Home, NONE)],
        "g Home",
        A::Top,
        "first entry",
        None,
    ),
    b(
        M::Main,
        &[c('G'), (KeyCode::End, NONE)],
        "G End",
        A::Bottom,
        "last entry",
        None,
    ),
    b(M::Main, &[c('?')], "?", A::Help, "this help", Some("help")),
    b(
        M::Main,
        &[c('/')],
        "/",
        A::Filter,
        "filter: type; Enter keeps it, Esc clears it",
        Some("filter"),
    ),
    b(M::Main, &[c('a')], "a", A::Add, "add an entry", Some("add")),
    b(
        M::Main,
        &[c('e')],
        "e",
        A::Edit,
        "edit the entry",
        Some("edit"),
    ),
    b(
        M::Main,
        &[c('r')],
        "r",
        A::Reveal,
        "reveal or hide the password",
        Some("reveal"),
    ),
    b(
        M::Main,
        &[c('c')],
        "c",
        A::CopyPassword,
        "copy the password (cleared after 30 s)",
        Some("copy"),
    ),
    b(
        M::Main,
        &[c('u')],
        "u",
        A::CopyUsername,
        "copy the username (cleared after 30 s)",
        None,
    ),
    b(
        M::Main,
        &[c('f')],
        "f",
        A::Fields,
        "fields: see, copy, add and remove any field",
        Some("fields"),
    ),
    b(
        M::Main,
        &[c('h')],
        "h",
        A::History,
        "password history: reveal or restore one",
        None,
    ),
    b(
        M::Main,
        &[c('d')],
        "d",
        A::Delete,
        "delete the entry (asks y/n)",
        None,
    ),
    b(
        M::Main,
        &[c('s')],
        "s",
        A::Sort,
        "sort by name or by last change",
        None,
    ),
    b(
        M::Main,
        &[c(' '), (KeyCode::Enter, NONE)],
        "Space ⏎",
        A::Fold,
        "fold or unfold the group under the cursor",
        None,
    ),
    b(
        M::Main,
        &[c('C')],
        "C",
        A::Conflicts,
        "merge conflicts: keep ours or take theirs",
        None,
    ),
    b(
        M::Main,
        &[c('R')],
        "R",
        A::Recipients,
        "recipients: who can decrypt",
        None,
    ),
    b(M::Main, &[c('L')], "L", A::Lock, "lock now", None),
    b(M::Main, ESC, "Esc", A::Clear, "clear the filter", None),
    b(
        M::Main,
        &[c('q'), (KeyCode::Char('c'), CTRL)],
        "q ^C",
        A::Quit,
        "quit",
        Some("quit"),
    ),
    // The filter line.
    b(
        M::Filter,
        ENTER,
        "Enter",
        A::Keep,
        "keep the filter, back to the list",
        Some("keep"),
    ),
    b(
        M::Filter,
        ESC,
        "Esc",
        A::Clear,
        "clear the filter",
        Some("clear"),
    ),
    b(
        M::Filter,
        &[(KeyCode::Down, NONE)],
        "↓",
        A::Down,
        "next match",
        None,
    ),
    b(
        M::Filter,
        &[(KeyCode::Up, NONE)],
        "↑",
        A::Up,
        "previous match",
        None,
    ),
    // The add and edit form.
    b(
        M::Form,
        &[(KeyCode::Tab, NONE)],
        "Tab",
        A::Next,
        "next field",
        Some("next"),
    ),
    b(
        M::Form,
        &[(KeyCode::BackTab, NONE)],
        "S-Tab",
        A::Previous,
        "previous field",
        None,
    ),
    b(
        M::Form,
        &[(KeyCode::Enter, NONE), (KeyCode::Char('s'), CTRL)],
        "⏎ ^S",
        A::Save,
        "save (Enter breaks the line in notes)",
        Some("save"),
    ),
    b(
        M::Form,
        &[(KeyCode::Char('g'), CTRL)],
        "^G",
        A::Generate,
        "generate a password",
        Some("generate"),
    ),
    b(
        M::Form,
        &[(KeyCode::Char('r'), CTRL)],
        "^R",
        A::ShowPassword,
        "show or hide the password",
        Some("show"),
    ),
    b(
        M::Form,
        ESC,
        "Esc",
        A::Close,
        "cancel (asks if something changed)",
        Some("cancel"),
    ),
    // The fields window.
    b(M::Fields, DOWN, "j ↓", A::Down, "next field", None),
    b(M::Fields, UP, "k ↑", A::Up, "previous field", None),
    b(
        M::Fields,
        &[c('r')],
        "r",
        A::Reveal,
        "reveal or hide this field",
        Some("reveal"),
    ),
    b(
        M::Fields,
        &[c('c')],
        "c",
        A::Copy,
        "copy this field (cleared after 30 s)",
        Some("copy"),
    ),
    b(
        M::Fields,
        &[c('e'), (KeyCode::Enter, NONE)],
        "e ⏎",
        A::Edit,
        "change this field's value",
        Some("edit"),
    ),
    b(
        M::Fields,
        &[c('a')],
        "a",
        A::Add,
        "add a field of your own",
        Some("add"),
    ),
    b(
        M::Fields,
        &[c('d')],
        "d",
        A::Delete,
        "remove this field (asks y/n)",
        Some("remove"),
    ),
    b(M::Fields, ESC_Q, "Esc q", A::Close, "close", Some("close")),
    // A field being edited.
    b(
        M::FieldEdit,
        &[(KeyCode::Tab, NONE), (KeyCode::BackTab, NONE)],
        "Tab",
        A::Next,
        "name or value",
        None,
    ),
    b(
        M::FieldEdit,
        &[(KeyCode::Enter, NONE)],
        "Enter",
        A::Save,
        "save",
        Some("save"),
    ),
    b(
        M::FieldEdit,
        &[(KeyCode::Char('r'), CTRL)],
        "^R",
        A::ShowPassword,
        "show or hide the value",
        Some("show"),
    ),
    b(M::FieldEdit, ESC, "Esc", A::Close, "cancel", Some("cancel")),
    // Password history.
    b(M::History, DOWN, "j ↓", A::Down, "older password", None),
    b(M::History, UP, "k ↑", A::Up, "newer password", None),
    b(
        M::History,
        &[c('r')],
        "r",
        A::Reveal,
        "reveal or hide this password",
        Some("reveal"),
    ),
    b(
        M::History,
        &[c('c')],
        "c",
        A::Copy,
        "copy this password",
        Some("copy"),
    ),
    b(
        M::History,
        &[c('o'), (KeyCode::Enter, NONE)],
        "o ⏎",
        A::Restore,
        "restore it (asks; the current one goes to history)",
        Some("restore"),
    ),
    b(M::History, ESC_Q, "Esc q", A::Close, "close", Some("close")),
    // Merge conflicts.
    b(M::Conflicts, DOWN, "j ↓", A::Down, "next conflict", None),
    b(M::Conflicts, UP, "k ↑", A::Up, "previous conflict", None),
    b(
        M::Conflicts,
        &[c('o')],
        "o",
        A::Ours,
        "keep ours (as the list shows it)",
        Some("ours"),
    ),
    b(
        M::Conflicts,
        &[c('t')],
        "t",
        A::Theirs,
        "take theirs",
        Some("theirs"),
    ),
    b(
        M::Conflicts,
        ESC_Q,
        "Esc q",
        A::Close,
        "close",
        Some("close"),
    ),
    // Recipients.
    b(M::Recipients, DOWN, "j ↓", A::Down, "next recipient", None),
    b(M::Recipients, UP, "k ↑", A::Up, "previous recipient", None),
    b(
        M::Recipients,
        &[c('a')],
        "a",
        A::Add,
        "add a key (or a file holding one)",
        Some("add"),
    ),
    b(
        M::Recipients,
        &[c('s')],
        "s",
        A::Scope,
        "grant only some entries",
        Some("scope"),
    ),
    b(
        M::Recipients,
        &[c('d')],
        "d",
        A::Delete,
        "remove the recipient (asks y/n)",
        Some("remove"),
    ),
    b(
        M::Recipients,
        &[(KeyCode::Esc, NONE), c('q'), c('R')],
        "Esc q",
        A::Close,
        "close",
        Some("close"),
    ),
    b(
        M::RecipientEdit,
        &[(KeyCode::Tab, NONE)],
        "Tab",
        A::Next,
        "next field",
        Some("next"),
    ),
    b(
        M::RecipientEdit,
        &[(KeyCode::BackTab, NONE)],
        "S-Tab",
        A::Previous,
        "previous field",
        None,
    ),
    b(
        M::RecipientEdit,
        ENTER,
        "Enter",
        A::Save,
        "save (only: names or globs; blank: all)",
        Some("save"),
    ),
    b(
        M::RecipientEdit,
        ESC,
        "Esc",
        A::Close,
        "cancel",
        Some("cancel"),
    ),
    // Questions.
    b(M::Confirm, YES, "y", A::Yes, "yes", Some("yes")),
    b(M::Confirm, NO, "n Esc", A::No, "no", Some("no")),
    // Help.
    b(M::Help, DOWN, "j ↓", A::Down, "scroll down", None),
    b(M::Help, UP, "k ↑", A::Up, "scroll up", None),
    b(
        M::Help,
        &[(KeyCode::PageDown, NONE), c(' ')],
        "PgDn",
        A::PageDown,
        "a page down",
        None,
    ),
    b(
        M::Help,
        &[(KeyCode::PageUp, NONE)],
        "PgUp",
        A::PageUp,
        "a page up",
        None,
    ),
    b(
        M::Help,
        &[(KeyCode::Esc, NONE), c('q'), c('?')],
        "Esc q",
        A::Close,
        "close",
        Some("close"),
    ),
    // Unlock and first run.
    b(
        M::Unlock,
        ENTER,
        "Enter",
        A::Submit,
        "unlock",
        Some("unlock"),
    ),
    b(M::Unlock, ESC, "Esc", A::Quit, "quit", Some("quit")),
    b(
        M::Setup,
        &[(KeyCode::Tab, NONE), (KeyCode::BackTab, NONE)],
        "Tab",
        A::Next,
        "the other field",
        Some("next"),
    ),
    b(
        M::Setup,
        ENTER,
        "Enter",
        A::Submit,
        "create",
        Some("create"),
    ),
    b(M::Setup, ESC, "Esc", A::Quit, "quit", Some("quit")),
    // A plugin's request.
    b(
        M::Prompt,
        ENTER,
        "Enter",
        A::Submit,
        "answer",
        Some("answer"),
    ),
    b(
        M::Prompt,
        ESC,
        "Esc",
        A::Close,
        "refuse (the plugin fails)",
        Some("refuse"),
    ),
];

/// The action a key stands for in `mode`. Shift is part of the character itself (`G`, `R`,
/// `?`), so only Control and Alt must match.
pub fn action(mode: Mode, key: KeyEvent) -> Option<Action> {
    let modifiers = key.modifiers - KeyModifiers::SHIFT;
    // A terminal sends Shift-Tab as BackTab, some with Shift still set.
    BINDINGS
        .iter()
        .filter(|b| b.mode == mode)
        .find(|b| {
            b.keys
                .iter()
                .any(|&(code, mods)| code == key.code && mods == modifiers)
        })
        .map(|b| b.action)
}

/// What the hint bar of `mode` shows, in the table's order: `(label, word)`.
pub fn hints(mode: Mode) -> impl Iterator<Item = (&'static str, &'static str)> {
    BINDINGS
        .iter()
        .filter(move |b| b.mode == mode)
        .filter_map(|b| b.hint.map(|hint| (short_label(b.label), hint)))
}

/// The first key of a label: the hint bar has room for one.
fn short_label(label: &'static str) -> &'static str {
    label.split(' ').next().unwrap_or(label)
}

/// Whether a key means "get me out", in every screen: Ctrl-C.
pub fn is_interrupt(key: KeyEvent) -> bool {
    key.code == KeyCode::Char('c') && key.modifiers.contains(KeyModifiers::CONTROL)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_key_maps_to_one_action_in_its_mode() {
        for mode in Mode::ALL {
            let mut seen = Vec::new();
            for binding in BINDINGS.iter().filter(|b| b.mode == mode) {
                for &(code, mods) in binding.keys {
                    assert!(
                        !seen.contains(&(code, mods)),
                        "{code:?} bound twice in {mode:?}"
                    );
                    seen.push((code, mods));
                    assert_eq!(
                        action(mode, KeyEvent::new(code, mods)),
                        Some(binding.action)
                    );
                }
            }
            assert!(!seen.is_empty(), "{mode:?} has no keys");
        }
    }

    #[test]
    fn shifted_characters_and_control() {
        let main = |code, mods| action(Mode::Main, KeyEvent::new(code, mods));
        assert_eq!(
            main(KeyCode::Char('G'), KeyModifiers::SHIFT),
            Some(Action::Bottom)
        );
        assert_eq!(
            main(KeyCode::Char('?'), KeyModifiers::SHIFT),
            Some(Action::Help)
        );
        assert_eq!(
            main(KeyCode::Char('c'), KeyModifiers::CONTROL),
            Some(Action::Quit)
        );
        assert_eq!(
            main(KeyCode::Char('c'), KeyModifiers::NONE),
            Some(Action::CopyPassword)
        );
        assert_eq!(main(KeyCode::Char('j'), KeyModifiers::ALT), None);
        assert_eq!(
            action(
                Mode::Form,
                KeyEvent::new(KeyCode::BackTab, KeyModifiers::SHIFT)
            ),
            Some(Action::Previous)
        );
        assert_eq!(
            action(
                Mode::Form,
                KeyEvent::new(KeyCode::Char('j'), KeyModifiers::NONE)
            ),
            None,
            "letters type in a form"
        );
    }

    #[test]
    fn text_modes_bind_no_plain_letters() {
        for binding in BINDINGS.iter().filter(|b| {
            matches!(
                b.mode,
                Mode::Form
                    | Mode::Filter
                    | Mode::FieldEdit
                    | Mode::RecipientEdit
                    | Mode::Unlock
                    | Mode::Setup
                    | Mode::Prompt
            )
        }) {
            for (code, mods) in binding.keys {
                assert!(
                    !(matches!(code, KeyCode::Char(_)) && mods.is_empty()),
                    "{} in {:?} would eat typing",
                    binding.label,
                    binding.mode
                );
            }
        }
    }
}
