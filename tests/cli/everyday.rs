//! Everyday use as a person meets it: finding an entry whose name they half remember, a
//! mistyped name answered with the nearest ones, groups, the password history and its restore,
//! an entry's own fields and tags, shell completion of names, and every man page.

use std::fs;
use std::process::Stdio;
use std::time::{Duration, Instant};

use crate::common::*;

/// bank/checking (dustin, tag money), bank/savings, db/prod (an apikey field, tags ops and
/// money, a URL), mail.
fn sandbox() -> Sandbox {
    let s = Sandbox::init();
    s.vault(&[
        "add",
        "bank/checking",
        "--username",
        "dustin",
        "--tag",
        "money",
    ])
    .write_stdin("pw-checking\n")
    .assert()
    .success();
    s.add("bank/savings", "pw-savings");
    s.vault(&[
        "add",
        "db/prod",
        "--url",
        "https://db.example",
        "--field",
        "apikey",
        "--tag",
        "ops",
        "--tag",
        "money",
    ])
    .write_stdin("pw-db\nkey-123\n")
    .assert()
    .success();
    s.add("mail", "pw-mail");
    s
}

fn lines(text: &str) -> Vec<&str> {
    text.lines().collect()
}

#[test]
fn find_is_fuzzy_over_names_usernames_urls_and_tags_best_first() {
    let s = sandbox();
    let found = stdout_of(&s.vault(&["find", "bnkchk"]).assert().success());
    assert_eq!(lines(&found), ["bank/checking"]);
    let found = stdout_of(&s.vault(&["find", "dustin"]).assert().success());
    assert_eq!(lines(&found), ["bank/checking"]);
    let found = stdout_of(&s.vault(&["find", "db.example"]).assert().success());
    assert_eq!(lines(&found), ["db/prod"]);
    let found = stdout_of(&s.vault(&["find", "money"]).assert().success());
    let mut found = lines(&found);
    found.sort_unstable();
    assert_eq!(found, ["bank/checking", "db/prod"]);
    // A name match outranks a match elsewhere.
    let found = stdout_of(&s.vault(&["find", "bank"]).assert().success());
    assert_eq!(&lines(&found)[..2], ["bank/checking", "bank/savings"]);

    let json = stdout_of(&s.vault(&["find", "prod", "--json"]).assert().success());
    let json: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(json[0]["name"], "db/prod");
    assert_eq!(json[0]["tags"], serde_json::json!(["ops", "money"]));
    assert!(!json.to_string().contains("key-123"));

    let a = s.vault(&["find", "zzzz"]).assert().code(3);
    assert_one_line_error(&a, "nothing in");
    assert!(stdout_of(&a).is_empty());
}

#[test]
fn list_takes_a_group_a_glob_or_a_name() {
    let s = sandbox();
    let listed = stdout_of(&s.vault(&["list", "bank/"]).assert().success());
    assert_eq!(lines(&listed), ["bank/checking", "bank/savings"]);
    let listed = stdout_of(&s.vault(&["list", "bank"]).assert().success());
    assert_eq!(lines(&listed), ["bank/checking", "bank/savings"]);
    let listed = stdout_of(&s.vault(&["list", "*s"]).assert().success());
    assert_eq!(lines(&listed), ["bank/savings"]);
    let listed = stdout_of(&s.vault(&["list", "mail"]).assert().success());
    assert_eq!(lines(&listed), ["mail"]);
    let json = stdout_of(&s.vault(&["list", "db/", "--json"]).assert().success());
    let json: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(json.as_array().unwrap().len(), 1);
    assert_eq!(json[0]["fields"], serde_json::json!(["apikey"]));

    let a = s.vault(&["list", "web/"]).assert().code(3);
    assert_one_line_error(&a, "nothing in");
    let a = s.vault(&["list", "chekcing"]).assert().code(3);
    assert_one_line_error(&a, "did you mean bank/checking?");
}

#[test]
fn show_of_a_group_lists_it_and_an_unknown_name_suggests_the_nearest() {
    let s = sandbox();
    let shown = stdout_of(&s.vault(&["show", "bank/"]).assert().success());
    assert_eq!(lines(&shown), ["bank/checking", "bank/savings"]);
    let shown = stdout_of(&s.vault(&["show", "bank"]).assert().success());
    assert_eq!(lines(&shown), ["bank/checking", "bank/savings"]);

    let before = s.bytes();
    for command in [
        vec!["show", "bank/chekcing"],
        vec!["export", "bank/chekcing"],
        vec!["copy", "bank/chekcing"],
        vec!["history", "bank/chekcing"],
        vec!["edit", "bank/chekcing", "--url", "https://x.example"],
        vec!["rm", "bank/chekcing", "--yes"],
        vec!["exec", "bank/chekcing", "--", "true"],
    ] {
        let a = s.vault(&command).assert().code(3);
        assert_one_line_error(&a, "hint: did you mean bank/checking?");
        assert!(stdout_of(&a).is_empty(), "{command:?}");
    }
    // A name given without its group finds it; nothing close is no guess at all.
    let a = s.vault(&["export", "savings"]).assert().code(3);
    assert_one_line_error(&a, "did you mean bank/savings?");
    let a = s.vault(&["export", "github"]).assert().code(3);
    assert_one_line_error(&a, "hint: vault list shows the entries");
    assert_eq!(
        s.bytes(),
        before,
        "a failed command never touches the vault"
    );
}

