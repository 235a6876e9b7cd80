//! The interface's state and the one place it changes: `App::update`. Keys, paste and results
//! of slow work come in as messages; slow work goes out as effects.

use std::sync::Arc;
use std::time::{Duration, Instant};

use ratatui::crossterm::event::{KeyCode, KeyEvent};

use super::effects::{Done, Effect, Opened, Paths, Untrusted};
use super::filter;
use super::form::{self, Form};
use super::input::TextField;
use super::keys::{self, Action};
use super::recipients::{self, Recipients};
use vault::change::Change;
use vault::document::{Document, timestamp_now};
use vault::error::Error;
use vault::identity::Identity;
use vault::secret::Secret;

/// Rows PgUp/PgDn move.
const PAGE: usize = 10;

// One message at a time: boxing what a worker sends back would buy nothing.
#[allow(clippy::large_enum_variant)]
pub enum Msg {
    Key(KeyEvent),
    Paste(String),
    /// Time passes (for the idle lock).
    Tick,
    Done(Done),
}

pub struct App {
    pub paths: Paths,
    pub screen: Screen,
    /// What the worker is doing, shown instead of accepting input.
    pub busy: Option<&'static str>,
    pub status: Option<Status>,
    pub lock_after: Duration,
    pub quit: bool,
    /// What was copied last, and when the clipboard helper clears it.
    pub copied: Option<(&'static str, Instant)>,
    last_input: Instant,
    /// Whether the identity wanted a passphrase: the lock screen asks for it again.
    needs_passphrase: bool,
    /// The time TOTP codes are shown for (Unix seconds), advanced by every tick.
    pub clock: u64,
}

pub struct Status {
    pub text: String,
    pub error: bool,
}

pub enum Screen {
    Unlock(Unlock),
    Setup(Setup),
    Main(Box<Main>),
}

pub struct Unlock {
    pub passphrase: TextField,
    pub needs_passphrase: bool,
    pub locked: bool,
    pub error: Option<String>,
}

/// First run: no vault yet (and maybe no identity).
pub struct Setup {
    /// `Some`: the identity exists and is open; only the vault is to be made.
    pub identity: Option<Arc<Identity>>,
    pub passphrase: TextField,
    pub repeat: TextField,
    pub focus: usize,
    pub error: Option<String>,
}

pub struct Main {
    pub identity: Arc<Identity>,
    pub doc: Document,
    pub visible: Vec<String>,
    pub selected: usize,
    pub filter: String,
    pub filtering: bool,
    pub revealed: bool,
    pub overlay: Option<Overlay>,
    /// Why the vault may be read but not changed: no writer this user trusts signed it.
    pub read_only: Option<String>,
    /// Weak, reused and old passwords, by entry: marks in the list.
    pub findings: super::effects::Findings,
}

pub enum Overlay {
    Help,
    ConfirmDelete(String),
    Form(Form),
    ConfirmDiscard(Form),
    Recipients(Recipients),
    /// No writer this user trusts signed the vault: who did, and which recipients differ.
    Untrusted(Untrusted),
    /// The entry changed on disk since it was read; the form (if any) waits behind.
    Conflict {
        message: String,
        form: Option<Form>,
    },
}

impl App {
    pub fn new(paths: Paths, lock_after: Duration) -> Self {
        App {
            paths,
            screen: Screen::Unlock(Unlock {
                passphrase: TextField::new(""),
                needs_passphrase: false,
                locked: false,
                error: None,
            }),
            busy: None,
            status: None,
            lock_after,
            quit: false,
            copied: None,
            last_input: Instant::now(),
            needs_passphrase: false,
            clock: vault::otp::now(),
        }
    }

    /// The interface on a vault already open, at its main screen.
    #[allow(dead_code)] // tests and the benchmark start here
    pub fn opened(
        paths: Paths,
        lock_after: Duration,
        identity: Arc<Identity>,
        doc: Document,
    ) -> Self {
        let mut app = App::new(paths, lock_after);
        app.screen = Screen::Main(Box::new(Main::new(identity, doc)));
        app
    }

    /// The first effect: open what is there (with a passphrase from a file, if given one).
    pub fn start(&mut self, passphrase: Option<Secret>) -> Vec<Effect> {
        self.busy = Some("opening");
        vec![Effect::Open { passphrase }]
    }

