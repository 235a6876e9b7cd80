//! The code a job's read runs is linked ahead of the rest (build.rs, layout/hot.ld), so an
//! `export` faults in that code and not 64 KiB around each function scattered over the binary.

use std::process::Command;

use crate::common::BIN;

/// Where `section` starts and ends in `readelf -SW`'s table.
fn section(table: &str, section: &str) -> (u64, u64) {
    let line = table
        .lines()
        .find(|line| line.split_whitespace().any(|word| word == section))
        .unwrap_or_else(|| panic!("no {section} section:\n{table}"));
    let words: Vec<&str> = line.split_whitespace().collect();
    let at = words.iter().position(|word| *word == section).unwrap();
    // [Nr] Name Type Address Off Size ...
    let hex = |i: usize| u64::from_str_radix(words[at + i], 16).unwrap();
    (hex(2), hex(2) + hex(4))
}

fn output(program: &str, args: &[&str]) -> String {
    let out = Command::new(program).args(args).output().unwrap();
    assert!(out.status.success(), "{program} {args:?} failed");
    String::from_utf8(out.stdout).unwrap()
}

/// The address of the function whose mangled name starts with `prefix`.
fn address(symbols: &str, prefix: &str) -> u64 {
    symbols
        .lines()
        .find_map(|line| {
            let mut words = line.split_whitespace();
            let (address, kind, name) = (words.next()?, words.next()?, words.next()?);
            (matches!(kind, "t" | "T") && name.starts_with(prefix))
                .then(|| u64::from_str_radix(address, 16).unwrap())
        })
        .unwrap_or_else(|| panic!("no function {prefix}…"))
}

#[test]
// Set by build.rs when it hands the linker the list (Linux, glibc, GNU ld or lld).
#[cfg(hot_layout)]
fn the_code_export_runs_is_linked_first() {
    // nm says "no symbols" (on stderr) of a stripped binary.
    let symbols = Command::new("nm")
        .args(["--defined-only", BIN])
        .output()
        .unwrap();
    let symbols = String::from_utf8(symbols.stdout).unwrap();
    if symbols.is_empty() {
        eprintln!("the binary has no symbols (a stripped build): nothing to look at");
        return;
    }
    let table = output("readelf", &["-SW", BIN]);
    let hot = section(&table, ".text.hot");
    let rest = section(&table, ".text");
    assert!(hot.1 <= rest.0, "the hot code is not ahead of the rest");
    let inside = |prefix: &str| (hot.0..hot.1).contains(&address(&symbols, prefix));
    // What every export runs: the command itself and the decryption feeding its scan.
    for prefix in [
        "_ZN5vault3cli6export3run",
        "_ZN5vault6crypto14decrypt_stream",
    ] {
        assert!(inside(prefix), "{prefix}… is not with the hot code");
    }
    // What it never runs stays out of the way: the terminal interface.
    assert!(!inside("_ZN5vault3tui10event_loop"));
}
