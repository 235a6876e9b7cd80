//! What a merge could not decide (`vault conflicts`): each entry both sides changed, with the
//! fields that differ, never their values. Keep ours or take theirs (`vault resolve`).

use ratatui::Frame;
use ratatui::crossterm::event::KeyEvent;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};

use super::keys::{self, Action, Mode};
use super::theme::Theme;
use super::widgets::{self, safe};
use vault::change::Change;
use vault::document::Document;

#[derive(Default)]
pub struct Conflicts {
    pub selected: usize,
}

// Short-lived, one at a time: boxing the change would buy nothing.
#[allow(clippy::large_enum_variant)]
pub enum Outcome {
    Stay,
    Close,
    Save(Change),
}

impl Conflicts {
    pub fn key(&mut self, key: KeyEvent, doc: &Document) -> Outcome {
        let count = doc.conflicts.len();
        match keys::action(Mode::Conflicts, key) {
            Some(Action::Close) => return Outcome::Close,
            Some(Action::Down) => self.selected = (self.selected + 1).min(count.saturating_sub(1)),
            Some(Action::Up) => self.selected = self.selected.saturating_sub(1),
            Some(action @ (Action::Ours | Action::Theirs)) => {
                if let Some(conflict) = doc.conflicts.get(self.selected) {
                    return Outcome::Save(Change::Resolve {
                        name: conflict.name.clone(),
                        theirs: action == Action::Theirs,
                    });
                }
            }
            _ => {}
        }
        Outcome::Stay
    }

    pub fn draw(&self, doc: &Document, frame: &mut Frame, area: Rect, theme: Theme) {
        let room = usize::from(area.width.min(72).saturating_sub(4));
        let mut lines = Vec::new();
        if doc.conflicts.is_empty() {
            lines.push(Line::styled("no merge conflicts", theme.dim()));
        }
        let rows = usize::from(area.height.saturating_sub(6)).max(2) / 2;
        let first = self.selected.saturating_sub(rows.saturating_sub(1));
        for (i, conflict) in doc.conflicts.iter().enumerate().skip(first).take(rows) {
            let style = if i == self.selected {
                theme.selected()
            } else {
                Style::new()
            };
            let theirs = match &conflict.theirs {
                None => "theirs: deleted".to_owned(),
                Some(t) if t.name != conflict.name => format!("theirs named {}", safe(&t.name)),
                Some(_) => "theirs: edited".to_owned(),
            };
            let ours = if doc.entries.contains_key(&conflict.name) {
                ""
            } else {
                " (ours: deleted)"
            };
            lines.push(Line::styled(
                widgets::ellipsis(&format!("{}{ours}", safe(&conflict.name)), room).into_owned(),
                style,
            ));
            lines.push(Line::from(vec![Span::styled(
                widgets::ellipsis(
                    &format!(
                        "  {}; {theirs}; {}",
                        safe(&conflict.fields.join(", ")),
                        safe(&conflict.at)
                    ),
                    room,
                )
                .into_owned(),
                theme.dim(),
            )]));
        }
        widgets::dialog(frame, area, "merge conflicts", 72, lines, theme);
    }
}
