//! Files made to hurt whoever opens them: key-derivation work factors far above what any tool
//! writes, age headers that cost minutes to parse, and `recipients add -R` on a key that would
//! need its passphrase. Each is refused at once, before the expensive work starts.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command as StdCommand, Stdio};
use std::time::{Duration, Instant};

use crate::common::*;

/// What "at once" means here, for a debug build on a busy machine: the refused work would take
/// minutes (or, for scrypt at log N 23, 8 GB), so anything near this bound means it ran.
const AT_ONCE: Duration = Duration::from_secs(2);

/// Runs `vault ARGS` and expects exit `code` with `needle` in its one line of error, soon.
/// The command is killed after a few seconds: the work it must refuse would not end sooner.
fn refused_at_once(s: &Sandbox, args: &[&str], code: i32, needle: &str) {
    let started = Instant::now();
    let a = s
        .vault(args)
        .timeout(Duration::from_secs(8))
        .write_stdin("")
        .assert();
    let took = started.elapsed();
    assert_eq!(
        a.get_output().status.code(),
        Some(code),
        "vault {args:?}: {}",
        stderr_of(&a)
    );
    assert_one_line_error(&a, needle);
    assert!(took < AT_ONCE, "vault {args:?} took {took:?}");
}

/// The offset just past the line of `data` that starts with `prefix` (an age header line).
fn line_after(data: &[u8], prefix: &[u8]) -> usize {
    let at = data
        .windows(prefix.len() + 1)
        .position(|w| w[0] == b'\n' && &w[1..] == prefix)
        .expect("the line is there")
        + 1;
    at + data[at..].iter().position(|&b| b == b'\n').unwrap() + 1
}

#[test]
fn a_passphrase_identity_with_a_huge_scrypt_work_factor_is_refused_before_scrypt() {
    let (s, pass) = Sandbox::with_passphrase("right", &[("bank", "dustin")]);
    let pass = pass.to_str().unwrap();
    // `-> scrypt SALT 18`: log N 23 costs 8 GB and over a minute, before the header's MAC
    // (which only the derived key can check) shows the file was changed.
    let key = fs::read(s.key()).unwrap();
    let end = line_after(&key, b"-> scrypt ");
    assert_eq!(&key[end - 4..end], b" 18\n");
    let mut bomb = key.clone();
    // 21 too: 2 GB, which age itself would still spend (it allows its calibrated target + 4).
    for log_n in ["23", "21"] {
        bomb[end - 3..end - 1].copy_from_slice(log_n.as_bytes());
        fs::write(s.key(), &bomb).unwrap();
        refused_at_once(
            &s,
            &["export", "bank", "--passphrase-file", pass],
            4,
            "work factor too high",
        );
        let a = s
            .vault(&["export", "bank", "--passphrase-file", pass])
            .assert()
            .code(4);
        let said = stderr_of(&a);
        assert!(said.contains(&format!("log N {log_n}")), "{said}");
    }

    // 20, four times the cost vault writes, is still read: that file then fails its MAC.
    bomb[end - 3..end - 1].copy_from_slice(b"20");
    fs::write(s.key(), &bomb).unwrap();
    let a = s
        .vault(&["export", "bank", "--passphrase-file", pass])
        .assert()
        .code(4);
    assert!(!stderr_of(&a).contains("work factor"), "{}", stderr_of(&a));
    fs::write(s.key(), &key).unwrap();
    let a = s
        .vault(&["export", "bank", "--passphrase-file", pass])
        .assert()
        .success();
    assert_eq!(stdout_of(&a), "pw-of-bank\n");
}

/// `ssh-keygen -t ed25519 -a ROUNDS`, encrypted with `passphrase`.
fn ssh_key(s: &Sandbox, name: &str, rounds: u32, passphrase: &str) -> PathBuf {
    let path = s.path(name);
    run_ok(
        StdCommand::new("ssh-keygen")
            .args(["-q", "-t", "ed25519", "-C", "test@host", "-N", passphrase])
            .args(["-a", &rounds.to_string(), "-f"])
            .arg(&path),
    );
    path
}

/// coreutils' `base64 ARGS` on `input`.
fn base64(args: &[&str], input: &[u8]) -> Vec<u8> {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("in");
    fs::write(&file, input).unwrap();
    run_ok(StdCommand::new("base64").args(args).arg(&file))
}

