//! Drawing: reads the state, never changes it.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span, Text};
use ratatui::widgets::{Block, Clear, List, ListItem, ListState, Paragraph, Wrap};

use super::app::{App, Main, Overlay, Screen, Setup, Unlock};
use super::effects::Untrusted;
use super::form::{self, Form};
use super::input::TextField;
use super::keys::BINDINGS;
use super::recipients::Recipients;
use super::theme::Theme;
use vault::crypto;
use vault::document::Entry;
use vault::text::printable;

pub const MIN_WIDTH: u16 = 40;
pub const MIN_HEIGHT: u16 = 10;

pub fn draw(app: &App, frame: &mut Frame, theme: Theme) {
    let area = frame.area();
    if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
        let text = format!("terminal too small: {MIN_WIDTH}x{MIN_HEIGHT} needed; Ctrl-C quits");
        frame.render_widget(Paragraph::new(text).wrap(Wrap { trim: true }), area);
        return;
    }
    let [body, status] = Layout::vertical([Constraint::Min(1), Constraint::Length(1)]).areas(area);
    match &app.screen {
        Screen::Unlock(unlock) => draw_unlock(app, unlock, frame, body, theme),
        Screen::Setup(setup) => draw_setup(app, setup, frame, body, theme),
        Screen::Main(main) => draw_main(main, app.clock, frame, body, theme),
    }
    draw_status(app, frame, status, theme);
}

/// The bottom line: what is happening, or the main keys; the vault's path at the right when
/// there is room for it.
fn draw_status(app: &App, frame: &mut Frame, area: Rect, theme: Theme) {
    let mut spans = Vec::new();
    if let Some(busy) = app.busy {
        spans.push(Span::styled(format!(" {busy}…"), theme.label()));
    } else if let Some(status) = &app.status {
        let style = if status.error {
            theme.error()
        } else {
            theme.ok()
        };
        spans.push(Span::styled(
            format!(" {}", printable(&status.text, false)),
            style,
        ));
    } else if let Some((what, until)) = app
        .copied
        .filter(|(_, until)| *until > std::time::Instant::now())
    {
        let left = until
            .saturating_duration_since(std::time::Instant::now())
            .as_secs()
            + 1;
        spans.push(Span::styled(
            format!(" {what} copied; clipboard cleared in {left} s"),
            theme.ok(),
        ));
    } else if let Screen::Main(main) = &app.screen {
        let hints: &[(&str, &str)] = if main.filtering {
            &[("Enter", "keep"), ("Esc", "clear")]
        } else {
            &[
                ("?", "help"),
                ("/", "filter"),
                ("a", "add"),
                ("e", "edit"),
                ("d", "delete"),
                ("r", "reveal"),
                ("q", "quit"),
            ]
        };
        spans.extend(hint_spans(hints, theme));
    }
    let line = Line::from(spans);
    let path = format!("{} ", app.paths.vault.display());
    let room = usize::from(area.width).saturating_sub(line.width() + 2);
    if path.chars().count() <= room {
        let path = Line::styled(path, theme.dim()).right_aligned();
        frame.render_widget(Paragraph::new(path), area);
    }
    frame.render_widget(Paragraph::new(line), area);
}

fn hint_spans(hints: &[(&str, &str)], theme: Theme) -> Vec<Span<'static>> {
    hints
        .iter()
        .flat_map(|(key, what)| {
            [
                Span::styled(format!(" {key}"), theme.key()),
                Span::raw(format!(" {what} ")),
            ]
        })
        .collect()
}

fn centered(area: Rect, width: u16, height: u16) -> Rect {
    let width = width.min(area.width);
    let height = height.min(area.height);
    Rect {
        x: area.x + (area.width - width) / 2,
        y: area.y + (area.height - height) / 2,
        width,
        height,
    }
}

fn popup<'a>(frame: &mut Frame, area: Rect, title: &'a str, theme: Theme) -> (Rect, Block<'a>) {
    frame.render_widget(Clear, area);
    let block = Block::bordered().title(Span::styled(format!(" {title} "), theme.title()));
    (block.inner(area), block)
}

fn masked(field: &TextField) -> String {
    "•".repeat(field.text().chars().count())
}

