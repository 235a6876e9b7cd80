//! The terminal interface in a real pseudo-terminal: tmux runs the binary, send-keys types,
//! capture-pane reads the screen.

use std::fs;
use std::path::Path;
use std::process::Command as StdCommand;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use crate::common::*;

const PASSPHRASE: &str = "correct horse";

/// One tmux server of its own (no user config), with `vault` running in an 80x24 pane.
struct Pane {
    socket: String,
}

impl Pane {
    fn start(s: &Sandbox, args: &str) -> Pane {
        Pane::start_with(s, args, "")
    }

    /// `env` is put before the command: `DISPLAY=:5`, say.
    fn start_with(s: &Sandbox, args: &str, env: &str) -> Pane {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let socket = format!(
            "vault-test-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::SeqCst)
        );
        let command = format!(
            "env {env} HOME='{}' VAULT_FILE='{}' VAULT_IDENTITY='{}' VAULT_AGENT_SOCK='{}' '{BIN}' {args}; echo EXITED rc=$?; sleep 600",
            s.dir.path().display(),
            s.vault_path().display(),
            s.key().display(),
            s.agent_socket().display()
        );
        let pane = Pane { socket };
        pane.tmux(&[
            "-f",
            "/dev/null",
            "new-session",
            "-d",
            "-s",
            "t",
            "-x",
            "80",
            "-y",
            "24",
            &command,
        ]);
        pane
    }

    fn tmux(&self, args: &[&str]) -> String {
        let out = StdCommand::new("tmux")
            .arg("-L")
            .arg(&self.socket)
            .args(args)
            .output()
            .expect("tmux runs");
        assert!(
            out.status.success(),
            "tmux {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    fn keys(&self, keys: &[&str]) {
        for key in keys {
            self.tmux(&["send-keys", "-t", "t", key]);
            // One key at a time: Esc followed at once by a letter reads as Alt-letter.
            thread::sleep(Duration::from_millis(40));
        }
    }

    fn text(&self, text: &str) {
        self.tmux(&["send-keys", "-t", "t", "-l", text]);
    }

    fn screen(&self) -> String {
        self.tmux(&["capture-pane", "-p", "-t", "t"])
    }

    /// Waits until the screen shows `text` (a guard against hanging, not a speed check).
    fn wait_for(&self, text: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let screen = self.screen();
            if screen.contains(text) {
                return screen;
            }
            assert!(
                Instant::now() < deadline,
                "waited for {text:?}; the screen shows:\n{screen}"
            );
            thread::sleep(Duration::from_millis(50));
        }
    }

    fn wait_without(&self, text: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let screen = self.screen();
            if !screen.contains(text) {
                return screen;
            }
            assert!(
                Instant::now() < deadline,
                "waited for {text:?} to go; the screen shows:\n{screen}"
            );
            thread::sleep(Duration::from_millis(50));
        }
    }

    /// The pid of `vault` itself: the child of the pane's shell.
    fn vault_pid(&self) -> String {
        let shell = self
            .tmux(&["display", "-p", "-t", "t", "#{pane_pid}"])
            .trim()
            .to_owned();
        let children = fs::read_to_string(format!("/proc/{shell}/task/{shell}/children")).unwrap();
        children
            .split_whitespace()
            .next()
            .expect("vault runs")
            .to_owned()
    }
}

impl Drop for Pane {
    fn drop(&mut self) {
        StdCommand::new("tmux")
            .arg("-L")
            .arg(&self.socket)
            .arg("kill-server")
            .output()
            .ok();
    }
}

/// A vault with a passphrase-protected identity and three entries.
fn sandbox() -> (Sandbox, std::path::PathBuf) {
    Sandbox::with_passphrase(
        PASSPHRASE,
        &[
            ("bank/checking", "dustin"),
            ("bank/savings", "dustin"),
            ("mail", "d@example.org"),
        ],
    )
}

fn export(s: &Sandbox, pass: &Path, name: &str) -> String {
    stdout_of(
        &s.vault(&["export", name, "--passphrase-file", pass.to_str().unwrap()])
            .assert()
            .success(),
    )
}

fn unlock(pane: &Pane) {
    pane.wait_for("passphrase");
    pane.text(PASSPHRASE);
    pane.keys(&["Enter"]);
    pane.wait_for("entries 3/3");
}

