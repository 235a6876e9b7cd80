//! The same vault through other tools: the age CLI, jq, ssh-keygen's keys.

use std::fs;
use std::process::Command as StdCommand;

use crate::common::*;

#[test]
fn a_hand_made_vault_is_refused_until_adopted_then_read_and_its_unknown_fields_survive() {
    let s = Sandbox::init();
    s.write_hand_made_vault(
        r#"{"entries": {"bank": {"password": "pw", "passkey": {"credential": "cred-1"}}},
            "settings": {"theme": "dark"}}"#,
    );
    let before = s.bytes();
    for args in [&["export", "bank"][..], &["list"], &["add", "x"]] {
        let refused = s.vault(args).write_stdin("pw\n").assert().code(8);
        assert_one_line_error(&refused, "unsigned");
        assert!(stderr_of(&refused).contains("vault trust accept"));
    }
    assert_eq!(s.bytes(), before, "a refused command never writes");
    s.vault(&["trust", "accept", "--yes"]).assert().success();
    assert_eq!(s.export("bank"), "pw\n");
    s.add("new", "pw2");
    let out = run_ok(StdCommand::new("sh").arg("-c").arg(format!(
        "age -d -i '{}' '{}' | jq -c '[.format, .settings.theme, .entries.bank.passkey.credential, .entries.new.password, (.recipients | length)]'",
        s.key().display(),
        s.vault_path().display()
    )));
    assert_eq!(
        String::from_utf8(out).unwrap().trim(),
        r#"[1,"dark","cred-1","pw2",1]"#
    );
}

#[test]
fn what_vault_writes_jq_reads() {
    let s = Sandbox::init();
    s.vault(&["add", "bank", "--username", "dustin"])
        .write_stdin("pa\"ss\n")
        .assert()
        .success();
    let out = run_ok(StdCommand::new("sh").arg("-c").arg(format!(
        "age -d -i '{}' '{}' | jq -r .entries.bank.password",
        s.key().display(),
        s.vault_path().display()
    )));
    assert_eq!(String::from_utf8(out).unwrap(), "pa\"ss\n");
}

#[test]
fn an_armored_vault_is_read() {
    // A job's key without pins: a hand-made vault is readable as it always was.
    let s = Sandbox::new();
    s.vault(&["keygen", "-o", s.key().to_str().unwrap()])
        .assert()
        .success();
    let plain = s.path("plain.json");
    fs::write(&plain, r#"{"entries": {"bank": {"password": "armored"}}}"#).unwrap();
    run_ok(
        StdCommand::new("age")
            .args(["-a", "-r", &age_keygen_y(&s.key()), "-o"])
            .arg(s.vault_path())
            .arg(&plain),
    );
    assert!(
        fs::read_to_string(s.vault_path())
            .unwrap()
            .starts_with("-----BEGIN AGE ENCRYPTED FILE-----")
    );
    assert_eq!(s.export("bank"), "armored\n");
}

fn ssh_keygen(s: &Sandbox, name: &str, kind: &[&str], passphrase: &str) -> std::path::PathBuf {
    let path = s.path(name);
    run_ok(
        StdCommand::new("ssh-keygen")
            .args(kind)
            .args(["-q", "-N", passphrase, "-C", "test@host", "-f"])
            .arg(&path),
    );
    path
}

#[test]
fn ssh_keys_from_ssh_keygen_are_identities_and_recipients() {
    let s = Sandbox::new();
    let ed = ssh_keygen(&s, "id_ed25519", &["-t", "ed25519"], "");
    let rsa = ssh_keygen(&s, "id_rsa", &["-t", "rsa", "-b", "2048"], "");
    let ed_arg = ed.to_str().unwrap();

    s.vault(&["init", "--identity", ed_arg]).assert().success();
    let doc = age_decrypt(&ed, &s.vault_path());
    assert!(
        doc["recipients"][0]["key"]
            .as_str()
            .unwrap()
            .starts_with("ssh-ed25519 ")
    );
    s.vault(&["add", "bank", "--identity", ed_arg])
        .write_stdin("via-ssh\n")
        .assert()
        .success();

    let rsa_pub = fs::read_to_string(s.path("id_rsa.pub")).unwrap();
    s.vault(&[
        "recipients",
        "add",
        rsa_pub.trim(),
        "--name",
        "rsa",
        "--identity",
        ed_arg,
    ])
    .assert()
    .success();
    let a = s
        .vault(&["export", "bank", "--identity", rsa.to_str().unwrap()])
        .assert()
        .success();
    assert_eq!(stdout_of(&a), "via-ssh\n");
    assert_eq!(
        age_decrypt(&rsa, &s.vault_path())["entries"]["bank"]["password"],
        "via-ssh"
    );
    assert_eq!(
        age_decrypt(&ed, &s.vault_path())["entries"]["bank"]["password"],
        "via-ssh"
    );
}

#[test]
fn an_encrypted_ssh_key_takes_its_passphrase_from_a_file() {
    let s = Sandbox::new();
    let key = ssh_keygen(&s, "id_ed25519", &["-t", "ed25519"], "ssh pass");
    let pass = s.private_file("pass", "ssh pass\n");
    let key = key.to_str().unwrap();
    s.vault(&[
        "init",
        "--identity",
        key,
        "--passphrase-file",
        pass.to_str().unwrap(),
    ])
    .assert()
    .success();
    s.vault(&[
        "add",
        "x",
        "--identity",
        key,
        "--passphrase-file",
        pass.to_str().unwrap(),
    ])
    .write_stdin("pw\n")
    .assert()
    .success();
    s.vault(&["export", "x", "--identity", key])
        .assert()
        .code(4);
    let a = s
        .vault(&[
            "export",
            "x",
            "--identity",
            key,
            "--passphrase-file",
            pass.to_str().unwrap(),
        ])
        .assert()
        .success();
    assert_eq!(stdout_of(&a), "pw\n");
}

#[test]
fn a_symlinked_vault_stays_a_symlink_after_a_save() {
    let s = Sandbox::init();
    let real = s.path("real");
    fs::create_dir(&real).unwrap();
    fs::rename(s.vault_path(), real.join("vault.age")).unwrap();
    std::os::unix::fs::symlink(real.join("vault.age"), s.vault_path()).unwrap();
    s.add("bank", "pw");
    assert!(
        fs::symlink_metadata(s.vault_path())
            .unwrap()
            .file_type()
            .is_symlink()
    );
    assert_eq!(
        age_decrypt(&s.key(), &real.join("vault.age"))["entries"]["bank"]["password"],
        "pw"
    );
    assert!(real.join("vault.age.bak").exists());
}