fn draw_unlock(app: &App, unlock: &Unlock, frame: &mut Frame, area: Rect, theme: Theme) {
    let box_area = centered(area, 64, 9);
    let (inner, block) = popup(
        frame,
        box_area,
        if unlock.locked {
            "vault is locked"
        } else {
            "vault"
        },
        theme,
    );
    frame.render_widget(block, box_area);
    let mut lines = vec![Line::from(vec![
        Span::styled("vault     ", theme.label()),
        Span::raw(app.paths.vault.display().to_string()),
    ])];
    lines.push(Line::from(vec![
        Span::styled("identity  ", theme.label()),
        Span::raw(app.paths.identity.display().to_string()),
    ]));
    lines.push(Line::raw(""));
    if unlock.needs_passphrase {
        lines.push(Line::from(vec![
            Span::styled("passphrase ", theme.label()),
            Span::raw(masked(&unlock.passphrase)),
        ]));
    } else if app.busy.is_none() {
        lines.push(Line::raw(if unlock.locked {
            "press Enter to unlock"
        } else {
            "press Enter to try again"
        }));
    }
    if let Some(error) = &unlock.error {
        lines.push(Line::styled(
            printable(error, false).into_owned(),
            theme.error(),
        ));
    }
    lines.push(Line::from(hint_spans(
        &[("Enter", "unlock"), ("Esc", "quit")],
        theme,
    )));
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: true }), inner);
    if unlock.needs_passphrase && app.busy.is_none() {
        let x = inner.x + 11 + u16::try_from(unlock.passphrase.text().chars().count()).unwrap_or(0);
        frame.set_cursor_position((x.min(inner.right().saturating_sub(1)), inner.y + 3));
    }
}

fn draw_setup(app: &App, setup: &Setup, frame: &mut Frame, area: Rect, theme: Theme) {
    let box_area = centered(area, 70, 12);
    let (inner, block) = popup(frame, box_area, "new vault", theme);
    frame.render_widget(block, box_area);
    let mut lines = vec![Line::raw(format!(
        "No vault at {} yet.",
        app.paths.vault.display()
    ))];
    let mut cursor = None;
    if setup.identity.is_some() {
        lines.push(Line::raw(format!(
            "Create one, encrypted to {}?",
            app.paths.identity.display()
        )));
        lines.push(Line::raw(""));
        lines.push(Line::from(hint_spans(
            &[("Enter", "create"), ("Esc", "quit")],
            theme,
        )));
    } else {
        lines.push(Line::raw(format!(
            "Create it, with a new identity at {}.",
            app.paths.identity.display()
        )));
        lines.push(Line::raw("Choose the identity's passphrase:"));
        lines.push(Line::raw(""));
        for (i, (label, field)) in [
            ("passphrase ", &setup.passphrase),
            ("again      ", &setup.repeat),
        ]
        .into_iter()
        .enumerate()
        {
            let style = if setup.focus == i {
                theme.key()
            } else {
                theme.label()
            };
            lines.push(Line::from(vec![
                Span::styled(label, style),
                Span::raw(masked(field)),
            ]));
            if setup.focus == i {
                let y = inner.y + u16::try_from(lines.len() - 1).unwrap_or(0);
                cursor = Some((
                    inner.x + 11 + u16::try_from(field.text().chars().count()).unwrap_or(0),
                    y,
                ));
            }
        }
        if let Some(error) = &setup.error {
            lines.push(Line::styled(error.clone(), theme.error()));
        }
        lines.push(Line::from(hint_spans(
            &[("Tab", "next"), ("Enter", "create"), ("Esc", "quit")],
            theme,
        )));
    }
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: true }), inner);
    if let Some((x, y)) = cursor.filter(|_| app.busy.is_none()) {
        frame.set_cursor_position((x.min(inner.right().saturating_sub(1)), y));
    }
}

