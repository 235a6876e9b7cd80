//! add, list, show, edit, rm.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Command as StdCommand;

use crate::common::*;

#[test]
fn add_reads_the_password_from_stdin_and_stores_the_fields() {
    let s = Sandbox::init();
    s.vault(&[
        "add",
        "bank",
        "--username",
        "dustin",
        "--url",
        "https://bank.example",
        "--notes",
        "main account",
    ])
    .write_stdin("s3cret pass\nignored second line\n")
    .assert()
    .success();
    let doc = age_decrypt(&s.key(), &s.vault_path());
    let bank = &doc["entries"]["bank"];
    assert_eq!(bank["password"], "s3cret pass");
    assert_eq!(bank["username"], "dustin");
    assert_eq!(bank["url"], "https://bank.example");
    assert_eq!(bank["notes"], "main account");
    assert_eq!(bank["created"], bank["updated"]);
    assert!(bank["created"].as_str().unwrap().ends_with('Z'));
}

#[test]
fn add_refuses_a_taken_name_a_bad_name_and_an_empty_password() {
    let s = Sandbox::init();
    s.add("bank", "one");
    let before = s.bytes();
    let a = s
        .vault(&["add", "bank"])
        .write_stdin("two\n")
        .assert()
        .code(1);
    assert_one_line_error(&a, "'bank' already exists");
    let a = s
        .vault(&["add", "a//b"])
        .write_stdin("two\n")
        .assert()
        .code(2);
    assert_one_line_error(&a, "invalid entry name");
    let a = s
        .vault(&["add", "esc\u{1b}[31m"])
        .write_stdin("two\n")
        .assert()
        .code(2);
    assert_one_line_error(&a, "control character");
    let a = s.vault(&["add", "empty"]).write_stdin("").assert().code(1);
    assert_one_line_error(&a, "empty");
    assert_eq!(
        s.bytes(),
        before,
        "refused writes leave the vault as it was"
    );
}

#[test]
fn add_with_generate_stores_a_password_of_that_length() {
    let s = Sandbox::init();
    s.vault(&["add", "api", "--generate", "32"])
        .assert()
        .success();
    s.vault(&["add", "db", "--generate"]).assert().success();
    assert_eq!(s.export("api").trim_end_matches('\n').chars().count(), 32);
    assert_eq!(s.export("db").trim_end_matches('\n').chars().count(), 24);
}

#[test]
fn list_is_sorted_and_json_holds_no_secret() {
    let s = Sandbox::init();
    for name in ["web/mail", "bank", "db/prod"] {
        s.add(name, &format!("pw-of-{name}"));
    }
    let list = stdout_of(&s.vault(&["list"]).assert().success());
    assert_eq!(list, "bank\ndb/prod\nweb/mail\n");
    let json = stdout_of(&s.vault(&["list", "--json"]).assert().success());
    assert!(!json.contains("pw-of-"), "{json}");
    let value: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(value[0]["name"], "bank");
    assert_eq!(value.as_array().unwrap().len(), 3);
}

