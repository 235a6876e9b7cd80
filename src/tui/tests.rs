//! The whole interface fed messages and looked at: `update` for what it does, the rendered
//! buffer for what it shows (insta snapshots of each screen at 80x24 and 40x10).

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::app::{App, Msg, Screen};
use super::confirm::Question;
use super::effects::{Done, Effect, Opened, Paths};
use super::keys::{BINDINGS, Mode};
use super::list::{Main, Overlay};
use super::theme::Theme;
use super::unlock::Unlock;
use super::view::draw;
use vault::change::Change;
use vault::document::{Conflict, Document, Entry, NamedEntry, PastPassword};
use vault::error::Error;
use vault::identity::{self, Identity};
use vault::secret::Secret;

const PASSWORDS: [&str; 4] = ["hunter2", "s4v1ngs", "pg-secret", "m41l"];

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
    for (name, user, password, updated) in [
        ("bank/checking", "dustin", "hunter2", "2026-11-23T10:00:00Z"),
        ("bank/savings", "dustin", "s4v1ngs", "2026-11-25T10:00:00Z"),
        ("db/prod", "postgres", "pg-secret", "2026-11-20T10:00:00Z"),
        ("mail", "d@example.org", "m41l", "2026-11-24T10:00:00Z"),
    ] {
        let mut entry = Entry::new(updated);
        entry.username = user.into();
        entry.password = Secret::from(password);
        doc.entries.insert(name.into(), entry);
    }
    doc
}

fn paths() -> Paths {
    Paths {
        vault: PathBuf::from("/home/op/.local/share/vault/vault.age"),
        identity: PathBuf::from("/home/op/.config/vault/identity"),
        agent: None,
    }
}

pub fn main_app() -> App {
    let mut app = App::opened(paths(), Duration::from_secs(300), identity(), sample_doc());
    // A fixed clock: snapshots must not move with time.
    app.clock = 59;
    app
}

pub fn press(app: &mut App, key: impl Into<KeyEvent>) -> Vec<Effect> {
    app.update(Msg::Key(key.into()))
}

fn ctrl(c: char) -> KeyEvent {
    KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL)
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

fn main_mut(app: &mut App) -> &mut Main {
    match &mut app.screen {
        Screen::Main(main) => main,
        _ => panic!("not on the main screen"),
    }
}

fn tick(app: &mut App, after: Duration) -> Vec<Effect> {
    let at = app.now + after;
    let unix = app.clock;
    app.update(Msg::Tick { at, unix })
}

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

/// The screen at 80x24 and 40x10, each a snapshot of its own.
fn snapshots(name: &str, app: &App) {
    insta::assert_snapshot!(format!("{name}_80x24"), render(app, 80, 24));
    insta::assert_snapshot!(format!("{name}_40x10"), render(app, 40, 10));
}

fn with_history_and_fields(app: &mut App) {
    let main = main_mut(app);
    let entry = main.doc.entries.get_mut("bank/checking").unwrap();
    entry.fields.insert("pin".into(), Secret::from("9911"));
    entry.tags = vec!["money".into()];
    entry.totp = Secret::from("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ");
    for (pw, until) in [
        ("old-one", "2026-01-02T03:04:05Z"),
        ("old-two", "2026-06-01T00:00:00Z"),
    ] {
        entry.history.push(PastPassword {
            password: Secret::from(pw),
            until: until.into(),
            ..PastPassword::default()
        });
    }
    let doc = main.doc.clone();
    main.replace_doc(doc, Some("bank/checking".into()));
}

// ---- what update does ----

#[test]
fn filter_narrows_as_you_type_enter_keeps_esc_clears() {
    let mut app = main_app();
    press(&mut app, KeyCode::Char('/'));
    type_text(&mut app, "sav");
    assert_eq!(main(&app).visible(), ["bank/savings"]);
    press(&mut app, KeyCode::Enter);
    assert!(!main(&app).filtering);
    assert_eq!(main(&app).visible(), ["bank/savings"]);
    press(&mut app, KeyCode::Char('j'));
    assert_eq!(main(&app).selected_name(), Some("bank/savings"));
    press(&mut app, KeyCode::Esc);
    assert_eq!(main(&app).visible().len(), 4);
    assert_eq!(
        main(&app).selected_name(),
        Some("bank/savings"),
        "the entry found stays selected"
    );
    press(&mut app, KeyCode::Char('G'));
    press(&mut app, KeyCode::Esc);
    assert_eq!(
        main(&app).selected_name(),
        Some("mail"),
        "Esc alone moves nothing"
    );
}

