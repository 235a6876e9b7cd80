//! Names from the vault on a terminal: a hand-made or forged vault may hold entry and field
//! names with escape sequences (recolour, clear, retitle the window) and invisible Unicode
//! (U+202E turning `txt.exe` around, U+200B making two names look alike). Whatever vault
//! prints shows them escaped; `list --json` escapes them the JSON way, so `jq` still reads the
//! exact names back.

use std::io::Write;
use std::process::{Command as StdCommand, Stdio};

use crate::common::*;

const ESC_NAME: &str = "esc\u{1b}[31mred\u{1b}]0;title\u{7}";
const RLO_NAME: &str = "rtl\u{202e}txt.exe";
const ZWSP_NAME: &str = "ban\u{200b}k";

/// What a terminal must never receive raw from a vault: ESC, BEL, and the format characters.
const RAW: [&str; 6] = [
    "\u{1b}", "\u{7}", "\u{202e}", "\u{200b}", "\u{2066}", "\u{feff}",
];

fn forged() -> Sandbox {
    let s = Sandbox::init();
    let json = serde_json::json!({
        "recipients": [{"name": "operator", "key": age_keygen_y(&s.key())}],
        "entries": {
            ESC_NAME: {"username": "u\u{1b}[2J", "password": "pw1", "url": "https://x\u{202e}y",
                       "fields": {"pin\u{200b}": "1"}},
            RLO_NAME: {"password": "pw2", "notes": "line\u{1b}[1A\nnext\u{feff}"},
            ZWSP_NAME: {"password": "pw3", "username": "\u{2066}user\u{2069}"},
            "na me": {"password": "pw4"},
        }
    });
    s.write_vault_with_age(&json.to_string());
    s
}

fn assert_clean(what: &str, text: &str) {
    for raw in RAW {
        assert!(!text.contains(raw), "{what} holds a raw {raw:?}: {text:?}");
    }
}

#[test]
fn list_and_show_print_names_and_fields_escaped() {
    let s = forged();
    let listed = stdout_of(&s.vault(&["list"]).assert().success());
    assert_clean("list", &listed);
    assert!(listed.contains(r"esc\u{1b}[31mred"), "{listed}");
    assert!(listed.contains(r"rtl\u{202e}txt.exe"), "{listed}");
    assert!(listed.contains(r"ban\u{200b}k"), "{listed}");
    for name in [ESC_NAME, RLO_NAME, ZWSP_NAME] {
        let shown = stdout_of(&s.vault(&["show", name]).assert().success());
        assert_clean("show", &shown);
    }
    let shown = stdout_of(&s.vault(&["show", ESC_NAME]).assert().success());
    assert!(shown.contains(r"u\u{1b}[2J"), "{shown}");
    assert!(shown.contains(r"https://x\u{202e}y"), "{shown}");
    assert!(shown.contains(r"pin\u{200b}"), "{shown}");
}

#[test]
fn list_json_escapes_them_and_jq_reads_the_exact_names_back() {
    let s = forged();
    let json = stdout_of(&s.vault(&["list", "--json"]).assert().success());
    assert_clean("list --json", &json);
    assert!(json.contains(r"rtl\u202etxt.exe"), "{json}");
    assert!(json.contains(r"ban\u200bk"), "{json}");
    let mut jq = StdCommand::new("jq")
        .args(["-r", ".[] | .name, .username, .url, .fields[]"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("jq runs");
    jq.stdin.take().unwrap().write_all(json.as_bytes()).unwrap();
    let out = jq.wait_with_output().unwrap();
    assert!(out.status.success());
    let back = String::from_utf8(out.stdout).unwrap();
    for exact in [
        ESC_NAME,
        RLO_NAME,
        ZWSP_NAME,
        "u\u{1b}[2J",
        "https://x\u{202e}y",
        "pin\u{200b}",
        "\u{2066}user\u{2069}",
    ] {
        assert!(
            back.lines().any(|line| line == exact),
            "jq did not give back {exact:?}: {back:?}"
        );
    }
}

#[test]
fn messages_quote_names_escaped() {
    let s = forged();
    let nope = format!("{ESC_NAME}-nope");
    let a = s.vault(&["show", &nope]).assert().code(3);
    assert_clean("the error for show", &stderr_of(&a));
    assert_one_line_error(&a, r"esc\u{1b}[31mred");
    for name in [RLO_NAME, ZWSP_NAME] {
        let a = s.vault(&["add", name]).write_stdin("pw\n").assert().code(1);
        assert_clean("the error for add", &stderr_of(&a));
        assert_one_line_error(&a, "already exists");
    }
    // Hints quote the name as one shell word, ready to paste.
    let a = s
        .vault(&["add", "na me"])
        .write_stdin("pw\n")
        .assert()
        .code(1);
    assert_one_line_error(&a, "hint: change it with vault edit 'na me'");
    // A name vault itself accepts (U+202E is no control character) is echoed escaped too.
    let name = "new\u{202e}gpj.exe";
    for args in [
        vec!["add", name],
        vec!["edit", name, "--url", "x"],
        vec!["rm", name, "--yes"],
    ] {
        let a = s.vault(&args).write_stdin("pw\n").assert().success();
        let said = stderr_of(&a);
        assert_clean("what add, edit and rm say", &said);
        assert!(said.contains(r"new\u{202e}gpj.exe"), "{said}");
    }
}
