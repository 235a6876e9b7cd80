//! `vault import FORMAT SOURCE`: another password manager's export, merged into the vault in
//! one save, with a summary of what was imported, skipped and not mapped.

use std::fmt::Write as _;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use super::args::{ImportArgs as Request, ImportFormat, OnConflictArg};
use super::{Context, Prompting, output, prompt};
use vault::change::Change;
use vault::document::timestamp_now;
use vault::error::{Error, Result};
use vault::import::{self, ColumnMap, Done, FileFormat, OnConflict, Outcome, Parsed};
use vault::secret::SecretBuf;
use zeroize::Zeroizing;

/// The largest export read: far beyond any real one, and a bound on memory.
const MAX_EXPORT_BYTES: u64 = 1 << 30;

pub fn run(ctx: &Context, request: &Request) -> Result<()> {
    let map = match (&request.map, request.format) {
        (Some(text), ImportFormat::Csv) => {
            Some(ColumnMap::parse(text).map_err(|why| Error::Usage(format!("--map: {why}")))?)
        }
        (Some(_), _) => {
            return Err(Error::Usage("--map applies to the csv format only".into()));
        }
        (None, ImportFormat::Csv) => {
            return Err(Error::Usage(
                "the csv format needs --map title=COLUMN,username=COLUMN,password=COLUMN,…".into(),
            ));
        }
        (None, _) => None,
    };
    let prefix = request.group.as_deref().unwrap_or_default();
    if prefix.chars().any(char::is_control)
        || (!prefix.is_empty() && prefix.trim_matches('/').is_empty())
    {
        return Err(Error::Usage(
            "--group takes a group name such as old/, without control characters".into(),
        ));
    }
    let identity = ctx.identity(Prompting::IfTerminal)?;
    let store = ctx.store()?;
    // Before a store's files are decrypted one by one: a missing vault should not wait for that.
    if !store.path().exists() {
        return Err(Error::VaultMissing(store.path().to_owned()));
    }
    let now = timestamp_now();
    let parsed = read_source(ctx, request, map.as_ref(), &now)?;
    let Parsed {
        items,
        skipped,
        mut unmapped,
    } = parsed;
    let (entries, renamed) = import::name_items(items, prefix);
    unmapped.extend(renamed);
    let on_conflict = match request.on_conflict {
        OnConflictArg::Skip => OnConflict::Skip,
        OnConflictArg::Rename => OnConflict::Rename,
        OnConflictArg::Overwrite => OnConflict::Overwrite,
    };
    let done = if request.dry_run {
        let mut doc = store.load(&identity)?;
        import::merge(&mut doc, entries, on_conflict, &now)
    } else {
        let (report, summary) = std::sync::mpsc::channel();
        store.apply(
            &identity,
            Change::Import {
                entries,
                on_conflict,
                now,
                report: Some(report),
            },
        )?;
        summary.recv().unwrap_or_default()
    };
    let (text, counts) = summary(&done, &skipped, &unmapped, request.dry_run);
    output::stdout(text.as_bytes())?;
    let advice = if request.dry_run {
        "nothing was written".to_owned()
    } else if matches!(request.format, ImportFormat::Pass | ImportFormat::Passage) {
        "the store is left as it was".to_owned()
    } else {
        format!(
            "{} holds your secrets in plain text: remove it",
            request.source.display()
        )
    };
    output::say(&format!("{counts}; {advice}"));
    Ok(())
}

fn read_source(
    ctx: &Context,
    request: &Request,
    map: Option<&ColumnMap>,
    now: &str,
) -> Result<Parsed> {
    let source = &request.source;
    let format = match request.format {
        ImportFormat::Pass => {
            let files = import::list_store(source, ".gpg")?;
            let bar = progress(files.len());
            let parsed = import::read_store(files, import::decrypt_gpg, || bar.inc(1), now);
            bar.finish_and_clear();
            return Ok(parsed?);
        }
        ImportFormat::Passage => {
            let identities = passage_identities(ctx)?;
            let files = import::list_store(source, ".age")?;
            let bar = progress(files.len());
            let parsed = import::read_store(
                files,
                import::decrypt_age(identities.keys()),
                || bar.inc(1),
                now,
            );
            bar.finish_and_clear();
            return Ok(parsed?);
        }
        ImportFormat::BitwardenJson => FileFormat::BitwardenJson,
        ImportFormat::BitwardenCsv => FileFormat::BitwardenCsv,
        ImportFormat::KeepassXml => FileFormat::KeepassXml,
        ImportFormat::KeepassxcCsv => FileFormat::KeepassxcCsv,
        ImportFormat::OnePassword1pux => FileFormat::OnePassword1pux,
        ImportFormat::OnePasswordCsv => FileFormat::OnePasswordCsv,
        ImportFormat::ChromeCsv => FileFormat::ChromeCsv,
        ImportFormat::FirefoxCsv => FileFormat::FirefoxCsv,
        ImportFormat::Csv => FileFormat::Csv,
        ImportFormat::VaultJson => FileFormat::VaultJson,
    };
    let bytes = read_export(source)?;
    Ok(import::parse(format, source, &bytes, map)?)
}

