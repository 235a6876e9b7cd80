//! Many machines through git: `vault git setup|merge-driver|merge-derived|diff-text`,
//! `vault conflicts`, `vault resolve`, `vault sync` and `vault merge`.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

use super::args::GitCommand;
use super::{Context, Prompting, output};
use vault::change::Change;
use vault::document::{Document, timestamp_now};
use vault::error::{Error, Result};
use vault::merge;
use vault::store::Store;

pub fn run(ctx: &Context, command: GitCommand) -> Result<()> {
    match command {
        GitCommand::Setup => setup(ctx),
        GitCommand::MergeDriver {
            base,
            ours,
            theirs,
            path,
        } => merge_driver(ctx, &base, &ours, &theirs, &path),
        GitCommand::MergeDerived { .. } => {
            // A derived vault cannot be merged (only its recipient can open it): ours stays,
            // and `vault sync` (or `vault check --fix`) makes it again from the merged vault.
            Ok(())
        }
        GitCommand::DiffText { file } => diff_text(ctx, &file),
    }
}

/// Runs git in `dir`; its failure is one line naming what was asked.
fn git(dir: &Path, args: &[&str]) -> Result<String> {
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .output()
        .map_err(|e| Error::io("cannot run git", e))?;
    if !out.status.success() {
        let why = String::from_utf8_lossy(&out.stderr);
        let why = why
            .lines()
            .find(|l| !l.trim().is_empty())
            .unwrap_or("failed");
        return Err(Error::other(format!(
            "git {} failed: {}",
            args.first().unwrap_or(&""),
            output::printable(why.trim())
        )));
    }
    Ok(String::from_utf8_lossy(&out.stdout).trim_end().to_owned())
}

/// The work tree holding the vault, and the vault's path inside it.
fn work_tree(vault: &Path) -> Result<(PathBuf, String)> {
    let vault = vault::os::canonicalize(vault)
        .map_err(|e| Error::io(format!("cannot find {}", vault.display()), e))?;
    let dir = vault.parent().unwrap_or(Path::new("/"));
    let top = PathBuf::from(git(dir, &["rev-parse", "--show-toplevel"]).map_err(|_| {
        Error::with_hint(
            format!("{} is not in a git work tree", vault.display()),
            "git init there first, or point --vault at the vault in your clone",
        )
    })?);
    let relative = vault
        .strip_prefix(&top)
        .map_err(|_| Error::other("the vault is not inside its git work tree"))?
        .to_string_lossy()
        .into_owned();
    Ok((top, relative))
}

/// Makes git merge and diff the vault through vault: attributes, the drivers in the repo's
/// config, and ignores for the backup and the lock. Running it again changes nothing.
fn setup(ctx: &Context) -> Result<()> {
    let (top, relative) = work_tree(&ctx.vault_path()?)?;
    let exe = std::env::current_exe().map_err(|e| Error::io("cannot find vault itself", e))?;
    let exe = exe.to_string_lossy();
    let quoted = vault::text::shell_word(&exe);
    ensure_lines(
        &top.join(".gitattributes"),
        &[
            format!("/{relative} merge=vault diff=vault"),
            format!("/{relative}.d/*.age merge=vault-derived -diff"),
        ],
    )?;
    ensure_lines(
        &top.join(".gitignore"),
        &[format!("/{relative}.bak"), format!("/{relative}.lock")],
    )?;
    for (key, value) in [
        ("merge.vault.name", "vault: entry by entry".to_owned()),
        (
            "merge.vault.driver",
            format!("{quoted} git merge-driver %O %A %B %P"),
        ),
        (
            "merge.vault-derived.name",
            "vault: derived files".to_owned(),
        ),
        (
            "merge.vault-derived.driver",
            format!("{quoted} git merge-derived %O %A %B %P"),
        ),
        ("diff.vault.textconv", format!("{quoted} git diff-text")),
    ] {
        git(&top, &["config", key, &value])?;
    }
    // Staged, so the next commit (vault sync's) carries them to every clone.
    git(&top, &["add", "--", ".gitattributes", ".gitignore"])?;
    eprintln!(
        "vault: git merges and diffs {relative} through vault in {}",
        top.display()
    );
    Ok(())
}

