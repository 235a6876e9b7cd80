//! The main screen: the entry list (groups as a tree that folds, or a flat list while
//! filtering or sorted by last change) beside the selected entry's details. Its popups are
//! drawn over it and take its keys while open.

use std::collections::BTreeSet;
use std::sync::Arc;

use ratatui::Frame;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers, MouseEvent, MouseEventKind};
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span, Text};
use ratatui::widgets::{Block, List, ListItem, ListState, Paragraph, Wrap};

use super::confirm::{self, Question};
use super::conflicts::{self, Conflicts};
use super::effects::{Effect, FileId, Findings, Untrusted};
use super::fields::{self, Fields};
use super::filter;
use super::form::{self, Form};
use super::help::Help;
use super::history::{self, History};
use super::keys::{self, Action, Mode};
use super::recipients::{self, Recipients};
use super::theme::Theme;
use super::widgets::{self, safe};
use vault::change::Change;
use vault::document::{Document, Entry};
use vault::error::Error;
use vault::identity::Identity;
use vault::secret::Secret;
use vault::text::MASK;

/// Rows PgUp/PgDn move.
const PAGE: usize = 10;
/// Rows a turn of the mouse wheel moves.
const WHEEL: usize = 3;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sort {
    /// By name, groups as a tree.
    Name,
    /// Newest change first, a flat list.
    Changed,
}

/// A row of the list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Row {
    /// `path` ends with `/`: `bank/`, `bank/eu/`.
    Group {
        path: String,
        depth: usize,
        count: usize,
    },
    Entry {
        name: String,
        depth: usize,
    },
}

impl Row {
    fn key(&self) -> &str {
        match self {
            Row::Group { path, .. } => path,
            Row::Entry { name, .. } => name,
        }
    }
}

pub enum Overlay {
    Help(Help),
    Question(Question),
    Form(Form),
    Fields(Fields),
    History(History),
    Conflicts(Conflicts),
    Recipients(Recipients),
    /// No writer this user trusts signed the vault: who did, and which recipients differ.
    Untrusted(Untrusted),
}

// Independent states of one screen (filtering, revealed, …), not a mode in disguise.
#[allow(clippy::struct_excessive_bools)]
pub struct Main {
    pub identity: Arc<Identity>,
    pub doc: Document,
    /// The entries by name as a tree, kept while a filter or the other order shows `list`:
    /// clearing the filter costs nothing, and typing into it frees nothing.
    tree: Vec<Row>,
    /// The document or the folds changed since `tree` was made.
    tree_stale: bool,
    /// The rows while filtering or sorted by change; `None`: the tree.
    list: Option<Vec<Row>>,
    pub selected: usize,
    pub filter: String,
    pub filtering: bool,
    pub sort: Sort,
    pub folded: BTreeSet<String>,
    pub revealed: bool,
    pub overlay: Option<Overlay>,
    /// Why the vault may be read but not changed: no writer this user trusts signed it.
    pub read_only: Option<String>,
    /// Weak, reused and old passwords, by entry: marks in the list.
    pub findings: Findings,
    /// The vault file as last read or written: a change on disk shows as a different one.
    pub file: Option<FileId>,
    /// The vault file `doc` was read from or saved as; `None` when not known for sure. A
    /// save that parsed only its entries is laid over `doc` when it replaced this file.
    pub read_from: Option<FileId>,
    /// The document changed since the marks were worked out: the next tick asks again.
    pub audit_due: bool,
    /// While a large vault's entries are parsed: how many it has, all in the list already;
    /// `doc` holds only the first (selected). The keys wait for them.
    pub loading: Option<usize>,
}

// Short-lived, one at a time: boxing the effect would buy nothing.
#[allow(clippy::large_enum_variant)]
pub enum Outcome {
    None,
    Quit,
    Lock,
    Effect(Effect),
    /// Said on the status line: what was asked cannot be done here.
    Refused(String),
}

/// What a key handler needs from outside the screen: the time, and where the screen is.
#[derive(Clone, Copy)]
pub struct Ctx {
    /// Unix seconds as the last tick told them: TOTP codes, and the dates a change records.
    pub clock: u64,
    /// The screen's body (without the status line).
    pub area: Rect,
}

impl Ctx {
    /// The clock as a document's timestamps are written (RFC 3339, to the second).
    pub fn timestamp(self) -> String {
        timestamp(self.clock)
    }
}

/// Unix seconds as a document's timestamps are written (RFC 3339, to the second).
pub fn timestamp(unix: u64) -> String {
    let at = std::time::UNIX_EPOCH + std::time::Duration::from_secs(unix);
    humantime::format_rfc3339_seconds(at).to_string()
}

impl Main {
    pub fn new(identity: Arc<Identity>, doc: Document) -> Self {
        let mut main = Main::empty(identity, doc);
        main.refilter();
        main.select_first_entry();
        main
    }

