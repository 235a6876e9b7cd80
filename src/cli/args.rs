//! Every flag of the command line, in one place.

// The doc comments here are clap's help text, shown as written, not rustdoc.
#![allow(clippy::doc_markdown)]

use std::path::PathBuf;

use clap::{ArgGroup, Args, Parser, Subcommand, ValueEnum};

use vault::generate::DEFAULT_LENGTH;

#[derive(Parser)]
#[command(
    name = "vault",
    version,
    about = "A password vault for the terminal: one age-encrypted file that cron jobs read with keys of their own",
    long_about = "A password vault for the terminal: one age-encrypted file that cron jobs read with keys of their own.\n\nWith no command, vault opens its terminal interface.",
    after_help = "Exit codes: 0 ok, 1 other failure, 2 usage, 3 no such entry or field, 4 cannot decrypt, \
                  5 identity file refused, 6 vault unreadable, 7 vault busy or changed meanwhile, \
                  8 vault not written by a writer you trust, 10 audit found weak, reused, old or \
                  breached passwords."
)]
pub struct Cli {
    /// The vault file [default: $XDG_DATA_HOME/vault/vault.age]
    #[arg(long, global = true, env = "VAULT_FILE", value_name = "PATH")]
    pub vault: Option<PathBuf>,

    /// The identity (private key) file, or keyring:NAME for one in the OS credential store
    /// [default: $XDG_CONFIG_HOME/vault/identity]
    #[arg(long, global = true, env = "VAULT_IDENTITY", value_name = "PATH")]
    pub identity: Option<PathBuf>,

    /// Read the identity's passphrase (for init: the new one) from the first line of this
    /// file, which must be private (0600) or a pipe such as /dev/fd/3
    #[arg(long, global = true, value_name = "PATH")]
    pub passphrase_file: Option<PathBuf>,

    /// With no command: lock the terminal interface after this long without a key
    /// (e.g. 90s, 5m, 1h)
    #[arg(long, value_name = "DURATION", default_value = "5m", value_parser = humantime::parse_duration)]
    pub lock_after: std::time::Duration,

    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Subcommand)]
// A command's flags are built only when it is the one run: building all of them for every run
// (a job's `export` included) cost more than the export of a small vault.
#[command(defer = true)]
pub enum Command {
    /// Create your identity (unless --identity exists) and an empty vault encrypted to it
    Init {
        /// Store the new identity unencrypted (for a key only a service account can read)
        #[arg(long)]
        no_passphrase: bool,
    },

    /// Create a new unencrypted identity for a service account; print its public key
    #[command(group(ArgGroup::new("to").required(true).args(["output", "keyring"])))]
    Keygen {
        /// Where to write it (created 0600; never overwritten)
        #[arg(short, long, value_name = "FILE")]
        output: Option<PathBuf>,
        /// Keep it in the OS credential store instead (Windows Credential Manager, the Secret
        /// Service); read it back with --identity keyring:NAME
        #[arg(long, value_name = "NAME")]
        keyring: Option<String>,
        /// Accept only vaults signed by this writer key (vaultw1…, from `vault trust show`);
        /// repeatable. Written into the identity file as a `# vault-trust:` line
        #[arg(long, value_name = "KEY")]
        trust: Vec<String>,
    },

    /// Whose signed vaults you accept: your writer key, the trusted writers, and adopting a
    /// vault nobody you trust signed
    #[command(subcommand)]
    Trust(TrustCommand),

    /// List, add or remove who can decrypt the vault
    #[command(subcommand)]
    Recipients(RecipientsCommand),

