//! What every screen draws with: a box sized to its content, a hint bar cut from the key table
//! to the room there is, text cut with an ellipsis, a labelled text field, safe vault text.

use std::borrow::Cow;

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph, Wrap};

use super::input::TextField;
use super::keys::{self, Mode};
use super::theme::Theme;
use vault::text::printable;

/// Text from the vault (a name, a username, an error quoting one), made safe to show: control
/// and invisible format characters escaped (`bank\u{202e}gnp.exe`), never obeyed.
pub fn safe(text: &str) -> Cow<'_, str> {
    printable(text, false)
}

/// Display width of a string in cells.
pub fn width(text: &str) -> usize {
    Span::raw(text).width()
}

/// `text` cut to `room` cells, its end replaced by `…` when it does not fit.
pub fn ellipsis(text: &str, room: usize) -> Cow<'_, str> {
    if width(text) <= room {
        return Cow::Borrowed(text);
    }
    let mut out = String::new();
    let mut used = 0;
    for ch in text.chars() {
        let w = width(ch.encode_utf8(&mut [0; 4]));
        if used + w + 1 > room {
            break;
        }
        out.push(ch);
        used += w;
    }
    if room > 0 {
        out.push('…');
    }
    Cow::Owned(out)
}

/// As [`ellipsis`], keeping a borrowed text borrowed when it fits.
pub fn cut(text: Cow<'_, str>, room: usize) -> Cow<'_, str> {
    if width(&text) <= room {
        text
    } else {
        Cow::Owned(ellipsis(&text, room).into_owned())
    }
}

pub fn centered(area: Rect, width: u16, height: u16) -> Rect {
    let width = width.min(area.width);
    let height = height.min(area.height);
    Rect {
        x: area.x + (area.width - width) / 2,
        y: area.y + (area.height - height) / 2,
        width,
        height,
    }
}

/// How many rows `lines` take when wrapped to `width` cells.
pub fn wrapped_height(lines: &[Line], width: u16) -> u16 {
    let width = usize::from(width.max(1));
    let rows: usize = lines.iter().map(|l| l.width().max(1).div_ceil(width)).sum();
    u16::try_from(rows).unwrap_or(u16::MAX)
}

/// A bordered box at most `max_width` wide, as tall as `lines` need (never taller than the
/// screen), centred, with `lines` in it. Returns the inside, for a cursor.
pub fn dialog(
    frame: &mut Frame,
    area: Rect,
    title: &str,
    max_width: u16,
    lines: Vec<Line>,
    theme: Theme,
) -> Rect {
    let outer_width = max_width.min(area.width);
    let height = wrapped_height(&lines, outer_width.saturating_sub(2)) + 2;
    let box_area = centered(area, outer_width, height);
    let inner = frame_box(frame, box_area, title, theme);
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), inner);
    inner
}

/// Clears `area`, draws a titled border round it (the title cut to fit) and returns the inside.
pub fn frame_box(frame: &mut Frame, area: Rect, title: &str, theme: Theme) -> Rect {
    frame.render_widget(Clear, area);
    // Two corners and a space each side of the title.
    let room = usize::from(area.width.saturating_sub(4));
    let title = ellipsis(&safe(title), room).into_owned();
    let block = Block::bordered().title(Span::styled(format!(" {title} "), theme.title()));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    inner
}

/// The hint bar of `mode`: as many of its hints as fit in `room` cells, in the table's order.
pub fn hint_line(mode: Mode, room: usize, theme: Theme) -> Line<'static> {
    hint_spans(keys::hints(mode), room, theme)
}

pub fn hint_spans(
    hints: impl Iterator<Item = (&'static str, &'static str)>,
    room: usize,
    theme: Theme,
) -> Line<'static> {
    let mut spans = Vec::new();
    let mut used = 0;
    for (key, what) in hints {
        let cost = width(key) + width(what) + 3;
        if used + cost > room {
            break;
        }
        used += cost;
        spans.push(Span::styled(format!(" {key}"), theme.key()));
        spans.push(Span::raw(format!(" {what} ")));
    }
    Line::from(spans)
}

/// A masked value: one bullet a character, so the cursor moves as typing does.
pub fn masked(field: &TextField) -> String {
    "•".repeat(field.text().chars().count())
}

/// One labelled text field (labels are `label_width` wide); the cursor's place when focused,
/// given the row it lands on.
pub fn field_line<'a>(
    label: &'a str,
    label_width: usize,
    field: &TextField,
    hidden: bool,
    focused: bool,
    theme: Theme,
) -> (Line<'a>, Option<u16>) {
    let style = if focused { theme.key() } else { theme.label() };
    let value = if hidden {
        masked(field)
    } else {
        safe(field.text()).into_owned()
    };
    let line = Line::from(vec![
        Span::styled(format!("{label:label_width$}"), style),
        Span::raw(value),
    ]);
    let column = if hidden {
        field.before_cursor().chars().count()
    } else {
        width(&safe(field.before_cursor()))
    };
    let cursor = focused.then(|| u16::try_from(label_width + column).unwrap_or(u16::MAX));
    (line, cursor)
}

/// Puts the cursor at `column` of row `row` inside `inner`, kept within it.
pub fn set_cursor(frame: &mut Frame, inner: Rect, column: u16, row: u16) {
    let x = (inner.x + column).min(inner.right().saturating_sub(1));
    let y = (inner.y + row).min(inner.bottom().saturating_sub(1));
    frame.set_cursor_position((x, y));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ellipsis_cuts_long_text_only() {
        assert_eq!(ellipsis("bank", 4), "bank");
        assert_eq!(ellipsis("bank/checking", 6), "bank/…");
        assert_eq!(ellipsis("日本語", 4), "日…");
    }

    #[test]
    fn safe_escapes_what_disguises_a_name() {
        assert_eq!(safe("bank\u{202e}gnp.exe"), "bank\\u{202e}gnp.exe");
        assert_eq!(safe("a\u{200b}b"), "a\\u{200b}b");
    }
}
