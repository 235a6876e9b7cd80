//! `vault agent start|stop|status`.

use super::Context;
use super::args::AgentCommand;
use vault::error::{Error, Result};

pub fn run(ctx: &Context, command: AgentCommand) -> Result<()> {
    // Managing the agent is not decrypting: a refused socket is a plain failure here (exit 1),
    // where a command that needed the agent's key says it cannot decrypt (exit 4).
    imp::run(ctx, command).map_err(|err| match err {
        Error::AgentRefused { .. } => Error::Other {
            message: err.to_string(),
            hint: err.hint(),
        },
        other => other,
    })
}

#[cfg(unix)]
mod imp {
    use std::fmt::Write as _;
    use std::io::{BufRead, BufReader, Read, Write};
    use std::path::Path;
    use std::process::{Command, Stdio};
    use std::time::{Duration, Instant};

    use super::super::args::AgentCommand;
    use super::super::{Context, Prompting, prompt};
    use vault::agent::{self, client, protocol, server};
    use vault::error::{Error, Result};
    use vault::identity;
    use vault::os;
    use vault::secret::Secret;

    /// What the detached agent prints once its socket is listening.
    const READY: &str = "ready";

    pub fn run(ctx: &Context, command: AgentCommand) -> Result<()> {
        let socket = agent::socket_path()
            .ok_or_else(|| Error::Usage("no agent socket path: set VAULT_AGENT_SOCK".into()))?;
        match command {
            AgentCommand::Start {
                foreground: false,
                idle_timeout,
                detached: false,
            } => start_in_background(ctx, &socket, idle_timeout),
            AgentCommand::Start {
                idle_timeout,
                detached,
                ..
            } => serve(ctx, &socket, idle_timeout, detached),
            AgentCommand::Stop => stop(&socket),
            AgentCommand::Status => status(&socket),
        }
    }

    /// Unlocks here, where the terminal is, then starts the serving process and waits for it
    /// to listen. The passphrase reaches it on a pipe, never in argv or the environment.
    fn start_in_background(
        ctx: &Context,
        socket: &Path,
        idle_timeout: Option<Duration>,
    ) -> Result<()> {
        // The serving process checks again when it binds; this check only spares a passphrase
        // typed for nothing, and refuses a planted socket or directory before anything starts.
        if let Some(info) = client::info(socket)? {
            return Err(server::already_running(socket, &info));
        }
        // The serving process runs from another directory: relative paths would lose their way.
        let absolute = |path: &Path| std::path::absolute(path).unwrap_or_else(|_| path.to_owned());
        let path = absolute(&ctx.identity_path()?);
        let socket = &absolute(socket);
        let mut ask = prompt::passphrase_source(ctx.passphrase_file(), Prompting::IfTerminal);
        let mut passphrase: Option<Secret> = None;
        // Fails here, with the usual messages and exit codes, before any process is started.
        identity::load(&path, &mut |file, attempt| {
            let answer = ask(file, attempt)?;
            passphrase.clone_from(&answer);
            Ok(answer)
        })?;

        let exe = std::env::current_exe()
            .map_err(|e| Error::io("cannot find the vault executable", e))?;
        let mut command = Command::new(exe);
        command
            .args(["agent", "start", "--detached"])
            .env("VAULT_IDENTITY", &path)
            .env("VAULT_AGENT_SOCK", socket)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        if let Some(idle) = idle_timeout {
            command
                .arg("--idle-timeout")
                .arg(format!("{}s", idle.as_secs()));
        }
        if passphrase.is_some() {
            command.args(["--passphrase-file", "/dev/stdin"]);
        }
        os::detach(&mut command);
        let mut child = command
            .spawn()
            .map_err(|e| Error::io("cannot start the agent", e))?;
        if let (Some(mut stdin), Some(passphrase)) = (child.stdin.take(), passphrase) {
            let mut line = zeroize::Zeroizing::new(passphrase.expose().as_bytes().to_vec());
            line.push(b'\n');
            stdin
                .write_all(&line)
                .map_err(|e| Error::io("cannot hand the passphrase to the agent", e))?;
        }
        let mut said = String::new();
        if let Some(stdout) = child.stdout.take() {
            BufReader::new(stdout).read_line(&mut said).ok();
        }
        if said.trim() == READY {
            eprintln!(
                "vault: agent started (pid {}), listening on {}",
                child.id(),
                socket.display()
            );
            return Ok(());
        }
        // It failed before listening: its own error line says why, with its exit code.
        let mut errors = String::new();
        if let Some(mut stderr) = child.stderr.take() {
            stderr.read_to_string(&mut errors).ok();
        }
        let code = child
            .wait()
            .ok()
            .and_then(|s| s.code())
            .and_then(|c| u8::try_from(c).ok())
            .filter(|&c| c != 0)
            .unwrap_or(1);
        eprint!("{errors}");
        Err(Error::Reported(code))
    }