fn ensure_lines(file: &Path, lines: &[String]) -> Result<()> {
    let mut text = std::fs::read_to_string(file).unwrap_or_default();
    let mut changed = false;
    for line in lines {
        if !text.lines().any(|l| l.trim() == line) {
            if !text.is_empty() && !text.ends_with('\n') {
                text.push('\n');
            }
            text.push_str(line);
            text.push('\n');
            changed = true;
        }
    }
    if changed {
        std::fs::write(file, text)
            .map_err(|e| Error::io(format!("cannot write {}", file.display()), e))?;
    }
    Ok(())
}

/// git's merge driver: base, ours and theirs decrypted, merged entry by entry, the result signed
/// and left in `ours`. Exit 1 when a conflict was recorded, so git reports it; the file is then
/// still a whole vault, ours where the two disagree.
fn merge_driver(ctx: &Context, base: &Path, ours: &Path, theirs: &Path, name: &str) -> Result<()> {
    // git runs drivers with no one to answer: only an interactive pull may ask.
    let identity = ctx.identity(Prompting::OnlyInteractive)?;
    let ours_doc = Store::new(ours).load_trusted(&identity)?;
    let theirs_doc = Store::new(theirs).load_trusted(&identity)?;
    // A base no trusted writer signed (history from before signing) is no base: the merge
    // then decides by tombstones, and records more conflicts rather than fewer.
    let base_doc = Store::new(base).load_trusted(&identity).ok();
    let mut merged = merge::three_way(base_doc.as_ref(), ours_doc, &theirs_doc, &timestamp_now());
    Store::write_copy(&mut merged.doc, &identity, ours)?;
    if merged.conflicts > 0 {
        eprintln!(
            "vault: {}: {} conflict{} recorded (ours kept); vault conflicts lists them",
            output::printable(name),
            merged.conflicts,
            if merged.conflicts == 1 { "" } else { "s" }
        );
        return Err(Error::Reported(1));
    }
    Ok(())
}

/// What git shows of a vault: names and non-secret fields; for a secret, only when it last
/// changed and how many earlier values it has, so a change shows and a value never does.
fn diff_text(ctx: &Context, file: &Path) -> Result<()> {
    let identity = ctx.identity(Prompting::OnlyInteractive)?;
    let doc = Store::new(file).load(&identity)?;
    output::stdout(describe(&doc).as_bytes())
}

fn describe(doc: &Document) -> String {
    let p = |s: &str| output::printable(s).into_owned();
    let mut text = String::new();
    for r in &doc.recipients {
        let _ = write!(text, "recipient {}  {}", p(&r.name), p(&r.key));
        if let Some(only) = &r.only {
            let _ = write!(text, "  only: {}", p(&only.join(", ")));
        }
        text.push('\n');
    }
    for (name, e) in &doc.entries {
        let _ = writeln!(text, "\n[{}]", p(name));
        for (label, value) in [("username", &e.username), ("url", &e.url)] {
            if !value.is_empty() {
                let _ = writeln!(text, "  {label}: {}", p(value));
            }
        }
        if !e.tags.is_empty() {
            let _ = writeln!(text, "  tags: {}", p(&e.tags.join(", ")));
        }
        let changed = e
            .history
            .last()
            .map_or(e.created.as_str(), |h| h.until.as_str());
        let _ = writeln!(
            text,
            "  password: (secret, set {}, {} earlier)",
            p(changed),
            e.history.len()
        );
        for (label, secret) in [("notes", &e.notes), ("totp", &e.totp)] {
            if !secret.is_empty() {
                let _ = writeln!(text, "  {label}: (secret, changed {})", p(&e.updated));
            }
        }
        for key in e.fields.keys() {
            let _ = writeln!(
                text,
                "  field {}: (secret, changed {})",
                p(key),
                p(&e.updated)
            );
        }
    }
    for c in &doc.conflicts {
        let _ = writeln!(
            text,
            "\nconflict [{}]: {}",
            p(&c.name),
            p(&c.fields.join(", "))
        );
    }
    text
}

