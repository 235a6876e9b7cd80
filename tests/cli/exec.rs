//! exec: a command gets the entries' fields in its environment and nowhere else.

use std::collections::BTreeMap;
use std::fs;
use std::process::Command as StdCommand;

use crate::common::*;

fn with_entries() -> Sandbox {
    let s = Sandbox::init();
    s.write_vault_with_age(&format!(
        r#"{{"recipients": [{{"name": "operator", "key": "{}"}}],
            "entries": {{
              "bank": {{"username": "dustin", "password": "it's $x", "url": "https://bank.example",
                        "fields": {{"pin": "1234", "api-key": "k 1"}}}},
              "db/prod": {{"username": "app", "password": "pg-secret"}},
              "bank-a": {{"password": "a"}},
              "bank_a": {{"password": "b"}}
            }}}}"#,
        age_keygen_y(&s.key())
    ));
    s
}

/// Runs `vault exec ARGS -- sh -c 'env > FILE'` and returns the child's environment.
fn env_of(s: &Sandbox, args: &[&str]) -> BTreeMap<String, String> {
    let out = s.path("env.out");
    let script = format!("env -0 > '{}'", out.display());
    let mut all = vec!["exec"];
    all.extend_from_slice(args);
    all.extend_from_slice(&["--", "sh", "-c", &script]);
    s.vault(&all).assert().success();
    let text = fs::read_to_string(&out).unwrap();
    fs::remove_file(&out).unwrap();
    text.split('\0')
        .filter_map(|kv| kv.split_once('='))
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
}

#[test]
fn the_command_sees_every_field_of_the_named_entries() {
    let s = with_entries();
    let env = env_of(&s, &["bank", "db/prod"]);
    assert_eq!(env["BANK_USERNAME"], "dustin");
    assert_eq!(env["BANK_PASSWORD"], "it's $x");
    assert_eq!(env["BANK_URL"], "https://bank.example");
    assert_eq!(env["BANK_NOTES"], "");
    assert_eq!(env["BANK_PIN"], "1234");
    assert_eq!(env["BANK_API_KEY"], "k 1");
    assert_eq!(env["DB_PROD_PASSWORD"], "pg-secret");
    // The rest of the environment passes through untouched.
    assert_eq!(
        env["VAULT_FILE"],
        s.vault_path().to_str().unwrap(),
        "the caller's environment is kept"
    );
}

#[test]
fn env_maps_single_fields_to_names_of_your_choosing() {
    let s = with_entries();
    let env = env_of(
        &s,
        &[
            "--env",
            "PGPASSWORD=db/prod.password",
            "--env",
            "PGUSER=db/prod.username",
        ],
    );
    assert_eq!(env["PGPASSWORD"], "pg-secret");
    assert_eq!(env["PGUSER"], "app");
    assert!(
        !env.contains_key("DB_PROD_PASSWORD"),
        "only what was mapped"
    );
}

#[test]
fn the_command_replaces_vault_and_its_exit_code_is_vaults() {
    let s = with_entries();
    let pid_file = s.path("pid");
    let script = format!("echo $$ > '{}'; exit 42", pid_file.display());
    let child = s
        .vault(&["exec", "bank", "--", "sh", "-c", &script])
        .assert()
        .code(42);
    drop(child);
    // Same process: vault was replaced, not left waiting beside its child.
    let mut cmd = StdCommand::new(BIN);
    cmd.env_clear()
        .env("VAULT_FILE", s.vault_path())
        .env("VAULT_IDENTITY", s.key())
        .env("PATH", std::env::var_os("PATH").unwrap())
        .args(["exec", "bank", "--", "sh", "-c", &script]);
    let mut spawned = cmd.spawn().unwrap();
    let pid = spawned.id();
    assert_eq!(spawned.wait().unwrap().code(), Some(42));
    assert_eq!(
        fs::read_to_string(&pid_file).unwrap().trim(),
        pid.to_string()
    );
}

#[test]
fn the_command_gets_the_users_core_limit_back() {
    let s = with_entries();
    let out = s.path("limit");
    // vault drops its own limit to 0 while it holds secrets; the command must see 2048 again.
    let script = format!(
        "ulimit -S -c 2048 && exec \"$0\" exec bank -- sh -c \"ulimit -c > '{}'\"",
        out.display()
    );
    let mut cmd = StdCommand::new("sh");
    cmd.env("VAULT_FILE", s.vault_path())
        .env("VAULT_IDENTITY", s.key())
        .args(["-c", &script, BIN]);
    run_ok(&mut cmd);
    assert_eq!(fs::read_to_string(out).unwrap().trim(), "2048");
}

