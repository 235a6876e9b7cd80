//! Many machines through real git: a bare remote, two clones, the merge driver, the textconv,
//! `vault sync`, conflicts and their resolution.

use std::path::{Path, PathBuf};
use std::process::Command as StdCommand;

use crate::common::*;

/// A bare remote and two clones of it, `a` and `b`, each with the vault at `vault.age` and git
/// set up for it; one operator (one identity and trust list) on both machines.
struct Clones {
    s: Sandbox,
}

impl Clones {
    fn new() -> Clones {
        let s = Sandbox::new();
        let remote = s.path("remote.git");
        git_in(
            s.dir.path(),
            &[
                "init",
                "--quiet",
                "--bare",
                "-b",
                "main",
                remote.to_str().unwrap(),
            ],
        );
        git_in(
            s.dir.path(),
            &["clone", "--quiet", remote.to_str().unwrap(), "a"],
        );
        let c = Clones { s };
        c.vault("a", &["init", "--no-passphrase"])
            .assert()
            .success();
        c.vault("a", &["git", "setup"]).assert().success();
        c.vault("a", &["add", "bank"])
            .write_stdin("pw-bank\n")
            .assert()
            .success();
        c.vault("a", &["add", "mail"])
            .write_stdin("pw-mail\n")
            .assert()
            .success();
        c.vault("a", &["sync"]).assert().success();
        git_in(
            c.s.dir.path(),
            &["clone", "--quiet", remote.to_str().unwrap(), "b"],
        );
        c.vault("b", &["git", "setup"]).assert().success();
        c
    }

    fn clone(&self, which: &str) -> PathBuf {
        self.s.path(which)
    }

    fn vault(&self, which: &str, args: &[&str]) -> assert_cmd::Command {
        let mut cmd = self.s.vault(args);
        cmd.env("VAULT_FILE", self.clone(which).join("vault.age"));
        git_env(&mut cmd);
        cmd
    }

    fn export(&self, which: &str, name: &str, field: &str) -> String {
        stdout_of(
            &self
                .vault(which, &["export", name, "--field", field, "-n"])
                .assert()
                .success(),
        )
    }
}

fn git_env(cmd: &mut assert_cmd::Command) {
    for (k, v) in [
        ("GIT_AUTHOR_NAME", "op"),
        ("GIT_AUTHOR_EMAIL", "op@example.org"),
        ("GIT_COMMITTER_NAME", "op"),
        ("GIT_COMMITTER_EMAIL", "op@example.org"),
    ] {
        cmd.env(k, v);
    }
}

fn git_in(dir: &Path, args: &[&str]) -> String {
    let out = run_ok(
        StdCommand::new("git")
            .current_dir(dir)
            .env("HOME", dir)
            .env("GIT_AUTHOR_NAME", "op")
            .env("GIT_AUTHOR_EMAIL", "op@example.org")
            .env("GIT_COMMITTER_NAME", "op")
            .env("GIT_COMMITTER_EMAIL", "op@example.org")
            .args(args),
    );
    String::from_utf8(out).unwrap()
}

#[test]
fn setup_is_idempotent_and_ignores_the_backup_and_the_lock() {
    let c = Clones::new();
    c.vault("a", &["git", "setup"]).assert().success();
    let attributes = std::fs::read_to_string(c.clone("a").join(".gitattributes")).unwrap();
    assert_eq!(
        attributes
            .matches("/vault.age merge=vault diff=vault")
            .count(),
        1
    );
    let ignore = std::fs::read_to_string(c.clone("a").join(".gitignore")).unwrap();
    assert!(ignore.contains("/vault.age.bak") && ignore.contains("/vault.age.lock"));
    let status = git_in(&c.clone("a"), &["status", "--porcelain"]);
    assert!(!status.contains("vault.age.bak"), "{status}");
}

#[test]
fn disjoint_entries_and_two_fields_of_one_entry_merge() {
    let c = Clones::new();
    c.vault("a", &["add", "db"])
        .write_stdin("pw-db\n")
        .assert()
        .success();
    c.vault("a", &["edit", "bank", "--username", "dustin"])
        .assert()
        .success();
    c.vault("a", &["sync"]).assert().success();
    c.vault("b", &["add", "api"])
        .write_stdin("pw-api\n")
        .assert()
        .success();
    c.vault("b", &["edit", "bank", "--url", "https://bank.example"])
        .assert()
        .success();
    c.vault("b", &["sync"]).assert().success();
    c.vault("a", &["sync"]).assert().success();
    for which in ["a", "b"] {
        assert_eq!(c.export(which, "db", "password"), "pw-db");
        assert_eq!(c.export(which, "api", "password"), "pw-api");
        assert_eq!(c.export(which, "bank", "username"), "dustin");
        assert_eq!(c.export(which, "bank", "url"), "https://bank.example");
    }
}

#[test]
fn a_rename_on_one_side_and_an_edit_on_the_other_meet() {
    let c = Clones::new();
    c.vault("a", &["edit", "bank", "--rename", "bank/checking"])
        .assert()
        .success();
    c.vault("a", &["sync"]).assert().success();
    c.vault("b", &["edit", "bank", "--password"])
        .write_stdin("pw-new\n")
        .assert()
        .success();
    c.vault("b", &["sync"]).assert().success();
    assert_eq!(c.export("b", "bank/checking", "password"), "pw-new");
    let names = stdout_of(&c.vault("b", &["list"]).assert().success());
    assert_eq!(names, "bank/checking\nmail\n");
}

