//! The interface's state and the one place it changes: `App::update`. Keys, the mouse, paste,
//! time and the results of slow work come in as messages; slow work goes out as effects. Each
//! screen handles its own keys; this routes them.

use std::sync::Arc;
use std::time::{Duration, Instant};

use ratatui::crossterm::event::{KeyEvent, MouseEvent};
use ratatui::layout::Rect;

use super::confirm::Question;
use super::effects::{self, Done, Effect, Opened, Paths};
use super::keys::{self, Mode};
use super::list::{self, Ctx, Main, Overlay};
use super::prompt::{self, Prompt};
use super::setup::{self, Setup};
use super::unlock::{self, Unlock};
use vault::document::Document;
use vault::error::Error;
use vault::identity::Identity;
use vault::secret::Secret;

/// How often the vault file is looked at, for changes made on disk.
const WATCH_EVERY: Duration = Duration::from_secs(1);

// One message at a time: boxing what a worker sends back would buy nothing.
#[allow(clippy::large_enum_variant)]
pub enum Msg {
    Key(KeyEvent),
    Paste(String),
    Mouse(MouseEvent),
    /// The terminal's size, at the start and after each change.
    Resize(u16, u16),
    /// Time passes: the idle lock, the TOTP codes, the look at the vault file. `unix` is the
    /// wall clock in seconds.
    Tick {
        at: Instant,
        unix: u64,
    },
    Done(Done),
    /// An age plugin asks something (a PIN, a touch).
    Plugin(prompt::Request),
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
    /// The time as the last tick told it.
    pub now: Instant,
    last_input: Instant,
    /// Whether the identity wanted a passphrase: the lock screen asks for it again.
    needs_passphrase: bool,
    /// The time TOTP codes are shown for (Unix seconds), advanced by every tick.
    pub clock: u64,
    /// The terminal's area, for the mouse and for scrolling.
    pub size: Rect,
    /// A plugin's question, over whatever screen is showing.
    pub prompt: Option<Prompt>,
    watching: bool,
    last_watch: Instant,
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

impl App {
    pub fn new(paths: Paths, lock_after: Duration) -> Self {
        let now = Instant::now();
        App {
            paths,
            screen: Screen::Unlock(Unlock::new(false, false, None)),
            busy: None,
            status: None,
            lock_after,
            quit: false,
            copied: None,
            now,
            last_input: now,
            needs_passphrase: false,
            clock: vault::otp::now(),
            size: Rect::new(0, 0, 80, 24),
            prompt: None,
            watching: false,
            last_watch: now,
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
        vec![Effect::Open {
            passphrase,
            relock: false,
        }]
    }

    /// The mode whose keys apply now: for the hint bar.
    pub fn mode(&self) -> Mode {
        if self.prompt.is_some() {
            return Mode::Prompt;
        }
        match &self.screen {
            Screen::Unlock(_) => Mode::Unlock,
            Screen::Setup(_) => Mode::Setup,
            Screen::Main(main) => main.mode(),
        }
    }

    pub fn update(&mut self, msg: Msg) -> Vec<Effect> {
        match msg {
            Msg::Tick { at, unix } => self.tick(at, unix),
            Msg::Resize(width, height) => {
                self.size = Rect::new(0, 0, width, height);
                vec![]
            }
            // Findings come from a worker of their own, whatever else is under way.
            Msg::Done(Done::Audited(findings)) => {
                if let Screen::Main(main) = &mut self.screen {
                    main.findings = findings;
                }
                vec![]
            }
            Msg::Done(Done::Watched { now, changed }) => {
                self.watching = false;
                match &mut self.screen {
                    Screen::Main(main) if changed => {
                        main.file = now;
                        vec![Effect::Reload {
                            identity: main.identity.clone(),
                            quiet: true,
                        }]
                    }
                    _ => vec![],
                }
            }
            Msg::Done(done @ Done::Reloaded { quiet: true, .. }) => self.done(done),
            Msg::Done(done) => {
                self.busy = None;
                self.done(done)
            }
            Msg::Plugin(request) => {
                match (request.ask, request.reply) {
                    (prompt::Ask::Show(message), _) => {
                        self.status = Some(Status {
                            text: format!("plugin: {message}"),
                            error: false,
                        });
                    }
                    (ask, Some(reply)) => self.prompt = Some(Prompt::new(ask, reply)),
                    (_, None) => {}
                }
                vec![]
            }
            Msg::Key(key) => {
                self.last_input = self.now;
                if keys::is_interrupt(key) {
                    self.quit = true;
                    return vec![];
                }
                if let Some(prompt) = &mut self.prompt {
                    let Some(reply) = prompt.key(key) else {
                        return vec![];
                    };
                    let prompt = self.prompt.take().expect("a prompt is open");
                    return vec![Effect::Answer(prompt.reply, reply)];
                }
                if self.busy.is_some() {
                    return vec![];
                }
                self.status = None;
                let effects = self.screen_key(key);
                if let Some(first) = effects.first() {
                    self.busy = match first {
                        Effect::Save { .. } => Some("saving"),
                        Effect::Reload { quiet: false, .. } => Some("reading the vault"),
                        Effect::CreateAll { .. } | Effect::CreateVault { .. } => Some("creating"),
                        Effect::Open { .. } => Some("unlocking"),
                        Effect::Copy { .. } => Some("copying"),
                        _ => None,
                    };
                }
                effects
            }
            Msg::Mouse(event) => {
                self.last_input = self.now;
                if self.prompt.is_none() && self.busy.is_none() {
                    let (body, _) = super::view::layout(self, self.size);
                    if let Screen::Main(main) = &mut self.screen {
                        main.mouse(event, body);
                    }
                }
                vec![]
            }
            Msg::Paste(text) => {
                self.last_input = self.now;
                if let Some(prompt) = &mut self.prompt {
                    prompt.paste(&text);
                    return vec![];
                }
                match &mut self.screen {
                    Screen::Unlock(unlock) => unlock.passphrase.insert(&text),
                    Screen::Setup(setup) => setup.focused().insert(&text),
                    Screen::Main(main) => main.paste(&text),
                }
                vec![]
            }
        }
    }

    fn tick(&mut self, at: Instant, unix: u64) -> Vec<Effect> {
        self.now = at;
        self.clock = unix;
        let Screen::Main(main) = &mut self.screen else {
            return vec![];
        };
        if self.busy.is_some() || self.prompt.is_some() {
            return vec![];
        }
        if at.saturating_duration_since(self.last_input) >= self.lock_after {
            self.lock();
            return vec![];
        }
        // The marks are worked out after the list is on screen: copying 100,000 entries for
        // the worker would hold back the first frame.
        if main.audit_due {
            main.audit_due = false;
            return vec![main.audit()];
        }
        if !self.watching && at.saturating_duration_since(self.last_watch) >= WATCH_EVERY {
            self.watching = true;
            self.last_watch = at;
            return vec![Effect::Watch { known: main.file }];
        }
        vec![]
    }

    fn screen_key(&mut self, key: KeyEvent) -> Vec<Effect> {
        let ctx = Ctx {
            clock: self.clock,
            area: super::view::layout(self, self.size).0,
        };
        match &mut self.screen {
            Screen::Unlock(unlock) => match unlock.key(key) {
                unlock::Outcome::Stay => vec![],
                unlock::Outcome::Quit => {
                    self.quit = true;
                    vec![]
                }
                unlock::Outcome::Effect(effect) => vec![effect],
            },
            Screen::Setup(setup) => match setup.key(key) {
                setup::Outcome::Stay => vec![],
                setup::Outcome::Quit => {
                    self.quit = true;
                    vec![]
                }
                setup::Outcome::Effect(effect) => vec![effect],
            },
            Screen::Main(main) => match main.key(key, ctx) {
                list::Outcome::None => vec![],
                list::Outcome::Quit => {
                    self.quit = true;
                    vec![]
                }
                list::Outcome::Lock => {
                    self.lock();
                    vec![]
                }
                list::Outcome::Effect(effect) => vec![effect],
                list::Outcome::Refused(text) => {
                    self.status = Some(Status { text, error: true });
                    vec![]
                }
            },
        }
    }

    /// Drops every decrypted thing and asks to unlock again, with the identity itself (never
    /// the agent alone). Says so when that closed a form with unsaved changes.
    pub fn lock(&mut self) {
        let dropped = match &self.screen {
            Screen::Main(main) => match &main.overlay {
                Some(
                    Overlay::Form(_)
                    | Overlay::Question(
                        Question::Discard(_)
                        | Question::ChangedOnDisk(_)
                        | Question::Conflict { form: Some(_), .. },
                    ),
                ) => Some("Locked with a form open: its unsaved changes are gone."),
                Some(Overlay::Fields(fields)) if fields.editing.is_some() => {
                    Some("Locked while a field was being edited: the change is gone.")
                }
                _ => None,
            },
            _ => None,
        };
        let mut unlock = Unlock::new(self.needs_passphrase, true, None);
        unlock.dropped = dropped.map(str::to_owned);
        self.screen = Screen::Unlock(unlock);
        self.status = None;
        // A question a plugin asked for the locked session goes unanswered.
        self.prompt = None;
    }

    fn done(&mut self, done: Done) -> Vec<Effect> {
        match done {
            Done::Opened(Ok(opened)) => return self.show_opened(opened),
            Done::Parsed(result) => match (&mut self.screen, result) {
                (Screen::Main(main), Ok(doc)) if main.loading.is_some() => main.loaded(doc),
                (Screen::Main(main), Err(err)) if main.loading.is_some() => {
                    // As a locked screen asks: not knowing whether this session was unlocked
                    // after a lock, the agent alone does not open it again.
                    self.screen = Screen::Unlock(Unlock::new(
                        self.needs_passphrase,
                        true,
                        Some(one_line(&err)),
                    ));
                }
                // A newer document came meanwhile (a reload), or the screen went: nothing
                // waits for it.
                _ => {}
            },
            Done::Opened(Err(err)) => self.open_failed(err),
            Done::FirstRun => self.screen = Screen::Setup(Setup::new(None)),
            // Taken by `update` before it gets here.
            Done::Audited(_) | Done::Watched { .. } => {}
            Done::Saved { result, select } => {
                if let Screen::Main(main) = &mut self.screen {
                    let result = result.map(|saved| {
                        let written = saved.written().map(effects::file_id_of);
                        // Laid over the document held: what was saved only if that document was
                        // read from the very file the save replaced. Otherwise the next look
                        // reads the vault again.
                        let exact = saved
                            .replaced()
                            .is_none_or(|meta| main.read_from == Some(effects::file_id_of(meta)));
                        main.file = if exact { written } else { None };
                        main.read_from = main.file;
                        saved.onto(std::mem::replace(&mut main.doc, Document::new(vec![])))
                    });
                    self.status = main
                        .saved(result, select)
                        .map(|(text, error)| Status { text, error });
                    main.audit_due = true;
                }
            }
            Done::Copied {
                what,
                result: Ok(()),
            } => {
                self.copied = Some((what, self.now + vault::clipboard::DEFAULT_CLEAR_AFTER));
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
            Done::Reloaded {
                result,
                quiet,
                file,
            } => {
                if let Screen::Main(main) = &mut self.screen {
                    match result {
                        Ok(doc) => {
                            main.file = file;
                            main.read_from = file;
                            let changed = doc != main.doc;
                            main.reloaded(doc);
                            if !quiet {
                                self.status = Some(Status {
                                    text: "read the vault again".into(),
                                    error: false,
                                });
                            }
                            main.audit_due |= changed;
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

    /// The main screen on the vault just opened (a large one's entries parsed after its list
    /// shows), or the set-up of one when there is none yet.
    fn show_opened(&mut self, opened: Opened) -> Vec<Effect> {
        let Opened {
            identity,
            doc,
            rest,
            untrusted,
            protected,
            file,
        } = opened;
        self.needs_passphrase |= protected;
        let Some(doc) = doc else {
            self.screen = Screen::Setup(Setup::new(Some(identity)));
            return vec![];
        };
        let mut main = match rest.as_ref().and_then(|rest| rest.names()) {
            Some(names) => Main::partial(identity, doc, names),
            None => Main::new(identity, doc),
        };
        main.file = file;
        main.read_from = file;
        if let Some(untrusted) = untrusted {
            main.read_only = Some(untrusted.signer.clone());
            main.overlay = Some(Overlay::Untrusted(untrusted));
        }
        self.screen = Screen::Main(Box::new(main));
        // Idle time counts from here: an unlock can take longer than the lock delay.
        self.last_input = self.now;
        match rest {
            Some(rest) => {
                self.busy = Some("reading the entries");
                vec![Effect::Parse(rest)]
            }
            None => vec![],
        }
    }

    fn open_failed(&mut self, err: Error) {
        let locked = matches!(&self.screen, Screen::Unlock(u) if u.locked);
        match err {
            Error::PassphraseNeeded(_) | Error::WrongPassphrase(_) => {
                self.needs_passphrase = true;
                let error = matches!(err, Error::WrongPassphrase(_))
                    .then(|| "wrong passphrase, try again".to_owned());
                self.screen = Screen::Unlock(Unlock::new(true, locked, error));
            }
            other => {
                self.screen = Screen::Unlock(Unlock::new(
                    self.needs_passphrase,
                    locked,
                    Some(one_line(&other)),
                ));
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
