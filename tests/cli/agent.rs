//! The agent: unlock once, then jobs and commands decrypt through it with no key file at hand.

use std::fs;
use std::io::{Read, Write};
use std::os::unix::fs::MetadataExt;
use std::os::unix::net::UnixStream;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command as StdCommand, Stdio};
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
    // The starter refuses before it asks for anything or starts anything.
    let a = agent_start(&s, &pass, &[]).assert().code(1);
    assert_one_line_error(&a, "refusing agent socket");
    assert!(
        stderr_of(&a).contains(&format!(
            "its directory {} has mode 755, which lets others in",
            dir.display()
        )),
        "{}",
        stderr_of(&a)
    );
    // And so does the serving process, started directly, as a systemd unit would.
    let a = agent_start(&s, &pass, &["--foreground"]).assert().code(1);
    assert_one_line_error(&a, "refusing agent directory");
    assert!(stderr_of(&a).contains("it has mode 755, which lets others in"));
    assert!(!s.agent_socket().exists());
}

#[test]
fn our_own_agent_is_not_used_once_its_socket_or_directory_is_open_to_others() {
    let (s, pass) = sandbox();
    let _running = start(&s, &pass, &[]);
    let socket = s.agent_socket();
    let dir = socket.parent().unwrap().to_owned();
    fs::rename(s.key(), s.path("identity.elsewhere")).unwrap();

    chmod(&socket, 0o666);
    let a = s.vault(&["agent", "status"]).assert().code(1);
    assert_one_line_error(
        &a,
        &format!(
            "refusing agent socket {}: it has mode 666, which lets others in",
            socket.display()
        ),
    );
    s.vault(&["export", "bank"]).assert().code(4);
    chmod(&socket, 0o600);

    chmod(&dir, 0o711);
    let a = s.vault(&["agent", "status"]).assert().code(1);
    assert_one_line_error(&a, "has mode 711, which lets others in");
    s.vault(&["export", "bank"]).assert().code(4);
    chmod(&dir, 0o700);

    assert_eq!(s.export("bank"), "pw-of-bank\n");
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

/// Stops the test user's agent however a test ends, so none outlives the suite.
struct OtherUsersAgent<'a>(&'a Path, &'a Path);

impl Drop for OtherUsersAgent<'_> {
    fn drop(&mut self) {
        as_other_user(self.0, self.1, &["agent", "stop"]);
    }
}

