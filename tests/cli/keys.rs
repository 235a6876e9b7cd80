//! init and keygen: identities and new vaults.

use std::fs;
use std::process::Command as StdCommand;

use crate::common::*;

#[test]
fn init_creates_a_private_identity_and_an_empty_vault_readable_by_age() {
    let s = Sandbox::init();
    assert_eq!(mode(&s.key()), 0o600);
    assert_eq!(mode(&s.vault_path()), 0o600);
    let key = fs::read_to_string(s.key()).unwrap();
    assert!(key.contains("AGE-SECRET-KEY-1"));
    let doc = age_decrypt(&s.key(), &s.vault_path());
    assert_eq!(doc["format"], 1);
    assert_eq!(doc["entries"], serde_json::json!({}));
    assert_eq!(doc["recipients"][0]["name"], "operator");
    assert_eq!(doc["recipients"][0]["key"], age_keygen_y(&s.key()));
}

#[test]
fn init_in_a_fresh_home_uses_the_xdg_defaults() {
    let s = Sandbox::new();
    let mut cmd = s.vault(&["init", "--no-passphrase"]);
    cmd.env_remove("VAULT_FILE").env_remove("VAULT_IDENTITY");
    cmd.assert().success();
    let vault = s.path(".local/share/vault/vault.age");
    let key = s.path(".config/vault/identity");
    assert_eq!(mode(&key), 0o600);
    assert_eq!(mode(key.parent().unwrap()), 0o700);
    assert!(age_decrypt(&key, &vault)["entries"].is_object());
}

#[test]
fn init_refuses_an_existing_vault_and_reuses_an_existing_identity() {
    let s = Sandbox::init();
    let key_before = fs::read(s.key()).unwrap();
    let vault_before = s.bytes();
    let a = s.vault(&["init", "--no-passphrase"]).assert().code(1);
    assert_one_line_error(&a, "already exists");
    assert_eq!(s.bytes(), vault_before);

    fs::remove_file(s.vault_path()).unwrap();
    s.vault(&["init", "--no-passphrase"]).assert().success();
    assert_eq!(
        fs::read(s.key()).unwrap(),
        key_before,
        "the identity is never overwritten"
    );
    assert!(age_decrypt(&s.key(), &s.vault_path())["entries"].is_object());
}

#[test]
fn passphrase_identity_is_an_age_p_file_the_age_cli_opens() {
    let s = Sandbox::new();
    let pass = s.private_file("pass", "open sesame\n");
    s.vault(&["init", "--passphrase-file", pass.to_str().unwrap()])
        .assert()
        .success();
    let key = fs::read(s.key()).unwrap();
    assert!(
        key.starts_with(b"age-encryption.org/v1\n-> scrypt "),
        "an age -p file"
    );
    assert!(
        String::from_utf8_lossy(&key).contains(" 18\n"),
        "work factor 18, as age -p writes"
    );
    assert_eq!(mode(&s.key()), 0o600);

    s.vault(&["add", "bank", "--passphrase-file", pass.to_str().unwrap()])
        .write_stdin("pw1\n")
        .assert()
        .success();
    let a = s
        .vault(&[
            "export",
            "bank",
            "--passphrase-file",
            pass.to_str().unwrap(),
        ])
        .assert()
        .success();
    assert_eq!(stdout_of(&a), "pw1\n");

    // The age CLI asks for the passphrase on a terminal only: give it one with script(1).
    let out = StdCommand::new("script")
        .args([
            "-qec",
            &format!(
                "age -d -i {} {}",
                s.key().display(),
                s.vault_path().display()
            ),
            "/dev/null",
        ])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .and_then(|mut child| {
            use std::io::Write;
            child.stdin.take().unwrap().write_all(b"open sesame\n")?;
            child.wait_with_output()
        })
        .unwrap();
    // The document is compact JSON: spacing aside, the entry is there.
    let shown = String::from_utf8_lossy(&out.stdout);
    assert!(
        shown.replace(' ', "").contains("\"password\":\"pw1\""),
        "age -d printed: {shown}"
    );
}

#[test]
fn passphrase_from_a_pipe_is_accepted() {
    let s = Sandbox::new();
    let pass = s.private_file("pass", "pipe pass\n");
    s.vault(&["init", "--passphrase-file", pass.to_str().unwrap()])
        .assert()
        .success();
    s.vault(&["list", "--passphrase-file", "/dev/stdin"])
        .write_stdin("pipe pass\n")
        .assert()
        .success();
}

#[test]
fn init_without_a_terminal_needs_a_passphrase_source() {
    let s = Sandbox::new();
    let a = s.vault(&["init"]).assert().code(1);
    assert_one_line_error(&a, "--no-passphrase");
    assert!(!s.key().exists() && !s.vault_path().exists());
}

#[test]
fn keygen_writes_a_private_identity_and_prints_its_recipient() {
    let s = Sandbox::new();
    let (path, public) = s.keygen("svc.txt");
    assert!(public.starts_with("age1"));
    assert_eq!(public, age_keygen_y(&path));
    assert_eq!(mode(&path), 0o600);

    let before = fs::read(&path).unwrap();
    let a = s
        .vault(&["keygen", "-o", path.to_str().unwrap()])
        .assert()
        .code(1);
    assert_one_line_error(&a, "refusing to overwrite");
    assert_eq!(fs::read(&path).unwrap(), before);
}

