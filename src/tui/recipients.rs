//! The recipients window: who can decrypt the vault; add one (a key, or a file holding one),
//! grant one only some entries, remove one.

use std::path::Path;

use ratatui::crossterm::event::{KeyCode, KeyEvent};

use super::input::TextField;
use vault::change::{check_scope, with_recipient};
use vault::crypto;
use vault::document::{Document, Recipient};
use vault::identity;

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
    pub fn handle(&mut self, key: KeyEvent, doc: &Document) -> Outcome {
        self.error = None;
        if let Some(adding) = &mut self.adding {
            return match key.code {
                KeyCode::Esc => {
                    self.adding = None;
                    Outcome::Stay
                }
                KeyCode::Tab => {
                    adding.focus = (adding.focus + 1) % NewRecipient::FIELDS;
                    Outcome::Stay
                }
                KeyCode::BackTab => {
                    adding.focus = (adding.focus + NewRecipient::FIELDS - 1) % NewRecipient::FIELDS;
                    Outcome::Stay
                }
                KeyCode::Enter => match added(adding, doc) {
                    Ok(recipients) => Outcome::Save(recipients),
                    Err(reason) => {
                        self.error = Some(reason);
                        Outcome::Stay
                    }
                },
                _ => {
                    adding.focused().handle(key);
                    Outcome::Stay
                }
            };
        }
        if let Some(field) = &mut self.scoping {
            return match key.code {
                KeyCode::Esc => {
                    self.scoping = None;
                    Outcome::Stay
                }
                KeyCode::Enter => match rescoped(doc, self.selected, patterns(field)) {
                    Ok(recipients) => Outcome::Save(recipients),
                    Err(reason) => {
                        self.error = Some(reason);
                        Outcome::Stay
                    }
                },
                _ => {
                    field.handle(key);
                    Outcome::Stay
                }
            };
        }
        if self.confirm_remove {
            self.confirm_remove = false;
            if key.code == KeyCode::Char('y')
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
        match key.code {
            KeyCode::Esc | KeyCode::Char('q' | 'R') => return Outcome::Close,
            KeyCode::Char('j') | KeyCode::Down => {
                self.selected = (self.selected + 1).min(count.saturating_sub(1));
            }
            KeyCode::Char('k') | KeyCode::Up => self.selected = self.selected.saturating_sub(1),
            KeyCode::Char('a') => {
                self.adding = Some(NewRecipient {
                    key: TextField::new(""),
                    name: TextField::new(""),
                    only: TextField::new(""),
                    focus: 0,
                });
            }
            KeyCode::Char('s') if count > 0 => {
                let current = doc.recipients[self.selected.min(count - 1)]
                    .only
                    .as_deref()
                    .unwrap_or_default()
                    .join(" ");
                self.scoping = Some(TextField::new(&current));
            }
            KeyCode::Char('d') if count > 0 => self.confirm_remove = true,
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
