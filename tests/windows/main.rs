//! The Windows build, `vault.exe`, on real files under wine: what a scheduled task on Windows
//! does, and a vault carried between Linux and Windows both ways.
//!
//! `bash scripts/test.sh` cross-builds the exe, prepares a wine prefix (with the test-only
//! `bcryptprimitives.dll` shim beside this file) and sets `VAULT_WINDOWS_EXE` and `WINEPREFIX`.
//! Without them these tests fail and say so; `VAULT_SKIP_WINDOWS=1` skips them on purpose.
#![cfg(unix)]

use std::fs;
use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::{PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};

use tempfile::TempDir;

#[path = "../support/x11.rs"]
mod x11;

const LINUX_BIN: &str = env!("CARGO_BIN_EXE_vault");
const WINE: &str = "/usr/lib/wine/wine64";

/// Tests share wine's server; one that must restart it runs alone.
static WINE_SERVER: RwLock<()> = RwLock::new(());

#[allow(dead_code)] // held for its lifetime only
enum Turn {
    Shared(RwLockReadGuard<'static, ()>),
    Alone(RwLockWriteGuard<'static, ()>),
}

/// A private directory (0700, as a profile's `%APPDATA%` is) and `vault.exe` pointed at it.
struct Win {
    dir: TempDir,
    exe: PathBuf,
    _turn: Turn,
}

impl Win {
    fn new() -> Option<Win> {
        Win::with_turn(|| Turn::Shared(WINE_SERVER.read().unwrap_or_else(PoisonError::into_inner)))
    }

    /// While no other test runs wine.
    fn alone() -> Option<Win> {
        Win::with_turn(|| Turn::Alone(WINE_SERVER.write().unwrap_or_else(PoisonError::into_inner)))
    }

    fn with_turn(turn: impl FnOnce() -> Turn) -> Option<Win> {
        if std::env::var_os("VAULT_SKIP_WINDOWS").is_some() {
            eprintln!("skipped: VAULT_SKIP_WINDOWS is set");
            return None;
        }
        let exe = std::env::var_os("VAULT_WINDOWS_EXE").map(PathBuf::from).expect(
            "VAULT_WINDOWS_EXE is not set: run bash scripts/test.sh (or set VAULT_SKIP_WINDOWS=1)",
        );
        assert!(exe.exists(), "{} does not exist", exe.display());
        assert!(
            std::env::var_os("WINEPREFIX").is_some(),
            "WINEPREFIX is not set: run bash scripts/test.sh"
        );
        let dir = tempfile::tempdir().unwrap();
        // wine reads a directory's mode as its access list, which new files inherit.
        fs::set_permissions(dir.path(), fs::Permissions::from_mode(0o700)).unwrap();
        Some(Win {
            dir,
            exe,
            _turn: turn(),
        })
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// The Windows spelling of a path of ours: wine maps drive Z: to `/`.
    fn win_path(&self, name: &str) -> String {
        windows_path(&self.path(name))
    }

    /// `vault.exe ARGS` with the vault and identity here, as a scheduled task would set them.
    fn vault(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(WINE);
        cmd.env_clear()
            .env("PATH", "/usr/bin:/bin")
            .env("HOME", self.dir.path())
            .env("WINEPREFIX", std::env::var_os("WINEPREFIX").unwrap())
            .env("WINEDEBUG", "-all")
            .env("VAULT_FILE", self.win_path("vault.age"))
            .env("VAULT_IDENTITY", self.win_path("identity.txt"))
            // Each test its own trust list: tests run at once, and %APPDATA% is shared.
            .env("VAULT_TRUST", self.win_path("trust"))
            .current_dir(self.dir.path())
            .arg(&self.exe)
            .args(args);
        cmd
    }

    fn run(&self, args: &[&str], stdin: &str) -> Output {
        run(self.vault(args), stdin)
    }

    fn ok(&self, args: &[&str], stdin: &str) -> String {
        let out = self.run(args, stdin);
        assert!(
            out.status.success(),
            "vault.exe {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    /// Runs and expects `code`, with `needle` in one line of error text.
    fn fails(&self, args: &[&str], code: i32, needle: &str) -> String {
        let out = self.run(args, "");
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        assert_eq!(
            out.status.code(),
            Some(code),
            "vault.exe {args:?}: {stderr}"
        );
        assert!(stderr.contains(needle), "{needle:?} not in {stderr:?}");
        assert_eq!(stderr.trim_end().lines().count(), 1, "{stderr}");
        stderr
    }

    /// `vault init --no-passphrase` and one entry.
    fn with_bank(&self) {
        self.ok(&["init", "--no-passphrase"], "");
        self.ok(
            &[
                "add",
                "bank",
                "--username",
                "dustin",
                "--url",
                "https://bank.example",
            ],
            "it's $x\n",
        );
    }
}

fn windows_path(path: &Path) -> String {
    format!("Z:{}", path.display()).replace('/', "\\")
}

fn run(mut cmd: Command, stdin: &str) -> Output {
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("wine64 runs");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

/// The Linux build on the same files.
fn linux(win: &Win, args: &[&str], stdin: &str) -> Output {
    let mut cmd = Command::new(LINUX_BIN);
    cmd.env_clear()
        .env("VAULT_FILE", win.path("vault.age"))
        .env("VAULT_IDENTITY", win.path("identity.txt"))
        .env("VAULT_AGENT_SOCK", win.path("no-agent.sock"))
        .args(args);
    run(cmd, stdin)
}

fn private(path: &Path) {
    fs::set_permissions(path, fs::Permissions::from_mode(0o600)).unwrap();
}

#[test]
fn a_scheduled_task_reads_each_format() {
    let Some(w) = Win::new() else { return };
    w.with_bank();
    assert_eq!(w.ok(&["export", "bank"], ""), "it's $x\n");
    assert_eq!(w.ok(&["export", "bank", "-n"], ""), "it's $x");
    assert_eq!(w.ok(&["export", "bank", "-f", "username"], ""), "dustin\n");
    let json: serde_json::Value =
        serde_json::from_str(&w.ok(&["export", "bank", "--format", "json"], "")).unwrap();
    assert_eq!(json["password"], "it's $x");
    assert_eq!(json["url"], "https://bank.example");
    let env = w.ok(&["export", "bank", "--format", "env"], "");
    assert!(env.contains("BANK_PASSWORD='it'\\''s $x'\n"), "{env}");
    assert_eq!(w.ok(&["list"], ""), "bank\n");
    let shown = w.ok(&["show", "bank"], "");
    assert!(
        shown.contains("dustin") && !shown.contains("it's $x"),
        "{shown}"
    );

    // -o writes a new file only its user can read: wine turns that access list into a mode
    // with nothing for others (a file created without one gets 0644 here).
    w.ok(&["export", "bank", "-o", &w.win_path("pw.txt")], "");
    assert_eq!(fs::read_to_string(w.path("pw.txt")).unwrap(), "it's $x\n");
    for made in ["pw.txt", "identity.txt"] {
        let mode = fs::metadata(w.path(made)).unwrap().permissions().mode();
        assert_eq!(mode & 0o007, 0, "{made} is open to others: {mode:o}");
    }
}

#[test]
fn a_save_waits_while_another_program_reads_the_vault() {
    let Some(w) = Win::new() else { return };
    w.with_bank();
    // A reader that does not share deletion (a virus scanner): Windows refuses to rename the
    // new vault over the old for as long as it holds it open.
    let mut reader = Holder::hold(&w, "vault.age");
    let mut add = w.vault(&["add", "mail"]);
    let mut add = add
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    add.stdin.take().unwrap().write_all(b"pw-mail\n").unwrap();
    // The new vault is written beside the old, and waits there to take its name.
    wait_for(|| !temp_files(&w).is_empty(), "the new vault");
    std::thread::sleep(std::time::Duration::from_millis(500));
    assert!(add.try_wait().unwrap().is_none(), "the save did not wait");
    reader.release();
    let out = add.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(w.ok(&["list"], ""), "bank\nmail\n");
    assert_eq!(w.ok(&["export", "mail"], ""), "pw-mail\n");
    assert!(temp_files(&w).is_empty());
}

#[test]
fn a_save_gives_up_on_a_reader_that_keeps_the_vault_and_changes_nothing() {
    let Some(w) = Win::new() else { return };
    w.with_bank();
    let before = fs::read(w.path("vault.age")).unwrap();
    let mut reader = Holder::hold(&w, "vault.age");
    let stderr = w.fails(&["add", "mail", "--generate"], 1, "permission denied");
    // The path as the user writes it, not the \\?\ form Windows resolves it to.
    assert!(
        stderr.contains(&format!("cannot save {}", w.win_path("vault.age"))),
        "{stderr}"
    );
    reader.release();
    assert_eq!(fs::read(w.path("vault.age")).unwrap(), before);
    assert_eq!(w.ok(&["list"], ""), "bank\n");
    assert!(temp_files(&w).is_empty(), "{:?}", temp_files(&w));
}

/// A reader holding a file open without sharing its deletion, as a virus scanner does,
/// until released (or dropped).
struct Holder {
    child: std::process::Child,
    release: PathBuf,
}

impl Holder {
    /// Holds `name`, once it has it open.
    fn hold(w: &Win, name: &str) -> Holder {
        let program = std::env::var_os("VAULT_WINDOWS_HOLD")
            .expect("VAULT_WINDOWS_HOLD is not set: run bash scripts/test.sh");
        let opened = w.path(&format!("{name}.opened"));
        let release = w.path(&format!("{name}.release"));
        let child = Command::new(WINE)
            .env("WINEPREFIX", std::env::var_os("WINEPREFIX").unwrap())
            .env("WINEDEBUG", "-all")
            .arg(program)
            .arg(w.win_path(name))
            .arg(windows_path(&release))
            .arg(windows_path(&opened))
            .spawn()
            .unwrap();
        wait_for(|| opened.exists(), "the reader to open the file");
        Holder { child, release }
    }

    fn release(&mut self) {
        fs::write(&self.release, b"").unwrap();
        assert!(self.child.wait().unwrap().success());
    }
}

impl Drop for Holder {
    fn drop(&mut self) {
        fs::write(&self.release, b"").ok();
        self.child.wait().ok();
    }
}

/// Waits until `done` (a guard against hanging, not a speed check).
fn wait_for(done: impl Fn() -> bool, what: &str) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while !done() {
        assert!(std::time::Instant::now() < deadline, "waited for {what}");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

/// The temporary files a save writes beside the vault before renaming one over it.
fn temp_files(w: &Win) -> Vec<String> {
    fs::read_dir(w.dir.path())
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|name| {
            Path::new(name)
                .extension()
                .is_some_and(|ext| ext.eq_ignore_ascii_case("tmp"))
        })
        .collect()
}

#[test]
fn exec_passes_the_environment_and_the_exit_code() {
    let Some(w) = Win::new() else { return };
    w.with_bank();
    let out = w.run(
        &["exec", "bank", "--", "cmd", "/c", "set BANK_& exit 42"],
        "",
    );
    assert_eq!(
        out.status.code(),
        Some(42),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let shown = String::from_utf8_lossy(&out.stdout);
    assert!(shown.contains("BANK_USERNAME=dustin"), "{shown}");
    assert!(shown.contains("BANK_PASSWORD=it's $x"), "{shown}");
    w.fails(
        &["exec", "bank", "--", "no-such-tool.exe"],
        1,
        "cannot run no-such-tool.exe",
    );
}

#[test]
fn a_service_key_made_on_windows_reads_the_vault() {
    let Some(w) = Win::new() else { return };
    w.with_bank();
    let public = w.ok(&["keygen", "-o", &w.win_path("task.key")], "");
    let public = public.trim();
    assert!(public.starts_with("age1"), "{public}");
    w.ok(&["recipients", "add", public, "--name", "task@host"], "");
    assert!(w.ok(&["recipients", "list"], "").contains("task@host"));
    let task = w.win_path("task.key");
    assert_eq!(
        w.ok(&["export", "bank", "--identity", &task], ""),
        "it's $x\n"
    );
    w.ok(&["recipients", "remove", "task@host"], "");
    w.fails(
        &["export", "bank", "--identity", &task],
        4,
        "no identity in",
    );
}

#[test]
fn exit_codes_are_the_same_as_on_linux() {
    let Some(w) = Win::new() else { return };
    w.with_bank();
    let before = fs::read(w.path("vault.age")).unwrap();
    w.fails(&["export", "nope"], 3, "no entry 'nope'");
    w.fails(&["export", "bank", "-f", "pin"], 3, "no field 'pin'");
    w.fails(
        &["export", "bank", "--identity", &w.win_path("missing.key")],
        4,
        "not found",
    );
    w.fails(
        &["export", "bank", "--vault", &w.win_path("nothing.age")],
        6,
        "not found",
    );
    fs::write(w.path("plain.age"), "{\"entries\": {}}").unwrap();
    w.fails(
        &["export", "bank", "--vault", &w.win_path("plain.age")],
        6,
        "not an age-encrypted file",
    );
    assert_eq!(fs::read(w.path("vault.age")).unwrap(), before);
}

#[test]
fn an_identity_others_can_read_is_refused() {
    let Some(w) = Win::new() else { return };
    w.with_bank();
    // Written from Linux with mode 0644: wine's access list for it lets Everyone read.
    let key = fs::read(w.path("identity.txt")).unwrap();
    fs::write(w.path("open.key"), &key).unwrap();
    fs::set_permissions(w.path("open.key"), fs::Permissions::from_mode(0o644)).unwrap();
    let said = w.fails(
        &["export", "bank", "--identity", &w.win_path("open.key")],
        5,
        "its access list lets Everyone in",
    );
    assert!(said.contains("icacls"), "{said}");
    // Mode 0602: Everyone may write the key but not read it. Whoever may write it may put
    // their own key in its place (or, with WRITE_DAC, open it to themselves): refused too.
    // wine keeps no access list of its own here, only modes, so WRITE_DAC or WRITE_OWNER alone
    // cannot be granted to test (icacls under wine is a stub that changes nothing).
    fs::set_permissions(w.path("open.key"), fs::Permissions::from_mode(0o602)).unwrap();
    w.fails(
        &["export", "bank", "--identity", &w.win_path("open.key")],
        5,
        "its access list lets Everyone in",
    );
    // The same key, closed to others, is accepted.
    private(&w.path("open.key"));
    w.ok(
        &["export", "bank", "--identity", &w.win_path("open.key")],
        "",
    );
}

#[test]
fn a_vault_crosses_between_linux_and_windows_both_ways() {
    let Some(w) = Win::new() else { return };
    // Made on Linux.
    let out = linux(&w, &["init", "--no-passphrase"], "");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(linux(&w, &["add", "from-linux"], "l-pw\n").status.success());
    // Read and changed on Windows.
    assert_eq!(w.ok(&["export", "from-linux"], ""), "l-pw\n");
    w.ok(&["add", "from-windows"], "w-pw\n");
    // Back on Linux, with vault and with the age CLI.
    let out = linux(&w, &["export", "from-windows"], "");
    assert_eq!(String::from_utf8_lossy(&out.stdout), "w-pw\n");
    let out = Command::new("age")
        .arg("-d")
        .arg("-i")
        .arg(w.path("identity.txt"))
        .arg(w.path("vault.age"))
        .output()
        .unwrap();
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["entries"]["from-linux"]["password"], "l-pw");
    assert_eq!(doc["entries"]["from-windows"]["password"], "w-pw");
}

#[test]
fn defaults_live_under_appdata() {
    let Some(w) = Win::new() else { return };
    // Windows (and wine) set APPDATA for the account; here it is inside the wine prefix, which
    // no other test writes to.
    let appdata = appdata_on_linux();
    let ours = appdata.join("vault");
    fs::remove_dir_all(&ours).ok();
    // wine adds the parent's entries to a new access list even when told not to inherit;
    // Windows does not. A closed parent keeps that out of what is checked here.
    fs::set_permissions(&appdata, fs::Permissions::from_mode(0o700)).unwrap();
    let mut cmd = w.vault(&["init", "--no-passphrase"]);
    cmd.env_remove("VAULT_FILE")
        .env_remove("VAULT_IDENTITY")
        .env_remove("VAULT_TRUST");
    let out = run(cmd, "");
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains("AppData\\Roaming\\vault\\vault.age"),
        "{stderr}"
    );
    assert!(ours.join("vault.age").is_file());
    assert!(ours.join("identity").is_file());
    assert!(
        ours.join("trust").is_file(),
        "the trust list beside the identity"
    );
    // The directory made for them is the user's alone.
    let mode = fs::metadata(&ours).unwrap().permissions().mode();
    assert_eq!(mode & 0o007, 0, "{mode:o}");
    fs::remove_dir_all(&ours).unwrap();
}

/// `%APPDATA%` as wine sets it, as a Linux path.
fn appdata_on_linux() -> PathBuf {
    let out = Command::new(WINE)
        .env("WINEDEBUG", "-all")
        .args(["cmd", "/c", "echo %APPDATA%"])
        .output()
        .unwrap();
    let windows = String::from_utf8(out.stdout).unwrap().trim().to_owned();
    let rest = windows
        .strip_prefix("C:\\")
        .unwrap_or_else(|| panic!("APPDATA is {windows:?}"));
    PathBuf::from(std::env::var_os("WINEPREFIX").unwrap())
        .join("drive_c")
        .join(rest.replace('\\', "/"))
}

#[test]
fn a_task_identity_in_credential_manager_reads_the_vault() {
    let Some(w) = Win::new() else { return };
    w.with_bank();
    // Credential Manager is one per account (per wine prefix here): a name of this test's own.
    let name = format!(
        "task-{}",
        w.dir.path().file_name().unwrap().to_string_lossy()
    );
    let public = w.ok(&["keygen", "--keyring", &name], "");
    w.ok(&["recipients", "add", public.trim(), "--name", "task"], "");
    let identity = format!("keyring:{name}");
    assert_eq!(
        w.ok(&["export", "bank", "--identity", &identity], ""),
        "it's $x\n"
    );
    w.fails(
        &["keygen", "--keyring", &name],
        1,
        &format!("keyring:{name} already exists"),
    );
    w.fails(
        &["export", "bank", "--identity", "keyring:nobody-here"],
        4,
        "no identity keyring:nobody-here in the OS credential store",
    );
}

#[test]
fn copy_puts_the_password_on_the_clipboard_and_clears_it() {
    let Some(w) = Win::alone() else { return };
    w.with_bank();
    // wine's clipboard is the X server's: what vault.exe copies, xclip reads. wine's desktop
    // process binds to the display it first saw; a new server makes it see this one.
    let x = x11::Display::start();
    restart_wine();
    // Output to a file, not a pipe: wine hands its Unix stderr to every process it starts, the
    // detached helper included, so a pipe would stay open until the helper ends. (On Windows
    // vault stops its own handles from being inherited before it starts the helper.)
    let said = w.path("copy.err");
    let status = w
        .vault(&["copy", "bank", "--clear-after", "2"])
        .env("DISPLAY", &x.name)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(fs::File::create(&said).unwrap())
        .status()
        .unwrap();
    let stderr = fs::read_to_string(&said).unwrap();
    assert!(status.success(), "{stderr}");
    assert!(stderr.contains("copied the password of 'bank'"), "{stderr}");
    assert!(!stderr.contains("it's $x"), "{stderr}");
    x11::wait_until("the copy", || x.clipboard().as_deref() == Some("it's $x"));
    x11::wait_until("the clear", || x.clipboard().is_none());
    drop(x);
    restart_wine();
}

fn restart_wine() {
    let status = Command::new("/usr/lib/wine/wineserver")
        .arg("-k")
        .env("WINEDEBUG", "-all")
        .status()
        .unwrap();
    // Exit 1: there was no server to stop.
    assert!(status.code().is_some(), "{status}");
    Command::new("/usr/lib/wine/wineserver")
        .arg("-w")
        .status()
        .unwrap();
}