    pub fn update(&mut self, msg: Msg) -> Vec<Effect> {
        match msg {
            Msg::Tick => {
                self.clock = vault::otp::now();
                if matches!(self.screen, Screen::Main(_))
                    && self.busy.is_none()
                    && self.last_input.elapsed() >= self.lock_after
                {
                    self.lock();
                }
                vec![]
            }
            // Findings come from a worker of their own, whatever else is under way.
            Msg::Done(Done::Audited(findings)) => {
                if let Screen::Main(main) = &mut self.screen {
                    main.findings = findings;
                }
                vec![]
            }
            Msg::Done(done) => {
                self.busy = None;
                self.done(done)
            }
            Msg::Key(key) => {
                self.last_input = Instant::now();
                if keys::is_interrupt(key) {
                    self.quit = true;
                    return vec![];
                }
                if self.busy.is_some() {
                    return vec![];
                }
                self.status = None;
                let effects = match &mut self.screen {
                    Screen::Unlock(unlock) => unlock_key(unlock, key, &mut self.quit),
                    Screen::Setup(setup) => setup_key(setup, key, &mut self.quit),
                    Screen::Main(main) => {
                        let outcome = main.key(key);
                        self.main_outcome(outcome)
                    }
                };
                if !effects.is_empty() {
                    self.busy = Some(match effects[0] {
                        Effect::Save { .. } => "saving",
                        Effect::Reload { .. } => "reading the vault",
                        Effect::CreateAll { .. } | Effect::CreateVault { .. } => "creating",
                        Effect::Open { .. } => "unlocking",
                        Effect::Copy { .. } | Effect::Osc52(_) => "copying",
                        Effect::Audit(_) => "checking passwords",
                    });
                }
                effects
            }
            Msg::Paste(text) => {
                self.last_input = Instant::now();
                match &mut self.screen {
                    Screen::Unlock(unlock) => unlock.passphrase.insert(&text),
                    Screen::Setup(setup) => setup.focused().insert(&text),
                    Screen::Main(main) => main.paste(&text),
                }
                vec![]
            }
        }
    }

    /// Drops every decrypted thing and asks to unlock again.
    pub fn lock(&mut self) {
        self.screen = Screen::Unlock(Unlock {
            passphrase: TextField::new(""),
            needs_passphrase: self.needs_passphrase,
            locked: true,
            error: None,
        });
        self.status = None;
    }

    fn main_outcome(&mut self, outcome: MainOutcome) -> Vec<Effect> {
        match outcome {
            MainOutcome::None => vec![],
            MainOutcome::Quit => {
                self.quit = true;
                vec![]
            }
            MainOutcome::Lock => {
                self.lock();
                vec![]
            }
            MainOutcome::Effect(effect) => vec![effect],
            MainOutcome::Refused(text) => {
                self.status = Some(Status { text, error: true });
                vec![]
            }
        }
    }

    fn done(&mut self, done: Done) -> Vec<Effect> {
        match done {
            Done::Opened(Ok(Opened {
                identity,
                doc: Some(doc),
                untrusted,
            })) => {
                let mut main = Main::new(identity, doc);
                if let Some(untrusted) = untrusted {
                    main.read_only = Some(untrusted.signer.clone());
                    main.overlay = Some(Overlay::Untrusted(untrusted));
                }
                let audit = main.audit();
                self.screen = Screen::Main(Box::new(main));
                // Idle time counts from here: an unlock can take longer than the lock delay.
                self.last_input = Instant::now();
                return vec![audit];
            }
            Done::Opened(Ok(Opened {
                identity,
                doc: None,
                ..
            })) => {
                self.screen = Screen::Setup(Setup::new(Some(identity)));
            }
            Done::Opened(Err(err)) => self.open_failed(err),
            // Taken by `update` before it gets here.
            Done::Audited(_) => {}
            Done::Saved { result, select } => {
                if let Screen::Main(main) = &mut self.screen {
                    self.status = main.saved(result, select);
                    return vec![main.audit()];
                }
            }
            Done::Copied {
                what,
                result: Ok(()),
            } => {
                self.copied = Some((what, Instant::now() + vault::clipboard::DEFAULT_CLEAR_AFTER));
            }
            Done::Copied {
                what,
                result: Err(value),
            } => {
                self.copied = None;
                self.status = Some(Status {
                    text: format!(
                        "no clipboard here: sent the {what} through the terminal (OSC 52); it may keep it, and it is not cleared"
                    ),
                    error: false,
                });
                return vec![Effect::Osc52(value)];
            }
            Done::Reloaded(result) => {
                if let Screen::Main(main) = &mut self.screen {
                    match result {
                        Ok(doc) => {
                            main.replace_doc(doc, None);
                            self.status = Some(Status {
                                text: "read the vault again".into(),
                                error: false,
                            });
                            return vec![main.audit()];
                        }
                        Err(err) => {
                            self.status = Some(Status {
                                text: one_line(&err),
                                error: true,
                            });
                        }
                    }
                }
            }
        }
        vec![]
    }

