//! Drawing: reads the state, never changes it. Each screen draws itself; this lays out the
//! screen and the status line under it.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

use super::app::{App, Screen};
use super::theme::Theme;
use super::widgets::{self, safe};

pub const MIN_WIDTH: u16 = 40;
pub const MIN_HEIGHT: u16 = 10;
/// The most rows the status line grows to for a long message.
const STATUS_ROWS: u16 = 3;

pub fn draw(app: &App, frame: &mut Frame, theme: Theme) {
    let area = frame.area();
    if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
        let text = format!("terminal too small: {MIN_WIDTH}x{MIN_HEIGHT} needed; Ctrl-C quits");
        frame.render_widget(Paragraph::new(text).wrap(Wrap { trim: true }), area);
        return;
    }
    let (body, status) = layout(app, area);
    let busy = app.busy.is_some();
    match &app.screen {
        Screen::Unlock(unlock) => unlock.draw(&app.paths, busy, frame, body, theme),
        Screen::Setup(setup) => setup.draw(&app.paths, busy, frame, body, theme),
        Screen::Main(main) => main.draw(app.clock, frame, body, theme),
    }
    if let Some(prompt) = &app.prompt {
        prompt.draw(frame, body, theme);
    }
    frame.render_widget(
        Paragraph::new(status_line(app, status.width, theme)).wrap(Wrap { trim: false }),
        status,
    );
}

/// The screen's body and the status line beneath it, which grows (up to 3 rows) to hold a
/// long message whole rather than cut it.
pub fn layout(app: &App, area: Rect) -> (Rect, Rect) {
    let rows = app.status.as_ref().map_or(1, |status| {
        let width = usize::from(area.width.max(1));
        let chars = widgets::width(&safe(&status.text)) + 1;
        u16::try_from(chars.div_ceil(width)).unwrap_or(STATUS_ROWS)
    });
    let rows = rows
        .clamp(1, STATUS_ROWS)
        .min(area.height.saturating_sub(1));
    let body = Rect {
        height: area.height - rows,
        ..area
    };
    let status = Rect {
        y: area.y + body.height,
        height: rows,
        ..area
    };
    (body, status)
}

/// The bottom line: what is happening, or the keys of the screen (from the key table), with
/// the vault's path at the right when there is room for it.
fn status_line(app: &App, width: u16, theme: Theme) -> Line<'static> {
    let width = usize::from(width);
    let mut line = if let Some(busy) = app.busy {
        Line::styled(format!(" {busy}…"), theme.label())
    } else if let Some(status) = &app.status {
        let style = if status.error {
            theme.error()
        } else {
            theme.ok()
        };
        return Line::styled(format!(" {}", safe(&status.text)), style);
    } else if let Some((what, until)) = app.copied.filter(|(_, until)| *until > app.now) {
        let left = until.saturating_duration_since(app.now).as_secs() + 1;
        Line::styled(
            format!(" {what} copied; clipboard cleared in {left} s"),
            theme.ok(),
        )
    } else {
        widgets::hint_line(app.mode(), width, theme)
    };
    let path = format!("{} ", safe(&app.paths.vault.display().to_string()));
    let room = width.saturating_sub(line.width() + 2);
    if widgets::width(&path) <= room {
        let pad = width - line.width() - widgets::width(&path);
        line.push_span(Span::raw(" ".repeat(pad)));
        line.push_span(Span::styled(path, theme.dim()));
    }
    line
}
