//! Every field of one entry: the standard ones, the TOTP code and key, the entry's own fields.
//! Masked until revealed (one at a time), copied one at a time, edited, added, removed.

use std::borrow::Cow;

use ratatui::Frame;
use ratatui::crossterm::event::KeyEvent;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};

use super::input::TextField;
use super::keys::{self, Action, Mode};
use super::theme::Theme;
use super::widgets::{self, safe};
use vault::change::Change;
use vault::document::{Entry, OTP};
use vault::secret::Secret;
use vault::text::MASK;

/// Names an entry's own field may not take: the standard ones and those `export` resolves.
const RESERVED: [&str; 6] = ["username", "password", "url", "notes", "totp", "otp"];

pub struct Fields {
    pub name: String,
    pub seen: Entry,
    pub selected: usize,
    pub revealed: bool,
    pub editing: Option<FieldEdit>,
    pub error: Option<String>,
}

/// A field's value being changed, or a new field (with its name).
pub struct FieldEdit {
    /// `None`: an existing field, whose name is fixed.
    pub name: Option<TextField>,
    pub label: String,
    pub value: TextField,
    pub focus_name: bool,
    pub show: bool,
}

// Short-lived, one at a time: boxing the change would buy nothing.
#[allow(clippy::large_enum_variant)]
pub enum Outcome {
    Stay,
    Close,
    Copy(&'static str, Secret),
    AskRemove,
    Save(Change),
}

impl Fields {
    pub fn new(name: &str, entry: &Entry) -> Self {
        Fields {
            name: name.to_owned(),
            seen: entry.clone(),
            selected: 0,
            revealed: false,
            editing: None,
            error: None,
        }
    }

    /// The rows, as field names: the standard four, `otp` and `totp` with a key, then the
    /// entry's own.
    pub fn labels(&self) -> Vec<&str> {
        let mut labels = vec!["username", "password", "url", "notes"];
        if !self.seen.totp.is_empty() {
            labels.extend([OTP, "totp"]);
        }
        labels.extend(self.seen.fields.keys().map(String::as_str));
        labels
    }

    pub fn selected_label(&self) -> Option<&str> {
        self.labels().get(self.selected).copied()
    }

    fn is_own(label: &str) -> bool {
        !RESERVED.contains(&label)
    }

    pub fn key(&mut self, key: KeyEvent, now: u64) -> Outcome {
        self.error = None;
        if self.editing.is_some() {
            return self.edit_key(key, now);
        }
        let labels = self.labels();
        let count = labels.len();
        let label = labels.get(self.selected).map(|l| (*l).to_owned());
        let Some(label) = label else {
            return Outcome::Close;
        };
        match keys::action(Mode::Fields, key) {
            Some(Action::Close) => return Outcome::Close,
            Some(Action::Down) => {
                self.selected = (self.selected + 1).min(count - 1);
                self.revealed = false;
            }
            Some(Action::Up) => {
                self.selected = self.selected.saturating_sub(1);
                self.revealed = false;
            }
            Some(Action::Reveal) => self.revealed = !self.revealed,
            Some(Action::Copy) => match self.seen.value(&label, now) {
                Ok(value) => return Outcome::Copy(copied_what(&label), value),
                Err(_) => self.error = Some("this field has no value to copy".into()),
            },
            Some(Action::Edit) if label == OTP => {
                self.error = Some("the code comes from the totp key: edit that".into());
            }
            Some(Action::Edit) => {
                let value = self.seen.field(&label).unwrap_or_default();
                let value = if label == "notes" {
                    TextField::multiline(value)
                } else {
                    TextField::new(value)
                };
                self.editing = Some(FieldEdit {
                    name: None,
                    label,
                    value,
                    focus_name: false,
                    show: false,
                });
            }
            Some(Action::Add) => {
                self.editing = Some(FieldEdit {
                    name: Some(TextField::new("")),
                    label: String::new(),
                    value: TextField::new(""),
                    focus_name: true,
                    show: false,
                });
            }
            Some(Action::Delete) if Self::is_own(&label) || label == "totp" => {
                return Outcome::AskRemove;
            }
            Some(Action::Delete) => {
                self.error = Some(format!(
                    "{label} is a standard field: edit it (e) to empty it"
                ));
            }
            _ => {}
        }
        Outcome::Stay
    }

    fn edit_key(&mut self, key: KeyEvent, now: u64) -> Outcome {
        let Some(edit) = &mut self.editing else {
            return Outcome::Stay;
        };
        match keys::action(Mode::FieldEdit, key) {
            Some(Action::Close) => self.editing = None,
            Some(Action::Next) if edit.name.is_some() => edit.focus_name = !edit.focus_name,
            Some(Action::ShowPassword) => edit.show = !edit.show,
            Some(Action::Save) => match self.saved_edit(now) {
                Ok(change) => return Outcome::Save(change),
                Err(reason) => self.error = Some(reason),
            },
            _ => {
                let field = match (&mut edit.name, edit.focus_name) {
                    (Some(name), true) => name,
                    _ => &mut edit.value,
                };
                field.handle(key);
            }
        }
        Outcome::Stay
    }