    fn open_failed(&mut self, err: Error) {
        match err {
            Error::PassphraseNeeded(_) | Error::WrongPassphrase(_) => {
                self.needs_passphrase = true;
                let error = matches!(err, Error::WrongPassphrase(_))
                    .then(|| "wrong passphrase, try again".to_owned());
                self.screen = Screen::Unlock(Unlock {
                    passphrase: TextField::new(""),
                    needs_passphrase: true,
                    locked: false,
                    error,
                });
            }
            Error::IdentityMissing(_) if !self.paths.vault.exists() => {
                self.screen = Screen::Setup(Setup::new(None));
            }
            other => {
                let needs_passphrase = self.needs_passphrase;
                self.screen = Screen::Unlock(Unlock {
                    passphrase: TextField::new(""),
                    needs_passphrase,
                    locked: false,
                    error: Some(one_line(&other)),
                });
            }
        }
    }
}

/// An error as the status line shows it: the message and its hint, one line.
pub fn one_line(err: &Error) -> String {
    match err.hint() {
        Some(hint) => format!("{err}; {hint}"),
        None => err.to_string(),
    }
}

fn unlock_key(unlock: &mut Unlock, key: KeyEvent, quit: &mut bool) -> Vec<Effect> {
    match key.code {
        KeyCode::Esc => *quit = true,
        KeyCode::Char('q') if !unlock.needs_passphrase => *quit = true,
        KeyCode::Enter => {
            let passphrase = unlock
                .needs_passphrase
                .then(|| Secret::from(unlock.passphrase.text()));
            unlock.passphrase.clear();
            unlock.error = None;
            return vec![Effect::Open { passphrase }];
        }
        _ if unlock.needs_passphrase => {
            unlock.passphrase.handle(key);
        }
        _ => {}
    }
    vec![]
}

impl Setup {
    fn new(identity: Option<Arc<Identity>>) -> Self {
        Setup {
            identity,
            passphrase: TextField::new(""),
            repeat: TextField::new(""),
            focus: 0,
            error: None,
        }
    }

    fn focused(&mut self) -> &mut TextField {
        if self.focus == 0 {
            &mut self.passphrase
        } else {
            &mut self.repeat
        }
    }
}

fn setup_key(setup: &mut Setup, key: KeyEvent, quit: &mut bool) -> Vec<Effect> {
    match key.code {
        KeyCode::Esc => *quit = true,
        KeyCode::Enter => {
            if let Some(identity) = &setup.identity {
                return vec![Effect::CreateVault {
                    identity: identity.clone(),
                }];
            }
            if setup.passphrase.text().is_empty() {
                setup.error = Some(
                    "choose a passphrase (vault init --no-passphrase makes a key without one)"
                        .into(),
                );
            } else if setup.passphrase.text() != setup.repeat.text() {
                setup.error = Some("the two passphrases differ".into());
                setup.repeat.clear();
                setup.focus = 1;
            } else {
                return vec![Effect::CreateAll {
                    passphrase: Secret::from(setup.passphrase.text()),
                }];
            }
        }
        KeyCode::Tab | KeyCode::BackTab => setup.focus = 1 - setup.focus,
        _ if setup.identity.is_none() => {
            setup.focused().handle(key);
        }
        KeyCode::Char('q') => *quit = true,
        _ => {}
    }
    vec![]
}

// Short-lived, one at a time: boxing the effect would buy nothing.
#[allow(clippy::large_enum_variant)]
pub enum MainOutcome {
    None,
    Quit,
    Lock,
    Effect(Effect),
    /// Said on the status line: what was asked cannot be done here.
    Refused(String),
}

impl Main {
    pub fn new(identity: Arc<Identity>, doc: Document) -> Self {
        let visible = filter::visible(&doc, "");
        Main {
            identity,
            doc,
            visible,
            selected: 0,
            filter: String::new(),
            filtering: false,
            revealed: false,
            overlay: None,
            read_only: None,
            findings: super::effects::Findings::new(),
        }
    }