#[test]
fn list_reads_names_and_plain_fields_of_a_signed_vault_and_refuses_what_show_refuses() {
    let s = Sandbox::init();
    let recipient = age_keygen_y(&s.key());
    let doc = |extra: &str| {
        format!(
            r#"{{"format": 1, "recipients": [{{"name": "operator", "key": "{recipient}"}}],
            "entries": {{"b": {{"username": "u", "password": "hunter2", "url": "https://b",
                "notes": "hunter3", "fields": {{"pin": "hunter4"}}, "tags": ["t"],
                "created": "c", "updated": "d",
                "history": [{{"password": "hunter5", "until": "t"}}]}},
                "a": {{"password": "hunter6"{extra}}}}},
            "settings": {{"theme": "dark"}}}}"#
        )
    };
    s.write_signed_vault(&doc(r#", "passkey": {"id": "x"}"#), &s.own_writer_key());
    assert_eq!(stdout_of(&s.vault(&["list"]).assert().success()), "a\nb\n");
    let json = stdout_of(&s.vault(&["list", "--json"]).assert().success());
    assert!(!json.contains("hunter"), "{json}");
    let value: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(value[1]["name"], "b");
    assert_eq!(value[1]["username"], "u");
    assert_eq!(value[1]["url"], "https://b");
    assert_eq!(value[1]["fields"], serde_json::json!(["pin"]));
    assert_eq!(value[1]["tags"], serde_json::json!(["t"]));
    assert_eq!(value[1]["updated"], "d");
    // A key twice deep inside another entry, or a secret of the wrong type: refused by list
    // as by show, without quoting it.
    for extra in [
        r#", "passkey": {"id": "x", "id": "hunter7"}"#,
        r#", "notes": ["hunter7"]"#,
    ] {
        s.write_signed_vault(&doc(extra), &s.own_writer_key());
        for args in [&["list"][..], &["list", "--json"], &["show", "b"]] {
            let a = s.vault(args).assert().code(6);
            assert!(stdout_of(&a).is_empty());
            assert!(!stderr_of(&a).contains("hunter"), "{}", stderr_of(&a));
        }
    }
    // Signed by a writer nobody trusts: refused before it is read.
    s.write_signed_vault(&doc(""), &vault::writer::WriterKey::generate());
    let a = s.vault(&["list"]).assert().code(8);
    assert!(stdout_of(&a).is_empty());
}

#[test]
fn a_save_writes_compact_json_that_age_and_vault_read_back() {
    let s = Sandbox::init();
    s.add("bank", "pw-bank");
    s.add("mail", "pw-mail");
    let plain = run_ok(
        std::process::Command::new("age")
            .arg("-d")
            .arg("-i")
            .arg(s.key())
            .arg(s.vault_path()),
    );
    // The document on one line, then the signature member as it always was.
    let text = String::from_utf8(plain).unwrap();
    let first = text.lines().next().unwrap();
    assert!(first.contains(r#""entries":{"bank":{"#), "{first}");
    let value = age_decrypt(&s.key(), &s.vault_path());
    assert_eq!(value["entries"]["mail"]["password"], "pw-mail");
    assert_eq!(s.export("bank"), "pw-bank\n");
}

#[test]
fn show_masks_the_password_until_revealed() {
    let s = Sandbox::init();
    s.vault(&["add", "bank", "--username", "dustin"])
        .write_stdin("hunter2\n")
        .assert()
        .success();
    let shown = stdout_of(&s.vault(&["show", "bank"]).assert().success());
    assert!(
        shown.contains("dustin") && shown.contains("••••••••"),
        "{shown}"
    );
    assert!(!shown.contains("hunter2"));
    let shown = stdout_of(&s.vault(&["show", "bank", "--reveal"]).assert().success());
    assert!(shown.contains("hunter2"), "{shown}");
    s.vault(&["show", "nope"]).assert().code(3);
}

#[test]
fn edit_changes_fields_and_keeps_the_newest_twenty_old_passwords() {
    let s = Sandbox::init();
    s.add("bank", "pw0");
    for i in 1..=22 {
        s.vault(&["edit", "bank", "--password"])
            .write_stdin(format!("pw{i}\n"))
            .assert()
            .success();
    }
    s.vault(&[
        "edit",
        "bank",
        "--username",
        "new-user",
        "--url",
        "https://x.example",
    ])
    .assert()
    .success();
    let doc = age_decrypt(&s.key(), &s.vault_path());
    let bank = &doc["entries"]["bank"];
    assert_eq!(bank["password"], "pw22");
    assert_eq!(bank["username"], "new-user");
    let history: Vec<&str> = bank["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["password"].as_str().unwrap())
        .collect();
    assert_eq!(history.len(), 20);
    assert_eq!(history.first(), Some(&"pw2"));
    assert_eq!(history.last(), Some(&"pw21"));
    assert!(bank["history"][0]["until"].as_str().unwrap().ends_with('Z'));
}

#[test]
fn edit_generate_rename_and_refusals() {
    let s = Sandbox::init();
    s.add("bank", "old");
    s.add("other", "x");
    s.vault(&["edit", "bank", "--generate", "30", "--rename", "bank/main"])
        .assert()
        .success();
    assert_eq!(s.export("bank/main").trim_end().len(), 30);
    s.vault(&["export", "bank"]).assert().code(3);
    let before = s.bytes();
    s.vault(&["edit", "bank/main"]).assert().code(2);
    s.vault(&["edit", "nope", "--url", "u"]).assert().code(3);
    let a = s
        .vault(&["edit", "bank/main", "--rename", "other"])
        .assert()
        .code(1);
    assert_one_line_error(&a, "'other' already exists");
    s.vault(&["edit", "bank/main", "--password", "--generate"])
        .assert()
        .code(2);
    assert_eq!(s.bytes(), before);
}

#[test]
fn rm_deletes_without_asking_when_not_on_a_terminal() {
    let s = Sandbox::init();
    s.add("bank", "pw");
    s.add("keep", "pw");
    s.vault(&["rm", "bank"]).assert().success();
    s.vault(&[
        "rm",
        "keep",
        "--yes",
        "--vault",
        s.vault_path().to_str().unwrap(),
    ])
    .assert()
    .success();
    assert_eq!(stdout_of(&s.vault(&["list"]).assert().success()), "");
    s.vault(&["rm", "bank"]).assert().code(3);
}

#[test]
fn every_write_keeps_the_previous_version_as_bak() {
    let s = Sandbox::init();
    s.add("bank", "first");
    s.vault(&["edit", "bank", "--password"])
        .write_stdin("second\n")
        .assert()
        .success();
    let bak = s.path("vault.age.bak");
    assert_eq!(
        age_decrypt(&s.key(), &bak)["entries"]["bank"]["password"],
        "first"
    );
    assert_eq!(mode(&bak), 0o600);
}

/// The vault's plaintext as the age CLI decrypts it.
fn plaintext(s: &Sandbox) -> String {
    let out = run_ok(
        StdCommand::new("age")
            .arg("-d")
            .arg("-i")
            .arg(s.key())
            .arg(s.vault_path()),
    );
    String::from_utf8(out).unwrap()
}

#[test]
fn add_edit_and_rm_leave_every_other_entry_as_it_was() {
    use std::os::unix::fs::MetadataExt;
    let s = Sandbox::init();
    for name in ["a", "bank/eu", "bank/us", "mail", "zeta"] {
        s.add(name, &format!("pw-{name}"));
    }
    let before = plaintext(&s);
    let member = |text: &str, name: &str| -> String {
        let start = text
            .find(&format!("\"{name}\":{{"))
            .expect("the entry is there");
        let end = start + text[start..].find('}').unwrap() + 1;
        text[start..end].to_owned()
    };
    let kept: Vec<String> = ["bank/eu", "bank/us", "zeta"]
        .iter()
        .map(|name| member(&before, name))
        .collect();

    s.add("bank/fr", "new");
    s.vault(&["edit", "mail", "--username", "me"])
        .assert()
        .success();
    let replaced = fs::metadata(s.vault_path()).unwrap().ino();
    s.vault(&["rm", "a", "--yes"]).assert().success();

    let after = plaintext(&s);
    for text in &kept {
        assert!(after.contains(text.as_str()), "{text} kept as it was");
    }
    let doc: serde_json::Value = serde_json::from_str(&after).unwrap();
    let names: Vec<&str> = doc["entries"]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(names, ["bank/eu", "bank/fr", "bank/us", "mail", "zeta"]);
    assert_eq!(doc["entries"]["mail"]["username"], "me");
    assert_eq!(doc["entries"]["mail"]["password"], "pw-mail");
    assert!(
        doc["deleted"]
            .as_object()
            .is_some_and(|gone| gone.len() == 1)
    );
    assert_eq!(s.export("bank/fr"), "new\n");
    assert_eq!(s.export("zeta"), "pw-zeta\n");
    // Signed anew: the operator, who trusts only signed vaults, reads it.
    s.vault(&["check"]).assert().success();
    // The .bak is the replaced file itself (a 0600 vault, a 0600 .bak): nothing copied.
    let bak = fs::metadata(s.path("vault.age.bak")).unwrap();
    assert_eq!((bak.ino(), bak.mode() & 0o777), (replaced, 0o600));
    assert!(age_decrypt(&s.key(), &s.path("vault.age.bak"))["entries"]["a"].is_object());
}

#[test]
fn global_options_work_after_the_subcommand() {
    let s = Sandbox::init();
    s.add("bank", "pw");
    let mut cmd = s.vault(&["export", "bank", "--vault"]);
    cmd.arg(s.vault_path()).arg("--identity").arg(s.key());
    cmd.env_remove("VAULT_FILE").env_remove("VAULT_IDENTITY");
    assert_eq!(stdout_of(&cmd.assert().success()), "pw\n");
}

#[test]
fn every_argument_of_edit_and_add_says_what_it_is() {
    let s = Sandbox::new();
    for command in ["edit", "add"] {
        let help = stdout_of(&s.vault(&[command, "--help"]).assert().success());
        for arg in [
            "<NAME>",
            "--username <USER>",
            "--url <URL>",
            "--notes <TEXT>",
        ] {
            let line = help
                .lines()
                .find(|l| l.trim_start().starts_with(arg))
                .unwrap_or_else(|| panic!("{arg} not in {command} --help:\n{help}"));
            assert!(
                line.trim_start().len() > arg.len() + 2,
                "{command} --help: {arg} has no help:\n{help}"
            );
        }
    }
}

#[test]
fn a_users_save_keeps_the_bak_as_the_file_it_replaced_and_never_as_someone_elses() {
    use std::os::unix::fs::MetadataExt;
    if !is_root() {
        eprintln!("skipped: needs root to add a user");
        return;
    }
    let gid = group_gid("vault-bak-grp");
    let uid = user_in_group("vault-bak-user", gid);
    let s = Sandbox::init();
    s.add("bank", "first");
    // The user's own directory, its own vault and key (the sandbox's, handed over).
    let home = tempfile::Builder::new()
        .prefix("vault-bak-")
        .tempdir_in("/tmp")
        .unwrap();
    let (vault, key) = (home.path().join("vault.age"), home.path().join("key.txt"));
    fs::copy(s.vault_path(), &vault).unwrap();
    fs::copy(s.key(), &key).unwrap();
    let owner = (uid.parse::<u32>().unwrap(), gid);
    for path in [home.path(), &vault, &key] {
        std::os::unix::fs::chown(path, Some(owner.0), Some(owner.1)).unwrap();
    }
    fs::set_permissions(home.path(), fs::Permissions::from_mode(0o700)).unwrap();
    let gid_text = gid.to_string();
    let add = |name: &str| {
        let out = vault_as_user(
            (&uid, &gid_text),
            home.path(),
            &[("VAULT_IDENTITY", &key)],
            &["add", name, "--generate"],
        );
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    let bak = home.path().join("vault.age.bak");
    let shown = |path: &Path| {
        let meta = fs::metadata(path).unwrap();
        (meta.uid(), meta.gid(), meta.mode() & 0o777)
    };

    // Its own 0600 vault: the .bak is the very file the save replaced, as the user left it.
    let replaced = fs::metadata(&vault).unwrap().ino();
    add("mail");
    assert_eq!(fs::metadata(&bak).unwrap().ino(), replaced);
    assert_eq!(shown(&bak), (owner.0, owner.1, 0o600));
    assert_eq!(shown(&vault), (owner.0, owner.1, 0o600));
    assert_eq!(
        age_decrypt(&key, &bak)["entries"]
            .as_object()
            .unwrap()
            .len(),
        1,
        "the version before the add"
    );

    // A .bak root left (root's, 0644): no file of the user's can be root's, so the save keeps
    // the version before as the user's own copy, 0600, and the save itself goes through.
    fs::remove_file(&bak).unwrap();
    fs::write(&bak, b"root's").unwrap();
    fs::set_permissions(&bak, fs::Permissions::from_mode(0o644)).unwrap();
    let replaced = fs::metadata(&vault).unwrap().ino();
    add("db");
    let meta = fs::metadata(&bak).unwrap();
    assert_ne!(meta.ino(), replaced, "not a link to the vault it replaced");
    assert_eq!(
        (meta.uid(), meta.gid(), meta.mode() & 0o777),
        (owner.0, owner.1, 0o600),
        "the user's own copy"
    );
    assert_eq!(
        age_decrypt(&key, &bak)["entries"]
            .as_object()
            .unwrap()
            .len(),
        2,
        "the version before this add"
    );
}
