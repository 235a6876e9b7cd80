//! Copying a secret to the clipboard and clearing it after a delay.
//!
//! On X11 and Wayland a clipboard's content lives only as long as the process that set it, and
//! the clear must happen after `vault` has returned. So a helper process (this same binary,
//! started with a hidden command and detached from the terminal) owns the content: it gets the
//! secret on a pipe (never in argv or the environment), sets it, says "ok", and then watches:
//! once something else is on the clipboard it leaves without touching it; at the deadline, if
//! the clipboard still holds the secret, it clears it.

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, ExitCode, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use crate::error::{Error, Result};
use crate::os;
use crate::secret::Secret;

/// How long a copied secret stays on the clipboard unless told otherwise.
pub const DEFAULT_CLEAR_AFTER: Duration = Duration::from_secs(30);
/// The hidden command that runs the helper.
pub const HELPER_COMMAND: &str = "clipboard-helper";
/// How often the helper looks whether the clipboard still holds the secret.
const POLL: Duration = Duration::from_millis(200);

/// Puts `value` on the clipboard and returns at once; a helper clears it after `clear_after`
/// (never, for zero) if it is still there. Fails at once where there is no clipboard.
pub fn copy(value: &Secret, clear_after: Duration) -> Result<()> {
    // No display: say so now rather than after starting a helper.
    drop(arboard::Clipboard::new().map_err(unavailable)?);
    let exe = std::env::current_exe().map_err(|e| Error::io("cannot find the vault program", e))?;
    let mut command = Command::new(exe);
    command
        .arg(HELPER_COMMAND)
        .arg(clear_after.as_secs().to_string())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    os::detach(&mut command);
    let mut child = command
        .spawn()
        .map_err(|e| Error::io("cannot start the clipboard helper", e))?;
    let mut stdin = child
        .stdin
        .take()
        .ok_or_else(|| Error::other("the clipboard helper has no input"))?;
    stdin
        .write_all(value.expose().as_bytes())
        .and_then(|()| stdin.write_all(b"\n"))
        .map_err(|e| Error::io("cannot hand the secret to the clipboard helper", e))?;
    drop(stdin);
    let stdout = child
        .stdout
        .take()
        .ok_or_else(|| Error::other("the clipboard helper has no output"))?;
    let mut answer = String::new();
    BufReader::new(stdout)
        .read_line(&mut answer)
        .map_err(|e| Error::io("cannot hear from the clipboard helper", e))?;
    match answer.trim_end() {
        "ok" => Ok(()),
        "" => Err(Error::other("the clipboard helper stopped before copying")),
        reason => Err(unavailable(reason)),
    }
}

/// The helper's side, run as `vault clipboard-helper SECONDS` with the secret on stdin.
pub fn serve(clear_after: Duration) -> ExitCode {
    os::detach_self();
    let Ok(secret) = crate::secret::read_line(std::io::stdin().lock()) else {
        return answer("error: the secret did not arrive");
    };
    let secret = secret.expose();
    let mut clipboard = match arboard::Clipboard::new() {
        Ok(clipboard) => clipboard,
        Err(err) => return answer(&describe(&err)),
    };
    if let Err(err) = imp::set_secret(&mut clipboard, secret) {
        return answer(&describe(&err));
    }
    answer("ok");
    let deadline = (!clear_after.is_zero()).then(|| Instant::now() + clear_after);
    // Owning the content means staying alive: until it is replaced, or the deadline.
    loop {
        thread::sleep(POLL);
        if !holds(&mut clipboard, secret) {
            return ExitCode::SUCCESS;
        }
        if deadline.is_some_and(|d| Instant::now() >= d) {
            clipboard.clear().ok();
            return ExitCode::SUCCESS;
        }
    }
}

fn holds(clipboard: &mut arboard::Clipboard, secret: &str) -> bool {
    match clipboard.get_text() {
        Ok(text) => {
            let same = text == secret;
            crate::secret::wipe(text);
            same
        }
        Err(_) => false,
    }
}

fn answer(text: &str) -> ExitCode {
    let mut out = std::io::stdout().lock();
    writeln!(out, "{text}").and_then(|()| out.flush()).ok();
    if text == "ok" {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

fn describe(err: &arboard::Error) -> String {
    match err {
        arboard::Error::ClipboardNotSupported => {
            "no clipboard here (no X11 or Wayland display)".into()
        }
        other => other.to_string().to_lowercase(),
    }
}

fn unavailable(reason: impl std::fmt::Display) -> Error {
    let reason = reason.to_string();
    let reason = reason.strip_prefix("error: ").unwrap_or(&reason).to_owned();
    Error::with_hint(
        format!("cannot use the clipboard: {}", reason.to_lowercase()),
        "run it in a graphical session (DISPLAY or WAYLAND_DISPLAY set), or use vault copy --osc52 in a terminal that supports OSC 52",
    )
}

#[cfg(target_os = "linux")]
mod imp {
    use arboard::SetExtLinux;

    /// Marked for clipboard managers (x-kde-passwordManagerHint) to leave out of their history.
    pub fn set_secret(
        clipboard: &mut arboard::Clipboard,
        secret: &str,
    ) -> Result<(), arboard::Error> {
        clipboard.set().exclude_from_history().text(secret)
    }
}

#[cfg(windows)]
mod imp {
    use arboard::SetExtWindows;

    /// Kept out of the clipboard history and cloud clipboard (Win+V).
    pub fn set_secret(
        clipboard: &mut arboard::Clipboard,
        secret: &str,
    ) -> Result<(), arboard::Error> {
        clipboard
            .set()
            .exclude_from_history()
            .exclude_from_cloud()
            .exclude_from_monitoring()
            .text(secret)
    }
}

#[cfg(not(any(target_os = "linux", windows)))]
mod imp {
    pub fn set_secret(
        clipboard: &mut arboard::Clipboard,
        secret: &str,
    ) -> Result<(), arboard::Error> {
        clipboard.set_text(secret)
    }
}

/// Sends `value` to the terminal's own clipboard with an OSC 52 escape sequence: for a shell
/// on a machine with no display, such as over SSH. The terminal decides what happens to it.
pub fn send_osc52(value: &Secret) -> std::io::Result<()> {
    use crossterm::clipboard::CopyToClipboard;
    crossterm::execute!(
        std::io::stdout(),
        CopyToClipboard::to_clipboard_from(value.expose())
    )
}
