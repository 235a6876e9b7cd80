//! The recipients window: who can decrypt the vault; add one (a key, or a file holding one),
//! remove one.

use std::path::Path;

use ratatui::crossterm::event::{KeyCode, KeyEvent};

use super::input::TextField;
use vault::change::with_recipient;
use vault::crypto;
use vault::document::{Document, Recipient};
use vault::identity;

#[derive(Default)]
pub struct Recipients {
    pub selected: usize,
    pub adding: Option<NewRecipient>,
    pub confirm_remove: bool,
    pub error: Option<String>,
}

pub struct NewRecipient {
    /// A public key, or the path of a recipients or identity file.
    pub key: TextField,
    pub name: TextField,
    pub focus: usize,
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
                KeyCode::Tab | KeyCode::BackTab => {
                    adding.focus = 1 - adding.focus;
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
                    let field = if adding.focus == 0 {
                        &mut adding.key
                    } else {
                        &mut adding.name
                    };
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
                    focus: 0,
                });
            }
            KeyCode::Char('d') if count > 0 => self.confirm_remove = true,
            _ => {}
        }
        Outcome::Stay
    }

    pub fn paste(&mut self, text: &str) {
        if let Some(adding) = &mut self.adding {
            let field = if adding.focus == 0 {
                &mut adding.key
            } else {
                &mut adding.name
            };
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
        vault::document::Recipient::new(new.name.text().trim(), key),
    )
    .map_err(|e| e.to_string())
}
