//! Shell completion: `vault completions SHELL` prints a script that asks vault itself (with
//! `VAULT_COMPLETE` set) for candidates, so entry names complete too. A name is read only when
//! no person is needed: from an agent, or an identity file without a passphrase, never a
//! plugin's key (it may wait for a touch), and never for longer than a moment.

use std::ffi::{OsStr, OsString};
use std::path::PathBuf;
use std::sync::mpsc;
use std::time::Duration;

use clap::CommandFactory;
use clap_complete::CompletionCandidate;
use clap_complete::env::{Bash, Elvish, EnvCompleter, Fish, Powershell, Zsh};

use super::args::{Cli, CompletionShell};
use super::{Context, Prompting};
use vault::error::{Error, Result};

/// The variable that makes a run of vault answer its completion script.
const VAR: &str = "VAULT_COMPLETE";

/// How long a completion may take to read names before it offers none: a shell waits on it.
const PATIENCE: Duration = Duration::from_secs(2);

/// Answers the shell and exits, when the completion script is what started vault.
pub fn answer_if_asked() {
    clap_complete::CompleteEnv::with_factory(Cli::command)
        .var(VAR)
        .complete();
}

/// `vault completions SHELL`: the script to source.
pub fn script(shell: CompletionShell) -> Result<()> {
    let completer: &dyn EnvCompleter = match shell {
        CompletionShell::Bash => &Bash,
        CompletionShell::Zsh => &Zsh,
        CompletionShell::Fish => &Fish,
        CompletionShell::Elvish => &Elvish,
        CompletionShell::PowerShell => &Powershell,
    };
    // The script calls this very binary, wherever it is installed, not whatever `vault` PATH
    // finds first.
    let program = std::env::current_exe()
        .ok()
        .and_then(|path| path.to_str().map(str::to_owned))
        .unwrap_or_else(|| "vault".to_owned());
    let mut script = Vec::new();
    completer
        .write_registration(VAR, "vault", "vault", &program, &mut script)
        .map_err(|e| Error::io("cannot write the completion script", e))?;
    super::output::stdout(&script)
}

/// The entry names that start with what is typed so far; none when reading them would need a
/// person or takes too long.
pub fn entry_names(typed: &OsStr) -> Vec<CompletionCandidate> {
    let Some(typed) = typed.to_str() else {
        return Vec::new();
    };
    let ctx = context_from_words(std::env::args_os());
    if !readable_without_a_person(&ctx) {
        return Vec::new();
    }
    let (send, receive) = mpsc::channel();
    std::thread::spawn(move || {
        let names = ctx.identity(Prompting::Never).and_then(|identity| {
            let doc = ctx.store()?.load(&identity)?;
            Ok(doc.entries.into_keys().collect::<Vec<_>>())
        });
        send.send(names).ok();
    });
    // The shell waits on this process: past the moment, it gets nothing and vault exits, the
    // read abandoned with it.
    let Ok(Ok(names)) = receive.recv_timeout(PATIENCE) else {
        return Vec::new();
    };
    names
        .into_iter()
        .filter(|name| name.starts_with(typed) && !name.chars().any(vault::text::disguises))
        .map(CompletionCandidate::new)
        .collect()
}

/// `--vault` and `--identity` as typed on the line being completed (the script passes its
/// words after `--`), else the environment and defaults as for any command.
fn context_from_words(args: impl IntoIterator<Item = OsString>) -> Context {
    let words: Vec<OsString> = args
        .into_iter()
        .skip_while(|word| word != "--")
        .skip(1)
        .collect();
    let option = |name: &str| -> Option<PathBuf> {
        let with_equals = format!("--{name}=");
        let mut found = None;
        for (i, word) in words.iter().enumerate() {
            let Some(word) = word.to_str() else { continue };
            if word == format!("--{name}") {
                found = words.get(i + 1).map(PathBuf::from);
            } else if let Some(value) = word.strip_prefix(&with_equals) {
                found = Some(PathBuf::from(value));
            }
        }
        found
    };
    let from_env = |var: &str| std::env::var_os(var).map(PathBuf::from);
    Context {
        vault: option("vault")
            .or_else(|| from_env("VAULT_FILE"))
            .filter(|p| !p.as_os_str().is_empty()),
        identity: option("identity")
            .or_else(|| from_env("VAULT_IDENTITY"))
            .filter(|p| !p.as_os_str().is_empty()),
        passphrase_file: None,
    }
}

/// Whether names can be read without anyone typing or touching anything: an agent (which
/// answers or not, at once), or an identity file that is neither encrypted nor a plugin's.
fn readable_without_a_person(ctx: &Context) -> bool {
    if ctx.agent_socket().is_some() {
        return true;
    }
    let Ok(path) = ctx.identity_path() else {
        return false;
    };
    if vault::credential_store::name_of(&path).is_some() {
        // The Secret Service may put up an unlock dialog; Windows' store never asks.
        return cfg!(windows);
    }
    if vault::identity::systemd_credential_name(&path).is_some() {
        return true;
    }
    // An encrypted identity fails at once without a prompt; a plugin's might wait for a touch.
    std::fs::read(&path).is_ok_and(|data| {
        !String::from_utf8_lossy(&data)
            .lines()
            .any(|line| vault::crypto::is_plugin_identity(line.trim()))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_on_the_completed_line_choose_the_vault_and_identity() {
        let words = [
            "vault",
            "--",
            "vault",
            "--vault",
            "/v.age",
            "--identity=/k",
            "show",
            "ba",
        ];
        let ctx = context_from_words(words.iter().map(OsString::from));
        assert_eq!(ctx.vault.as_deref(), Some(std::path::Path::new("/v.age")));
        assert_eq!(ctx.identity.as_deref(), Some(std::path::Path::new("/k")));
    }
}
