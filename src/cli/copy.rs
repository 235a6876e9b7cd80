//! `vault copy`: one field to the clipboard, cleared after a delay.

use std::io::IsTerminal;
use std::time::Duration;

use super::{Context, Prompting};
use vault::clipboard;
use vault::error::{Error, Result};

pub fn run(
    ctx: &Context,
    name: &str,
    field: Option<&str>,
    clear_after: u64,
    osc52: bool,
) -> Result<()> {
    let identity = ctx.identity(Prompting::IfTerminal)?;
    let store = ctx.store()?;
    let entry = store.entry(&identity, name)?;
    let field = field.unwrap_or("password");
    let value = super::export::value(name, &entry, field)?;
    match clipboard::copy(&value, Duration::from_secs(clear_after)) {
        Ok(()) if clear_after == 0 => {
            eprintln!(
                "vault: copied the {field} of '{name}'; it stays until something else is copied"
            );
        }
        Ok(()) => eprintln!(
            "vault: copied the {field} of '{name}'; cleared in {clear_after} s if still on the clipboard"
        ),
        Err(_) if osc52 && std::io::stdout().is_terminal() => {
            clipboard::send_osc52(&value)
                .map_err(|e| Error::io("cannot write to the terminal", e))?;
            eprintln!(
                "vault: no clipboard here: sent the {field} of '{name}' through the terminal (OSC 52); the terminal may keep it, and it is not cleared"
            );
        }
        Err(err) => return Err(err),
    }
    Ok(())
}
