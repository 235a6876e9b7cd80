//! The add and edit form: name, username, password, url, TOTP key, tags, notes. The entry's own
//! fields have a window of their own (`f`), as they come and go in number.

use ratatui::Frame;
use ratatui::crossterm::event::{KeyCode, KeyEvent};
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::input::TextField;
use super::keys::{self, Action, Mode};
use super::theme::Theme;
use super::widgets::{self, safe};
use vault::change::{Change, check_name};
use vault::document::{Document, Entry};
use vault::generate;
use vault::secret::Secret;

pub const LABELS: [&str; 7] = [
    "name", "username", "password", "url", "totp", "tags", "notes",
];
pub const NAME: usize = 0;
pub const USERNAME: usize = 1;
pub const PASSWORD: usize = 2;
pub const URL: usize = 3;
pub const TOTP: usize = 4;
pub const TAGS: usize = 5;
pub const NOTES: usize = 6;
const LABEL_WIDTH: usize = 10;
/// Rows the notes take at most; more scroll with the cursor.
const NOTES_ROWS: usize = 5;

// One form at a time: boxing the entry would buy nothing.
#[allow(clippy::large_enum_variant)]
pub enum Kind {
    Add,
    Edit { name: String, seen: Entry },
}

pub struct Form {
    pub kind: Kind,
    pub fields: [TextField; 7],
    pub focus: usize,
    pub show_secrets: bool,
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
                TextField::new(""),
                TextField::new(""),
                TextField::multiline(""),
            ],
            focus: NAME,
            show_secrets: false,
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
                TextField::new(entry.totp.expose()),
                TextField::new(&entry.tags.join(" ")),
                TextField::multiline(entry.notes.expose()),
            ],
            kind: Kind::Edit {
                name: name.to_owned(),
                seen: entry.clone(),
            },
            ..Form::add()
        }
    }

    /// The entry this form edits, as it was read.
    pub fn editing(&self) -> Option<(&str, &Entry)> {
        match &self.kind {
            Kind::Add => None,
            Kind::Edit { name, seen } => Some((name, seen)),
        }
    }

    pub fn title(&self) -> String {
        match &self.kind {
            Kind::Add => "add an entry".into(),
            Kind::Edit { name, .. } => format!("edit {}", safe(name)),
        }
    }

    pub fn key(&mut self, key: KeyEvent) -> Outcome {
        let action = keys::action(Mode::Form, key);
        match action {
            Some(Action::Close) if self.changed => return Outcome::AskDiscard,
            Some(Action::Close) => return Outcome::Cancel,
            // Enter breaks the line in the notes; Ctrl-S saves from there.
            Some(Action::Save) if self.focus == NOTES && key.code == KeyCode::Enter => {
                self.edit_key(key);
            }
            Some(Action::Save) => return Outcome::Submit,
            Some(Action::Next) => self.move_focus(1),
            Some(Action::Previous) => self.move_focus(LABELS.len() - 1),
            Some(Action::Generate) => match generate::password(generate::DEFAULT_LENGTH, true) {
                Ok(password) => {
                    self.fields[PASSWORD].set(password.expose());
                    self.changed = true;
                }
                Err(err) => self.error = Some(err.to_string()),
            },
            Some(Action::ShowPassword) => self.show_secrets = !self.show_secrets,
            _ => self.edit_key(key),
        }
        Outcome::Stay
    }

    fn edit_key(&mut self, key: KeyEvent) {
        let edits = matches!(
            key.code,
            KeyCode::Char(_) | KeyCode::Backspace | KeyCode::Delete | KeyCode::Enter
        );
        if self.fields[self.focus].handle(key) && edits {
            self.changed = true;
        }
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
            return Err(format!("an entry named '{}' already exists", safe(&name)));
        }
        let password = Secret::from(self.fields[PASSWORD].text());
        // As the CLI: an entry is for a password. An old entry without one may stay so.
        let had_none = self
            .editing()
            .is_some_and(|(_, seen)| seen.password.is_empty());
        if password.is_empty() && !had_none {
            return Err("the password is empty: type one, or Ctrl-G makes one".into());
        }
        let totp = self.fields[TOTP].text().trim();
        if !totp.is_empty() {
            vault::otp::validate(totp)
                .map_err(|err| format!("the TOTP key cannot be used: {err}"))?;
        }
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
        entry.totp = Secret::from(self.fields[TOTP].text().trim());
        entry.tags = tags(self.fields[TAGS].text());
        entry.notes = Secret::from(self.fields[NOTES].text());
    }

    pub fn draw(&self, frame: &mut Frame, area: Rect, theme: Theme) {
        let outer = widgets::centered(area, 72, area.height);
        let value_room = usize::from(outer.width.saturating_sub(2)).saturating_sub(LABEL_WIDTH);
        let mut lines = Vec::new();
        let mut cursor = None;
        for (i, label) in LABELS.iter().enumerate() {
            let field = &self.fields[i];
            let focused = self.focus == i;
            let style = if focused { theme.key() } else { theme.label() };
            let hidden = matches!(i, PASSWORD | TOTP) && !self.show_secrets;
            if i == NOTES {
                let (rows, at) = notes_window(field, value_room);
                for (n, row) in rows.into_iter().enumerate() {
                    let label = if n == 0 { *label } else { "" };
                    lines.push(Line::from(vec![
                        Span::styled(format!("{label:LABEL_WIDTH$}"), style),
                        Span::raw(row),
                    ]));
                }
                if focused {
                    cursor = Some((LABEL_WIDTH + at.0, NOTES + at.1));
                }
                continue;
            }
            let (shown, column) = one_line_window(field, hidden, value_room);
            lines.push(Line::from(vec![
                Span::styled(format!("{label:LABEL_WIDTH$}"), style),
                Span::raw(shown),
            ]));
            if focused {
                cursor = Some((LABEL_WIDTH + column, i));
            }
        }
        lines.push(Line::raw(""));
        if let Some(error) = &self.error {
            lines.push(Line::styled(safe(error).into_owned(), theme.error()));
        }
        let height = u16::try_from(lines.len() + 2).unwrap_or(u16::MAX);
        let box_area = widgets::centered(area, outer.width, height);
        let inner = widgets::frame_box(frame, box_area, &self.title(), theme);
        // The error and the hints wrap; the fields never do (they scroll).
        frame.render_widget(Paragraph::new(lines), inner);
        if let Some((column, row)) = cursor {
            let column = u16::try_from(column).unwrap_or(u16::MAX);
            let row = u16::try_from(row).unwrap_or(u16::MAX);
            widgets::set_cursor(frame, inner, column, row);
        }
    }
}

