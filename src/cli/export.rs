//! `vault export`: the read a scheduled job makes. No lock, no write, no prompt unless a person
//! is at a terminal.

use std::io::Write;
use std::path::Path;

use super::args::ExportFormat;
use super::entries::no_entry;
use super::{Context, Prompting, output};
use crate::atomic::{self, Mode};
use crate::document::Entry;
use crate::error::{Error, Result};
use crate::otp;
use crate::secret::SecretBuf;
use zeroize::Zeroizing;

pub fn run(
    ctx: &Context,
    name: &str,
    field: Option<&str>,
    format: ExportFormat,
    no_newline: bool,
    to_file: Option<&Path>,
) -> Result<()> {
    if format == ExportFormat::Json && field.is_some() {
        return Err(Error::Usage(
            "--field does not apply to --format json, which prints the whole entry".into(),
        ));
    }
    let identity = ctx.identity(Prompting::OnlyInteractive)?;
    let store = ctx.store()?;
    let entry = store
        .load_entry(&identity, name)?
        .ok_or_else(|| no_entry(name, store.path()))?;
    let mut out = SecretBuf::with_capacity(4096);
    render(&mut out, name, &entry, field, format)
        .map_err(|e| Error::io("cannot format the entry", e))??;
    let mut bytes = out.into_inner();
    if no_newline && bytes.last() == Some(&b'\n') {
        bytes.pop();
    }
    match to_file {
        Some(path) => atomic::write(path, &bytes, Mode::Private)
            .map_err(|e| Error::io(format!("cannot write {}", path.display()), e)),
        None => output::stdout(&bytes),
    }
}

fn render(
    out: &mut SecretBuf,
    name: &str,
    entry: &Entry,
    field: Option<&str>,
    format: ExportFormat,
) -> std::io::Result<Result<()>> {
    match format {
        ExportFormat::Raw => {
            let field = field.unwrap_or("password");
            let value = match value(name, entry, field) {
                Ok(value) => value,
                Err(err) => return Ok(Err(err)),
            };
            out.write_all(value.as_bytes())?;
            out.write_all(b"\n")?;
        }
        ExportFormat::Json => {
            crate::text::write_json(&mut *out, entry)?;
            out.write_all(b"\n")?;
        }
        ExportFormat::Env => {
            let fields = match field {
                Some(field) => match value(name, entry, field) {
                    Ok(value) => vec![(field.to_owned(), value)],
                    Err(err) => return Ok(Err(err)),
                },
                None => match job_fields(name, entry) {
                    Ok(fields) => fields,
                    Err(err) => return Ok(Err(err)),
                },
            };
            let prefix = env_name(name);
            for (key, value) in &fields {
                write!(out, "{prefix}_{}=", env_name(key))?;
                write_shell_quoted(out, value)?;
                out.write_all(b"\n")?;
            }
        }
    }
    Ok(Ok(()))
}

/// One value a job can ask of an entry: a stored field, or `otp`, the entry's TOTP code now.
pub fn value(name: &str, entry: &Entry, field: &str) -> Result<Zeroizing<String>> {
    if field == OTP && !entry.totp.is_empty() {
        return otp_code(name, entry);
    }
    entry
        .field(field)
        .map(|value| Zeroizing::new(value.to_owned()))
        .ok_or_else(|| Error::NoField {
            entry: name.to_owned(),
            field: field.to_owned(),
        })
}

/// Everything a job gets of an entry when it names no field: the stored fields and, when the
/// entry has a TOTP key, the current code as `otp` (the key itself stays in the vault).
pub fn job_fields(name: &str, entry: &Entry) -> Result<Vec<(String, Zeroizing<String>)>> {
    let mut fields: Vec<(String, Zeroizing<String>)> = entry
        .all_fields()
        .into_iter()
        .map(|(key, value)| (key.to_owned(), Zeroizing::new(value.to_owned())))
        .collect();
    if !entry.totp.is_empty() {
        fields.push((OTP.to_owned(), otp_code(name, entry)?));
    }
    Ok(fields)
}

/// The field name that asks for the current TOTP code.
pub const OTP: &str = "otp";

fn otp_code(name: &str, entry: &Entry) -> Result<Zeroizing<String>> {
    otp::current(entry.totp.expose())
        .map(|code| code.digits)
        .map_err(|reason| Error::other(format!("entry '{name}' has an unusable totp: {reason}")))
}

/// `bank/checking` -> `BANK_CHECKING`: upper case, every other character `_`, never a leading digit.
pub fn env_name(name: &str) -> String {
    let mut env: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_uppercase()
            } else {
                '_'
            }
        })
        .collect();
    if env.starts_with(|c: char| c.is_ascii_digit()) {
        env.insert(0, '_');
    }
    env
}

/// POSIX single quotes: everything literal, a `'` written as `'\''`.
fn write_shell_quoted(out: &mut SecretBuf, value: &str) -> std::io::Result<()> {
    out.write_all(b"'")?;
    for (i, part) in value.split('\'').enumerate() {
        if i > 0 {
            out.write_all(b"'\\''")?;
        }
        out.write_all(part.as_bytes())?;
    }
    out.write_all(b"'")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn env_names() {
        assert_eq!(env_name("bank/checking"), "BANK_CHECKING");
        assert_eq!(env_name("my-db.prod"), "MY_DB_PROD");
        assert_eq!(env_name("1password"), "_1PASSWORD");
        assert_eq!(env_name("café"), "CAF_");
    }

    #[test]
    fn shell_quoting_survives_quotes() {
        let mut out = SecretBuf::with_capacity(16);
        write_shell_quoted(&mut out, "it's $HOME `x`").unwrap();
        assert_eq!(&out[..], b"'it'\\''s $HOME `x`'");
    }
}