/// Rewrites the bcrypt rounds of an encrypted OpenSSH key in place. The key no longer opens
/// (the rounds change the derived key), but only bcrypt, run that many times, would tell.
fn set_bcrypt_rounds(key: &Path, rounds: u32) {
    let text = fs::read_to_string(key).unwrap();
    let body: String = text.lines().filter(|l| !l.starts_with("-----")).collect();
    let mut blob = base64(&["-d"], body.as_bytes());
    // "openssh-key-v1\0", then the strings ciphername, kdfname, kdfoptions (salt, rounds).
    let mut at = b"openssh-key-v1\0".len();
    let mut string = |blob: &[u8]| {
        let len = u32::from_be_bytes(blob[at..at + 4].try_into().unwrap()) as usize;
        at += 4 + len;
        (at - len, at)
    };
    string(&blob);
    let (kdf, kdf_end) = string(&blob);
    assert_eq!(&blob[kdf..kdf_end], b"bcrypt");
    let (options, _) = string(&blob);
    let salt_len = u32::from_be_bytes(blob[options..options + 4].try_into().unwrap()) as usize;
    let rounds_at = options + 4 + salt_len;
    blob[rounds_at..rounds_at + 4].copy_from_slice(&rounds.to_be_bytes());
    let body = base64(&["-w", "70"], &blob);
    let mut out = b"-----BEGIN OPENSSH PRIVATE KEY-----\n".to_vec();
    out.extend_from_slice(&body);
    out.extend_from_slice(b"-----END OPENSSH PRIVATE KEY-----\n");
    fs::write(key, out).unwrap();
}

#[test]
fn an_ssh_key_with_absurd_bcrypt_rounds_is_refused_before_bcrypt() {
    let s = Sandbox::init();
    let pass = s.private_file("pass", "ssh pass\n");
    let pass = pass.to_str().unwrap();
    let key = ssh_key(&s, "id_ed25519", 16, "ssh pass");
    let key_arg = key.to_str().unwrap();
    // The default key opens the vault once it is a recipient; its passphrase is read.
    let public = s.path("id_ed25519.pub");
    s.vault(&[
        "recipients",
        "add",
        "-R",
        public.to_str().unwrap(),
        "--name",
        "ssh",
    ])
    .assert()
    .success();
    s.add("bank", "pw1");
    let a = s
        .vault(&[
            "export",
            "bank",
            "--identity",
            key_arg,
            "--passphrase-file",
            pass,
        ])
        .assert()
        .success();
    assert_eq!(stdout_of(&a), "pw1\n");

    // A billion rounds: hours of bcrypt before "wrong passphrase".
    set_bcrypt_rounds(&key, 1_000_000_000);
    refused_at_once(
        &s,
        &[
            "export",
            "bank",
            "--identity",
            key_arg,
            "--passphrase-file",
            pass,
        ],
        4,
        "work factor too high",
    );
    let a = s
        .vault(&[
            "export",
            "bank",
            "--identity",
            key_arg,
            "--passphrase-file",
            pass,
        ])
        .assert()
        .code(4);
    assert!(stderr_of(&a).contains("1000000000"), "{}", stderr_of(&a));
}

/// `n` stanzas, each as long as an X25519 one, to put before an age header's MAC line.
fn junk_stanzas(n: usize) -> Vec<u8> {
    let body = "A".repeat(43);
    let mut junk = Vec::with_capacity(n * 100);
    for i in 0..n {
        junk.extend_from_slice(format!("-> junk{i} {body}\n{body}\n").as_bytes());
    }
    junk
}

/// `file` with `junk` spliced into its age header, just before the `---` line.
fn with_stanzas(file: &[u8], junk: &[u8]) -> Vec<u8> {
    let mac = file
        .windows(4)
        .position(|w| w == b"\n---")
        .expect("a binary age file")
        + 1;
    let mut out = file[..mac].to_vec();
    out.extend_from_slice(junk);
    out.extend_from_slice(&file[mac..]);
    out
}

/// The same age file, armored as `age -a` writes it.
fn armored(file: &[u8]) -> Vec<u8> {
    let mut out = b"-----BEGIN AGE ENCRYPTED FILE-----\n".to_vec();
    out.extend_from_slice(&base64(&["-w", "64"], file));
    out.extend_from_slice(b"-----END AGE ENCRYPTED FILE-----\n");
    out
}

#[test]
fn an_age_header_of_twenty_thousand_stanzas_is_refused_before_age_parses_it() {
    let s = Sandbox::init();
    s.add("bank", "pw1");
    let vault = s.bytes();
    let junk = junk_stanzas(20_000);
    let bomb = with_stanzas(&vault, &junk);
    fs::write(s.vault_path(), &bomb).unwrap();
    refused_at_once(&s, &["list"], 6, "its age header is too large");
    fs::write(s.vault_path(), armored(&bomb)).unwrap();
    refused_at_once(&s, &["list"], 6, "its age header is too large");
    fs::write(s.vault_path(), armored(&vault)).unwrap();
    assert_eq!(s.export("bank"), "pw1\n");
    fs::write(s.vault_path(), &vault).unwrap();

    // An encrypted identity is an age file too: exit 4, an identity that cannot be used. (At
    // 20,000 stanzas it would be over the 1 MiB any key file may be; 5,000 take age seconds.)
    let (p, pass) = Sandbox::with_passphrase("right", &[]);
    let key = fs::read(p.key()).unwrap();
    fs::write(p.key(), with_stanzas(&key, &junk_stanzas(5_000))).unwrap();
    refused_at_once(
        &p,
        &["list", "--passphrase-file", pass.to_str().unwrap()],
        4,
        "its age header is too large",
    );
}