    pub fn paste(&mut self, text: &str) {
        if let Some(edit) = &mut self.editing {
            match (&mut edit.name, edit.focus_name) {
                (Some(name), true) => name.insert(text.trim()),
                _ => edit.value.insert(text),
            }
        }
    }

    /// The change the open edit asks for, or why it cannot be saved.
    fn saved_edit(&self, clock: u64) -> Result<Change, String> {
        let edit = self.editing.as_ref().ok_or("nothing is being edited")?;
        let label = match &edit.name {
            Some(name) => {
                let name = name.text().trim();
                if name.is_empty() || name.chars().any(vault::text::disguises) {
                    return Err("give the field a name (no control or invisible characters)".into());
                }
                if RESERVED.contains(&name) {
                    return Err(format!("{name} is a standard field: pick another name"));
                }
                if self.seen.fields.contains_key(name) {
                    return Err(format!("the entry has a field '{}' already", safe(name)));
                }
                name.to_owned()
            }
            None => edit.label.clone(),
        };
        let value = edit.value.text();
        let mut entry = self.seen.clone();
        let now = super::list::timestamp(clock);
        match label.as_str() {
            "username" => value.clone_into(&mut entry.username),
            "url" => value.clone_into(&mut entry.url),
            "notes" => entry.notes = Secret::from(value),
            "password" if value.is_empty() => {
                return Err("the password is empty: the form's Ctrl-G makes one".into());
            }
            "password" => entry.set_password(Secret::from(value), &now),
            "totp" => {
                if !value.trim().is_empty() {
                    vault::otp::validate(value.trim())
                        .map_err(|err| format!("the TOTP key cannot be used: {err}"))?;
                }
                entry.totp = Secret::from(value.trim());
            }
            own => {
                entry.fields.insert(own.to_owned(), Secret::from(value));
            }
        }
        entry.updated = now;
        Ok(self.update(entry))
    }

    /// The change that removes the selected field (an own field, or the TOTP key).
    pub fn removal(&self, clock: u64) -> Option<Change> {
        let label = self.selected_label()?;
        let mut entry = self.seen.clone();
        if label == "totp" {
            entry.totp = Secret::default();
        } else {
            entry.fields.remove(label)?;
        }
        entry.updated = super::list::timestamp(clock);
        Some(self.update(entry))
    }

    fn update(&self, entry: Entry) -> Change {
        Change::Update {
            name: self.name.clone(),
            seen: self.seen.clone(),
            entry,
            rename: None,
        }
    }

    pub fn draw(&self, clock: u64, frame: &mut Frame, area: Rect, theme: Theme) {
        let labels = self.labels();
        let label_width = labels
            .iter()
            .map(|l| widgets::width(l))
            .max()
            .unwrap_or(8)
            .clamp(8, 16);
        let room = usize::from(area.width.min(72).saturating_sub(4)).saturating_sub(label_width);
        let mut lines = Vec::new();
        for (i, label) in labels.iter().enumerate() {
            let style = if i == self.selected && self.editing.is_none() {
                theme.selected()
            } else {
                Style::new()
            };
            let (value, note) = self.shown_value(label, i == self.selected && self.revealed, clock);
            lines.push(Line::from(vec![
                Span::styled(
                    format!(
                        "{:label_width$}  ",
                        widgets::ellipsis(&safe(label), label_width)
                    ),
                    theme.label().patch(style),
                ),
                Span::styled(widgets::cut(value, room.saturating_sub(note.len())), style),
                Span::styled(note, theme.dim()),
            ]));
        }
        lines.push(Line::raw(""));
        let mut cursor = None;
        if let Some(edit) = &self.editing {
            if let Some(name) = &edit.name {
                let row = lines.len();
                let (line, column) =
                    widgets::field_line("name", 7, name, false, edit.focus_name, theme);
                lines.push(line);
                cursor = cursor.or(column.map(|c| (c, row)));
            }
            let row = lines.len();
            let label = if edit.name.is_some() {
                "value"
            } else {
                edit.label.as_str()
            };
            let hidden = !edit.show && !matches!(edit.label.as_str(), "username" | "url");
            let (line, column) =
                widgets::field_line("", 0, &edit.value, hidden, !edit.focus_name, theme);
            let mut spans = vec![Span::styled(
                format!("{:7}", widgets::ellipsis(&safe(label), 7)),
                if edit.focus_name {
                    theme.label()
                } else {
                    theme.key()
                },
            )];
            spans.extend(line.spans);
            lines.push(Line::from(spans));
            cursor = cursor.or(column.map(|c| (c + 7, row)));
        }
        if let Some(error) = &self.error {
            lines.push(Line::styled(safe(error).into_owned(), theme.error()));
        }
        let title = format!("fields of {}", self.name);
        let inner = widgets::dialog(frame, area, &title, 72, lines, theme);
        if let Some((column, row)) = cursor {
            let row = u16::try_from(row).unwrap_or(u16::MAX);
            widgets::set_cursor(frame, inner, column, row);
        }
    }

