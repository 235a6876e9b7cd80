//! An entry's password history: each old password with the date it stopped being current,
//! masked; reveal one, copy one, restore one (the current password goes to the history).

use ratatui::Frame;
use ratatui::crossterm::event::KeyEvent;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};

use super::keys::{self, Action, Mode};
use super::theme::Theme;
use super::widgets::{self, safe};
use vault::change::Change;
use vault::document::Entry;
use vault::secret::Secret;
use vault::text::MASK;

pub struct History {
    pub name: String,
    pub seen: Entry,
    /// Index into the history, newest first as shown.
    pub selected: usize,
    pub revealed: bool,
    pub error: Option<String>,
}

pub enum Outcome {
    Stay,
    Close,
    Copy(Secret),
    AskRestore,
}

impl History {
    pub fn new(name: &str, entry: &Entry) -> Self {
        History {
            name: name.to_owned(),
            seen: entry.clone(),
            selected: 0,
            revealed: false,
            error: None,
        }
    }

    /// The history's index of the row shown at `row` (newest first on screen).
    fn index(&self, row: usize) -> Option<usize> {
        self.seen.history.len().checked_sub(row + 1)
    }

    pub fn selected_until(&self) -> Option<&str> {
        self.index(self.selected)
            .map(|i| self.seen.history[i].until.as_str())
    }

    pub fn key(&mut self, key: KeyEvent) -> Outcome {
        self.error = None;
        let count = self.seen.history.len();
        match keys::action(Mode::History, key) {
            Some(Action::Close) => return Outcome::Close,
            Some(Action::Down) => {
                self.selected = (self.selected + 1).min(count.saturating_sub(1));
                self.revealed = false;
            }
            Some(Action::Up) => {
                self.selected = self.selected.saturating_sub(1);
                self.revealed = false;
            }
            Some(Action::Reveal) => self.revealed = !self.revealed && count > 0,
            Some(Action::Copy) => {
                if let Some(i) = self.index(self.selected) {
                    return Outcome::Copy(self.seen.history[i].password.clone());
                }
            }
            Some(Action::Restore) if count > 0 => return Outcome::AskRestore,
            _ => {}
        }
        Outcome::Stay
    }

    /// The change that makes the selected old password the current one: it leaves the history,
    /// and the current one goes in (as any password change does).
    pub fn restore(&self, now: &str) -> Option<Change> {
        let i = self.index(self.selected)?;
        let mut entry = self.seen.clone();
        let old = entry.history.remove(i).password;
        entry.set_password(old, now);
        now.clone_into(&mut entry.updated);
        Some(Change::Update {
            name: self.name.clone(),
            seen: self.seen.clone(),
            entry,
            rename: None,
        })
    }

    pub fn draw(&self, frame: &mut Frame, area: Rect, theme: Theme) {
        let mut lines = vec![Line::styled(
            "newest first, each with when it was replaced",
            theme.dim(),
        )];
        if self.seen.history.is_empty() {
            lines.push(Line::styled("no earlier passwords", theme.dim()));
        }
        let rows = usize::from(area.height.saturating_sub(6)).max(1);
        let first = self.selected.saturating_sub(rows - 1);
        for row in (0..self.seen.history.len()).skip(first).take(rows) {
            let Some(i) = self.index(row) else { continue };
            let past = &self.seen.history[i];
            let style = if row == self.selected {
                theme.selected()
            } else {
                Style::new()
            };
            // Borrowed for the frame: the revealed value is not copied.
            let value = if row == self.selected && self.revealed {
                safe(past.password.expose())
            } else {
                std::borrow::Cow::Borrowed(MASK)
            };
            lines.push(Line::from(vec![
                Span::styled(format!("{:>2}  {}  ", i + 1, safe(&past.until)), style),
                Span::styled(value, style),
            ]));
        }
        if let Some(error) = &self.error {
            lines.push(Line::styled(safe(error).into_owned(), theme.error()));
        }
        let title = format!("history of {}", self.name);
        widgets::dialog(frame, area, &title, 70, lines, theme);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use vault::document::PastPassword;

    #[test]
    fn restoring_swaps_the_current_password_into_the_history() {
        let mut entry = Entry::new("t0");
        entry.password = Secret::from("now");
        for (pw, until) in [("first", "t1"), ("second", "t2")] {
            entry.history.push(PastPassword {
                password: Secret::from(pw),
                until: until.into(),
                ..PastPassword::default()
            });
        }
        let mut history = History::new("bank", &entry);
        assert_eq!(history.selected_until(), Some("t2"), "newest first");
        history.selected = 1;
        let Some(Change::Update { entry: new, .. }) = history.restore("t3") else {
            panic!("no change")
        };
        assert_eq!(new.password.expose(), "first");
        let left: Vec<&str> = new.history.iter().map(|p| p.password.expose()).collect();
        assert_eq!(left, ["second", "now"]);
        assert_eq!(new.history[1].until, "t3");
    }
}
