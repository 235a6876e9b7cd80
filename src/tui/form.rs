//! The add and edit form: name, username, password, url, notes.

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::input::TextField;
use vault::change::{Change, check_name};
use vault::document::{Document, Entry};
use vault::generate;
use vault::secret::Secret;

pub const LABELS: [&str; 5] = ["name", "username", "password", "url", "notes"];
pub const NAME: usize = 0;
pub const USERNAME: usize = 1;
pub const PASSWORD: usize = 2;
pub const URL: usize = 3;
pub const NOTES: usize = 4;

// One form at a time: boxing the entry would buy nothing.
#[allow(clippy::large_enum_variant)]
pub enum Kind {
    Add,
    Edit { name: String, seen: Entry },
}

pub struct Form {
    pub kind: Kind,
    pub fields: [TextField; 5],
    pub focus: usize,
    pub show_password: bool,
    pub error: Option<String>,
    changed: bool,
}

pub enum Outcome {
    Stay,
    Cancel,
    /// Esc with unsaved input: ask first.
    AskDiscard,
    Submit,
}

impl Form {
    pub fn add() -> Self {
        Form {
            kind: Kind::Add,
            fields: [
                TextField::new(""),
                TextField::new(""),
                TextField::new(""),
                TextField::new(""),
                TextField::multiline(""),
            ],
            focus: NAME,
            show_password: false,
            error: None,
            changed: false,
        }
    }

    pub fn edit(name: &str, entry: &Entry) -> Self {
        Form {
            fields: [
                TextField::new(name),
                TextField::new(&entry.username),
                TextField::new(entry.password.expose()),
                TextField::new(&entry.url),
                TextField::multiline(entry.notes.expose()),
            ],
            kind: Kind::Edit {
                name: name.to_owned(),
                seen: entry.clone(),
            },
            ..Form::add()
        }
    }

    pub fn title(&self) -> String {
        match &self.kind {
            Kind::Add => "add an entry".into(),
            Kind::Edit { name, .. } => format!("edit {name}"),
        }
    }

    pub fn handle(&mut self, key: KeyEvent) -> Outcome {
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        match key.code {
            KeyCode::Esc if self.changed => return Outcome::AskDiscard,
            KeyCode::Esc => return Outcome::Cancel,
            KeyCode::Char('s') if ctrl => return Outcome::Submit,
            KeyCode::Enter if self.focus != NOTES => return Outcome::Submit,
            KeyCode::Tab => self.move_focus(1),
            KeyCode::BackTab => self.move_focus(LABELS.len() - 1),
            KeyCode::Char('g') if ctrl => {
                match generate::password(generate::DEFAULT_LENGTH, true) {
                    Ok(password) => {
                        self.fields[PASSWORD].set(password.expose());
                        self.changed = true;
                    }
                    Err(err) => self.error = Some(err.to_string()),
                }
            }
            KeyCode::Char('r') if ctrl => self.show_password = !self.show_password,
            _ => {
                let edits = matches!(
                    key.code,
                    KeyCode::Char(_) | KeyCode::Backspace | KeyCode::Delete | KeyCode::Enter
                );
                if self.fields[self.focus].handle(key) && edits {
                    self.changed = true;
                }
            }
        }
        Outcome::Stay
    }

    pub fn paste(&mut self, text: &str) {
        self.fields[self.focus].insert(text);
        self.changed = true;
    }

    fn move_focus(&mut self, by: usize) {
        self.focus = (self.focus + by) % LABELS.len();
        self.fields[self.focus].cursor_to_end();
    }

