//! The agent: unlock once, then jobs and commands decrypt through it with no key file at hand.

use std::fs;
use std::io::{Read, Write};
use std::os::unix::fs::MetadataExt;
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::process::{Command as StdCommand, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use crate::common::*;

const PASSPHRASE: &str = "correct horse";

/// A vault with a passphrase-protected identity and one entry.
fn sandbox() -> (Sandbox, PathBuf) {
    Sandbox::with_passphrase(PASSPHRASE, &[("bank", "dustin")])
}

/// `vault agent start --passphrase-file PASS EXTRA…`, not yet run.
fn agent_start(s: &Sandbox, pass: &Path, extra: &[&str]) -> assert_cmd::Command {
    let mut cmd = s.vault(&[
        "agent",
        "start",
        "--passphrase-file",
        pass.to_str().unwrap(),
    ]);
    cmd.args(extra);
    cmd
}

fn start<'a>(s: &'a Sandbox, pass: &Path, extra: &[&str]) -> AgentRunning<'a> {
    let a = agent_start(s, pass, extra).assert().success();
    assert!(stderr_of(&a).contains("agent started"), "{}", stderr_of(&a));
    AgentRunning(s)
}

fn pid_of(s: &Sandbox) -> u32 {
    let status = stdout_of(&s.vault(&["agent", "status"]).assert().success());
    status
        .lines()
        .find_map(|l| l.strip_prefix("agent: running (pid "))
        .and_then(|rest| rest.trim_end_matches(')').parse().ok())
        .unwrap_or_else(|| panic!("no pid in {status}"))
}

#[test]
fn jobs_read_through_the_agent_and_not_once_it_stops() {
    let (s, pass) = sandbox();
    let running = start(&s, &pass, &[]);
    let socket = s.agent_socket();
    assert_eq!(mode(&socket), 0o600);
    assert_eq!(mode(socket.parent().unwrap()), 0o700);

    let listed = stdout_of(
        &s.vault(&[
            "recipients",
            "list",
            "--passphrase-file",
            pass.to_str().unwrap(),
        ])
        .assert()
        .success(),
    );
    let public = listed
        .split_whitespace()
        .find(|w| w.starts_with("age1"))
        .unwrap()
        .to_owned();

    // The job has no identity file at all: the one it names is not there.
    fs::rename(s.key(), s.path("identity.elsewhere")).unwrap();
    assert_eq!(s.export("bank"), "pw-of-bank\n");
    let listed = stdout_of(&s.vault(&["list"]).assert().success());
    assert_eq!(listed, "bank\n");
    // Writes go through it too, and the result still opens with the key file.
    s.add("mail", "pw-of-mail");
    s.vault(&[
        "exec",
        "mail",
        "--",
        "sh",
        "-c",
        "test \"$MAIL_PASSWORD\" = pw-of-mail",
    ])
    .assert()
    .success();
    let status = stdout_of(&s.vault(&["agent", "status"]).assert().success());
    assert!(status.contains(&format!("key: {public}")), "{status}");

    let a = s.vault(&["agent", "stop"]).assert().success();
    assert!(stderr_of(&a).contains("agent stopped"));
    drop(running);
    assert!(!socket.exists(), "the socket is removed");
    let a = s.vault(&["export", "bank"]).assert().code(4);
    assert_one_line_error(&a, "not found");
    s.vault(&["agent", "status"]).assert().code(1);
    s.vault(&["agent", "stop"]).assert().code(1);
}

#[test]
fn a_named_identity_file_is_used_over_the_agent() {
    let (s, pass) = sandbox();
    let _running = start(&s, &pass, &[]);
    // The file exists and is encrypted: with no terminal and no passphrase, it cannot open,
    // and vault says so rather than quietly using the agent instead.
    let a = s.vault(&["export", "bank"]).assert().code(4);
    assert_one_line_error(&a, "encrypted with a passphrase");
}

#[test]
fn clients_that_die_or_talk_nonsense_do_not_hurt_it() {
    let (s, pass) = sandbox();
    let _running = start(&s, &pass, &[]);
    let socket = s.agent_socket();
    // Gone halfway through a request; an unknown request; a length far past any header.
    let mut half = UnixStream::connect(&socket).unwrap();
    half.write_all(b"U\x00\x00\x01").unwrap();
    drop(half);
    for garbage in [
        &b"Zzzz"[..],
        b"U\xff\xff\xff\xffjunk",
        b"U\x00\x00\x00\x03[1,",
    ] {
        let mut client = UnixStream::connect(&socket).unwrap();
        client.write_all(garbage).unwrap();
        client.shutdown(std::net::Shutdown::Write).unwrap();
        let mut answer = Vec::new();
        client.read_to_end(&mut answer).ok();
        assert!(answer.is_empty(), "{garbage:?} got {answer:?}");
    }
    // One that connects and says nothing holds it only until its time runs out.
    let silent = UnixStream::connect(&socket).unwrap();
    fs::rename(s.key(), s.path("identity.elsewhere")).unwrap();
    assert_eq!(s.export("bank"), "pw-of-bank\n");
    drop(silent);
    s.vault(&["agent", "status"]).assert().success();
}