    /// Keep your identity unlocked for later commands and jobs, as ssh-agent does
    /// (Unix only: not available on Windows)
    #[command(
        subcommand,
        long_about = "Keep your identity unlocked for later commands and jobs, as ssh-agent does.\n\n\
            Commands given no --identity (or one that does not exist) use the agent when it answers. \
            The socket is $VAULT_AGENT_SOCK, else $XDG_RUNTIME_DIR/vault/agent.sock, else \
            /run/user/$UID/vault/agent.sock when that directory exists, else /tmp/vault-$UID/agent.sock. \
            Only your own user can connect. Not available on Windows."
    )]
    Agent(AgentCommand),

    /// Entry names, one a line, sorted; or only those PATTERN selects
    #[command(
        after_help = "Examples:\n  vault list\n  vault list bank/      (the group bank, \
        subgroups too)\n  vault list 'db/*prod*'   (a glob: * any characters, / included; ? one)"
    )]
    List {
        /// GROUP/ for a group, a glob with * and ?, or a name (the entry and its group)
        #[arg(add = entry_names())]
        pattern: Option<String>,
        /// A JSON array with each entry's non-secret fields
        #[arg(long)]
        json: bool,
    },

    /// Find entries by a fuzzy TEXT over their names, usernames, URLs and tags, best first
    #[command(after_help = "Example:\n  vault find bnkchk      (finds bank/checking)")]
    Find {
        /// What you remember of it: letters in order, words separated by spaces
        text: String,
        /// A JSON array with each entry's non-secret fields, best first
        #[arg(long)]
        json: bool,
    },

    /// Show an entry (the password masked unless --reveal), or list a group (show bank/)
    Show {
        /// The entry's name (`/` makes groups: bank/checking), or a group
        #[arg(add = entry_names())]
        name: String,
        /// Show the password and the entry's own fields
        #[arg(long)]
        reveal: bool,
    },

    /// An entry's earlier passwords, newest first: number, date replaced, value masked unless
    /// --reveal; edit NAME --restore N brings one back
    History {
        /// The entry's name (`/` makes groups: bank/checking)
        #[arg(add = entry_names())]
        name: String,
        /// Show the passwords
        #[arg(long)]
        reveal: bool,
    },

    /// Add an entry; the password is asked twice, or read from the first line of stdin
    Add {
        /// The entry's name (`/` makes groups: bank/checking)
        name: String,
        #[command(flatten)]
        fields: EntryFields,
        /// Generate the password instead [default length: 24]
        #[arg(long, value_name = "LEN", num_args = 0..=1, default_missing_value = "24")]
        generate: Option<usize>,
        /// Also keep a TOTP key (a base32 secret or an otpauth://totp/ URI), asked on the
        /// terminal or read from the next line of stdin, after the password
        #[arg(long)]
        totp: bool,
    },

    /// Change an entry's fields
    Edit(EditArgs),

    /// Delete an entry (asks first on a terminal)
    Rm {
        /// The entry's name (`/` makes groups: bank/checking)
        #[arg(add = entry_names())]
        name: String,
        /// Do not ask
        #[arg(short, long)]
        yes: bool,
    },

    /// Print one field of an entry (default: password) for a script or a scheduled job; with
    /// --all, write every entry to a file, for leaving
    #[command(after_help = "Examples:\n  vault export bank\n  \
        vault export --all --format csv -o vault.csv   (every secret in plain text: remove it after use)")]
    Export {
        /// The entry's name (`/` makes groups: bank/checking)
        #[arg(required_unless_present = "all", add = entry_names())]
        name: Option<String>,
        /// Every entry, in --format json (the vault's own entries, history and all) or csv
        /// (Bitwarden's columns, which KeePassXC's CSV import also reads); needs -o FILE, or
        /// -o - for stdout
        #[arg(long, conflicts_with_all = ["name", "field", "no_newline"])]
        all: bool,
        /// Which field: username, password, url, notes, otp (the current TOTP code), or one of
        /// the entry's own
        #[arg(short, long, value_name = "FIELD")]
        field: Option<String>,
        /// raw: the value; json: the whole entry; env: NAME_FIELD='value' lines; with --all,
        /// json (the default) or csv [default: raw]
        #[arg(long, value_enum)]
        format: Option<ExportFormat>,
        /// No newline after the output
        #[arg(short = 'n', long = "no-newline")]
        no_newline: bool,
        /// With --format json: the entry's earlier passwords too (left out by default: a job
        /// needs the current one)
        #[arg(long)]
        history: bool,
        /// Write to a new 0600 file instead of stdout (replacing it atomically)
        #[arg(short, long, value_name = "FILE")]
        output: Option<PathBuf>,
    },

    /// Import entries from another password manager's export, in one save
    #[command(
        after_help = "Examples:\n  vault import bitwarden-json bitwarden_export.json --dry-run\n  \
        vault import keepass-xml Database.xml --group old/ --on-conflict skip\n  \
        vault import csv logins.csv --map title=Name,username=Login,password=Secret,url=Site\n  \
        vault import pass ~/.password-store\n\n\
        Folders become groups (Social/twitter.com). An export holds every secret in plain text: remove it afterwards."
    )]
    Import(ImportArgs),

    /// Run a command with entries' fields in its environment: NAME_USERNAME, NAME_PASSWORD,
    /// NAME_URL, NAME_NOTES, NAME_<FIELD> for the entry's own fields and NAME_OTP for its current
    /// TOTP code (names upper-cased, other characters _). The command replaces vault, so its exit
    /// code is vault's.
    #[command(
        after_help = "Examples:\n  vault exec bank -- ./fetch-statements.sh\n  \
        vault exec --env PGPASSWORD=db.password -- psql -h db.example -U app"
    )]
    Exec {
        /// Entries whose fields all become variables
        names: Vec<String>,
        /// Set VAR to one field of an entry instead (repeatable); FIELD may be otp
        #[arg(long = "env", value_name = "VAR=NAME.FIELD")]
        env: Vec<String>,
        /// Pass the command's output through vault with every secret it was given (all but
        /// usernames and URLs) replaced by <redacted>, line by line; vault then stays alive,
        /// with the secrets in its memory, until the command ends
        #[arg(long)]
        redact: bool,
        /// The command to run and its arguments, after --
        #[arg(last = true, required = true, value_name = "COMMAND")]
        command: Vec<std::ffi::OsString>,
    },

    /// Fill in a template: each {{ vault://NAME/FIELD }} becomes that field's value (the field
    /// is the part after the last /, so NAME may be a group path such as bank/checking)
    #[command(
        after_help = "A missing entry or field is exit 3, with nothing written anywhere.\n\n\
        Example:\n  vault inject -i app.conf.tpl -o app.conf"
    )]
    Inject {
        /// The template, or - for standard input
        #[arg(short, long, value_name = "TEMPLATE")]
        input: PathBuf,
        /// Write to a new 0600 file instead of stdout (replacing it atomically)
        #[arg(short, long, value_name = "FILE")]
        output: Option<PathBuf>,
    },

    /// Put one field of an entry (default: password) on the clipboard; it is cleared after
    /// --clear-after seconds (default 30) if the clipboard still holds it
    Copy {
        /// The entry's name (`/` makes groups: bank/checking)
        #[arg(add = entry_names())]
        name: String,
        /// Which field: username, password, url, notes, otp (the current TOTP code), totp (the
        /// key), or one of the entry's own
        #[arg(short, long, value_name = "FIELD")]
        field: Option<String>,
        /// Seconds until the clipboard is cleared, if it still holds the value; 0: never
        #[arg(long, value_name = "SECONDS", default_value_t = 30)]
        clear_after: u64,
        /// Where there is no clipboard (no X11 or Wayland display), send the value through the
        /// terminal instead (OSC 52); the terminal may keep it, and nothing clears it
        #[arg(long)]
        osc52: bool,
    },

    /// Find weak, reused, old and breached passwords: prints entry names and reasons, never a
    /// password or its hash; exit 10 when it finds something, 0 when not
    #[command(
        after_help = "weak: zxcvbn scores it below 3 of 4 (under about 10^8 guesses). old: unchanged \
        since the newest history entry, else since the entry was created. breached: its SHA-1 is \
        in the Pwned Passwords file (SHA1:COUNT lines sorted by hash, searched on disk, not loaded)."
    )]
    Audit(AuditArgs),

    /// Print a random password or passphrase
    Generate {
        /// Characters in the password
        #[arg(long, default_value_t = DEFAULT_LENGTH)]
        length: usize,
        /// A passphrase of this many words instead (EFF large wordlist)
        #[arg(long, value_name = "N", conflicts_with_all = ["length", "no_symbols"])]
        words: Option<usize>,
        /// Letters and digits only
        #[arg(long)]
        no_symbols: bool,
    },

    /// git as the sync engine: merge and diff the vault entry by entry
    #[command(subcommand)]
    Git(GitCommand),

    /// Commit the vault if it changed, pull (merging entry by entry), push
    Sync,

    /// The merge conflicts recorded in the vault: names and fields, never values
    Conflicts,

    /// Settle a recorded merge conflict
    #[command(group(ArgGroup::new("side").required(true).args(["ours", "theirs"])))]
    Resolve {
        /// The entry's name (`/` makes groups: bank/checking)
        name: String,
        /// Keep the vault's version as it stands
        #[arg(long)]
        ours: bool,
        /// Take the other side's version (ours goes to the password history)
        #[arg(long)]
        theirs: bool,
    },

    /// Merge another copy of this vault (a sync tool's conflict copy) in, by entry and time
    Merge {
        /// The other copy
        other: PathBuf,
    },

    /// Check the derived vaults of scoped recipients: missing, stale or extra files
    Check {
        /// Make them again (as any save does)
        #[arg(long)]
        fix: bool,
    },

    /// Print the shell's completion script: commands, options, and entry names where they can
    /// be read without a prompt (an agent, or an identity without a passphrase)
    #[command(
        after_help = "Examples:\n  bash: echo 'source <(vault completions bash)' >> ~/.bashrc\n  \
        zsh:  echo 'source <(vault completions zsh)' >> ~/.zshrc\n  \
        fish: vault completions fish > ~/.config/fish/completions/vault.fish"
    )]
    Completions { shell: CompletionShell },

    /// Print the man page vault(1); with --dir, write it and a page for every command
    /// (vault-show(1), …) into DIR
    Man {
        /// Write every page here, as NAME.1 files (e.g. /usr/local/share/man/man1)
        #[arg(long, value_name = "DIR")]
        dir: Option<PathBuf>,
    },

    /// Owns a copied secret until it is cleared (started by copy; the secret comes on stdin)
    #[command(name = "clipboard-helper", hide = true)]
    ClipboardHelper { seconds: u64 },
}