#[test]
fn find_an_entry_give_it_a_generated_password_and_the_job_sees_it() {
    let (s, pass) = sandbox();
    let pane = Pane::start(&s, "");
    pane.wait_for("passphrase");
    pane.text("wrong");
    pane.keys(&["Enter"]);
    pane.wait_for("wrong passphrase, try again");
    unlock(&pane);

    pane.keys(&["/"]);
    pane.text("sav");
    let screen = pane.wait_for("entries 1/3");
    assert!(
        screen.contains("bank/savings") && !screen.contains("bank/checking"),
        "{screen}"
    );
    pane.keys(&["Enter", "r"]);
    pane.wait_for("pw-of-bank/savings");
    pane.keys(&["r"]);
    pane.wait_without("pw-of-bank/savings");

    pane.keys(&["e"]);
    pane.wait_for("edit bank/savings");
    pane.keys(&["Tab", "Tab", "C-g", "Enter"]);
    pane.wait_for("saved");
    let new_password = export(&s, &pass, "bank/savings");
    assert_eq!(
        new_password.trim_end().chars().count(),
        24,
        "{new_password}"
    );
    let shown = stdout_of(
        &s.vault(&[
            "show",
            "bank/savings",
            "--passphrase-file",
            pass.to_str().unwrap(),
        ])
        .assert()
        .success(),
    );
    assert!(shown.contains("1 earlier password"), "{shown}");

    pane.keys(&["q"]);
    let screen = pane.wait_for("EXITED rc=0");
    assert!(
        !screen.contains("entries"),
        "the terminal is back as it was:\n{screen}"
    );
}

#[test]
fn add_and_delete_keep_what_the_cli_wrote_meanwhile() {
    let (s, pass) = sandbox();
    let pane = Pane::start(&s, "");
    unlock(&pane);
    // A cron job or a colleague's CLI adds an entry while the interface is open.
    s.vault(&[
        "add",
        "from-cli",
        "--passphrase-file",
        pass.to_str().unwrap(),
    ])
    .write_stdin("cli-pw\n")
    .assert()
    .success();

    pane.keys(&["a"]);
    pane.wait_for("add an entry");
    pane.text("api/token");
    pane.keys(&["Tab"]);
    pane.text("robot");
    pane.keys(&["Tab"]);
    pane.text("t0ken-value");
    pane.keys(&["Enter"]);
    pane.wait_for("saved");
    pane.wait_for("entries 5/5");
    assert_eq!(export(&s, &pass, "api/token"), "t0ken-value\n");
    assert_eq!(export(&s, &pass, "from-cli"), "cli-pw\n");

    // The new entry is selected.
    pane.keys(&["d"]);
    pane.wait_for("Delete 'api/token'? y/n");
    pane.keys(&["y"]);
    pane.wait_for("entries 4/4");
    s.vault(&[
        "export",
        "api/token",
        "--passphrase-file",
        pass.to_str().unwrap(),
    ])
    .assert()
    .code(3);
    pane.keys(&["C-c"]);
    pane.wait_for("EXITED rc=0");
}

#[test]
fn a_running_agent_opens_it_without_a_passphrase() {
    let (s, pass) = sandbox();
    let _running = AgentRunning::start(&s, &pass);
    // No identity file where vault looks: only the agent can open the vault.
    fs::rename(s.key(), s.path("identity.elsewhere")).unwrap();
    let pane = Pane::start(&s, "");
    let screen = pane.wait_for("entries 3/3");
    assert!(!screen.contains("passphrase"), "{screen}");
    pane.keys(&["q"]);
    pane.wait_for("EXITED rc=0");
}

#[test]
fn lock_drops_the_data_and_asks_again() {
    let (s, _) = sandbox();
    let pane = Pane::start(&s, "--lock-after 1h");
    unlock(&pane);
    pane.keys(&["L"]);
    let screen = pane.wait_for("vault is locked");
    assert!(!screen.contains("bank/checking"), "{screen}");
    pane.text(PASSPHRASE);
    pane.keys(&["Enter"]);
    pane.wait_for("entries 3/3");
}

#[test]
fn idle_time_locks_it() {
    let (s, _) = sandbox();
    let pane = Pane::start(&s, "--lock-after 1s");
    unlock(&pane);
    pane.wait_for("vault is locked");
}

