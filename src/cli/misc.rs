//! `vault generate`, `vault man`: no vault involved.

use std::path::Path;

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

/// `vault man`: the page vault(1) on stdout; with `dir`, it and a page for every command
/// (vault-show(1), vault-recipients-add(1), …), as the first page's list names them.
pub fn man(dir: Option<&Path>) -> Result<()> {
    let Some(dir) = dir else {
        let mut page = Vec::new();
        clap_mangen::Man::new(Cli::command())
            .render(&mut page)
            .map_err(|e| Error::io("cannot render the man page", e))?;
        return output::stdout(&page);
    };
    let cannot = |e| {
        Error::io(
            format!("cannot write the man pages to {}", dir.display()),
            e,
        )
    };
    std::fs::create_dir_all(dir).map_err(cannot)?;
    clap_mangen::generate_to(Cli::command(), dir).map_err(cannot)?;
    let pages = std::fs::read_dir(dir)
        .map_err(cannot)?
        .filter_map(std::result::Result::ok)
        .filter(|f| f.file_name().to_string_lossy().starts_with("vault"))
        .count();
    output::say(&format!("wrote {pages} pages to {}", dir.display()));
    Ok(())
}