fn draw_main(main: &Main, clock: u64, frame: &mut Frame, area: Rect, theme: Theme) {
    let [list_area, detail_area] =
        Layout::horizontal([Constraint::Percentage(35), Constraint::Percentage(65)]).areas(area);
    draw_list(main, frame, list_area, theme);
    draw_details(main, clock, frame, detail_area, theme);
    match &main.overlay {
        None => {}
        Some(Overlay::Help) => draw_help(frame, area, theme),
        Some(Overlay::ConfirmDelete(name)) => {
            draw_question(
                frame,
                area,
                "delete",
                &format!("Delete '{}'? y/n", printable(name, false)),
                theme,
            );
        }
        Some(Overlay::ConfirmDiscard(_)) => {
            draw_question(frame, area, "discard", "Discard your changes? y/n", theme);
        }
        Some(Overlay::Conflict { message, .. }) => {
            let text = format!("{message}.\nRead the vault again (your edit is dropped)? y/n");
            draw_question(frame, area, "changed meanwhile", &text, theme);
        }
        Some(Overlay::Untrusted(untrusted)) => draw_untrusted(untrusted, frame, area, theme),
        Some(Overlay::Form(form)) => draw_form(form, frame, area, theme),
        Some(Overlay::Recipients(view)) => draw_recipients(main, view, frame, area, theme),
    }
}

fn draw_list(main: &Main, frame: &mut Frame, area: Rect, theme: Theme) {
    let title = format!(
        " entries {}/{}{} ",
        main.visible.len(),
        main.doc.entries.len(),
        if main.read_only.is_some() {
            " · read-only"
        } else {
            ""
        }
    );
    let block = Block::bordered().title(Span::styled(title, theme.title()));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let (filter_area, rows) = if main.filtering || !main.filter.is_empty() {
        let [f, rows] = Layout::vertical([Constraint::Length(1), Constraint::Min(0)]).areas(inner);
        (Some(f), rows)
    } else {
        (None, inner)
    };
    if let Some(filter_area) = filter_area {
        let line = Line::from(vec![
            Span::styled("/", theme.key()),
            Span::raw(printable(&main.filter, false).into_owned()),
        ]);
        frame.render_widget(Paragraph::new(line), filter_area);
        if main.filtering {
            let x = filter_area.x
                + 1
                + u16::try_from(Span::raw(main.filter.as_str()).width()).unwrap_or(0);
            frame
                .set_cursor_position((x.min(filter_area.right().saturating_sub(1)), filter_area.y));
        }
    }
    if main.visible.is_empty() {
        let text = if main.doc.entries.is_empty() {
            "no entries yet: a adds one"
        } else {
            "nothing matches"
        };
        frame.render_widget(Paragraph::new(Span::styled(text, theme.dim())), rows);
        return;
    }
    // Only the rows on screen become list items: a frame costs the same for 10 or 10,000
    // entries. The window keeps the selection on screen, as low as it has gone.
    let height = usize::from(rows.height).max(1);
    let first = main.selected.saturating_sub(height - 1);
    let items: Vec<ListItem> = main
        .visible
        .iter()
        .skip(first)
        .take(height)
        .map(|name| {
            // Groups read as a dim prefix: "bank/" checking.
            let shown = printable(name, false);
            let mut line = match shown.rfind('/') {
                Some(i) => Line::from(vec![
                    Span::styled(shown[..=i].to_owned(), theme.dim()),
                    Span::raw(shown[i + 1..].to_owned()),
                ]),
                None => Line::raw(shown.into_owned()),
            };
            // A mark for what `vault audit` would say: w weak, r reused, o old.
            if let Some(findings) = main.findings.get(name) {
                line.push_span(Span::styled(format!(" {}", marks(findings)), theme.error()));
            }
            ListItem::new(line)
        })
        .collect();
    let list = List::new(items).highlight_style(theme.selected());
    let mut state = ListState::default().with_selected(Some(main.selected - first));
    frame.render_stateful_widget(list, rows, &mut state);
}

/// One letter a finding: w weak, r reused, o old, b breached.
fn marks(findings: &[vault::audit::Finding]) -> String {
    use vault::audit::Finding;
    findings
        .iter()
        .map(|f| match f {
            Finding::Weak => 'w',
            Finding::Reused => 'r',
            Finding::Old => 'o',
            Finding::Breached => 'b',
        })
        .collect()
}

fn draw_details(main: &Main, clock: u64, frame: &mut Frame, area: Rect, theme: Theme) {
    let Some(name) = main.selected_name() else {
        frame.render_widget(Block::bordered(), area);
        return;
    };
    let entry = &main.doc.entries[name];
    let block = Block::bordered().title(Span::styled(
        format!(" {} ", printable(name, false)),
        theme.title(),
    ));
    let lines = detail_lines(entry, main.revealed, clock, theme);
    frame.render_widget(
        Paragraph::new(Text::from(lines))
            .block(block)
            .wrap(Wrap { trim: false }),
        area,
    );
}

