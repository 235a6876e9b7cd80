//! `vault`: a password vault kept as one age-encrypted JSON document.
//!
//! The library knows nothing of terminals: the `vault` binary's command line and terminal
//! interface (`src/cli`, `src/tui`) are thin layers over it.

pub mod agent;
pub mod atomic;
pub mod audit;
pub mod change;
pub mod clipboard;
pub mod credential_store;
pub mod crypto;
pub mod derived;
pub mod document;
pub mod error;
pub mod generate;
pub mod identity;
pub mod import;
pub mod lookup;
pub mod merge;
pub mod os;
pub mod otp;
pub mod redact;
pub mod scan;
pub mod scope;
pub mod search;
pub mod secret;
pub mod signature;
pub mod splice;
pub mod store;
pub mod template;
pub mod text;
pub mod trust;
pub mod writer;

pub use error::Error;
