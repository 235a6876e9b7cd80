//! Scoped recipients: a job's key reads only the entries granted to it, from a derived vault of
//! its own; the main vault and other recipients' files stay closed to it.

use std::fs;
use std::io::Write;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::{Command as StdCommand, Stdio};

use crate::common::*;

/// An operator's vault with `bank/checking`, `bank/savings`, `db` and `mail`, and a job key
/// pinned to the operator.
fn vault_and_job() -> (Sandbox, PathBuf, String) {
    let s = Sandbox::init();
    for (name, pw) in [
        ("bank/checking", "pw-checking"),
        ("bank/savings", "pw-savings"),
        ("db", "pw-db"),
        ("mail", "pw-mail"),
    ] {
        s.add(name, pw);
    }
    let (job, public) = s.pinned_job_key("job.txt");
    (s, job, public)
}

fn derived(s: &Sandbox, name: &str) -> PathBuf {
    s.path(&format!("vault.age.d/{name}.age"))
}

/// Whether the real `age` CLI opens `file` with `identity`.
fn age_opens(identity: &Path, file: &Path) -> bool {
    StdCommand::new("age")
        .arg("-d")
        .arg("-i")
        .arg(identity)
        .arg(file)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .unwrap()
        .success()
}

fn export_as(s: &Sandbox, key: &Path, name: &str) -> assert_cmd::assert::Assert {
    s.vault(&["export", name, "--identity", key.to_str().unwrap()])
        .assert()
}

#[test]
fn a_scoped_key_reads_only_its_granted_entries_from_its_own_file() {
    let (s, job, public) = vault_and_job();
    s.edit_password("bank/checking", "pw-checking-2");
    let a = s
        .vault(&[
            "recipients",
            "add",
            &public,
            "--name",
            "backup",
            "--only",
            "bank/*",
            "db",
        ])
        .assert()
        .success();
    assert!(
        stderr_of(&a).contains("granted 3 entries"),
        "{}",
        stderr_of(&a)
    );

    // The real age CLI: the main vault is closed to the job, its own file open.
    assert!(!age_opens(&job, &s.vault_path()));
    assert!(age_opens(&job, &derived(&s, "backup")));
    assert!(!age_opens(&s.key(), &derived(&s, "backup")));
    let doc = age_decrypt(&job, &derived(&s, "backup"));
    let mut names: Vec<&str> = doc["entries"]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    names.sort_unstable();
    assert_eq!(names, ["bank/checking", "bank/savings", "db"]);
    assert_eq!(doc["entries"]["bank/checking"]["password"], "pw-checking-2");
    assert!(
        doc["entries"]["bank/checking"].get("history").is_none(),
        "no password history in a derived vault"
    );
    assert!(
        doc["signature"]["writer"].is_string(),
        "derived vaults are signed"
    );
    assert_eq!(mode(&derived(&s, "backup")), 0o600);
    assert_eq!(mode(&s.path("vault.age.d")), 0o711);

    // The unchanged command line finds the job's file; an ungranted entry is exit 3.
    assert_eq!(stdout_of(&export_as(&s, &job, "db").success()), "pw-db\n");
    assert_eq!(
        stdout_of(&export_as(&s, &job, "bank/checking").success()),
        "pw-checking-2\n"
    );
    let refused = export_as(&s, &job, "mail").code(3);
    assert_one_line_error(&refused, "mail");
    assert!(!stdout_of(&refused).contains("pw-mail"));
    let listed = stdout_of(
        &s.vault(&["list", "--identity", job.to_str().unwrap()])
            .assert()
            .success(),
    );
    assert_eq!(listed, "bank/checking\nbank/savings\ndb\n");

    // The operator's next change reaches the job's file.
    s.edit_password("db", "pw-db-2");
    assert_eq!(stdout_of(&export_as(&s, &job, "db").success()), "pw-db-2\n");
    let list = stdout_of(&s.vault(&["recipients", "list"]).assert().success());
    assert!(
        list.contains("backup") && list.contains("only: bank/*, db"),
        "{list}"
    );
}