fn detail_lines(entry: &Entry, revealed: bool, clock: u64, theme: Theme) -> Vec<Line<'static>> {
    let rows = vault::text::entry_rows(entry, revealed);
    let width = rows
        .iter()
        .map(|(k, _)| k.chars().count())
        .max()
        .unwrap_or(0)
        .max(8);
    let mut lines: Vec<Line> = rows
        .into_iter()
        .map(|(key, value)| {
            Line::from(vec![
                Span::styled(
                    format!("{:width$}  ", printable(&key, false)),
                    theme.label(),
                ),
                Span::raw(printable(&value, false).into_owned()),
            ])
        })
        .collect();
    if !entry.totp.is_empty() {
        // After username and password: the code is what a login asks for next.
        let at = lines.len().min(2);
        lines.insert(at, otp_line(entry, clock, width, theme));
    }
    if !entry.notes.is_empty() {
        lines.push(Line::raw(""));
        lines.push(Line::styled("notes", theme.label()));
        for line in printable(entry.notes.expose(), true).lines() {
            lines.push(Line::raw(line.to_owned()));
        }
    }
    if !revealed {
        lines.push(Line::raw(""));
        lines.push(Line::styled("r reveals the password", theme.dim()));
    }
    lines
}

/// `otp       287 082  ━━━━━━──── 17s`: the current code, and a bar that empties as it expires.
fn otp_line(entry: &Entry, clock: u64, width: usize, theme: Theme) -> Line<'static> {
    const BAR: u64 = 10;
    let label = Span::styled(format!("{:width$}  ", "otp"), theme.label());
    match vault::otp::code_at(entry.totp.expose(), clock) {
        Ok(code) => {
            let digits = code.digits.as_str();
            let (head, tail) = digits.split_at(digits.len() / 2);
            let full =
                usize::try_from((code.seconds_left * BAR).div_ceil(code.period)).unwrap_or(0);
            let empty = usize::try_from(BAR).unwrap_or(0) - full;
            Line::from(vec![
                label,
                Span::styled(format!("{head} {tail}  "), theme.title()),
                Span::styled("━".repeat(full), theme.ok()),
                Span::styled("─".repeat(empty), theme.dim()),
                Span::styled(format!(" {}s", code.seconds_left), theme.dim()),
            ])
        }
        Err(reason) => Line::from(vec![label, Span::styled(reason.to_string(), theme.error())]),
    }
}

fn draw_question(frame: &mut Frame, area: Rect, title: &str, text: &str, theme: Theme) {
    let box_area = centered(area, 60, 6);
    let (inner, block) = popup(frame, box_area, title, theme);
    frame.render_widget(block, box_area);
    frame.render_widget(
        Paragraph::new(text.to_owned()).wrap(Wrap { trim: true }),
        inner,
    );
}

/// The warning shown before a vault no trusted writer signed: who signed it, what differs from
/// the last version a trusted writer signed, and that it opens read-only.
fn draw_untrusted(untrusted: &Untrusted, frame: &mut Frame, area: Rect, theme: Theme) {
    let mut lines = vec![
        Line::styled(
            format!(
                "Not written by a writer you trust: {}.",
                printable(&untrusted.signer, false)
            ),
            theme.error(),
        ),
        Line::raw(""),
    ];
    let recipient_lines = |title: &str, list: &[String], lines: &mut Vec<Line>| {
        if !list.is_empty() {
            lines.push(Line::styled(title.to_owned(), theme.label()));
            lines.extend(
                list.iter()
                    .map(|r| Line::raw(format!("  {}", printable(r, false)))),
            );
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
    let height = u16::try_from(lines.len() + 4).unwrap_or(u16::MAX);
    let box_area = centered(area, 70, height);
    let (inner, block) = popup(frame, box_area, "untrusted vault", theme);
    frame.render_widget(block, box_area);
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), inner);
}

