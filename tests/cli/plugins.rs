//! age plugins with a real plugin binary: `age-plugin-unencrypted`, the `age-plugin` crate's
//! example, which scripts/test.sh builds into target/test-plugins/bin (or
//! `VAULT_TEST_PLUGINS`); and a plugin of our own, written here, that asks for a PIN.

use std::ffi::OsString;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command as StdCommand;

use crate::common::*;

/// The directory holding `age-plugin-unencrypted`.
fn plugin_dir() -> PathBuf {
    let dir = std::env::var_os("VAULT_TEST_PLUGINS").map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join("target/test-plugins/bin"),
        PathBuf::from,
    );
    assert!(
        dir.join("age-plugin-unencrypted").is_file(),
        "no age-plugin-unencrypted in {}: run scripts/test.sh, or cargo install --locked \
         age-plugin --version 0.7.0 --example age-plugin-unencrypted --root target/test-plugins",
        dir.display()
    );
    dir
}

/// PATH with the test plugins (and `extra`) first.
fn path_with(extra: &[&Path]) -> OsString {
    let mut dirs: Vec<PathBuf> = extra.iter().map(|d| d.to_path_buf()).collect();
    dirs.push(plugin_dir());
    dirs.extend(std::env::split_paths(
        &std::env::var_os("PATH").unwrap_or_default(),
    ));
    std::env::join_paths(dirs).unwrap()
}

/// A new identity of the unencrypted plugin, in a 0600 file; and its recipient, from the
/// comment the plugin writes.
fn plugin_identity(s: &Sandbox, name: &str) -> (PathBuf, String) {
    let text = String::from_utf8(run_ok(&mut StdCommand::new(
        plugin_dir().join("age-plugin-unencrypted"),
    )))
    .unwrap();
    let recipient = text
        .lines()
        .find_map(|l| l.strip_prefix("# recipient: "))
        .expect("the plugin names its recipient")
        .to_owned();
    (s.private_file(name, &text), recipient)
}

/// An operator's vault with one entry, its plugin recipient added.
fn vault_with_plugin_recipient() -> (Sandbox, PathBuf) {
    let s = Sandbox::init();
    s.add("db", "pw-db");
    let (id, recipient) = plugin_identity(&s, "plugin-id.txt");
    s.vault(&["recipients", "add", &recipient, "--name", "tpm-job"])
        .env("PATH", path_with(&[]))
        .assert()
        .success();
    (s, id)
}

#[test]
fn a_plugin_recipient_reads_the_vault_with_its_identity_here_and_with_age() {
    let (s, id) = vault_with_plugin_recipient();
    let id_arg = id.to_str().unwrap();
    let out = s
        .vault(&["export", "db", "--identity", id_arg])
        .env("PATH", path_with(&[]))
        .assert()
        .success();
    assert_eq!(stdout_of(&out), "pw-db\n");
    let listed = stdout_of(&s.vault(&["recipients", "list"]).assert().success());
    assert!(listed.contains("tpm-job"), "{listed}");

    // The age CLI finds the same plugin on PATH and reads the same vault.
    let json = run_ok(
        StdCommand::new("age")
            .env("PATH", path_with(&[]))
            .arg("-d")
            .arg("-i")
            .arg(&id)
            .arg(s.vault_path()),
    );
    let doc: serde_json::Value = serde_json::from_slice(&json).unwrap();
    assert_eq!(doc["entries"]["db"]["password"], "pw-db");

    // Its plugin gone from PATH: exit 4, naming the binary and how to install it.
    let gone = s
        .vault(&["export", "db", "--identity", id_arg])
        .env("PATH", "/usr/bin:/bin")
        .assert()
        .code(4);
    assert_one_line_error(&gone, "age-plugin-unencrypted not found on PATH");
    assert!(stderr_of(&gone).contains("cargo install age-plugin-unencrypted"));
}

#[test]
fn a_plugin_identity_saves_with_a_writer_key_file_beside_it() {
    let (s, id) = vault_with_plugin_recipient();
    let id_arg = id.to_str().unwrap();
    let writer = PathBuf::from(format!("{}.vault-writer", id.display()));
    assert!(!writer.exists());
    s.vault(&["add", "mail", "--identity", id_arg])
        .env("PATH", path_with(&[]))
        .write_stdin("pw-mail\n")
        .assert()
        .success();
    assert_eq!(mode(&writer), 0o600);
    let shown = stdout_of(
        &s.vault(&["trust", "show", "--identity", id_arg])
            .env("PATH", path_with(&[]))
            .assert()
            .success(),
    );
    let writer_key = shown
        .split_whitespace()
        .find(|w| w.starts_with("vaultw1"))
        .unwrap_or_else(|| panic!("no writer key in {shown}"));
    // The operator trusts it as another writer, and reads what it wrote.
    s.vault(&["trust", "add", writer_key, "--name", "tpm-job"])
        .assert()
        .success();
    assert_eq!(s.export_field("mail", "password"), "pw-mail");
    // The operator's own reads need no plugin; the recipient is listed as the comment names it.
    let recipient = fs::read_to_string(&id)
        .unwrap()
        .lines()
        .find_map(|l| l.strip_prefix("# recipient: ").map(str::to_owned))
        .unwrap();
    let listed = stdout_of(
        &s.vault(&["recipients", "list"])
            .env("PATH", "/usr/bin:/bin")
            .assert()
            .success(),
    );
    assert!(listed.contains(&recipient), "{listed}");
}