#[test]
fn another_recipients_file_is_closed_to_a_scoped_key() {
    let (s, job, public) = vault_and_job();
    let (other, other_public) = s.keygen("other.txt");
    s.vault(&[
        "recipients",
        "add",
        &public,
        "--name",
        "backup",
        "--only",
        "db",
    ])
    .assert()
    .success();
    s.vault(&[
        "recipients",
        "add",
        &other_public,
        "--name",
        "mailer",
        "--only",
        "mail",
    ])
    .assert()
    .success();
    assert!(!age_opens(&job, &derived(&s, "mailer")));
    assert!(!age_opens(&other, &derived(&s, "backup")));
    export_as(&s, &job, "mail").code(3);
    assert_eq!(
        stdout_of(&export_as(&s, &other, "mail").success()),
        "pw-mail\n"
    );
}

#[test]
fn narrowing_widening_and_removing_a_scope_remake_or_remove_the_file() {
    let (s, job, public) = vault_and_job();
    s.vault(&[
        "recipients",
        "add",
        &public,
        "--name",
        "backup",
        "--only",
        "bank/*",
        "db",
    ])
    .assert()
    .success();
    let a = s
        .vault(&["recipients", "scope", "backup", "db"])
        .assert()
        .success();
    assert!(stderr_of(&a).contains("change the passwords it lost"));
    export_as(&s, &job, "bank/checking").code(3);
    assert_eq!(stdout_of(&export_as(&s, &job, "db").success()), "pw-db\n");
    let doc = age_decrypt(&job, &derived(&s, "backup"));
    assert!(doc["entries"].get("bank/checking").is_none());

    // --all: the job is a full recipient again, of the main vault; its file is gone.
    s.vault(&["recipients", "scope", "backup", "--all"])
        .assert()
        .success();
    assert!(age_opens(&job, &s.vault_path()));
    assert!(!derived(&s, "backup").exists());
    assert_eq!(
        stdout_of(&export_as(&s, &job, "mail").success()),
        "pw-mail\n"
    );

    s.vault(&["recipients", "scope", "backup", "db"])
        .assert()
        .success();
    assert!(derived(&s, "backup").exists());
    s.vault(&["recipients", "remove", "backup"])
        .assert()
        .success();
    assert!(!derived(&s, "backup").exists());
    assert!(
        fs::read_dir(s.path("vault.age.d")).is_err(),
        "no derived vault is left, nor their directory"
    );
    export_as(&s, &job, "db").code(4);
}

#[test]
fn check_reports_missing_stale_and_extra_files_and_fix_remakes_them() {
    let (s, job, public) = vault_and_job();
    s.vault(&["check"]).assert().success();
    s.vault(&[
        "recipients",
        "add",
        &public,
        "--name",
        "backup",
        "--only",
        "db",
    ])
    .assert()
    .success();
    s.vault(&["check"]).assert().success();
    let stale = fs::read(derived(&s, "backup")).unwrap();
    s.edit_password("db", "pw-db-2");
    fs::write(derived(&s, "backup"), &stale).unwrap();
    fs::write(s.path("vault.age.d/leftover.age"), b"x").unwrap();
    let a = s.vault(&["check"]).assert().code(1);
    let err = stderr_of(&a);
    assert!(err.contains("backup.age: stale"), "{err}");
    assert!(err.contains("leftover.age: extra"), "{err}");
    fs::remove_file(derived(&s, "backup")).unwrap();
    let err = stderr_of(&s.vault(&["check"]).assert().code(1));
    assert!(err.contains("backup.age: missing"), "{err}");
    s.vault(&["check", "--fix"]).assert().success();
    s.vault(&["check"]).assert().success();
    assert!(!s.path("vault.age.d/leftover.age").exists());
    assert_eq!(stdout_of(&export_as(&s, &job, "db").success()), "pw-db-2\n");
}

#[test]
fn the_job_reads_what_the_operator_reads_after_kills_and_a_fix() {
    let (s, job, public) = vault_and_job();
    s.vault(&[
        "recipients",
        "add",
        &public,
        "--name",
        "backup",
        "--only",
        "db",
    ])
    .assert()
    .success();
    for round in 0..40 {
        let mut child = StdCommand::new(BIN)
            .args(["edit", "db", "--password"])
            .env("HOME", s.dir.path())
            .env("VAULT_FILE", s.vault_path())
            .env("VAULT_IDENTITY", s.key())
            .env("VAULT_AGENT_SOCK", s.agent_socket())
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(format!("pw-db-{round}\n").as_bytes())
            .unwrap();
        // Kill at a different point of the save each round.
        std::thread::sleep(std::time::Duration::from_micros(500 * (round % 20)));
        child.kill().ok();
        child.wait().unwrap();
    }
    s.vault(&["check", "--fix"]).assert().success();
    let operator = s.export("db");
    assert_eq!(stdout_of(&export_as(&s, &job, "db").success()), operator);
}

