//! `assets/tui.svg`, the README's picture: the real frame (a `TestBackend` buffer, drawn by
//! the same code as on a terminal) written as SVG with its colours. `scripts/screenshot.sh`
//! makes it again after the screen changes.

use std::fmt::Write as _;

use ratatui::buffer::Buffer;
use ratatui::style::{Color, Modifier};

/// A cell's size in the picture, in pixels.
const CELL_W: f32 = 8.4;
const CELL_H: f32 = 18.0;
const FG: &str = "#d4d4d4";
const BG: &str = "#1e1e1e";

fn hex(color: Color, default: &'static str) -> String {
    match color {
        Color::Reset | Color::Indexed(_) => default,
        Color::Black => "#1e1e1e",
        Color::Red | Color::LightRed => "#f14c4c",
        Color::Green | Color::LightGreen => "#23d18b",
        Color::Yellow | Color::LightYellow => "#e5c07b",
        Color::Blue | Color::LightBlue => "#3b8eea",
        Color::Magenta | Color::LightMagenta => "#d670d6",
        Color::Cyan | Color::LightCyan => "#29b8db",
        Color::Gray => "#c0c0c0",
        Color::DarkGray => "#767676",
        Color::White => "#f2f2f2",
        Color::Rgb(r, g, b) => return format!("#{r:02x}{g:02x}{b:02x}"),
    }
    .to_owned()
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// The buffer as an SVG picture: a rectangle a run of cells with one background, a `<text>` a
/// run with one style, each stretched to its cells so the grid stays exact.
pub fn svg(buffer: &Buffer) -> String {
    let area = buffer.area;
    let (width, height) = (
        f32::from(area.width) * CELL_W + 16.0,
        f32::from(area.height) * CELL_H + 16.0,
    );
    let mut out = String::new();
    writeln!(
        out,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" font-family="'DejaVu Sans Mono', 'Menlo', 'Consolas', monospace" font-size="14">"#
    )
    .ok();
    writeln!(
        out,
        r#"<rect width="100%" height="100%" rx="6" fill="{BG}"/>"#
    )
    .ok();
    writeln!(
        out,
        r#"<g transform="translate(8 8)" xml:space="preserve">"#
    )
    .ok();
    for y in 0..area.height {
        let mut x = 0;
        while x < area.width {
            let cell = &buffer[(x, y)];
            let style = (cell.fg, cell.bg, cell.modifier);
            let start = x;
            let mut text = String::new();
            while x < area.width {
                let c = &buffer[(x, y)];
                if (c.fg, c.bg, c.modifier) != style {
                    break;
                }
                text.push_str(c.symbol());
                x += 1;
            }
            let (mut fg, mut bg) = (hex(style.0, FG), hex(style.1, BG));
            if style.2.contains(Modifier::REVERSED) {
                std::mem::swap(&mut fg, &mut bg);
            }
            let run = f32::from(x - start) * CELL_W;
            let (left, top) = (f32::from(start) * CELL_W, f32::from(y) * CELL_H);
            if bg != BG {
                writeln!(
                    out,
                    r#"<rect x="{left}" y="{top}" width="{run}" height="{CELL_H}" fill="{bg}"/>"#
                )
                .ok();
            }
            if text.trim().is_empty() {
                continue;
            }
            let weight = if style.2.contains(Modifier::BOLD) {
                r#" font-weight="bold""#
            } else {
                ""
            };
            let opacity = if style.2.contains(Modifier::DIM) {
                r#" opacity="0.6""#
            } else {
                ""
            };
            writeln!(
                out,
                r#"<text x="{left}" y="{}" fill="{fg}"{weight}{opacity} textLength="{run}" lengthAdjust="spacingAndGlyphs">{}</text>"#,
                top + CELL_H * 0.75,
                escape(&text)
            )
            .ok();
        }
    }
    out.push_str("</g>\n</svg>\n");
    out
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use ratatui::Terminal;
    use ratatui::backend::TestBackend;

    use super::*;
    use crate::tui::app::App;
    use crate::tui::effects::Paths;
    use crate::tui::theme::Theme;
    use crate::tui::view::draw;
    use vault::document::{Document, Entry, Recipient};
    use vault::secret::Secret;

    /// A vault as an operator's might look: groups, a TOTP key, a field of its own, tags.
    fn demo() -> App {
        let mut doc = Document::new(vec![Recipient::new(
            "operator",
            "age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p",
        )]);
        for (name, user, url) in [
            ("bank/checking", "dustin", "https://bank.example/login"),
            ("bank/savings", "dustin", "https://bank.example/login"),
            ("cloud/aws/ci-deploy", "ci", "https://signin.aws.amazon.com"),
            (
                "cloud/aws/root",
                "ops@example.org",
                "https://signin.aws.amazon.com",
            ),
            ("db/prod", "postgres", "postgres://db.internal:5432"),
            ("mail", "dustin@example.org", "https://mail.example.org"),
            ("wifi/home", "", ""),
        ] {
            let mut entry = Entry::new("2026-11-20T09:30:00Z");
            entry.username = user.into();
            entry.url = url.into();
            entry.password = Secret::from("Xq3!vL9#mP2$wR7&tZ");
            doc.entries.insert(name.into(), entry);
        }
        let checking = doc.entries.get_mut("bank/checking").unwrap();
        checking.totp = Secret::from("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ");
        checking.fields.insert("pin".into(), Secret::from("2468"));
        checking.tags = vec!["money".into(), "weekly".into()];
        checking.notes = Secret::from("Card blocked? Call +1 555 0100.");
        let identity = crate::tui::tests::identity();
        let paths = Paths {
            vault: "~/.local/share/vault/vault.age".into(),
            identity: "~/.config/vault/identity".into(),
            agent: None,
        };
        let mut app = App::opened(paths, Duration::from_secs(300), identity, doc);
        app.clock = 1_764_410_400 + 12;
        app
    }

    /// Writes `assets/tui.svg`; run by `scripts/screenshot.sh`.
    #[test]
    #[ignore = "writes assets/tui.svg: scripts/screenshot.sh runs it"]
    fn write_the_screenshot() {
        let app = demo();
        let mut terminal = Terminal::new(TestBackend::new(96, 22)).unwrap();
        terminal
            .draw(|frame| draw(&app, frame, Theme::colour()))
            .unwrap();
        let picture = svg(terminal.backend().buffer());
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/tui.svg");
        std::fs::write(&path, picture).unwrap();
    }

    #[test]
    fn the_picture_holds_the_frame_and_its_colours() {
        let app = demo();
        let mut terminal = Terminal::new(TestBackend::new(80, 24)).unwrap();
        terminal
            .draw(|frame| draw(&app, frame, Theme::colour()))
            .unwrap();
        let picture = svg(terminal.backend().buffer());
        assert!(picture.starts_with("<svg"));
        assert!(picture.contains(">checking</text>") || picture.contains("checking"));
        assert!(picture.contains("#29b8db"), "the titles' cyan");
        assert!(!picture.contains("Xq3!vL9"), "no password in the picture");
    }
}
