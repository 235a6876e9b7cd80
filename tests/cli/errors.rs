//! Every exit code from a real bad input; the vault's bytes unchanged after each refused write;
//! one line of error text that never holds the secret.

use std::fs;
use std::os::unix::fs::MetadataExt;
use std::time::{Duration, Instant};

use crate::common::*;

const SECRET: &str = "hunter2-the-secret";

/// A broken document made by hand: an operator (who has anchors) refuses it unread, as no
/// trusted writer signed it; a reader without anchors is told what is wrong with it.
fn age_vault(s: &Sandbox, json: &str) {
    s.write_hand_made_vault(json);
}

/// (what, document, text the error must hold for a reader without anchors)
const DOCUMENTS: &[(&str, &str, &str)] = &[
    (
        "bad JSON",
        r#"{"entries": {"bank": {"password": "hunter2-the-secret",}}"#,
        "not valid JSON",
    ),
    (
        "wrong JSON type",
        r#"{"entries": {"bank": {"password": ["hunter2-the-secret"]}}}"#,
        "wrong type",
    ),
    (
        "duplicate keys",
        r#"{"entries": {"bank": {"password": "hunter2-the-secret"}, "bank": {}}}"#,
        "duplicate key \"bank\"",
    ),
    (
        "future format",
        r#"{"format": 2, "entries": {"bank": {"password": "hunter2-the-secret"}}}"#,
        "format 2",
    ),
];

#[test]
fn a_reader_without_anchors_is_told_what_is_wrong_with_a_document() {
    for (what, json, needle) in DOCUMENTS {
        assert!(json.contains(SECRET));
        let s = Sandbox::new();
        s.vault(&["keygen", "-o", s.key().to_str().unwrap()])
            .assert()
            .success();
        s.write_hand_made_vault(json);
        for args in [&["export", "bank"][..], &["list"], &["show", "bank"]] {
            let a = s.vault(args).assert().code(6);
            assert_one_line_error(&a, needle);
            assert!(!stderr_of(&a).contains(SECRET), "{what}: secret in stderr");
        }
    }
}

type Setup = fn(&Sandbox);

/// (what, how to break it, exit code, text the error must hold)
const CASES: &[(&str, Setup, i32, &str)] = &[
    (
        "missing vault",
        |s| fs::remove_file(s.vault_path()).unwrap(),
        6,
        "not found",
    ),
    (
        "vault is a directory",
        |s| {
            fs::remove_file(s.vault_path()).unwrap();
            fs::create_dir(s.vault_path()).unwrap();
        },
        6,
        "directory",
    ),
    (
        "not an age file",
        |s| {
            fs::write(
                s.vault_path(),
                format!("{{\"entries\": {{\"bank\": {{\"password\": \"{SECRET}\"}}}}}}"),
            )
            .unwrap();
        },
        6,
        "not an age-encrypted file",
    ),
    (
        "truncated payload",
        |s| {
            let bytes = s.bytes();
            fs::write(s.vault_path(), &bytes[..bytes.len() - 40]).unwrap();
        },
        6,
        "not a readable vault",
    ),
    (
        "truncated header",
        |s| {
            let bytes = s.bytes();
            fs::write(s.vault_path(), &bytes[..40]).unwrap();
        },
        6,
        "truncated",
    ),
    (
        "tampered payload",
        |s| {
            let mut bytes = s.bytes();
            let at = bytes.len() - 20;
            bytes[at] ^= 0x01;
            fs::write(s.vault_path(), bytes).unwrap();
        },
        6,
        "tampered",
    ),
    ("bad JSON", |s| age_vault(s, DOCUMENTS[0].1), 8, "unsigned"),
    (
        "wrong JSON type",
        |s| age_vault(s, DOCUMENTS[1].1),
        8,
        "unsigned",
    ),
    (
        "duplicate keys",
        |s| age_vault(s, DOCUMENTS[2].1),
        8,
        "unsigned",
    ),
    (
        "future format",
        |s| age_vault(s, DOCUMENTS[3].1),
        8,
        "unsigned",
    ),
    (
        "wrong key",
        |s| {
            fs::remove_file(s.key()).unwrap();
            s.vault(&["keygen", "-o", s.key().to_str().unwrap()])
                .assert()
                .success();
        },
        4,
        "can decrypt",
    ),
    (
        "missing identity",
        |s| fs::remove_file(s.key()).unwrap(),
        4,
        "not found",
    ),
    (
        "empty identity",
        |s| fs::write(s.key(), "").unwrap(),
        4,
        "holds no identity",
    ),
    (
        "garbage identity",
        |s| fs::write(s.key(), format!("{SECRET}\n")).unwrap(),
        4,
        "line 1 is not an age identity",
    ),
    (
        "identity readable by others",
        |s| chmod(&s.key(), 0o644),
        5,
        "chmod 600",
    ),
    (
        "identity readable by the group",
        |s| chmod(&s.key(), 0o640),
        5,
        "mode 640",
    ),
    (
        "identity is a directory",
        |s| {
            fs::remove_file(s.key()).unwrap();
            fs::create_dir(s.key()).unwrap();
        },
        5,
        "not a regular file",
    ),
    (
        "identity is a symlink to an open file",
        |s| {
            let real = s.path("real-key.txt");
            fs::rename(s.key(), &real).unwrap();
            chmod(&real, 0o644);
            std::os::unix::fs::symlink(&real, s.key()).unwrap();
        },
        5,
        "lets group or others read it",
    ),
];

