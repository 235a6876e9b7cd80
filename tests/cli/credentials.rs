//! `--identity cred:NAME`: a job key handed over by systemd (`LoadCredentialEncrypted=`), made
//! with the real `systemd-creds` and laid out as systemd lays it out, read by the job's user.

use std::fs;
use std::path::Path;
use std::process::{Command as StdCommand, Output};

use crate::common::*;

const JOB_USER: &str = "vault-cred-job";

/// The job user's uid and gid, the user made if need be.
fn job_user() -> (String, String) {
    let known = StdCommand::new("id").arg(JOB_USER).output().unwrap();
    if !known.status.success() {
        run_ok(StdCommand::new("useradd").args(["--no-create-home", "--user-group", JOB_USER]));
    }
    let id = |flag: &str| {
        String::from_utf8(run_ok(StdCommand::new("id").args([flag, JOB_USER])))
            .unwrap()
            .trim()
            .to_owned()
    };
    (id("-u"), id("-g"))
}

/// `vault ARGS` as the job user, with `env` (and nothing else of ours) in its environment.
fn as_job(base: &Path, env: &[(&str, &Path)], args: &[&str]) -> Output {
    let (uid, gid) = job_user();
    vault_as_user((&uid, &gid), base, env, args)
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn a_job_reads_its_key_from_the_credentials_systemd_hands_it() {
    job_user();
    let s = Sandbox::init();
    s.add("db", "pw-db");
    let (job_key, public) = s.keygen("job.key");
    s.vault(&["recipients", "add", &public, "--name", "job"])
        .assert()
        .success();

    // A directory the job user can reach, with the (encrypted) vault in it.
    let base = tempfile::Builder::new()
        .prefix("vault-cred")
        .tempdir_in("/tmp")
        .unwrap();
    chmod(base.path(), 0o755);
    fs::copy(s.vault_path(), base.path().join("vault.age")).unwrap();
    chmod(&base.path().join("vault.age"), 0o644);

    // What `systemd-creds encrypt` makes for LoadCredentialEncrypted=, and what systemd
    // decrypts into the service's credentials directory.
    let sealed = s.path("job.cred");
    run_ok(StdCommand::new("systemd-creds").args([
        "encrypt",
        "--with-key=host",
        "--name=job",
        job_key.to_str().unwrap(),
        sealed.to_str().unwrap(),
    ]));
    let creds = base.path().join("credentials");
    fs::create_dir(&creds).unwrap();
    let cred = creds.join("job");
    run_ok(StdCommand::new("systemd-creds").args([
        "decrypt",
        "--name=job",
        sealed.to_str().unwrap(),
        cred.to_str().unwrap(),
    ]));
    assert_eq!(fs::read(&cred).unwrap(), fs::read(&job_key).unwrap());
    chmod(&cred, 0o440);
    chmod(&creds, 0o500);
    let acl = |entry: &str, path: &Path| {
        run_ok(StdCommand::new("setfacl").args(["-m", entry]).arg(path));
    };
    acl(&format!("u:{JOB_USER}:r"), &cred);
    acl(&format!("u:{JOB_USER}:rx"), &creds);
    let in_creds = [("CREDENTIALS_DIRECTORY", creds.as_path())];

    let out = as_job(
        base.path(),
        &in_creds,
        &["export", "db", "--identity", "cred:job"],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(out.stdout, b"pw-db\n");

    // The same file by its path gets the usual check: root's file is not the job's key.
    let by_path = as_job(
        base.path(),
        &in_creds,
        &["export", "db", "--identity", cred.to_str().unwrap()],
    );
    assert_eq!(by_path.status.code(), Some(5), "{}", stderr(&by_path));
    assert!(stderr(&by_path).contains("owned by another user"));

    // Outside a service: one line saying so, exit 5.
    let outside = as_job(
        base.path(),
        &[],
        &["export", "db", "--identity", "cred:job"],
    );
    assert_eq!(outside.status.code(), Some(5), "{}", stderr(&outside));
    assert_eq!(stderr(&outside).trim_end().lines().count(), 1);
    assert!(stderr(&outside).contains("CREDENTIALS_DIRECTORY is not set"));

    // A name that leaves the directory is no credential's.
    let escape = as_job(
        base.path(),
        &in_creds,
        &["export", "db", "--identity", "cred:../vault.age"],
    );
    assert_eq!(escape.status.code(), Some(2), "{}", stderr(&escape));

    // Writable by its group: refused even there.
    chmod(&cred, 0o460);
    let open = as_job(
        base.path(),
        &in_creds,
        &["export", "db", "--identity", "cred:job"],
    );
    assert_eq!(open.status.code(), Some(5), "{}", stderr(&open));
    chmod(&cred, 0o440);
}
