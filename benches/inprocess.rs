//! In-process costs on a 10,000-entry vault: decrypting, parsing, finding one entry, and the
//! terminal interface's first frame and filter keystroke (each must fit a 16 ms frame); and the
//! interface at 100,000 entries (`*_100k`: the list on screen within 3x `decrypt_100k`, a
//! filter keystroke under 16 ms).
//! `cargo bench --bench inprocess`; `benches/peers.sh` runs it too and records the figures.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use divan::Bencher;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::crossterm::event::{KeyCode, KeyEvent};
use vault::crypto::{self, AgeIdentity};
use vault::document::{Document, Entry};
use vault::identity::{self, Identity};
use vault::lookup;
use vault::secret::Secret;

// The interface belongs to the binary, not the library: the benchmark builds it in.
// Its own unit tests come along, unused here, when the benchmark is built in test mode.
#[path = "../src/tui/mod.rs"]
#[allow(dead_code, unused_imports)]
mod tui;
use tui::{App, Msg, Paths};

const N: usize = 10_000;

fn main() {
    divan::main();
}

struct Fixture {
    identity: Arc<Identity>,
    plaintext: Vec<u8>,
    ciphertext: Vec<u8>,
}

/// The shape of the peer benchmark's data: names like `bank-42`, a 20-character password,
/// a URL and ~100 characters of notes.
fn fixture() -> &'static Fixture {
    static FIXTURE: std::sync::OnceLock<Fixture> = std::sync::OnceLock::new();
    FIXTURE.get_or_init(|| build_fixture(N))
}

/// The same shape at 100,000 entries (issue 21's scale).
fn fixture_100k() -> &'static Fixture {
    static FIXTURE: std::sync::OnceLock<Fixture> = std::sync::OnceLock::new();
    FIXTURE.get_or_init(|| build_fixture(100_000))
}

fn build_fixture(n: usize) -> Fixture {
    {
        let new = identity::generate();
        let identity =
            identity::parse_age(std::path::Path::new("key.txt"), new.file_text.expose()).unwrap();
        let mut doc = Document::new(vec![]);
        let prefixes = [
            "bank", "mail", "db", "api", "vpn", "ftp", "cloud", "shop", "wifi", "git",
        ];
        for i in 0..n {
            let mut entry = Entry::new("2026-11-24T00:00:00Z");
            entry.username = format!("user{i}");
            entry.password = Secret::new(format!("{:0>20}", i * 7919));
            entry.url = format!("https://{}.example/{i}", prefixes[i % 10]);
            entry.notes = Secret::new(
                "rotate quarterly owner finance team ticket shared service account read only"
                    .repeat(2)[..100]
                    .to_owned(),
            );
            doc.entries
                .insert(format!("{}-{i}", prefixes[i % 10]), entry);
        }
        let plaintext = doc.to_json(0).to_vec();
        let (recipient, _) = crypto::parse_recipient(&new.recipient).unwrap();
        let ciphertext = crypto::encrypt(&plaintext, &[recipient]).unwrap();
        Fixture {
            identity: Arc::new(identity),
            plaintext,
            ciphertext,
        }
    }
}

fn keys(f: &Fixture) -> &[AgeIdentity] {
    f.identity.keys()
}

#[divan::bench]
fn decrypt_10k(bencher: Bencher) {
    let f = fixture();
    bencher.bench(|| crypto::decrypt(&f.ciphertext, keys(f)).unwrap());
}

#[divan::bench]
fn parse_whole_document_10k(bencher: Bencher) {
    let f = fixture();
    bencher.bench(|| Document::parse(&f.plaintext).unwrap());
}

#[divan::bench]
fn find_one_entry_10k(bencher: Bencher) {
    let f = fixture();
    bencher.bench(|| {
        lookup::find_entry(&f.plaintext, "bank-5000")
            .unwrap()
            .unwrap()
    });
}

