//! An age plugin's questions (a PIN, a touch, a yes or no) as a dialog. The plugin runs on the
//! worker thread that decrypts or saves; its question crosses a channel to the interface, and
//! the answer goes back over another, so the screen keeps drawing while the worker waits.

use std::sync::mpsc::{self, Sender};

use ratatui::Frame;
use ratatui::crossterm::event::KeyEvent;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};

use super::input::TextField;
use super::keys::{self, Action, Mode};
use super::theme::Theme;
use super::widgets::{self, safe};
use vault::crypto::PluginPrompts;
use vault::secret::Secret;

/// What a plugin asks.
pub enum Ask {
    /// A message to show (touch your key): said on the status line, nothing to answer.
    Show(String),
    Confirm {
        message: String,
        yes: String,
        no: Option<String>,
    },
    Text {
        description: String,
        secret: bool,
    },
}

pub enum Reply {
    Confirmed(Option<bool>),
    Text(Option<Secret>),
}

pub struct Request {
    pub ask: Ask,
    /// Where the answer goes; `None` for a message.
    pub reply: Option<Sender<Reply>>,
}

/// The `PluginPrompts` the interface installs: each question is sent to the loop, and the
/// worker waits for the answer. If the interface is gone, the question goes unanswered.
pub struct Channel(pub Sender<Request>);

impl Channel {
    fn question(&self, ask: Ask) -> Option<Reply> {
        let (tx, rx) = mpsc::channel();
        self.0
            .send(Request {
                ask,
                reply: Some(tx),
            })
            .ok()?;
        rx.recv().ok()
    }
}

impl PluginPrompts for Channel {
    fn show(&self, message: &str) {
        self.0
            .send(Request {
                ask: Ask::Show(message.to_owned()),
                reply: None,
            })
            .ok();
    }

    fn confirm(&self, message: &str, yes: &str, no: Option<&str>) -> Option<bool> {
        match self.question(Ask::Confirm {
            message: message.to_owned(),
            yes: yes.to_owned(),
            no: no.map(str::to_owned),
        })? {
            Reply::Confirmed(answer) => answer,
            Reply::Text(_) => None,
        }
    }

    fn ask(&self, description: &str, secret: bool) -> Option<Secret> {
        match self.question(Ask::Text {
            description: description.to_owned(),
            secret,
        })? {
            Reply::Text(answer) => answer,
            Reply::Confirmed(_) => None,
        }
    }

    fn why_not(&self) -> &'static str {
        "the plugin's question was refused in the interface"
    }
}

/// The dialog on screen for one question.
pub struct Prompt {
    pub ask: Ask,
    pub reply: Sender<Reply>,
    pub field: TextField,
}

impl Prompt {
    pub fn new(ask: Ask, reply: Sender<Reply>) -> Self {
        Prompt {
            ask,
            reply,
            field: TextField::new(""),
        }
    }

    /// The answer, once the key gives one.
    pub fn key(&mut self, key: KeyEvent) -> Option<Reply> {
        match &self.ask {
            Ask::Confirm { .. } => match keys::action(Mode::Confirm, key) {
                Some(Action::Yes) => Some(Reply::Confirmed(Some(true))),
                Some(Action::No) => Some(Reply::Confirmed(Some(false))),
                _ => None,
            },
            Ask::Text { .. } | Ask::Show(_) => match keys::action(Mode::Prompt, key) {
                Some(Action::Submit) => {
                    let value = Secret::from(self.field.text());
                    self.field.clear();
                    Some(Reply::Text(Some(value)))
                }
                Some(Action::Close) => Some(Reply::Text(None)),
                _ => {
                    self.field.handle(key);
                    None
                }
            },
        }
    }

    pub fn paste(&mut self, text: &str) {
        self.field.insert(text.trim_end_matches(['\r', '\n']));
    }

    pub fn draw(&self, frame: &mut Frame, area: Rect, theme: Theme) {
        let mut lines = Vec::new();
        let mut cursor = None;
        let room = usize::from(area.width.min(64) - 2);
        match &self.ask {
            Ask::Confirm { message, yes, no } => {
                lines.push(Line::raw(safe(message).into_owned()));
                lines.push(Line::raw(""));
                lines.push(Line::from(vec![
                    Span::styled(" y", theme.key()),
                    Span::raw(format!(" {}  ", safe(yes))),
                    Span::styled("n", theme.key()),
                    Span::raw(format!(" {}", safe(no.as_deref().unwrap_or("no")))),
                ]));
            }
            Ask::Text {
                description,
                secret,
            } => {
                lines.push(Line::raw(safe(description).into_owned()));
                lines.push(Line::raw(""));
                let row = widgets::wrapped_height(&lines, u16::try_from(room).unwrap_or(1));
                let (line, column) =
                    widgets::field_line("> ", 2, &self.field, *secret, true, theme);
                lines.push(line);
                cursor = column.map(|c| (c, row));
            }
            Ask::Show(message) => lines.push(Line::raw(safe(message).into_owned())),
        }
        let inner = widgets::dialog(frame, area, "age plugin", 64, lines, theme);
        if let Some((column, row)) = cursor {
            widgets::set_cursor(frame, inner, column, row);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ratatui::crossterm::event::KeyCode;

    /// A plugin on a worker asks for a PIN; the dialog's answer reaches it.
    #[test]
    fn a_question_from_a_worker_is_answered_by_the_dialog() {
        let (tx, rx) = mpsc::channel();
        let channel = Channel(tx);
        let worker = std::thread::spawn(move || {
            let pin = channel.ask("Enter the PIN of your YubiKey", true);
            let touch = channel.confirm("Use the key?", "yes", Some("no"));
            (pin.map(|p| p.expose().to_owned()), touch)
        });
        let request = rx.recv().unwrap();
        let mut prompt = Prompt::new(request.ask, request.reply.unwrap());
        for c in "1234".chars() {
            assert!(prompt.key(KeyEvent::from(KeyCode::Char(c))).is_none());
        }
        let reply = prompt.key(KeyEvent::from(KeyCode::Enter)).unwrap();
        prompt.reply.send(reply).unwrap();
        let request = rx.recv().unwrap();
        let mut prompt = Prompt::new(request.ask, request.reply.unwrap());
        let reply = prompt.key(KeyEvent::from(KeyCode::Char('y'))).unwrap();
        prompt.reply.send(reply).unwrap();
        assert_eq!(worker.join().unwrap(), (Some("1234".into()), Some(true)));
    }

    #[test]
    fn a_dialog_dropped_unanswered_refuses() {
        let (tx, rx) = mpsc::channel();
        let channel = Channel(tx);
        let worker = std::thread::spawn(move || channel.ask("PIN", true).is_none());
        drop(rx.recv().unwrap());
        assert!(worker.join().unwrap());
    }
}