    /// The main screen of a large vault while its entries are parsed: `doc` holds only the first
    /// of them, `names` are all of them, sorted; [`Main::loaded`] brings the rest.
    pub fn partial(identity: Arc<Identity>, doc: Document, names: &[String]) -> Self {
        let mut main = Main::empty(identity, doc);
        main.tree = tree(names.iter(), &main.folded);
        main.tree_stale = false;
        main.loading = Some(names.len());
        main.select_first_entry();
        main
    }

    /// The whole document of the vault [`Main::partial`] showed. Its names are those the list
    /// was made of (the same plaintext's, sorted the same way): the rows stay as they are.
    pub fn loaded(&mut self, doc: Document) {
        self.doc = doc;
        self.loading = None;
    }

    fn empty(identity: Arc<Identity>, doc: Document) -> Self {
        Main {
            identity,
            doc,
            tree: Vec::new(),
            tree_stale: true,
            list: None,
            selected: 0,
            filter: String::new(),
            filtering: false,
            sort: Sort::Name,
            folded: BTreeSet::new(),
            revealed: false,
            overlay: None,
            read_only: None,
            findings: Findings::new(),
            file: None,
            read_from: None,
            audit_due: true,
            loading: None,
        }
    }

    /// The first entry, not the group above it: c copies its password at once.
    fn select_first_entry(&mut self) {
        if let Some(i) = self
            .rows()
            .iter()
            .position(|r| matches!(r, Row::Entry { .. }))
        {
            self.selected = i;
        }
    }

    /// The effect that finds what the list marks, for the document as it is now.
    pub fn audit(&self) -> Effect {
        Effect::Audit(Box::new(self.doc.clone()))
    }

    /// The rows on the list: the matches, the entries by change, or the tree.
    pub fn rows(&self) -> &[Row] {
        self.list.as_deref().unwrap_or(&self.tree)
    }

    pub fn selected_name(&self) -> Option<&str> {
        match self.rows().get(self.selected)? {
            Row::Entry { name, .. } => Some(name),
            Row::Group { .. } => None,
        }
    }

    fn selected_entry(&self) -> Option<(&str, &Entry)> {
        let name = self.selected_name()?;
        Some((name, self.doc.entries.get(name)?))
    }

    /// The entry names shown, in order (groups left out).
    #[cfg(test)]
    pub fn visible(&self) -> Vec<&str> {
        self.rows()
            .iter()
            .filter_map(|r| match r {
                Row::Entry { name, .. } => Some(name.as_str()),
                Row::Group { .. } => None,
            })
            .collect()
    }

    /// Swaps in a newer document (after a save or reload), keeping the selection where it can.
    pub fn replace_doc(&mut self, doc: Document, select: Option<String>) {
        let before = self.selected_name().map(str::to_owned);
        self.doc = doc;
        // Whole, and newer than any parse still under way.
        self.loading = None;
        self.tree_stale = true;
        self.rebuild(select);
        // A password stays revealed only for the entry it was revealed on.
        if self.selected_name() != before.as_deref() {
            self.revealed = false;
        }
    }

    /// The vault as it is on disk now, read because it changed there: the list keeps its
    /// selection and filter; a window on an entry that changed follows it, and an open edit of
    /// one asks.
    pub fn reloaded(&mut self, doc: Document) {
        if doc == self.doc {
            return;
        }
        self.replace_doc(doc, None);
        let changed = |name: &str, seen: &Entry| self.doc.entries.get(name) != Some(seen);
        self.overlay = match self.overlay.take() {
            Some(Overlay::Form(form)) => match form.editing() {
                Some((name, seen)) if changed(name, seen) => {
                    Some(Overlay::Question(Question::ChangedOnDisk(form)))
                }
                _ => Some(Overlay::Form(form)),
            },
            // A field being edited stays: its save finds the change and asks.
            Some(Overlay::Fields(fields))
                if fields.editing.is_none() && changed(&fields.name, &fields.seen) =>
            {
                self.doc.entries.get(&fields.name).map(|entry| {
                    let mut new = Fields::new(&fields.name, entry);
                    new.selected = fields.selected.min(new.labels().len() - 1);
                    Overlay::Fields(new)
                })
            }
            Some(Overlay::History(history)) if changed(&history.name, &history.seen) => self
                .doc
                .entries
                .get(&history.name)
                .map(|entry| Overlay::History(History::new(&history.name, entry))),
            other => other,
        };
    }

    fn refilter(&mut self) {
        self.selected = 0;
        self.rebuild(None);
    }

