//! In-process costs on a 10,000-entry vault: decrypting, parsing, finding one entry, and the
//! terminal interface's first frame and filter keystroke (each must fit a 16 ms frame).
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
    FIXTURE.get_or_init(|| {
        let new = identity::generate();
        let identity =
            identity::parse_age(std::path::Path::new("key.txt"), new.file_text.expose()).unwrap();
        let mut doc = Document::new(vec![]);
        let prefixes = [
            "bank", "mail", "db", "api", "vpn", "ftp", "cloud", "shop", "wifi", "git",
        ];
        for i in 0..N {
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
    })
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

/// A frame of the main screen with nothing changed (what a resize or a tick costs).
#[divan::bench]
fn tui_redraw_10k(bencher: Bencher) {
    let f = fixture();
    let doc = Document::parse(&f.plaintext).unwrap();
    let app = App::opened(paths(), Duration::from_secs(300), f.identity.clone(), doc);
    bencher.bench_local(|| frame(&app));
}
