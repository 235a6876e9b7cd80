//! Questions answered with y or n: delete, discard, reload after a conflict, restore an old
//! password, remove a field. Each keeps what it is about, so the answer can act on it.

use ratatui::Frame;
use ratatui::crossterm::event::KeyEvent;
use ratatui::layout::Rect;
use ratatui::text::Line;

use super::fields::Fields;
use super::form::Form;
use super::history::History;
use super::keys::{self, Action, Mode};
use super::theme::Theme;
use super::widgets::{self, safe};

pub enum Question {
    Delete(String),
    /// Esc on a form with changes: n goes back to it.
    Discard(Form),
    /// A save found the entry changed on disk: y reads the vault again, n goes back to the form.
    Conflict {
        message: String,
        form: Option<Form>,
    },
    /// The vault changed on disk and the entry an open form edits is among the changes: y shows
    /// the new version in the form (the edit is dropped), n keeps editing.
    ChangedOnDisk(Form),
    /// Restore the history's selected password; n goes back to the history.
    Restore(History),
    /// Remove the fields window's selected field; n goes back to it.
    RemoveField(Fields),
}

/// Whether `y` was pressed: `None` for a key that answers nothing.
pub fn answer(key: KeyEvent) -> Option<bool> {
    match keys::action(Mode::Confirm, key) {
        Some(Action::Yes) => Some(true),
        Some(Action::No) => Some(false),
        _ => None,
    }
}

impl Question {
    fn title_and_text(&self) -> (&'static str, String) {
        match self {
            Question::Delete(name) => ("delete", format!("Delete '{}'?", safe(name))),
            Question::Discard(_) => ("discard", "Discard your changes?".into()),
            Question::Conflict { message, .. } => (
                "changed meanwhile",
                format!(
                    "{}.\nRead the vault again (your edit is dropped)?",
                    safe(message)
                ),
            ),
            Question::ChangedOnDisk(form) => (
                "changed on disk",
                format!(
                    "'{}' was changed on disk while you edit it.\nShow the new version (your edit is dropped)? n keeps editing; saving will ask again.",
                    safe(form.editing().map_or("", |(name, _)| name))
                ),
            ),
            Question::Restore(history) => (
                "restore",
                format!(
                    "Make the password {} had until {} the current one again? The current one goes to the history.",
                    safe(&history.name),
                    history.selected_until().unwrap_or("?")
                ),
            ),
            Question::RemoveField(fields) => (
                "remove",
                format!(
                    "Remove the field '{}' of {}?",
                    safe(fields.selected_label().unwrap_or("")),
                    safe(&fields.name)
                ),
            ),
        }
    }

    pub fn draw(&self, frame: &mut Frame, area: Rect, theme: Theme) {
        let (title, text) = self.title_and_text();
        let text = format!("{text} y/n");
        let lines: Vec<Line> = text.lines().map(|l| Line::raw(l.to_owned())).collect();
        widgets::dialog(frame, area, title, 60, lines, theme);
    }
}
