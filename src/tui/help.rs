//! The help overlay: every key of every screen, from the one key table; it scrolls when the
//! screen is small.

use ratatui::Frame;
use ratatui::crossterm::event::KeyEvent;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

use super::keys::{self, Action, BINDINGS, Mode};
use super::theme::Theme;
use super::widgets;

#[derive(Default)]
pub struct Help {
    pub scroll: usize,
}

/// Rows PgUp/PgDn scroll.
const PAGE: usize = 8;

impl Help {
    /// `false`: the overlay closes. `area` is where it is drawn: how far it can scroll.
    pub fn key(&mut self, key: KeyEvent, area: Rect) -> bool {
        let last = geometry(area).3;
        match keys::action(Mode::Help, key) {
            Some(Action::Down) => self.scroll = (self.scroll + 1).min(last),
            Some(Action::Up) => self.scroll = self.scroll.saturating_sub(1),
            Some(Action::PageDown) => self.scroll = (self.scroll + PAGE).min(last),
            Some(Action::PageUp) => self.scroll = self.scroll.saturating_sub(PAGE),
            Some(Action::Close) => return false,
            _ => {}
        }
        true
    }

    pub fn draw(&self, frame: &mut Frame, area: Rect, theme: Theme) {
        let (box_area, rows, total, last) = geometry(area);
        let inner = widgets::frame_box(frame, box_area, "keys", theme);
        let scroll = self.scroll.min(last);
        let text = Paragraph::new(lines(theme))
            .wrap(Wrap { trim: false })
            .scroll((u16::try_from(scroll).unwrap_or(u16::MAX), 0));
        frame.render_widget(
            text,
            Rect {
                height: inner.height.saturating_sub(1),
                ..inner
            },
        );
        let footer = Rect {
            y: inner.bottom().saturating_sub(1),
            height: 1,
            ..inner
        };
        let more = if rows < total {
            format!(" {}/{} ", (scroll + rows).min(total), total)
        } else {
            String::new()
        };
        let mut hints = widgets::hint_spans(
            [("j k", "scroll"), ("Esc", "close")].into_iter(),
            usize::from(inner.width).saturating_sub(more.len()),
            theme,
        );
        hints.push_span(Span::styled(more, theme.dim()));
        frame.render_widget(Paragraph::new(hints), footer);
    }
}

/// Where the overlay goes in `area`: its box, the rows of text it shows, the rows the text
/// takes wrapped, and the furthest it scrolls.
fn geometry(area: Rect) -> (Rect, usize, usize, usize) {
    let width = 70.min(area.width);
    let total = usize::from(widgets::wrapped_height(&lines(Theme::plain()), width - 2));
    let box_area = widgets::centered(area, width, u16::try_from(total + 3).unwrap_or(u16::MAX));
    let rows = usize::from(box_area.height.saturating_sub(3));
    (box_area, rows, total, total.saturating_sub(rows))
}

/// The key table as the overlay shows it: a heading a mode, a line a binding.
fn lines(theme: Theme) -> Vec<Line<'static>> {
    let mut lines = Vec::new();
    for mode in Mode::ALL {
        if !lines.is_empty() {
            lines.push(Line::raw(""));
        }
        lines.push(Line::styled(mode.title(), theme.title()));
        for b in BINDINGS.iter().filter(|b| b.mode == mode) {
            lines.push(Line::from(vec![
                Span::styled(format!("  {:9}", b.label), theme.key()),
                Span::raw(b.help),
            ]));
        }
        if mode == Mode::Main {
            lines.push(Line::styled(
                "  marks: w weak, r reused, o old, b breached (vault audit), ! conflict",
                theme.dim(),
            ));
            lines.push(Line::styled(
                "  mouse: a click selects, the wheel moves",
                theme.dim(),
            ));
        }
        if mode == Mode::Form {
            lines.push(Line::styled(
                "  in any field: ← → Home End move, Backspace Delete, ^U clears",
                theme.dim(),
            ));
        }
    }
    lines
}
