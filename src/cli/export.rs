//! `vault export`: the read a scheduled job makes. No lock, no write, no prompt unless a person
//! is at a terminal.

use std::io::Write;
use std::path::Path;

use super::args::ExportFormat;
use super::{Context, Prompting, output};
use vault::atomic::{self, Mode};
use vault::document::{Entry, FieldError, OTP};
use vault::error::{Error, Result};
use vault::otp;
use vault::secret::{Secret, SecretBuf};
use zeroize::Zeroizing;

pub fn run(
    ctx: &Context,
    name: &str,
    field: Option<&str>,
    format: ExportFormat,
    (no_newline, history): (bool, bool),
    to_file: Option<&Path>,
) -> Result<()> {
    if format == ExportFormat::Csv {
        return Err(Error::Usage(
            "--format csv is for export --all; one entry is raw, json or env".into(),
        ));
    }
    if format == ExportFormat::Json && field.is_some() {
        return Err(Error::Usage(
            "--field does not apply to --format json, which prints the whole entry".into(),
        ));
    }
    let identity = ctx.identity(Prompting::OnlyInteractive)?;
    let store = ctx.store()?;
    let mut entry = store.entry(&identity, name)?;
    // Old passwords are no job's business unless asked for.
    if !history {
        entry.history.clear();
    }
    let mut out = SecretBuf::with_capacity(4096);
    render(&mut out, name, &entry, field, format)
        .map_err(|e| Error::io("cannot format the entry", e))??;
    let mut bytes = out.into_inner();
    if no_newline && bytes.last() == Some(&b'\n') {
        bytes.pop();
    }
    deliver(&bytes, to_file)
}

/// A job's output: to stdout, or to a new private (0600) file that replaces `to_file` atomically.
/// A closed stdout is a failure here, unlike for `list`: the job asked for a secret and got
/// nothing, and must not go on as if it had.
pub fn deliver(bytes: &[u8], to_file: Option<&Path>) -> Result<()> {
    match to_file {
        Some(path) => atomic::write(path, bytes, Mode::Private)
            .map_err(|e| Error::io(format!("cannot write {}", path.display()), e)),
        None => output::stdout(bytes).map_err(|err| {
            if err.is_broken_pipe() {
                Error::with_hint(
                    "standard output is closed: nothing was delivered",
                    "check the command reading vault's output",
                )
            } else {
                err
            }
        }),
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
            out.write_all(value.expose().as_bytes())?;
            out.write_all(b"\n")?;
        }
        ExportFormat::Json => {
            vault::text::write_json(&mut *out, entry)?;
            out.write_all(b"\n")?;
        }
        // Refused in `run`, before the vault is read.
        ExportFormat::Csv => {}
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
            // Left out rather than refused: the danger is the variable being set, and a
            // warning (on stderr, so `eval "$(…)"` is not fed it) keeps a job that uses the
            // entry's other fields working after someone adds an unlucky one.
            for (key, value) in &fields {
                let Some(var) = derived_var(name, key, "export that field with --format raw")
                else {
                    continue;
                };
                write!(out, "{var}=")?;
                vault::text::write_single_quoted(out, value.expose())?;
                out.write_all(b"\n")?;
            }
        }
    }
    Ok(Ok(()))
}

/// `export --all`: every entry, as the vault's own JSON or as Bitwarden's CSV, into a new 0600
/// file written atomically, or to stdout when asked with `-o -`.
pub fn all(ctx: &Context, format: Option<ExportFormat>, to: Option<&Path>) -> Result<()> {
    let format = format.unwrap_or(ExportFormat::Json);
    if !matches!(format, ExportFormat::Json | ExportFormat::Csv) {
        return Err(Error::Usage(
            "export --all writes --format json or csv".into(),
        ));
    }
    let Some(to) = to else {
        return Err(Error::Usage(
            "export --all writes every secret in plain text: give -o FILE (or -o - for stdout)"
                .into(),
        ));
    };
    let identity = ctx.identity(Prompting::OnlyInteractive)?;
    let doc = ctx.store()?.load(&identity)?;
    let mut out = SecretBuf::with_capacity(doc.entries.len() * 512 + 4096);
    let written = match format {
        ExportFormat::Csv => write_csv(&mut out, &doc.entries),
        _ => write_all_json(&mut out, &doc.entries),
    };
    written.map_err(|e| Error::io("cannot format the entries", e))?;
    let bytes = out.into_inner();
    if to == Path::new("-") {
        return output::stdout(&bytes);
    }
    atomic::write(to, &bytes, Mode::Private)
        .map_err(|e| Error::io(format!("cannot write {}", to.display()), e))?;
    output::say(&format!(
        "wrote {} entries to {}: it holds them in plain text, remove it when done",
        doc.entries.len(),
        to.display()
    ));
    Ok(())
}