#[test]
fn every_save_keeps_the_owner_group_and_mode_of_the_files_it_replaces() {
    let (s, _, public) = vault_and_job();
    let gid = group_gid("vault-share-test");
    fs::set_permissions(s.vault_path(), fs::Permissions::from_mode(0o640)).unwrap();
    std::os::unix::fs::chown(s.vault_path(), None, Some(gid)).unwrap();
    s.add("after", "pw");
    let meta = fs::metadata(s.vault_path()).unwrap();
    assert_eq!((meta.mode() & 0o777, meta.gid()), (0o640, gid));
    std::os::unix::fs::chown(s.path("vault.age.bak"), None, Some(gid)).unwrap();
    s.add("again", "pw");
    assert_eq!(fs::metadata(s.path("vault.age.bak")).unwrap().gid(), gid);

    s.vault(&[
        "recipients",
        "add",
        &public,
        "--name",
        "backup",
        "--only",
        "db",
        "--group",
        "vault-share-test",
    ])
    .assert()
    .success();
    let file = fs::metadata(derived(&s, "backup")).unwrap();
    assert_eq!((file.mode() & 0o777, file.gid()), (0o640, gid));
    let dir = fs::metadata(s.path("vault.age.d")).unwrap();
    assert_eq!((dir.mode() & 0o777, dir.gid()), (0o710, gid));
    s.add("third", "pw");
    let file = fs::metadata(derived(&s, "backup")).unwrap();
    assert_eq!((file.mode() & 0o777, file.gid()), (0o640, gid));
}

#[test]
fn a_job_user_in_the_group_reads_its_file_and_nothing_else() {
    if !is_root() {
        eprintln!("skipped: needs root to add a user");
        return;
    }
    let gid = group_gid("vault-scope-grp");
    let uid = user_in_group("vault-scope-job", gid);
    // A world-reachable place: the job's user must get to the files as a stranger would.
    let base = tempfile::Builder::new()
        .prefix("vault-scope-")
        .tempdir_in("/tmp")
        .unwrap();
    fs::set_permissions(base.path(), fs::Permissions::from_mode(0o755)).unwrap();
    let s = Sandbox::init();
    s.add("db", "pw-db");
    s.add("mail", "pw-mail");
    let vault = base.path().join("vault.age");
    fs::rename(s.vault_path(), &vault).unwrap();
    let job_key = base.path().join("job.txt");
    let writer = stdout_of(&s.vault(&["trust", "show"]).assert().success());
    let public = stdout_of(
        &s.vault(&[
            "keygen",
            "-o",
            job_key.to_str().unwrap(),
            "--trust",
            writer.trim(),
        ])
        .assert()
        .success(),
    );
    std::os::unix::fs::chown(&job_key, Some(uid.parse().unwrap()), Some(gid)).unwrap();
    s.vault(&[
        "recipients",
        "add",
        public.trim(),
        "--name",
        "job",
        "--only",
        "db",
        "--group",
        "vault-scope-grp",
        "--vault",
        vault.to_str().unwrap(),
    ])
    .assert()
    .success();
    assert_eq!(mode(&vault), 0o600, "the main vault stays private");

    let gid_text = gid.to_string();
    let as_job = |args: &[&str]| {
        vault_as_user(
            (&uid, &gid_text),
            base.path(),
            &[("VAULT_IDENTITY", &job_key)],
            args,
        )
    };
    let out = as_job(&["export", "db"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(out.stdout, b"pw-db\n");
    let out = as_job(&["export", "mail"]);
    assert_eq!(out.status.code(), Some(3));
    // It cannot list the directory of derived vaults, nor read the main vault.
    let ls = StdCommand::new("setpriv")
        .args([
            &format!("--reuid={uid}"),
            &format!("--regid={gid}"),
            "--clear-groups",
            "ls",
        ])
        .arg(base.path().join("vault.age.d"))
        .output()
        .unwrap();
    assert!(!ls.status.success());
}

use std::os::unix::fs::PermissionsExt;