fn paths() -> Paths {
    Paths {
        vault: PathBuf::from("vault.age"),
        identity: PathBuf::from("key.txt"),
        agent: None,
    }
}

fn frame(app: &App) -> Terminal<TestBackend> {
    let mut terminal = Terminal::new(TestBackend::new(80, 24)).unwrap();
    terminal.draw(|frame| tui::draw(app, frame)).unwrap();
    terminal
}

/// From the encrypted file in memory to the first frame on screen (the identity is a plain
/// one; a passphrase adds scrypt's ~0.5 s, off the interface's thread).
#[divan::bench]
fn tui_first_frame_10k(bencher: Bencher) {
    let f = fixture();
    bencher.bench(|| {
        let plaintext = crypto::decrypt(&f.ciphertext, keys(f)).unwrap();
        let doc = Document::parse(&plaintext).unwrap();
        let app = App::opened(paths(), Duration::from_secs(300), f.identity.clone(), doc);
        let terminal = frame(&app);
        // Returned, so their drop (long after the frame) is not timed.
        (app, terminal)
    });
}

/// One key typed into the filter over 10,000 entries: `update()` and the frame after it.
#[divan::bench]
fn tui_filter_keystroke_10k(bencher: Bencher) {
    let f = fixture();
    let doc = Document::parse(&f.plaintext).unwrap();
    bencher
        .with_inputs(|| {
            let mut app = App::opened(
                paths(),
                Duration::from_secs(300),
                f.identity.clone(),
                doc.clone(),
            );
            app.update(Msg::Key(KeyEvent::from(KeyCode::Char('/'))));
            app.update(Msg::Key(KeyEvent::from(KeyCode::Char('b'))));
            app
        })
        .bench_local_values(|mut app| {
            app.update(Msg::Key(KeyEvent::from(KeyCode::Char('5'))));
            frame(&app)
        });
}

/// Decrypting the 100,000-entry vault: what `rage -d` does, the yardstick of the first frame.
#[divan::bench(sample_count = 10)]
fn decrypt_100k(bencher: Bencher) {
    let f = fixture_100k();
    bencher.bench(|| crypto::decrypt(&f.ciphertext, keys(f)).unwrap());
}

/// From the vault file to the list on screen at 100,000 entries, read as the interface reads
/// it (decrypted on a second thread, hashed and indexed as it arrives, only the selected entry
/// parsed), while a worker parses the entries, as the event loop runs it (target: within 3x
/// `decrypt_100k`).
#[divan::bench(sample_size = 1, sample_count = 30)]
fn tui_first_frame_100k(bencher: Bencher) {
    let f = fixture_100k();
    let (_dir, store) = stored(f);
    bencher.bench(|| {
        let (app, effects) = open(&store, f);
        let workers = Workers(
            effects
                .into_iter()
                .map(|effect| std::thread::spawn(move || tui::effects::run(effect, &paths())))
                .collect(),
        );
        let terminal = frame(&app);
        // One run a sample: the worker is joined as the output is dropped, untimed, before
        // the next run starts.
        (app, terminal, workers)
    });
}

/// From the vault file to every entry parsed and in the interface (its list showed before).
#[divan::bench(sample_count = 10)]
fn tui_all_entries_100k(bencher: Bencher) {
    let f = fixture_100k();
    let (_dir, store) = stored(f);
    bencher.bench(|| {
        let (mut app, effects) = open(&store, f);
        for effect in effects {
            let done = tui::effects::run(effect, &paths()).unwrap();
            app.update(Msg::Done(done));
        }
        assert!(app.busy.is_none(), "the entries are all in");
        app
    });
}