    /// The effect that finds what the list marks, for the document as it is now.
    pub fn audit(&self) -> Effect {
        Effect::Audit(Box::new(self.doc.clone()))
    }

    pub fn selected_name(&self) -> Option<&str> {
        self.visible.get(self.selected).map(String::as_str)
    }

    /// Swaps in a newer document (after a save or reload), keeping the selection where it can.
    fn replace_doc(&mut self, doc: Document, select: Option<String>) {
        let before = self.selected_name().map(str::to_owned);
        let keep = select.or_else(|| before.clone());
        self.doc = doc;
        self.refilter();
        if let Some(i) = keep.and_then(|name| self.visible.iter().position(|n| *n == name)) {
            self.selected = i;
        }
        // A password stays revealed only for the entry it was revealed on.
        if self.selected_name() != before.as_deref() {
            self.revealed = false;
        }
    }

    fn refilter(&mut self) {
        self.visible = filter::visible(&self.doc, &self.filter);
        self.selected = self.selected.min(self.visible.len().saturating_sub(1));
    }

    fn select(&mut self, index: usize) {
        let index = index.min(self.visible.len().saturating_sub(1));
        if index != self.selected {
            self.revealed = false;
        }
        self.selected = index;
    }

    fn saved(
        &mut self,
        result: vault::error::Result<Document>,
        select: Option<String>,
    ) -> Option<Status> {
        match result {
            Ok(doc) => {
                let kept_open = match self.overlay.take() {
                    Some(Overlay::Recipients(mut view)) => {
                        view.adding = None;
                        view.selected = view.selected.min(doc.recipients.len().saturating_sub(1));
                        Some(Overlay::Recipients(view))
                    }
                    _ => None,
                };
                self.overlay = kept_open;
                self.replace_doc(doc, select);
                Some(Status {
                    text: "saved".into(),
                    error: false,
                })
            }
            Err(err @ Error::Changed(_)) => {
                let form = match self.overlay.take() {
                    Some(Overlay::Form(form)) => Some(form),
                    _ => None,
                };
                self.overlay = Some(Overlay::Conflict {
                    message: err.to_string(),
                    form,
                });
                None
            }
            Err(err) => {
                let message = one_line(&err);
                match &mut self.overlay {
                    Some(Overlay::Form(form)) => form.error = Some(message),
                    Some(Overlay::Recipients(view)) => view.error = Some(message),
                    _ => {
                        return Some(Status {
                            text: message,
                            error: true,
                        });
                    }
                }
                None
            }
        }
    }

    fn paste(&mut self, text: &str) {
        match &mut self.overlay {
            Some(Overlay::Form(form)) => form.paste(text),
            Some(Overlay::Recipients(view)) => view.paste(text),
            None if self.filtering => {
                self.filter.push_str(text);
                self.refilter();
            }
            _ => {}
        }
    }

    fn save(&self, change: Change, select: Option<String>) -> MainOutcome {
        if let Some(why) = &self.read_only {
            return MainOutcome::Refused(format!("read-only: {why}; nothing saved"));
        }
        MainOutcome::Effect(Effect::Save {
            identity: self.identity.clone(),
            change,
            select,
        })
    }

