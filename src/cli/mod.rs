//! The command line: parse, resolve paths, run one command, map its error to an exit code.

mod agent;
mod args;
mod audit;
mod complete;
mod copy;
mod entries;
mod exec;
mod export;
mod git;
mod import;
mod inject;
mod keys;
mod misc;
mod output;
mod prompt;
mod recipients;
mod redacted;
mod trust;

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Parser;

pub use args::Cli;
use args::Command;

use vault::error::{Error, Result};
use vault::identity::{self, Identity};
use vault::os;
use vault::store::Store;

pub fn run(args: impl IntoIterator<Item = OsString>) -> ExitCode {
    complete::answer_if_asked();
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(err) => {
            err.print().ok();
            return ExitCode::from(u8::try_from(err.exit_code()).unwrap_or(2));
        }
    };
    os::harden_process();
    vault::crypto::set_plugin_prompts(std::sync::Arc::new(prompt::PluginTerminal));
    if let Some(Command::ClipboardHelper { seconds }) = cli.command {
        return vault::clipboard::serve(std::time::Duration::from_secs(seconds));
    }
    match dispatch(cli) {
        Ok(()) => ExitCode::SUCCESS,
        // `vault list | head -1`: the reader has what it wanted.
        Err(err) if err.is_broken_pipe() => ExitCode::SUCCESS,
        Err(Error::Reported(code)) => ExitCode::from(code),
        Err(err) => {
            output::report(&err);
            ExitCode::from(err.exit_code())
        }
    }
}

fn dispatch(cli: Cli) -> Result<()> {
    let ctx = Context {
        vault: cli.vault.filter(|p| !p.as_os_str().is_empty()),
        identity: cli.identity.filter(|p| !p.as_os_str().is_empty()),
        passphrase_file: cli.passphrase_file,
    };
    let Some(command) = cli.command else {
        let paths = crate::tui::Paths {
            vault: ctx.vault_path()?,
            identity: ctx.identity_path()?,
            agent: ctx.agent_socket(),
        };
        let passphrase = ctx
            .passphrase_file()
            .map(prompt::read_passphrase_file)
            .transpose()?;
        vault::crypto::set_plugin_prompts(std::sync::Arc::new(prompt::PluginNoPrompts));
        return crate::tui::run(&paths, cli.lock_after, passphrase);
    };
    run_command(&ctx, command)
}

fn run_command(ctx: &Context, command: Command) -> Result<()> {
    match command {
        Command::Init { no_passphrase } => keys::init(ctx, no_passphrase),
        Command::Trust(action) => trust::run(ctx, action),
        Command::Keygen {
            output,
            keyring,
            trust,
        } => {
            let to = match (output, keyring) {
                (Some(file), _) => file,
                (None, Some(name)) if !name.is_empty() => {
                    PathBuf::from(format!("{}{name}", vault::credential_store::PREFIX))
                }
                (None, _) => return Err(Error::Usage("--keyring needs a name".into())),
            };
            keys::keygen(&to, &trust)
        }
        Command::Recipients(action) => recipients::run(ctx, action),
        Command::Agent(action) => agent::run(ctx, action),
        Command::List { pattern, json } => entries::list(ctx, pattern.as_deref(), json),
        Command::Find { text, json } => entries::find(ctx, &text, json),
        Command::Show { name, reveal } => entries::show(ctx, &name, reveal),
        Command::History { name, reveal } => entries::history(ctx, &name, reveal),
        Command::Add {
            name,
            fields,
            generate,
            totp,
        } => entries::add(ctx, name, &fields, generate, totp),
        Command::Edit(args) => entries::edit(ctx, &args),
        Command::Rm { name, yes } => entries::remove(ctx, &name, yes),
        Command::Export {
            all: true,
            format,
            output,
            ..
        } => export::all(ctx, format, output.as_deref()),
        Command::Export {
            name,
            field,
            format,
            no_newline,
            history,
            output,
            ..
        } => export::run(
            ctx,
            name.as_deref().unwrap_or_default(),
            field.as_deref(),
            format.unwrap_or(args::ExportFormat::Raw),
            (no_newline, history),
            output.as_deref(),
        ),
        Command::Import(request) => import::run(ctx, &request),
        Command::Exec {
            names,
            env,
            redact,
            command,
        } => exec::run(ctx, &names, &env, &command, redact),
        Command::Inject { input, output } => inject::run(ctx, &input, output.as_deref()),
        Command::Copy {
            name,
            field,
            clear_after,
            osc52,
        } => copy::run(ctx, &name, field.as_deref(), clear_after, osc52),
        Command::ClipboardHelper { .. } => Ok(()),
        Command::Audit(args) => audit::run(ctx, &args),
        Command::Generate {
            length,
            words,
            no_symbols,
        } => misc::generate(length, words, no_symbols),
        Command::Check { fix } => recipients::check(ctx, fix),
        Command::Git(action) => git::run(ctx, action),
        Command::Sync => git::sync(ctx),
        Command::Conflicts => git::conflicts(ctx),
        Command::Resolve { name, theirs, .. } => git::resolve(ctx, &name, theirs),
        Command::Merge { other } => git::merge_copy(ctx, &other),
        Command::Completions { shell } => complete::script(shell),
        Command::Man { dir } => misc::man(dir.as_deref()),
    }
}