/// The document's entries as `vault import vault-json` reads them back: `{"format": 1,
/// "entries": {…}}`, without the recipients.
fn write_all_json(
    out: &mut SecretBuf,
    entries: &std::collections::BTreeMap<String, Entry>,
) -> std::io::Result<()> {
    #[derive(serde::Serialize)]
    struct AllEntries<'a> {
        format: u64,
        entries: &'a std::collections::BTreeMap<String, Entry>,
    }
    serde_json::to_writer_pretty(
        &mut *out,
        &AllEntries {
            format: vault::document::FORMAT,
            entries,
        },
    )?;
    out.write_all(b"\n")
}

/// Bitwarden's CSV columns, which Bitwarden imports as they are and `KeePassXC`'s CSV import
/// maps: the group is the folder, the entry's own fields are `name: value` lines. Written here
/// rather than by a CSV crate, whose buffers would keep copies of every value.
const CSV_HEADER: [&str; 11] = [
    "folder",
    "favorite",
    "type",
    "name",
    "notes",
    "fields",
    "reprompt",
    "login_uri",
    "login_username",
    "login_password",
    "login_totp",
];

fn write_csv(
    out: &mut SecretBuf,
    entries: &std::collections::BTreeMap<String, Entry>,
) -> std::io::Result<()> {
    write_csv_row(out, CSV_HEADER.iter().copied())?;
    for (name, entry) in entries {
        let (folder, title) = name.rsplit_once('/').unwrap_or(("", name));
        let mut fields = Zeroizing::new(String::new());
        for (key, value) in &entry.fields {
            if !fields.is_empty() {
                fields.push('\n');
            }
            fields.push_str(key);
            fields.push_str(": ");
            fields.push_str(value.expose());
        }
        write_csv_row(
            out,
            [
                folder,
                "",
                "login",
                title,
                entry.notes.expose(),
                &fields,
                "0",
                &entry.url,
                &entry.username,
                entry.password.expose(),
                entry.totp.expose(),
            ],
        )?;
    }
    Ok(())
}

/// One CSV row (RFC 4180): every value quoted, quotes doubled, so commas and newlines in a
/// value stay in it.
fn write_csv_row<'a>(
    out: &mut SecretBuf,
    values: impl IntoIterator<Item = &'a str>,
) -> std::io::Result<()> {
    for (i, value) in values.into_iter().enumerate() {
        if i > 0 {
            out.write_all(b",")?;
        }
        out.write_all(b"\"")?;
        for (j, part) in value.split('"').enumerate() {
            if j > 0 {
                out.write_all(b"\"\"")?;
            }
            out.write_all(part.as_bytes())?;
        }
        out.write_all(b"\"")?;
    }
    out.write_all(b"\r\n")
}

/// [`Entry::value`], with the error a command reports (a missing field is exit 3).
pub fn value(name: &str, entry: &Entry, field: &str) -> Result<Secret> {
    entry.value(field, otp::now()).map_err(|err| match err {
        FieldError::Missing => Error::NoField {
            entry: name.to_owned(),
            field: field.to_owned(),
        },
        FieldError::Otp(reason) => {
            Error::other(format!("entry '{name}' has an unusable totp: {reason}"))
        }
    })
}

