//! export: the read a scheduled job makes.

use std::fs;
use std::process::Command as StdCommand;

use crate::common::*;

fn with_bank() -> Sandbox {
    let s = Sandbox::init();
    s.write_vault_with_age(&format!(
        r#"{{"recipients": [{{"name": "operator", "key": "{}"}}],
            "entries": {{"bank": {{"username": "dustin", "password": "it's $x", "url": "https://bank.example",
            "fields": {{"pin": "1234"}}, "tags": ["finance"]}}}}}}"#,
        age_keygen_y(&s.key())
    ));
    s
}

#[test]
fn raw_prints_one_field_with_or_without_newline() {
    let s = with_bank();
    assert_eq!(
        stdout_of(&s.vault(&["export", "bank"]).assert().success()),
        "it's $x\n"
    );
    assert_eq!(
        stdout_of(&s.vault(&["export", "bank", "-n"]).assert().success()),
        "it's $x"
    );
    assert_eq!(
        stdout_of(
            &s.vault(&["export", "bank", "--field", "username"])
                .assert()
                .success()
        ),
        "dustin\n"
    );
    assert_eq!(
        stdout_of(&s.vault(&["export", "bank", "-f", "pin"]).assert().success()),
        "1234\n"
    );
    let a = s
        .vault(&["export", "bank", "--field", "nope"])
        .assert()
        .code(3);
    assert_one_line_error(&a, "no field 'nope'");
    let a = s.vault(&["export", "nope"]).assert().code(3);
    assert_one_line_error(&a, "no entry 'nope'");
}

#[test]
fn json_is_the_whole_entry_for_jq() {
    let s = with_bank();
    let a = s
        .vault(&["export", "bank", "--format", "json"])
        .assert()
        .success();
    let entry: serde_json::Value = serde_json::from_str(&stdout_of(&a)).unwrap();
    assert_eq!(entry["password"], "it's $x");
    assert_eq!(entry["fields"]["pin"], "1234");
    assert_eq!(entry["tags"][0], "finance");
    s.vault(&["export", "bank", "--format", "json", "--field", "pin"])
        .assert()
        .code(2);
}

#[test]
fn json_leaves_old_passwords_out_unless_asked() {
    let s = with_bank();
    s.edit_password("bank", "it's new");
    let json = |args: &[&str]| -> serde_json::Value {
        serde_json::from_str(&stdout_of(&s.vault(args).assert().success())).unwrap()
    };
    let entry = json(&["export", "bank", "--format", "json"]);
    assert_eq!(entry["password"], "it's new");
    assert!(entry.get("history").is_none(), "{entry}");
    let entry = json(&["export", "bank", "--format", "json", "--history"]);
    assert_eq!(entry["history"][0]["password"], "it's $x");
}

#[test]
fn env_lines_survive_a_real_shell() {
    let s = with_bank();
    let env = stdout_of(
        &s.vault(&["export", "bank", "--format", "env"])
            .assert()
            .success(),
    );
    assert!(env.contains("BANK_PASSWORD='it'\\''s $x'\n"), "{env}");
    let script =
        format!("{env}\nprintf '%s|%s|%s' \"$BANK_PASSWORD\" \"$BANK_USERNAME\" \"$BANK_PIN\"");
    let out = run_ok(StdCommand::new("sh").args(["-c", &script]));
    assert_eq!(String::from_utf8(out).unwrap(), "it's $x|dustin|1234");
    let one = stdout_of(
        &s.vault(&["export", "bank", "--format", "env", "--field", "username"])
            .assert()
            .success(),
    );
    assert_eq!(one, "BANK_USERNAME='dustin'\n");
}

#[test]
fn output_file_is_new_and_private_even_over_an_open_one() {
    let s = with_bank();
    let out = s.path("secret.out");
    fs::write(&out, "old").unwrap();
    chmod(&out, 0o644);
    let a = s
        .vault(&["export", "bank", "-o", out.to_str().unwrap()])
        .assert()
        .success();
    assert!(stdout_of(&a).is_empty());
    assert_eq!(fs::read_to_string(&out).unwrap(), "it's $x\n");
    assert_eq!(mode(&out), 0o600);
}

#[test]
fn export_takes_no_lock_and_never_writes() {
    let s = with_bank();
    fs::remove_file(s.path("vault.age.lock")).unwrap();
    fs::remove_file(s.path("vault.age.bak")).unwrap();
    let before = s.bytes();
    s.vault(&["export", "bank"]).assert().success();
    s.vault(&["list"]).assert().success();
    s.vault(&["show", "bank"]).assert().success();
    assert_eq!(s.bytes(), before);
    assert!(
        !s.path("vault.age.lock").exists(),
        "a reader creates no lock file"
    );
    assert!(!s.path("vault.age.bak").exists());
}