    /// A character typed at the end of the filter: only the current matches can still match.
    fn type_in_filter(&mut self, c: char) {
        let before = self.filter.clone();
        self.filter.push(c);
        if !filter::narrows(&before, &self.filter) {
            self.refilter();
            return;
        }
        let previous: Vec<String> = self
            .list
            .take()
            .unwrap_or_default()
            .into_iter()
            .filter_map(|row| match row {
                Row::Entry { name, .. } => Some(name),
                Row::Group { .. } => None,
            })
            .collect();
        self.list = Some(
            filter::narrowed(&self.doc, &self.filter, &previous)
                .into_iter()
                .map(|name| Row::Entry { name, depth: 0 })
                .collect(),
        );
        self.selected = 0;
        self.revealed = false;
    }

    /// Makes the rows again, keeping `select` (or the row selected now) selected.
    fn rebuild(&mut self, select: Option<String>) {
        let keep = select.or_else(|| self.rows().get(self.selected).map(|r| r.key().to_owned()));
        self.list = if !self.filter.trim().is_empty() {
            Some(
                filter::visible(&self.doc, &self.filter)
                    .into_iter()
                    .map(|name| Row::Entry { name, depth: 0 })
                    .collect(),
            )
        } else if self.sort == Sort::Changed {
            let mut names: Vec<(&String, &Entry)> = self.doc.entries.iter().collect();
            names.sort_by(|a, b| b.1.updated.cmp(&a.1.updated).then_with(|| a.0.cmp(b.0)));
            Some(
                names
                    .into_iter()
                    .map(|(name, _)| Row::Entry {
                        name: name.clone(),
                        depth: 0,
                    })
                    .collect(),
            )
        } else {
            if self.tree_stale {
                self.tree = tree(self.doc.entries.keys(), &self.folded);
                self.tree_stale = false;
            }
            None
        };
        if let Some(i) = keep.and_then(|key| self.rows().iter().position(|r| r.key() == key)) {
            self.selected = i;
        }
        self.selected = self.selected.min(self.rows().len().saturating_sub(1));
    }

    fn select(&mut self, index: usize) {
        let index = index.min(self.rows().len().saturating_sub(1));
        if index != self.selected {
            self.revealed = false;
        }
        self.selected = index;
    }

    /// A save came back.
    pub fn saved(
        &mut self,
        result: vault::error::Result<Document>,
        select: Option<String>,
    ) -> Option<(String, bool)> {
        match result {
            Ok(doc) => {
                self.overlay = match self.overlay.take() {
                    Some(Overlay::Recipients(mut view)) => {
                        view.adding = None;
                        view.scoping = None;
                        view.selected = view.selected.min(doc.recipients.len().saturating_sub(1));
                        Some(Overlay::Recipients(view))
                    }
                    Some(Overlay::Fields(fields)) => doc.entries.get(&fields.name).map(|entry| {
                        let mut new = Fields::new(&fields.name, entry);
                        new.selected = fields.selected.min(new.labels().len() - 1);
                        Overlay::Fields(new)
                    }),
                    Some(Overlay::Conflicts(view)) if !doc.conflicts.is_empty() => {
                        Some(Overlay::Conflicts(Conflicts {
                            selected: view.selected.min(doc.conflicts.len() - 1),
                        }))
                    }
                    _ => None,
                };
                self.replace_doc(doc, select);
                Some(("saved".into(), false))
            }
            Err(err @ Error::Changed(_)) => {
                let form = match self.overlay.take() {
                    Some(Overlay::Form(form)) => Some(form),
                    _ => None,
                };
                self.overlay = Some(Overlay::Question(Question::Conflict {
                    message: err.to_string(),
                    form,
                }));
                None
            }
            Err(err) => {
                let message = super::app::one_line(&err);
                match &mut self.overlay {
                    Some(Overlay::Form(form)) => form.error = Some(message),
                    Some(Overlay::Recipients(view)) => view.error = Some(message),
                    Some(Overlay::Fields(view)) => view.error = Some(message),
                    Some(Overlay::History(view)) => view.error = Some(message),
                    _ => return Some((message, true)),
                }
                None
            }
        }
    }

    pub fn paste(&mut self, text: &str) {
        match &mut self.overlay {
            Some(Overlay::Form(form)) => form.paste(text),
            Some(Overlay::Recipients(view)) => view.paste(text),
            Some(Overlay::Fields(view)) => view.paste(text),
            None if self.filtering => {
                self.filter.push_str(text);
                self.refilter();
            }
            _ => {}
        }
    }

    fn save(&self, change: Change, select: Option<String>) -> Outcome {
        if let Some(why) = &self.read_only {
            return Outcome::Refused(format!("read-only: {why}; nothing saved"));
        }
        Outcome::Effect(Effect::Save {
            identity: self.identity.clone(),
            change,
            select,
        })
    }

