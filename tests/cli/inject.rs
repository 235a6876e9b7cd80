//! inject: templates filled in whole, or not at all.

use std::fs;

use crate::common::*;

fn with_entries() -> Sandbox {
    let s = Sandbox::init();
    s.write_vault_with_age(&format!(
        r#"{{"recipients": [{{"name": "operator", "key": "{}"}}],
            "entries": {{
              "db": {{"username": "app", "password": "db-secret", "fields": {{"port": "5432"}}}},
              "bank/checking": {{"username": "dustin", "password": "bank-secret"}}
            }}}}"#,
        age_keygen_y(&s.key())
    ));
    s
}

const TEMPLATE: &str = "user = {{ vault://db/username }}\n\
    password = \"{{vault://db/password}}\"\n\
    again = {{  vault://db/password  }}:{{ vault://db/port }}\n\
    bank = {{ vault://bank/checking/password }} for {{ vault://bank/checking/username }}\n\
    other = {{ not.ours }}\n";

const RENDERED: &str = "user = app\n\
    password = \"db-secret\"\n\
    again = db-secret:5432\n\
    bank = bank-secret for dustin\n\
    other = {{ not.ours }}\n";

#[test]
fn every_reference_is_replaced_groups_and_repeats_included() {
    let s = with_entries();
    let tpl = s.path("app.conf.tpl");
    fs::write(&tpl, TEMPLATE).unwrap();
    let out = s
        .vault(&["inject", "-i", tpl.to_str().unwrap()])
        .assert()
        .success();
    assert_eq!(stdout_of(&out), RENDERED);

    let from_stdin = s
        .vault(&["inject", "-i", "-"])
        .write_stdin(TEMPLATE)
        .assert()
        .success();
    assert_eq!(stdout_of(&from_stdin), RENDERED);
}

#[test]
fn output_goes_to_a_new_private_file() {
    let s = with_entries();
    let tpl = s.path("app.conf.tpl");
    fs::write(&tpl, TEMPLATE).unwrap();
    let conf = s.path("app.conf");
    fs::write(&conf, "old").unwrap();
    chmod(&conf, 0o644);
    let out = s
        .vault(&[
            "inject",
            "-i",
            tpl.to_str().unwrap(),
            "-o",
            conf.to_str().unwrap(),
        ])
        .assert()
        .success();
    assert_eq!(stdout_of(&out), "");
    assert_eq!(fs::read_to_string(&conf).unwrap(), RENDERED);
    assert_eq!(mode(&conf), 0o600);
}

#[test]
fn a_missing_entry_or_field_writes_nothing_anywhere() {
    let s = with_entries();
    let conf = s.path("app.conf");
    for (bad, needle) in [
        ("{{ vault://nope/password }}", "no entry 'nope'"),
        ("{{ vault://db/pin }}", "entry 'db' has no field 'pin'"),
        ("{{ vault://bank/checking }}", "no entry 'bank'"),
    ] {
        // The good references come first: nothing of them may leak out either.
        let template = format!("{TEMPLATE}{bad}\n");
        for to_file in [false, true] {
            let mut args = vec!["inject", "-i", "-"];
            if to_file {
                args.extend(["-o", conf.to_str().unwrap()]);
            }
            let out = s
                .vault(&args)
                .write_stdin(template.clone())
                .assert()
                .code(3);
            assert_eq!(stdout_of(&out), "", "{bad}");
            assert_one_line_error(&out, needle);
            assert!(!stderr_of(&out).contains("secret"), "{}", stderr_of(&out));
            assert!(!conf.exists(), "{bad}: the file was written");
        }
    }
}

#[test]
fn a_malformed_reference_names_its_line() {
    let s = with_entries();
    let out = s
        .vault(&["inject", "-i", "-"])
        .write_stdin("ok = {{ vault://db/password }}\nbad = {{ vault://db/password\n")
        .assert()
        .code(1);
    assert_eq!(stdout_of(&out), "");
    assert_one_line_error(&out, "line 2");

    let missing = s.vault(&["inject", "-i", "no-such.tpl"]).assert().code(1);
    assert_one_line_error(&missing, "no-such.tpl");
}