/// Everything a job gets of an entry when it names no field: the stored fields and, when the
/// entry has a TOTP key, the current code as `otp` (the key itself stays in the vault).
pub fn job_fields(name: &str, entry: &Entry) -> Result<Vec<(String, Secret)>> {
    let mut fields: Vec<(String, Secret)> = entry
        .all_fields()
        .into_iter()
        .map(|(key, value)| (key.to_owned(), Secret::from(value)))
        .collect();
    if !entry.totp.is_empty() {
        fields.push((OTP.to_owned(), value(name, entry, OTP)?));
    }
    Ok(fields)
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

/// The variable `NAME_FIELD` that `exec` and `export --format env` set for one field, or
/// `None`, with a warning naming it (never its value), when that name is one
/// [`changes_how_programs_run`] keeps out. `remedy` says how to have it anyway.
pub fn derived_var(name: &str, field: &str, remedy: &str) -> Option<String> {
    let var = format!("{}_{}", env_name(name), env_name(field));
    if changes_how_programs_run(&var) {
        vault::error::warn(&format!(
            "not setting {var} from {name}.{field}: a variable that changes how programs run is \
             never set from entry or field names; {remedy}"
        ));
        return None;
    }
    Some(var)
}

/// Variables that make a program load other code, run another command, read its settings or
/// trust from elsewhere, or send its traffic elsewhere. A name in a vault (an entry `git` with a
/// field `ssh command` is `GIT_SSH_COMMAND`) must not be able to do that to the command `exec`
/// runs or to whoever sources `export --format env`; `exec --env VAR=NAME.FIELD`, where the
/// user writes the variable's name, may still set any of them. Names are compared as derived
/// names are made: upper case.
pub fn changes_how_programs_run(var: &str) -> bool {
    const PREFIXES: &[&str] = &[
        // The dynamic loader: LD_PRELOAD, LD_LIBRARY_PATH, LD_AUDIT; macOS's DYLD_INSERT_LIBRARIES.
        "LD_",
        "DYLD_",
        // git runs GIT_SSH_COMMAND, GIT_EXEC_PATH, GIT_ASKPASS, GIT_EDITOR, and GIT_CONFIG_*
        // sets any option, core.sshCommand and core.pager among them.
        "GIT_",
        // Interpreters' start-up: PYTHONPATH, PYTHONSTARTUP, PYTHONHOME; PERL5LIB, PERL5OPT;
        // RUBYOPT, RUBYLIB; LUA_INIT, LUA_PATH.
        "PYTHON",
        "PERL5",
        "RUBY",
        "LUA_",
        // Where configuration is read (git, ssh helpers, shells read $XDG_CONFIG_HOME).
        "XDG_",
        // TLS trust: SSL_CERT_FILE, SSL_CERT_DIR; OPENSSL_CONF loads engines (code).
        "SSL_CERT_",
        "OPENSSL_",
        // less runs LESSOPEN and LESSCLOSE as commands; LESSKEY* rebinds keys to commands.
        "LESS",
    ];
    const NAMES: &[&str] = &[
        // Loader and C library: modules glibc loads, its tunables.
        "GCONV_PATH",
        "GLIBC_TUNABLES",
        // Where commands, home-directory configuration (~/.ssh/config's ProxyCommand,
        // ~/.gitconfig) and temporary files are found.
        "PATH",
        "HOME",
        "TMPDIR",
        "ZDOTDIR",
        // Shells: word splitting, start-up files, options, traced or prompted commands.
        "IFS",
        "ENV",
        "BASH_ENV",
        "SHELLOPTS",
        "BASHOPTS",
        "CDPATH",
        "GLOBIGNORE",
        "PS4",
        "PROMPT_COMMAND",
        // Commands other programs run on the user's behalf.
        "SHELL",
        "EDITOR",
        "VISUAL",
        "PAGER",
        "MANPAGER",
        "BROWSER",
        "SSH_ASKPASS",
        "SSH_ASKPASS_REQUIRE",
        "SUDO_ASKPASS",
        "RSYNC_RSH",
        // Interpreters' start-up, continued.
        "PERLLIB",
        "NODE_OPTIONS",
        "NODE_PATH",
        "JAVA_TOOL_OPTIONS",
        "_JAVA_OPTIONS",
        "JDK_JAVA_OPTIONS",
        "CLASSPATH",
        "PHPRC",
        "PHP_INI_SCAN_DIR",
        // Trust and traffic: certificate bundles, proxies, the ssh agent that signs.
        "NODE_EXTRA_CA_CERTS",
        "CURL_CA_BUNDLE",
        "REQUESTS_CA_BUNDLE",
        "HTTP_PROXY",
        "HTTPS_PROXY",
        "ALL_PROXY",
        "NO_PROXY",
        "SSH_AUTH_SOCK",
    ];
    PREFIXES.iter().any(|prefix| var.starts_with(prefix)) || NAMES.contains(&var)
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
        vault::text::write_single_quoted(&mut out, "it's $HOME `x`").unwrap();
        assert_eq!(&out[..], b"'it'\\''s $HOME `x`'");
    }

    #[test]
    fn variables_that_change_how_programs_run_are_kept_out() {
        for var in [
            "GIT_SSH_COMMAND",
            "LD_PRELOAD",
            "DYLD_INSERT_LIBRARIES",
            "PATH",
            "IFS",
            "BASH_ENV",
            "ENV",
            "PYTHONPATH",
            "PERL5OPT",
            "RUBYOPT",
            "NODE_OPTIONS",
            "_JAVA_OPTIONS",
            "LESSOPEN",
            "SSL_CERT_FILE",
        ] {
            assert!(changes_how_programs_run(var), "{var}");
        }
        for var in [
            "BANK_PASSWORD",
            "GITHUB_TOKEN",
            "PGPASSWORD",
            "PATHS_X",
            "NODE_TOKEN",
        ] {
            assert!(!changes_how_programs_run(var), "{var}");
        }
        assert_eq!(derived_var("git", "ssh command", ""), None);
        assert_eq!(
            derived_var("github", "token", "").as_deref(),
            Some("GITHUB_TOKEN")
        );
    }
}