#[derive(Subcommand, Clone, Copy)]
pub enum AgentCommand {
    /// Unlock the identity once and serve it in the background on a socket only you can use
    Start {
        /// Serve in this process instead (for a systemd user unit); SIGTERM or Ctrl-C stops it
        #[arg(long)]
        foreground: bool,
        /// Stop after this long without a request (e.g. 30m, 8h) [default: never]
        #[arg(long, value_name = "DURATION", value_parser = humantime::parse_duration)]
        idle_timeout: Option<std::time::Duration>,
        /// Serving for `start`, which waits for "ready" on stdout
        #[arg(long, hide = true)]
        detached: bool,
    },
    /// Stop the agent; the unlocked identity is wiped with it
    Stop,
    /// Whether an agent answers, and which keys it holds
    Status,
}

#[derive(Subcommand)]
pub enum RecipientsCommand {
    /// Who can decrypt the vault
    List,
    /// Let another key decrypt the vault (re-encrypts it)
    #[command(group(ArgGroup::new("source").required(true).args(["key", "file"])))]
    Add {
        /// An age public key (age1…) or an SSH public key (ssh-ed25519 …, ssh-rsa …)
        key: Option<String>,
        /// Read the key from a recipients file, or from an identity file's public key
        #[arg(short = 'R', long = "recipients-file", value_name = "FILE")]
        file: Option<PathBuf>,
        /// A label for it, such as cron@backup-host
        #[arg(long)]
        name: String,
        /// Grant it only these entries (names, or group globs such as 'bank/*'): it then reads
        /// a derived vault of its own, VAULT.d/NAME.age, and cannot open the main vault
        #[arg(long, value_name = "PATTERN", num_args = 1..)]
        only: Option<Vec<String>>,
        /// Make its derived vault readable by this Unix group (0640), so a job's own user
        /// reads it while the main vault stays private
        #[arg(long, value_name = "GROUP", requires = "only")]
        group: Option<String>,
    },
    /// Stop encrypting to a recipient (your own last key is refused)
    Remove { name: String },
    /// Change what a recipient is granted: entry names or group globs, or --all
    #[command(group(ArgGroup::new("grant").required(true).args(["patterns", "all"])))]
    Scope {
        /// The recipient's name in vault recipients list
        name: String,
        /// Entry names or group globs such as 'bank/*'
        patterns: Vec<String>,
        /// Grant everything again: it reads the main vault
        #[arg(long, conflicts_with = "group")]
        all: bool,
        /// Make its derived vault readable by this Unix group (0640)
        #[arg(long, value_name = "GROUP")]
        group: Option<String>,
    },
}