#[test]
fn groups_fold_and_sort_by_last_change_lists_newest_first() {
    let mut app = main_app();
    assert_eq!(
        main(&app).selected_name(),
        Some("bank/checking"),
        "an entry first"
    );
    press(&mut app, KeyCode::Char('g'));
    assert_eq!(
        main(&app).selected_name(),
        None,
        "the bank/ group is above it"
    );
    press(&mut app, KeyCode::Char(' '));
    assert_eq!(main(&app).visible(), ["db/prod", "mail"]);
    press(&mut app, KeyCode::Char(' '));
    assert_eq!(main(&app).visible().len(), 4);
    press(&mut app, KeyCode::Char('s'));
    assert_eq!(
        main(&app).visible(),
        ["bank/savings", "mail", "bank/checking", "db/prod"]
    );
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
    press(&mut app, KeyCode::Tab);
    press(&mut app, KeyCode::Tab);
    type_text(&mut app, "pw");
    assert!(press(&mut app, KeyCode::Enter).is_empty());
    match &main(&app).overlay {
        Some(Overlay::Form(form)) => {
            assert!(form.error.as_deref().unwrap().contains("already exists"));
            assert_eq!(form.fields[super::form::NAME].text(), "mail");
        }
        _ => panic!("the form closed"),
    }
    press(&mut app, KeyCode::Esc);
    assert!(matches!(
        main(&app).overlay,
        Some(Overlay::Question(Question::Discard(_)))
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
fn the_add_form_refuses_an_empty_password() {
    let mut app = main_app();
    press(&mut app, KeyCode::Char('a'));
    type_text(&mut app, "new");
    assert!(press(&mut app, KeyCode::Enter).is_empty());
    let Some(Overlay::Form(form)) = &main(&app).overlay else {
        panic!("the form closed")
    };
    assert!(form.error.as_deref().unwrap().contains("password is empty"));
    press(&mut app, ctrl('g'));
    let effects = press(&mut app, KeyCode::Enter);
    assert!(matches!(
        &effects[..],
        [Effect::Save {
            change: Change::Add { .. },
            ..
        }]
    ));
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
    assert!(matches!(
        main(&app).overlay,
        Some(Overlay::Question(Question::Conflict { .. }))
    ));
    press(&mut app, KeyCode::Char('n'));
    assert!(matches!(main(&app).overlay, Some(Overlay::Form(_))));
    press(&mut app, KeyCode::Enter);
    app.update(Msg::Done(Done::Saved {
        result: Err(Error::Changed("x".into())),
        select: None,
    }));
    let effects = press(&mut app, KeyCode::Char('y'));
    assert!(matches!(
        &effects[..],
        [Effect::Reload { quiet: false, .. }]
    ));
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
        result: Ok(vault::store::Saved::whole(doc)),
        select: Some("mail".into()),
    }));
    assert_eq!(main(&app).visible().len(), 5);
    assert_eq!(main(&app).selected_name(), Some("mail"));
    assert!(!app.status.as_ref().unwrap().error);
}

#[test]
fn idle_time_and_l_lock_and_drop_the_data() {
    let mut app = main_app();
    tick(&mut app, Duration::from_secs(301));
    assert!(matches!(&app.screen, Screen::Unlock(u) if u.locked));
    let mut app = main_app();
    press(&mut app, KeyCode::Char('L'));
    assert!(matches!(&app.screen, Screen::Unlock(u) if u.locked));
    let effects = press(&mut app, KeyCode::Enter);
    assert!(matches!(
        &effects[..],
        [Effect::Open {
            passphrase: None,
            relock: true
        }]
    ));
}

#[test]
fn the_idle_lock_says_it_dropped_an_open_form() {
    let mut app = main_app();
    press(&mut app, KeyCode::Char('a'));
    type_text(&mut app, "half typed");
    tick(&mut app, Duration::from_secs(400));
    let Screen::Unlock(unlock) = &app.screen else {
        panic!("not locked")
    };
    assert!(
        unlock
            .dropped
            .as_deref()
            .unwrap()
            .contains("unsaved changes are gone")
    );
    snapshots("locked_with_a_form_open", &app);
}