    /// The keys' mode: the open popup's, or the list's.
    pub fn mode(&self) -> Mode {
        match &self.overlay {
            None if self.filtering => Mode::Filter,
            None => Mode::Main,
            Some(Overlay::Help(_)) => Mode::Help,
            Some(Overlay::Question(_) | Overlay::Untrusted(_)) => Mode::Confirm,
            Some(Overlay::Form(_)) => Mode::Form,
            Some(Overlay::Fields(f)) if f.editing.is_some() => Mode::FieldEdit,
            Some(Overlay::Fields(_)) => Mode::Fields,
            Some(Overlay::History(_)) => Mode::History,
            Some(Overlay::Conflicts(_)) => Mode::Conflicts,
            Some(Overlay::Recipients(view)) => view.mode(),
        }
    }

    pub fn key(&mut self, key: KeyEvent, ctx: Ctx) -> Outcome {
        if let Some(overlay) = self.overlay.take() {
            return self.overlay_key(overlay, key, ctx);
        }
        if self.filtering {
            self.filter_key(key);
            return Outcome::None;
        }
        let Some(action) = keys::action(Mode::Main, key) else {
            return Outcome::None;
        };
        if let Some(why) = &self.read_only
            && matches!(action, Action::Add | Action::Edit | Action::Delete)
        {
            return Outcome::Refused(format!(
                "read-only: {why}; check it, then vault trust accept"
            ));
        }
        match action {
            Action::Down => self.select(self.selected + 1),
            Action::Up => self.select(self.selected.saturating_sub(1)),
            Action::PageDown => self.select(self.selected + PAGE),
            Action::PageUp => self.select(self.selected.saturating_sub(PAGE)),
            Action::Top => self.select(0),
            Action::Bottom => self.select(self.rows().len().saturating_sub(1)),
            Action::Filter => self.filtering = true,
            Action::Reveal => self.revealed = !self.revealed && self.selected_name().is_some(),
            Action::CopyPassword | Action::CopyUsername => {
                let Some((_, entry)) = self.selected_entry() else {
                    return Outcome::None;
                };
                let (what, value) = if action == Action::CopyPassword {
                    ("password", entry.password.clone())
                } else {
                    ("username", Secret::from(entry.username.as_str()))
                };
                return Outcome::Effect(Effect::Copy { value, what });
            }
            Action::Add => self.overlay = Some(Overlay::Form(Form::add())),
            Action::Edit => {
                if let Some((name, entry)) = self.selected_entry() {
                    self.overlay = Some(Overlay::Form(Form::edit(name, entry)));
                }
            }
            Action::Delete => {
                if let Some(name) = self.selected_name() {
                    self.overlay = Some(Overlay::Question(Question::Delete(name.to_owned())));
                }
            }
            Action::Fields => self.open_fields(),
            Action::History => {
                if let Some((name, entry)) = self.selected_entry() {
                    self.overlay = Some(Overlay::History(History::new(name, entry)));
                }
            }
            Action::Fold => match self.rows().get(self.selected) {
                Some(Row::Group { path, .. }) => {
                    let path = path.clone();
                    if !self.folded.remove(&path) {
                        self.folded.insert(path);
                    }
                    self.tree_stale = true;
                    self.rebuild(None);
                }
                Some(Row::Entry { .. }) => self.open_fields(),
                None => {}
            },
            Action::Sort => {
                self.sort = match self.sort {
                    Sort::Name => Sort::Changed,
                    Sort::Changed => Sort::Name,
                };
                self.rebuild(None);
            }
            Action::Conflicts => {
                if self.doc.conflicts.is_empty() {
                    return Outcome::Refused("no merge conflicts".into());
                }
                self.overlay = Some(Overlay::Conflicts(Conflicts::default()));
            }
            Action::Recipients => self.overlay = Some(Overlay::Recipients(Recipients::default())),
            Action::Lock => return Outcome::Lock,
            Action::Help => self.overlay = Some(Overlay::Help(Help::default())),
            // The entry found stays selected in the whole list.
            Action::Clear if !self.filter.is_empty() => {
                self.filter.clear();
                self.rebuild(None);
            }
            Action::Quit => return Outcome::Quit,
            _ => {}
        }
        Outcome::None
    }

