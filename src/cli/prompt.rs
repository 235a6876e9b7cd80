//! Reading secrets from a person or a pipe: never from argv or the environment.

use std::io::{BufRead, IsTerminal, Write};
use std::path::Path;

use super::Prompting;
use vault::crypto::PluginPrompts;
use vault::error::{Error, Result};
use vault::identity;
use vault::otp;
use vault::secret::{self, LineError, MAX_LINE_BYTES, Secret};
use vault::text;

/// Passphrase tries on a terminal before giving up.
const PROMPT_TRIES: u32 = 3;

pub fn may_prompt(prompting: Prompting) -> bool {
    let stdin = std::io::stdin().is_terminal();
    let stderr = std::io::stderr().is_terminal();
    match prompting {
        Prompting::IfTerminal => stdin || stderr,
        Prompting::OnlyInteractive => stdin && stderr,
        Prompting::Never => false,
    }
}

/// Where an identity's passphrase comes from: `--passphrase-file` (one try), else the terminal
/// (three tries), else nowhere.
pub fn passphrase_source(
    file: Option<&Path>,
    prompting: Prompting,
) -> impl FnMut(&Path, u32) -> Result<Option<Secret>> + use<'_> {
    let interactive = file.is_none() && may_prompt(prompting);
    move |path, attempt| {
        if let Some(file) = file {
            return if attempt == 0 {
                read_passphrase_file(file).map(Some)
            } else {
                Ok(None)
            };
        }
        if !interactive || attempt >= PROMPT_TRIES {
            return Ok(None);
        }
        if attempt > 0 {
            eprintln!("vault: wrong passphrase, try again");
        }
        // No controlling terminal after all (ENXIO): say so as "cannot ask", not as a failure.
        Ok(ask_hidden(&format!("passphrase for {}: ", path.display())))
    }
}

/// The first line of a passphrase file, which must be private or a pipe.
pub fn read_passphrase_file(path: &Path) -> Result<Secret> {
    // Checked on the open file: nothing can be swapped in between.
    let file = identity::open_private(path, "passphrase file")?;
    let passphrase = first_line(std::io::BufReader::new(file), "passphrase file")?;
    if passphrase.is_empty() {
        return Err(Error::other(format!(
            "passphrase file {} is empty",
            path.display()
        )));
    }
    Ok(passphrase)
}

/// A new passphrase for an identity: from `--passphrase-file`, or asked twice.
pub fn new_passphrase(file: Option<&Path>) -> Result<Secret> {
    if let Some(file) = file {
        return read_passphrase_file(file);
    }
    if !may_prompt(Prompting::IfTerminal) {
        return Err(Error::with_hint(
            "the new identity needs a passphrase and none can be asked here",
            "run it from a terminal, give --passphrase-file FILE, or use --no-passphrase",
        ));
    }
    // An empty line is asked again, not a failed init (ask_twice does the same for a typo).
    for attempt in 1..=PROMPT_TRIES {
        let passphrase = ask_twice("passphrase for the new identity")?;
        if !passphrase.is_empty() {
            return Ok(passphrase);
        }
        if attempt < PROMPT_TRIES {
            eprintln!("vault: the passphrase is empty; type one, or use --no-passphrase");
        }
    }
    Err(Error::with_hint(
        "the passphrase is empty",
        "use --no-passphrase for a key without one",
    ))
}

/// A new secret: asked twice on a terminal, else the next line of stdin.
fn new_secret(what: &str) -> Result<Secret> {
    if std::io::stdin().is_terminal() {
        ask_twice(what)
    } else {
        first_line(std::io::stdin().lock(), "standard input")
    }
}

/// A new password: asked twice on a terminal, else the first line of stdin.
pub fn new_password() -> Result<Secret> {
    let password = new_secret("password")?;
    if password.is_empty() {
        return Err(Error::with_hint(
            "the password is empty",
            "type one, or use --generate",
        ));
    }
    Ok(password)
}

/// The value of an entry's own field `key`, read as a password is: asked twice on a terminal,
/// else the next line of stdin.
pub fn new_field_value(key: &str) -> Result<Secret> {
    let value = new_secret(&format!("value of {}", text::one_line(key)))?;
    if value.is_empty() {
        return Err(Error::other(format!(
            "the value of the field '{key}' is empty; nothing was changed"
        )));
    }
    Ok(value)
}

/// A TOTP key: asked once on a terminal (it is pasted, not typed, and checked here), else the
/// next line of stdin.
pub fn new_totp() -> Result<Secret> {
    let totp = if std::io::stdin().is_terminal() {
        ask_hidden("TOTP secret or otpauth:// URI: ")
            .ok_or_else(|| Error::other("cannot ask for the TOTP key: no terminal"))?
    } else {
        first_line(std::io::stdin().lock(), "standard input")?
    };
    otp::validate(totp.expose())
        .map_err(|reason| Error::Usage(format!("not a usable TOTP key: {reason}")))?;
    Ok(totp)
}

