//! Identity files of every kind (age identities, `age -p` files, OpenSSH keys): parsing never
//! panics. No passphrase is given: scrypt's and bcrypt's work factors come from the file, so
//! fuzzing key derivation would only measure how long a made-up work factor takes.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = vault::identity::parse(Path::new("fuzz"), data, &mut |_, _| Ok(None));
});
