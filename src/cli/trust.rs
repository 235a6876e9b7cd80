//! `vault trust show|list|add|remove|accept`: whose signed vaults this user accepts.

use std::fmt::Write as _;
use std::io::IsTerminal;
use std::path::PathBuf;

use super::args::TrustCommand;
use super::{Context, Prompting, output, prompt};
use vault::change::Change;
use vault::crypto;
use vault::error::{Error, Result};
use vault::identity::Identity;
use vault::signature::Signed;
use vault::trust::{self, TrustList};
use vault::writer::WriterId;

pub fn run(ctx: &Context, action: TrustCommand) -> Result<()> {
    match action {
        TrustCommand::Show => show(ctx),
        TrustCommand::List => list(ctx),
        TrustCommand::Add { key, name } => add(ctx, &key, &name),
        TrustCommand::Remove { name } => remove(&name),
        TrustCommand::Accept { yes } => accept(ctx, yes),
    }
}

fn list_path() -> Result<PathBuf> {
    trust::default_path().ok_or_else(|| {
        Error::Usage("no configuration directory: set HOME or XDG_CONFIG_HOME".into())
    })
}

fn show(ctx: &Context) -> Result<()> {
    let identity = ctx.identity(Prompting::IfTerminal)?;
    output::stdout(format!("{}\n", identity.writer_id()?).as_bytes())
}

fn list(ctx: &Context) -> Result<()> {
    let list = TrustList::load(&list_path()?)?;
    // Marking "you" needs the identity; never ask for a passphrase just for that.
    let own = ctx
        .identity(Prompting::Never)
        .ok()
        .and_then(|identity| identity.writer_id().ok());
    let width = list
        .writers
        .iter()
        .map(|(_, name)| name.chars().count())
        .max()
        .unwrap_or(0);
    let mut text = String::new();
    for (id, name) in &list.writers {
        let _ = writeln!(
            text,
            "{:width$}  {id}{}",
            output::printable(name),
            if own.as_ref() == Some(id) {
                "  (you)"
            } else {
                ""
            }
        );
    }
    output::stdout(text.as_bytes())
}

fn add(ctx: &Context, key: &str, name: &str) -> Result<()> {
    let id = WriterId::parse(key).map_err(|reason| Error::Usage(format!("{key}: {reason}")))?;
    let path = list_path()?;
    let mut list = TrustList::load(&path)?;
    // The first trusted writer makes the user an operator with anchors: their own key must be
    // in the list too, or their own saves would not be accepted by the rule they just chose.
    if list.writers.is_empty() {
        let identity = ctx.identity(Prompting::IfTerminal)?;
        let own = identity.writer_id()?;
        if own != id {
            list.add(own, trust::SELF_NAME)?;
        }
    }
    list.add(id.clone(), name)?;
    list.save(&path)?;
    eprintln!(
        "vault: trusting {id} as '{}' in {}",
        output::printable(name),
        path.display()
    );
    Ok(())
}

fn remove(name: &str) -> Result<()> {
    let path = list_path()?;
    let mut list = TrustList::load(&path)?;
    let (id, name) = list.remove(name)?;
    list.save(&path)?;
    eprintln!(
        "vault: no longer trusting '{}' ({id})",
        output::printable(&name)
    );
    Ok(())
}

/// Shows who signed the vault and whom it is encrypted to, asks, then re-signs it as it is with
/// the user's own key and puts that key in their trust list.
fn accept(ctx: &Context, yes: bool) -> Result<()> {
    let identity = ctx.identity(Prompting::IfTerminal)?;
    let store = ctx.store()?;
    let (doc, signed) = store.inspect(&identity)?;
    eprint!("{}", describe(&store, &identity, &doc, &signed));
    if !yes {
        if !std::io::stdin().is_terminal() {
            return Err(Error::Usage(
                "vault trust accept asks first; give --yes to accept without asking".into(),
            ));
        }
        if !prompt::confirm("accept this vault as it is and sign it as yours?")? {
            return Err(Error::other("not accepted; nothing changed"));
        }
    }
    let own = identity.writer_id()?;
    trust::list_own_writer(&own)?;
    store.apply(&identity, Change::Adopt)?;
    eprintln!(
        "vault: {} is now signed by you ({own})",
        store.path().display()
    );
    Ok(())
}

fn describe(
    store: &vault::store::Store,
    identity: &Identity,
    doc: &vault::document::Document,
    signed: &Signed,
) -> String {
    let mut text = format!(
        "vault: {}: {}\n",
        store.path().display(),
        identity.trust().describe_signed(signed)
    );
    let entries = doc.entries.len();
    let _ = writeln!(
        text,
        "it holds {entries} {}, encrypted to:",
        if entries == 1 { "entry" } else { "entries" }
    );
    let changes = store.recipient_changes(identity, doc);
    for recipient in &doc.recipients {
        let key = crypto::canonical_key(&recipient.key);
        let mine = identity.recipients().contains(&key);
        let new = changes.compared && changes.added.iter().any(|r| r.key == recipient.key);
        let _ = writeln!(
            text,
            "  {}  {}{}{}",
            output::printable(&recipient.name),
            output::printable(&recipient.key),
            if mine { "  (you)" } else { "" },
            if new {
                "  (not in the last version you trust)"
            } else {
                ""
            }
        );
    }
    for recipient in &changes.removed {
        let _ = writeln!(
            text,
            "  removed since the last version you trust: {}  {}",
            output::printable(&recipient.name),
            output::printable(&recipient.key),
        );
    }
    text
}