/// Tags as typed: separated by spaces or commas, each once.
fn tags(text: &str) -> Vec<String> {
    let mut tags: Vec<String> = Vec::new();
    for tag in text.split([' ', ',']).filter(|t| !t.is_empty()) {
        if !tags.iter().any(|t| t == tag) {
            tags.push(tag.to_owned());
        }
    }
    tags
}

/// What of a one-line field fits in `room` cells, scrolled so the cursor shows; and the
/// cursor's column in it.
fn one_line_window(field: &TextField, hidden: bool, room: usize) -> (String, usize) {
    let cells = |s: &str| {
        if hidden {
            s.chars().count()
        } else {
            widgets::width(&safe(s))
        }
    };
    let before = field.before_cursor();
    let mut start = 0;
    // Keep one cell for the cursor after the last character.
    while cells(&before[start..]) + 1 > room.max(1) {
        start += before[start..].chars().next().map_or(1, char::len_utf8);
    }
    let rest = &field.text()[start..];
    let shown = if hidden {
        "•".repeat(rest.chars().count())
    } else {
        safe(rest).into_owned()
    };
    (
        widgets::ellipsis(&shown, room).into_owned(),
        cells(&before[start..]),
    )
}

/// The notes' rows on screen (at most `NOTES_ROWS`, scrolled to the cursor's line, each cut to
/// `room`), and the cursor's (column, row) among them.
fn notes_window(field: &TextField, room: usize) -> (Vec<String>, (usize, usize)) {
    let text = safe_lines(field.text());
    let before = field.before_cursor();
    let line = before.matches('\n').count();
    let column = widgets::width(&safe(before.rsplit('\n').next().unwrap_or("")));
    let first = line.saturating_sub(NOTES_ROWS - 1);
    let mut rows: Vec<String> = text
        .iter()
        .skip(first)
        .take(NOTES_ROWS)
        .map(|l| widgets::ellipsis(l, room).into_owned())
        .collect();
    while rows.len() < 3 {
        rows.push(String::new());
    }
    (rows, (column.min(room.saturating_sub(1)), line - first))
}

