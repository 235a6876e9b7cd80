//! First run: no vault yet (and maybe no identity). Offers to make them, as `vault init`.

use std::sync::Arc;

use ratatui::Frame;
use ratatui::crossterm::event::{KeyCode, KeyEvent};
use ratatui::layout::Rect;
use ratatui::text::Line;

use super::effects::{Effect, Paths};
use super::input::TextField;
use super::keys::{self, Action, Mode};
use super::theme::Theme;
use super::widgets::{self, safe};
use vault::identity::Identity;
use vault::secret::Secret;

pub struct Setup {
    /// `Some`: the identity exists and is open; only the vault is to be made.
    pub identity: Option<Arc<Identity>>,
    pub passphrase: TextField,
    pub repeat: TextField,
    pub focus: usize,
    pub error: Option<String>,
}

// Short-lived, one at a time: boxing the change would buy nothing.
#[allow(clippy::large_enum_variant)]
pub enum Outcome {
    Stay,
    Quit,
    Effect(Effect),
}

impl Setup {
    pub fn new(identity: Option<Arc<Identity>>) -> Self {
        Setup {
            identity,
            passphrase: TextField::new(""),
            repeat: TextField::new(""),
            focus: 0,
            error: None,
        }
    }

    pub fn focused(&mut self) -> &mut TextField {
        if self.focus == 0 {
            &mut self.passphrase
        } else {
            &mut self.repeat
        }
    }

    pub fn key(&mut self, key: KeyEvent) -> Outcome {
        match keys::action(Mode::Setup, key) {
            Some(Action::Quit) => return Outcome::Quit,
            Some(Action::Next) => self.focus = 1 - self.focus,
            Some(Action::Submit) => {
                if let Some(identity) = &self.identity {
                    return Outcome::Effect(Effect::CreateVault {
                        identity: identity.clone(),
                    });
                }
                if self.passphrase.text().is_empty() {
                    self.error = Some(
                        "choose a passphrase (vault init --no-passphrase makes a key without one)"
                            .into(),
                    );
                } else if self.passphrase.text() != self.repeat.text() {
                    self.error = Some("the two passphrases differ".into());
                    self.repeat.clear();
                    self.focus = 1;
                } else {
                    return Outcome::Effect(Effect::CreateAll {
                        passphrase: Secret::from(self.passphrase.text()),
                    });
                }
            }
            _ if self.identity.is_none() => {
                self.focused().handle(key);
            }
            _ if key.code == KeyCode::Char('q') => return Outcome::Quit,
            _ => {}
        }
        Outcome::Stay
    }

    pub fn draw(&self, paths: &Paths, busy: bool, frame: &mut Frame, area: Rect, theme: Theme) {
        let vault = safe(&paths.vault.display().to_string()).into_owned();
        let identity = safe(&paths.identity.display().to_string()).into_owned();
        let width = 70.min(area.width) - 2;
        let mut lines = Vec::new();
        let mut cursor = None;
        if self.identity.is_some() {
            lines.push(Line::raw(format!("No vault at {vault} yet.")));
            lines.push(Line::raw(format!("Create one, encrypted to {identity}?")));
        } else {
            // The fields first: on a small screen they are what must show.
            lines.push(Line::raw(
                "A new vault and identity: choose its passphrase.",
            ));
            for (i, (label, field)) in [("passphrase", &self.passphrase), ("again", &self.repeat)]
                .into_iter()
                .enumerate()
            {
                let row = widgets::wrapped_height(&lines, width);
                let (line, column) =
                    widgets::field_line(label, 11, field, true, self.focus == i, theme);
                lines.push(line);
                if let Some(column) = column {
                    cursor = Some((column, row));
                }
            }
            if let Some(error) = &self.error {
                lines.push(Line::styled(error.clone(), theme.error()));
            }
            lines.push(Line::raw(""));
            lines.push(Line::raw(format!("No vault at {vault} yet.")));
            lines.push(Line::raw(format!("The identity goes to {identity}.")));
        }
        let inner = widgets::dialog(frame, area, "new vault", 70, lines, theme);
        if let Some((column, row)) = cursor.filter(|_| !busy) {
            widgets::set_cursor(frame, inner, column, row);
        }
    }
}