    fn serve(
        ctx: &Context,
        socket: &Path,
        idle_timeout: Option<Duration>,
        detached: bool,
    ) -> Result<()> {
        let identity = ctx.identity_file(Prompting::IfTerminal)?;
        // Before the socket exists: a SIGTERM sent as soon as it appears (a unit stopped
        // right after it started) must still end the agent cleanly, socket removed.
        let stop = os::termination_flag();
        let listener = server::bind(socket)?;
        let log: Box<dyn Fn(&str)> = if detached {
            os::detach_self();
            println!("{READY}");
            // Nobody reads it after this: the starter has gone.
            Box::new(|_| {})
        } else {
            eprintln!(
                "vault: agent listening on {} (pid {}); SIGTERM or Ctrl-C stops it",
                socket.display(),
                std::process::id()
            );
            Box::new(|line| {
                writeln!(std::io::stderr(), "vault agent: {line}").ok();
            })
        };
        server::serve(&listener, &identity, idle_timeout, &stop, &*log)
            .map_err(|e| Error::io("the agent failed", e))
    }

    fn stop(socket: &Path) -> Result<()> {
        match client::request(socket, &protocol::Request::Stop)? {
            Some(protocol::Answer::Stopping) => {}
            _ => return Err(not_running(socket)),
        }
        // Gone for sure before this returns: the next command must not find it.
        let deadline = Instant::now() + Duration::from_secs(5);
        while matches!(client::info(socket), Ok(Some(_))) || socket.exists() {
            if Instant::now() > deadline {
                return Err(Error::other(format!(
                    "the agent at {} did not stop",
                    socket.display()
                )));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        eprintln!("vault: agent stopped");
        Ok(())
    }

    fn status(socket: &Path) -> Result<()> {
        let info = client::info(socket)?.ok_or_else(|| not_running(socket))?;
        let idle = info.idle_timeout_secs.map_or_else(
            || "never".to_owned(),
            |s| humantime::format_duration(Duration::from_secs(s)).to_string(),
        );
        let mut text = format!(
            "agent: running (pid {})\nsocket: {}\nidentity: {}\nidle timeout: {idle}\n",
            info.pid,
            socket.display(),
            info.identity
        );
        for key in &info.recipients {
            let _ = writeln!(text, "key: {key}");
        }
        super::super::output::stdout(text.as_bytes())
    }

    fn not_running(socket: &Path) -> Error {
        Error::with_hint(
            format!("no agent is running at {}", socket.display()),
            "vault agent start starts one",
        )
    }
}

#[cfg(windows)]
mod imp {
    use super::super::Context;
    use super::super::args::AgentCommand;
    use vault::error::{Error, Result};

    pub fn run(_ctx: &Context, _command: AgentCommand) -> Result<()> {
        Err(Error::with_hint(
            "vault agent is not available on Windows",
            "give jobs their own identity file with --identity",
        ))
    }
}
