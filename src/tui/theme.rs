//! Styles, with colour only when the user has not asked for none (`NO_COLOR`).

use ratatui::style::{Color, Modifier, Style};

#[derive(Clone, Copy)]
pub struct Theme {
    color: bool,
}

impl Theme {
    pub fn from_env() -> Self {
        Theme {
            color: std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()),
        }
    }

    /// Colour whatever the environment says: for the screenshot.
    #[cfg(test)]
    pub fn colour() -> Self {
        Theme { color: true }
    }

    /// No colour: for tests, and for measuring text.
    pub fn plain() -> Self {
        Theme { color: false }
    }

    fn fg(self, color: Color) -> Style {
        if self.color {
            Style::new().fg(color)
        } else {
            Style::new()
        }
    }

    pub fn title(self) -> Style {
        self.fg(Color::Cyan).add_modifier(Modifier::BOLD)
    }

    #[allow(clippy::unused_self)] // reversed video reads the same with or without colour
    pub fn selected(self) -> Style {
        Style::new().add_modifier(Modifier::REVERSED)
    }

    pub fn dim(self) -> Style {
        if self.color {
            Style::new().fg(Color::DarkGray)
        } else {
            Style::new().add_modifier(Modifier::DIM)
        }
    }

    pub fn label(self) -> Style {
        self.fg(Color::Yellow)
    }

    pub fn key(self) -> Style {
        self.fg(Color::Cyan).add_modifier(Modifier::BOLD)
    }

    pub fn error(self) -> Style {
        self.fg(Color::Red).add_modifier(Modifier::BOLD)
    }

    pub fn ok(self) -> Style {
        self.fg(Color::Green)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_color_means_no_colour_but_still_emphasis() {
        let plain = Theme::plain();
        for style in [
            plain.title(),
            plain.dim(),
            plain.label(),
            plain.key(),
            plain.error(),
            plain.ok(),
        ] {
            assert_eq!(style.fg, None);
        }
        assert!(plain.selected().add_modifier.contains(Modifier::REVERSED));
        assert!(plain.error().add_modifier.contains(Modifier::BOLD));
        assert_eq!(Theme { color: true }.error().fg, Some(Color::Red));
    }
}