#[test]
fn history_numbers_old_passwords_newest_first_and_restore_brings_one_back() {
    let s = Sandbox::init();
    s.add("bank", "first");
    let a = s.vault(&["history", "bank"]).assert().success();
    assert!(stdout_of(&a).is_empty());
    assert!(stderr_of(&a).contains("no earlier passwords"));
    s.edit_password("bank", "second");
    s.edit_password("bank", "third");

    let masked = stdout_of(&s.vault(&["history", "bank"]).assert().success());
    let rows = lines(&masked);
    assert_eq!(rows.len(), 2, "{masked}");
    for (row, number) in rows.iter().zip(["1", "2"]) {
        let cells: Vec<&str> = row.split_whitespace().collect();
        assert_eq!(cells[0], number);
        assert!(
            cells[1].starts_with("20") && cells[1].ends_with('Z'),
            "{row}"
        );
    }
    assert!(!masked.contains("first") && !masked.contains("second"));

    let revealed = stdout_of(&s.vault(&["history", "bank", "--reveal"]).assert().success());
    let values: Vec<&str> = revealed
        .lines()
        .map(|l| l.split_whitespace().nth(2).unwrap())
        .collect();
    assert_eq!(values, ["second", "first"]);

    s.vault(&["edit", "bank", "--restore", "2"])
        .assert()
        .success();
    assert_eq!(s.export("bank"), "first\n");
    let revealed = stdout_of(&s.vault(&["history", "bank", "--reveal"]).assert().success());
    let values: Vec<&str> = revealed
        .lines()
        .map(|l| l.split_whitespace().nth(2).unwrap())
        .collect();
    assert_eq!(
        values,
        ["third", "second"],
        "the restored one leaves the history"
    );

    let before = s.bytes();
    let a = s
        .vault(&["edit", "bank", "--restore", "3"])
        .assert()
        .code(3);
    assert_one_line_error(&a, "no earlier password 3");
    s.vault(&["edit", "bank", "--restore", "1", "--password"])
        .assert()
        .code(2);
    assert_eq!(s.bytes(), before);
}

#[test]
fn own_fields_and_tags_are_set_read_and_removed() {
    let s = sandbox();
    assert_eq!(s.export_field("db/prod", "apikey"), "key-123");
    let shown = stdout_of(&s.vault(&["show", "db/prod"]).assert().success());
    assert!(
        shown.contains("apikey") && !shown.contains("key-123"),
        "{shown}"
    );
    assert!(shown.contains("ops, money"), "{shown}");

    // Password, then the TOTP key, then each field, one line of stdin each.
    s.vault(&[
        "edit",
        "db/prod",
        "--password",
        "--field",
        "pin",
        "--field",
        "apikey",
        "--untag",
        "ops",
        "--tag",
        "billing",
    ])
    .write_stdin("pw-db-2\n1234\nkey-456\n")
    .assert()
    .success();
    assert_eq!(s.export("db/prod"), "pw-db-2\n");
    assert_eq!(s.export_field("db/prod", "pin"), "1234");
    assert_eq!(s.export_field("db/prod", "apikey"), "key-456");
    let json = stdout_of(&s.vault(&["list", "db/", "--json"]).assert().success());
    let json: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(json[0]["tags"], serde_json::json!(["money", "billing"]));

    s.vault(&["edit", "db/prod", "--remove-field", "pin"])
        .assert()
        .success();
    s.vault(&["export", "db/prod", "--field", "pin"])
        .assert()
        .code(3);

    let before = s.bytes();
    for (args, code, needle) in [
        (vec!["--field", "password"], 2, "standard field"),
        (vec!["--field", "a/b"], 2, "contains a /"),
        (vec!["--field", ""], 2, "empty"),
        (vec!["--tag", "a,b"], 2, "comma"),
        (vec!["--tag", "x\u{202e}y"], 2, "invisible"),
        (vec!["--field", "k", "--field", "k"], 2, "twice"),
        (vec!["--remove-field", "nope"], 3, "no field 'nope'"),
        (vec!["--untag", "nope"], 1, "no tag 'nope'"),
    ] {
        let mut all = vec!["edit", "db/prod"];
        all.extend(&args);
        let a = s.vault(&all).write_stdin("v\n").assert().code(code);
        assert_one_line_error(&a, needle);
    }
    // An empty value is refused, not saved.
    let a = s
        .vault(&["edit", "db/prod", "--field", "token"])
        .write_stdin("\n")
        .assert()
        .code(1);
    assert_one_line_error(&a, "is empty");
    assert_eq!(s.bytes(), before, "a refused edit never touches the vault");
}

