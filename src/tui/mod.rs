//! The terminal interface, `vault` with no command: The Elm Architecture. `App` holds the
//! state and `App::update` alone changes it; `view::draw` only draws; slow work runs on worker
//! threads and comes back as messages. This module owns the terminal and the loop.

mod app;
mod effects;
mod filter;
mod form;
mod input;
mod keys;
mod recipients;
mod theme;
mod view;

use std::io::{IsTerminal, stdout};
use std::sync::atomic::Ordering;
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

use ratatui::DefaultTerminal;
use ratatui::crossterm::event::{
    self, DisableBracketedPaste, EnableBracketedPaste, Event, KeyEventKind,
};
use ratatui::crossterm::execute;

pub use app::{App, Msg};
pub use effects::Paths;

/// Draws one frame, as the loop does after every message (the benchmark draws through it).
#[allow(dead_code)] // the benchmark's way in (benches/inprocess.rs builds this module in)
pub fn draw(app: &App, frame: &mut ratatui::Frame) {
    view::draw(app, frame, theme::Theme::from_env());
}

use vault::error::{Error, Result};
use vault::os;
use vault::secret::Secret;

pub fn run(paths: &Paths, lock_after: Duration, passphrase: Option<Secret>) -> Result<()> {
    if !stdout().is_terminal() || !std::io::stdin().is_terminal() {
        return Err(Error::Usage(
            "the terminal interface needs a terminal; vault --help lists the commands".into(),
        ));
    }
    let stop = os::termination_flag();
    // Alternate screen and raw mode, with a panic hook that puts the terminal back first.
    let mut terminal =
        ratatui::try_init().map_err(|e| Error::io("cannot start the terminal interface", e))?;
    execute!(stdout(), EnableBracketedPaste).ok();
    let result = event_loop(&mut terminal, paths, lock_after, passphrase, &stop);
    execute!(stdout(), DisableBracketedPaste).ok();
    ratatui::restore();
    result
}

fn event_loop(
    terminal: &mut DefaultTerminal,
    paths: &Paths,
    lock_after: Duration,
    passphrase: Option<Secret>,
    stop: &std::sync::atomic::AtomicBool,
) -> Result<()> {
    let theme = theme::Theme::from_env();
    let (done_tx, done_rx) = mpsc::channel();
    let mut app = App::new(paths.clone(), lock_after);
    let mut pending = app.start(passphrase);
    let mut workers = Vec::new();
    let drawn = loop {
        for effect in pending.drain(..) {
            // The escape sequence goes out between frames, from the thread that draws them.
            if let effects::Effect::Osc52(_) = effect {
                effects::run(effect, paths);
                continue;
            }
            let (tx, paths) = (done_tx.clone(), paths.clone());
            workers.push(thread::spawn(move || {
                if let Some(done) = effects::run(effect, &paths) {
                    tx.send(done).ok();
                }
            }));
        }
        if let Err(e) = terminal.draw(|frame| view::draw(&app, frame, theme)) {
            break Err(Error::io("cannot draw", e));
        }
        if app.quit || stop.load(Ordering::Relaxed) {
            break Ok(());
        }
        // Short waits while a worker runs, so its result shows at once.
        let wait = if app.busy.is_some() {
            Duration::from_millis(20)
        } else {
            Duration::from_millis(250)
        };
        let msg = match event::poll(wait) {
            Ok(true) => match event::read() {
                Ok(Event::Key(key)) if key.kind != KeyEventKind::Release => Some(Msg::Key(key)),
                Ok(Event::Paste(text)) => Some(Msg::Paste(text)),
                Ok(_) => None,
                Err(e) => break Err(Error::io("cannot read the terminal", e)),
            },
            Ok(false) => Some(Msg::Tick),
            Err(e) => break Err(Error::io("cannot read the terminal", e)),
        };
        while let Ok(done) = done_rx.try_recv() {
            pending.extend(app.update(Msg::Done(done)));
        }
        if let Some(msg) = msg {
            pending.extend(app.update(msg));
        }
    };
    // Decrypted data goes now; a save under way still finishes, so no change stops halfway.
    drop(app);
    for worker in workers {
        worker.join().ok();
    }
    drawn
}
