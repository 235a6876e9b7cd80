//! The real `vault` binary on real files, as a user and a cron job meet it.
// The Unix binary on Unix files; tests/windows runs the Windows one under wine.
#![cfg(unix)]

mod agent;
mod audit;
mod clipboard;
mod common;
mod crash;
mod credentials;
mod entries;
mod errors;
mod everyday;
mod exec;
mod export;
mod git;
mod hostile;
mod hygiene;
mod import;
mod inject;
mod interop;
mod keys;
mod layout;
mod lock_file;
mod plugins;
mod recipients;
mod redact;
mod scopes;
mod terminal;
mod totp;
mod trust;
mod tui;
mod writers;
#[path = "../support/x11.rs"]
mod x11;
