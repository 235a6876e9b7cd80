//! `vault exec --redact`: the command runs as a child whose stdout and stderr come back through
//! vault with its secrets replaced, for logs of jobs. The price: vault stays alive for the run,
//! and the secrets with it, in its memory.

use std::io;
use std::process::{Child, Command, Stdio};
use std::thread;

use vault::error::{Error, Result};
use vault::redact::{self, Redactor};
use vault::secret::Secret;

/// Runs `command`, redacting `secrets` from what it prints; ends as it ended (its exit code, or
/// 128 + the signal that killed it).
pub fn run(command: &mut Command, secrets: &[Secret]) -> Result<()> {
    command.stdout(Stdio::piped()).stderr(Stdio::piped());
    // Caught before the child exists, so none is lost between its start and the forwarding.
    #[cfg(unix)]
    let signals = forward::catch()?;
    let mut child = vault::os::spawn_with_user_limits(command).map_err(|e| {
        let program = command.get_program().to_string_lossy().into_owned();
        Error::other(format!(
            "cannot run {program}: {}",
            vault::error::describe_io(&e)
        ))
    })?;
    #[cfg(unix)]
    let forwarding = forward::start(signals, &child);
    let pumps = [
        pump(&mut child, secrets, Stream::Out),
        pump(&mut child, secrets, Stream::Err),
    ];
    let status = child.wait();
    #[cfg(unix)]
    forwarding.close();
    for pump in pumps.into_iter().flatten() {
        // A reader that went away (`| head`) is the reader's business, as in any pipeline.
        pump.join().ok();
    }
    let status = status.map_err(|e| Error::io("cannot wait for the command", e))?;
    let code = status.code().or_else(|| killed_by(status)).unwrap_or(1);
    match u8::try_from(code) {
        Ok(0) => Ok(()),
        Ok(code) => Err(Error::Reported(code)),
        // Windows' 32-bit exit codes, passed on whole.
        Err(_) => std::process::exit(code),
    }
}

#[derive(Clone, Copy)]
enum Stream {
    Out,
    Err,
}

fn pump(
    child: &mut Child,
    secrets: &[Secret],
    stream: Stream,
) -> Option<thread::JoinHandle<io::Result<()>>> {
    let mut redactor = Redactor::new(secrets.iter().map(Secret::expose));
    Some(match stream {
        Stream::Out => {
            let from = child.stdout.take()?;
            thread::spawn(move || redact::pump(from, &mut io::stdout(), &mut redactor))
        }
        Stream::Err => {
            let from = child.stderr.take()?;
            thread::spawn(move || redact::pump(from, &mut io::stderr(), &mut redactor))
        }
    })
}

#[cfg(unix)]
fn killed_by(status: std::process::ExitStatus) -> Option<i32> {
    use std::os::unix::process::ExitStatusExt;
    status.signal().map(|signal| 128 + signal)
}

#[cfg(not(unix))]
fn killed_by(_status: std::process::ExitStatus) -> Option<i32> {
    None
}

#[cfg(unix)]
mod forward {
    use std::process::Child;
    use std::thread;

    use rustix::process::{Pid, Signal, kill_process};
    use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
    use signal_hook::iterator::SignalsInfo;
    use signal_hook::iterator::exfiltrator::WithRawSiginfo;

    use vault::error::{Error, Result};

    pub struct Forwarding(signal_hook::iterator::Handle);

    impl Forwarding {
        pub fn close(self) {
            self.0.close();
        }
    }

    pub fn catch() -> Result<SignalsInfo<WithRawSiginfo>> {
        SignalsInfo::<WithRawSiginfo>::new([SIGINT, SIGTERM, SIGHUP])
            .map_err(|e| Error::io("cannot catch signals", e))
    }

    /// Passes on the signals another process sends vault. Those the terminal sends (Ctrl-C, a
    /// hang-up) reach the child already, as it shares vault's process group: sending them
    /// again would make a program that counts its interrupts quit harder than asked.
    pub fn start(mut signals: SignalsInfo<WithRawSiginfo>, child: &Child) -> Forwarding {
        let handle = signals.handle();
        let pid = Pid::from_child(child);
        thread::spawn(move || {
            for info in signals.forever() {
                if !sent_by_a_process(info.si_code) {
                    continue;
                }
                let signal = match info.si_signo {
                    SIGINT => Signal::INT,
                    SIGTERM => Signal::TERM,
                    _ => Signal::HUP,
                };
                // The child may have ended meanwhile: nothing left to tell.
                kill_process(pid, signal).ok();
            }
        });
        Forwarding(handle)
    }

    /// Linux marks a signal from `kill` and its kin with a code of 0 or below (`SI_USER`,
    /// `SI_QUEUE`, `SI_TKILL`), and the terminal's with `SI_KERNEL`. Elsewhere every signal is
    /// passed on.
    fn sent_by_a_process(code: i32) -> bool {
        !cfg!(any(target_os = "linux", target_os = "android")) || code <= 0
    }
}