#[test]
fn export_from_a_read_only_copy_works() {
    // A service account reads a vault it cannot write (nor create a lock beside).
    let s = with_bank();
    let ro = s.path("ro");
    fs::create_dir(&ro).unwrap();
    fs::copy(s.vault_path(), ro.join("vault.age")).unwrap();
    chmod(&ro, 0o555);
    let a = s
        .vault(&[
            "export",
            "bank",
            "--vault",
            ro.join("vault.age").to_str().unwrap(),
        ])
        .assert()
        .success();
    assert_eq!(stdout_of(&a), "it's $x\n");
    chmod(&ro, 0o755);
}

#[test]
fn env_format_leaves_out_variables_that_change_how_programs_run() {
    let s = Sandbox::init();
    s.write_vault_with_age(&format!(
        r#"{{"recipients": [{{"name": "operator", "key": "{}"}}],
            "entries": {{
              "git": {{"password": "gp", "fields": {{"ssh command": "touch pwned"}}}},
              "node": {{"password": "np", "fields": {{"options": "--require /tmp/evil.js", "token": "nt"}}}}
            }}}}"#,
        age_keygen_y(&s.key())
    ));
    let a = s
        .vault(&["export", "node", "--format", "env"])
        .assert()
        .success();
    let out = stdout_of(&a);
    assert!(
        out.contains("NODE_PASSWORD='np'\n") && out.contains("NODE_TOKEN='nt'\n"),
        "{out}"
    );
    assert!(
        !out.contains("NODE_OPTIONS") && !out.contains("evil"),
        "{out}"
    );
    let said = stderr_of(&a);
    assert!(
        said.starts_with("vault: warning: not setting NODE_OPTIONS from node.options"),
        "{said}"
    );
    assert!(!said.contains("evil"), "{said}");

    let a = s
        .vault(&["export", "git", "--format", "env", "--field", "ssh command"])
        .assert()
        .success();
    assert_eq!(stdout_of(&a), "");
    assert!(stderr_of(&a).contains("not setting GIT_SSH_COMMAND"));
    let file = s.path("git.env");
    s.vault(&[
        "export",
        "git",
        "--format",
        "env",
        "-o",
        file.to_str().unwrap(),
    ])
    .assert()
    .success();
    assert!(!fs::read_to_string(&file).unwrap().contains("GIT_"));
}

/// A plaintext secret large enough that writing it takes a while, so kills land mid-write.
fn with_big_secret() -> (Sandbox, String) {
    let s = Sandbox::init();
    let secret = format!("zq-big-{}-zq", "s".repeat(1 << 20));
    s.write_vault_with_age(&format!(
        r#"{{"entries": {{"big": {{"password": "{secret}"}}}}}}"#
    ));
    (s, secret)
}

#[test]
fn an_export_to_a_file_killed_at_any_point_leaves_no_plaintext_behind() {
    use std::process::Stdio;
    use std::thread;
    use std::time::{Duration, Instant, SystemTime};

    let (s, secret) = with_big_secret();
    let out_dir = s.path("out");
    fs::create_dir(&out_dir).unwrap();
    let spawn = |target: &std::path::Path| {
        StdCommand::new(BIN)
            .args(["export", "big", "-o"])
            .arg(target)
            .env_clear()
            .env("VAULT_FILE", s.vault_path())
            .env("VAULT_IDENTITY", s.key())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap()
    };
    let started = Instant::now();
    let calibrate = out_dir.join("calibrate");
    assert!(spawn(&calibrate).wait().unwrap().success());
    assert_eq!(
        fs::read_to_string(&calibrate).unwrap(),
        format!("{secret}\n")
    );
    fs::remove_file(&calibrate).unwrap();
    let took = u64::try_from(started.elapsed().as_micros()).unwrap() * 3 / 2;
    let now = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap();
    let mut seed = (now.as_secs() << 30) ^ u64::from(now.subsec_nanos()) | 1;
    eprintln!("export kill harness: seed {seed}");
    let kills: usize = std::env::var("CRASH_KILLS")
        .ok()
        .and_then(|n| n.parse().ok())
        .map_or(30, |n: usize| n / 5);
    let (mut whole, mut nothing) = (0, 0);
    for i in 0..kills {
        let target = out_dir.join(format!("job-{i}.txt"));
        let mut child = spawn(&target);
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        if seed.is_multiple_of(2) {
            thread::sleep(Duration::from_micros(seed % took));
        } else {
            // The moment anything shows in the directory: a temp file being written, or the
            // finished file.
            let deadline = Instant::now() + Duration::from_secs(20);
            while fs::read_dir(&out_dir).unwrap().next().is_none()
                && child.try_wait().unwrap().is_none()
                && Instant::now() < deadline
            {}
        }
        child.kill().ok();
        child.wait().unwrap();
        let left: Vec<_> = fs::read_dir(&out_dir).unwrap().collect();
        if left.is_empty() {
            nothing += 1;
        }
        for entry in left {
            let path = entry.unwrap().path();
            assert_eq!(
                path,
                target,
                "kill {i}: a killed export left {} behind",
                path.display()
            );
            assert_eq!(
                fs::read_to_string(&path).unwrap().len(),
                secret.len() + 1,
                "kill {i}: the file is there but not whole"
            );
            assert_eq!(mode(&path), 0o600);
            fs::remove_file(&path).unwrap();
            whole += 1;
        }
    }
    eprintln!(
        "export kill harness: {kills} kills: {whole} left the whole file, {nothing} nothing at all"
    );
}