    /// A key while the filter line has the focus: typing narrows the list.
    fn filter_key(&mut self, key: KeyEvent) {
        match keys::action(Mode::Filter, key) {
            Some(Action::Keep) => self.filtering = false,
            Some(Action::Clear) => {
                self.filtering = false;
                self.filter.clear();
                self.rebuild(None);
            }
            Some(Action::Down) => self.select(self.selected + 1),
            Some(Action::Up) => self.select(self.selected.saturating_sub(1)),
            _ => match key.code {
                KeyCode::Backspace => {
                    self.filter.pop();
                    self.refilter();
                }
                KeyCode::Char(c)
                    if !key
                        .modifiers
                        .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT) =>
                {
                    self.type_in_filter(c);
                }
                _ => {}
            },
        }
    }

    fn open_fields(&mut self) {
        if let Some((name, entry)) = self.selected_entry() {
            self.overlay = Some(Overlay::Fields(Fields::new(name, entry)));
        }
    }

    fn overlay_key(&mut self, overlay: Overlay, key: KeyEvent, ctx: Ctx) -> Outcome {
        match overlay {
            Overlay::Untrusted(_) => {}
            Overlay::Help(mut help) => {
                if help.key(key, ctx.area) {
                    self.overlay = Some(Overlay::Help(help));
                }
            }
            Overlay::Question(question) => return self.answer(question, key, ctx),
            Overlay::Form(mut form) => match form.key(key) {
                form::Outcome::Stay => self.overlay = Some(Overlay::Form(form)),
                form::Outcome::Cancel => {}
                form::Outcome::AskDiscard => {
                    self.overlay = Some(Overlay::Question(Question::Discard(form)));
                }
                form::Outcome::Submit => match form.change(&self.doc, &ctx.timestamp()) {
                    Ok((change, name)) => {
                        form.error = None;
                        self.overlay = Some(Overlay::Form(form));
                        return self.save(change, Some(name));
                    }
                    Err(reason) => {
                        form.error = Some(reason);
                        self.overlay = Some(Overlay::Form(form));
                    }
                },
            },
            Overlay::Fields(mut view) => match view.key(key, ctx.clock) {
                fields::Outcome::Stay => self.overlay = Some(Overlay::Fields(view)),
                fields::Outcome::Close => {}
                fields::Outcome::Copy(what, value) => {
                    self.overlay = Some(Overlay::Fields(view));
                    return Outcome::Effect(Effect::Copy { value, what });
                }
                fields::Outcome::AskRemove => {
                    self.overlay = Some(Overlay::Question(Question::RemoveField(view)));
                }
                fields::Outcome::Save(change) => {
                    self.overlay = Some(Overlay::Fields(view));
                    return self.save(change, None);
                }
            },
            Overlay::History(mut view) => match view.key(key) {
                history::Outcome::Stay => self.overlay = Some(Overlay::History(view)),
                history::Outcome::Close => {}
                history::Outcome::Copy(value) => {
                    self.overlay = Some(Overlay::History(view));
                    return Outcome::Effect(Effect::Copy {
                        value,
                        what: "old password",
                    });
                }
                history::Outcome::AskRestore => {
                    self.overlay = Some(Overlay::Question(Question::Restore(view)));
                }
            },
            Overlay::Conflicts(mut view) => match view.key(key, &self.doc) {
                conflicts::Outcome::Stay => self.overlay = Some(Overlay::Conflicts(view)),
                conflicts::Outcome::Close => {}
                conflicts::Outcome::Save(change) => {
                    self.overlay = Some(Overlay::Conflicts(view));
                    return self.save(change, None);
                }
            },
            Overlay::Recipients(mut view) => match view.key(key, &self.doc) {
                recipients::Outcome::Stay => self.overlay = Some(Overlay::Recipients(view)),
                recipients::Outcome::Close => {}
                recipients::Outcome::Save(new) => {
                    let seen = self.doc.recipients.clone();
                    self.overlay = Some(Overlay::Recipients(view));
                    return self.save(
                        Change::Recipients {
                            seen,
                            recipients: new,
                        },
                        None,
                    );
                }
            },
        }
        Outcome::None
    }

    fn answer(&mut self, question: Question, key: KeyEvent, ctx: Ctx) -> Outcome {
        let Some(yes) = confirm::answer(key) else {
            self.overlay = Some(Overlay::Question(question));
            return Outcome::None;
        };
        match question {
            Question::Delete(name) => {
                if yes && let Some(seen) = self.doc.entries.get(&name).cloned() {
                    return self.save(Change::Remove { name, seen }, None);
                }
            }
            Question::Discard(form) => {
                if !yes {
                    self.overlay = Some(Overlay::Form(form));
                }
            }
            Question::Conflict { form, .. } => {
                if yes {
                    return Outcome::Effect(Effect::Reload {
                        identity: self.identity.clone(),
                        quiet: false,
                    });
                }
                self.overlay = form.map(Overlay::Form);
            }
            Question::ChangedOnDisk(form) => {
                self.overlay = if yes {
                    let name = form.editing().map(|(name, _)| name.to_owned());
                    name.and_then(|name| {
                        self.doc
                            .entries
                            .get(&name)
                            .map(|entry| Overlay::Form(Form::edit(&name, entry)))
                    })
                } else {
                    Some(Overlay::Form(form))
                };
            }
            Question::Restore(view) => {
                let change = yes.then(|| view.restore(&ctx.timestamp())).flatten();
                self.overlay = Some(Overlay::History(view));
                if let Some(change) = change {
                    return self.save(change, None);
                }
            }
            Question::RemoveField(view) => {
                let change = yes.then(|| view.removal(ctx.clock)).flatten();
                self.overlay = Some(Overlay::Fields(view));
                if let Some(change) = change {
                    return self.save(change, None);
                }
            }
        }
        Outcome::None
    }

    /// A click selects the row under it; the wheel moves the selection. Only on the list, with
    /// no popup open.
    pub fn mouse(&mut self, event: MouseEvent, area: Rect) {
        if self.overlay.is_some() {
            return;
        }
        match event.kind {
            MouseEventKind::ScrollDown => self.select(self.selected + WHEEL),
            MouseEventKind::ScrollUp => self.select(self.selected.saturating_sub(WHEEL)),
            MouseEventKind::Down(_) => {
                let rows = self.rows_area(area);
                if event.column >= rows.x
                    && event.column < rows.right()
                    && event.row >= rows.y
                    && event.row < rows.bottom()
                {
                    let first = self.first_row(rows.height);
                    self.select(first + usize::from(event.row - rows.y));
                }
            }
            _ => {}
        }
    }

    /// Where the list's rows are drawn in `area` (the screen's body).
    fn rows_area(&self, area: Rect) -> Rect {
        let [list, _] = split(area);
        self.rows_in(list)
    }

    /// Where the rows go inside the list's box.
    fn rows_in(&self, list: Rect) -> Rect {
        let inner = Block::bordered().inner(list);
        if self.filtering || !self.filter.is_empty() {
            Rect {
                y: inner.y + 1,
                height: inner.height.saturating_sub(1),
                ..inner
            }
        } else {
            inner
        }
    }

    /// The first row on screen: the window keeps the selection in view, as low as it has gone.
    fn first_row(&self, height: u16) -> usize {
        self.selected.saturating_sub(usize::from(height).max(1) - 1)
    }

    pub fn draw(&self, clock: u64, frame: &mut Frame, area: Rect, theme: Theme) {
        let [list_area, detail_area] = split(area);
        self.draw_list(frame, list_area, theme);
        self.draw_details(clock, frame, detail_area, theme);
        match &self.overlay {
            None => {}
            Some(Overlay::Help(help)) => help.draw(frame, area, theme),
            Some(Overlay::Question(question)) => question.draw(frame, area, theme),
            Some(Overlay::Untrusted(untrusted)) => {
                super::untrusted::draw(untrusted, frame, area, theme);
            }
            Some(Overlay::Form(form)) => form.draw(frame, area, theme),
            Some(Overlay::Fields(view)) => view.draw(clock, frame, area, theme),
            Some(Overlay::History(view)) => view.draw(frame, area, theme),
            Some(Overlay::Conflicts(view)) => view.draw(&self.doc, frame, area, theme),
            Some(Overlay::Recipients(view)) => {
                view.draw(&self.doc, &self.identity, frame, area, theme);
            }
        }
    }

    fn draw_list(&self, frame: &mut Frame, area: Rect, theme: Theme) {
        let mut notes = Vec::new();
        if self.sort == Sort::Changed {
            notes.push("by change");
        }
        if self.read_only.is_some() {
            notes.push("read-only");
        }
        let conflicts;
        if !self.doc.conflicts.is_empty() {
            let n = self.doc.conflicts.len();
            conflicts = format!("{n} conflict{}: C", if n == 1 { "" } else { "s" });
            notes.push(&conflicts);
        }
        let entries = self
            .rows()
            .iter()
            .filter(|r| matches!(r, Row::Entry { .. }))
            .count();
        let total = self.loading.unwrap_or(self.doc.entries.len());
        let counts = format!("{entries}/{total}");
        let mut title = format!("entries {counts}");
        for note in &notes {
            title.push_str(" · ");
            title.push_str(note);
        }
        // On a narrow screen the counts and notes matter more than the word.
        if widgets::width(&title) + 4 > usize::from(area.width) {
            title = std::iter::once(counts.as_str())
                .chain(notes)
                .collect::<Vec<_>>()
                .join(" · ");
        }
        let inner = widgets::frame_box(frame, area, &title, theme);
        let rows = self.rows_in(area);
        if self.filtering || !self.filter.is_empty() {
            let filter_area = Rect { height: 1, ..inner };
            let shown = safe(&self.filter);
            let line = Line::from(vec![
                Span::styled("/", theme.key()),
                Span::raw(shown.clone().into_owned()),
            ]);
            frame.render_widget(Paragraph::new(line), filter_area);
            if self.filtering {
                let column = 1 + u16::try_from(widgets::width(&shown)).unwrap_or(0);
                widgets::set_cursor(frame, filter_area, column, 0);
            }
        }
        if self.rows().is_empty() {
            let text = if self.doc.entries.is_empty() {
                "no entries yet: a adds one"
            } else {
                "nothing matches"
            };
            frame.render_widget(Paragraph::new(Span::styled(text, theme.dim())), rows);
            return;
        }
        // Only the rows on screen become list items: a frame costs the same for 10 or 100,000
        // entries.
        let room = usize::from(rows.width).saturating_sub(1);
        let first = self.first_row(rows.height);
        let items: Vec<ListItem> = self.rows()[first..]
            .iter()
            .take(usize::from(rows.height))
            .map(|row| ListItem::new(self.row_line(row, room, theme)))
            .collect();
        let list = List::new(items).highlight_style(theme.selected());
        let mut state = ListState::default().with_selected(Some(self.selected - first));
        frame.render_stateful_widget(list, rows, &mut state);
    }

    fn row_line(&self, row: &Row, room: usize, theme: Theme) -> Line<'static> {
        match row {
            Row::Group { path, depth, count } => {
                let arrow = if self.folded.contains(path) {
                    "▸"
                } else {
                    "▾"
                };
                let leaf = path[..path.len() - 1].rsplit('/').next().unwrap_or(path);
                let text = format!(
                    "{:indent$}{arrow} {}/ ({count})",
                    "",
                    safe(leaf),
                    indent = depth * 2
                );
                Line::styled(widgets::ellipsis(&text, room).into_owned(), theme.label())
            }
            Row::Entry { name, depth } => {
                let mut marks = String::new();
                if let Some(findings) = self.findings.get(name) {
                    marks.push(' ');
                    marks.push_str(&audit_marks(findings));
                }
                if self.doc.conflicts.iter().any(|c| &c.name == name) {
                    marks.push_str(" !");
                }
                let room = room.saturating_sub(marks.chars().count());
                let mut line = if self.rows_are_tree() {
                    let leaf = name.rsplit('/').next().unwrap_or(name);
                    let text = format!("{:indent$}{}", "", safe(leaf), indent = depth * 2 + 2);
                    Line::raw(widgets::ellipsis(&text, room).into_owned())
                } else {
                    // Groups read as a dim prefix: "bank/" checking.
                    let shown = widgets::ellipsis(&safe(name), room).into_owned();
                    match shown.rfind('/') {
                        Some(i) => Line::from(vec![
                            Span::styled(shown[..=i].to_owned(), theme.dim()),
                            Span::raw(shown[i + 1..].to_owned()),
                        ]),
                        None => Line::raw(shown),
                    }
                };
                if !marks.is_empty() {
                    line.push_span(Span::styled(marks, theme.error()));
                }
                line
            }
        }
    }

    fn rows_are_tree(&self) -> bool {
        self.sort == Sort::Name && self.filter.trim().is_empty()
    }

    fn draw_details(&self, clock: u64, frame: &mut Frame, area: Rect, theme: Theme) {
        let (title, lines) = match self.rows().get(self.selected) {
            Some(Row::Entry { name, .. }) => match self.doc.entries.get(name) {
                Some(entry) => (
                    name.as_str(),
                    detail_lines(entry, self.revealed, clock, theme),
                ),
                None => ("", Vec::new()),
            },
            Some(Row::Group { path, count, .. }) => (
                path.as_str(),
                vec![
                    Line::raw(format!("{count} entries in this group")),
                    Line::raw(""),
                    Line::styled(
                        if self.folded.contains(path) {
                            "Space unfolds it"
                        } else {
                            "Space folds it"
                        },
                        theme.dim(),
                    ),
                ],
            ),
            None => ("", Vec::new()),
        };
        let inner = widgets::frame_box(frame, area, title, theme);
        frame.render_widget(
            Paragraph::new(Text::from(lines)).wrap(Wrap { trim: false }),
            inner,
        );
    }
}