/// `vault conflicts`: what merges could not decide, names and fields only.
pub fn conflicts(ctx: &Context) -> Result<()> {
    let identity = ctx.identity(Prompting::IfTerminal)?;
    let doc = ctx.store()?.load(&identity)?;
    let mut text = String::new();
    for c in &doc.conflicts {
        let theirs = match &c.theirs {
            None => "they deleted it".to_owned(),
            Some(t) if t.name != c.name => {
                format!("theirs is named '{}'", output::printable(&t.name))
            }
            Some(_) => "theirs kept".to_owned(),
        };
        let _ = writeln!(
            text,
            "{}: {} ({theirs})",
            output::printable(&c.name),
            output::printable(&c.fields.join(", "))
        );
    }
    output::stdout(text.as_bytes())
}

/// `vault resolve NAME --ours|--theirs`.
pub fn resolve(ctx: &Context, name: &str, theirs: bool) -> Result<()> {
    let identity = ctx.identity(Prompting::IfTerminal)?;
    let store = ctx.store()?;
    let saved = store.apply(
        &identity,
        Change::Resolve {
            name: name.to_owned(),
            theirs,
        },
    )?;
    eprintln!(
        "vault: '{}' resolved with {}; {} conflict{} left",
        output::printable(name),
        if theirs { "theirs" } else { "ours" },
        saved.conflicts.len(),
        if saved.conflicts.len() == 1 { "" } else { "s" }
    );
    Ok(())
}

/// `vault merge OTHER.age`: another copy of this vault (a sync tool's conflict copy), merged in
/// by entry id and time.
pub fn merge_copy(ctx: &Context, other: &Path) -> Result<()> {
    let identity = ctx.identity(Prompting::IfTerminal)?;
    let theirs = Store::new(other).load_trusted(&identity)?;
    let saved = ctx
        .store()?
        .apply(&identity, Change::MergeCopy(Box::new(theirs)))?;
    eprintln!(
        "vault: merged {}; the vault holds {} entries",
        other.display(),
        saved.entries.len()
    );
    Ok(())
}

/// `vault sync`: commit the vault if it changed, pull (merging through the driver), make the
/// derived vaults again, commit that, push.
pub fn sync(ctx: &Context) -> Result<()> {
    let store = ctx.store()?;
    let (top, relative) = work_tree(store.path())?;
    let derived = format!("{relative}.d");
    let paths: Vec<&str> = if top.join(&derived).exists() {
        vec![relative.as_str(), derived.as_str()]
    } else {
        vec![relative.as_str()]
    };
    let commit = |message: &str| -> Result<()> {
        let mut add = vec!["add", "--all", "--"];
        add.extend(&paths);
        git(&top, &add)?;
        if git(&top, &["diff", "--cached", "--quiet"]).is_err() {
            git(&top, &["commit", "--quiet", "--no-verify", "-m", message])?;
        }
        Ok(())
    };
    commit("vault: sync")?;
    // A new clone's first sync: nothing to pull yet, and the branch is pushed as it is.
    if git(&top, &["rev-parse", "--abbrev-ref", "@{upstream}"]).is_err() {
        git(
            &top,
            &["push", "--quiet", "--set-upstream", "origin", "HEAD"],
        )?;
        eprintln!("vault: {relative} pushed; later syncs pull first");
        return Ok(());
    }
    if let Err(err) = git(&top, &["pull", "--no-rebase", "--no-edit", "--quiet"]) {
        let unmerged = git(&top, &["diff", "--name-only", "--diff-filter=U"]).unwrap_or_default();
        if unmerged.is_empty() {
            return Err(err);
        }
        // The driver left whole vaults, ours where the two disagree: finish the merge so the
        // clone is consistent, and stop before pushing a vault with open conflicts.
        commit("vault: merge, conflicts recorded")?;
        remake_derived(ctx, &store)?;
        commit("vault: derived vaults after the merge")?;
        return Err(Error::with_hint(
            "the merge recorded conflicts; nothing was pushed",
            "vault conflicts lists them; vault resolve NAME --ours|--theirs, then vault sync",
        ));
    }
    remake_derived(ctx, &store)?;
    commit("vault: derived vaults after the merge")?;
    git(&top, &["push", "--quiet"])?;
    eprintln!("vault: {relative} is in sync");
    Ok(())
}

fn remake_derived(ctx: &Context, store: &Store) -> Result<()> {
    let identity = ctx.identity(Prompting::IfTerminal)?;
    if !store.check_derived(&identity)?.is_empty() {
        store.apply(&identity, Change::Refresh)?;
    }
    Ok(())
}