#[test]
fn a_lock_asks_for_the_passphrase_even_when_an_agent_opened_it() {
    let mut app = App::new(paths(), Duration::from_secs(300));
    app.start(None);
    // The agent held the key; the identity file has a passphrase.
    app.update(Msg::Done(Done::Opened(Ok(Opened {
        identity: identity(),
        protected: true,
        file: None,
        doc: Some(sample_doc()),
        rest: None,
        untrusted: None,
    }))));
    press(&mut app, KeyCode::Char('L'));
    assert!(matches!(&app.screen, Screen::Unlock(u) if u.locked && u.needs_passphrase));
    type_text(&mut app, "secret");
    let effects = press(&mut app, KeyCode::Enter);
    assert!(matches!(
        &effects[..],
        [Effect::Open { passphrase: Some(p), relock: true }] if p.expose() == "secret"
    ));
    // A wrong one asks again, still as a lock: the agent stays out of it.
    app.update(Msg::Done(Done::Opened(Err(Error::WrongPassphrase(
        PathBuf::from("id"),
    )))));
    let effects = press(&mut app, KeyCode::Enter);
    assert!(matches!(&effects[..], [Effect::Open { relock: true, .. }]));
}

#[test]
fn idle_time_counts_from_the_unlock_not_from_the_key_that_started_it() {
    let mut app = main_app();
    app.lock_after = Duration::from_secs(50);
    app.lock();
    press(&mut app, KeyCode::Enter);
    tick(&mut app, Duration::from_secs(80));
    let opened = Opened {
        untrusted: None,
        protected: false,
        file: None,
        identity: identity(),
        doc: Some(sample_doc()),
        rest: None,
    };
    app.update(Msg::Done(Done::Opened(Ok(opened))));
    tick(&mut app, Duration::from_secs(1));
    assert!(
        matches!(app.screen, Screen::Main(_)),
        "locked again at once"
    );
}

