//! `vault copy` against a real X server (Xvfb), read back with xclip, as a desktop user meets it.

use std::fs;
use std::thread;
use std::time::Duration;

use crate::common::*;
use crate::x11::{Display, wait_until};

const SECRET: &str = "hunter2-on-the-clipboard";

fn with_bank() -> Sandbox {
    let s = Sandbox::init();
    s.vault(&["add", "bank", "--username", "dustin"])
        .write_stdin(format!("{SECRET}\n"))
        .assert()
        .success();
    s
}

fn copy(s: &Sandbox, x: &Display, args: &[&str]) -> assert_cmd::assert::Assert {
    let mut cmd = s.vault(&["copy", "bank"]);
    cmd.args(args).env("DISPLAY", &x.name);
    cmd.assert()
}

#[test]
fn the_value_arrives_without_a_newline_and_is_gone_after_the_delay() {
    let s = with_bank();
    let x = Display::start();
    let a = copy(&s, &x, &["--clear-after", "2"]).success();
    assert!(stdout_of(&a).is_empty());
    assert!(
        stderr_of(&a).contains("cleared in 2 s"),
        "{}",
        stderr_of(&a)
    );
    assert_eq!(x.clipboard().as_deref(), Some(SECRET));
    wait_until("the clear", || x.clipboard().is_none());
}

#[test]
fn a_value_the_user_copies_afterwards_survives_the_clear() {
    let s = with_bank();
    let x = Display::start();
    copy(&s, &x, &["--clear-after", "1"]).success();
    x.user_copies("the user's own text");
    thread::sleep(Duration::from_secs(3));
    assert_eq!(x.clipboard().as_deref(), Some("the user's own text"));
}

#[test]
fn a_second_copy_is_not_cleared_by_the_first_helper() {
    let s = with_bank();
    let x = Display::start();
    copy(&s, &x, &["--clear-after", "1"]).success();
    copy(&s, &x, &["--field", "username", "--clear-after", "30"]).success();
    assert_eq!(x.clipboard().as_deref(), Some("dustin"));
    thread::sleep(Duration::from_secs(3));
    assert_eq!(x.clipboard().as_deref(), Some("dustin"));
}

#[test]
fn the_secret_never_appears_in_a_command_line_or_environment() {
    let s = with_bank();
    let x = Display::start();
    copy(&s, &x, &["--clear-after", "30"]).success();
    // The helper is running now, holding the secret.
    for entry in fs::read_dir("/proc").unwrap().flatten() {
        for part in ["cmdline", "environ"] {
            if let Ok(bytes) = fs::read(entry.path().join(part)) {
                let text = String::from_utf8_lossy(&bytes);
                assert!(!text.contains(SECRET), "{}/{part}", entry.path().display());
            }
        }
    }
}

#[test]
fn no_display_fails_at_once_with_exit_1() {
    let s = with_bank();
    let a = s.vault(&["copy", "bank"]).assert().code(1);
    assert_one_line_error(&a, "cannot use the clipboard");
    let a = s.vault(&["copy", "bank", "--osc52"]).assert().code(1);
    assert_one_line_error(&a, "cannot use the clipboard");
    s.vault(&["copy", "bank", "--field", "nope"])
        .assert()
        .code(3);
}
