//! Signed vaults: nobody without a trusted writer key can make a vault the operator or a pinned
//! job accepts; trust is local.

use std::fs;
use std::path::Path;
use std::process::Command as StdCommand;

use crate::common::*;

/// `vault trust show` for the sandbox's identity.
fn writer_of(s: &Sandbox) -> String {
    stdout_of(&s.vault(&["trust", "show"]).assert().success())
        .trim()
        .to_owned()
}

/// The forgery of the review: decrypt with a key that reads the vault, add a recipient of the
/// attacker's and change a URL with jq, re-encrypt with `age -r` to the same keys plus the new
/// one, and copy it over the vault. Returns the attacker's identity file.
fn forge(s: &Sandbox, reader: &Path) -> std::path::PathBuf {
    let evil = s.path("evil.txt");
    run_ok(StdCommand::new("age-keygen").arg("-o").arg(&evil));
    let evil_public = age_keygen_y(&evil);
    let doc = age_decrypt(reader, &s.vault_path());
    let mut keys: Vec<String> = doc["recipients"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["key"].as_str().unwrap().to_owned())
        .collect();
    keys.push(evil_public.clone());
    let script = format!(
        "age -d -i '{reader}' '{vault}' | jq --arg k '{evil_public}' \
         '.recipients += [{{\"name\": \"backup\", \"key\": $k}}] | .entries.bank.url = \"https://evil.example\"' \
         | age {recipients} -o '{vault}.forged' && mv '{vault}.forged' '{vault}'",
        reader = reader.display(),
        vault = s.vault_path().display(),
        recipients = keys
            .iter()
            .map(|k| format!("-r '{k}'"))
            .collect::<Vec<_>>()
            .join(" "),
    );
    run_ok(StdCommand::new("sh").arg("-c").arg(script));
    evil
}

/// A sandbox with `bank`, and a job key pinned to the operator's writer key that reads it.
fn operator_and_pinned_job() -> (Sandbox, std::path::PathBuf) {
    let s = Sandbox::init();
    s.add("bank", "pw-bank");
    let (job, public) = s.pinned_job_key("job.txt");
    s.vault(&["recipients", "add", public.trim(), "--name", "job"])
        .assert()
        .success();
    (s, job)
}

#[test]
fn a_forged_vault_is_refused_by_the_operator_and_a_pinned_job() {
    let (s, job) = operator_and_pinned_job();
    let job_arg = job.to_str().unwrap();
    assert_eq!(
        stdout_of(
            &s.vault(&["export", "bank", "--identity", job_arg])
                .assert()
                .success()
        ),
        "pw-bank\n"
    );
    let evil = forge(&s, &job);
    let forged = s.bytes();

    let added = s
        .vault(&["add", "mail"])
        .write_stdin("the-new-secret\n")
        .assert()
        .code(8);
    // jq kept the signature member; it no longer matches what it covered.
    assert_one_line_error(
        &added,
        "was not written by a writer you trust: its signature by you",
    );
    for args in [&["show", "bank"][..], &["list"], &["export", "bank"]] {
        let a = s.vault(args).assert().code(8);
        assert_one_line_error(&a, "does not match its content");
    }
    let job_read = s
        .vault(&["export", "bank", "--identity", job_arg])
        .assert()
        .code(8);
    assert_one_line_error(&job_read, "does not match its content");
    assert!(stdout_of(&job_read).is_empty());

    assert_eq!(s.bytes(), forged, "nothing rewrote the forged vault");
    let seen_by_attacker = age_decrypt(&evil, &s.vault_path());
    assert!(!seen_by_attacker.to_string().contains("the-new-secret"));
    assert!(seen_by_attacker["entries"].get("mail").is_none());
}

#[test]
fn a_vault_signed_with_the_attackers_own_key_names_that_writer() {
    let (s, job) = operator_and_pinned_job();
    // A forger who knows the format signs with a writer key of his own.
    let doc = age_decrypt(&s.key(), &s.vault_path());
    let mut doc = doc.as_object().unwrap().clone();
    doc.remove("signature");
    let mallory = vault::writer::WriterKey::generate();
    s.write_signed_vault(
        &serde_json::to_string_pretty(&serde_json::Value::Object(doc)).unwrap(),
        &mallory,
    );
    let a = s.vault(&["export", "bank"]).assert().code(8);
    assert_one_line_error(&a, &format!("signed by an unknown writer {}", mallory.id()));
    assert!(stderr_of(&a).contains("vault trust add"));
    s.vault(&["export", "bank", "--identity", job.to_str().unwrap()])
        .assert()
        .code(8);
    s.vault(&["rm", "bank", "--yes"]).assert().code(8);
}