/// The export's bytes, in memory that is wiped afterwards (and when it grows).
fn read_export(path: &Path) -> Result<Zeroizing<Vec<u8>>> {
    let cannot = |e| Error::io(format!("cannot read {}", path.display()), e);
    let file = std::fs::File::open(path).map_err(cannot)?;
    let meta = file.metadata().map_err(cannot)?;
    if meta.is_dir() {
        return Err(Error::other(format!(
            "cannot import {}: it is a directory, and this format is read from a file",
            path.display()
        )));
    }
    let mut bytes = SecretBuf::with_capacity(usize::try_from(meta.len()).unwrap_or(0) + 1);
    std::io::copy(
        &mut std::io::Read::take(file, MAX_EXPORT_BYTES + 1),
        &mut bytes,
    )
    .map_err(cannot)?;
    if bytes.len() as u64 > MAX_EXPORT_BYTES {
        return Err(Error::other(format!(
            "cannot import {}: it is larger than 1 GiB",
            path.display()
        )));
    }
    Ok(bytes.into_inner())
}

/// passage's identities: `$PASSAGE_IDENTITIES_FILE`, else `~/.passage/identities`.
fn passage_identities(ctx: &Context) -> Result<vault::identity::Identity> {
    let path = std::env::var_os("PASSAGE_IDENTITIES_FILE")
        .filter(|p| !p.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::home_dir().map(|home| home.join(".passage").join("identities")))
        .ok_or_else(|| Error::Usage("no passage identities: set PASSAGE_IDENTITIES_FILE".into()))?;
    let mut ask = prompt::passphrase_source(ctx.passphrase_file(), Prompting::IfTerminal);
    vault::identity::load(&path, &mut ask)
}

/// A bar on stderr while a store's files are decrypted, drawn only on a terminal.
fn progress(len: usize) -> indicatif::ProgressBar {
    let target = if std::io::stderr().is_terminal() {
        indicatif::ProgressDrawTarget::stderr()
    } else {
        indicatif::ProgressDrawTarget::hidden()
    };
    let bar = indicatif::ProgressBar::with_draw_target(Some(len as u64), target);
    bar.set_style(
        indicatif::ProgressStyle::with_template("decrypting {pos}/{len} {wide_bar} {eta}")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    bar
}

/// One line an item on stdout, then the counts (for stderr).
fn summary(
    done: &[Done],
    skipped: &[(String, String)],
    unmapped: &[(String, String)],
    dry_run: bool,
) -> (String, String) {
    let (mut added, mut renamed, mut overwritten, mut conflicts) = (0, 0, 0, 0);
    let mut text = String::new();
    let verb = |now: &'static str, then: &'static str| if dry_run { then } else { now };
    for item in done {
        let name = output::printable(&item.name);
        let _ = match &item.outcome {
            Outcome::Added => {
                added += 1;
                writeln!(text, "{} {name}", verb("imported", "would import"))
            }
            Outcome::Renamed { wanted } => {
                renamed += 1;
                writeln!(
                    text,
                    "{} {name} ({} was taken)",
                    verb("imported", "would import"),
                    output::printable(wanted)
                )
            }
            Outcome::Overwrote => {
                overwritten += 1;
                writeln!(
                    text,
                    "{} {name} (its old password is in its history)",
                    verb("overwrote", "would overwrite")
                )
            }
            Outcome::Skipped { why } => {
                conflicts += 1;
                writeln!(text, "skipped {name}: {why}")
            }
        };
    }
    for (what, why) in skipped {
        let _ = writeln!(text, "skipped {}: {why}", output::printable(what));
    }
    for (what, lost) in unmapped {
        let _ = writeln!(
            text,
            "not mapped: {}: {}",
            output::printable(what),
            output::printable(lost)
        );
    }
    let counts = format!(
        "{} {} entries ({renamed} renamed, {overwritten} overwritten), skipped {}, {} note(s) on what was not mapped",
        verb("imported", "would import"),
        added + renamed + overwritten,
        conflicts + skipped.len(),
        unmapped.len()
    );
    (text, counts)
}
