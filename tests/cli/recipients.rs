//! recipients list/add/remove, and what a service account can read.

use std::fs;

use crate::common::*;

#[test]
fn a_service_key_reads_once_added_and_not_after_removal() {
    let s = Sandbox::init();
    s.add("bank", "pw");
    let (svc, public) = s.keygen("svc.txt");
    let svc = svc.to_str().unwrap();
    s.vault(&["export", "bank", "--identity", svc])
        .assert()
        .code(4);

    s.vault(&["recipients", "add", &public, "--name", "cron@backup"])
        .assert()
        .success();
    let a = s
        .vault(&["export", "bank", "--identity", svc])
        .assert()
        .success();
    assert_eq!(stdout_of(&a), "pw\n");
    let list = stdout_of(&s.vault(&["recipients", "list"]).assert().success());
    assert!(
        list.contains("operator") && list.contains("(you)"),
        "{list}"
    );
    assert!(
        list.contains("cron@backup") && list.contains(&public),
        "{list}"
    );
    // The age CLI with the service key sees the same document.
    assert_eq!(
        age_decrypt(&s.path("svc.txt"), &s.vault_path())["entries"]["bank"]["password"],
        "pw"
    );

    s.vault(&["recipients", "remove", "cron@backup"])
        .assert()
        .success();
    let a = s
        .vault(&["export", "bank", "--identity", svc])
        .assert()
        .code(4);
    assert_one_line_error(&a, "can decrypt");
}

#[test]
fn add_from_a_recipients_file_or_an_identity_file() {
    let s = Sandbox::init();
    let (_, first) = s.keygen("one.txt");
    let (second_key, second) = s.keygen("two.txt");
    let file = s.path("recipients.txt");
    fs::write(&file, format!("# the backup host\n{first}\n")).unwrap();
    s.vault(&[
        "recipients",
        "add",
        "-R",
        file.to_str().unwrap(),
        "--name",
        "one",
    ])
    .assert()
    .success();
    s.vault(&[
        "recipients",
        "add",
        "-R",
        second_key.to_str().unwrap(),
        "--name",
        "two",
    ])
    .assert()
    .success();
    let list = stdout_of(&s.vault(&["recipients", "list"]).assert().success());
    assert!(list.contains(&first) && list.contains(&second), "{list}");

    fs::write(&file, format!("{first}\n{second}\n")).unwrap();
    s.vault(&[
        "recipients",
        "add",
        "-R",
        file.to_str().unwrap(),
        "--name",
        "x",
    ])
    .assert()
    .code(2);
}

#[test]
fn duplicates_bad_keys_and_lock_out_are_refused() {
    let s = Sandbox::init();
    let (_, public) = s.keygen("svc.txt");
    s.vault(&["recipients", "add", &public, "--name", "svc"])
        .assert()
        .success();
    let before = s.bytes();
    let a = s
        .vault(&["recipients", "add", &public, "--name", "again"])
        .assert()
        .code(1);
    assert_one_line_error(&a, "already in the vault");
    s.vault(&["recipients", "add", "age1notakey", "--name", "bad"])
        .assert()
        .code(2);
    let (_, other) = s.keygen("other.txt");
    s.vault(&["recipients", "add", &other, "--name", "svc"])
        .assert()
        .code(1);
    let a = s
        .vault(&["recipients", "remove", "operator"])
        .assert()
        .code(1);
    assert_one_line_error(&a, "no longer be able to decrypt");
    s.vault(&["recipients", "remove", "nobody"])
        .assert()
        .code(3);
    assert_eq!(s.bytes(), before);
}

#[test]
fn removing_your_key_is_fine_while_another_of_yours_remains() {
    let s = Sandbox::init();
    // The operator's identity file holds two keys; the vault lists both.
    let (_, extra_public) = s.keygen("extra.txt");
    let mut both = fs::read_to_string(s.key()).unwrap();
    both.push_str(&fs::read_to_string(s.path("extra.txt")).unwrap());
    fs::write(s.key(), both).unwrap();
    s.vault(&["recipients", "add", &extra_public, "--name", "laptop"])
        .assert()
        .success();
    s.vault(&["recipients", "remove", "operator"])
        .assert()
        .success();
    s.add("still", "mine");
    assert_eq!(s.export("still"), "mine\n");
}