/// When a command may ask for a passphrase on the terminal.
#[derive(Clone, Copy)]
pub enum Prompting {
    /// A person may be there: stdin or stderr is a terminal.
    IfTerminal,
    /// Only when stdin and stderr both are: a job's read must fail at once, never wait.
    OnlyInteractive,
    /// Never: the passphrase is not worth asking for (a `(you)` mark in a listing).
    Never,
}

/// The global options, resolved.
pub struct Context {
    vault: Option<PathBuf>,
    identity: Option<PathBuf>,
    passphrase_file: Option<PathBuf>,
}

impl Context {
    pub fn vault_path(&self) -> Result<PathBuf> {
        self.vault
            .clone()
            .or_else(os::default_vault_path)
            .ok_or_else(|| {
                Error::Usage("no vault path: give --vault PATH or set VAULT_FILE".into())
            })
    }

    pub fn identity_path(&self) -> Result<PathBuf> {
        self.identity
            .clone()
            .or_else(os::default_identity_path)
            .ok_or_else(|| {
                Error::Usage("no identity path: give --identity PATH or set VAULT_IDENTITY".into())
            })
    }

    pub fn passphrase_file(&self) -> Option<&Path> {
        self.passphrase_file.as_deref()
    }

    pub fn store(&self) -> Result<Store> {
        self.vault_path().map(Store::new)
    }

    /// The identity to decrypt with: the agent's when no identity file was named (or the one
    /// named does not exist) and an agent answers; otherwise the identity file, unlocked. With
    /// it comes whom the user trusts as the writer of a vault.
    pub fn identity(&self, prompting: Prompting) -> Result<Identity> {
        if let Some(socket) = self.agent_socket() {
            match vault::agent::find_held_identity(&socket) {
                Ok(Some(identity)) => return identity.with_local_trust(),
                // Only the agent could have served: say why it was not used.
                Err(refused) if !identity::exists(&self.identity_path()?) => return Err(refused),
                // No agent, or a refused one with an identity file to fall back on.
                Ok(None) | Err(_) => {}
            }
        }
        self.identity_file(prompting)?.with_local_trust()
    }

    /// The agent socket worth trying: none when an identity file was named and exists.
    pub fn agent_socket(&self) -> Option<PathBuf> {
        let named = self.identity.as_deref().is_some_and(|p| {
            vault::credential_store::name_of(p).is_some()
                || identity::systemd_credential_name(p).is_some()
                || p.exists()
        });
        if named {
            None
        } else {
            vault::agent::socket_path()
        }
    }

    /// The identity file, never the agent: what `agent start` unlocks.
    pub fn identity_file(&self, prompting: Prompting) -> Result<Identity> {
        let path = self.identity_path()?;
        let mut ask = prompt::passphrase_source(self.passphrase_file(), prompting);
        identity::load(&path, &mut ask)
    }
}
