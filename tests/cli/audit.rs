//! audit: each kind of finding, by name and reason only; exit 10 when there is one.

use std::fmt::Write as _;
use std::fs;
use std::io::{BufWriter, Write as _};

use sha1::{Digest, Sha1};

use crate::common::*;

const STRONG: &str = "vT9#qLw2!zR7@mK4$xPe";
const REUSED: &str = "Gq8%hN3^bW6&yD1*cJ5s";
const OLD: &str = "Lp4)fZ9(kS2_nX7+uA0r";
const BREACHED: &str = "Yt6]eM1[oH8{iC3}gV5w";

fn sha1_hex(password: &str) -> String {
    Sha1::digest(password.as_bytes())
        .iter()
        .fold(String::new(), |mut hex, b| {
            write!(hex, "{b:02X}").unwrap();
            hex
        })
}

fn with_findings() -> Sandbox {
    let s = Sandbox::init();
    let now = humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string();
    s.write_vault_with_age(&format!(
        r#"{{"recipients": [{{"name": "operator", "key": "{key}"}}],
            "entries": {{
              "fine": {{"password": "{STRONG}", "created": "{now}"}},
              "mail/weak": {{"username": "dustin", "password": "dustin2024", "created": "{now}"}},
              "shop/a": {{"password": "{REUSED}", "created": "{now}"}},
              "shop/b": {{"password": "{REUSED}", "created": "{now}"}},
              "old": {{"password": "{OLD}", "created": "2019-01-01T00:00:00Z",
                       "history": [{{"password": "x", "until": "2020-01-01T00:00:00Z"}}]}},
              "rotated": {{"password": "{OLD}x", "created": "2019-01-01T00:00:00Z",
                       "history": [{{"password": "y", "until": "{now}"}}]}},
              "breached": {{"password": "{BREACHED}", "created": "{now}"}},
              "no-password": {{"username": "u", "created": "2019-01-01T00:00:00Z"}}
            }}}}"#,
        key = age_keygen_y(&s.key())
    ));
    s
}

/// A Pwned Passwords file of 300,000 sorted lines, with the breached password's hash among
/// them (and, in lower case, nothing of ours else).
fn pwned_file(s: &Sandbox) -> std::path::PathBuf {
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut lines: Vec<String> = (0..300_000u64)
        .map(|i| {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            format!(
                "{:08X}{state:016X}{:016X}:{}",
                i * 14_316,
                state.rotate_left(17),
                i % 97 + 1
            )
        })
        .collect();
    lines.push(format!("{}:42", sha1_hex(BREACHED)));
    lines.sort();
    let path = s.path("pwned-passwords-sha1-ordered-by-hash.txt");
    let mut out = BufWriter::new(fs::File::create(&path).unwrap());
    for line in &lines {
        out.write_all(line.as_bytes()).unwrap();
        out.write_all(b"\r\n").unwrap();
    }
    out.flush().unwrap();
    path
}

fn assert_no_secret(text: &str) {
    for password in [STRONG, REUSED, OLD, BREACHED, "dustin2024"] {
        assert!(!text.contains(password), "{text}");
        let hash = sha1_hex(password);
        assert!(!text.to_uppercase().contains(&hash), "a hash in {text}");
        assert!(
            !text.to_uppercase().contains(&hash[..10]),
            "a hash prefix in {text}"
        );
    }
}

#[test]
fn each_kind_of_finding_is_named_with_its_entry() {
    let s = with_findings();
    let pwned = pwned_file(&s);
    let out = s
        .vault(&["audit", "--hibp", pwned.to_str().unwrap()])
        .assert()
        .code(10);
    let text = stdout_of(&out);
    let lines: Vec<&str> = text.lines().collect();
    let expected = [
        "breached: breached (seen 42 times)",
        "mail/weak: weak",
        "old: old (unchanged for ",
        "shop/a: reused (also in shop/b)",
        "shop/b: reused (also in shop/a)",
    ];
    assert_eq!(lines.len(), expected.len(), "{text}");
    for (line, want) in lines.iter().zip(expected) {
        assert!(line.starts_with(want), "{line:?} is not {want:?}");
    }
    assert!(
        !text.contains("fine") && !text.contains("rotated"),
        "{text}"
    );
    assert_no_secret(&text);
    assert_no_secret(&stderr_of(&out));
    assert!(
        stderr_of(&out).contains("5 of 7 passwords"),
        "{}",
        stderr_of(&out)
    );
}

#[test]
fn json_lists_names_and_reasons_only() {
    let s = with_findings();
    let pwned = pwned_file(&s);
    let out = s
        .vault(&["audit", "--json", "--hibp", pwned.to_str().unwrap()])
        .assert()
        .code(10);
    let text = stdout_of(&out);
    assert_no_secret(&text);
    let reports: serde_json::Value = serde_json::from_str(&text).unwrap();
    let by_name = |name: &str| {
        reports
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["name"] == name)
            .cloned()
            .unwrap_or_else(|| panic!("{name} in {text}"))
    };
    assert_eq!(
        by_name("mail/weak")["findings"],
        serde_json::json!(["weak"])
    );
    assert_eq!(
        by_name("shop/a")["reused_with"],
        serde_json::json!(["shop/b"])
    );
    assert_eq!(by_name("breached")["breach_count"], 42);
    let old = by_name("old");
    assert_eq!(old["findings"], serde_json::json!(["old"]));
    assert!(old["age_days"].as_u64().unwrap() > 365 * 5, "{old}");
    assert_eq!(reports.as_array().unwrap().len(), 5, "{text}");
}

#[test]
fn the_age_limit_is_a_choice_and_a_clean_vault_is_exit_0() {
    let s = with_findings();
    let out = s
        .vault(&["audit", "--older-than", "100y"])
        .assert()
        .code(10);
    assert!(!stdout_of(&out).contains("old"), "{}", stdout_of(&out));

    let clean = Sandbox::init();
    clean.add("strong", STRONG);
    clean.add("also-strong", REUSED);
    let out = clean.vault(&["audit"]).assert().success();
    assert_eq!(stdout_of(&out), "");
    let out = clean.vault(&["audit", "--json"]).assert().success();
    assert_eq!(stdout_of(&out).trim(), "[]");
}

#[test]
fn a_file_that_is_not_pwned_passwords_is_refused_before_unlocking() {
    let s = with_findings();
    let other = s.path("ntlm.txt");
    fs::write(&other, "8846F7EAEE8FB117AD06BDD830B7586C:3\n").unwrap();
    let out = s
        .vault(&["audit", "--hibp", other.to_str().unwrap()])
        .assert()
        .code(1);
    assert_one_line_error(&out, "not a Pwned Passwords SHA-1 file");
    let out = s
        .vault(&["audit", "--hibp", "missing.txt"])
        .assert()
        .code(1);
    assert_one_line_error(&out, "missing.txt");
}