#[test]
fn every_bad_input_gets_its_exit_code_and_leaves_the_vault_alone() {
    for (what, setup, code, needle) in CASES {
        let s = Sandbox::init();
        s.add("bank", SECRET);
        fs::remove_file(s.path("vault.age.bak")).unwrap();
        setup(&s);
        let before = fs::read(s.vault_path()).ok();
        for args in [
            &["export", "bank"][..],
            &["list"],
            &["show", "bank", "--reveal"],
            &["add", "new"],
            &["rm", "bank", "--yes"],
        ] {
            let a = s.vault(args).write_stdin("new-password\n").assert();
            let got = a.get_output().status.code();
            assert_eq!(
                got,
                Some(*code),
                "{what}: vault {args:?}: {}",
                stderr_of(&a)
            );
            assert_one_line_error(&a, needle);
            assert!(!stderr_of(&a).contains(SECRET), "{what}: secret in stderr");
            assert!(
                stdout_of(&a).is_empty(),
                "{what}: {args:?} printed something"
            );
        }
        assert_eq!(
            fs::read(s.vault_path()).ok(),
            before,
            "{what}: the vault changed"
        );
        assert!(
            !s.path("vault.age.bak").exists(),
            "{what}: a refused write made a backup"
        );
    }
}

#[test]
fn a_future_format_is_never_rewritten() {
    let s = Sandbox::init();
    let json = format!(
        r#"{{"format": 2, "recipients": [{{"name": "operator", "key": "{}"}}], "entries": {{}}}}"#,
        age_keygen_y(&s.key())
    );
    // As a newer version of vault, holding the operator's key, would write it.
    s.write_signed_vault(&json, &s.own_writer_key());
    let before = s.bytes();
    let (_, public) = s.keygen("svc.txt");
    s.vault(&["recipients", "add", &public, "--name", "svc"])
        .assert()
        .code(6);
    s.vault(&["edit", "x", "--url", "u"]).assert().code(6);
    assert_eq!(s.bytes(), before);
}

#[test]
fn identity_owned_by_another_user_is_refused() {
    let s = Sandbox::init();
    if rustix_like_euid() != 0 {
        // Only root can give a file away; elsewhere this case cannot be set up.
        return;
    }
    std::os::unix::fs::chown(s.key(), Some(65534), None).unwrap();
    assert_eq!(fs::metadata(s.key()).unwrap().uid(), 65534);
    let a = s.vault(&["list"]).assert().code(5);
    assert_one_line_error(&a, "owned by another user");
    // Run as root on a job's key, chown would break the job: the hint says whom to run as.
    assert!(
        stderr_of(&a).contains("as the job's user"),
        "{}",
        stderr_of(&a)
    );
}

