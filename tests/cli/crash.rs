//! Crashes, failing disks and racing writers: whatever happens to a writer, the vault on disk is
//! a whole version, every write that reported success is in it, and nothing stays locked.

use std::collections::BTreeSet;
use std::fs::{self, OpenOptions};
use std::io::Write;
use std::path::Path;
use std::process::{Command as StdCommand, Stdio};
use std::thread;
use std::time::{Duration, Instant, SystemTime};

use vault::identity;
use vault::store::Store;

use crate::common::*;

/// Kills per run; `CRASH_KILLS=10000` (scripts/crash-long.sh) for the long run.
fn kills() -> usize {
    std::env::var("CRASH_KILLS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(200)
}

/// The vault as a reader sees it now: it must open, whole.
fn entries_now(s: &Sandbox) -> BTreeSet<String> {
    let identity = identity::load(&s.key(), &mut |_, _| Ok(None)).expect("identity");
    let doc = Store::new(s.vault_path())
        .load(&identity)
        .expect("the vault is always a whole version");
    doc.entries.into_keys().collect()
}

/// A vault of `n` entries, so a save takes long enough for kills to land inside it.
fn big_vault(n: usize) -> Sandbox {
    let s = Sandbox::init();
    let entries: Vec<String> = (0..n)
        .map(|i| {
            format!(
                r#""base-{i:05}": {{"username": "user{i}", "password": "{:020}", "notes": "{}"}}"#,
                i * 7919,
                "n".repeat(100)
            )
        })
        .collect();
    s.write_vault_with_age(&format!(
        r#"{{"recipients": [{{"name": "operator", "key": "{}"}}], "entries": {{{}}}}}"#,
        age_keygen_y(&s.key()),
        entries.join(",")
    ));
    s
}

fn spawn_add(s: &Sandbox, name: &str) -> std::process::Child {
    let mut child = StdCommand::new(BIN)
        .args(["add", name])
        .env_clear()
        .env("VAULT_FILE", s.vault_path())
        .env("VAULT_IDENTITY", s.key())
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(b"pw\n").unwrap();
    child
}

#[test]
fn a_writer_killed_at_any_point_leaves_the_old_or_the_new_vault() {
    let s = big_vault(1000);
    let base = entries_now(&s);
    // How long one add takes here, for the kills spread over a whole run.
    let started = Instant::now();
    assert!(spawn_add(&s, "calibrate").wait().unwrap().success());
    let took = u64::try_from(started.elapsed().as_micros()).unwrap() * 3 / 2;
    let now = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap();
    let mut seed = (now.as_secs() << 30) ^ u64::from(now.subsec_nanos()) | 1;
    eprintln!("crash harness: seed {seed}");

    let mut present: BTreeSet<String> = base.iter().cloned().chain(["calibrate".into()]).collect();
    let (mut succeeded, mut killed_mid_save, mut temp_left) = (0, 0, 0);
    for i in 0..kills() {
        let name = format!("k{i:05}");
        let mut child = spawn_add(&s, &name);
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        if seed.is_multiple_of(4) {
            // Anywhere in the run: reading, decrypting, encrypting, writing, after.
            thread::sleep(Duration::from_micros(seed % took));
        } else {
            // In the save itself: once its first temp file appears, 0 to 5 ms later (the
            // backup, then the new vault, each written, fsynced and renamed).
            let deadline = Instant::now() + Duration::from_secs(10);
            while temp_files(s.dir.path()) == 0 && Instant::now() < deadline {
                if child.try_wait().unwrap().is_some() {
                    break;
                }
            }
            thread::sleep(Duration::from_micros(seed % 5000));
        }
        child.kill().ok();
        let exited_ok = child.wait().unwrap().success();
        // A temp file beside the vault: this kill landed while the new version was being written.
        if temp_files(s.dir.path()) > 0 {
            temp_left += 1;
        }
        let now = entries_now(&s);
        if exited_ok {
            succeeded += 1;
            assert!(
                now.contains(&name),
                "kill {i}: a write that exited 0 is missing"
            );
        }
        let mut expected_old = present.clone();
        let was_old = now == expected_old;
        expected_old.insert(name.clone());
        let is_new = now == expected_old;
        assert!(
            was_old || is_new,
            "kill {i}: neither the old nor the new version"
        );
        if is_new {
            present = now;
            if !exited_ok {
                killed_mid_save += 1;
            }
        }
    }
    eprintln!(
        "crash harness: {} kills: {temp_left} during a write (temp file left), {killed_mid_save} after \
         the rename, {succeeded} after the writer finished; every reader saw the old or the new vault",
        kills()
    );
    // Nothing stays locked (a held lock would give exit 7 after 5 s) and the next writer
    // removes what killed ones left.
    s.add("after-the-kills", "pw");
    let leftovers: Vec<String> = fs::read_dir(s.dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".vault.age."))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
    assert!(entries_now(&s).contains("after-the-kills"));
}

