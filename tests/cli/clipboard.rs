//! `vault copy` against a real X server (Xvfb), read back with xclip, as a desktop user meets it.

use std::fs;
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, Command as StdCommand, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use crate::common::*;

const SECRET: &str = "hunter2-on-the-clipboard";

/// An X server of its own for one test.
pub struct Display {
    server: Child,
    pub name: String,
}

impl Display {
    pub fn start() -> Display {
        // Xvfb picks a free display number itself and reports it: tests run side by side.
        let mut server = StdCommand::new("Xvfb")
            .args([
                "-displayfd",
                "1",
                "-nolisten",
                "tcp",
                "-screen",
                "0",
                "320x240x24",
            ])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("Xvfb runs (apt package xvfb)");
        let mut number = String::new();
        BufReader::new(server.stdout.take().unwrap())
            .read_line(&mut number)
            .unwrap();
        let number = number.trim().to_owned();
        assert!(!number.is_empty(), "Xvfb reported no display");
        let display = Display {
            server,
            name: format!(":{number}"),
        };
        wait_until("the X server starts", || {
            Path::new(&format!("/tmp/.X11-unix/X{number}")).exists()
        });
        display
    }

    /// What `xclip -o` reads from the clipboard; `None` when it holds nothing.
    pub fn clipboard(&self) -> Option<String> {
        let out = StdCommand::new("xclip")
            .args(["-o", "-selection", "clipboard"])
            .env("DISPLAY", &self.name)
            .stderr(Stdio::null())
            .output()
            .expect("xclip runs (apt package xclip)");
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        (out.status.success() && !text.is_empty()).then_some(text)
    }

    /// The user copies something else, as a desktop application would.
    fn user_copies(&self, text: &str) {
        let mut xclip = StdCommand::new("xclip")
            .args(["-i", "-selection", "clipboard"])
            .env("DISPLAY", &self.name)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        xclip
            .stdin
            .take()
            .unwrap()
            .write_all(text.as_bytes())
            .unwrap();
        xclip.wait().unwrap();
        wait_until("the user's copy arrives", || {
            self.clipboard().as_deref() == Some(text)
        });
    }
}

impl Drop for Display {
    fn drop(&mut self) {
        self.server.kill().ok();
        self.server.wait().ok();
    }
}

fn wait_until(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while !done() {
        assert!(Instant::now() < deadline, "waited too long for {what}");
        thread::sleep(Duration::from_millis(50));
    }
}

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
