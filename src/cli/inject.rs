//! `vault inject`: a template with `{{ vault://NAME/FIELD }}` references, filled in for a job's
//! configuration file.

use std::path::Path;

use super::export::deliver;
use super::{Context, Prompting};
use vault::error::{Error, Result};
use vault::secret::SecretBuf;
use vault::template::{self, TemplateError};

pub fn run(ctx: &Context, input: &Path, to_file: Option<&Path>) -> Result<()> {
    // Read before the vault is opened: a template that cannot be read costs no passphrase.
    let template = read_template(input)?;
    let identity = ctx.identity(Prompting::OnlyInteractive)?;
    let store = ctx.store()?;
    let doc = store.load(&identity)?;
    drop(identity);
    let out = template::render(&template, &doc, vault::otp::now()).map_err(|err| match err {
        TemplateError::NoEntry(name) => {
            Error::no_entry(&name, store.path(), doc.entries.keys().map(String::as_str))
        }
        TemplateError::NoField { entry, field } => Error::NoField { entry, field },
        TemplateError::Otp { entry, reason } => {
            Error::other(format!("entry '{entry}' has an unusable totp: {reason}"))
        }
        TemplateError::Malformed { line, reason } => Error::with_hint(
            format!("{} line {line}: {reason}", shown(input)),
            "a reference is {{ vault://NAME/FIELD }}; the field is the part after the last /",
        ),
    })?;
    drop(doc);
    deliver(&out, to_file)
}

/// The template, in memory that is wiped afterwards (it may hold secrets of its own).
fn read_template(input: &Path) -> Result<SecretBuf> {
    let mut buf = SecretBuf::with_capacity(64 * 1024);
    let copied = if input.as_os_str() == "-" {
        std::io::copy(&mut std::io::stdin().lock(), &mut buf)
    } else {
        std::fs::File::open(input).and_then(|mut file| std::io::copy(&mut file, &mut buf))
    };
    copied.map_err(|e| Error::io(format!("cannot read {}", shown(input)), e))?;
    Ok(buf)
}

fn shown(input: &Path) -> String {
    if input.as_os_str() == "-" {
        "the template on standard input".into()
    } else {
        format!("template {}", input.display())
    }
}