#[test]
fn two_writers_of_the_same_entry_one_wins_the_other_gets_exit_7() {
    let s = Sandbox::init();
    s.add("bank", "pw");
    // Both read the entry while a third party holds the lock, then race for it.
    let lock = OpenOptions::new()
        .write(true)
        .open(s.path("vault.age.lock"))
        .unwrap();
    lock.lock().unwrap();
    let writers: Vec<_> = ["https://a.example", "https://b.example"]
        .iter()
        .map(|url| {
            StdCommand::new(BIN)
                .args(["edit", "bank", "--url", url])
                .env("VAULT_FILE", s.vault_path())
                .env("VAULT_IDENTITY", s.key())
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    thread::sleep(Duration::from_millis(700));
    lock.unlock().unwrap();
    let outcomes: Vec<_> = writers
        .into_iter()
        .map(|w| w.wait_with_output().unwrap())
        .collect();
    let codes: Vec<Option<i32>> = outcomes.iter().map(|o| o.status.code()).collect();
    assert!(
        codes.contains(&Some(0)) && codes.contains(&Some(7)),
        "{codes:?}"
    );
    let loser = outcomes
        .iter()
        .find(|o| o.status.code() == Some(7))
        .unwrap();
    let message = String::from_utf8_lossy(&loser.stderr);
    assert!(
        message.contains("entry 'bank' changed on disk since it was read"),
        "{message}"
    );
    let winner = if codes[0] == Some(0) {
        "https://a.example"
    } else {
        "https://b.example"
    };
    let shown = stdout_of(
        &s.vault(&["export", "bank", "--field", "url"])
            .assert()
            .success(),
    );
    assert_eq!(
        shown.trim_end(),
        winner,
        "the winner's change is the one kept"
    );
}

fn assert_failed_write_left_vault_whole(
    s: &Sandbox,
    before: &[u8],
    a: &assert_cmd::assert::Assert,
    needle: &str,
) {
    assert_one_line_error(a, needle);
    assert_eq!(s.bytes(), before, "the vault is as it was");
    assert!(!entries_now(s).contains("big-one"));
    assert_eq!(
        temp_files(s.vault_path().parent().unwrap()),
        0,
        "a failed save leaves no temp file"
    );
}

#[test]
fn a_write_that_fails_midway_leaves_the_old_vault() {
    // The file size limit makes the kernel refuse the write past 4 KiB (EFBIG): a failing
    // disk without a test-only seam in the code.
    let s = big_vault(30);
    let before = s.bytes();
    let script = format!("trap '' XFSZ; ulimit -f 4; printf 'pw\\n' | '{BIN}' add big-one");
    let mut cmd = assert_cmd::Command::new("sh");
    cmd.args(["-c", &script])
        .env("VAULT_FILE", s.vault_path())
        .env("VAULT_IDENTITY", s.key());
    let a = cmd.assert().code(1);
    assert_failed_write_left_vault_whole(&s, &before, &a, "file too large");
}

#[test]
fn a_full_disk_leaves_the_old_vault() {
    let s = Sandbox::init();
    let disk = s.path("disk");
    fs::create_dir(&disk).unwrap();
    let mounted = StdCommand::new("mount")
        .args(["-t", "tmpfs", "-o", "size=256k", "tmpfs"])
        .arg(&disk)
        .status();
    if !mounted.is_ok_and(|status| status.success()) {
        eprintln!(
            "skipped: cannot mount a small tmpfs here (a_write_that_fails_midway covers the failure)"
        );
        return;
    }
    let _unmount = Unmount(&disk);
    let vault = disk.join("vault.age");
    fs::copy(s.vault_path(), &vault).unwrap();
    let moved = Sandbox {
        dir: tempfile::tempdir().unwrap(),
    };
    fs::copy(s.key(), moved.key()).unwrap();
    let run = |args: &[&str]| {
        let mut cmd = moved.vault(args);
        cmd.env("VAULT_FILE", &vault);
        cmd
    };
    run(&["add", "fits"]).write_stdin("pw\n").assert().success();
    // Fill the disk but for a few KiB: less than the next save needs.
    let free = free_bytes(&disk);
    fs::write(
        disk.join("filler"),
        vec![0u8; usize::try_from(free.saturating_sub(2048)).unwrap()],
    )
    .ok();
    let before = fs::read(&vault).unwrap();
    let a = run(&["add", "big-one", "--notes", &"n".repeat(8000)])
        .write_stdin("pw\n")
        .assert()
        .code(1);
    assert_one_line_error(&a, "no space left");
    assert_eq!(fs::read(&vault).unwrap(), before, "the vault is as it was");
    assert_eq!(temp_files(&disk), 0, "a failed save leaves no temp file");
    fs::remove_file(disk.join("filler")).unwrap();
    run(&["add", "after"])
        .write_stdin("pw\n")
        .assert()
        .success();
}

/// Temp files in `dir`: what a save in progress, or a killed one, leaves.
fn temp_files(dir: &Path) -> usize {
    fs::read_dir(dir)
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
        .count()
}

/// Unmounts the test's tmpfs when the test ends, however it ends.
struct Unmount<'a>(&'a Path);

impl Drop for Unmount<'_> {
    fn drop(&mut self) {
        StdCommand::new("umount").arg(self.0).status().ok();
    }
}

