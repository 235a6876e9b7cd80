//! Links the code a job's read runs (`export`, `exec`, `list`) together at the start of the
//! binary's text, in the order `layout/hot.ld` names it (made by `scripts/hot-code.sh`).
//!
//! Scattered over 6 MB of text, that code made a run fault in 3.5 MiB of it, 64 KiB around each
//! function it touched: most of `export`'s peak memory, and most of what it took beyond the
//! decryption itself on a small vault. Together it is under 1 MiB.
//!
//! The script only groups sections: a name it lists that the build does not have (renamed,
//! inlined, another compiler) matches nothing, and the code stays where it was.

use std::env;
use std::path::Path;

fn main() {
    let script =
        Path::new(&env::var("CARGO_MANIFEST_DIR").expect("set by cargo")).join("layout/hot.ld");
    println!("cargo:rerun-if-changed={}", script.display());
    println!("cargo:rerun-if-env-changed=CARGO_ENCODED_RUSTFLAGS");
    let linux_gnu = env::var("CARGO_CFG_TARGET_OS").as_deref() == Ok("linux")
        && env::var("CARGO_CFG_TARGET_ENV").as_deref() == Ok("gnu");
    // GNU ld and lld (rustc's default here) read a script that only inserts a section; gold
    // and mold do not.
    let flags = env::var("CARGO_ENCODED_RUSTFLAGS").unwrap_or_default();
    let other_linker = ["fuse-ld=gold", "fuse-ld=mold"]
        .iter()
        .any(|linker| flags.contains(linker));
    if linux_gnu && !other_linker && script.exists() {
        println!("cargo:rustc-link-arg-bins=-Wl,-T,{}", script.display());
    }
}