    /// The change this form asks for, or why it cannot be saved. Returns the entry's name too.
    pub fn change(&self, doc: &Document, now: &str) -> Result<(Change, String), String> {
        let name = self.fields[NAME].text().to_owned();
        check_name(&name).map_err(|err| match err {
            vault::Error::InvalidName { reason, .. } => {
                format!("the name cannot be used: {reason}")
            }
            other => other.to_string(),
        })?;
        let renamed = match &self.kind {
            Kind::Add => true,
            Kind::Edit { name: old, .. } => *old != name,
        };
        if renamed && doc.entries.contains_key(&name) {
            return Err(format!("an entry named '{name}' already exists"));
        }
        let password = Secret::from(self.fields[PASSWORD].text());
        let change = match &self.kind {
            Kind::Add => {
                let mut entry = Entry::new(now);
                self.fill(&mut entry);
                entry.password = password;
                Change::Add {
                    name: name.clone(),
                    entry,
                }
            }
            Kind::Edit { name: old, seen } => {
                let mut entry = seen.clone();
                self.fill(&mut entry);
                entry.set_password(password, now);
                now.clone_into(&mut entry.updated);
                Change::Update {
                    name: old.clone(),
                    seen: seen.clone(),
                    entry,
                    rename: renamed.then(|| name.clone()),
                }
            }
        };
        Ok((change, name))
    }

    fn fill(&self, entry: &mut Entry) {
        self.fields[USERNAME].text().clone_into(&mut entry.username);
        self.fields[URL].text().clone_into(&mut entry.url);
        entry.notes = Secret::from(self.fields[NOTES].text());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(code: KeyCode) -> KeyEvent {
        KeyEvent::new(code, KeyModifiers::NONE)
    }

    fn type_text(form: &mut Form, text: &str) {
        for c in text.chars() {
            form.handle(key(KeyCode::Char(c)));
        }
    }

    #[test]
    fn tab_order_enter_and_notes_newlines() {
        let mut form = Form::add();
        type_text(&mut form, "bank");
        form.handle(key(KeyCode::Tab));
        type_text(&mut form, "dustin");
        form.handle(key(KeyCode::BackTab));
        assert_eq!(form.focus, NAME);
        for _ in 0..4 {
            form.handle(key(KeyCode::Tab));
        }
        assert_eq!(form.focus, NOTES);
        type_text(&mut form, "a");
        assert!(matches!(form.handle(key(KeyCode::Enter)), Outcome::Stay));
        type_text(&mut form, "b");
        assert_eq!(form.fields[NOTES].text(), "a\nb");
        assert!(matches!(
            form.handle(KeyEvent::new(KeyCode::Char('s'), KeyModifiers::CONTROL)),
            Outcome::Submit
        ));
        assert!(matches!(
            form.handle(key(KeyCode::Esc)),
            Outcome::AskDiscard
        ));
        assert!(matches!(
            Form::add().handle(key(KeyCode::Esc)),
            Outcome::Cancel
        ));
    }

    #[test]
    fn invalid_or_taken_names_are_explained() {
        let mut doc = Document::new(vec![]);
        doc.entries.insert("bank".into(), Entry::new("t"));
        let form = Form::add();
        assert!(form.change(&doc, "t").unwrap_err().contains("empty"));
        let mut form = Form::add();
        type_text(&mut form, "bank");
        assert!(
            form.change(&doc, "t")
                .unwrap_err()
                .contains("already exists")
        );
        let edit = Form::edit("bank", &doc.entries["bank"]);
        assert!(
            edit.change(&doc, "t").is_ok(),
            "keeping its own name is fine"
        );
    }

    #[test]
    fn edit_keeps_history_and_renames() {
        let mut doc = Document::new(vec![]);
        let mut entry = Entry::new("t0");
        entry.password = Secret::from("old");
        doc.entries.insert("bank".into(), entry);
        let mut form = Form::edit("bank", &doc.entries["bank"]);
        form.handle(KeyEvent::new(KeyCode::Char('g'), KeyModifiers::CONTROL));
        assert_eq!(form.fields[PASSWORD].text().chars().count(), 24);
        form.fields[NAME].set("bank/main");
        let (change, name) = form.change(&doc, "t1").unwrap();
        assert_eq!(name, "bank/main");
        change.apply(&mut doc).unwrap();
        let saved = &doc.entries["bank/main"];
        assert_eq!(saved.history[0].password.expose(), "old");
        assert_eq!(saved.updated, "t1");
        assert!(!doc.entries.contains_key("bank"));
    }
}