/// `age-plugin-unencrypted` behind a wrapper that notes each run in `runs.log`: the directory
/// to put first on PATH, and the log.
fn counting_plugin(s: &Sandbox) -> (PathBuf, PathBuf) {
    use std::os::unix::fs::PermissionsExt;
    let bin = s.path("counting");
    fs::create_dir_all(&bin).unwrap();
    let log = s.path("runs.log");
    let wrapper = bin.join("age-plugin-unencrypted");
    fs::write(
        &wrapper,
        format!(
            "#!/bin/sh\necho run >> '{}'\nexec '{}' \"$@\"\n",
            log.display(),
            plugin_dir().join("age-plugin-unencrypted").display()
        ),
    )
    .unwrap();
    fs::set_permissions(&wrapper, fs::Permissions::from_mode(0o755)).unwrap();
    (bin, log)
}

#[test]
fn a_misspelled_name_asks_a_plugin_identity_once_and_still_suggests() {
    let (s, id) = vault_with_plugin_recipient();
    s.vault(&["add", "bank/checking", "--generate"])
        .env("PATH", path_with(&[]))
        .assert()
        .success();
    let (bin, log) = counting_plugin(&s);
    let runs = || fs::read_to_string(&log).unwrap_or_default().lines().count();
    let out = s
        .vault(&[
            "export",
            "bank/chekcing",
            "--identity",
            id.to_str().unwrap(),
        ])
        .env("PATH", path_with(&[&bin]))
        .assert()
        .code(3);
    assert!(
        stderr_of(&out).contains("did you mean bank/checking?"),
        "{}",
        stderr_of(&out)
    );
    // One touch or PIN, for the read that missed and the one that found the names.
    assert_eq!(runs(), 1, "the plugin ran {} times", runs());
    fs::remove_file(&log).unwrap();
    let out = s
        .vault(&["export", "db", "--identity", id.to_str().unwrap()])
        .env("PATH", path_with(&[&bin]))
        .assert()
        .success();
    assert_eq!(stdout_of(&out), "pw-db\n");
    assert_eq!(runs(), 1);
}

#[test]
fn saving_to_a_plugin_recipient_whose_plugin_is_missing_names_it() {
    let s = Sandbox::init();
    let (_, recipient) = plugin_identity(&s, "plugin-id.txt");
    let before = s.bytes();
    let out = s
        .vault(&["recipients", "add", &recipient, "--name", "tpm-job"])
        .env("PATH", "/usr/bin:/bin")
        .assert()
        .code(4);
    assert_one_line_error(&out, "age-plugin-unencrypted not found on PATH");
    assert_eq!(s.bytes(), before, "the vault is untouched");
}

#[test]
fn the_agent_holds_a_plugin_identity() {
    let (s, id) = vault_with_plugin_recipient();
    s.vault(&["agent", "start", "--identity", id.to_str().unwrap()])
        .env("PATH", path_with(&[]))
        .assert()
        .success();
    let _stop = AgentRunning(&s);
    // No identity file at the default path: only the agent can answer.
    let out = s
        .vault(&["export", "db"])
        .env("VAULT_IDENTITY", s.path("none.txt"))
        .assert()
        .success();
    assert_eq!(stdout_of(&out), "pw-db\n");
}

/// A plugin that asks for a PIN before anything else, as a hardware key does; with an answer
/// it gives up all the same (it holds no key), without one it says a PIN was needed.
const ASKING_PLUGIN: &str = r#"#!/bin/sh
[ "$1" = "--age-plugin=identity-v1" ] || exit 1
while read -r line; do
    case "$line" in "-> done") read -r _; break ;; esac
done
printf -- '-> request-secret\nZW50ZXIgUElO\n'
read -r reply; read -r _
printf -- '-> error identity 0\nUElOIHJlcXVpcmVk\n'
read -r _; read -r _
printf -- '-> done\n\n'
"#;

/// [`ASKING_PLUGIN`] installed as `age-plugin-askpin` in the sandbox's `bin`, and a 0600
/// identity file of it: the directory to put on PATH, and the identity.
pub fn asking_plugin(s: &Sandbox) -> (PathBuf, PathBuf) {
    use std::os::unix::fs::PermissionsExt;
    let bin = s.path("bin");
    fs::create_dir_all(&bin).unwrap();
    let plugin = bin.join("age-plugin-askpin");
    fs::write(&plugin, ASKING_PLUGIN).unwrap();
    fs::set_permissions(&plugin, fs::Permissions::from_mode(0o755)).unwrap();
    let identity = age::plugin::Identity::default_for_plugin("askpin")
        .unwrap()
        .to_string();
    let id = s.private_file("askpin.txt", &format!("{identity}\n"));
    (bin, id)
}

#[test]
fn a_plugin_that_needs_a_person_fails_at_once_without_a_terminal() {
    let s = Sandbox::init();
    s.add("db", "pw-db");
    let (bin, id) = asking_plugin(&s);
    let started = std::time::Instant::now();
    let out = s
        .vault(&["export", "db", "--identity", id.to_str().unwrap()])
        .env("PATH", path_with(&[&bin]))
        .timeout(std::time::Duration::from_secs(20))
        .assert()
        .code(4);
    assert_one_line_error(&out, "PIN required");
    assert!(
        stderr_of(&out).contains("no terminal"),
        "{}",
        stderr_of(&out)
    );
    assert!(started.elapsed().as_secs() < 10, "it waited");
}
