//! The whole read path of a job: age decryption with a known key, then the document.
#![no_main]

use std::path::Path;
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use vault::document::Document;
use vault::identity::{Identity, parse_age};
use vault::lookup::find_entry;

/// The corpus's vaults are encrypted to this key (a key for fuzzing only).
const KEY: &str = "AGE-SECRET-KEY-1FK3D90ZSUGZTCCH86E3FULGZAQCXDA4G6NDPRUPT80V0WTV3MN7SQCM6SJ";

fn identity() -> &'static Identity {
    static IDENTITY: OnceLock<Identity> = OnceLock::new();
    IDENTITY.get_or_init(|| parse_age(Path::new("fuzz"), KEY).expect("the fuzzing key"))
}

fuzz_target!(|data: &[u8]| {
    if let Ok(plaintext) = vault::crypto::decrypt(data, identity().keys()) {
        let _ = Document::parse(&plaintext);
        let _ = find_entry(&plaintext, "bank");
    }
});