    fn key(&mut self, key: KeyEvent) -> MainOutcome {
        if let Some(overlay) = self.overlay.take() {
            return self.overlay_key(overlay, key);
        }
        if self.filtering {
            match key.code {
                KeyCode::Enter => self.filtering = false,
                KeyCode::Esc => {
                    self.filtering = false;
                    self.filter.clear();
                    self.refilter();
                }
                KeyCode::Backspace => {
                    self.filter.pop();
                    self.refilter();
                }
                KeyCode::Down => self.select(self.selected + 1),
                KeyCode::Up => self.select(self.selected.saturating_sub(1)),
                KeyCode::Char(c)
                    if !key
                        .modifiers
                        .contains(ratatui::crossterm::event::KeyModifiers::CONTROL) =>
                {
                    self.filter.push(c);
                    self.selected = 0;
                    self.refilter();
                }
                _ => {}
            }
            return MainOutcome::None;
        }
        let Some(action) = keys::action_for(key) else {
            return MainOutcome::None;
        };
        if let Some(why) = &self.read_only
            && matches!(action, Action::Add | Action::Edit | Action::Delete)
        {
            return MainOutcome::Refused(format!(
                "read-only: {why}; check it, then vault trust accept"
            ));
        }
        match action {
            Action::Down => self.select(self.selected + 1),
            Action::Up => self.select(self.selected.saturating_sub(1)),
            Action::PageDown => self.select(self.selected + PAGE),
            Action::PageUp => self.select(self.selected.saturating_sub(PAGE)),
            Action::Top => self.select(0),
            Action::Bottom => self.select(self.visible.len().saturating_sub(1)),
            Action::Filter => self.filtering = true,
            Action::Reveal => self.revealed = !self.revealed && self.selected_name().is_some(),
            Action::CopyPassword | Action::CopyUsername => {
                let Some(name) = self.selected_name() else {
                    return MainOutcome::None;
                };
                let entry = &self.doc.entries[name];
                let (what, value) = if action == Action::CopyPassword {
                    ("password", entry.password.clone())
                } else {
                    ("username", Secret::from(entry.username.as_str()))
                };
                return MainOutcome::Effect(Effect::Copy { value, what });
            }
            Action::Add => self.overlay = Some(Overlay::Form(Form::add())),
            Action::Edit => {
                if let Some(name) = self.selected_name() {
                    self.overlay = Some(Overlay::Form(Form::edit(name, &self.doc.entries[name])));
                }
            }
            Action::Delete => {
                if let Some(name) = self.selected_name() {
                    self.overlay = Some(Overlay::ConfirmDelete(name.to_owned()));
                }
            }
            Action::Recipients => self.overlay = Some(Overlay::Recipients(Recipients::default())),
            Action::Lock => return MainOutcome::Lock,
            Action::Help => self.overlay = Some(Overlay::Help),
            Action::Escape => {
                self.filter.clear();
                self.refilter();
            }
            Action::Quit => return MainOutcome::Quit,
        }
        MainOutcome::None
    }

