//! The unlock screen: the first one, and the one a lock leaves. A lock means locked: with the
//! key in an agent it still asks for the identity's passphrase (or the identity's own unlock).

use ratatui::Frame;
use ratatui::crossterm::event::KeyEvent;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};

use super::effects::{Effect, Paths};
use super::input::TextField;
use super::keys::{self, Action, Mode};
use super::theme::Theme;
use super::widgets::{self, safe};
use vault::secret::Secret;

pub struct Unlock {
    pub passphrase: TextField,
    pub needs_passphrase: bool,
    /// Locked (by `L` or idle time) rather than not opened yet: the agent is not asked.
    pub locked: bool,
    pub error: Option<String>,
    /// What the lock dropped that the user may not know of (an unsaved form).
    pub dropped: Option<String>,
}

// Short-lived, one at a time: boxing the change would buy nothing.
#[allow(clippy::large_enum_variant)]
pub enum Outcome {
    Stay,
    Quit,
    Effect(Effect),
}

impl Unlock {
    pub fn new(needs_passphrase: bool, locked: bool, error: Option<String>) -> Self {
        Unlock {
            passphrase: TextField::new(""),
            needs_passphrase,
            locked,
            error,
            dropped: None,
        }
    }

    pub fn key(&mut self, key: KeyEvent) -> Outcome {
        match keys::action(Mode::Unlock, key) {
            Some(Action::Quit) => Outcome::Quit,
            Some(Action::Submit) => {
                let passphrase = self
                    .needs_passphrase
                    .then(|| Secret::from(self.passphrase.text()));
                self.passphrase.clear();
                self.error = None;
                Outcome::Effect(Effect::Open {
                    passphrase,
                    relock: self.locked,
                })
            }
            _ if self.needs_passphrase => {
                self.passphrase.handle(key);
                Outcome::Stay
            }
            _ if key.code == ratatui::crossterm::event::KeyCode::Char('q') => Outcome::Quit,
            _ => Outcome::Stay,
        }
    }

    pub fn draw(&self, paths: &Paths, busy: bool, frame: &mut Frame, area: Rect, theme: Theme) {
        let title = if self.locked {
            "vault is locked"
        } else {
            "vault"
        };
        let mut lines = vec![
            Line::from(vec![
                Span::styled("vault     ", theme.label()),
                Span::raw(safe(&paths.vault.display().to_string()).into_owned()),
            ]),
            Line::from(vec![
                Span::styled("identity  ", theme.label()),
                Span::raw(safe(&paths.identity.display().to_string()).into_owned()),
            ]),
        ];
        if let Some(dropped) = &self.dropped {
            lines.push(Line::styled(dropped.clone(), theme.error()));
        }
        lines.push(Line::raw(""));
        let passphrase_row = lines.len();
        if self.needs_passphrase {
            lines.push(Line::from(vec![
                Span::styled("passphrase ", theme.label()),
                Span::raw(widgets::masked(&self.passphrase)),
            ]));
        } else if !busy {
            lines.push(Line::raw(if self.locked {
                "press Enter to unlock"
            } else {
                "press Enter to try again"
            }));
        }
        if let Some(error) = &self.error {
            lines.push(Line::styled(safe(error).into_owned(), theme.error()));
        }
        // Long paths wrap on a narrow screen: the field's row counts the rows above it.
        let row = widgets::wrapped_height(&lines[..passphrase_row], 64.min(area.width) - 2);
        let inner = widgets::dialog(frame, area, title, 64, lines, theme);
        if self.needs_passphrase && !busy {
            let column = 11 + u16::try_from(self.passphrase.text().chars().count()).unwrap_or(0);
            widgets::set_cursor(frame, inner, column, row);
        }
    }
}
