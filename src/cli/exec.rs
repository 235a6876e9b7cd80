//! `vault exec`: runs a command with entries' fields in its environment, and nowhere else:
//! not in any argv, not in a file, not in vault's own environment.

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::process::Command;

use super::export::{derived_var, job_fields, value};
use super::{Context, Prompting};
use vault::error::{Error, Result};
use vault::os;
use vault::secret::Secret;

/// `--env VAR=NAME.FIELD`, parsed.
struct Mapping {
    var: String,
    entry: String,
    field: String,
}

pub fn run(
    ctx: &Context,
    names: &[String],
    mappings: &[String],
    command: &[OsString],
    redact: bool,
) -> Result<()> {
    let Some((program, args)) = command.split_first() else {
        return Err(Error::Usage("give the command to run after --".into()));
    };
    if names.is_empty() && mappings.is_empty() {
        return Err(Error::Usage(
            "name at least one entry, or map a field with --env VAR=NAME.FIELD".into(),
        ));
    }
    let mappings = mappings
        .iter()
        .map(|m| parse_mapping(m))
        .collect::<Result<Vec<_>>>()?;

    let identity = ctx.identity(Prompting::IfTerminal)?;
    let store = ctx.store()?;
    let doc = store.load(&identity)?;
    drop(identity);

    // Where each variable came from, so a clash names both sources.
    let mut env: BTreeMap<String, (String, Secret)> = BTreeMap::new();
    // What --redact hides: every value but the entries' usernames and URLs, which the vault
    // does not keep as secrets either.
    let mut secrets: Vec<Secret> = Vec::new();
    let mut put = |var: String, source: String, field: &str, value: Secret| {
        if let Some((first, _)) = env.get(&var) {
            return Err(Error::Usage(format!(
                "{var} would be set twice: by {first} and by {source}; map one with --env"
            )));
        }
        if redact && !matches!(field, "username" | "url") {
            secrets.push(value.clone());
        }
        env.insert(var, (source, value));
        Ok(())
    };
    for name in names {
        let entry = doc.entries.get(name).ok_or_else(|| {
            Error::no_entry(name, store.path(), doc.entries.keys().map(String::as_str))
        })?;
        // A denied variable is left out with a warning rather than failing the run: it is
        // never set either way, and a field someone adds later should not stop every job that
        // names the entry. Whoever means it maps it with --env, which is never filtered.
        for (field, value) in job_fields(name, entry)? {
            if let Some(var) = derived_var(
                name,
                &field,
                "map it with --env VAR=NAME.FIELD if you mean it",
            ) {
                put(var, format!("{name}.{field}"), &field, value)?;
            }
        }
    }
    for m in &mappings {
        let entry = doc.entries.get(&m.entry).ok_or_else(|| {
            Error::no_entry(
                &m.entry,
                store.path(),
                doc.entries.keys().map(String::as_str),
            )
        })?;
        let value = value(&m.entry, entry, &m.field)?;
        put(m.var.clone(), format!("--env {}", m.var), &m.field, value)?;
    }
    drop(doc);

    let mut child = Command::new(program);
    child.args(args);
    for (var, (_, value)) in &env {
        child.env(var, value.expose());
    }
    drop(env);
    if redact {
        return super::redacted::run(&mut child, &secrets);
    }
    let failure = os::exec(&mut child);
    Err(Error::other(format!(
        "cannot run {}: {}",
        program.to_string_lossy(),
        vault::error::describe_io(&failure)
    )))
}

/// `PGPASSWORD=db.password` → (PGPASSWORD, db, password). The entry name may hold dots; the
/// field is what follows the last one.
fn parse_mapping(text: &str) -> Result<Mapping> {
    let bad = |why: &str| Error::Usage(format!("--env {text:?}: {why}"));
    let (var, source) = text
        .split_once('=')
        .ok_or_else(|| bad("expected VAR=NAME.FIELD"))?;
    let valid_var = var.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
        && var.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if !valid_var {
        return Err(bad(
            "the variable name must be letters, digits and _, not starting with a digit",
        ));
    }
    let (entry, field) = source
        .rsplit_once('.')
        .filter(|(entry, field)| !entry.is_empty() && !field.is_empty())
        .ok_or_else(|| bad("expected VAR=NAME.FIELD, such as PGPASSWORD=db.password"))?;
    Ok(Mapping {
        var: var.to_owned(),
        entry: entry.to_owned(),
        field: field.to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mappings_split_at_the_last_dot() {
        let m = parse_mapping("PGPASSWORD=db.prod.password").unwrap();
        assert_eq!(
            (m.var.as_str(), m.entry.as_str()),
            ("PGPASSWORD", "db.prod")
        );
        assert_eq!(m.field, "password");
        for bad in [
            "PGPASSWORD",
            "1X=a.b",
            "X-Y=a.b",
            "=a.b",
            "X=ab",
            "X=.b",
            "X=a.",
        ] {
            assert!(parse_mapping(bad).is_err(), "{bad}");
        }
    }
}