#[test]
fn a_signature_that_no_longer_matches_is_refused() {
    let s = Sandbox::init();
    s.add("bank", "pw-bank");
    // The signature is kept, the content changed: decrypt, edit with sed, re-encrypt.
    let script = format!(
        "age -d -i '{key}' '{vault}' | sed 's/pw-bank/pw-evil/' | age -r '{public}' -o '{vault}.x' \
         && mv '{vault}.x' '{vault}'",
        key = s.key().display(),
        vault = s.vault_path().display(),
        public = age_keygen_y(&s.key()),
    );
    run_ok(StdCommand::new("sh").arg("-c").arg(script));
    let a = s.vault(&["export", "bank"]).assert().code(8);
    assert_one_line_error(&a, "does not match its content");
    assert!(stderr_of(&a).contains("vault.age.bak"));
}

#[test]
fn a_forgery_without_the_signature_member_is_unsigned_to_them() {
    let (s, job) = operator_and_pinned_job();
    forge(&s, &job);
    let doc = age_decrypt(&s.key(), &s.vault_path());
    let mut doc = doc.as_object().unwrap().clone();
    doc.remove("signature");
    s.write_hand_made_vault(&serde_json::Value::Object(doc).to_string());
    let forged = s.bytes();
    s.vault(&["add", "mail"])
        .write_stdin("pw\n")
        .assert()
        .code(8);
    let a = s
        .vault(&["export", "bank", "--identity", job.to_str().unwrap()])
        .assert()
        .code(8);
    assert_one_line_error(&a, "it is unsigned");
    assert!(stderr_of(&a).contains("vault trust accept"));
    assert_eq!(s.bytes(), forged);
    // Before adopting it, the operator is shown the recipient the forger added.
    let shown = stderr_of(&s.vault(&["trust", "accept"]).assert().code(2));
    let backup = shown.lines().find(|l| l.contains("backup")).unwrap();
    assert!(
        backup.ends_with("(not in the last version you trust)"),
        "{shown}"
    );
    let own = shown.lines().find(|l| l.contains("(you)")).unwrap();
    assert!(!own.contains("not in the last version"), "{shown}");
}

#[test]
fn a_job_without_pins_still_reads_what_it_is_given() {
    let s = Sandbox::init();
    s.add("bank", "pw-bank");
    let (job, public) = s.keygen("job.txt");
    s.vault(&["recipients", "add", &public, "--name", "job"])
        .assert()
        .success();
    forge(&s, &job);
    // Documented: a key made without --trust checks no signature, as before signing existed.
    assert_eq!(
        stdout_of(
            &s.vault(&["export", "bank", "--identity", job.to_str().unwrap()])
                .assert()
                .success()
        ),
        "pw-bank\n"
    );
}

#[test]
fn keygen_trust_writes_pins_and_refuses_a_bad_key() {
    let s = Sandbox::init();
    let writer = writer_of(&s);
    assert!(writer.starts_with("vaultw1"), "{writer}");
    let job = s.path("job.txt");
    s.vault(&["keygen", "-o", job.to_str().unwrap(), "--trust", &writer])
        .assert()
        .success();
    let text = fs::read_to_string(&job).unwrap();
    assert!(text.contains(&format!("# vault-trust: {writer}")), "{text}");
    assert_eq!(mode(&job), 0o600);
    let bad = s.path("bad.txt");
    let a = s
        .vault(&["keygen", "-o", bad.to_str().unwrap(), "--trust", "age1nope"])
        .assert()
        .code(2);
    assert_one_line_error(&a, "not a writer key");
    assert!(!bad.exists(), "nothing written for a bad pin");
}

#[test]
fn a_second_operator_added_with_trust_add_can_write_and_the_first_reads_it() {
    let s = Sandbox::init();
    s.add("bank", "pw-bank");
    // Alice: her own identity and trust list, in a home of her own.
    let alice_home = s.path("alice");
    fs::create_dir(&alice_home).unwrap();
    let alice_key = alice_home.join("identity.txt");
    let alice = |args: &[&str]| {
        let mut cmd = s.vault(args);
        cmd.env("HOME", &alice_home)
            .env("VAULT_IDENTITY", &alice_key);
        cmd
    };
    let alice_public = stdout_of(
        &alice(&["keygen", "-o", alice_key.to_str().unwrap()])
            .assert()
            .success(),
    );
    let alice_writer = stdout_of(&alice(&["trust", "show"]).assert().success())
        .trim()
        .to_owned();
    s.vault(&["recipients", "add", alice_public.trim(), "--name", "alice"])
        .assert()
        .success();

    // Until each trusts the other, Alice's write is refused, and so would be her vault.
    alice(&["add", "mail"])
        .write_stdin("pw-mail\n")
        .assert()
        .code(8);
    alice(&["trust", "add", &writer_of(&s), "--name", "operator"])
        .assert()
        .success();
    let listed = stdout_of(&alice(&["trust", "list"]).assert().success());
    assert!(
        listed.contains("self") && listed.contains("(you)"),
        "{listed}"
    );
    assert!(listed.contains("operator"), "{listed}");
    alice(&["add", "mail"])
        .write_stdin("pw-mail\n")
        .assert()
        .success();

    let refused = s.vault(&["export", "mail"]).assert().code(8);
    assert_one_line_error(&refused, &alice_writer);
    s.vault(&["trust", "add", &alice_writer, "--name", "alice"])
        .assert()
        .success();
    assert_eq!(s.export("mail"), "pw-mail\n");
    s.add("after", "pw-after");

    // Removing her again: her next vault is refused.
    s.vault(&["trust", "remove", "alice"]).assert().success();
    alice(&["edit", "mail", "--url", "https://mail.example"])
        .assert()
        .success();
    s.vault(&["export", "mail"]).assert().code(8);
}