    fn overlay_key(&mut self, overlay: Overlay, key: KeyEvent) -> MainOutcome {
        match overlay {
            Overlay::Help | Overlay::Untrusted(_) => {}
            Overlay::ConfirmDelete(name) => {
                if key.code == KeyCode::Char('y')
                    && let Some(seen) = self.doc.entries.get(&name).cloned()
                {
                    return self.save(Change::Remove { name, seen }, None);
                }
            }
            Overlay::ConfirmDiscard(form) => {
                if key.code != KeyCode::Char('y') {
                    self.overlay = Some(Overlay::Form(form));
                }
            }
            Overlay::Conflict { form, .. } => {
                if key.code == KeyCode::Char('y') {
                    return MainOutcome::Effect(Effect::Reload {
                        identity: self.identity.clone(),
                    });
                }
                self.overlay = form.map(Overlay::Form);
            }
            Overlay::Form(mut form) => match form.handle(key) {
                form::Outcome::Stay => self.overlay = Some(Overlay::Form(form)),
                form::Outcome::Cancel => {}
                form::Outcome::AskDiscard => self.overlay = Some(Overlay::ConfirmDiscard(form)),
                form::Outcome::Submit => match form.change(&self.doc, &timestamp_now()) {
                    Ok((change, name)) => {
                        self.overlay = Some(Overlay::Form(form));
                        return self.save(change, Some(name));
                    }
                    Err(reason) => {
                        form.error = Some(reason);
                        self.overlay = Some(Overlay::Form(form));
                    }
                },
            },
            Overlay::Recipients(mut view) => match view.handle(key, &self.doc) {
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
        MainOutcome::None
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use ratatui::crossterm::event::KeyModifiers;
    use std::path::PathBuf;
    use vault::document::Entry;
    use vault::identity;

    pub fn identity() -> Arc<Identity> {
        let new = identity::generate();
        Arc::new(
            identity::parse_age(
                std::path::Path::new("/home/op/.config/vault/identity"),
                new.file_text.expose(),
            )
            .unwrap(),
        )
    }

    pub fn sample_doc() -> Document {
        let mut doc = Document::new(vec![vault::document::Recipient::new(
            "cron@backup",
            "age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p",
        )]);
        for (name, user, password) in [
            ("bank/checking", "dustin", "hunter2"),
            ("bank/savings", "dustin", "s4v1ngs"),
            ("db/prod", "postgres", "pg-secret"),
            ("mail", "d@example.org", "m41l"),
        ] {
            let mut entry = Entry::new("2026-11-23T10:00:00Z");
            entry.username = user.into();
            entry.password = Secret::from(password);
            doc.entries.insert(name.into(), entry);
        }
        doc
    }

    pub fn main_app() -> App {
        let paths = Paths {
            vault: PathBuf::from("/home/op/.local/share/vault/vault.age"),
            identity: PathBuf::from("/home/op/.config/vault/identity"),
            agent: None,
        };
        App::opened(paths, Duration::from_secs(300), identity(), sample_doc())
    }

    pub fn press(app: &mut App, key: impl Into<KeyEvent>) -> Vec<Effect> {
        app.update(Msg::Key(key.into()))
    }

    pub trait Ctrl {
        fn into_ctrl(self) -> KeyEvent;
    }

    impl Ctrl for KeyCode {
        fn into_ctrl(self) -> KeyEvent {
            KeyEvent::new(self, KeyModifiers::CONTROL)
        }
    }

    pub fn type_text(app: &mut App, text: &str) {
        for c in text.chars() {
            press(app, KeyCode::Char(c));
        }
    }

    pub fn main(app: &App) -> &Main {
        match &app.screen {
            Screen::Main(main) => main,
            _ => panic!("not on the main screen"),
        }
    }

    #[test]
    fn filter_narrows_as_you_type_enter_keeps_esc_clears() {
        let mut app = main_app();
        press(&mut app, KeyCode::Char('/'));
        type_text(&mut app, "sav");
        assert_eq!(main(&app).visible, ["bank/savings"]);
        press(&mut app, KeyCode::Enter);
        assert!(!main(&app).filtering);
        assert_eq!(main(&app).visible, ["bank/savings"]);
        press(&mut app, KeyCode::Char('j'));
        assert_eq!(main(&app).selected, 0);
        press(&mut app, KeyCode::Esc);
        assert_eq!(main(&app).visible.len(), 4);
    }

    #[test]
    fn moving_hides_a_revealed_password() {
        let mut app = main_app();
        press(&mut app, KeyCode::Char('r'));
        assert!(main(&app).revealed);
        press(&mut app, KeyCode::Char('r'));
        assert!(!main(&app).revealed);
        press(&mut app, KeyCode::Char('r'));
        press(&mut app, KeyCode::Char('G'));
        assert_eq!(main(&app).selected_name(), Some("mail"));
        assert!(!main(&app).revealed);
    }

    #[test]
    fn delete_asks_then_saves_a_remove() {
        let mut app = main_app();
        press(&mut app, KeyCode::Char('d'));
        assert!(press(&mut app, KeyCode::Char('n')).is_empty());
        assert!(main(&app).overlay.is_none());
        press(&mut app, KeyCode::Char('d'));
        let effects = press(&mut app, KeyCode::Char('y'));
        assert!(
            matches!(&effects[..], [Effect::Save { change: Change::Remove { name, .. }, .. }] if name == "bank/checking")
        );
        assert_eq!(app.busy, Some("saving"));
        assert!(
            press(&mut app, KeyCode::Char('d')).is_empty(),
            "keys wait while saving"
        );
    }

    #[test]
    fn a_form_that_cannot_be_saved_says_why_and_keeps_the_input() {
        let mut app = main_app();
        press(&mut app, KeyCode::Char('a'));
        type_text(&mut app, "mail");
        assert!(press(&mut app, KeyCode::Enter).is_empty());
        match &main(&app).overlay {
            Some(Overlay::Form(form)) => {
                assert!(form.error.as_deref().unwrap().contains("already exists"));
                assert_eq!(form.fields[form::NAME].text(), "mail");
            }
            _ => panic!("the form closed"),
        }
        press(&mut app, KeyCode::Esc);
        assert!(matches!(
            main(&app).overlay,
            Some(Overlay::ConfirmDiscard(_))
        ));
        press(&mut app, KeyCode::Char('n'));
        assert!(
            matches!(main(&app).overlay, Some(Overlay::Form(_))),
            "n returns to the form"
        );
        press(&mut app, KeyCode::Esc);
        press(&mut app, KeyCode::Char('y'));
        assert!(main(&app).overlay.is_none());
    }

    #[test]
    fn a_conflict_offers_a_reload_and_keeps_the_edit_otherwise() {
        let mut app = main_app();
        press(&mut app, KeyCode::Char('e'));
        type_text(&mut app, "x");
        let effects = press(&mut app, KeyCode::Enter);
        assert_eq!(effects.len(), 1);
        app.update(Msg::Done(Done::Saved {
            result: Err(Error::Changed("entry 'bank/checking'".into())),
            select: None,
        }));
        assert!(matches!(main(&app).overlay, Some(Overlay::Conflict { .. })));
        press(&mut app, KeyCode::Char('n'));
        assert!(matches!(main(&app).overlay, Some(Overlay::Form(_))));
        press(&mut app, KeyCode::Enter);
        app.update(Msg::Done(Done::Saved {
            result: Err(Error::Changed("x".into())),
            select: None,
        }));
        let effects = press(&mut app, KeyCode::Char('y'));
        assert!(matches!(&effects[..], [Effect::Reload { .. }]));
    }

    #[test]
    fn a_failed_save_keeps_the_form_with_the_reason() {
        let mut app = main_app();
        press(&mut app, KeyCode::Char('e'));
        press(&mut app, KeyCode::Enter);
        app.update(Msg::Done(Done::Saved {
            result: Err(Error::other("disk full")),
            select: None,
        }));
        match &main(&app).overlay {
            Some(Overlay::Form(form)) => assert_eq!(form.error.as_deref(), Some("disk full")),
            _ => panic!("the form closed"),
        }
    }

    #[test]
    fn a_save_updates_the_list_and_selects_the_entry() {
        let mut app = main_app();
        let mut doc = sample_doc();
        doc.entries.insert("aaa".into(), Entry::new("t"));
        app.update(Msg::Done(Done::Saved {
            result: Ok(doc),
            select: Some("mail".into()),
        }));
        assert_eq!(main(&app).visible.len(), 5);
        assert_eq!(main(&app).selected_name(), Some("mail"));
        assert!(!app.status.as_ref().unwrap().error);
    }

    #[test]
    fn idle_time_and_l_lock_and_drop_the_data() {
        let mut app = main_app();
        app.lock_after = Duration::ZERO;
        app.update(Msg::Tick);
        assert!(matches!(&app.screen, Screen::Unlock(u) if u.locked));
        let mut app = main_app();
        press(&mut app, KeyCode::Char('L'));
        assert!(matches!(&app.screen, Screen::Unlock(u) if u.locked));
        let effects = press(&mut app, KeyCode::Enter);
        assert!(matches!(&effects[..], [Effect::Open { passphrase: None }]));
    }

    #[test]
    fn idle_time_counts_from_the_unlock_not_from_the_key_that_started_it() {
        let mut app = main_app();
        app.lock_after = Duration::from_millis(50);
        app.lock();
        press(&mut app, KeyCode::Enter);
        std::thread::sleep(Duration::from_millis(80));
        let opened = Opened {
            untrusted: None,
            identity: identity(),
            doc: Some(sample_doc()),
        };
        app.update(Msg::Done(Done::Opened(Ok(opened))));
        app.update(Msg::Tick);
        assert!(
            matches!(app.screen, Screen::Main(_)),
            "locked again at once"
        );
    }

    #[test]
    fn wrong_passphrase_asks_again_with_an_empty_field() {
        let mut app = main_app();
        app.screen = Screen::Unlock(Unlock {
            passphrase: TextField::new(""),
            needs_passphrase: false,
            locked: false,
            error: None,
        });
        app.update(Msg::Done(Done::Opened(Err(Error::PassphraseNeeded(
            PathBuf::from("id"),
        )))));
        type_text(&mut app, "wrong");
        let effects = press(&mut app, KeyCode::Enter);
        assert!(
            matches!(&effects[..], [Effect::Open { passphrase: Some(p) }] if p.expose() == "wrong")
        );
        app.update(Msg::Done(Done::Opened(Err(Error::WrongPassphrase(
            PathBuf::from("id"),
        )))));
        match &app.screen {
            Screen::Unlock(unlock) => {
                assert!(
                    unlock
                        .error
                        .as_deref()
                        .unwrap()
                        .contains("wrong passphrase")
                );
                assert_eq!(unlock.passphrase.text(), "");
            }
            _ => panic!("not asking again"),
        }
    }

    #[test]
    fn recipients_scope_grants_some_entries_and_blank_grants_all() {
        /// The recipient list a single save effect asks for.
        fn saved_recipients(effects: &[Effect]) -> &[vault::document::Recipient] {
            let [
                Effect::Save {
                    change: Change::Recipients { recipients, .. },
                    ..
                },
            ] = effects
            else {
                panic!("no save")
            };
            recipients
        }

        let mut app = main_app();
        press(&mut app, KeyCode::Char('R'));
        press(&mut app, KeyCode::Char('s'));
        type_text(&mut app, "bank/* db");
        let effects = press(&mut app, KeyCode::Enter);
        let recipients = saved_recipients(&effects);
        assert_eq!(
            recipients[0].only.as_deref(),
            Some(&["bank/*".to_owned(), "db".to_owned()][..])
        );

        // A new recipient with a scope, from the add form's third field.
        let mut app = main_app();
        press(&mut app, KeyCode::Char('R'));
        press(&mut app, KeyCode::Char('a'));
        app.update(Msg::Paste(vault::identity::generate().recipient));
        press(&mut app, KeyCode::Tab);
        type_text(&mut app, "job");
        press(&mut app, KeyCode::Tab);
        type_text(&mut app, "mail");
        let effects = press(&mut app, KeyCode::Enter);
        let recipients = saved_recipients(&effects);
        assert_eq!(
            recipients[1].only.as_deref(),
            Some(&["mail".to_owned()][..])
        );
        assert!(recipients[0].only.is_none(), "the others keep every entry");
    }

    #[test]
    fn recipients_add_a_pasted_key_and_refuse_bad_input() {
        let mut app = main_app();
        press(&mut app, KeyCode::Char('R'));
        press(&mut app, KeyCode::Char('a'));
        app.update(Msg::Paste("age1notakey".into()));
        press(&mut app, KeyCode::Tab);
        type_text(&mut app, "laptop");
        assert!(press(&mut app, KeyCode::Enter).is_empty());
        let Some(Overlay::Recipients(view)) = &main(&app).overlay else {
            panic!("closed")
        };
        assert!(
            view.error
                .as_deref()
                .unwrap()
                .contains("not a valid age public key")
        );

        let key = vault::identity::generate().recipient;
        press(&mut app, KeyCode::BackTab);
        press(&mut app, KeyCode::Char('u').into_ctrl());
        app.update(Msg::Paste(format!(" {key}\n")));
        let effects = press(&mut app, KeyCode::Enter);
        match &effects[..] {
            [
                Effect::Save {
                    change: Change::Recipients { recipients, .. },
                    ..
                },
            ] => {
                assert_eq!(recipients.len(), 2);
                assert_eq!(recipients[1].name, "laptop");
                assert_eq!(recipients[1].key, key);
            }
            _ => panic!("no save"),
        }
    }

    #[test]
    fn help_opens_and_any_key_closes_it() {
        let mut app = main_app();
        press(&mut app, KeyCode::Char('?'));
        assert!(matches!(main(&app).overlay, Some(Overlay::Help)));
        press(&mut app, KeyCode::Esc);
        assert!(main(&app).overlay.is_none());
        app.update(Msg::Key(KeyEvent::new(
            KeyCode::Char('c'),
            KeyModifiers::CONTROL,
        )));
        assert!(app.quit);
    }
}
