//! exec --redact: the command's output comes back with its secrets replaced, its exit code and
//! its signals kept.

use std::io::{BufRead, BufReader, Read};
use std::process::{Command as StdCommand, Stdio};
use std::time::{Duration, Instant};

use crate::common::*;

fn with_entry() -> Sandbox {
    let s = Sandbox::init();
    s.write_vault_with_age(&format!(
        r#"{{"recipients": [{{"name": "operator", "key": "{}"}}],
            "entries": {{"db": {{"username": "app", "password": "pg-s3cret-value",
                                 "notes": "first line\nsecond line", "fields": {{"pin": "8642"}}}}}}}}"#,
        age_keygen_y(&s.key())
    ));
    s
}

#[test]
fn secrets_are_redacted_even_when_written_in_two_pieces_and_the_exit_code_is_kept() {
    let s = with_entry();
    // Half the password, a pause (two writes vault reads apart), then the rest.
    let script = r#"printf '%s' "user=$DB_USERNAME pw=${DB_PASSWORD%-value}"; sleep 0.3;
        printf '%s\n' "-value pin=$DB_PIN"; echo "err: $DB_PASSWORD" >&2;
        printf '%s\n' "$DB_NOTES"; printf 'no newline at the end %s' "$DB_PIN"; exit 7"#;
    let out = s
        .vault(&["exec", "--redact", "db", "--", "sh", "-c", script])
        .assert()
        .code(7);
    assert_eq!(
        stdout_of(&out),
        "user=app pw=<redacted> pin=<redacted>\n<redacted>\n<redacted>\nno newline at the end <redacted>"
    );
    assert_eq!(stderr_of(&out), "err: <redacted>\n");
}

#[test]
fn a_command_killed_by_a_signal_is_128_plus_it() {
    let s = with_entry();
    s.vault(&["exec", "--redact", "db", "--", "sh", "-c", "kill -KILL $$"])
        .assert()
        .code(128 + 9);
}

#[test]
fn signals_sent_to_vault_reach_the_command() {
    let s = with_entry();
    let mut vault = s
        .command(BIN)
        .args(["exec", "--redact", "db", "--", "sh", "-c"])
        .arg(r#"trap 'echo "got TERM with $DB_PIN"; exit 42' TERM; echo ready; while :; do sleep 0.05; done"#)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(vault.stdout.take().unwrap());
    let mut first = String::new();
    stdout.read_line(&mut first).unwrap();
    assert_eq!(first, "ready\n");
    run_ok(StdCommand::new("kill").args(["-TERM", &vault.id().to_string()]));
    let deadline = Instant::now() + Duration::from_secs(20);
    let status = loop {
        if let Some(status) = vault.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            vault.kill().ok();
            panic!("vault did not pass SIGTERM on");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let mut rest = String::new();
    stdout.read_to_string(&mut rest).unwrap();
    assert_eq!(rest, "got TERM with <redacted>\n");
    assert_eq!(status.code(), Some(42));
}

#[test]
fn the_command_gets_the_core_size_limit_vault_was_given_not_vaults_own() {
    let s = with_entry();
    // vault keeps itself from dumping core; the command it runs is the user's, with the
    // user's limit (`ulimit -c` counts blocks of 1024 bytes).
    let run = s
        .command("sh")
        .args([
            "-c",
            "ulimit -c 2048; exec \"$0\" exec --redact db -- sh -c 'ulimit -c'",
        ])
        .arg(BIN)
        .output()
        .unwrap();
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&run.stdout), "2048\n");
}
