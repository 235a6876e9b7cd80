//! Writers at once, a held lock, and what a killed writer leaves behind.

use std::fs::{self, OpenOptions};
use std::thread;

use crate::common::*;

#[test]
fn writers_adding_different_entries_at_once_lose_nothing() {
    let s = Sandbox::init();
    let handles: Vec<_> = (0..8)
        .map(|i| {
            let mut cmd = s.vault(&["add", &format!("entry-{i}")]);
            cmd.write_stdin(format!("pw-{i}\n"));
            thread::spawn(move || cmd.assert().success())
        })
        .collect();
    for handle in handles {
        handle.join().unwrap();
    }
    let list = stdout_of(&s.vault(&["list"]).assert().success());
    let expected: Vec<String> = (0..8).map(|i| format!("entry-{i}")).collect();
    assert_eq!(list.lines().collect::<Vec<_>>(), expected);
    for i in 0..8 {
        assert_eq!(s.export(&format!("entry-{i}")), format!("pw-{i}\n"));
    }
}

#[test]
fn a_writer_gives_up_on_a_held_lock_with_exit_7_and_readers_are_not_blocked() {
    let s = Sandbox::init();
    s.add("bank", "pw");
    let before = s.bytes();
    let lock = OpenOptions::new()
        .write(true)
        .open(s.path("vault.age.lock"))
        .unwrap();
    lock.lock().unwrap();
    let a = s
        .vault(&["add", "other"])
        .write_stdin("pw\n")
        .assert()
        .code(7);
    assert_one_line_error(&a, "busy");
    assert_eq!(s.export("bank"), "pw\n");
    assert_eq!(s.bytes(), before);
    lock.unlock().unwrap();
    s.add("other", "pw");
}

#[test]
fn temp_files_left_by_a_killed_writer_are_cleaned_by_the_next() {
    let s = Sandbox::init();
    let leftover = s.path(".vault.age.Xk2j9a.tmp");
    fs::write(&leftover, "half a save").unwrap();
    s.add("bank", "pw");
    assert!(!leftover.exists());
    let names: Vec<String> = fs::read_dir(s.dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with('.') && n.contains(".age."))
        .collect();
    assert!(names.is_empty(), "{names:?}");
}

/// `vault add` waits on stdin for the password: its /proc entries, read meanwhile.
fn while_adding(s: &Sandbox, look: impl Fn(u32) -> bool) -> bool {
    use std::io::Write;
    use std::process::{Command, Stdio};
    let mut child = Command::new(BIN)
        .args(["add", "probe"])
        .env("VAULT_FILE", s.vault_path())
        .env("VAULT_IDENTITY", s.key())
        .stdin(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut seen = false;
    for _ in 0..200 {
        if look(child.id()) {
            seen = true;
            break;
        }
        thread::sleep(std::time::Duration::from_millis(10));
    }
    child.stdin.take().unwrap().write_all(b"pw\n").unwrap();
    assert!(child.wait().unwrap().success());
    seen
}

fn status_field(pid: u32, field: &str) -> Option<String> {
    let status = fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with(field))?;
    Some(line[field.len()..].trim().to_owned())
}

#[test]
fn a_process_holding_secrets_cannot_dump_core() {
    let s = Sandbox::init();
    // The soft limit is the one the kernel obeys; the hard one stays, so that `vault exec`
    // can hand the user's own limit back to the command it runs.
    let hardened = while_adding(&s, |pid| {
        let limits = fs::read_to_string(format!("/proc/{pid}/limits")).unwrap_or_default();
        limits
            .lines()
            .find(|l| l.starts_with("Max core file size"))
            .is_some_and(|l| l.split_whitespace().nth(4) == Some("0"))
    });
    assert!(hardened, "core dumps are still possible");
}

#[test]
fn buffers_holding_secrets_are_locked_for_every_user() {
    let s = Sandbox::init();
    // The buffer the password is read into is locked while vault waits for it: with or
    // without CAP_IPC_LOCK, as it fits the smallest memlock limit in use.
    let locked = while_adding(&s, |pid| {
        status_field(pid, "VmLck:").is_some_and(|v| !v.starts_with("0 "))
    });
    assert!(locked, "VmLck should be non-zero while a secret is read");
}