fn draw_help(frame: &mut Frame, area: Rect, theme: Theme) {
    let box_area = centered(area, 66, 23);
    let (inner, block) = popup(frame, box_area, "keys", theme);
    frame.render_widget(block, box_area);
    let mut lines: Vec<Line> = BINDINGS
        .iter()
        .map(|b| {
            Line::from(vec![
                Span::styled(format!("{:10}", b.label), theme.key()),
                Span::raw(b.help),
            ])
        })
        .collect();
    lines.push(Line::styled(
        "marks in the list: w weak, r reused, o old (vault audit)",
        theme.dim(),
    ));
    lines.push(Line::styled(
        "in a form: Tab/Shift-Tab move, Enter or Ctrl-S save,",
        theme.dim(),
    ));
    lines.push(Line::styled(
        "Ctrl-G generate, Ctrl-R show the password, Esc cancel",
        theme.dim(),
    ));
    frame.render_widget(Paragraph::new(lines), inner);
}

fn draw_form(form: &Form, frame: &mut Frame, area: Rect, theme: Theme) {
    let box_area = centered(area, 72, 16);
    let title = form.title();
    let (inner, block) = popup(frame, box_area, &title, theme);
    frame.render_widget(block, box_area);
    let label_width = 10u16;
    let mut y = inner.y;
    let mut cursor = None;
    for (i, label) in form::LABELS.iter().enumerate() {
        let field = &form.fields[i];
        let height = if i == form::NOTES { 4 } else { 1 };
        let row = Rect {
            x: inner.x,
            y,
            width: inner.width,
            height: height.min(inner.bottom().saturating_sub(y)),
        };
        y += height;
        let style = if form.focus == i {
            theme.key()
        } else {
            theme.label()
        };
        let hidden = i == form::PASSWORD && !form.show_password;
        let value = if hidden {
            masked(field)
        } else {
            printable(field.text(), i == form::NOTES).into_owned()
        };
        let [label_area, value_area] =
            Layout::horizontal([Constraint::Length(label_width), Constraint::Min(1)]).areas(row);
        frame.render_widget(Paragraph::new(Span::styled(*label, style)), label_area);
        frame.render_widget(Paragraph::new(value), value_area);
        if form.focus == i {
            let before = field.before_cursor();
            let (line, column) = match before.rsplit_once('\n') {
                Some((head, tail)) => (head.matches('\n').count() + 1, tail),
                None => (0, before),
            };
            let column = if hidden {
                column.chars().count()
            } else {
                Span::raw(column).width()
            };
            let x = value_area.x + u16::try_from(column).unwrap_or(0);
            let y = value_area.y + u16::try_from(line).unwrap_or(0);
            cursor = Some((
                x.min(value_area.right().saturating_sub(1)),
                y.min(value_area.bottom().saturating_sub(1)),
            ));
        }
    }
    let mut lines = Vec::new();
    if let Some(error) = &form.error {
        lines.push(Line::styled(
            printable(error, false).into_owned(),
            theme.error(),
        ));
    }
    lines.push(Line::from(hint_spans(
        &[
            ("Tab", "next"),
            ("Enter", "save"),
            ("^G", "generate"),
            ("^R", "show"),
            ("Esc", "cancel"),
        ],
        theme,
    )));
    let rest = Rect {
        x: inner.x,
        y: y + 1,
        width: inner.width,
        height: inner.bottom().saturating_sub(y + 1),
    };
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: true }), rest);
    if let Some(position) = cursor {
        frame.set_cursor_position(position);
    }
}

/// What a scoped recipient is granted (it reads only that, from its own file); empty for a full
/// one.
fn scope_note(recipient: &vault::document::Recipient) -> String {
    recipient
        .only
        .as_ref()
        .map(|only| printable(&format!("  only: {}", only.join(", ")), false).into_owned())
        .unwrap_or_default()
}

/// One labelled text field of a window (labels are 10 columns wide); the cursor's place when
/// it has the focus.
fn field_line(
    lines: &mut Vec<Line<'_>>,
    label: &'static str,
    field: &TextField,
    focused: bool,
    inner: Rect,
    theme: Theme,
) -> Option<(u16, u16)> {
    let style = if focused { theme.key() } else { theme.label() };
    lines.push(Line::from(vec![
        Span::styled(label, style),
        Span::raw(printable(field.text(), false).into_owned()),
    ]));
    focused.then(|| {
        (
            inner.x + 10 + u16::try_from(Span::raw(field.before_cursor()).width()).unwrap_or(0),
            inner.y + u16::try_from(lines.len() - 1).unwrap_or(0),
        )
    })
}

