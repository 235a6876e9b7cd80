//! The lock file writers take, and the directory the vault lives in: another local user must
//! not be able to plant a symlink that vault follows, and a directory others can write is
//! pointed out.

use std::fs;
use std::os::unix::fs::symlink;
use std::process::Command as StdCommand;

use crate::common::*;

fn lock_path(s: &Sandbox) -> std::path::PathBuf {
    s.path("vault.age.lock")
}

#[test]
fn the_lock_file_is_created_0600_whatever_the_umask() {
    let s = Sandbox::init();
    fs::remove_file(lock_path(&s)).unwrap();
    let mut cmd = StdCommand::new("sh");
    cmd.env_clear()
        .env("VAULT_FILE", s.vault_path())
        .env("VAULT_IDENTITY", s.key())
        .env("VAULT_AGENT_SOCK", s.agent_socket())
        .args(["-c", "umask 022 && echo pw | exec \"$0\" add bank", BIN]);
    run_ok(&mut cmd);
    assert_eq!(mode(&lock_path(&s)), 0o600);
}

#[test]
fn a_symlink_planted_at_the_lock_file_is_refused_not_followed() {
    let s = Sandbox::init();
    let before = s.bytes();
    let victim = s.path("victim.txt");
    fs::write(&victim, "keep me\n").unwrap();
    chmod(&victim, 0o644);
    let elsewhere = s.path("created-elsewhere");
    for target in [&victim, &elsewhere] {
        fs::remove_file(lock_path(&s)).unwrap();
        symlink(target, lock_path(&s)).unwrap();
        let a = s
            .vault(&["add", "bank"])
            .write_stdin("pw\n")
            .assert()
            .code(1);
        assert_one_line_error(&a, "vault.age.lock: it is a symbolic link");
    }
    assert!(
        !elsewhere.exists(),
        "vault created a file through the symlink"
    );
    assert_eq!(fs::read_to_string(&victim).unwrap(), "keep me\n");
    assert_eq!(mode(&victim), 0o644);
    assert_eq!(s.bytes(), before, "the vault was written");
}

#[test]
fn a_directory_others_can_write_is_warned_about_once_per_write() {
    let s = Sandbox::init();
    let dir = s.dir.path().to_owned();
    for (dir_mode, warned) in [
        (0o777, true),
        // Sticky, as /tmp: others cannot replace what is ours, only plant new names.
        (0o1777, false),
        (0o1770, false),
        (0o770, true),
        (0o755, false),
        (0o700, false),
    ] {
        chmod(&dir, dir_mode);
        let name = format!("e{dir_mode:o}");
        let a = s
            .vault(&["add", &name])
            .write_stdin("pw\n")
            .assert()
            .success();
        let warnings: Vec<String> = stderr_of(&a)
            .lines()
            .filter(|l| l.starts_with("vault: warning: "))
            .map(str::to_owned)
            .collect();
        if warned {
            assert_eq!(warnings.len(), 1, "mode {dir_mode:o}: {warnings:?}");
            assert!(
                warnings[0].contains(&format!(
                    "others can write to {} (mode {dir_mode:o})",
                    dir.display()
                )),
                "{warnings:?}"
            );
        } else {
            assert!(warnings.is_empty(), "mode {dir_mode:o}: {warnings:?}");
        }
        // Reads take no lock and say nothing.
        let a = s.vault(&["list"]).assert().success();
        assert_eq!(stderr_of(&a), "", "mode {dir_mode:o}");
    }
}