/// The list and the details beside it.
fn split(area: Rect) -> [Rect; 2] {
    Layout::horizontal([Constraint::Percentage(35), Constraint::Percentage(65)]).areas(area)
}

/// Entries by name as a tree: a row for each group (with how many entries it holds, however
/// deep), then its entries; nothing under a folded group.
pub fn tree<'a>(
    names: impl ExactSizeIterator<Item = &'a String>,
    folded: &BTreeSet<String>,
) -> Vec<Row> {
    let mut rows = Vec::with_capacity(names.len() + names.len() / 8);
    // The groups the last name was in: (path, its row if shown).
    let mut open: Vec<(String, Option<usize>)> = Vec::new();
    for name in names {
        let groups: Vec<usize> = name.match_indices('/').map(|(i, _)| i + 1).collect();
        // Close the groups this name is not in.
        let keep = open
            .iter()
            .zip(&groups)
            .take_while(|((path, _), end)| name[..**end] == **path)
            .count();
        open.truncate(keep);
        for &end in &groups[keep..] {
            let hidden = open
                .iter()
                .any(|(path, row)| row.is_none() || folded.contains(path));
            let path = name[..end].to_owned();
            let row = (!hidden).then(|| {
                rows.push(Row::Group {
                    path: path.clone(),
                    depth: open.len(),
                    count: 0,
                });
                rows.len() - 1
            });
            open.push((path, row));
        }
        for (_, row) in &open {
            if let Some(Row::Group { count, .. }) = row.and_then(|i| rows.get_mut(i)) {
                *count += 1;
            }
        }
        let hidden = open
            .iter()
            .any(|(path, row)| row.is_none() || folded.contains(path));
        if !hidden {
            rows.push(Row::Entry {
                name: name.clone(),
                depth: open.len(),
            });
        }
    }
    rows
}

