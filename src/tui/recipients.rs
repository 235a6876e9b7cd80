//! The recipients window: who can decrypt the vault; add one (a key, or a file holding one),
//! grant one only some entries, remove one.

use std::path::Path;

use ratatui::Frame;
use ratatui::crossterm::event::KeyEvent;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::Line;

use super::input::TextField;
use super::keys::{self, Action, Mode};
use super::theme::Theme;
use super::widgets::{self, safe};
use vault::change::{check_scope, with_recipient};
use vault::crypto;
use vault::document::{Document, Recipient};
use vault::identity;
use vault::identity::Identity;

#[derive(Default)]
pub struct Recipients {
    pub selected: usize,
    pub adding: Option<NewRecipient>,
    /// The selected recipient's scope being edited: patterns, blank for every entry.
    pub scoping: Option<TextField>,
    pub confirm_remove: bool,
    pub error: Option<String>,
}

pub struct NewRecipient {
    /// A public key, or the path of a recipients or identity file.
    pub key: TextField,
    pub name: TextField,
    /// Entry names or group globs it is granted, space-separated; blank for every entry.
    pub only: TextField,
    pub focus: usize,
}

impl NewRecipient {
    /// The fields in the order Tab visits them.
    pub const FIELDS: usize = 3;

    pub fn focused(&mut self) -> &mut TextField {
        match self.focus {
            0 => &mut self.key,
            1 => &mut self.name,
            _ => &mut self.only,
        }
    }
}

/// Patterns typed in a field: space-separated; none means every entry.
fn patterns(field: &TextField) -> Option<Vec<String>> {
    let patterns: Vec<String> = field.text().split_whitespace().map(str::to_owned).collect();
    (!patterns.is_empty()).then_some(patterns)
}

pub enum Outcome {
    Stay,
    Close,
    Save(Vec<Recipient>),
}

impl Recipients {
    pub fn mode(&self) -> Mode {
        if self.adding.is_some() || self.scoping.is_some() {
            Mode::RecipientEdit
        } else if self.confirm_remove {
            Mode::Confirm
        } else {
            Mode::Recipients
        }
    }

    pub fn key(&mut self, key: KeyEvent, doc: &Document) -> Outcome {
        self.error = None;
        let action = keys::action(self.mode(), key);
        if let Some(adding) = &mut self.adding {
            match action {
                Some(Action::Close) => self.adding = None,
                Some(Action::Next) => adding.focus = (adding.focus + 1) % NewRecipient::FIELDS,
                Some(Action::Previous) => {
                    adding.focus = (adding.focus + NewRecipient::FIELDS - 1) % NewRecipient::FIELDS;
                }
                Some(Action::Save) => match added(adding, doc) {
                    Ok(recipients) => return Outcome::Save(recipients),
                    Err(reason) => self.error = Some(reason),
                },
                _ => {
                    adding.focused().handle(key);
                }
            }
            return Outcome::Stay;
        }
        if let Some(field) = &mut self.scoping {
            match action {
                Some(Action::Close) => self.scoping = None,
                Some(Action::Save) => match rescoped(doc, self.selected, patterns(field)) {
                    Ok(recipients) => return Outcome::Save(recipients),
                    Err(reason) => self.error = Some(reason),
                },
                _ => {
                    field.handle(key);
                }
            }
            return Outcome::Stay;
        }
        if self.confirm_remove {
            self.confirm_remove = false;
            if action == Some(Action::Yes)
                && let Some(gone) = doc.recipients.get(self.selected)
            {
                let kept = doc
                    .recipients
                    .iter()
                    .filter(|r| r.name != gone.name)
                    .cloned()
                    .collect();
                return Outcome::Save(kept);
            }
            return Outcome::Stay;
        }
        let count = doc.recipients.len();
        match action {
            Some(Action::Close) => return Outcome::Close,
            Some(Action::Down) => self.selected = (self.selected + 1).min(count.saturating_sub(1)),
            Some(Action::Up) => self.selected = self.selected.saturating_sub(1),
            Some(Action::Add) => {
                self.adding = Some(NewRecipient {
                    key: TextField::new(""),
                    name: TextField::new(""),
                    only: TextField::new(""),
                    focus: 0,
                });
            }
            Some(Action::Scope) if count > 0 => {
                let current = doc.recipients[self.selected.min(count - 1)]
                    .only
                    .as_deref()
                    .unwrap_or_default()
                    .join(" ");
                self.scoping = Some(TextField::new(&current));
            }
            Some(Action::Delete) if count > 0 => self.confirm_remove = true,
            _ => {}
        }
        Outcome::Stay
    }