/// A save from the interface at 100,000 entries: an entry added through the worker's path
/// (only that entry parsed, the others written back as they were), and the list brought up to
/// date with what was saved.
#[divan::bench(sample_count = 10)]
fn tui_save_100k(bencher: Bencher) {
    let f = fixture_100k();
    let (_dir, store) = adopted(f);
    let paths = Paths {
        vault: store.path().to_owned(),
        ..paths()
    };
    let doc = store.load(&f.identity).unwrap();
    let mut added = 0;
    bencher
        .with_inputs(|| {
            added += 1;
            let app = App::opened(
                paths.clone(),
                Duration::from_secs(300),
                f.identity.clone(),
                doc.clone(),
            );
            (app, new_entry(added))
        })
        .bench_local_values(|(mut app, (name, entry))| {
            let save = tui::effects::Effect::Save {
                identity: f.identity.clone(),
                change: vault::change::Change::Add { name, entry },
                select: None,
            };
            let done = tui::effects::run(save, &paths).unwrap();
            app.update(Msg::Done(done));
            assert!(app.status.as_ref().is_some_and(|s| !s.error));
            app
        });
}

/// The same add as `tui_save_100k`, through `Store::apply`: the whole vault parsed and written
/// anew (what a save from the interface cost before).
#[divan::bench(sample_count = 10)]
fn save_whole_100k(bencher: Bencher) {
    let f = fixture_100k();
    let (_dir, store) = adopted(f);
    let mut added = 0;
    bencher
        .with_inputs(|| {
            added += 1;
            new_entry(added)
        })
        .bench_local_values(|(name, entry)| {
            store
                .apply(&f.identity, vault::change::Change::Add { name, entry })
                .unwrap()
        });
}

/// The fixture's vault as a file signed by its own identity's writer key, as a save wants it.
fn adopted(f: &Fixture) -> (tempfile::TempDir, vault::store::Store) {
    let (dir, store) = stored(f);
    store
        .save_change(&f.identity, vault::change::Change::Adopt)
        .unwrap();
    (dir, store)
}

/// A new entry for a save, named after `n`.
fn new_entry(n: usize) -> (String, Entry) {
    let mut entry = Entry::new("2026-11-30T00:00:00Z");
    entry.username = format!("added{n}");
    entry.password = Secret::new(format!("{n:0>20}"));
    (format!("added-{n}"), entry)
}

/// The fixture's ciphertext as a vault file (in a directory gone with the first value).
fn stored(f: &Fixture) -> (tempfile::TempDir, vault::store::Store) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("vault.age");
    std::fs::write(&path, &f.ciphertext).unwrap();
    (dir, vault::store::Store::new(&path))
}

/// The vault as the interface's worker opens it, given to the interface; what it asks next.
fn open(store: &vault::store::Store, f: &Fixture) -> (App, Vec<tui::effects::Effect>) {
    let (doc, rest, _signed) = tui::effects::first_look(store, &f.identity).unwrap();
    let mut app = App::new(paths(), Duration::from_secs(300));
    let effects = app.update(Msg::Done(tui::effects::Done::Opened(Ok(
        tui::effects::Opened {
            identity: f.identity.clone(),
            protected: false,
            file: None,
            doc: Some(doc),
            rest,
            untrusted: None,
        },
    ))));
    (app, effects)
}

/// Workers, joined when dropped.
struct Workers(Vec<std::thread::JoinHandle<Option<tui::effects::Done>>>);

impl Drop for Workers {
    fn drop(&mut self) {
        for worker in self.0.drain(..) {
            worker.join().unwrap();
        }
    }
}

/// The first key typed into the filter at 100,000 entries (every entry scored), and the frame.
#[divan::bench(sample_count = 20)]
fn tui_filter_first_keystroke_100k(bencher: Bencher) {
    let f = fixture_100k();
    let doc = Document::parse(&f.plaintext).unwrap();
    bencher
        .with_inputs(|| {
            let mut app = App::opened(
                paths(),
                Duration::from_secs(300),
                f.identity.clone(),
                doc.clone(),
            );
            app.update(Msg::Key(KeyEvent::from(KeyCode::Char('/'))));
            app
        })
        .bench_local_values(|mut app| {
            app.update(Msg::Key(KeyEvent::from(KeyCode::Char('b'))));
            let terminal = frame(&app);
            // Returned, so dropping 100,000 entries (each secret wiped) is not timed.
            (app, terminal)
        });
}