/// The recipients, a name a line (with `(you)` and its scope), its key (too long to share the
/// line) beneath.
fn recipient_lines(main: &Main, selected: usize, theme: Theme) -> Vec<Line<'static>> {
    main.doc
        .recipients
        .iter()
        .enumerate()
        .flat_map(|(i, r)| {
            let style = if i == selected {
                theme.selected()
            } else {
                Style::new()
            };
            let mine = main
                .identity
                .recipients()
                .contains(&crypto::canonical_key(&r.key));
            let you = if mine { " (you)" } else { "" };
            [
                Line::styled(
                    format!("{}{you}{}", printable(&r.name, false), scope_note(r)),
                    style,
                ),
                Line::styled(format!("  {}", printable(&r.key, false)), theme.dim()),
            ]
        })
        .collect()
}

fn draw_recipients(main: &Main, view: &Recipients, frame: &mut Frame, area: Rect, theme: Theme) {
    let box_area = centered(area, 76, 16);
    let (inner, block) = popup(frame, box_area, "recipients: who can decrypt", theme);
    frame.render_widget(block, box_area);
    let mut lines = recipient_lines(main, view.selected, theme);
    lines.push(Line::raw(""));
    let mut cursor = None;
    if let Some(adding) = &view.adding {
        for (i, (label, field)) in [
            ("key/file  ", &adding.key),
            ("name      ", &adding.name),
            ("only      ", &adding.only),
        ]
        .into_iter()
        .enumerate()
        {
            let at = field_line(&mut lines, label, field, adding.focus == i, inner, theme);
            cursor = cursor.or(at);
        }
        lines.push(Line::from(hint_spans(
            &[
                ("Tab", "next"),
                ("Enter", "add"),
                ("Esc", "cancel"),
                ("only", "names/globs, blank: all"),
            ],
            theme,
        )));
    } else if let Some(field) = &view.scoping {
        cursor = field_line(&mut lines, "only      ", field, true, inner, theme);
        lines.push(Line::from(hint_spans(
            &[
                ("Enter", "grant"),
                ("Esc", "cancel"),
                ("blank", "every entry"),
            ],
            theme,
        )));
    } else if view.confirm_remove {
        let name = main
            .doc
            .recipients
            .get(view.selected)
            .map_or("", |r| r.name.as_str());
        lines.push(Line::styled(
            format!("Stop encrypting to '{}'? y/n", printable(name, false)),
            theme.error(),
        ));
    } else {
        lines.push(Line::from(hint_spans(
            &[
                ("a", "add"),
                ("s", "scope"),
                ("d", "remove"),
                ("Esc", "close"),
            ],
            theme,
        )));
    }
    if let Some(error) = &view.error {
        lines.push(Line::styled(
            printable(error, false).into_owned(),
            theme.error(),
        ));
    }
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), inner);
    if let Some((x, y)) = cursor {
        frame.set_cursor_position((
            x.min(inner.right().saturating_sub(1)),
            y.min(inner.bottom().saturating_sub(1)),
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tui::app::tests::{main_app, press, type_text};
    use crate::tui::app::{Msg, Unlock};
    use ratatui::Terminal;
    use ratatui::backend::TestBackend;
    use ratatui::crossterm::event::KeyCode;

    const PASSWORDS: [&str; 4] = ["hunter2", "s4v1ngs", "pg-secret", "m41l"];

    fn render(app: &App, width: u16, height: u16) -> String {
        let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
        terminal
            .draw(|frame| draw(app, frame, Theme::plain()))
            .unwrap();
        let screen = terminal.backend().to_string();
        for password in PASSWORDS {
            assert!(
                !screen.contains(password),
                "{password} is on screen:\n{screen}"
            );
        }
        screen
    }

    #[test]
    fn audit_findings_mark_the_list_once_the_worker_reports_them() {
        use crate::tui::effects::{Done, Effect};
        use vault::audit::Finding;
        let mut app = main_app();
        let Screen::Main(main) = &app.screen else {
            panic!("main screen")
        };
        // The findings are worked out off the drawing thread, from the document as it is.
        let Effect::Audit(doc) = main.audit() else {
            panic!("an audit effect")
        };
        let found = vault::audit::audit(
            &doc,
            std::time::Duration::from_secs(180 * 86_400),
            std::time::SystemTime::now(),
            None,
        )
        .unwrap();
        assert!(
            found
                .iter()
                .any(|r| r.name == "bank/checking" && r.findings.contains(&Finding::Weak)),
            "hunter2 is weak"
        );
        assert!(!render(&app, 80, 24).contains("checking w"));
        app.update(Msg::Done(Done::Audited(
            found.into_iter().map(|r| (r.name, r.findings)).collect(),
        )));
        let screen = render(&app, 80, 24);
        assert!(screen.contains("checking w"), "{screen}");
    }

    #[test]
    fn main_screen() {
        let app = main_app();
        insta::assert_snapshot!(render(&app, 80, 24));
    }

    #[test]
    fn filtering() {
        let mut app = main_app();
        press(&mut app, KeyCode::Char('/'));
        type_text(&mut app, "bank");
        insta::assert_snapshot!(render(&app, 80, 24));
    }

    #[test]
    fn help_overlay_lists_the_key_table() {
        let mut app = main_app();
        press(&mut app, KeyCode::Char('?'));
        let screen = render(&app, 80, 24);
        for binding in BINDINGS {
            assert!(screen.contains(binding.help), "{} missing", binding.help);
        }
        insta::assert_snapshot!(screen);
    }

    #[test]
    fn edit_form_masks_the_password() {
        let mut app = main_app();
        press(&mut app, KeyCode::Char('e'));
        insta::assert_snapshot!(render(&app, 80, 24));
    }

    #[test]
    fn recipients_window() {
        let mut app = main_app();
        press(&mut app, KeyCode::Char('R'));
        press(&mut app, KeyCode::Char('a'));
        insta::assert_snapshot!(render(&app, 80, 24));
    }

    #[test]
    fn unlock_screen_after_a_wrong_passphrase() {
        let mut app = main_app();
        let mut passphrase = crate::tui::input::TextField::new("");
        passphrase.insert("typed");
        app.screen = Screen::Unlock(Unlock {
            passphrase,
            needs_passphrase: true,
            locked: false,
            error: Some("wrong passphrase, try again".into()),
        });
        let screen = render(&app, 80, 24);
        assert!(!screen.contains("typed"));
        insta::assert_snapshot!(screen);
    }

    #[test]
    fn an_entry_with_totp_shows_its_code_and_time_left() {
        let mut app = main_app();
        let Screen::Main(main) = &mut app.screen else {
            unreachable!()
        };
        let name = main.selected_name().unwrap().to_owned();
        // RFC 6238's SHA-1 seed at t=59: code 287082, 1 s of 30 left.
        main.doc.entries.get_mut(&name).unwrap().totp = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ".into();
        app.clock = 59;
        let screen = render(&app, 80, 24);
        assert!(
            screen.contains("otp       287 082  ━───────── 1s"),
            "{screen}"
        );
        assert!(
            !screen.contains("GEZDGNBV"),
            "the key itself is never shown"
        );
        app.clock = 60;
        let screen = render(&app, 80, 24);
        assert!(screen.contains("━━━━━━━━━━ 30s"), "{screen}");
        assert!(!screen.contains("287 082"), "{screen}");
    }

    #[test]
    fn a_tiny_terminal_says_so() {
        let app = main_app();
        insta::assert_snapshot!(render(&app, 30, 8));
    }

    #[test]
    fn reveal_shows_the_password_only_when_asked() {
        let mut app = main_app();
        let mut terminal = Terminal::new(TestBackend::new(80, 24)).unwrap();
        terminal
            .draw(|frame| draw(&app, frame, Theme::plain()))
            .unwrap();
        assert!(!terminal.backend().to_string().contains("hunter2"));
        app.update(Msg::Key(ratatui::crossterm::event::KeyEvent::from(
            KeyCode::Char('r'),
        )));
        terminal
            .draw(|frame| draw(&app, frame, Theme::plain()))
            .unwrap();
        assert!(terminal.backend().to_string().contains("hunter2"));
    }
}
