//! The terminal interface, `vault` with no command: The Elm Architecture. `App` holds the
//! state and `App::update` alone changes it; each screen draws itself from it; slow work runs
//! on worker threads and comes back as messages. This module owns the terminal and the loop.
//!
//! One file a screen or popup, each with its state, its keys and its drawing: `unlock`,
//! `setup`, `list` (the main screen), `form`, `fields`, `history`, `conflicts`, `recipients`,
//! `confirm`, `help`, `untrusted`, `prompt` (a plugin's question). `keys` is the one key table.

mod app;
mod confirm;
mod conflicts;
// Public for the benchmark, which opens a vault as the interface does.
pub mod effects;
mod fields;
mod filter;
mod form;
mod help;
mod history;
mod input;
mod keys;
mod list;
mod prompt;
mod recipients;
mod setup;
mod theme;
mod unlock;
mod untrusted;
mod view;
mod widgets;

#[cfg(test)]
mod screenshot;
#[cfg(test)]
mod tests;

use std::io::{IsTerminal, stdout};
use std::sync::atomic::Ordering;
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use ratatui::DefaultTerminal;
use ratatui::crossterm::event::{
    self, DisableBracketedPaste, DisableMouseCapture, EnableBracketedPaste, EnableMouseCapture,
    Event, KeyEventKind, MouseEventKind,
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
    // A plugin's questions come to the loop as dialogs, from whichever worker decrypts.
    let (questions_tx, questions) = mpsc::channel();
    vault::crypto::set_plugin_prompts(std::sync::Arc::new(prompt::Channel(questions_tx)));
    // Alternate screen and raw mode, with a panic hook that puts the terminal back first.
    let mut terminal =
        ratatui::try_init().map_err(|e| Error::io("cannot start the terminal interface", e))?;
    let restore_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        execute!(stdout(), DisableMouseCapture, DisableBracketedPaste).ok();
        restore_hook(info);
    }));
    execute!(stdout(), EnableBracketedPaste, EnableMouseCapture).ok();
    let result = event_loop(
        &mut terminal,
        paths,
        lock_after,
        passphrase,
        questions,
        &stop,
    );
    execute!(stdout(), DisableMouseCapture, DisableBracketedPaste).ok();
    // Blank the alternate screen before leaving it: after the window grew, some terminals
    // (tmux) keep the rows it gained, frame borders and all, on the normal screen.
    terminal.clear().ok();
    ratatui::restore();
    result
}

fn event_loop(
    terminal: &mut DefaultTerminal,
    paths: &Paths,
    lock_after: Duration,
    passphrase: Option<Secret>,
    questions: mpsc::Receiver<prompt::Request>,
    stop: &std::sync::atomic::AtomicBool,
) -> Result<()> {
    let theme = theme::Theme::from_env();
    let (done_tx, done_rx) = mpsc::channel();
    let mut app = App::new(paths.clone(), lock_after);
    if let Ok(size) = terminal.size() {
        app.update(Msg::Resize(size.width, size.height));
    }
    let mut pending = app.start(passphrase);
    let mut workers = Vec::new();
    let drawn = loop {
        while !pending.is_empty() {
            for effect in std::mem::take(&mut pending) {
                // Quick ones run here: the escape sequence goes out between frames, from the
                // thread that draws them; an answer to a plugin and a look at the file's
                // metadata take no time.
                if matches!(
                    effect,
                    effects::Effect::Osc52(_)
                        | effects::Effect::Answer(..)
                        | effects::Effect::Watch { .. }
                ) {
                    if let Some(done) = effects::run(effect, paths) {
                        pending.extend(app.update(Msg::Done(done)));
                    }
                    continue;
                }
                let (tx, paths) = (done_tx.clone(), paths.clone());
                workers.push(thread::spawn(move || {
                    if let Some(done) = effects::run(effect, &paths) {
                        tx.send(done).ok();
                    }
                }));
            }
        }
        workers.retain(|w: &thread::JoinHandle<()>| !w.is_finished());
        if let Err(e) = terminal.draw(|frame| view::draw(&app, frame, theme)) {
            break Err(Error::io("cannot draw", e));
        }
        if app.quit || stop.load(Ordering::Relaxed) {
            break Ok(());
        }
        // Short waits while a worker runs, so its result (or a plugin's question) shows at once.
        let wait = if app.busy.is_some() || !workers.is_empty() {
            Duration::from_millis(20)
        } else {
            Duration::from_millis(250)
        };
        let msg = match event::poll(wait) {
            Ok(true) => match event::read() {
                Ok(Event::Key(key)) if key.kind != KeyEventKind::Release => Some(Msg::Key(key)),
                Ok(Event::Paste(text)) => Some(Msg::Paste(text)),
                Ok(Event::Resize(width, height)) => Some(Msg::Resize(width, height)),
                Ok(Event::Mouse(mouse))
                    if matches!(
                        mouse.kind,
                        MouseEventKind::Down(_)
                            | MouseEventKind::ScrollDown
                            | MouseEventKind::ScrollUp
                    ) =>
                {
                    Some(Msg::Mouse(mouse))
                }
                Ok(_) => None,
                Err(e) => break Err(Error::io("cannot read the terminal", e)),
            },
            Ok(false) => None,
            Err(e) => break Err(Error::io("cannot read the terminal", e)),
        };
        pending.extend(app.update(Msg::Tick {
            at: Instant::now(),
            unix: vault::otp::now(),
        }));
        while let Ok(done) = done_rx.try_recv() {
            pending.extend(app.update(Msg::Done(done)));
        }
        while let Ok(question) = questions.try_recv() {
            pending.extend(app.update(Msg::Plugin(question)));
        }
        if let Some(msg) = msg {
            pending.extend(app.update(msg));
        }
    };
    // Decrypted data goes now (and with it any plugin's question still open: it is refused);
    // a save under way still finishes, so no change stops halfway.
    // With the receiver gone, a plugin asking now is refused at once, so every worker ends.
    drop(app);
    drop(questions);
    for worker in workers {
        worker.join().ok();
    }
    drawn
}
