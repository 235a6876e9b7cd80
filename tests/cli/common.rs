use std::fmt::Write as _;
use std::fs;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Command as StdCommand, Stdio};
use std::time::Duration;

use assert_cmd::Command;
use tempfile::TempDir;

/// Shared with the Windows tests, which wait on the X server too.
pub use crate::x11::wait_until;

pub const BIN: &str = env!("CARGO_BIN_EXE_vault");

/// A directory with a vault and an identity in it, and `vault` pointed at them through the
/// environment, as a user's shell would.
pub struct Sandbox {
    pub dir: TempDir,
}

impl Sandbox {
    pub fn new() -> Self {
        Sandbox {
            dir: tempfile::tempdir().expect("temp dir"),
        }
    }

    /// A sandbox with `vault init --no-passphrase` done.
    pub fn init() -> Self {
        let sandbox = Sandbox::new();
        sandbox
            .vault(&["init", "--no-passphrase"])
            .assert()
            .success();
        sandbox
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// A sandbox whose identity is protected by `passphrase` (kept in the private file
    /// returned), holding `entries` as (name, username), each with the password `pw-of-NAME`.
    pub fn with_passphrase(passphrase: &str, entries: &[(&str, &str)]) -> (Sandbox, PathBuf) {
        let s = Sandbox::new();
        let pass = s.private_file("pass", &format!("{passphrase}\n"));
        let p = pass.to_str().unwrap().to_owned();
        s.vault(&["init", "--passphrase-file", &p])
            .assert()
            .success();
        for (name, user) in entries {
            s.vault(&["add", name, "--username", user, "--passphrase-file", &p])
                .write_stdin(format!("pw-of-{name}\n"))
                .assert()
                .success();
        }
        (s, pass)
    }

    /// A file only we can read (a passphrase file), holding `content`.
    pub fn private_file(&self, name: &str, content: &str) -> PathBuf {
        let path = self.path(name);
        fs::write(&path, content).unwrap();
        chmod(&path, 0o600);
        path
    }

    pub fn vault_path(&self) -> PathBuf {
        self.path("vault.age")
    }

    /// Each sandbox has its own agent socket, so no test meets another's agent (or the user's).
    pub fn agent_socket(&self) -> PathBuf {
        self.path("agent").join("agent.sock")
    }

    pub fn key(&self) -> PathBuf {
        self.path("identity.txt")
    }

    /// `vault ARGS` with a clean environment, no terminal, and a guard against hanging.
    pub fn vault(&self, args: &[&str]) -> Command {
        let mut cmd = Command::from_std(self.command(BIN));
        cmd.timeout(Duration::from_secs(60)).args(args);
        cmd
    }

    /// `program` with the environment of the sandbox (its vault, identity and agent socket,
    /// and nothing else of the test's): for vault, a shell, script(1).
    pub fn command(&self, program: impl AsRef<std::ffi::OsStr>) -> StdCommand {
        let mut cmd = StdCommand::new(program);
        cmd.env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", self.dir.path())
            .env("VAULT_FILE", self.vault_path())
            .env("VAULT_IDENTITY", self.key())
            .env("VAULT_AGENT_SOCK", self.agent_socket())
            .current_dir(self.dir.path());
        cmd
    }

    pub fn add(&self, name: &str, password: &str) {
        self.vault(&["add", name])
            .write_stdin(format!("{password}\n"))
            .assert()
            .success();
    }

    /// `vault edit NAME --password`, the new password on stdin.
    pub fn edit_password(&self, name: &str, password: &str) {
        self.vault(&["edit", name, "--password"])
            .write_stdin(format!("{password}\n"))
            .assert()
            .success();
    }

    pub fn export(&self, name: &str) -> String {
        let out = self.vault(&["export", name]).assert().success();
        String::from_utf8(out.get_output().stdout.clone()).expect("utf-8")
    }

    /// `vault export NAME --field FIELD`, without the newline.
    pub fn export_field(&self, name: &str, field: &str) -> String {
        let out = self
            .vault(&["export", name, "--field", field, "-n"])
            .assert()
            .success();
        String::from_utf8(out.get_output().stdout.clone()).expect("utf-8")
    }

    pub fn bytes(&self) -> Vec<u8> {
        fs::read(self.vault_path()).expect("vault bytes")
    }

    /// A new service identity made with `vault keygen`; returns its path and public key.
    pub fn keygen(&self, name: &str) -> (PathBuf, String) {
        let path = self.path(name);
        let out = self
            .vault(&["keygen", "-o", path.to_str().unwrap()])
            .assert()
            .success();
        let public = String::from_utf8(out.get_output().stdout.clone())
            .unwrap()
            .trim()
            .to_owned();
        (path, public)
    }

    /// A new job key made with `vault keygen --trust`, pinned to the sandbox's writer key;
    /// returns its path and public key.
    pub fn pinned_job_key(&self, name: &str) -> (PathBuf, String) {
        let writer = stdout_of(&self.vault(&["trust", "show"]).assert().success());
        let path = self.path(name);
        let public = stdout_of(
            &self
                .vault(&[
                    "keygen",
                    "-o",
                    path.to_str().unwrap(),
                    "--trust",
                    writer.trim(),
                ])
                .assert()
                .success(),
        );
        (path, public.trim().to_owned())
    }

    /// Writes `json` as the vault, encrypted by the real `age` CLI to the sandbox's identity,
    /// then adopts it as its owner would (`vault trust accept --yes`), so later commands accept
    /// it. A document vault cannot read (broken, too new) is left exactly as written.
    pub fn write_vault_with_age(&self, json: &str) {
        self.write_hand_made_vault(json);
        self.vault(&["trust", "accept", "--yes"]).output().unwrap();
    }

    /// Writes `json` as the vault, signed with `writer` (as a writer of a newer version, or a
    /// forger holding a key of his own, would sign it) and encrypted by the real `age` CLI.
    pub fn write_signed_vault(&self, json: &str, writer: &vault::writer::WriterKey) {
        let sealed = vault::signature::seal(json.as_bytes(), writer).unwrap();
        self.write_hand_made_vault(std::str::from_utf8(&sealed).unwrap());
    }

    /// The writer key of the sandbox's (plain age) identity, as vault derives it.
    pub fn own_writer_key(&self) -> vault::writer::WriterKey {
        let text = fs::read_to_string(self.key()).unwrap();
        let line = text
            .lines()
            .find(|l| l.starts_with("AGE-SECRET-KEY-"))
            .unwrap();
        vault::writer::WriterKey::derive_from_age(line)
    }

    /// Writes `json` as the vault, encrypted by the real `age` CLI to the sandbox's identity
    /// and to the age recipients the document lists: a vault made by hand, which no writer
    /// signed.
    pub fn write_hand_made_vault(&self, json: &str) {
        let mut keys = vec![age_keygen_y(&self.key())];
        if let Ok(doc) = serde_json::from_str::<serde_json::Value>(json) {
            let listed = doc["recipients"].as_array().cloned().unwrap_or_default();
            keys.extend(
                listed
                    .iter()
                    .filter_map(|r| r["key"].as_str())
                    .filter(|k| k.starts_with("age1"))
                    .map(str::to_owned),
            );
        }
        keys.sort();
        keys.dedup();
        let plain = self.path("plain.json");
        fs::write(&plain, json).unwrap();
        let mut age = StdCommand::new("age");
        for key in &keys {
            age.args(["-r", key]);
        }
        run_ok(age.arg("-o").arg(self.vault_path()).arg(&plain));
        fs::remove_file(plain).unwrap();
    }
}

/// `vault ARGS` as another Unix user (`setpriv`), as a job would run: a clean environment with
/// `PATH`, `HOME` and the vault in `home`, no agent, and `env` on top.
pub fn vault_as_user(
    (uid, gid): (&str, &str),
    home: &Path,
    env: &[(&str, &Path)],
    args: &[&str],
) -> std::process::Output {
    let mut cmd = StdCommand::new("setpriv");
    cmd.args([
        &format!("--reuid={uid}"),
        &format!("--regid={gid}"),
        "--clear-groups",
        "--",
        BIN,
    ])
    .args(args)
    .env_clear()
    .env("PATH", "/usr/bin:/bin")
    .env("HOME", home)
    .env("VAULT_FILE", home.join("vault.age"))
    .env("VAULT_AGENT_SOCK", home.join("none/agent.sock"))
    .stdin(Stdio::null());
    for (name, value) in env {
        cmd.env(name, value);
    }
    cmd.output().unwrap()
}

/// Stops the sandbox's agent however a test ends, so none outlives the suite.
pub struct AgentRunning<'a>(pub &'a Sandbox);

