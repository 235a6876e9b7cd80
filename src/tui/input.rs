//! A text field for forms: one line, or several for notes. Its text may be a password, so it
//! lives in memory that is wiped, also when it grows.

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use zeroize::Zeroizing;

pub struct TextField {
    text: Zeroizing<String>,
    /// Byte offset of the cursor, always on a character boundary.
    cursor: usize,
    multiline: bool,
}

impl TextField {
    pub fn new(initial: &str) -> Self {
        let mut field = TextField {
            text: Zeroizing::new(String::with_capacity(64)),
            cursor: 0,
            multiline: false,
        };
        field.set(initial);
        field
    }

    /// A field that keeps line breaks (notes). Multiline before the text goes in: set the other
    /// way round, a one-line field would join the lines first.
    pub fn multiline(initial: &str) -> Self {
        let mut field = TextField {
            multiline: true,
            ..TextField::new("")
        };
        field.set(initial);
        field
    }

    pub fn text(&self) -> &str {
        &self.text
    }

    /// Replaces the text; the cursor goes to the end.
    pub fn set(&mut self, value: &str) {
        self.text.clear();
        self.cursor = 0;
        self.insert(value);
    }

    pub fn clear(&mut self) {
        self.set("");
    }

    pub fn cursor_to_end(&mut self) {
        self.cursor = self.text.len();
    }

    /// The text before the cursor: where the view puts the cursor.
    pub fn before_cursor(&self) -> &str {
        &self.text[..self.cursor]
    }

    pub fn insert(&mut self, value: &str) {
        let needed = self.text.len() + value.len();
        if needed > self.text.capacity() {
            // Grow by hand: a String's own growth frees the old buffer without wiping it.
            let mut bigger =
                Zeroizing::new(String::with_capacity(needed.max(self.text.capacity() * 2)));
            bigger.push_str(&self.text);
            self.text = bigger;
        }
        let value: String = if self.multiline {
            value.replace("\r\n", "\n")
        } else {
            value.replace(['\r', '\n'], " ")
        };
        self.text.insert_str(self.cursor, &value);
        self.cursor += value.len();
        zeroize::Zeroize::zeroize(&mut { value });
    }

    /// Applies an editing key; returns false for keys a field does not use.
    pub fn handle(&mut self, key: KeyEvent) -> bool {
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        match key.code {
            KeyCode::Char('u') if ctrl => self.clear(),
            KeyCode::Char(c) if !ctrl && !key.modifiers.contains(KeyModifiers::ALT) => {
                self.insert(c.encode_utf8(&mut [0; 4]));
            }
            KeyCode::Enter if self.multiline => self.insert("\n"),
            KeyCode::Backspace => {
                if let Some(c) = self.text[..self.cursor].chars().next_back() {
                    self.cursor -= c.len_utf8();
                    self.text.remove(self.cursor);
                }
            }
            KeyCode::Delete => {
                if self.cursor < self.text.len() {
                    self.text.remove(self.cursor);
                }
            }
            KeyCode::Left => {
                if let Some(c) = self.text[..self.cursor].chars().next_back() {
                    self.cursor -= c.len_utf8();
                }
            }
            KeyCode::Right => {
                if let Some(c) = self.text[self.cursor..].chars().next() {
                    self.cursor += c.len_utf8();
                }
            }
            KeyCode::Home => self.cursor = 0,
            KeyCode::End => self.cursor_to_end(),
            _ => return false,
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(code: KeyCode) -> KeyEvent {
        KeyEvent::new(code, KeyModifiers::NONE)
    }

    #[test]
    fn edits_at_the_cursor() {
        let mut field = TextField::new("héllo");
        assert_eq!(field.before_cursor(), "héllo");
        field.handle(key(KeyCode::Left));
        field.handle(key(KeyCode::Left));
        field.handle(key(KeyCode::Backspace));
        field.handle(key(KeyCode::Char('X')));
        assert_eq!(field.text(), "héXlo");
        field.handle(key(KeyCode::Home));
        field.handle(key(KeyCode::Delete));
        assert_eq!(field.text(), "éXlo");
        field.handle(KeyEvent::new(KeyCode::Char('u'), KeyModifiers::CONTROL));
        assert_eq!(field.text(), "");
        assert!(!field.handle(key(KeyCode::Enter)));
    }

    #[test]
    fn clearing_with_the_cursor_at_the_end_then_typing() {
        let mut field = TextField::new("secret");
        field.clear();
        field.handle(key(KeyCode::Char('x')));
        field.set("new");
        field.handle(key(KeyCode::Char('!')));
        assert_eq!(field.text(), "new!");
    }

    #[test]
    fn grows_without_losing_text_and_keeps_lines_only_when_multiline() {
        let mut field = TextField::new("");
        let long = "x".repeat(1000);
        field.insert(&long);
        assert_eq!(field.text(), long);
        field.set("a\nb");
        assert_eq!(field.text(), "a b");
        let mut notes = TextField::multiline("a");
        notes.handle(key(KeyCode::Enter));
        notes.handle(key(KeyCode::Char('b')));
        assert_eq!(notes.text(), "a\nb");
        assert_eq!(TextField::multiline("x\ny\r\nz").text(), "x\ny\nz");
    }
}