#[test]
fn sigterm_puts_the_terminal_back() {
    let (s, _) = sandbox();
    let pane = Pane::start(&s, "");
    unlock(&pane);
    let pid = pane.vault_pid();
    run_ok(StdCommand::new("kill").args(["-TERM", &pid]));
    let screen = pane.wait_for("EXITED");
    assert!(!screen.contains("entries"), "{screen}");
}

#[test]
fn first_run_creates_the_identity_and_the_vault() {
    let s = Sandbox::new();
    let pane = Pane::start(&s, "");
    pane.wait_for("No vault at");
    pane.text("new secret");
    pane.keys(&["Tab"]);
    pane.text("new secreX");
    pane.keys(&["Enter"]);
    pane.wait_for("the two passphrases differ");
    pane.text("new secret");
    pane.keys(&["Enter"]);
    pane.wait_for("no entries yet");
    pane.keys(&["q"]);
    pane.wait_for("EXITED rc=0");
    assert_eq!(mode(&s.key()), 0o600);
    let pass = s.private_file("pass", "new secret\n");
    s.vault(&["list", "--passphrase-file", pass.to_str().unwrap()])
        .assert()
        .success();
}

#[test]
fn the_help_overlay_and_a_small_terminal() {
    let (s, _) = sandbox();
    let pane = Pane::start(&s, "");
    unlock(&pane);
    pane.keys(&["?"]);
    pane.wait_for("next entry");
    // It scrolls: the list's last keys are a page down.
    pane.keys(&["PageDown", "PageDown"]);
    pane.wait_for("lock now");
    pane.keys(&["Escape"]);
    pane.wait_without("lock now");
    pane.tmux(&["resize-window", "-t", "t", "-x", "30", "-y", "8"]);
    pane.wait_for("too small");
    pane.tmux(&["resize-window", "-t", "t", "-x", "80", "-y", "24"]);
    pane.wait_for("entries 3/3");
}