/// Asks a yes/no question on the terminal; anything but y or yes is no.
pub fn confirm(question: &str) -> Result<bool> {
    eprint!("{question} [y/N] ");
    let mut answer = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut answer)
        .map_err(|e| Error::io("cannot read the answer", e))?;
    Ok(matches!(answer.trim().to_lowercase().as_str(), "y" | "yes"))
}

fn ask_hidden(prompt: &str) -> Option<Secret> {
    rpassword::prompt_password(prompt).ok().map(Secret::new)
}

/// Asks for a new secret and its repetition; a repetition that differs is asked again, up to
/// the usual tries.
fn ask_twice(what: &str) -> Result<Secret> {
    let cannot = || Error::other(format!("cannot ask for the {what}: no terminal"));
    for attempt in 1..=PROMPT_TRIES {
        let first = ask_hidden(&format!("{what}: ")).ok_or_else(cannot)?;
        let second = ask_hidden(&format!("{what} again: ")).ok_or_else(cannot)?;
        if first == second {
            return Ok(first);
        }
        if attempt < PROMPT_TRIES {
            eprintln!("vault: the two differ; type it again");
        }
    }
    Err(Error::other(format!(
        "the {what} and its repetition differ; nothing was changed"
    )))
}

/// Plugins' requests (a PIN, a touch, a yes or no) answered on the terminal, when stdin and
/// stderr both are one; otherwise refused, so a job's plugin fails at once instead of waiting.
pub struct PluginTerminal;

impl PluginPrompts for PluginTerminal {
    fn show(&self, message: &str) {
        // Written, not `eprintln!`: a detached agent's stderr is a pipe nobody reads any more,
        // and a failed write must not end it.
        writeln!(std::io::stderr(), "vault: {}", text::one_line(message)).ok();
    }

    fn confirm(&self, message: &str, yes: &str, no: Option<&str>) -> Option<bool> {
        if !may_prompt(Prompting::OnlyInteractive) {
            return None;
        }
        let no = no.unwrap_or("no");
        write!(
            std::io::stderr(),
            "vault: {} [y = {}, n = {}] ",
            text::one_line(message),
            text::one_line(yes),
            text::one_line(no)
        )
        .ok()?;
        let mut answer = String::new();
        std::io::stdin().lock().read_line(&mut answer).ok()?;
        Some(matches!(answer.trim().to_lowercase().as_str(), "y" | "yes"))
    }

    fn ask(&self, description: &str, secret: bool) -> Option<Secret> {
        if !may_prompt(Prompting::OnlyInteractive) {
            return None;
        }
        let prompt = format!("{}: ", text::one_line(description));
        if secret {
            return ask_hidden(&prompt);
        }
        write!(std::io::stderr(), "{prompt}").ok()?;
        first_line(std::io::stdin().lock(), "standard input").ok()
    }

    fn why_not(&self) -> &'static str {
        "it needs a person and there is no terminal: run vault from one, or start vault agent \
         from one first"
    }
}

/// Plugins' requests while the terminal interface owns the screen: refused, with the way out.
pub struct PluginNoPrompts;

impl PluginPrompts for PluginNoPrompts {
    fn show(&self, _: &str) {}

    fn confirm(&self, _: &str, _: &str, _: Option<&str>) -> Option<bool> {
        None
    }

    fn ask(&self, _: &str, _: bool) -> Option<Secret> {
        None
    }

    fn why_not(&self) -> &'static str {
        "no prompts possible in the interface: start vault agent from a terminal first"
    }
}

/// The first line of `reader`, as `secret::read_line` reads it, with errors naming `source`.
fn first_line(reader: impl BufRead, source: &str) -> Result<Secret> {
    secret::read_line(reader).map_err(|err| match err {
        LineError::Io(e) => Error::io(format!("cannot read {source}"), e),
        LineError::TooLong => Error::other(format!(
            "the secret on {source} is longer than {MAX_LINE_BYTES} bytes"
        )),
        LineError::NotUtf8 => Error::other(format!("the secret on {source} is not valid UTF-8")),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_line_strips_the_line_ending_only() {
        assert_eq!(
            first_line(&b"pw\nsecond\n"[..], "t").unwrap().expose(),
            "pw"
        );
        assert_eq!(first_line(&b" pw \r\n"[..], "t").unwrap().expose(), " pw ");
        assert_eq!(
            first_line(&b"no newline"[..], "t").unwrap().expose(),
            "no newline"
        );
        assert_eq!(first_line(&b""[..], "t").unwrap().expose(), "");
        assert!(first_line(&b"\xff\xfe\n"[..], "t").is_err());
        let long = vec![b'a'; MAX_LINE_BYTES + 10];
        assert!(first_line(&long[..], "t").is_err());
    }
}