#[test]
fn export_to_a_closed_stdout_fails_rather_than_deliver_nothing() {
    let s = with_bank();
    let mut child = std::process::Command::new(BIN)
        .args(["export", "bank"])
        .env("HOME", s.dir.path())
        .env("VAULT_FILE", s.vault_path())
        .env("VAULT_IDENTITY", s.key())
        .env("VAULT_AGENT_SOCK", s.agent_socket())
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("standard output is closed"), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
}

/// `vault export NAME`: its exit code and what it printed.
fn export_status(s: &Sandbox, name: &str) -> (Option<i32>, Vec<u8>) {
    let out = s.vault(&["export", name]).output().unwrap();
    (out.status.code(), out.stdout)
}

#[test]
fn a_100k_vault_is_read_to_its_end_before_anything_is_printed() {
    const N: usize = 100_000;
    let s = Sandbox::init();
    let json = large_document(&s, 0..N);
    s.write_signed_vault(&json, &s.own_writer_key());
    for n in [0, N / 2, N - 1] {
        assert_eq!(s.export(&format!("e{n:06}")), format!("pw-{n}\n"));
    }
    assert_eq!(export_status(&s, "e100000"), (Some(3), Vec::new()));
    let good = s.bytes();
    let len = good.len();
    let mut damaged: Vec<(&str, Vec<u8>)> = Vec::new();
    for cut in [len - 1, len - 100, len - 70_000, len / 2, 300] {
        damaged.push(("truncated", good[..cut].to_vec()));
    }
    for at in [len - 20, len - 70_000, len / 2, 400] {
        let mut bytes = good.clone();
        bytes[at] ^= 0x01;
        damaged.push(("tampered", bytes));
    }
    for (what, bytes) in damaged {
        fs::write(s.vault_path(), &bytes).unwrap();
        // The first entry is found long before the damage is: nothing is printed all the same.
        for n in [0, N - 1] {
            let (code, stdout) = export_status(&s, &format!("e{n:06}"));
            assert_eq!(code, Some(6), "{what} at {}", bytes.len());
            assert!(stdout.is_empty(), "{what}: printed {} bytes", stdout.len());
        }
    }
    // Signed by a key nobody trusts, or not signed at all: refused, and nothing printed.
    s.write_signed_vault(&json, &vault::writer::WriterKey::generate());
    assert_eq!(export_status(&s, "e000000"), (Some(8), Vec::new()));
    s.write_hand_made_vault(&json);
    assert_eq!(export_status(&s, "e000000"), (Some(8), Vec::new()));
}

#[test]
fn a_large_vault_with_a_name_twice_is_refused_in_any_order() {
    const N: usize = 20_000;
    let s = Sandbox::init();
    let sorted_twice = (0..N).flat_map(|n| if n == 7_000 { vec![n, n] } else { vec![n] });
    let reversed_twice = (0..N).rev().chain(std::iter::once(12_345));
    for names in [
        Box::new(sorted_twice) as Box<dyn Iterator<Item = usize>>,
        Box::new(reversed_twice),
    ] {
        let json = large_document(&s, names);
        s.write_signed_vault(&json, &s.own_writer_key());
        for name in ["e000000", "e012345", "e019999"] {
            let a = s.vault(&["export", name]).assert().code(6);
            assert_one_line_error(&a, "duplicate key");
            assert!(stdout_of(&a).is_empty());
        }
    }
    // Out of order but with no name twice: read, whatever entry is asked for.
    let json = large_document(&s, (0..N).rev());
    s.write_signed_vault(&json, &s.own_writer_key());
    for n in [0, N / 2, N - 1] {
        assert_eq!(s.export(&format!("e{n:06}")), format!("pw-{n}\n"));
    }
}