fn rustix_like_euid() -> u32 {
    // The owner of a file we just created is our effective uid.
    let probe = tempfile::NamedTempFile::new().unwrap();
    fs::metadata(probe.path()).unwrap().uid()
}

#[test]
fn wrong_passphrase_and_no_terminal_fail_at_once() {
    let s = Sandbox::new();
    let pass = s.private_file("pass", "right\n");
    s.vault(&["init", "--passphrase-file", pass.to_str().unwrap()])
        .assert()
        .success();
    s.vault(&["add", "bank", "--passphrase-file", pass.to_str().unwrap()])
        .write_stdin("pw\n")
        .assert()
        .success();
    let before = s.bytes();

    // Under cron: no terminal, no passphrase file. Exit 4 at once, never a wait for input.
    let started = Instant::now();
    let a = s.vault(&["export", "bank"]).assert().code(4);
    assert_one_line_error(&a, "--passphrase-file");
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "export waited for a passphrase"
    );
    s.vault(&["add", "other"])
        .write_stdin("pw\n")
        .assert()
        .code(4);

    let wrong = s.private_file("wrong", "wrong\n");
    let a = s
        .vault(&[
            "export",
            "bank",
            "--passphrase-file",
            wrong.to_str().unwrap(),
        ])
        .assert()
        .code(4);
    assert_one_line_error(&a, "wrong passphrase");

    chmod(&wrong, 0o644);
    let a = s
        .vault(&[
            "export",
            "bank",
            "--passphrase-file",
            wrong.to_str().unwrap(),
        ])
        .assert()
        .code(5);
    assert_one_line_error(&a, "passphrase file");
    assert_eq!(s.bytes(), before);
}

#[test]
fn usage_errors_are_exit_2() {
    let s = Sandbox::init();
    s.vault(&["frobnicate"]).assert().code(2);
    s.vault(&["export"]).assert().code(2);
    s.vault(&["export", "bank", "--format", "xml"])
        .assert()
        .code(2);
    s.vault(&[]).assert().code(2);
    s.vault(&["--help"]).assert().success();
}

#[test]
fn oversized_and_malformed_passwords_on_stdin_are_refused() {
    let s = Sandbox::init();
    s.add("bank", SECRET);
    let before = s.bytes();
    let huge = "x".repeat(10 * 1024 * 1024);
    let a = s
        .vault(&["add", "huge"])
        .write_stdin(format!("{huge}\n"))
        .assert()
        .code(1);
    assert_one_line_error(&a, "longer than");
    let a = s
        .vault(&["add", "latin1"])
        .write_stdin(b"caf\xe9\n".to_vec())
        .assert()
        .code(1);
    assert_one_line_error(&a, "not valid UTF-8");
    let a = s
        .vault(&["edit", "bank", "--password"])
        .write_stdin(b"\xff\xfe\n".to_vec())
        .assert()
        .code(1);
    assert_one_line_error(&a, "not valid UTF-8");
    assert_eq!(s.bytes(), before);
}

fn mkfifo(path: &std::path::Path, mode: &str) {
    assert!(
        std::process::Command::new("mkfifo")
            .args(["-m", mode])
            .arg(path)
            .status()
            .unwrap()
            .success()
    );
}

/// Writes `data` into the FIFO at `path` from another thread, once a reader opens it.
fn feed(path: &std::path::Path, data: Vec<u8>) -> std::thread::JoinHandle<()> {
    let path = path.to_owned();
    // A refused FIFO is never read: the write then fails, and that is the point.
    std::thread::spawn(move || drop(fs::write(path, data)))
}