#[test]
fn clashing_names_are_refused_before_the_command_runs() {
    let s = with_entries();
    let marker = s.path("ran");
    let script = format!("touch '{}'", marker.display());
    let a = s
        .vault(&["exec", "bank-a", "bank_a", "--", "sh", "-c", &script])
        .assert()
        .code(2);
    assert_one_line_error(
        &a,
        "BANK_A_USERNAME would be set twice: by bank-a.username and by bank_a.username",
    );
    let a = s
        .vault(&[
            "exec",
            "bank",
            "--env",
            "BANK_PIN=db/prod.password",
            "--",
            "sh",
            "-c",
            &script,
        ])
        .assert()
        .code(2);
    assert_one_line_error(&a, "BANK_PIN would be set twice");
    assert!(!marker.exists(), "the command ran despite the clash");
}

#[test]
fn bad_requests_fail_with_their_own_exit_codes() {
    let s = with_entries();
    let mut said = String::new();
    for (args, code, message) in [
        (
            &["bank", "--", "/nonexistent/tool", "arg"][..],
            1,
            "cannot run /nonexistent/tool: not found",
        ),
        (&["nope", "--", "true"][..], 3, "no entry 'nope'"),
        (
            &["--env", "X=bank.nope", "--", "true"][..],
            3,
            "no field 'nope'",
        ),
        (
            &["--env", "1X=bank.password", "--", "true"][..],
            2,
            "--env \"1X=bank.password\"",
        ),
        (&["--", "true"][..], 2, "name at least one entry"),
    ] {
        let mut all = vec!["exec"];
        all.extend_from_slice(args);
        let a = s.vault(&all).assert().code(code);
        assert_one_line_error(&a, message);
        said.push_str(&stderr_of(&a));
    }
    // clap's own: the command is required.
    s.vault(&["exec", "bank"]).assert().code(2);
    assert!(!said.contains("it's $x") && !said.contains("1234"));
}

/// A vault whose names, joined, make variables that change how programs run.
fn with_dangerous_names() -> Sandbox {
    let s = Sandbox::init();
    s.write_vault_with_age(&format!(
        r#"{{"recipients": [{{"name": "operator", "key": "{}"}}],
            "entries": {{
              "git": {{"password": "gp", "fields": {{"ssh command": "touch pwned-by-git"}}}},
              "ld": {{"fields": {{"preload": "/tmp/evil.so"}}}},
              "node": {{"password": "np", "fields": {{"options": "--require /tmp/evil.js", "token": "nt"}}}}
            }}}}"#,
        age_keygen_y(&s.key())
    ));
    s
}

#[test]
fn names_never_set_variables_that_change_how_programs_run() {
    let s = with_dangerous_names();
    let out = s.path("env.out");
    let script = format!("env -0 > '{}'", out.display());
    let a = s
        .vault(&["exec", "git", "ld", "node", "--", "sh", "-c", &script])
        .assert()
        .success();
    let env: BTreeMap<String, String> = fs::read_to_string(&out)
        .unwrap()
        .split('\0')
        .filter_map(|kv| kv.split_once('='))
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
    for denied in [
        "GIT_SSH_COMMAND",
        "GIT_PASSWORD",
        "LD_PRELOAD",
        "NODE_OPTIONS",
    ] {
        assert!(!env.contains_key(denied), "{denied} was set");
    }
    assert_eq!(env["NODE_PASSWORD"], "np");
    assert_eq!(env["NODE_TOKEN"], "nt");
    let said = stderr_of(&a);
    assert!(
        said.lines()
            .any(|l| l
                .starts_with("vault: warning: not setting GIT_SSH_COMMAND from git.ssh command")),
        "{said}"
    );
    assert!(said.contains("not setting LD_PRELOAD") && said.contains("not setting NODE_OPTIONS"));
    assert!(
        !said.contains("pwned") && !said.contains("evil"),
        "a value in: {said}"
    );

    // Named by the user, any variable may be set.
    let env = env_of(
        &s,
        &[
            "git",
            "--env",
            "GIT_SSH_COMMAND=git.ssh command",
            "--env",
            "LD_PRELOAD=ld.preload",
        ],
    );
    assert_eq!(env["GIT_SSH_COMMAND"], "touch pwned-by-git");
    assert_eq!(env["LD_PRELOAD"], "/tmp/evil.so");
}

#[test]
fn a_derived_git_ssh_command_is_not_run_by_git() {
    let s = with_dangerous_names();
    let repo = s.path("repo");
    run_ok(StdCommand::new("git").args(["init", "-q"]).arg(&repo));
    // git ls-remote over ssh runs GIT_SSH_COMMAND, whatever the host.
    s.vault(&[
        "exec",
        "git",
        "--",
        "git",
        "-C",
        repo.to_str().unwrap(),
        "ls-remote",
        "ssh://example.invalid/x",
    ])
    .assert()
    .failure();
    assert!(
        !s.path("pwned-by-git").exists(),
        "GIT_SSH_COMMAND from the vault ran"
    );
}
