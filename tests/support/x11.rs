//! An X server of its own for one test (Xvfb), and the clipboard as a desktop user meets it.
//! Shared by the Linux tests and the Windows ones (wine bridges its clipboard to X).
// Each test crate that includes this uses a part of it.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, Command as StdCommand, Stdio};
use std::thread;
use std::time::{Duration, Instant};

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
    pub fn user_copies(&self, text: &str) {
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

pub fn wait_until(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while !done() {
        assert!(Instant::now() < deadline, "waited too long for {what}");
        thread::sleep(Duration::from_millis(50));
    }
}
