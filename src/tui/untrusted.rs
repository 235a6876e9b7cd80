//! The warning shown before a vault no trusted writer signed: who signed it, what differs from
//! the last version a trusted writer signed, and that it opens read-only. Any key goes on.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::Line;

use super::effects::Untrusted;
use super::theme::Theme;
use super::widgets::{self, safe};

pub fn draw(untrusted: &Untrusted, frame: &mut Frame, area: Rect, theme: Theme) {
    let mut lines = vec![
        Line::styled(
            format!(
                "Not written by a writer you trust: {}.",
                safe(&untrusted.signer)
            ),
            theme.error(),
        ),
        Line::raw(""),
    ];
    let recipient_lines = |title: &str, list: &[String], lines: &mut Vec<Line>| {
        if !list.is_empty() {
            lines.push(Line::styled(title.to_owned(), theme.label()));
            lines.extend(list.iter().map(|r| Line::raw(format!("  {}", safe(r)))));
        }
    };
    if untrusted.compared {
        recipient_lines(
            "Recipients added since the last version you trust:",
            &untrusted.added,
            &mut lines,
        );
        recipient_lines("Recipients removed:", &untrusted.removed, &mut lines);
        if untrusted.added.is_empty() && untrusted.removed.is_empty() {
            lines.push(Line::raw(
                "Its recipients are those of the last version you trust.",
            ));
        }
    } else {
        recipient_lines(
            "It is encrypted to (no trusted version to compare with):",
            &untrusted.added,
            &mut lines,
        );
    }
    lines.push(Line::raw(""));
    lines.push(Line::raw(
        "It opens read-only. If you know where it came from, adopt it with vault trust accept.",
    ));
    lines.push(Line::styled("Esc or Enter: continue", theme.dim()));
    widgets::dialog(frame, area, "untrusted vault", 70, lines, theme);
}