    pub fn paste(&mut self, text: &str) {
        if let Some(adding) = &mut self.adding {
            adding.focused().insert(text.trim());
        } else if let Some(field) = &mut self.scoping {
            field.insert(text.trim());
        }
    }

    pub fn draw(
        &self,
        doc: &Document,
        identity: &Identity,
        frame: &mut Frame,
        area: Rect,
        theme: Theme,
    ) {
        let width = 76.min(area.width);
        let room = usize::from(width - 2);
        let mut lines = recipient_lines(doc, identity, self.selected, room, theme);
        lines.push(Line::raw(""));
        let mut cursor = None;
        if let Some(adding) = &self.adding {
            for (i, (label, field)) in [
                ("key/file", &adding.key),
                ("name", &adding.name),
                ("only", &adding.only),
            ]
            .into_iter()
            .enumerate()
            {
                let row = lines.len();
                let (line, column) =
                    widgets::field_line(label, 10, field, false, adding.focus == i, theme);
                lines.push(line);
                cursor = cursor.or(column.map(|c| (c, row)));
            }
        } else if let Some(field) = &self.scoping {
            let row = lines.len();
            let (line, column) = widgets::field_line("only", 10, field, false, true, theme);
            lines.push(line);
            cursor = column.map(|c| (c, row));
            lines.push(Line::styled(
                "names or globs (bank/*), blank: every entry",
                theme.dim(),
            ));
        } else if self.confirm_remove {
            let name = doc
                .recipients
                .get(self.selected)
                .map_or("", |r| r.name.as_str());
            lines.push(Line::styled(
                format!("Stop encrypting to '{}'? y/n", safe(name)),
                theme.error(),
            ));
        }
        if let Some(error) = &self.error {
            lines.push(Line::styled(safe(error).into_owned(), theme.error()));
        }
        // Everything above the fields is one row a line (cut, never wrapped): the cursor's row
        // is its index.
        let inner = widgets::dialog(frame, area, "recipients: who can decrypt", 76, lines, theme);
        if let Some((column, row)) = cursor {
            widgets::set_cursor(frame, inner, column, u16::try_from(row).unwrap_or(u16::MAX));
        }
    }
}

/// The recipients, a name a line (with `(you)` and its scope), its key (too long to share the
/// line) beneath; each cut to `room`.
fn recipient_lines(
    doc: &Document,
    identity: &Identity,
    selected: usize,
    room: usize,
    theme: Theme,
) -> Vec<Line<'static>> {
    doc.recipients
        .iter()
        .enumerate()
        .flat_map(|(i, r)| {
            let style = if i == selected {
                theme.selected()
            } else {
                Style::new()
            };
            let mine = identity
                .recipients()
                .contains(&crypto::canonical_key(&r.key));
            let you = if mine { " (you)" } else { "" };
            let scope = r
                .only
                .as_ref()
                .map(|only| format!("  only: {}", only.join(", ")))
                .unwrap_or_default();
            [
                Line::styled(
                    widgets::ellipsis(&safe(&format!("{}{you}{scope}", r.name)), room).into_owned(),
                    style,
                ),
                Line::styled(
                    widgets::ellipsis(&format!("  {}", safe(&r.key)), room).into_owned(),
                    theme.dim(),
                ),
            ]
        })
        .collect()
}

/// The recipient list with the new one added, or why it cannot be.
fn added(new: &NewRecipient, doc: &Document) -> Result<Vec<Recipient>, String> {
    let input = new.key.text().trim();
    if input.is_empty() {
        return Err(
            "paste a public key (age1…, ssh-…) or type the path of a file holding one".into(),
        );
    }
    let key = if input.starts_with("age1") || input.starts_with("ssh-") {
        crypto::parse_recipient(input)?.1
    } else {
        let mut no_passphrase = |_: &Path, _: u32| Ok(None);
        identity::one_recipient_in_file(Path::new(input), &mut no_passphrase)
            .map_err(|e| e.to_string())?
    };
    with_recipient(
        &doc.recipients,
        Recipient {
            only: patterns(&new.only),
            ..Recipient::new(new.name.text().trim(), key)
        },
    )
    .map_err(|e| e.to_string())
}

/// The recipient list with the one at `at` granted `only` (`None`: every entry).
fn rescoped(
    doc: &Document,
    at: usize,
    only: Option<Vec<String>>,
) -> Result<Vec<Recipient>, String> {
    if let Some(patterns) = &only {
        check_scope(patterns).map_err(|e| e.to_string())?;
    }
    let mut recipients = doc.recipients.clone();
    let recipient = recipients.get_mut(at).ok_or("no recipient is selected")?;
    recipient.only = only;
    if recipient.only.is_none() {
        recipient.group = None;
    }
    Ok(recipients)
}
