//! Links the code a job's read runs (`export`, `exec`, `list`) together at the start of the
//! binary's text, in the order `layout/hot.ld` names it (made by `scripts/hot-code.sh`).
//!
//! Scattered over 6 MB of text, that code made a run fault in 3.5 MiB of it, 64 KiB around each
//! function it touched: most of `export`'s peak memory, and most of what it took beyond the
//! decryption itself on a small vault.
//!
//! The script only groups sections: a name it lists that the build does not have (renamed,
//! inlined, another compiler) matches nothing, and the code stays where it was. Linux with
//! glibc only, linked by GNU ld or lld (rustc's default there); `VAULT_PLAIN_LAYOUT=1` leaves
//! the layout to the linker.

use std::env;
use std::fs;
use std::path::Path;

fn main() {
    let manifest = env::var("CARGO_MANIFEST_DIR").expect("set by cargo");
    let script = Path::new(&manifest).join("layout/hot.ld");
    println!("cargo::rerun-if-changed={}", script.display());
    println!("cargo::rerun-if-env-changed=VAULT_PLAIN_LAYOUT");
    println!("cargo::rerun-if-env-changed=CARGO_ENCODED_RUSTFLAGS");
    println!("cargo::rustc-check-cfg=cfg(hot_layout)");
    let linux_gnu = env::var("CARGO_CFG_TARGET_OS").as_deref() == Ok("linux")
        && env::var("CARGO_CFG_TARGET_ENV").as_deref() == Ok("gnu");
    // gold and mold do not read a script that only inserts a section.
    let linker = [
        env::var("CARGO_ENCODED_RUSTFLAGS").unwrap_or_default(),
        env::var("RUSTC_LINKER").unwrap_or_default(),
    ];
    let other_linker = linker
        .iter()
        .any(|setting| setting.contains("mold") || setting.contains("gold"));
    let plain = env::var_os("VAULT_PLAIN_LAYOUT").is_some_and(|value| value != "0");
    // Without its INSERT line a script would replace the linker's own layout: never pass one
    // that is cut short.
    let whole = fs::read_to_string(&script).is_ok_and(|text| text.contains("INSERT BEFORE .text;"));
    if linux_gnu && !other_linker && !plain && whole {
        for arg in ["-Xlinker", "-T", "-Xlinker", &script.display().to_string()] {
            println!("cargo::rustc-link-arg-bins={arg}");
        }
        println!("cargo::rustc-cfg=hot_layout");
    }
}
