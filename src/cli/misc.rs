//! `vault generate`, `vault completions`, `vault man`: no vault involved.

use clap::CommandFactory;

use super::{Cli, output};
use vault::error::{Error, Result};
use vault::generate;

pub fn generate(length: usize, words: Option<usize>, no_symbols: bool) -> Result<()> {
    let secret = match words {
        Some(count) => generate::passphrase(count)?,
        None => generate::password(length, !no_symbols)?,
    };
    let mut line = zeroize::Zeroizing::new(String::with_capacity(secret.len() + 1));
    line.push_str(secret.expose());
    line.push('\n');
    output::stdout(line.as_bytes())
}

pub fn completions(shell: clap_complete::Shell) -> Result<()> {
    // Generated into memory: clap_complete panics when it writes to a closed pipe itself.
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "vault", &mut script);
    output::stdout(&script)
}

pub fn man() -> Result<()> {
    let mut page = Vec::new();
    clap_mangen::Man::new(Cli::command())
        .render(&mut page)
        .map_err(|e| Error::io("cannot render the man page", e))?;
    output::stdout(&page)
}