#[test]
fn generate_passwords_and_passphrases() {
    let s = Sandbox::new();
    let pw = stdout_of(&s.vault(&["generate"]).assert().success());
    assert_eq!(pw.trim_end_matches('\n').chars().count(), 24);
    let pw = stdout_of(
        &s.vault(&["generate", "--length", "40", "--no-symbols"])
            .assert()
            .success(),
    );
    let pw = pw.trim_end();
    assert_eq!(pw.len(), 40);
    assert!(pw.chars().all(|c| c.is_ascii_alphanumeric()));
    let phrase = stdout_of(&s.vault(&["generate", "--words", "6"]).assert().success());
    assert_eq!(phrase.trim_end().split('-').count(), 6);
    s.vault(&["generate", "--length", "0"]).assert().code(2);
    s.vault(&["generate", "--words", "3", "--length", "9"])
        .assert()
        .code(2);
}

#[test]
fn completions_and_man_page() {
    let s = Sandbox::new();
    let bash = stdout_of(&s.vault(&["completions", "bash"]).assert().success());
    // The script asks vault itself for candidates (tests/cli/everyday.rs runs it in bash).
    assert!(bash.contains("VAULT_COMPLETE") && bash.contains("complete "));
    for shell in ["zsh", "fish", "elvish", "powershell"] {
        let script = stdout_of(&s.vault(&["completions", shell]).assert().success());
        assert!(script.contains("VAULT_COMPLETE"), "{shell}: {script}");
    }
    let man = stdout_of(&s.vault(&["man"]).assert().success());
    assert!(
        man.starts_with(".ie") || man.contains(".TH vault"),
        "{}",
        &man[..80.min(man.len())]
    );
}

#[test]
fn a_closed_stdout_is_not_a_crash() {
    let s = Sandbox::new();
    let mut child = StdCommand::new(BIN)
        .args(["man"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "status {:?}", out.status);
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    drop(s);
}

/// `vault ARGS` inside a desktop-like session: a private D-Bus with GNOME Keyring's Secret
/// Service unlocked, as after a graphical login. The keyring lives in the sandbox's HOME, so
/// it outlasts each session.
#[cfg(feature = "keyring")]
fn in_keyring_session(s: &Sandbox, args: &[&str], stdin: &str) -> std::process::Output {
    let mut cmd = StdCommand::new("dbus-run-session");
    cmd.env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", s.dir.path())
        .env("VAULT_FILE", s.vault_path())
        .env("VAULT_AGENT_SOCK", s.agent_socket())
        .args([
            "--",
            "sh",
            "-c",
            "printf keyring-login | gnome-keyring-daemon --unlock --components=secrets >/dev/null \
             && exec \"$0\" \"$@\"",
            BIN,
        ])
        .args(args)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let mut child = cmd.spawn().expect("dbus-run-session runs");
    std::io::Write::write_all(&mut child.stdin.take().unwrap(), stdin.as_bytes()).unwrap();
    child.wait_with_output().unwrap()
}

// The Secret Service is built in on Linux only with `--features keyring` (scripts/test.sh runs
// this test so); the default build says how to get it.
#[cfg(feature = "keyring")]
#[test]
fn an_identity_in_the_secret_service_opens_the_vault() {
    let s = Sandbox::new();
    let ok = |args: &[&str], stdin: &str| {
        let out = in_keyring_session(&s, args, stdin);
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        assert!(out.status.success(), "{args:?}: {stderr}");
        String::from_utf8(out.stdout).unwrap()
    };
    ok(
        &["init", "--no-passphrase", "--identity", "keyring:operator"],
        "",
    );
    ok(
        &["add", "bank", "--identity", "keyring:operator"],
        "pw-of-bank\n",
    );
    let public = ok(&["keygen", "--keyring", "job"], "");
    ok(
        &[
            "recipients",
            "add",
            public.trim(),
            "--name",
            "job",
            "--identity",
            "keyring:operator",
        ],
        "",
    );
    assert_eq!(
        ok(&["export", "bank", "--identity", "keyring:job"], ""),
        "pw-of-bank\n"
    );
    // No key file was written for either.
    let files: Vec<String> = fs::read_dir(s.dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(!files.iter().any(|f| f.contains("keyring")), "{files:?}");

    let out = in_keyring_session(&s, &["keygen", "--keyring", "job"], "");
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("keyring:job already exists"));
    let out = in_keyring_session(&s, &["export", "bank", "--identity", "keyring:nobody"], "");
    assert_eq!(out.status.code(), Some(4));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no identity keyring:nobody"));
    // A cron job has no D-Bus session: it fails at once, exit 4, saying why.
    let a = s
        .vault(&["export", "bank", "--identity", "keyring:job"])
        .assert()
        .code(4);
    assert_one_line_error(&a, "cannot reach the OS credential store for keyring:job");
}

#[cfg(not(feature = "keyring"))]
#[test]
fn a_build_without_the_credential_store_says_how_to_get_it() {
    let s = Sandbox::init();
    s.add("bank", "pw");
    for args in [
        &["export", "bank", "--identity", "keyring:job"][..],
        &["keygen", "--keyring", "job"],
    ] {
        let a = s.vault(args).assert().failure();
        assert_one_line_error(&a, "no credential store support");
        assert!(stderr_of(&a).contains("--features keyring"));
    }
}