fn safe_lines(text: &str) -> Vec<String> {
    text.split('\n').map(|l| safe(l).into_owned()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use ratatui::crossterm::event::KeyModifiers;

    fn key(code: KeyCode) -> KeyEvent {
        KeyEvent::new(code, KeyModifiers::NONE)
    }

    fn type_text(form: &mut Form, text: &str) {
        for c in text.chars() {
            form.key(key(KeyCode::Char(c)));
        }
    }

    #[test]
    fn tab_order_enter_and_notes_newlines() {
        let mut form = Form::add();
        type_text(&mut form, "bank");
        form.key(key(KeyCode::Tab));
        type_text(&mut form, "dustin");
        form.key(key(KeyCode::BackTab));
        assert_eq!(form.focus, NAME);
        for _ in 0..NOTES {
            form.key(key(KeyCode::Tab));
        }
        assert_eq!(form.focus, NOTES);
        type_text(&mut form, "a");
        assert!(matches!(form.key(key(KeyCode::Enter)), Outcome::Stay));
        type_text(&mut form, "b");
        assert_eq!(form.fields[NOTES].text(), "a\nb");
        assert!(matches!(
            form.key(KeyEvent::new(KeyCode::Char('s'), KeyModifiers::CONTROL)),
            Outcome::Submit
        ));
        assert!(matches!(form.key(key(KeyCode::Esc)), Outcome::AskDiscard));
        assert!(matches!(
            Form::add().key(key(KeyCode::Esc)),
            Outcome::Cancel
        ));
    }

    #[test]
    fn invalid_or_taken_names_and_empty_passwords_are_explained() {
        let mut doc = Document::new(vec![]);
        let mut bank = Entry::new("t");
        bank.password = Secret::from("pw");
        doc.entries.insert("bank".into(), bank);
        let form = Form::add();
        assert!(form.change(&doc, "t").unwrap_err().contains("empty"));
        let mut form = Form::add();
        type_text(&mut form, "bank");
        assert!(
            form.change(&doc, "t")
                .unwrap_err()
                .contains("already exists")
        );
        form.fields[NAME].set("new");
        let refused = form.change(&doc, "t").unwrap_err();
        assert!(refused.contains("password is empty"), "{refused}");
        form.fields[PASSWORD].set("x");
        assert!(form.change(&doc, "t").is_ok());
        form.fields[TOTP].set("not base32!");
        assert!(form.change(&doc, "t").unwrap_err().contains("TOTP key"));
        let edit = Form::edit("bank", &doc.entries["bank"]);
        assert!(
            edit.change(&doc, "t").is_ok(),
            "keeping its own name is fine"
        );
    }

    #[test]
    fn editing_any_field_keeps_the_lines_of_the_notes() {
        let mut doc = Document::new(vec![]);
        let mut entry = Entry::new("t0");
        entry.password = Secret::from("pw");
        entry.notes = Secret::from("line one\nline two\n");
        entry.tags = vec!["work".into()];
        doc.entries.insert("bank".into(), entry);
        let mut form = Form::edit("bank", &doc.entries["bank"]);
        form.key(key(KeyCode::Tab));
        type_text(&mut form, "x");
        form.fields[TAGS].set("work, home work");
        let (change, _) = form.change(&doc, "t1").unwrap();
        change.apply(&mut doc).unwrap();
        assert_eq!(doc.entries["bank"].notes.expose(), "line one\nline two\n");
        assert_eq!(doc.entries["bank"].tags, ["work", "home"]);
    }

    #[test]
    fn edit_keeps_history_and_renames() {
        let mut doc = Document::new(vec![]);
        let mut entry = Entry::new("t0");
        entry.password = Secret::from("old");
        doc.entries.insert("bank".into(), entry);
        let mut form = Form::edit("bank", &doc.entries["bank"]);
        form.key(KeyEvent::new(KeyCode::Char('g'), KeyModifiers::CONTROL));
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

    #[test]
    fn a_long_value_scrolls_to_keep_the_cursor_in_view() {
        let field = TextField::new(&"x".repeat(50));
        let (shown, column) = one_line_window(&field, false, 20);
        assert_eq!(column, 19);
        assert_eq!(shown, "x".repeat(19));
    }
}