/// One letter a finding: w weak, r reused, o old, b breached.
fn audit_marks(findings: &[vault::audit::Finding]) -> String {
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

/// The selected entry's rows. Revealed values are borrowed from the entry for the frame, never
/// copied into strings of their own that would outlive it unwiped.
fn detail_lines(entry: &Entry, revealed: bool, clock: u64, theme: Theme) -> Vec<Line<'_>> {
    use std::borrow::Cow;
    fn secret(value: &str, revealed: bool) -> Cow<'_, str> {
        if revealed {
            safe(value)
        } else {
            Cow::Borrowed(MASK)
        }
    }
    let mut rows: Vec<(Cow<str>, Cow<str>)> = vec![
        (Cow::Borrowed("username"), safe(&entry.username)),
        (
            Cow::Borrowed("password"),
            secret(entry.password.expose(), revealed),
        ),
        (Cow::Borrowed("url"), safe(&entry.url)),
    ];
    for (field, value) in &entry.fields {
        rows.push((safe(field), secret(value.expose(), revealed)));
    }
    if !entry.tags.is_empty() {
        rows.push((
            Cow::Borrowed("tags"),
            Cow::Owned(safe(&entry.tags.join(", ")).into_owned()),
        ));
    }
    rows.push((Cow::Borrowed("created"), safe(&entry.created)));
    rows.push((Cow::Borrowed("updated"), safe(&entry.updated)));
    if !entry.history.is_empty() {
        let n = entry.history.len();
        let s = if n == 1 { "" } else { "s" };
        rows.push((
            Cow::Borrowed("history"),
            Cow::Owned(format!("{n} earlier password{s}")),
        ));
    }
    let width = rows
        .iter()
        .map(|(k, _)| widgets::width(k))
        .max()
        .unwrap_or(0)
        .clamp(8, 16);
    let mut lines: Vec<Line> = rows
        .into_iter()
        .map(|(key, value)| {
            Line::from(vec![
                Span::styled(
                    format!("{:width$}  ", widgets::ellipsis(&key, width)),
                    theme.label(),
                ),
                Span::raw(value),
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
        match vault::text::printable(entry.notes.expose(), true) {
            Cow::Borrowed(notes) => lines.extend(notes.lines().map(Line::raw)),
            Cow::Owned(notes) => {
                lines.extend(notes.lines().map(|l| Line::raw(l.to_owned())));
            }
        }
    }
    lines.push(Line::raw(""));
    lines.push(Line::styled(
        if revealed {
            "r hides · f fields · h history"
        } else {
            "r reveals · f fields · h history"
        },
        theme.dim(),
    ));
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

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(names: &[&str]) -> Document {
        let mut doc = Document::new(vec![]);
        for name in names {
            doc.entries.insert((*name).into(), Entry::new("t"));
        }
        doc
    }

    fn shown(rows: &[Row]) -> Vec<String> {
        rows.iter()
            .map(|r| match r {
                Row::Group { path, depth, count } => format!("{depth}:{path}({count})"),
                Row::Entry { name, depth } => format!("{depth}:{name}"),
            })
            .collect()
    }

    #[test]
    fn groups_make_a_tree_that_folds() {
        let doc = doc(&["bank/eu/a", "bank/eu/b", "bank/us", "mail", "web/x"]);
        assert_eq!(
            shown(&tree(doc.entries.keys(), &BTreeSet::new())),
            [
                "0:bank/(3)",
                "1:bank/eu/(2)",
                "2:bank/eu/a",
                "2:bank/eu/b",
                "1:bank/us",
                "0:mail",
                "0:web/(1)",
                "1:web/x"
            ]
        );
        let folded = BTreeSet::from(["bank/eu/".to_owned()]);
        assert_eq!(
            shown(&tree(doc.entries.keys(), &folded)),
            [
                "0:bank/(3)",
                "1:bank/eu/(2)",
                "1:bank/us",
                "0:mail",
                "0:web/(1)",
                "1:web/x"
            ]
        );
        let folded = BTreeSet::from(["bank/".to_owned()]);
        assert_eq!(
            shown(&tree(doc.entries.keys(), &folded)),
            ["0:bank/(3)", "0:mail", "0:web/(1)", "1:web/x"]
        );
    }
}