#[test]
fn an_agent_directory_others_can_enter_is_refused() {
    let (s, pass) = sandbox();
    let dir = s.agent_socket().parent().unwrap().to_owned();
    fs::create_dir(&dir).unwrap();
    chmod(&dir, 0o755);
    let a = agent_start(&s, &pass, &[]).assert().code(1);
    // Said by the serving process, passed on by the one that started it.
    assert_one_line_error(&a, "refusing agent directory");
    assert!(stderr_of(&a).contains("its mode 755 lets others in"));
    assert!(!s.agent_socket().exists());
}

#[test]
fn a_wrong_passphrase_starts_nothing() {
    let (s, _) = sandbox();
    let wrong = s.private_file("wrong", "nope\n");
    let a = agent_start(&s, &wrong, &[]).assert().code(4);
    assert_one_line_error(&a, "wrong passphrase");
    assert!(!s.agent_socket().exists());
    s.vault(&["agent", "status"]).assert().code(1);
}

#[test]
fn one_agent_at_a_time_and_a_killed_ones_socket_is_replaced() {
    let (s, pass) = sandbox();
    let _running = start(&s, &pass, &[]);
    let a = agent_start(&s, &pass, &[]).assert().code(1);
    assert_one_line_error(&a, "already running");

    let pid = pid_of(&s);
    run_ok(StdCommand::new("kill").args(["-KILL", &pid.to_string()]));
    wait_until("the agent to die", || {
        !Path::new(&format!("/proc/{pid}")).exists()
    });
    assert!(
        s.agent_socket().exists(),
        "a killed agent leaves its socket"
    );
    s.vault(&["agent", "status"]).assert().code(1);
    let _again = start(&s, &pass, &[]);
    assert_ne!(pid_of(&s), pid);
}

#[test]
fn idle_timeout_and_sigterm_end_it_and_remove_the_socket() {
    let (s, pass) = sandbox();
    let _running = start(&s, &pass, &["--idle-timeout", "1s"]);
    assert!(
        stdout_of(&s.vault(&["agent", "status"]).assert().success()).contains("idle timeout: 1s")
    );
    wait_until("the idle timeout", || !s.agent_socket().exists());
    s.vault(&["agent", "status"]).assert().code(1);

    // In the foreground, as a systemd unit runs it.
    let mut agent = StdCommand::new(BIN)
        .env("VAULT_FILE", s.vault_path())
        .env("VAULT_IDENTITY", s.key())
        .env("VAULT_AGENT_SOCK", s.agent_socket())
        .args(["agent", "start", "--foreground", "--passphrase-file"])
        .arg(&pass)
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    wait_until("the socket", || s.agent_socket().exists());
    let pid = agent.id();
    // Hardened as every vault process holding secrets: no core dumps.
    let limits = fs::read_to_string(format!("/proc/{pid}/limits")).unwrap();
    let core = limits
        .lines()
        .find(|l| l.starts_with("Max core file size"))
        .unwrap();
    assert_eq!(core.split_whitespace().nth(4), Some("0"), "{core}");
    run_ok(StdCommand::new("kill").args(["-TERM", &pid.to_string()]));
    let status = agent.wait().unwrap();
    assert!(status.success(), "{status}");
    assert!(!s.agent_socket().exists());
}

const OTHER_USER: &str = "vault-agent-test";