#[test]
fn a_vault_for_hundreds_of_recipients_is_still_read() {
    // A job's key without pins reads a vault made by hand, as the age CLI writes it.
    let s = Sandbox::new();
    s.vault(&["keygen", "-o", s.key().to_str().unwrap()])
        .assert()
        .success();
    // The sandbox's key and 299 others, as the age CLI writes them: 600 header lines.
    let mut recipients = age_keygen_y(&s.key());
    for _ in 0..299 {
        let out = run_ok(&mut StdCommand::new("age-keygen"));
        let text = String::from_utf8(out).unwrap();
        let public = text
            .lines()
            .find_map(|l| l.strip_prefix("# public key: "))
            .unwrap();
        recipients.push('\n');
        recipients.push_str(public);
    }
    let list = s.path("recipients.txt");
    fs::write(&list, recipients).unwrap();
    let plain = s.path("plain.json");
    fs::write(&plain, r#"{"entries": {"bank": {"password": "many"}}}"#).unwrap();
    run_ok(
        StdCommand::new("age")
            .arg("-R")
            .arg(&list)
            .arg("-o")
            .arg(s.vault_path())
            .arg(&plain),
    );
    assert_eq!(s.export("bank"), "many\n");
    // A hostile file just under the bound vault sets (1,024 header lines) goes on to age, whose
    // parse of it takes ~0.1 s in a release build (seconds in a debug one), and fails its MAC.
    let vault = s.bytes();
    let lines_before_mac = vault[..line_after(&vault, b"---")]
        .split_inclusive(|&b| b == b'\n')
        .count()
        - 1;
    let room = (1024 - lines_before_mac) / 2;
    fs::write(s.vault_path(), with_stanzas(&vault, &junk_stanzas(room))).unwrap();
    let a = s.vault(&["list"]).assert().code(6);
    assert_one_line_error(&a, "tampered");
    fs::write(
        s.vault_path(),
        with_stanzas(&vault, &junk_stanzas(room + 1)),
    )
    .unwrap();
    refused_at_once(&s, &["list"], 6, "its age header is too large");
}

/// Runs `vault ARGS` on a terminal (script(1)) whose input is closed at once: a passphrase
/// prompt would show in its output.
fn on_a_terminal(s: &Sandbox, args: &str) -> (Option<i32>, String) {
    let out = s
        .command("script")
        .args(["-qec", &format!("{BIN} {args}"), "/dev/null"])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

#[test]
fn recipients_add_from_a_key_file_never_asks_for_its_passphrase() {
    let s = Sandbox::init();
    // An encrypted SSH key carries its public key in the clear: that is what is added.
    let ssh = ssh_key(&s, "id_ed25519", 16, "ssh pass");
    let (code, shown) = on_a_terminal(
        &s,
        &format!("recipients add -R {} --name ssh", ssh.display()),
    );
    assert_eq!(code, Some(0), "{shown}");
    assert!(!shown.contains("passphrase"), "{shown}");
    let public = fs::read_to_string(s.path("id_ed25519.pub")).unwrap();
    let public = public.rsplit_once(' ').unwrap().0;
    let listed = stdout_of(&s.vault(&["recipients", "list"]).assert().success());
    assert!(listed.contains(public), "{listed}");

    // An identity encrypted with a passphrase hides its public key: refused, with the way out.
    let (other, _) = Sandbox::with_passphrase("secret words", &[]);
    let (code, shown) = on_a_terminal(
        &s,
        &format!("recipients add -R {} --name other", other.key().display()),
    );
    assert_eq!(code, Some(2), "{shown}");
    assert!(!shown.contains("passphrase for"), "{shown}");
    assert!(shown.contains("encrypted with a passphrase"), "{shown}");
    assert!(
        shown.contains("age1"),
        "the hint names what to give: {shown}"
    );
    let a = s
        .vault(&[
            "recipients",
            "add",
            "-R",
            other.key().to_str().unwrap(),
            "--name",
            "o",
        ])
        .assert()
        .code(2);
    assert_one_line_error(&a, "encrypted with a passphrase");

    // A plain age identity file: its public key, from its secret key.
    let (svc, svc_public) = s.keygen("svc.txt");
    s.vault(&[
        "recipients",
        "add",
        "-R",
        svc.to_str().unwrap(),
        "--name",
        "svc",
    ])
    .assert()
    .success();
    let listed = stdout_of(&s.vault(&["recipients", "list"]).assert().success());
    assert!(listed.contains(&svc_public), "{listed}");
}