#[test]
fn a_closed_terminal_ends_the_process() {
    let (s, _) = sandbox();
    let pane = Pane::start(&s, "");
    unlock(&pane);
    let pid = pane.vault_pid();
    drop(pane);
    let deadline = Instant::now() + Duration::from_secs(20);
    while Path::new(&format!("/proc/{pid}")).exists() {
        let state = fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
        if state.split_whitespace().nth(2) == Some("Z") {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "vault {pid} still runs after its terminal closed"
        );
        thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn recipients_add_a_key_file_and_refuse_a_lock_out() {
    let (s, pass) = sandbox();
    let (svc, _) = s.keygen("svc.txt");
    let pane = Pane::start(&s, "");
    unlock(&pane);
    pane.keys(&["R"]);
    pane.wait_for("who can decrypt");
    pane.keys(&["a"]);
    pane.text(svc.to_str().unwrap());
    pane.keys(&["Tab"]);
    pane.text("cron@backup");
    pane.keys(&["Enter"]);
    pane.wait_for("cron@backup");
    pane.wait_for("saved");
    let a = s
        .vault(&[
            "export",
            "bank/checking",
            "--identity",
            svc.to_str().unwrap(),
        ])
        .assert()
        .success();
    assert_eq!(stdout_of(&a), "pw-of-bank/checking\n");

    // The operator's own key is first: removing it would lock the operator out.
    pane.keys(&["d"]);
    pane.wait_for("Stop encrypting to 'operator'? y/n");
    pane.keys(&["y"]);
    pane.wait_for("would no longer be able to");
    let list = stdout_of(
        &s.vault(&[
            "recipients",
            "list",
            "--passphrase-file",
            pass.to_str().unwrap(),
        ])
        .assert()
        .success(),
    );
    assert!(
        list.contains("operator") && list.contains("cron@backup"),
        "{list}"
    );
}

#[test]
fn c_copies_the_password_and_the_status_line_counts_down() {
    let (s, _) = sandbox();
    let x = crate::x11::Display::start();
    let pane = Pane::start_with(&s, "", &format!("DISPLAY={}", x.name));
    unlock(&pane);
    pane.keys(&["c"]);
    pane.wait_for("password copied; clipboard cleared in");
    assert_eq!(x.clipboard().as_deref(), Some("pw-of-bank/checking"));
    pane.keys(&["j", "u"]);
    pane.wait_for("username copied");
    assert_eq!(x.clipboard().as_deref(), Some("dustin"));
    // Quitting leaves the helper to finish: the value stays until its clear.
    pane.keys(&["q"]);
    pane.wait_for("EXITED rc=0");
    assert_eq!(x.clipboard().as_deref(), Some("dustin"));
}

/// tmux takes OSC 52 into its paste buffer when `set-clipboard` is on: a real terminal's view.
fn osc52_pane(s: &Sandbox, args: &str) -> Pane {
    let pane = Pane::start_with(s, args, "-u DISPLAY -u WAYLAND_DISPLAY");
    pane.tmux(&["set", "-g", "set-clipboard", "on"]);
    pane
}

#[test]
fn with_no_display_the_interface_copies_through_the_terminal() {
    let (s, _) = sandbox();
    let pane = osc52_pane(&s, "");
    unlock(&pane);
    pane.keys(&["c"]);
    pane.wait_for("OSC 52");
    assert_eq!(pane.tmux(&["show-buffer"]), "pw-of-bank/checking");
}

#[test]
fn copy_osc52_in_a_terminal_without_a_display() {
    let (s, pass) = sandbox();
    let pane = osc52_pane(
        &s,
        &format!("copy mail --osc52 --passphrase-file '{}'", pass.display()),
    );
    pane.wait_for("EXITED rc=0");
    assert_eq!(pane.tmux(&["show-buffer"]), "pw-of-mail");
}

#[test]
fn a_vault_no_trusted_writer_signed_opens_read_only_after_a_warning() {
    let s = Sandbox::init();
    s.add("bank", "pw-bank");
    s.add("mail", "pw-mail");
    // Someone with write access re-encrypts the vault to a key of his own, unsigned.
    let evil = s.path("evil.txt");
    run_ok(StdCommand::new("age-keygen").arg("-o").arg(&evil));
    let evil_public = age_keygen_y(&evil);
    let doc = age_decrypt(&s.key(), &s.vault_path());
    let mut doc = doc.as_object().unwrap().clone();
    doc.remove("signature");
    doc["recipients"]
        .as_array_mut()
        .unwrap()
        .push(serde_json::json!({"name": "backup", "key": evil_public}));
    s.write_hand_made_vault(&serde_json::Value::Object(doc).to_string());
    let forged = s.bytes();

    let pane = Pane::start(&s, "");
    // Each piece waited for: a capture can land while the frame is still being drawn.
    for text in [
        "untrusted vault",
        "it is unsigned",
        "Recipients added since",
        "backup",
        "It opens read-only",
        "Esc or Enter: continue",
    ] {
        pane.wait_for(text);
    }
    pane.keys(&["Escape"]);
    pane.wait_for("read-only");
    pane.wait_for("mail");
    for key in ["a", "d", "e"] {
        pane.keys(&[key]);
        pane.wait_for("read-only: it is unsigned");
        pane.keys(&["Escape"]);
    }
    pane.keys(&["q"]);
    pane.wait_for("EXITED rc=0");
    assert_eq!(s.bytes(), forged, "the interface wrote nothing");
}

fn vault_ok(s: &Sandbox, pass: &Path, args: &[&str]) -> String {
    let mut all = args.to_vec();
    all.extend(["--passphrase-file", pass.to_str().unwrap()]);
    stdout_of(&s.vault(&all).assert().success())
}

#[test]
fn editing_an_entry_keeps_the_lines_of_its_notes() {
    let (s, pass) = sandbox();
    s.vault(&[
        "edit",
        "mail",
        "--notes",
        "line one\nline two",
        "--passphrase-file",
        pass.to_str().unwrap(),
    ])
    .assert()
    .success();
    let pane = Pane::start(&s, "");
    unlock(&pane);
    pane.keys(&["G", "e"]);
    pane.wait_for("edit mail");
    pane.keys(&["Tab"]);
    pane.text("_new");
    pane.keys(&["Enter"]);
    pane.wait_for("saved");
    assert_eq!(
        vault_ok(&s, &pass, &["export", "mail", "--field", "notes"]),
        "line one\nline two\n"
    );
    assert_eq!(
        vault_ok(&s, &pass, &["export", "mail", "--field", "username"]),
        "d@example.org_new\n"
    );
}

#[test]
fn the_add_form_refuses_an_empty_password() {
    let (s, _) = sandbox();
    let before = s.bytes();
    let pane = Pane::start(&s, "");
    unlock(&pane);
    pane.keys(&["a"]);
    pane.text("no-password");
    pane.keys(&["Enter"]);
    pane.wait_for("the password is empty");
    assert_eq!(s.bytes(), before, "nothing saved");
    pane.keys(&["C-g", "Enter"]);
    pane.wait_for("entries 4/4");
}

#[test]
fn no_borders_stay_on_the_screen_after_the_window_grew() {
    let (s, _) = sandbox();
    for _ in 0..3 {
        let pane = Pane::start(&s, "");
        unlock(&pane);
        pane.tmux(&["resize-window", "-t", "t", "-x", "120", "-y", "40"]);
        pane.wait_for("entries 3/3");
        thread::sleep(Duration::from_millis(300));
        pane.keys(&["q"]);
        let screen = pane.wait_for("EXITED rc=0");
        assert!(
            !screen.contains('│') && !screen.contains('─'),
            "the normal screen has the interface's borders:\n{screen}"
        );
    }
}

#[test]
fn a_name_that_disguises_itself_is_shown_escaped() {
    let (s, pass) = sandbox();
    s.vault(&[
        "add",
        "bank\u{202e}gnp.exe",
        "--passphrase-file",
        pass.to_str().unwrap(),
    ])
    .write_stdin("pw\n")
    .assert()
    .success();
    let pane = Pane::start(&s, "");
    pane.wait_for("passphrase");
    pane.text(PASSPHRASE);
    pane.keys(&["Enter"]);
    let screen = pane.wait_for("entries 4/4");
    assert!(screen.contains("bank\\u{202e}gnp.exe"), "{screen}");
    assert!(!screen.contains('\u{202e}'), "{screen}");
}

#[test]
fn the_idle_lock_says_it_closed_an_open_form() {
    let (s, _) = sandbox();
    let pane = Pane::start(&s, "--lock-after 2s");
    unlock(&pane);
    pane.keys(&["a"]);
    pane.text("half-typed");
    let screen = pane.wait_for("vault is locked");
    assert!(!screen.contains("half-typed"), "{screen}");
    pane.wait_for("unsaved changes are gone");
}

#[test]
fn with_the_key_in_an_agent_the_lock_still_asks_for_the_passphrase() {
    let (s, pass) = sandbox();
    let _running = AgentRunning::start(&s, &pass);
    // The agent is asked when the named identity file is not there; a lock then wants the
    // file the agent holds, and its passphrase.
    let missing = s.path("not-here.txt");
    let pane = Pane::start(&s, &format!("--identity '{}'", missing.display()));
    let screen = pane.wait_for("entries 3/3");
    assert!(!screen.contains("passphrase"), "{screen}");
    pane.keys(&["L"]);
    pane.wait_for("vault is locked");
    pane.keys(&["Enter"]);
    pane.wait_for("wrong passphrase, try again");
    pane.text(PASSPHRASE);
    pane.keys(&["Enter"]);
    pane.wait_for("entries 3/3");
}

#[test]
fn a_change_on_disk_shows_without_a_lock_keeping_the_filter() {
    let (s, pass) = sandbox();
    let pane = Pane::start(&s, "");
    unlock(&pane);
    pane.keys(&["/"]);
    pane.text("bank");
    pane.keys(&["Enter"]);
    pane.wait_for("entries 2/3");
    s.vault(&[
        "add",
        "bank/new-from-cli",
        "--passphrase-file",
        pass.to_str().unwrap(),
    ])
    .write_stdin("cli-pw\n")
    .assert()
    .success();
    let screen = pane.wait_for("entries 3/4");
    assert!(screen.contains("/bank"), "the filter stays:\n{screen}");
    assert!(screen.contains("new-from-cli"), "{screen}");
}

#[test]
fn an_edit_of_an_entry_changed_on_disk_asks() {
    let (s, pass) = sandbox();
    let pane = Pane::start(&s, "");
    unlock(&pane);
    pane.keys(&["G", "e"]);
    pane.wait_for("edit mail");
    s.vault(&[
        "edit",
        "mail",
        "--username",
        "someone-else",
        "--passphrase-file",
        pass.to_str().unwrap(),
    ])
    .assert()
    .success();
    pane.wait_for("was changed on disk while you edit it");
    pane.keys(&["y"]);
    pane.wait_for("someone-else");
}

#[test]
fn a_plugin_asks_for_its_pin_in_a_dialog() {
    let s = Sandbox::init();
    s.add("db", "pw-db");
    // The plugin of plugins.rs that asks for a PIN, as a hardware key does.
    let (bin, id) = crate::plugins::asking_plugin(&s);
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let pane = Pane::start_with(
        &s,
        &format!("--identity '{}'", id.display()),
        &format!("PATH='{path}'"),
    );
    pane.wait_for("age plugin");
    pane.wait_for("enter PIN");
    pane.text("1234");
    let screen = pane.screen();
    assert!(!screen.contains("1234"), "the PIN is masked:\n{screen}");
    pane.keys(&["Enter"]);
    // The plugin had its answer, and refuses all the same: it holds no key.
    pane.wait_for("PIN required");
    pane.keys(&["Escape"]);
    pane.wait_for("EXITED rc=0");
}

#[test]
fn a_merge_conflict_is_listed_and_settled_with_theirs() {
    let s = Sandbox::init();
    // What `vault git merge-driver` leaves when both sides changed one password: ours in the
    // entry, theirs recorded beside it.
    let json = serde_json::json!({
        "recipients": [{"name": "operator", "key": age_keygen_y(&s.key())}],
        "entries": {
            "bank": {"id": "b1", "username": "dustin", "password": "ours-pw",
                     "updated": "2026-11-01T00:00:00Z"},
            "mail": {"id": "m1", "password": "mail-pw"}
        },
        "conflicts": [{
            "id": "b1", "name": "bank", "fields": ["password"], "at": "2026-11-02T00:00:00Z",
            "theirs": {"name": "bank", "entry": {"id": "b1", "username": "dustin",
                       "password": "theirs-pw", "updated": "2026-11-01T12:00:00Z"}}
        }]
    });
    s.write_signed_vault(&json.to_string(), &s.own_writer_key());
    let listed = stdout_of(&s.vault(&["conflicts"]).assert().success());
    assert!(listed.contains("bank"), "{listed}");

    let pane = Pane::start(&s, "");
    pane.wait_for("1 conflict");
    pane.keys(&["C"]);
    let screen = pane.wait_for("merge conflicts");
    assert!(
        screen.contains("bank") && screen.contains("password"),
        "{screen}"
    );
    assert!(!screen.contains("theirs-pw") && !screen.contains("ours-pw"));
    pane.keys(&["t"]);
    // Settled and saved: the window closes with the last conflict, theirs is shown.
    let screen = pane.wait_for("1 earlier password");
    assert!(!screen.contains("conflict"), "{screen}");
    pane.keys(&["q"]);
    pane.wait_for("EXITED rc=0");

    assert_eq!(s.export("bank"), "theirs-pw\n");
    let history = stdout_of(&s.vault(&["history", "bank", "--reveal"]).assert().success());
    assert!(
        history.contains("ours-pw"),
        "ours goes to the history: {history}"
    );
    let listed = stdout_of(&s.vault(&["conflicts"]).assert().success());
    assert!(!listed.contains("bank"), "{listed}");
}

#[test]
fn a_large_vault_shows_its_list_and_then_every_entry() {
    const N: usize = 15_000;
    let s = Sandbox::init();
    s.write_signed_vault(&large_document(&s, 0..N), &s.own_writer_key());
    assert!(s.bytes().len() > 1024 * 1024, "large enough to be indexed");
    let pane = Pane::start(&s, "");
    let screen = pane.wait_for(&format!("entries {N}/{N}"));
    assert!(
        screen.contains("e000000") && screen.contains("u0"),
        "{screen}"
    );
    // The entries come in on a worker, the keys waiting for them; then the keys' hints show,
    // and moving shows the next entry's.
    pane.wait_for("? help");
    pane.keys(&["Down"]);
    pane.wait_for("u1 ");
    pane.keys(&["End"]);
    let screen = pane.wait_for(&format!("u{}", N - 1));
    assert!(screen.contains(&format!("e{:06}", N - 1)), "{screen}");
    pane.keys(&["q"]);
    pane.wait_for("EXITED rc=0");
}