/// A further key typed into the filter at 100,000 entries (target: under 16 ms).
#[divan::bench(sample_count = 20)]
fn tui_filter_keystroke_100k(bencher: Bencher) {
    let f = fixture_100k();
    let doc = Document::parse(&f.plaintext).unwrap();
    bencher
        .with_inputs(|| {
            let mut app = App::opened(
                paths(),
                Duration::from_secs(300),
                f.identity.clone(),
                doc.clone(),
            );
            app.update(Msg::Key(KeyEvent::from(KeyCode::Char('/'))));
            app.update(Msg::Key(KeyEvent::from(KeyCode::Char('b'))));
            app
        })
        .bench_local_values(|mut app| {
            app.update(Msg::Key(KeyEvent::from(KeyCode::Char('5'))));
            let terminal = frame(&app);
            (app, terminal)
        });
}

/// Where the first frame's time goes at 100,000 entries: the parse of the decrypted document…
#[divan::bench(sample_count = 10)]
fn parse_100k(bencher: Bencher) {
    let f = fixture_100k();
    bencher.bench(|| Document::parse(&f.plaintext).unwrap());
}

/// …and the interface's own share: the list (groups, rows) and the frame.
#[divan::bench(sample_count = 10)]
fn tui_open_parsed_100k(bencher: Bencher) {
    let f = fixture_100k();
    let doc = Document::parse(&f.plaintext).unwrap();
    bencher
        .with_inputs(|| doc.clone())
        .bench_local_values(|doc| {
            let app = App::opened(paths(), Duration::from_secs(300), f.identity.clone(), doc);
            let terminal = frame(&app);
            (app, terminal)
        });
}

/// A frame of the main screen with nothing changed (what a resize or a tick costs).
#[divan::bench]
fn tui_redraw_10k(bencher: Bencher) {
    let f = fixture();
    let doc = Document::parse(&f.plaintext).unwrap();
    let app = App::opened(paths(), Duration::from_secs(300), f.identity.clone(), doc);
    bencher.bench_local(|| frame(&app));
}

/// A Bitwarden JSON export of 10,000 logins in 10 folders, shaped like the vault above.
fn bitwarden_export_10k() -> &'static [u8] {
    static EXPORT: std::sync::OnceLock<Vec<u8>> = std::sync::OnceLock::new();
    EXPORT.get_or_init(|| {
        let folders: Vec<serde_json::Value> = (0..10)
            .map(|i| serde_json::json!({"id": format!("folder-{i}"), "name": format!("group{i}")}))
            .collect();
        let items: Vec<serde_json::Value> = (0..N)
            .map(|i| {
                serde_json::json!({
                    "id": format!("item-{i}"), "folderId": format!("folder-{}", i % 10), "type": 1,
                    "name": format!("site-{i}"), "notes": "rotate quarterly owner finance team ticket shared service account read only rotate quarterly owner finance",
                    "fields": [{"name": "pin", "value": format!("{i:04}"), "type": 1}],
                    "login": {"username": format!("user{i}"), "password": format!("{:0>20}", i * 7919),
                              "uris": [{"uri": format!("https://site-{i}.example/login")}], "totp": null},
                    "revisionDate": "2026-11-24T00:00:00.000Z", "creationDate": "2026-11-24T00:00:00.000Z",
                    "deletedDate": null
                })
            })
            .collect();
        serde_json::to_vec(&serde_json::json!({"encrypted": false, "folders": folders, "items": items}))
            .unwrap()
    })
}

/// An empty vault on disk, with the identity that writes it.
fn empty_vault() -> (tempfile::TempDir, vault::store::Store, Identity) {
    let dir = tempfile::tempdir().unwrap();
    let new = identity::generate();
    let identity =
        identity::parse_age(std::path::Path::new("key.txt"), new.file_text.expose()).unwrap();
    let store = vault::store::Store::new(dir.path().join("vault.age"));
    store.create_for(&identity).unwrap();
    (dir, store, identity)
}