#[test]
fn the_same_password_changed_on_both_sides_is_a_conflict_until_resolved() {
    let c = Clones::new();
    c.vault("a", &["edit", "bank", "--password"])
        .write_stdin("pw-from-a\n")
        .assert()
        .success();
    c.vault("a", &["sync"]).assert().success();
    c.vault("b", &["edit", "bank", "--password"])
        .write_stdin("pw-from-b\n")
        .assert()
        .success();
    let a = c.vault("b", &["sync"]).assert().code(1);
    assert_one_line_error(&a, "conflicts");
    // The vault is whole, ours where the two disagree, and says what is open.
    assert_eq!(c.export("b", "bank", "password"), "pw-from-b");
    let listed = stdout_of(&c.vault("b", &["conflicts"]).assert().success());
    assert_eq!(listed, "bank: password (theirs kept)\n");
    assert!(!listed.contains("pw-from"));
    c.vault("b", &["resolve", "bank", "--theirs"])
        .assert()
        .success();
    assert_eq!(c.export("b", "bank", "password"), "pw-from-a");
    assert_eq!(
        stdout_of(&c.vault("b", &["conflicts"]).assert().success()),
        ""
    );
    let history = age_decrypt(&c.s.key(), &c.clone("b").join("vault.age"));
    assert!(
        history.to_string().contains("pw-from-b"),
        "ours went to history"
    );
    c.vault("b", &["sync"]).assert().success();
    c.vault("a", &["sync"]).assert().success();
    assert_eq!(c.export("a", "bank", "password"), "pw-from-a");
}

#[test]
fn delete_against_edit_keeps_the_deletion_and_records_their_edit() {
    let c = Clones::new();
    c.vault("a", &["edit", "mail", "--url", "https://mail.example"])
        .assert()
        .success();
    c.vault("a", &["sync"]).assert().success();
    c.vault("b", &["rm", "mail", "--yes"]).assert().success();
    c.vault("b", &["sync"]).assert().code(1);
    let listed = stdout_of(&c.vault("b", &["conflicts"]).assert().success());
    assert_eq!(listed, "mail: deleted (theirs kept)\n");
    c.vault("b", &["export", "mail"]).assert().code(3);
    c.vault("b", &["resolve", "mail", "--theirs"])
        .assert()
        .success();
    assert_eq!(c.export("b", "mail", "url"), "https://mail.example");
}

#[test]
fn git_log_shows_names_and_never_a_password() {
    let c = Clones::new();
    c.vault("a", &["edit", "bank", "--password"])
        .write_stdin("pw-secret-2\n")
        .assert()
        .success();
    c.vault("a", &["sync"]).assert().success();
    let mut cmd = StdCommand::new("git");
    cmd.current_dir(c.clone("a"))
        .env("HOME", c.s.dir.path())
        .env("VAULT_IDENTITY", c.s.key())
        .env("VAULT_AGENT_SOCK", c.s.agent_socket())
        .args(["log", "-p", "--textconv"]);
    let log = String::from_utf8(run_ok(&mut cmd)).unwrap();
    assert!(log.contains("[bank]") && log.contains("[mail]"), "{log}");
    assert!(log.contains("password: (secret, set"), "{log}");
    for secret in ["pw-bank", "pw-mail", "pw-secret-2"] {
        assert!(!log.contains(secret), "{secret} in git log");
    }
}

#[test]
fn a_merge_while_the_other_side_added_a_recipient_and_a_scope() {
    let c = Clones::new();
    let (job, public) = c.s.keygen("job.txt");
    c.vault(
        "a",
        &[
            "recipients",
            "add",
            &public,
            "--name",
            "job",
            "--only",
            "bank",
        ],
    )
    .assert()
    .success();
    c.vault("a", &["sync"]).assert().success();
    c.vault("b", &["add", "db"])
        .write_stdin("pw-db\n")
        .assert()
        .success();
    c.vault("b", &["sync"]).assert().success();
    let recipients = stdout_of(&c.vault("b", &["recipients", "list"]).assert().success());
    assert!(
        recipients.contains("job") && recipients.contains("only: bank"),
        "{recipients}"
    );
    // The merged vault's derived file was made again and committed: the job reads it.
    let job_read = c
        .vault(
            "b",
            &["export", "bank", "--identity", job.to_str().unwrap()],
        )
        .assert()
        .success();
    assert_eq!(stdout_of(&job_read), "pw-bank\n");
    c.vault("b", &["check"]).assert().success();
    c.vault("b", &["export", "db", "--identity", job.to_str().unwrap()])
        .assert()
        .code(3);
}

#[test]
fn merge_takes_a_sync_tools_conflict_copy_in() {
    let s = Sandbox::init();
    s.add("bank", "pw-old");
    s.add("mail", "pw-mail");
    std::fs::copy(s.vault_path(), s.path("copy.age")).unwrap();
    // The copy moves on elsewhere: a newer password, a new entry.
    let copy = |args: &[&str]| {
        let mut cmd = s.vault(args);
        cmd.env("VAULT_FILE", s.path("copy.age"));
        cmd
    };
    std::thread::sleep(std::time::Duration::from_millis(1100));
    copy(&["edit", "bank", "--password"])
        .write_stdin("pw-new\n")
        .assert()
        .success();
    copy(&["add", "db"])
        .write_stdin("pw-db\n")
        .assert()
        .success();
    s.vault(&["merge", s.path("copy.age").to_str().unwrap()])
        .assert()
        .success();
    assert_eq!(s.export("bank"), "pw-new\n");
    assert_eq!(s.export("db"), "pw-db\n");
    assert_eq!(s.export("mail"), "pw-mail\n");
}