#[test]
fn trust_accept_asks_and_adopts_only_with_a_yes() {
    let s = Sandbox::init();
    s.write_hand_made_vault(r#"{"entries": {"bank": {"password": "pw"}}}"#);
    let before = s.bytes();
    let a = s.vault(&["trust", "accept"]).assert().code(2);
    assert!(stderr_of(&a).contains("vault.age: it is unsigned"));
    assert!(stderr_of(&a).contains("--yes"));
    assert_eq!(s.bytes(), before);
    let a = s.vault(&["trust", "accept", "--yes"]).assert().success();
    assert!(stderr_of(&a).contains("signed by you"));
    let doc = age_decrypt(&s.key(), &s.vault_path());
    assert_eq!(doc["signature"]["writer"], writer_of(&s));
    assert_eq!(doc["entries"]["bank"]["password"], "pw");
    // A hand-made vault lists nobody: adopting it lists its owner, who keeps access.
    assert_eq!(doc["recipients"][0]["key"], age_keygen_y(&s.key()));
}

#[test]
fn age_and_jq_still_read_a_signed_vault() {
    let s = Sandbox::init();
    s.add("bank", "pw\"bank");
    let out = run_ok(StdCommand::new("sh").arg("-c").arg(format!(
        "age -d -i '{}' '{}' | jq -r '.entries.bank.password, .signature.writer'",
        s.key().display(),
        s.vault_path().display()
    )));
    assert_eq!(
        String::from_utf8(out).unwrap(),
        format!("pw\"bank\n{}\n", writer_of(&s))
    );
}

#[test]
fn an_ssh_identity_signs_with_a_private_writer_key_beside_it() {
    let s = Sandbox::new();
    let key = s.path("id_ed25519");
    run_ok(
        StdCommand::new("ssh-keygen")
            .args(["-q", "-t", "ed25519", "-N", "", "-f"])
            .arg(&key),
    );
    let key_arg = key.to_str().unwrap();
    s.vault(&["init", "--identity", key_arg]).assert().success();
    let writer_file = s.path("id_ed25519.vault-writer");
    assert_eq!(mode(&writer_file), 0o600);
    let writer = stdout_of(
        &s.vault(&["trust", "show", "--identity", key_arg])
            .assert()
            .success(),
    );
    let doc = age_decrypt(&key, &s.vault_path());
    assert_eq!(doc["signature"]["writer"], writer.trim());
    s.vault(&["add", "bank", "--identity", key_arg])
        .write_stdin("pw\n")
        .assert()
        .success();
    // A writer key file others can read is refused like any key file.
    chmod(&writer_file, 0o644);
    s.vault(&["list", "--identity", key_arg]).assert().code(5);
}

#[test]
fn a_trust_list_others_can_change_is_refused() {
    let s = Sandbox::init();
    let list = s.path(".config/vault/trust");
    assert_eq!(mode(&list), 0o600);
    chmod(&list, 0o666);
    let a = s.vault(&["list"]).assert().code(5);
    assert_one_line_error(&a, "lets others change whom you trust");
}

#[test]
fn vault_trust_names_another_trust_list() {
    let s = Sandbox::new();
    let list = s.path("elsewhere/trust");
    s.vault(&["init", "--no-passphrase"])
        .env("VAULT_TRUST", &list)
        .assert()
        .success();
    assert_eq!(mode(&list), 0o600);
    assert!(!s.path(".config/vault/trust").exists());
    let listed = stdout_of(
        &s.vault(&["trust", "list"])
            .env("VAULT_TRUST", &list)
            .assert()
            .success(),
    );
    assert!(
        listed.contains("self") && listed.contains("(you)"),
        "{listed}"
    );
}