/// Lets the writer of `feed` go, wherever it is: opening the FIFO for reading (without waiting)
/// ends its wait, and closing it again fails its write.
fn release(path: &std::path::Path, writer: std::thread::JoinHandle<()>) {
    use std::os::unix::fs::OpenOptionsExt;
    let nonblocking = rustix::fs::OFlags::NONBLOCK.bits().cast_signed();
    while !writer.is_finished() {
        drop(
            fs::OpenOptions::new()
                .read(true)
                .custom_flags(nonblocking)
                .open(path),
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    writer.join().unwrap();
}

#[test]
fn an_identity_through_a_named_pipe_is_read() {
    let s = Sandbox::init();
    s.add("bank", SECRET);
    let fifo = s.path("key.fifo");
    mkfifo(&fifo, "600");
    let writer = feed(&fifo, fs::read(s.key()).unwrap());
    let a = s
        .vault(&["export", "bank", "--identity", fifo.to_str().unwrap()])
        .assert()
        .success();
    assert_eq!(stdout_of(&a), format!("{SECRET}\n"));
    writer.join().unwrap();

    // And through a pipe from the shell, as `--identity <(…)` gives it: /dev/fd/N.
    let out = std::process::Command::new("bash")
        .args([
            "-c",
            "exec \"$0\" export bank --identity <(cat \"$1\")",
            BIN,
            s.key().to_str().unwrap(),
        ])
        .env("VAULT_FILE", s.vault_path())
        .env("VAULT_AGENT_SOCK", s.agent_socket())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(out.stdout, format!("{SECRET}\n").as_bytes());
}

#[test]
fn a_named_pipe_others_could_open_is_refused_unread() {
    let s = Sandbox::init();
    s.add("bank", SECRET);
    let key = fs::read(s.key()).unwrap();
    // Ours, but another user could open it and take the key from it first.
    let open = s.path("open.fifo");
    mkfifo(&open, "644");
    let writer = feed(&open, key.clone());
    let a = s
        .vault(&["export", "bank", "--identity", open.to_str().unwrap()])
        .assert()
        .code(5);
    assert_one_line_error(&a, "mode 644");
    release(&open, writer);

    if rustix_like_euid() != 0 {
        // Only root can give a FIFO away; elsewhere the rest cannot be set up.
        return;
    }
    // Another user's FIFO, open to all: whoever owns it decides what key vault would read.
    let theirs = s.path("theirs.fifo");
    mkfifo(&theirs, "666");
    std::os::unix::fs::chown(&theirs, Some(65534), Some(65534)).unwrap();
    let writer = feed(&theirs, key);
    let started = Instant::now();
    let a = s
        .vault(&["export", "bank", "--identity", theirs.to_str().unwrap()])
        .timeout(Duration::from_secs(10))
        .assert()
        .code(5);
    assert_one_line_error(&a, "owned by another user");
    assert!(started.elapsed() < Duration::from_secs(5));
    release(&theirs, writer);
}

#[test]
fn a_read_only_directory_refuses_the_write_and_keeps_the_vault() {
    let s = Sandbox::init();
    s.add("bank", SECRET);
    let before = s.bytes();
    // Permission bits do not bind root: as root, the sandbox goes to nobody and vault runs as
    // nobody (setpriv, util-linux).
    let as_root = rustix_like_euid() == 0;
    let mut cmd = if as_root {
        let owned = std::process::Command::new("chown")
            .args(["-R", "65534:65534"])
            .arg(s.dir.path())
            .status();
        assert!(owned.unwrap().success());
        let mut cmd = assert_cmd::Command::new("setpriv");
        cmd.args([
            "--reuid=65534",
            "--regid=65534",
            "--clear-groups",
            BIN,
            "add",
            "other",
        ]);
        cmd.env("VAULT_FILE", s.vault_path())
            .env("VAULT_IDENTITY", s.key());
        cmd
    } else {
        s.vault(&["add", "other"])
    };
    chmod(s.dir.path(), 0o555);
    let a = cmd.write_stdin("pw\n").assert().code(1);
    chmod(s.dir.path(), 0o755);
    assert_one_line_error(&a, "permission denied");
    assert_eq!(s.bytes(), before);
}