#[test]
fn another_user_is_refused_even_with_access_to_the_socket() {
    if other_user().is_none() {
        return;
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
    let _stop = OtherUsersAgent(&bin, dir.path());

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

    // Root could get past the 0700 directory and the 0600 socket, but vault does not try:
    // the directory is not its user's.
    let a = s
        .vault(&["agent", "status"])
        .env("VAULT_AGENT_SOCK", &socket)
        .assert()
        .code(1);
    assert_one_line_error(&a, "belongs to another user");
    let vault = dir.path().join("vault.age");
    s.vault(&["list"])
        .env("VAULT_AGENT_SOCK", &socket)
        .env("VAULT_FILE", &vault)
        .assert()
        .code(4);
    // A client that does connect is sent nothing back: the agent checks who is asking.
    // The agent may close it before the request is even written: that is a refusal too.
    let mut raw = UnixStream::connect(&socket).unwrap();
    raw.write_all(b"I").ok();
    raw.shutdown(std::net::Shutdown::Write).ok();
    let mut answer = Vec::new();
    raw.read_to_end(&mut answer).ok();
    assert!(answer.is_empty(), "answered {answer:?}");
    // And it goes on serving its own user.
    let out = as_other_user(&bin, dir.path(), &["agent", "stop"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The second user's uid and gid, made if need be; `None` (the test skips) unless we are root.
fn other_user() -> Option<(u32, u32)> {
    if !rustix_is_root() {
        eprintln!("skipped: needs root to add a second user");
        return None;
    }
    let id = |flag: &str| {
        StdCommand::new("id")
            .args([flag, OTHER_USER])
            .output()
            .ok()
            .filter(|out| out.status.success())
            .and_then(|out| String::from_utf8(out.stdout).ok()?.trim().parse().ok())
    };
    if id("-u").is_none() {
        // Tests running at once may race to add it: whoever wins, it exists afterwards.
        StdCommand::new("useradd")
            .args(["--system", "--no-create-home", OTHER_USER])
            .output()
            .unwrap();
    }
    Some((id("-u").expect("the second user"), id("-g").unwrap()))
}

/// Another user's program listening on a socket at the path vault will use, as someone who
/// got to `/tmp` first would leave it. It writes one line per connection to `connections`
/// beside the socket, with what the client sent first, and answers an info request with its
/// own recipient, so that a client that believed it would encrypt to that key.
struct Squatter {
    child: Child,
    /// Where it listens now (a test may move the socket).
    socket: PathBuf,
    connections: PathBuf,
    /// Removed at the end: a directory outside any temporary one.
    remove: Option<PathBuf>,
}

const SQUATTER: &str = r#"
import os, socket, sys
path, mode, info = sys.argv[1], int(sys.argv[2], 8), sys.argv[3].encode()
d = os.path.dirname(path)
os.makedirs(d, exist_ok=True)
os.chmod(d, mode)
log = os.path.join(d, "connections")
s = socket.socket(socket.AF_UNIX)
s.bind(path)
os.chmod(path, 0o777)
s.listen(16)
open(log, "w").close()
while True:
    c, _ = s.accept()
    c.settimeout(2)
    try:
        got = c.recv(1)
    except OSError:
        got = b""
    if got == b"I":
        c.sendall(b"I" + len(info).to_bytes(4, "big") + info)
    with open(log, "a") as f:
        f.write("connection, sent %r\n" % got)
    c.close()
"#;

const PYTHON: &str = "/usr/bin/python3";

impl Squatter {
    /// Started as the second user, making the socket's directory with `dir_mode`. `None`
    /// (the test skips) without root or python.
    fn start(socket: &Path, dir_mode: u32, recipient: &str) -> Option<Squatter> {
        let (uid, gid) = other_user()?;
        if !Path::new(PYTHON).exists() {
            eprintln!("skipped: needs {PYTHON} for the other user's listener");
            return None;
        }
        let info = serde_json::json!({
            "pid": 1,
            "identity": "planted",
            "recipients": [recipient],
            "idle_timeout_secs": null,
        });
        let child = StdCommand::new(PYTHON)
            .arg("-c")
            .arg(SQUATTER)
            .arg(socket)
            .arg(format!("{dir_mode:o}"))
            .arg(info.to_string())
            .uid(uid)
            .gid(gid)
            .env_clear()
            .current_dir("/")
            .stdin(Stdio::null())
            .spawn()
            .unwrap();
        let mut squatter = Squatter {
            child,
            socket: socket.to_owned(),
            connections: socket.parent().unwrap().join("connections"),
            remove: None,
        };
        wait_until("the other user's listener", || {
            let exited = squatter.child.try_wait().unwrap();
            assert!(exited.is_none(), "the listener failed: {exited:?}");
            squatter.connections.exists()
        });
        assert_eq!(
            fs::symlink_metadata(socket).unwrap().uid(),
            uid,
            "the socket is the other user's"
        );
        Some(squatter)
    }

    /// The connections so far, one line each. The listener takes them in order, so once it
    /// has logged a probe of ours, it has logged every connection vault made before it.
    fn connections(&self) -> Vec<String> {
        const PROBE: &str = "connection, sent b'P'";
        let mut probe = UnixStream::connect(&self.socket).unwrap();
        probe.write_all(b"P").unwrap();
        let log = || fs::read_to_string(&self.connections).unwrap();
        wait_until("the listener to log a probe", || {
            log().ends_with(&format!("{PROBE}\n"))
        });
        log()
            .lines()
            .filter(|line| *line != PROBE)
            .map(str::to_owned)
            .collect()
    }

    fn assert_untouched(&self, after: &str) {
        assert_eq!(
            self.connections(),
            Vec::<String>::new(),
            "{after} connected to the planted socket"
        );
    }
}

impl Drop for Squatter {
    fn drop(&mut self) {
        self.child.kill().ok();
        self.child.wait().ok();
        if let Some(dir) = &self.remove {
            fs::remove_dir_all(dir).ok();
        }
    }
}

/// A directory in `/tmp` that any user may create things in, as `/tmp` itself.
fn shared_tmp() -> tempfile::TempDir {
    let dir = tempfile::Builder::new()
        .prefix("vault-squat-")
        .tempdir_in("/tmp")
        .unwrap();
    chmod(dir.path(), 0o777);
    dir
}

fn rustix_is_root() -> bool {
    my_uid() == 0
}

fn uid_of(user: &str) -> u32 {
    String::from_utf8(run_ok(StdCommand::new("id").args(["-u", user])))
        .unwrap()
        .trim()
        .parse()
        .unwrap()
}

/// The attacker's recipient, from a key of his own.
fn attacker_recipient(s: &Sandbox) -> (PathBuf, String) {
    s.keygen("attacker.key")
}

#[test]
fn a_socket_another_user_planted_is_never_connected_to() {
    let (s, pass) = sandbox();
    let (_, theirs) = attacker_recipient(&s);
    let tmp = shared_tmp();
    let socket = tmp.path().join("run").join("agent.sock");
    let Some(squatter) = Squatter::start(&socket, 0o777, &theirs) else {
        return;
    };
    let refused = format!(
        "refusing agent socket {}: its directory {} belongs to another user",
        socket.display(),
        socket.parent().unwrap().display()
    );
    let at = |args: &[&str]| {
        let mut cmd = s.vault(args);
        cmd.env("VAULT_AGENT_SOCK", &socket);
        cmd
    };

    let a = at(&["agent", "status"]).assert();
    squatter.assert_untouched("agent status");
    assert_one_line_error(&a.code(1), &refused);
    let a = at(&["agent", "stop"]).assert();
    squatter.assert_untouched("agent stop");
    assert_one_line_error(&a.code(1), &refused);
    // Refused at once: no passphrase asked, no process started to wait on.
    let started = Instant::now();
    let mut cmd = agent_start(&s, &pass, &[]);
    cmd.env("VAULT_AGENT_SOCK", &socket);
    let a = cmd.assert();
    squatter.assert_untouched("agent start");
    assert_one_line_error(&a.code(1), &refused);
    assert!(started.elapsed() < Duration::from_secs(10));

    // Only the agent could serve this job: it fails at once, saying why.
    fs::rename(s.key(), s.path("identity.elsewhere")).unwrap();
    let a = at(&["export", "bank"]).assert();
    squatter.assert_untouched("export");
    assert_one_line_error(&a.code(4), &refused);
    at(&["list"]).assert().code(4);
    squatter.assert_untouched("list");
}

#[test]
fn init_never_encrypts_to_a_key_from_a_planted_socket() {
    let s = Sandbox::new();
    let (attacker_key, theirs) = attacker_recipient(&s);
    // The operator's own identity, at the default path: `init` then asks an agent first.
    let config = s.path(".config/vault");
    fs::create_dir_all(&config).unwrap();
    chmod(&config, 0o700);
    let (mine, _) = s.keygen(".config/vault/identity");
    let tmp = shared_tmp();
    let socket = tmp.path().join("run").join("agent.sock");
    let Some(squatter) = Squatter::start(&socket, 0o777, &theirs) else {
        return;
    };

    s.vault(&["init", "--no-passphrase"])
        .env_remove("VAULT_IDENTITY")
        .env("VAULT_AGENT_SOCK", &socket)
        .assert()
        .success();

    squatter.assert_untouched("init");
    age_decrypt(&mine, &s.vault_path());
    let theirs_opens = StdCommand::new("age")
        .arg("-d")
        .arg("-i")
        .arg(&attacker_key)
        .arg(s.vault_path())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .unwrap();
    assert!(
        !theirs_opens.success(),
        "the new vault opens with their key"
    );
}

#[test]
fn the_tmp_fallback_refuses_a_directory_another_user_made_first() {
    if Path::new("/run/user/0").exists() {
        eprintln!("skipped: /run/user/0 exists, so the /tmp fallback is not used");
        return;
    }
    let (s, pass) = sandbox();
    let (_, theirs) = attacker_recipient(&s);
    let dir = PathBuf::from(format!("/tmp/vault-{}", my_uid()));
    if fs::symlink_metadata(&dir).is_ok() {
        eprintln!("skipped: {} exists already", dir.display());
        return;
    }
    let socket = dir.join("agent.sock");
    // Made private, as an attacker would: only the owner check stands in his way.
    let Some(mut squatter) = Squatter::start(&socket, 0o700, &theirs) else {
        return;
    };
    squatter.remove = Some(dir.clone());
    let fallback = |args: &[&str]| {
        let mut cmd = s.vault(args);
        cmd.env_remove("VAULT_AGENT_SOCK")
            .env_remove("XDG_RUNTIME_DIR");
        cmd
    };
    let refused = format!(
        "refusing agent socket {}: its directory {} belongs to another user",
        socket.display(),
        dir.display()
    );

    let a = fallback(&["agent", "status"]).assert();
    squatter.assert_untouched("agent status");
    assert_one_line_error(&a.code(1), &refused);
    let mut cmd = agent_start(&s, &pass, &[]);
    cmd.env_remove("VAULT_AGENT_SOCK");
    let a = cmd.assert();
    squatter.assert_untouched("agent start");
    assert_one_line_error(&a.code(1), &refused);
    fs::rename(s.key(), s.path("identity.elsewhere")).unwrap();
    let a = fallback(&["export", "bank"]).assert();
    squatter.assert_untouched("export");
    a.code(4);
    assert_eq!(
        fs::symlink_metadata(&dir).unwrap().mode() & 0o777,
        0o700,
        "left as it was"
    );
}

#[test]
fn a_socket_that_looks_ours_but_another_user_listens_on_is_sent_nothing() {
    let (s, _) = sandbox();
    let (_, theirs) = attacker_recipient(&s);
    let tmp = shared_tmp();
    let planted = tmp.path().join("run").join("agent.sock");
    let Some(mut squatter) = Squatter::start(&planted, 0o777, &theirs) else {
        return;
    };
    // Moved into our private directory and made ours: every check on the path passes, as
    // when someone swaps a directory higher up the path between the checks and the connect.
    let socket = s.agent_socket();
    let dir = socket.parent().unwrap();
    fs::create_dir(dir).unwrap();
    chmod(dir, 0o700);
    fs::rename(&planted, &socket).unwrap();
    std::os::unix::fs::lchown(&socket, Some(my_uid()), Some(0)).unwrap();
    chmod(&socket, 0o600);
    squatter.socket.clone_from(&socket);

    let sent_nothing = |after: &str| {
        let connections = squatter.connections();
        assert!(!connections.is_empty(), "{after} did not even connect");
        for line in &connections {
            assert_eq!(line, "connection, sent b''", "{after} sent something");
        }
    };
    let a = s.vault(&["agent", "status"]).assert();
    sent_nothing("agent status");
    assert_one_line_error(
        &a.code(1),
        &format!(
            "refusing agent socket {}: the process listening on it runs as uid {}",
            socket.display(),
            uid_of(OTHER_USER)
        ),
    );
    fs::rename(s.key(), s.path("identity.elsewhere")).unwrap();
    let a = s.vault(&["export", "bank"]).assert();
    sent_nothing("export");
    a.code(4);
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

fn my_uid() -> u32 {
    String::from_utf8(run_ok(StdCommand::new("id").arg("-u")))
        .unwrap()
        .trim()
        .parse()
        .unwrap()
}

#[test]
fn the_agent_signs_for_its_clients_with_the_operators_writer_key() {
    let (s, pass) = sandbox();
    let p = pass.to_str().unwrap();
    let own = stdout_of(
        &s.vault(&["trust", "show", "--passphrase-file", p])
            .assert()
            .success(),
    );
    let _running = start(&s, &pass, &[]);
    // Only the agent can serve now.
    fs::rename(s.key(), s.path("identity.elsewhere")).unwrap();
    assert_eq!(
        stdout_of(&s.vault(&["trust", "show"]).assert().success()),
        own
    );
    s.add("via-agent", "pw-agent");
    fs::rename(s.path("identity.elsewhere"), s.key()).unwrap();
    // The operator accepts only vaults signed by a writer in the trust list: their own key.
    let listed = stdout_of(
        &s.vault(&[
            "list",
            "--identity",
            s.key().to_str().unwrap(),
            "--passphrase-file",
            p,
        ])
        .assert()
        .success(),
    );
    assert!(listed.contains("via-agent"), "{listed}");
}

#[test]
fn relative_identity_and_socket_paths_are_where_they_were_given() {
    let (s, pass) = sandbox();
    // Given relative to the directory vault starts in (the sandbox), not to wherever the
    // serving process runs from.
    let a = s
        .vault(&[
            "agent",
            "start",
            "--identity",
            "identity.txt",
            "--passphrase-file",
            pass.to_str().unwrap(),
        ])
        .env("VAULT_AGENT_SOCK", "agent/agent.sock")
        .assert()
        .success();
    let _running = AgentRunning(&s);
    assert!(stderr_of(&a).contains(&s.agent_socket().display().to_string()));
    fs::rename(s.key(), s.path("identity.elsewhere")).unwrap();
    assert_eq!(s.export("bank"), "pw-of-bank\n");
}
