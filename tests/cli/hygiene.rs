//! Secrets appear where the user asked for them and nowhere else: not in stderr, not in any
//! output that did not ask for them, not in any file beside the vault, not in a process's
//! command line or environment.

use std::fs;

use crate::common::*;

const SECRET: &str = "zq-secret-7f3e9a-zq";
const OTHER_SECRET: &str = "zq-other-secret-51c0-zq";
const PASSPHRASE: &str = "zq-passphrase-41b2-zq";

#[test]
fn secrets_appear_only_where_asked_for() {
    let s = Sandbox::new();
    let pass = s.private_file("pass", &format!("{PASSPHRASE}\n"));
    let wrong = s.private_file("wrong", "not it\n");
    let p = pass.to_str().unwrap().to_owned();
    let w = wrong.to_str().unwrap().to_owned();
    s.vault(&["init", "--passphrase-file", &p])
        .assert()
        .success();
    let (svc, svc_public) = s.keygen("svc.txt");
    let svc = svc.to_str().unwrap().to_owned();

    // (arguments, stdin, whether stdout may hold SECRET)
    let runs: Vec<(Vec<&str>, &str, bool)> = vec![
        (vec!["add", "bank", "--username", "dustin"], SECRET, false),
        (vec!["add", "bank"], OTHER_SECRET, false),
        (vec!["add", "bad\u{7}name"], OTHER_SECRET, false),
        (vec!["add", "other"], OTHER_SECRET, false),
        (vec!["list"], "", false),
        (vec!["list", "--json"], "", false),
        (vec!["show", "bank"], "", false),
        (vec!["show", "bank", "--reveal"], "", true),
        (vec!["export", "bank"], "", true),
        (vec!["export", "bank", "--format", "json"], "", true),
        (vec!["export", "bank", "--format", "env"], "", true),
        (vec!["export", "bank", "--field", "username"], "", false),
        (vec!["export", "bank", "--field", "nope"], "", false),
        (vec!["export", "nope"], "", false),
        (
            vec!["recipients", "add", &svc_public, "--name", "svc"],
            "",
            false,
        ),
        (vec!["recipients", "list"], "", false),
        (vec!["recipients", "remove", "operator"], "", false),
        (vec!["edit", "other", "--password"], SECRET, false),
        (
            vec!["edit", "other", "--url", "https://x.example"],
            "",
            false,
        ),
        (vec!["rm", "other", "--yes"], "", false),
        (vec!["copy", "bank"], "", false),
        (vec!["generate"], "", false),
        (vec!["completions", "bash"], "", false),
    ];
    for (args, stdin, may_show) in &runs {
        for passphrase_file in [&p, &w] {
            let mut all = args.clone();
            all.extend(["--passphrase-file", passphrase_file.as_str()]);
            let a = s.vault(&all).write_stdin(format!("{stdin}\n")).assert();
            let (out, err) = (stdout_of(&a), stderr_of(&a));
            for secret in [SECRET, OTHER_SECRET, PASSPHRASE] {
                assert!(
                    !err.contains(secret),
                    "vault {all:?}: stderr holds a secret: {err}"
                );
            }
            assert!(
                !out.contains(PASSPHRASE),
                "vault {all:?}: stdout holds the passphrase"
            );
            assert!(
                !out.contains(OTHER_SECRET),
                "vault {all:?}: stdout holds a secret it was not asked for"
            );
            if !may_show || passphrase_file == &w {
                assert!(
                    !out.contains(SECRET),
                    "vault {all:?}: stdout holds a secret it was not asked for"
                );
            }
        }
    }
    // The service key reads; the operator's own key was not removed (refused above).
    let a = s
        .vault(&["export", "bank", "--identity", &svc])
        .assert()
        .success();
    assert_eq!(stdout_of(&a), format!("{SECRET}\n"));

    // Nothing on disk holds a secret in the clear, but the passphrase file itself.
    for entry in fs::read_dir(s.dir.path()).unwrap().flatten() {
        if entry.path() == pass || entry.file_type().unwrap().is_dir() {
            continue;
        }
        let bytes = fs::read(entry.path()).unwrap();
        let text = String::from_utf8_lossy(&bytes);
        for secret in [SECRET, OTHER_SECRET, PASSPHRASE] {
            assert!(
                !text.contains(secret),
                "{} holds a secret in the clear",
                entry.path().display()
            );
        }
    }
}