impl<'a> AgentRunning<'a> {
    /// `vault agent start` with the passphrase in `pass`, stopped again when dropped.
    pub fn start(s: &'a Sandbox, pass: &Path) -> Self {
        s.vault(&[
            "agent",
            "start",
            "--passphrase-file",
            pass.to_str().unwrap(),
        ])
        .assert()
        .success();
        AgentRunning(s)
    }
}

impl Drop for AgentRunning<'_> {
    fn drop(&mut self) {
        self.0.vault(&["agent", "stop"]).output().ok();
    }
}

/// `age -d -i IDENTITY FILE`, parsed as JSON.
pub fn age_decrypt(identity: &Path, file: &Path) -> serde_json::Value {
    let out = run_ok(
        StdCommand::new("age")
            .arg("-d")
            .arg("-i")
            .arg(identity)
            .arg(file),
    );
    serde_json::from_slice(&out).expect("the vault decrypts to JSON")
}

pub fn age_keygen_y(identity: &Path) -> String {
    let out = run_ok(StdCommand::new("age-keygen").arg("-y").arg(identity));
    String::from_utf8(out).unwrap().trim().to_owned()
}

pub fn run_ok(cmd: &mut StdCommand) -> Vec<u8> {
    let out = cmd.stdin(Stdio::null()).output().expect("command runs");
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

pub fn mode(path: &Path) -> u32 {
    fs::metadata(path).unwrap().permissions().mode() & 0o777
}

pub fn chmod(path: &Path, mode: u32) {
    fs::set_permissions(path, fs::Permissions::from_mode(mode)).unwrap();
}

pub fn stdout_of(assert: &assert_cmd::assert::Assert) -> String {
    String::from_utf8(assert.get_output().stdout.clone()).unwrap()
}

pub fn stderr_of(assert: &assert_cmd::assert::Assert) -> String {
    String::from_utf8(assert.get_output().stderr.clone()).unwrap()
}

/// Asserts the one-line error format: `vault: error: …`, a single line, naming what is asked.
pub fn assert_one_line_error(assert: &assert_cmd::assert::Assert, needle: &str) {
    let stderr = stderr_of(assert);
    assert!(stderr.starts_with("vault: error: "), "stderr: {stderr}");
    assert_eq!(stderr.trim_end().lines().count(), 1, "stderr: {stderr}");
    assert!(stderr.contains(needle), "expected {needle:?} in {stderr}");
}

/// A document of the entries `names` gives, `e000000`… in that order, each with the password `pw-N`, listing the sandbox's key as its recipient.
pub fn large_document(s: &Sandbox, names: impl Iterator<Item = usize>) -> String {
    let mut json = format!(
        r#"{{"format": 1, "recipients": [{{"name": "operator", "key": "{}"}}], "entries": {{"#,
        age_keygen_y(&s.key())
    );
    for (i, n) in names.enumerate() {
        if i > 0 {
            json.push(',');
        }
        write!(
            json,
            "\n  \"e{n:06}\": {{\"username\": \"u{n}\", \"password\": \"pw-{n}\", \"notes\": \"rotate quarterly owner finance team ticket\"}}"
        )
        .unwrap();
    }
    json.push_str("\n}}\n");
    json
}

/// The uid of a user whose primary group is `gid`, made if need be.
pub fn user_in_group(user: &str, gid: u32) -> String {
    if StdCommand::new("id")
        .arg(user)
        .output()
        .unwrap()
        .status
        .code()
        != Some(0)
    {
        run_ok(StdCommand::new("useradd").args([
            "--no-create-home",
            "--gid",
            &gid.to_string(),
            user,
        ]));
    }
    String::from_utf8(run_ok(StdCommand::new("id").args(["-u", user])))
        .unwrap()
        .trim()
        .to_owned()
}

/// The gid of the group `name`, made if need be.
pub fn group_gid(name: &str) -> u32 {
    if StdCommand::new("getent")
        .args(["group", name])
        .output()
        .unwrap()
        .status
        .code()
        != Some(0)
    {
        run_ok(StdCommand::new("groupadd").arg(name));
    }
    let line = String::from_utf8(run_ok(StdCommand::new("getent").args(["group", name]))).unwrap();
    line.split(':').nth(2).unwrap().trim().parse().unwrap()
}

/// Whether the tests run as root (who may add users).
pub fn is_root() -> bool {
    let probe = tempfile::NamedTempFile::new().unwrap();
    probe.as_file().metadata().unwrap().uid() == 0
}