fn import_into(store: &vault::store::Store, identity: &Identity) {
    use vault::import;
    let parsed = import::parse(
        import::FileFormat::BitwardenJson,
        std::path::Path::new("export.json"),
        bitwarden_export_10k(),
        None,
    )
    .unwrap();
    let (entries, _) = import::name_items(parsed.items, "");
    store
        .apply(
            identity,
            vault::change::Change::Import {
                entries,
                on_conflict: import::OnConflict::Rename,
                now: "2026-11-24T00:00:00Z".into(),
                report: None,
            },
        )
        .unwrap();
}

/// `vault import bitwarden-json` of 10,000 items into an empty vault: parse the export, name
/// the entries, then one locked read-merge-save of the result (what the command does after
/// reading the file).
#[divan::bench(sample_count = 20)]
fn import_bitwarden_10k(bencher: Bencher) {
    bencher
        .with_inputs(empty_vault)
        .bench_local_values(|(dir, store, identity)| {
            import_into(&store, &identity);
            (dir, store, identity)
        });
}

/// One save of the vault that import leaves (10,000 entries): what `vault add` costs there,
/// the yardstick for the import above.
#[divan::bench(sample_count = 20)]
fn one_save_after_import_10k(bencher: Bencher) {
    bencher
        .with_inputs(|| {
            let (dir, store, identity) = empty_vault();
            import_into(&store, &identity);
            (dir, store, identity)
        })
        .bench_local_values(|(dir, store, identity)| {
            let mut entry = Entry::new("2026-11-24T00:00:00Z");
            entry.password = Secret::from("one more");
            store
                .apply(
                    &identity,
                    vault::change::Change::Add {
                        name: "one-more".into(),
                        entry,
                    },
                )
                .unwrap();
            (dir, store, identity)
        });
}

/// Three copies of the 10,000-entry vault for a merge: the base, ours with 100 passwords
/// changed, theirs with 100 others changed; each signed by the identity, as git holds them.
fn merge_copies() -> (tempfile::TempDir, Identity, [std::path::PathBuf; 3]) {
    let (dir, store, identity) = empty_vault();
    import_into(&store, &identity);
    let base = store.load(&identity).unwrap();
    let paths = ["base.age", "ours.age", "theirs.age"].map(|name| dir.path().join(name));
    let names: Vec<String> = base.entries.keys().cloned().collect();
    for (path, changed) in paths.iter().zip([0..0, 0..100, 100..200]) {
        let mut doc = base.clone();
        for name in &names[changed] {
            let entry = doc.entries.get_mut(name).unwrap();
            entry.set_password(
                Secret::new(format!("{name} changed")),
                "2026-11-25T00:00:00Z",
            );
        }
        vault::store::Store::write_copy(&mut doc, &identity, path).unwrap();
    }
    (dir, identity, paths)
}

/// `vault git merge-driver` on two 10,000-entry vaults with 100 changes on each side: three
/// decrypts and parses, the merge, one signed write. The yardstick is one save, above.
#[divan::bench(sample_count = 20)]
fn merge_driver_10k_100_changes_each(bencher: Bencher) {
    use vault::store::Store;
    bencher.with_inputs(merge_copies).bench_local_values(
        |(dir, identity, [base, ours, theirs])| {
            let base_doc = Store::new(&base).load_trusted(&identity).ok();
            let ours_doc = Store::new(&ours).load_trusted(&identity).unwrap();
            let theirs_doc = Store::new(&theirs).load_trusted(&identity).unwrap();
            let mut merged =
                vault::merge::three_way(base_doc.as_ref(), ours_doc, &theirs_doc, "now");
            assert_eq!(merged.conflicts, 0);
            Store::write_copy(&mut merged.doc, &identity, &ours).unwrap();
            (dir, identity, [base, ours, theirs])
        },
    );
}
