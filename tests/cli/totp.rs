//! TOTP: keys set through add/edit (never argv), codes checked against oathtool.

use std::process::Command as StdCommand;

use crate::common::*;

const KEY: &str = "JBSWY3DPEHPK3PXP";

/// oathtool's codes just before and just after `run` (a step may end in between).
fn oathtool_around(args: &[&str], run: impl FnOnce() -> String) -> (String, [String; 2]) {
    let oath = || {
        let out = run_ok(StdCommand::new("oathtool").args(args));
        String::from_utf8(out).unwrap().trim().to_owned()
    };
    let before = oath();
    let ours = run();
    let after = oath();
    (ours, [before, after])
}

#[test]
fn codes_match_oathtool_now() {
    let s = Sandbox::init();
    s.vault(&["add", "bank", "--totp"])
        .write_stdin(format!("pw\n{KEY}\n"))
        .assert()
        .success();
    let (ours, theirs) = oathtool_around(&["--totp", "-b", KEY], || s.export_field("bank", "otp"));
    assert!(theirs.contains(&ours), "{ours} vs oathtool {theirs:?}");
    assert_eq!(ours.len(), 6);

    // An otpauth URI with SHA-256, 8 digits and 60 s steps, set by edit from stdin.
    let uri = format!(
        "otpauth://totp/Bank:dustin?secret={KEY}&issuer=Bank&algorithm=SHA256&digits=8&period=60"
    );
    s.vault(&["edit", "bank", "--totp"])
        .write_stdin(format!("{uri}\n"))
        .assert()
        .success();
    let (ours, theirs) =
        oathtool_around(&["--totp=sha256", "-d", "8", "-s", "60", "-b", KEY], || {
            s.export_field("bank", "otp")
        });
    assert!(theirs.contains(&ours), "{ours} vs oathtool {theirs:?}");
    assert_eq!(ours.len(), 8);
    // The key is kept as given and is itself a field; the password was not touched.
    assert_eq!(s.export_field("bank", "totp"), uri);
    assert_eq!(s.export_field("bank", "password"), "pw");
}

#[test]
fn jobs_get_the_code_not_the_key() {
    let s = Sandbox::init();
    s.vault(&["add", "bank", "--generate", "--totp"])
        .write_stdin(format!("{KEY}\n"))
        .assert()
        .success();
    let env = stdout_of(
        &s.vault(&["export", "bank", "--format", "env"])
            .assert()
            .success(),
    );
    assert!(env.contains("BANK_OTP='"), "{env}");
    assert!(!env.contains(KEY), "{env}");
    let shown = stdout_of(&s.vault(&["show", "bank"]).assert().success());
    assert!(shown.contains("s left)"), "{shown}");
    assert!(!shown.contains(KEY), "{shown}");
}

#[test]
fn a_bad_key_is_refused_and_nothing_is_saved() {
    let s = Sandbox::init();
    s.add("bank", "pw");
    let before = s.bytes();
    let a = s
        .vault(&["edit", "bank", "--totp"])
        .write_stdin("not base32!\n")
        .assert()
        .code(2);
    assert_one_line_error(&a, "not a usable TOTP key: the TOTP secret is not base32");
    assert!(!stderr_of(&a).contains("not base32!"));
    assert_eq!(s.bytes(), before);
    // An entry without a key has no otp field.
    let a = s
        .vault(&["export", "bank", "--field", "otp"])
        .assert()
        .code(3);
    assert_one_line_error(&a, "no field 'otp'");
    // Removing a key.
    s.vault(&["edit", "bank", "--totp"])
        .write_stdin(format!("{KEY}\n"))
        .assert()
        .success();
    s.vault(&["edit", "bank", "--remove-totp"])
        .assert()
        .success();
    s.vault(&["export", "bank", "--field", "otp"])
        .assert()
        .code(3);
    let doc = age_decrypt(&s.key(), &s.vault_path());
    assert!(doc["entries"]["bank"].get("totp").is_none(), "{doc}");
}