#[derive(Subcommand)]
pub enum GitCommand {
    /// Make git merge and diff the vault through vault (.gitattributes, the drivers in the
    /// repository's config, ignores for .bak and .lock); running it again changes nothing
    Setup,
    /// git's merge driver (merge.vault.driver): BASE OURS THEIRS PATH
    #[command(name = "merge-driver")]
    MergeDriver {
        base: PathBuf,
        ours: PathBuf,
        theirs: PathBuf,
        path: String,
    },
    /// git's merge driver for derived vaults: keeps ours; vault sync makes them again
    #[command(name = "merge-derived", hide = true)]
    MergeDerived {
        base: PathBuf,
        ours: PathBuf,
        theirs: PathBuf,
        path: String,
    },
    /// git's textconv (diff.vault.textconv): names and non-secret fields; for a secret, only
    /// that it changed
    #[command(name = "diff-text")]
    DiffText { file: PathBuf },
}

#[derive(Subcommand)]
pub enum TrustCommand {
    /// Print your writer key (vaultw1…), for another operator's trust add or a job's
    /// keygen --trust
    Show,
    /// The writers whose signed vaults you accept
    List,
    /// Accept vaults signed by another operator's writer key
    Add {
        /// Their writer key, as their vault trust show prints it
        key: String,
        /// A label for it, such as alice@laptop
        #[arg(long)]
        name: String,
    },
    /// Stop accepting vaults signed by a writer
    Remove {
        /// The writer's name (or key) in vault trust list
        name: String,
    },
    /// Show who signed the vault and whom it is encrypted to, then sign it as yours: how you
    /// adopt a vault made by hand or written before vaults were signed
    Accept {
        /// Do not ask
        #[arg(short, long)]
        yes: bool,
    },
}