fn free_bytes(path: &Path) -> u64 {
    let out = StdCommand::new("df")
        .args(["-B1", "--output=avail"])
        .arg(path)
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .nth(1)
        .unwrap()
        .trim()
        .parse()
        .unwrap()
}

#[test]
fn the_interface_and_the_cli_write_at_once_and_nothing_is_lost() {
    use std::sync::Arc;
    use vault::change::Change;
    use vault::document::Entry;
    let s = Sandbox::init();
    let identity = Arc::new(identity::load(&s.key(), &mut |_, _| Ok(None)).unwrap());
    // The interface saves through Store::apply on a worker thread: four of those, and four
    // CLI processes, each adding its own entry at the same moment.
    let saves: Vec<_> = (0..4)
        .map(|i| {
            let (identity, path) = (identity.clone(), s.vault_path());
            thread::spawn(move || {
                let change = Change::Add {
                    name: format!("tui-{i}"),
                    entry: Entry::new("t"),
                };
                Store::new(path).apply(&identity, change).is_ok()
            })
        })
        .collect();
    let processes: Vec<_> = (0..4).map(|i| spawn_add(&s, &format!("cli-{i}"))).collect();
    for save in saves {
        assert!(save.join().unwrap(), "an in-process save failed");
    }
    for mut process in processes {
        assert!(process.wait().unwrap().success(), "a CLI write failed");
    }
    let now = entries_now(&s);
    for i in 0..4 {
        assert!(
            now.contains(&format!("tui-{i}")) && now.contains(&format!("cli-{i}")),
            "{now:?}"
        );
    }

    // The interface edits what it read; meanwhile the CLI changes that entry: the interface's
    // save is refused (exit 7 in the CLI's terms) and the CLI's change stays.
    let store = Store::new(s.vault_path());
    let seen = store.load(&identity).unwrap().entries["cli-0"].clone();
    s.vault(&["edit", "cli-0", "--url", "https://cli.example"])
        .assert()
        .success();
    let mut mine = seen.clone();
    mine.url = "https://tui.example".into();
    let change = Change::Update {
        name: "cli-0".into(),
        seen,
        entry: mine,
        rename: None,
    };
    let err = store
        .apply(&identity, change)
        .expect_err("a stale edit is refused");
    assert_eq!(err.exit_code(), 7);
    assert_eq!(
        store.load(&identity).unwrap().entries["cli-0"].url,
        "https://cli.example"
    );
}