/// Runs `args` as the test user, with the agent socket and identity in `dir`.
fn as_other_user(bin: &Path, dir: &Path, args: &[&str]) -> std::process::Output {
    StdCommand::new("runuser")
        .args(["-u", OTHER_USER, "--", "env", "-i"])
        .arg(format!("VAULT_FILE={}", dir.join("vault.age").display()))
        .arg(format!("VAULT_IDENTITY={}", dir.join("id").display()))
        .arg(format!(
            "VAULT_AGENT_SOCK={}",
            dir.join("run/agent.sock").display()
        ))
        .arg(bin)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

#[test]
fn another_user_is_refused_even_with_access_to_the_socket() {
    if !rustix_is_root() {
        eprintln!("skipped: needs root to add a second user");
        return;
    }
    if !StdCommand::new("id")
        .arg(OTHER_USER)
        .output()
        .unwrap()
        .status
        .success()
    {
        run_ok(StdCommand::new("useradd").args(["--system", "--no-create-home", OTHER_USER]));
    }
    let s = Sandbox::new();
    // A directory and a copy of the binary the other user can reach.
    let dir = tempfile::Builder::new()
        .prefix("vault-agent-")
        .tempdir_in("/tmp")
        .unwrap();
    let bin = dir.path().join("vault");
    fs::copy(BIN, &bin).unwrap();
    run_ok(StdCommand::new("chown").arg(OTHER_USER).arg(dir.path()));
    chmod(dir.path(), 0o755);
    let out = as_other_user(&bin, dir.path(), &["init", "--no-passphrase"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = as_other_user(&bin, dir.path(), &["agent", "start"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let socket = dir.path().join("run/agent.sock");
    let agent_pid = {
        let out = as_other_user(&bin, dir.path(), &["agent", "status"]);
        assert!(out.status.success(), "its own user is served");
        let text = String::from_utf8(out.stdout).unwrap();
        text.lines()
            .find_map(|l| l.strip_prefix("agent: running (pid "))
            .and_then(|rest| rest.trim_end_matches(')').parse::<u32>().ok())
            .unwrap()
    };
    assert_eq!(fs::metadata(&socket).unwrap().uid(), uid_of(OTHER_USER));
    // Non-dumpable: the kernel hands its /proc files to root, not to the user it runs as.
    assert_eq!(
        fs::metadata(format!("/proc/{agent_pid}/status"))
            .unwrap()
            .uid(),
        0
    );

    // Root gets past the 0700 directory and the 0600 socket; the agent still says no.
    let a = s
        .vault(&["agent", "status"])
        .env("VAULT_AGENT_SOCK", &socket)
        .assert()
        .code(1);
    assert_one_line_error(&a, "no agent is running");
    let vault = dir.path().join("vault.age");
    s.vault(&["list"])
        .env("VAULT_AGENT_SOCK", &socket)
        .env("VAULT_FILE", &vault)
        .assert()
        .code(4);
    // And it goes on serving its own user.
    let out = as_other_user(&bin, dir.path(), &["agent", "stop"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn rustix_is_root() -> bool {
    String::from_utf8(run_ok(StdCommand::new("id").arg("-u")))
        .unwrap()
        .trim()
        == "0"
}

fn uid_of(user: &str) -> u32 {
    String::from_utf8(run_ok(StdCommand::new("id").args(["-u", user])))
        .unwrap()
        .trim()
        .parse()
        .unwrap()
}

#[test]
fn a_client_that_trickles_its_request_holds_the_agent_for_seconds_at_most() {
    let (s, pass) = sandbox();
    let _running = start(&s, &pass, &[]);
    let mut slow = UnixStream::connect(s.agent_socket()).unwrap();
    // A 4 KiB request at a byte every half second: each byte is well inside any timeout for
    // one read, the whole would take half an hour.
    slow.write_all(b"U\x00\x00\x10\x00").unwrap();
    let trickler = thread::spawn(move || {
        let started = Instant::now();
        while started.elapsed() < Duration::from_secs(30) {
            thread::sleep(Duration::from_millis(500));
            if slow.write_all(b" ").is_err() {
                return Some(started.elapsed());
            }
        }
        None
    });
    // The agent takes it first.
    thread::sleep(Duration::from_millis(300));

    fs::rename(s.key(), s.path("identity.elsewhere")).unwrap();
    let started = Instant::now();
    assert_eq!(s.export("bank"), "pw-of-bank\n");
    let waited = started.elapsed();
    assert!(waited < Duration::from_secs(8), "served after {waited:?}");
    let cut = trickler.join().unwrap();
    assert!(
        cut.is_some_and(|t| t < Duration::from_secs(10)),
        "cut off after {cut:?}"
    );
}

#[test]
fn a_request_past_the_size_bound_is_dropped_unread() {
    let (s, pass) = sandbox();
    let _running = start(&s, &pass, &[]);
    // Well-formed and about 300 KB: far past any real header, yet under the bound on answers.
    let body = vec!["0"; 150_000].join(",");
    let json = format!(r#"[{{"tag":"junk","args":[],"body":[{body}]}}]"#);
    let mut request = b"U".to_vec();
    request.extend_from_slice(&u32::try_from(json.len()).unwrap().to_be_bytes());
    request.extend_from_slice(json.as_bytes());

    let mut client = UnixStream::connect(s.agent_socket()).unwrap();
    client
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    client
        .set_write_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    // Cut short when the agent hangs up on it.
    client.write_all(&request).ok();
    let mut answer = Vec::new();
    client.read_to_end(&mut answer).ok();
    assert!(
        answer.is_empty(),
        "answered {:?}",
        String::from_utf8_lossy(&answer)
    );

    fs::rename(s.key(), s.path("identity.elsewhere")).unwrap();
    assert_eq!(s.export("bank"), "pw-of-bank\n");
}