#[test]
fn wrong_passphrase_asks_again_with_an_empty_field() {
    let mut app = main_app();
    app.screen = Screen::Unlock(Unlock::new(false, false, None));
    app.update(Msg::Done(Done::Opened(Err(Error::PassphraseNeeded(
        PathBuf::from("id"),
    )))));
    type_text(&mut app, "wrong");
    let effects = press(&mut app, KeyCode::Enter);
    assert!(
        matches!(&effects[..], [Effect::Open { passphrase: Some(p), relock: false }] if p.expose() == "wrong")
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
fn a_change_on_disk_is_read_keeping_the_selection_and_filter() {
    let mut app = main_app();
    press(&mut app, KeyCode::Char('/'));
    type_text(&mut app, "bank");
    press(&mut app, KeyCode::Enter);
    press(&mut app, KeyCode::Down);
    assert_eq!(main(&app).selected_name(), Some("bank/savings"));
    // The first tick asks for the audit marks; a second later the loop looks at the file.
    let effects = tick(&mut app, Duration::from_secs(1));
    assert!(matches!(&effects[..], [Effect::Audit(_)]));
    let effects = tick(&mut app, Duration::from_secs(2));
    assert!(matches!(&effects[..], [Effect::Watch { known: None }]));
    let effects = app.update(Msg::Done(Done::Watched {
        now: None,
        changed: true,
    }));
    assert!(matches!(&effects[..], [Effect::Reload { quiet: true, .. }]));
    assert!(app.busy.is_none(), "keys do not wait for it");
    let mut doc = sample_doc();
    let mut entry = Entry::new("t");
    entry.password = Secret::from("x");
    doc.entries.insert("bank/aaa-from-cli".into(), entry);
    app.update(Msg::Done(Done::Reloaded {
        result: Ok(doc),
        quiet: true,
        file: None,
    }));
    assert_eq!(main(&app).visible().len(), 3);
    assert_eq!(main(&app).selected_name(), Some("bank/savings"));
    assert_eq!(main(&app).filter, "bank");
}

#[test]
fn an_open_edit_of_an_entry_changed_on_disk_asks() {
    let mut app = main_app();
    press(&mut app, KeyCode::Char('G'));
    press(&mut app, KeyCode::Char('e'));
    type_text(&mut app, "-mine");
    let mut doc = sample_doc();
    doc.entries.get_mut("mail").unwrap().username = "changed@example.org".into();
    app.update(Msg::Done(Done::Reloaded {
        result: Ok(doc.clone()),
        quiet: true,
        file: None,
    }));
    assert!(matches!(
        main(&app).overlay,
        Some(Overlay::Question(Question::ChangedOnDisk(_)))
    ));
    snapshots("changed_on_disk", &app);
    press(&mut app, KeyCode::Char('n'));
    let Some(Overlay::Form(form)) = &main(&app).overlay else {
        panic!("the form is gone")
    };
    assert_eq!(form.fields[super::form::NAME].text(), "mail-mine", "kept");
    // An edit of another entry goes on untouched.
    let mut app = main_app();
    press(&mut app, KeyCode::Char('e'));
    app.update(Msg::Done(Done::Reloaded {
        result: Ok(doc),
        quiet: true,
        file: None,
    }));
    assert!(matches!(main(&app).overlay, Some(Overlay::Form(_))));
}

#[test]
fn history_reveals_one_and_restores_it() {
    let mut app = main_app();
    with_history_and_fields(&mut app);
    press(&mut app, KeyCode::Char('h'));
    snapshots("history", &app);
    press(&mut app, KeyCode::Char('j'));
    press(&mut app, KeyCode::Char('r'));
    let screen = render(&app, 80, 24);
    assert!(
        screen.contains("old-one") && !screen.contains("old-two"),
        "{screen}"
    );
    press(&mut app, KeyCode::Char('o'));
    snapshots("restore_question", &app);
    let effects = press(&mut app, KeyCode::Char('y'));
    let [
        Effect::Save {
            change: Change::Update { entry, .. },
            ..
        },
    ] = &effects[..]
    else {
        panic!("no save")
    };
    assert_eq!(entry.password.expose(), "old-one");
    assert_eq!(entry.history.last().unwrap().password.expose(), "hunter2");
}

#[test]
fn the_fields_window_reveals_and_copies_one_field() {
    let mut app = main_app();
    with_history_and_fields(&mut app);
    press(&mut app, KeyCode::Char('f'));
    snapshots("fields", &app);
    for _ in 0..6 {
        press(&mut app, KeyCode::Char('j'));
    }
    press(&mut app, KeyCode::Char('r'));
    assert!(render(&app, 80, 24).contains("9911"));
    let effects = press(&mut app, KeyCode::Char('c'));
    assert!(
        matches!(&effects[..], [Effect::Copy { value, what: "field" }] if value.expose() == "9911")
    );
}

#[test]
fn conflicts_are_listed_and_resolved() {
    let mut app = main_app();
    let main = main_mut(&mut app);
    let theirs = main.doc.entries["mail"].clone();
    main.doc.conflicts.push(Conflict {
        name: "mail".into(),
        fields: vec!["password".into()],
        theirs: Some(NamedEntry {
            name: "mail".into(),
            entry: theirs,
        }),
        at: "2026-11-28T09:00:00Z".into(),
        ..Conflict::default()
    });
    press(&mut app, KeyCode::Char('C'));
    snapshots("conflicts", &app);
    let effects = press(&mut app, KeyCode::Char('t'));
    assert!(matches!(
        &effects[..],
        [Effect::Save { change: Change::Resolve { name, theirs: true }, .. }] if name == "mail"
    ));
}

#[test]
fn a_plugin_question_is_a_dialog_whose_answer_goes_back() {
    let mut app = App::new(paths(), Duration::from_secs(300));
    app.start(None);
    let (tx, rx) = std::sync::mpsc::channel();
    app.update(Msg::Plugin(super::prompt::Request {
        ask: super::prompt::Ask::Text {
            description: "Enter PIN for YubiKey 5 (serial 1234)".into(),
            secret: true,
        },
        reply: Some(tx),
    }));
    type_text(&mut app, "4321");
    snapshots("plugin_pin", &app);
    assert!(!render(&app, 80, 24).contains("4321"));
    let effects = press(&mut app, KeyCode::Enter);
    let Ok([Effect::Answer(reply, answer)]) = <[Effect; 1]>::try_from(effects) else {
        panic!("no answer")
    };
    reply.send(answer).unwrap();
    match rx.recv().unwrap() {
        super::prompt::Reply::Text(Some(pin)) => assert_eq!(pin.expose(), "4321"),
        _ => panic!("no PIN"),
    }
    assert!(app.prompt.is_none());
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
    press(&mut app, ctrl('u'));
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
fn help_opens_and_closes_and_ctrl_c_quits() {
    let mut app = main_app();
    press(&mut app, KeyCode::Char('?'));
    assert!(matches!(main(&app).overlay, Some(Overlay::Help(_))));
    press(&mut app, KeyCode::Esc);
    assert!(main(&app).overlay.is_none());
    press(&mut app, ctrl('c'));
    assert!(app.quit);
}

#[test]
fn a_click_selects_the_row_under_it_and_the_wheel_scrolls() {
    use ratatui::crossterm::event::{MouseButton, MouseEvent, MouseEventKind};
    let mut app = main_app();
    let mouse = |kind, row| {
        Msg::Mouse(MouseEvent {
            kind,
            column: 5,
            row,
            modifiers: KeyModifiers::NONE,
        })
    };
    // Row 0 is the border; 1 the bank/ group, 2 and 3 its entries.
    app.update(mouse(MouseEventKind::Down(MouseButton::Left), 3));
    assert_eq!(main(&app).selected_name(), Some("bank/savings"));
    app.update(mouse(MouseEventKind::ScrollDown, 10));
    assert_eq!(main(&app).selected_name(), Some("mail"));
    app.update(mouse(MouseEventKind::ScrollUp, 10));
    assert_eq!(main(&app).selected_name(), Some("bank/savings"));
}

// ---- what it shows ----

#[test]
fn audit_findings_mark_the_list_once_the_worker_reports_them() {
    use vault::audit::Finding;
    let mut app = main_app();
    let Effect::Audit(doc) = main(&app).audit() else {
        panic!("an audit effect")
    };
    let found = vault::audit::audit(
        &doc,
        Duration::from_secs(180 * 86_400),
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
    snapshots("main", &app);
}

#[test]
fn main_screen_sorted_by_change_with_a_long_name() {
    let mut app = main_app();
    let main = main_mut(&mut app);
    let mut doc = main.doc.clone();
    let mut entry = Entry::new("2026-11-29T10:00:00Z");
    entry.password = Secret::from("x");
    doc.entries.insert(
        "infrastructure/kubernetes/production-cluster-admin-token".into(),
        entry,
    );
    main.replace_doc(doc, None);
    press(&mut app, KeyCode::Char('s'));
    snapshots("sorted_by_change", &app);
}

#[test]
fn filtering() {
    let mut app = main_app();
    press(&mut app, KeyCode::Char('/'));
    type_text(&mut app, "bank");
    snapshots("filtering", &app);
}

#[test]
fn names_that_disguise_themselves_are_shown_escaped() {
    let mut app = main_app();
    let main = main_mut(&mut app);
    let mut doc = main.doc.clone();
    for name in ["bank\u{202e}gnp.exe", "ma\u{200b}il"] {
        let mut entry = Entry::new("t");
        entry.password = Secret::from("x");
        doc.entries.insert(name.into(), entry);
    }
    main.replace_doc(doc, Some("bank\u{202e}gnp.exe".into()));
    let screen = render(&app, 80, 24);
    assert!(!screen.contains('\u{202e}') && !screen.contains('\u{200b}'));
    assert!(screen.contains("bank\\u{202e}gnp.exe"), "{screen}");
    press(&mut app, KeyCode::Char('e'));
    let screen = render(&app, 80, 24);
    assert!(screen.contains("edit bank\\u{202e}gnp.exe"), "{screen}");
    press(&mut app, KeyCode::Esc);
    press(&mut app, KeyCode::Char('d'));
    let screen = render(&app, 80, 24);
    assert!(
        screen.contains("Delete 'bank\\u{202e}gnp.exe'?"),
        "{screen}"
    );
}

#[test]
fn help_overlay_lists_the_key_table_and_scrolls() {
    let mut app = main_app();
    app.update(Msg::Resize(40, 10));
    press(&mut app, KeyCode::Char('?'));
    let screen = render(&app, 80, 24);
    assert!(screen.contains("next entry"), "{screen}");
    snapshots("help", &app);
    // Every binding's help is somewhere in it, scrolled to at 40x10.
    let mut seen = String::new();
    for _ in 0..200 {
        seen.push_str(&render(&app, 40, 10));
        press(&mut app, KeyCode::Char('j'));
    }
    let seen: String = seen.split_whitespace().collect::<Vec<_>>().join(" ");
    for binding in BINDINGS {
        let first_words: String = binding
            .help
            .split_whitespace()
            .take(2)
            .collect::<Vec<_>>()
            .join(" ");
        assert!(seen.contains(&first_words), "{} missing", binding.help);
    }
    insta::assert_snapshot!("help_scrolled_to_the_end_40x10", render(&app, 40, 10));
}

#[test]
fn every_hint_bar_comes_from_the_key_table_and_fits() {
    let mut app = main_app();
    let screen = render(&app, 80, 24);
    let last = screen.lines().last().unwrap();
    for (key, word) in super::keys::hints(Mode::Main).take(4) {
        assert!(last.contains(&format!("{key} {word}")), "{last}");
    }
    press(&mut app, KeyCode::Char('a'));
    let screen = render(&app, 40, 10);
    assert!(screen.contains("Tab next"), "{screen}");
}

#[test]
fn a_long_status_message_wraps_instead_of_being_cut() {
    let mut app = main_app();
    app.status = Some(super::app::Status {
        text: "cannot save: the vault changed on disk and the entry 'bank/checking' is not as you saw it; press y to read it again".into(),
        error: true,
    });
    let screen = render(&app, 80, 24);
    assert!(screen.contains("read it again"), "{screen}");
    snapshots("long_status", &app);
}

#[test]
fn edit_form_masks_the_password() {
    let mut app = main_app();
    let main = main_mut(&mut app);
    main.doc.entries.get_mut("bank/checking").unwrap().notes =
        Secret::from("first line\nsecond line");
    press(&mut app, KeyCode::Char('e'));
    snapshots("edit_form", &app);
}

#[test]
fn recipients_window() {
    let mut app = main_app();
    press(&mut app, KeyCode::Char('R'));
    press(&mut app, KeyCode::Char('a'));
    snapshots("recipients", &app);
}

#[test]
fn delete_question() {
    let mut app = main_app();
    press(&mut app, KeyCode::Char('d'));
    snapshots("delete_question", &app);
}

#[test]
fn unlock_screen_after_a_wrong_passphrase() {
    let mut app = main_app();
    let mut unlock = Unlock::new(true, false, Some("wrong passphrase, try again".into()));
    unlock.passphrase.insert("typed");
    app.screen = Screen::Unlock(unlock);
    let screen = render(&app, 80, 24);
    assert!(!screen.contains("typed"));
    snapshots("unlock", &app);
}

#[test]
fn setup_screen() {
    let mut app = main_app();
    app.screen = Screen::Setup(super::setup::Setup::new(None));
    type_text(&mut app, "abc");
    snapshots("setup", &app);
}

#[test]
fn an_entry_with_totp_shows_its_code_and_time_left() {
    let mut app = main_app();
    let main = main_mut(&mut app);
    // RFC 6238's SHA-1 seed at t=59: code 287082, 1 s of 30 left.
    main.doc.entries.get_mut("bank/checking").unwrap().totp =
        "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ".into();
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
    press(&mut app, KeyCode::Char('r'));
    terminal
        .draw(|frame| draw(&app, frame, Theme::plain()))
        .unwrap();
    assert!(terminal.backend().to_string().contains("hunter2"));
}

#[test]
fn opening_marks_since_when_it_is_idle() {
    // The tick's instant, not the wall clock, is what idle time is measured with.
    let mut app = main_app();
    let start = app.now;
    app.update(Msg::Tick {
        at: start + Duration::from_secs(299),
        unix: 0,
    });
    assert!(matches!(app.screen, Screen::Main(_)));
    press(&mut app, KeyCode::Char('j'));
    app.update(Msg::Tick {
        at: start + Duration::from_secs(500),
        unix: 0,
    });
    assert!(matches!(app.screen, Screen::Main(_)), "a key at 299 s");
    let _ = Instant::now();
}

/// A vault large enough to be indexed as it is decrypted (over 1 MiB): `N` entries `e00000`…,
/// each with the username `userN`.
fn large_vault(n: usize) -> (tempfile::TempDir, vault::store::Store, Arc<Identity>) {
    let made = vault_of(n);
    let size = std::fs::metadata(made.1.path()).unwrap().len();
    assert!(size > vault::crypto::PIPELINE_FROM);
    made
}

/// A vault file of `n` entries `e00000`…, each with the username `userN`.
fn vault_of(n: usize) -> (tempfile::TempDir, vault::store::Store, Arc<Identity>) {
    let new = identity::generate();
    let id = Arc::new(
        identity::parse_age(std::path::Path::new("identity"), new.file_text.expose()).unwrap(),
    );
    let mut doc = Document::new(vec![vault::document::Recipient::new(
        "operator",
        &new.recipient,
    )]);
    for i in 0..n {
        let mut entry = Entry::new("2026-11-24T00:00:00Z");
        entry.username = format!("user{i}");
        entry.password = Secret::new(format!("{:0>20}", i * 7919));
        entry.notes = Secret::new("rotate quarterly, owner: finance team ".repeat(3));
        doc.entries.insert(format!("e{i:05}"), entry);
    }
    let (recipient, _) = vault::crypto::parse_recipient(&new.recipient).unwrap();
    let ciphertext = vault::crypto::encrypt(&doc.to_json(0), &[recipient]).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("vault.age");
    std::fs::write(&path, ciphertext).unwrap();
    (dir, vault::store::Store::new(path), id)
}

/// The interface on `store`'s large vault as it first shows it, its entries not parsed yet;
/// what it asks next. `None` on one core, where nothing is parsed behind the first frame.
fn opening_large(store: &vault::store::Store, id: Arc<Identity>) -> Option<(App, Vec<Effect>)> {
    let (doc, rest, _) = super::effects::first_look(store, &id).unwrap();
    rest.as_ref()?;
    Some(showing_first(id, doc, rest))
}

/// The interface given what `first_look` found: the list shown, the rest parsed next.
fn showing_first(
    identity: Arc<Identity>,
    doc: Document,
    rest: Option<vault::store::Unparsed>,
) -> (App, Vec<Effect>) {
    let mut app = App::new(paths(), Duration::from_secs(300));
    let effects = app.update(Msg::Done(Done::Opened(Ok(Opened {
        identity,
        protected: false,
        file: None,
        doc: Some(doc),
        rest,
        untrusted: None,
    }))));
    (app, effects)
}

#[test]
fn a_change_on_disk_read_while_the_entries_are_parsed_is_what_stays() {
    let (_dir, store, id) = large_vault(12_000);
    let Some((mut app, effects)) = opening_large(&store, id.clone()) else {
        return;
    };
    let mut newer = store.load(&id).unwrap();
    newer.entries.remove("e00005");
    app.update(Msg::Done(Done::Reloaded {
        result: Ok(newer.clone()),
        quiet: true,
        file: None,
    }));
    for effect in effects {
        let done = super::effects::run(effect, &paths()).unwrap();
        app.update(Msg::Done(done));
    }
    assert!(app.busy.is_none());
    assert_eq!(
        main(&app).doc,
        newer,
        "the older parse came after and was dropped"
    );
    assert!(!main(&app).visible().contains(&"e00005"));
    assert_eq!(main(&app).visible().len(), 11_999);
}

#[test]
fn entries_that_fail_to_parse_after_the_list_showed_lock_it_with_the_reason() {
    let (_dir, store, id) = large_vault(12_000);
    let Some((mut app, _)) = opening_large(&store, id) else {
        return;
    };
    app.update(Msg::Done(Done::Parsed(Err(Error::VaultUnreadable {
        path: "vault.age".into(),
        reason: "its document is invalid: expected a string".into(),
    }))));
    let Screen::Unlock(unlock) = &app.screen else {
        panic!("the list stays up");
    };
    // Locked: the agent alone does not open it again.
    assert!(unlock.locked);
    let screen = render(&app, 80, 24);
    assert!(screen.contains("expected a string"), "{screen}");
    assert!(!screen.contains("e00000"), "{screen}");
}

#[test]
fn a_large_vault_lists_every_name_while_its_entries_are_parsed() {
    const N: usize = 12_000;
    let (_dir, store, id) = large_vault(N);
    let (doc, rest, _) = super::effects::first_look(&store, &id).unwrap();
    if !vault::crypto::several_cores() {
        // One core: nothing to do the parse beside the interface; it is done before.
        assert!(rest.is_none());
        assert_eq!(doc.entries.len(), N);
        return;
    }
    assert!(rest.is_some());
    assert_eq!(doc.entries.keys().collect::<Vec<_>>(), ["e00000"]);
    let (mut app, effects) = showing_first(id, doc, rest);
    let screen = render(&app, 80, 24);
    assert!(screen.contains(&format!("entries {N}/{N}")), "{screen}");
    for shown in ["e00000", "e00001", "user0", "reading the entries"] {
        assert!(screen.contains(shown), "{shown} not shown:\n{screen}");
    }
    // Until the entries are in, a key does nothing (the next entry has nothing to show yet).
    press(&mut app, KeyCode::Down);
    assert_eq!(main(&app).selected_name(), Some("e00000"));
    assert!(
        matches!(&effects[..], [Effect::Parse(_)]),
        "the entries are parsed next"
    );
    for effect in effects {
        let done = super::effects::run(effect, &paths()).unwrap();
        app.update(Msg::Done(done));
    }
    assert_eq!(main(&app).doc, store.load(&main(&app).identity).unwrap());
    assert!(app.busy.is_none());
    press(&mut app, KeyCode::Down);
    assert_eq!(main(&app).selected_name(), Some("e00001"));
    let screen = render(&app, 80, 24);
    assert!(screen.contains("user1"), "{screen}");
    assert!(screen.contains(&format!("entries {N}/{N}")), "{screen}");
}

/// The interface on a real vault of `n` entries (`large_vault`'s), read whole, with the
/// identity of the file it read, as an open leaves it.
fn opened_on(store: &vault::store::Store, id: Arc<Identity>) -> App {
    let doc = store.load(&id).unwrap();
    let mut app = App::opened(paths(), Duration::from_secs(300), id, doc);
    let file = super::effects::file_id(store.path());
    main_mut(&mut app).file = file;
    main_mut(&mut app).read_from = file;
    app
}

/// The effects `effects` asks for, run as the event loop runs them, and what they ask next.
fn run_effects(app: &mut App, effects: Vec<Effect>, paths: &Paths) -> Vec<Effect> {
    let mut next = Vec::new();
    for effect in effects {
        if let Some(done) = super::effects::run(effect, paths) {
            next.extend(app.update(Msg::Done(done)));
        }
    }
    next
}

/// `change` saved from the interface through the worker's path, `select` selected after.
fn save(app: &mut App, paths: &Paths, change: Change, select: Option<&str>) {
    let effects = vec![Effect::Save {
        identity: main(app).identity.clone(),
        change,
        select: select.map(str::to_owned),
    }];
    assert!(run_effects(app, effects, paths).is_empty());
}

/// The entry `name` given the username `username` and the name `rename`, saved from the
/// interface.
fn save_username(app: &mut App, paths: &Paths, name: &str, username: &str, rename: &str) {
    let seen = main(app).doc.entries[name].clone();
    let mut entry = seen.clone();
    entry.username = username.into();
    let update = Change::Update {
        name: name.into(),
        seen,
        entry,
        rename: Some(rename.into()),
    };
    save(app, paths, update, None);
}

#[test]
fn a_save_parses_only_its_entry_and_the_list_shows_what_was_saved() {
    let (_dir, store, id) = vault_of(50);
    // Signed by this identity's own writer key, as every vault it saves.
    store.save_change(&id, Change::Adopt).unwrap();
    let paths = Paths {
        vault: store.path().to_owned(),
        ..paths()
    };
    let mut app = opened_on(&store, id.clone());
    save_username(&mut app, &paths, "e00003", "someone-else", "e00003-renamed");
    let status = app.status.as_ref().map(|s| (s.text.clone(), s.error));
    assert_eq!(status, Some(("saved".to_owned(), false)));
    // Exactly what is on disk now, and the file it read is the one it wrote.
    assert_eq!(main(&app).doc, store.load(&id).unwrap());
    assert!(main(&app).visible().contains(&"e00003-renamed"));
    assert!(!main(&app).visible().contains(&"e00003"));
    assert_eq!(main(&app).file, super::effects::file_id(store.path()));

    // A change by someone else first: the save keeps it, and the list reads the file again.
    store
        .save_change(
            &id,
            Change::Remove {
                name: "e00007".into(),
                seen: main(&app).doc.entries["e00007"].clone(),
            },
        )
        .unwrap();
    let mut entry = Entry::new("2026-11-30T00:00:00Z");
    entry.password = Secret::from("pw");
    let add = Change::Add {
        name: "added".into(),
        entry,
    };
    save(&mut app, &paths, add, Some("added"));
    assert_eq!(main(&app).selected_name(), Some("added"));
    assert_eq!(main(&app).file, None, "read again at the next look");
    // The ticks after it: the marks worked out, then the look at the file, which reads it.
    for _ in 0..3 {
        let mut asked = tick(&mut app, Duration::from_secs(2));
        while !asked.is_empty() {
            asked = run_effects(&mut app, asked, &paths);
        }
    }
    assert_eq!(main(&app).doc, store.load(&id).unwrap());
    assert!(!main(&app).visible().contains(&"e00007"));
    assert!(main(&app).visible().contains(&"added"));

    // An edit that "renames" an entry to its own name keeps it.
    save_username(&mut app, &paths, "e00001", "still-here", "e00001");
    assert_eq!(main(&app).doc.entries["e00001"].username, "still-here");
    assert_eq!(main(&app).doc, store.load(&id).unwrap());

    // And these saves parsed only the entries they touched.
    let probe = store
        .apply_change(
            &id,
            Change::Add {
                name: "probe".into(),
                entry: Entry::new("2026-11-30T00:00:00Z"),
            },
        )
        .unwrap();
    assert!(probe.spliced());
}