    /// What a row shows: plain fields as they are, secrets masked unless revealed (borrowed
    /// from the entry then, never copied), the code; and a note of further lines.
    fn shown_value(&self, label: &str, revealed: bool, clock: u64) -> (Cow<'_, str>, String) {
        let entry = &self.seen;
        match label {
            "username" => (safe(&entry.username), String::new()),
            "url" => (safe(&entry.url), String::new()),
            OTP => (
                Cow::Owned(match vault::otp::code_at(entry.totp.expose(), clock) {
                    Ok(code) => format!("{}  {}s left", code.digits.as_str(), code.seconds_left),
                    Err(err) => err.to_string(),
                }),
                String::new(),
            ),
            _ => {
                let value = entry.field(label).unwrap_or_default();
                if value.is_empty() {
                    (Cow::Borrowed(""), String::new())
                } else if !revealed {
                    (Cow::Borrowed(MASK), String::new())
                } else {
                    let mut lines = value.lines();
                    let first = safe(lines.next().unwrap_or(""));
                    let more = lines.count();
                    let note = if more > 0 {
                        format!(" (+{more} lines)")
                    } else {
                        String::new()
                    };
                    (first, note)
                }
            }
        }
    }
}

/// How the status line names what was copied.
fn copied_what(label: &str) -> &'static str {
    match label {
        "username" => "username",
        "password" => "password",
        "url" => "url",
        "notes" => "notes",
        OTP => "code",
        "totp" => "TOTP key",
        _ => "field",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ratatui::crossterm::event::{KeyCode, KeyModifiers};

    fn key(code: KeyCode) -> KeyEvent {
        KeyEvent::new(code, KeyModifiers::NONE)
    }

    fn entry() -> Entry {
        let mut entry = Entry::new("t0");
        entry.password = Secret::from("pw");
        entry.fields.insert("pin".into(), Secret::from("1234"));
        entry
    }

    #[test]
    fn copy_any_field_and_add_then_refuse_a_reserved_name() {
        let mut fields = Fields::new("bank", &entry());
        assert_eq!(
            fields.labels(),
            ["username", "password", "url", "notes", "pin"]
        );
        fields.selected = 4;
        let Outcome::Copy(what, value) = fields.key(key(KeyCode::Char('c')), 0) else {
            panic!("no copy")
        };
        assert_eq!((what, value.expose()), ("field", "1234"));
        fields.key(key(KeyCode::Char('a')), 0);
        for c in "url".chars() {
            fields.key(key(KeyCode::Char(c)), 0);
        }
        fields.key(key(KeyCode::Tab), 0);
        fields.key(key(KeyCode::Char('x')), 0);
        assert!(matches!(fields.key(key(KeyCode::Enter), 0), Outcome::Stay));
        assert!(fields.error.as_deref().unwrap().contains("standard field"));
        fields.key(key(KeyCode::Tab), 0);
        for _ in 0..3 {
            fields.key(key(KeyCode::Backspace), 0);
        }
        for c in "account".chars() {
            fields.key(key(KeyCode::Char(c)), 0);
        }
        let Outcome::Save(Change::Update { entry, .. }) = fields.key(key(KeyCode::Enter), 0) else {
            panic!("no save")
        };
        assert_eq!(entry.fields["account"].expose(), "x");
    }

    #[test]
    fn the_totp_key_is_set_and_removed_here() {
        let mut fields = Fields::new("bank", &entry());
        fields.selected = 1;
        fields.key(key(KeyCode::Char('d')), 0);
        assert!(fields.error.as_deref().unwrap().contains("standard field"));
        let mut with_key = entry();
        with_key.totp = Secret::from("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ");
        let mut fields = Fields::new("bank", &with_key);
        fields.selected = 5;
        assert_eq!(fields.selected_label(), Some("totp"));
        assert!(matches!(
            fields.key(key(KeyCode::Char('d')), 0),
            Outcome::AskRemove
        ));
        let Some(Change::Update { entry, .. }) = fields.removal(0) else {
            panic!("no change")
        };
        assert!(entry.totp.is_empty());
        assert_eq!(entry.fields.len(), 1);
    }
}