#[derive(Args)]
pub struct AuditArgs {
    /// A password unchanged for longer than this is old (e.g. 90d, 1y)
    #[arg(long, value_name = "DURATION", default_value = "180d", value_parser = humantime::parse_duration)]
    pub older_than: std::time::Duration,
    /// The Pwned Passwords SHA-1 file (ordered by hash) to look each password up in
    #[arg(long, value_name = "FILE")]
    pub hibp: Option<PathBuf>,
    /// A JSON array: name, findings, reused_with, age_days, breach_count
    #[arg(long)]
    pub json: bool,
}

/// The shells `vault completions` writes for.
#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CompletionShell {
    Bash,
    Zsh,
    Fish,
    Elvish,
    #[value(name = "powershell")]
    PowerShell,
}

/// Entry names for a shell's completion, read only where no prompt is needed.
fn entry_names() -> clap_complete::ArgValueCompleter {
    clap_complete::ArgValueCompleter::new(super::complete::entry_names)
}

#[derive(Args)]
#[command(group(ArgGroup::new("changes").required(true).multiple(true)
    .args(["username", "url", "notes", "field", "tag", "password", "generate", "restore",
           "rename", "totp", "remove_totp", "remove_field", "untag"])))]
pub struct EditArgs {
    /// The entry's name (`/` makes groups: bank/checking)
    #[arg(add = entry_names())]
    pub name: String,
    #[command(flatten)]
    pub fields: EntryFields,
    /// Set a new password, asked twice or read from the first line of stdin
    #[arg(long, conflicts_with_all = ["generate", "restore"])]
    pub password: bool,
    /// Make earlier password N (as vault history numbers them) the password again; the
    /// current one goes to the history
    #[arg(long, value_name = "N", conflicts_with = "generate")]
    pub restore: Option<usize>,
    /// Forget one of the entry's own fields (repeatable)
    #[arg(long, value_name = "KEY")]
    pub remove_field: Vec<String>,
    /// Take a tag off (repeatable)
    #[arg(long, value_name = "TAG")]
    pub untag: Vec<String>,
    /// Set a new generated password [default length: 24]
    #[arg(long, value_name = "LEN", num_args = 0..=1, default_missing_value = "24")]
    pub generate: Option<usize>,
    /// Give the entry a new name
    #[arg(long, value_name = "NEW")]
    pub rename: Option<String>,
    /// Set a new TOTP key, asked on the terminal or read from the next line of stdin
    #[arg(long)]
    pub totp: bool,
    /// Forget the entry's TOTP key
    #[arg(long, conflicts_with = "totp")]
    pub remove_totp: bool,
}