/// What bash does on Tab, without a terminal: the script `vault completions bash` prints,
/// sourced in a real bash, its function called as bash's `complete -F` calls it.
fn complete_in_bash(s: &Sandbox, words: &[&str]) -> (Vec<String>, Duration) {
    let script = stdout_of(&s.vault(&["completions", "bash"]).assert().success());
    let script_file = s.path("completion.bash");
    fs::write(&script_file, script).unwrap();
    let cword = words.len() - 1;
    let quoted: Vec<String> = words.iter().map(|w| format!("'{w}'")).collect();
    let program = format!(
        "source '{}'; COMP_WORDS=({}); COMP_CWORD={cword}; COMP_TYPE=9; \
         _clap_complete_vault vault '{}' '{}'; printf '%s\\n' \"${{COMPREPLY[@]}}\"",
        script_file.display(),
        quoted.join(" "),
        words[cword],
        words[cword - 1],
    );
    let started = Instant::now();
    let out = s
        .command("bash")
        .args(["--norc", "-c", &program])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let took = started.elapsed();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let candidates = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect();
    (candidates, took)
}

#[test]
fn bash_completes_commands_and_entry_names_without_a_prompt() {
    let s = sandbox();
    let (commands, _) = complete_in_bash(&s, &["vault", "hi"]);
    assert_eq!(commands, ["history"]);
    let (names, _) = complete_in_bash(&s, &["vault", "show", "ba"]);
    assert_eq!(names, ["bank/checking", "bank/savings"]);
    let (names, _) = complete_in_bash(&s, &["vault", "export", "d"]);
    assert_eq!(names, ["db/prod"]);
}

#[test]
fn completion_offers_no_names_where_reading_them_needs_a_passphrase() {
    let (s, _pass) = Sandbox::with_passphrase("open sesame", &[("bank", "dustin")]);
    let (names, took) = complete_in_bash(&s, &["vault", "show", "ba"]);
    assert!(names.is_empty(), "{names:?}");
    assert!(
        took < Duration::from_secs(30),
        "it answered, without waiting on anyone"
    );
    // The commands still complete.
    let (commands, _) = complete_in_bash(&s, &["vault", "sh"]);
    assert_eq!(commands, ["show"]);
}

#[test]
fn completion_reads_names_through_a_running_agent() {
    let (s, pass) = Sandbox::with_passphrase("open sesame", &[("bank", "dustin")]);
    let _running = AgentRunning::start(&s, &pass);
    // As for any command, the agent answers where no identity file is at hand.
    fs::rename(s.key(), s.path("identity.elsewhere")).unwrap();
    let (names, _) = complete_in_bash(&s, &["vault", "export", "ba"]);
    assert_eq!(names, ["bank"]);
}

#[test]
fn man_writes_every_page_the_first_one_names() {
    let s = Sandbox::new();
    let dir = s.path("man/man1");
    let a = s
        .vault(&["man", "--dir", dir.to_str().unwrap()])
        .assert()
        .success();
    assert!(stderr_of(&a).contains("pages"));
    let main = fs::read_to_string(dir.join("vault.1")).unwrap();
    assert!(main.contains(".TH vault"));
    let mut named = 0;
    for page in fs::read_dir(&dir).unwrap() {
        let text = fs::read_to_string(page.unwrap().path()).unwrap();
        // Every page another names, as `vault\-show(1)`, is one written here.
        for reference in text.split("vault\\-").skip(1) {
            let Some(end) = reference.find("(1)") else {
                continue;
            };
            let name = reference[..end].replace("\\-", "-");
            if name.chars().all(|c| c.is_ascii_lowercase() || c == '-') {
                named += 1;
                assert!(
                    dir.join(format!("vault-{name}.1")).exists(),
                    "vault-{name}(1) is named but not written"
                );
            }
        }
    }
    assert!(named > 20, "{named} references");
    for page in ["vault-show.1", "vault-recipients-add.1", "vault-history.1"] {
        assert!(dir.join(page).exists(), "{page}");
    }
}

#[test]
fn init_asks_again_for_an_empty_passphrase_on_a_terminal() {
    let s = Sandbox::new();
    // Typed on a real terminal (script(1) makes one): two empty lines, then a passphrase
    // and its repetition.
    let out = s
        .command("script")
        .args(["-qec", &format!("{BIN} init"), "/dev/null"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .and_then(|mut child| {
            use std::io::Write;
            child
                .stdin
                .take()
                .unwrap()
                .write_all(b"\n\nnew secret\nnew secret\n")?;
            child.wait_with_output()
        })
        .unwrap();
    let shown = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{shown}");
    assert!(
        shown.contains("the passphrase is empty; type one"),
        "{shown}"
    );
    let pass = s.private_file("pass", "new secret\n");
    s.vault(&["list", "--passphrase-file", pass.to_str().unwrap()])
        .assert()
        .success();
}