#[derive(Args)]
pub struct EntryFields {
    /// The entry's username
    #[arg(long, value_name = "USER")]
    pub username: Option<String>,
    /// The entry's URL
    #[arg(long)]
    pub url: Option<String>,
    /// Notes (an argument, so visible in ps: put secret notes in with the interface)
    #[arg(long, value_name = "TEXT")]
    pub notes: Option<String>,
    /// Set one of the entry's own fields (repeatable); each value is asked twice on the
    /// terminal or read from the next line of stdin, after the password and the TOTP key
    #[arg(long, value_name = "KEY")]
    pub field: Vec<String>,
    /// Add a tag (repeatable)
    #[arg(long, value_name = "TAG")]
    pub tag: Vec<String>,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ExportFormat {
    Raw,
    Json,
    Env,
    Csv,
}

#[derive(Args)]
pub struct ImportArgs {
    /// The source's format
    #[arg(value_enum)]
    pub format: ImportFormat,
    /// The export file; for pass and passage, the store's directory
    pub source: PathBuf,
    /// Print what would be imported, and write nothing
    #[arg(long)]
    pub dry_run: bool,
    /// Put every imported entry under this group (e.g. old/)
    #[arg(long, value_name = "PREFIX/")]
    pub group: Option<String>,
    /// When a name is taken (in the vault, or by an earlier entry of the source):
    /// skip the newcomer, rename it "NAME (2)", or overwrite (the old password goes to the
    /// history)
    #[arg(long, value_enum, default_value_t = OnConflictArg::Rename)]
    pub on_conflict: OnConflictArg,
    /// For the csv format: which column holds each field, by header name
    #[arg(long, value_name = "FIELD=COLUMN,…")]
    pub map: Option<String>,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ImportFormat {
    /// Bitwarden's .json export (not the encrypted one)
    BitwardenJson,
    /// Bitwarden's .csv export
    BitwardenCsv,
    /// KeePass 2's "KeePass XML (2.x)" export
    KeepassXml,
    /// KeePassXC's CSV export
    KeepassxcCsv,
    /// 1Password's .1pux export
    #[value(name = "1password-1pux")]
    OnePassword1pux,
    /// 1Password's CSV export
    #[value(name = "1password-csv")]
    OnePasswordCsv,
    /// Chrome's (or Edge's, Brave's) password CSV
    ChromeCsv,
    /// Firefox's password CSV
    FirefoxCsv,
    /// Any CSV, with --map
    Csv,
    /// vault export --all --format json, or a vault decrypted with age -d
    VaultJson,
    /// A pass store (a directory), decrypted with gpg
    Pass,
    /// A passage store (a directory), decrypted with the identities in
    /// $PASSAGE_IDENTITIES_FILE [default: ~/.passage/identities]
    Passage,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OnConflictArg {
    Skip,
    Rename,
    Overwrite,
}
