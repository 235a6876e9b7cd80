//! import and export --all: other password managers' exports, written by hand from each
//! format's documentation, with the awkward cases (quotes, commas and newlines in CSV values,
//! Unicode, empty passwords, duplicate titles, nested folders, history); real pass and passage
//! stores; and the round trip of export --all into import.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command as StdCommand;

use serde_json::Value;

use crate::common::*;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/import")
        .join(name)
}

fn import(s: &Sandbox, args: &[&str]) -> String {
    let mut all = vec!["import"];
    all.extend_from_slice(args);
    stdout_of(&s.vault(&all).assert().success())
}

/// A new vault with `format` imported from the fixture `file`; the summary too.
fn imported(format: &str, file: &str, more: &[&str]) -> (Sandbox, String) {
    let s = Sandbox::init();
    let path = fixture(file);
    let mut args = vec![format, path.to_str().unwrap()];
    args.extend_from_slice(more);
    let summary = import(&s, &args);
    (s, summary)
}

/// The whole entry as imported, its password history included.
fn entry(s: &Sandbox, name: &str) -> Value {
    let out = s
        .vault(&["export", name, "--format", "json", "--history"])
        .assert()
        .success();
    serde_json::from_str(&stdout_of(&out)).unwrap()
}

fn names(s: &Sandbox) -> Vec<String> {
    stdout_of(&s.vault(&["list"]).assert().success())
        .lines()
        .map(str::to_owned)
        .collect()
}

/// What every fixture holds in some form: quotes and a comma in a password, a two-line note,
/// Unicode, two items titled `github`.
fn assert_common(s: &Sandbox, twitter: &str, cafe: &str) {
    let t = entry(s, twitter);
    assert_eq!(t["username"], "bird");
    assert_eq!(t["password"], "tw33t, \"secret\"");
    assert_eq!(t["notes"], "line one\nline two");
    let c = entry(s, cafe);
    assert_eq!(c["username"], "žluťoučký kůň");
    assert_eq!(c["password"], "пароль-密码-🔑");
    let names = names(s);
    let github: Vec<&String> = names
        .iter()
        .filter(|n| n.rsplit('/').next().unwrap().starts_with("github"))
        .collect();
    assert_eq!(github.len(), 2, "{names:?}");
    assert_eq!(entry(s, github[0])["username"], "first");
    assert_eq!(entry(s, github[1])["username"], "second");
}

/// `vault import FORMAT FILE MORE…` failed with one line, and the vault file is byte for
/// byte what it was.
fn assert_refused(s: &Sandbox, format: &str, file: &Path, more: &[&str], needle: &str) {
    let before = s.bytes();
    let mut all = vec!["import", format, file.to_str().unwrap()];
    all.extend_from_slice(more);
    let out = s.vault(&all).assert().code(1);
    assert_one_line_error(&out, needle);
    assert!(!stderr_of(&out).contains("hunter2"));
    assert_eq!(s.bytes(), before, "the vault was touched");
}

#[test]
fn bitwarden_json_maps_folders_fields_totp_history_cards_and_identities() {
    let (s, summary) = imported("bitwarden-json", "bitwarden.json", &[]);
    let t = entry(&s, "Social/twitter.com");
    assert_eq!(t["username"], "bird");
    assert_eq!(t["password"], "tw33t, \"secret\"");
    assert_eq!(t["url"], "https://twitter.com/login");
    assert_eq!(
        t["notes"],
        "line one\nline two, with a comma and \"quotes\""
    );
    assert_eq!(
        t["totp"],
        "otpauth://totp/Twitter:bird?secret=JBSWY3DPEHPK3PXP&issuer=Twitter"
    );
    assert_eq!(t["fields"]["recovery code"], "RC-1234");
    assert_eq!(t["fields"]["pin"], "0000");
    assert_eq!(t["fields"]["remember me"], "true");
    assert_eq!(t["fields"]["url 2"], "https://x.com");
    assert_eq!(t["history"][0]["password"], "first-old");
    assert_eq!(t["history"][1]["password"], "second-old");
    assert_eq!(t["history"][1]["until"], "2024-03-01T10:00:00Z");
    assert_eq!(t["created"], "2022-06-15T08:30:00Z");
    assert_eq!(t["updated"], "2024-03-01T10:00:00Z");
    let c = entry(&s, "Social/Media/Café ☕ Ünïcode");
    assert_eq!(c["password"], "пароль-密码-🔑");
    assert_eq!(entry(&s, "github")["username"], "first");
    assert_eq!(entry(&s, "github (2)")["username"], "second");
    assert_eq!(entry(&s, "AC-DC fan club")["password"], "");
    assert_eq!(entry(&s, "wifi")["notes"], "network: home\nkey: hunter2");
    let visa = entry(&s, "visa");
    assert_eq!(visa["fields"]["number"], "4111111111111111");
    assert_eq!(visa["fields"]["exp year"], "2030");
    assert_eq!(visa["fields"]["cardholder name"], "Jane Doe");
    assert_eq!(entry(&s, "me")["fields"]["first name"], "Jane");
    assert!(!names(&s).iter().any(|n| n.contains("deleted")));
    for expected in [
        "imported Social/twitter.com",
        "imported github (2) (github was taken)",
        "skipped deleted one: it is in Bitwarden's trash",
        "not mapped: twitter.com: linked field 'linked user'",
        "not mapped: AC/DC fan club: a passkey",
        "not mapped: AC/DC fan club: named 'AC-DC fan club'",
        "not mapped: me: 1 attachment(s)",
        "not mapped: github: its TOTP key is kept as given, but makes no codes",
    ] {
        assert!(
            summary.contains(expected),
            "{expected:?} not in:\n{summary}"
        );
    }
    assert!(!summary.contains("tw33t"));
    // Every value is there for a job: the TOTP key kept as given, even one too short.
    assert_eq!(s.export_field("github (2)", "totp"), "123");
}

#[test]
fn an_encrypted_bitwarden_export_is_refused_and_the_vault_untouched() {
    let s = Sandbox::init();
    let file = fixture("bitwarden-encrypted.json");
    assert_refused(
        &s,
        "bitwarden-json",
        &file,
        &[],
        "it is an encrypted Bitwarden export",
    );
}

#[test]
fn a_file_of_the_wrong_format_is_refused_naming_the_file() {
    let s = Sandbox::init();
    let xml = fixture("keepass.xml");
    assert_refused(
        &s,
        "bitwarden-json",
        &xml,
        &[],
        &format!(
            "cannot import {}: not a Bitwarden JSON export",
            xml.display()
        ),
    );
    for (format, file, needle) in [
        (
            "firefox-csv",
            "chrome.csv",
            "not a Firefox CSV export: it has no 'httpRealm' column",
        ),
        (
            "keepass-xml",
            "bitwarden.json",
            "not a KeePass 2 XML export",
        ),
        (
            "1password-1pux",
            "bitwarden.json",
            "not a 1Password .1pux export",
        ),
        ("keepassxc-csv", "chrome.csv", "it has no 'Group' column"),
    ] {
        assert_refused(&s, format, &fixture(file), &[], needle);
    }
}

#[test]
fn a_csv_with_a_short_row_or_a_missing_column_is_refused_without_quoting_it() {
    let s = Sandbox::init();
    let short = s.path("short.csv");
    fs::write(
        &short,
        "name,url,username,password,note\nok,https://a.example,u,hunter2,\ncut,https://b.example,u,hunter2\n",
    )
    .unwrap();
    assert_refused(
        &s,
        "chrome-csv",
        &short,
        &[],
        "line 3 has 4 fields where the header has 5",
    );
    let missing = s.path("missing.csv");
    fs::write(
        &missing,
        "name,url,username\nok,https://a.example,hunter2\n",
    )
    .unwrap();
    assert_refused(
        &s,
        "chrome-csv",
        &missing,
        &[],
        "it has no 'password' column",
    );
    let map = fixture("generic.csv");
    assert_refused(
        &s,
        "csv",
        &map,
        &["--map", "title=Name,password=Pasword"],
        "it has no 'Pasword' column",
    );
}

#[test]
fn bitwarden_csv() {
    let (s, _) = imported("bitwarden-csv", "bitwarden.csv", &[]);
    assert_common(&s, "Social/twitter.com", "Social/Media/Café ☕ Ünïcode");
    let t = entry(&s, "Social/twitter.com");
    assert_eq!(t["fields"]["recovery code"], "RC-1234");
    assert_eq!(t["fields"]["pin"], "0000");
    assert_eq!(t["fields"]["url 2"], "https://x.com");
    assert_eq!(t["url"], "https://twitter.com/login");
    assert_eq!(entry(&s, "wifi")["notes"], "network: home\nkey: hunter2");
}

#[test]
fn keepassxc_csv() {
    let (s, _) = imported("keepassxc-csv", "keepassxc.csv", &[]);
    assert_common(&s, "Social/twitter.com", "Social/Media/Café ☕ Ünïcode");
    let t = entry(&s, "Social/twitter.com");
    assert!(t["totp"].as_str().unwrap().starts_with("otpauth://totp/"));
    assert_eq!(t["created"], "2022-06-15T08:30:00Z");
    assert_eq!(t["updated"], "2024-03-01T10:00:00Z");
    assert_eq!(entry(&s, "github (2)")["password"], "");
}

#[test]
fn onepassword_csv() {
    let (s, _) = imported("1password-csv", "1password.csv", &[]);
    assert_common(&s, "twitter.com", "Café ☕ Ünïcode");
    let t = entry(&s, "twitter.com");
    assert_eq!(t["tags"], serde_json::json!(["social", "work"]));
    assert!(t["totp"].as_str().unwrap().starts_with("otpauth://"));
    assert_eq!(
        entry(&s, "Café ☕ Ünïcode")["tags"],
        serde_json::json!(["archived"])
    );
}

#[test]
fn chrome_csv() {
    let (s, _) = imported("chrome-csv", "chrome.csv", &[]);
    let t = entry(&s, "twitter.com");
    assert_eq!(t["password"], "tw33t, \"secret\"");
    assert_eq!(t["notes"], "line one\nline two");
    assert_eq!(entry(&s, "github.com (2)")["username"], "second");
    // No name: the URL's host is the title.
    assert_eq!(entry(&s, "café.example")["password"], "пароль-密码-🔑");
    assert_eq!(entry(&s, "empty.example")["password"], "");
}

#[test]
fn firefox_csv() {
    let (s, _) = imported("firefox-csv", "firefox.csv", &[]);
    let t = entry(&s, "twitter.com");
    assert_eq!(t["password"], "tw33t, \"secret\"");
    assert_eq!(t["created"], "2022-06-15T08:30:00Z");
    assert_eq!(t["updated"], "2024-03-01T10:00:00Z");
    assert_eq!(entry(&s, "github.com (2)")["username"], "second");
    let intranet = entry(&s, "intranet.example");
    assert_eq!(intranet["fields"]["http realm"], "Intranet Realm");
    assert_eq!(intranet["url"], "https://intranet.example:8443");
}

#[test]
fn any_csv_with_a_column_map() {
    let s = Sandbox::init();
    let file = fixture("generic.csv");
    import(
        &s,
        &[
            "csv",
            file.to_str().unwrap(),
            "--map",
            "title=Name,username=Login,password=Secret,url=Address,notes=Comments,group=Folder",
        ],
    );
    assert_common(&s, "Social/twitter.com", "Social/Media/Café ☕ Ünïcode");
    let out = s
        .vault(&["import", "csv", file.to_str().unwrap()])
        .assert()
        .code(2);
    assert_one_line_error(&out, "needs --map");
}

#[test]
fn keepass_xml_groups_strings_totp_history_times() {
    let (s, summary) = imported("keepass-xml", "keepass.xml", &[]);
    let t = entry(&s, "Social/twitter.com");
    assert_eq!(t["password"], "tw33t, \"secret\" & <more>");
    assert_eq!(t["notes"], "line one\nline two ✓");
    assert_eq!(
        t["totp"],
        "otpauth://totp/Twitter:bird?secret=JBSWY3DPEHPK3PXP&period=30&digits=6&issuer=Twitter"
    );
    assert_eq!(t["fields"]["recovery code"], "RC-1234");
    assert_eq!(t["history"][0]["password"], "first-old");
    assert_eq!(t["history"][0]["until"], "2023-01-01T10:00:00Z");
    assert_eq!(t["history"][1]["password"], "second-old");
    assert_eq!(t["history"][1]["until"], "2024-03-01T10:00:00Z");
    assert_eq!(t["created"], "2022-06-15T08:30:00Z");
    assert_eq!(t["updated"], "2024-03-01T10:00:00Z");
    let g = entry(&s, "github");
    assert_eq!(g["totp"], "JBSWY3DPEHPK3PXP");
    assert_eq!(g["tags"], serde_json::json!(["dev", "work"]));
    assert_eq!(entry(&s, "github (2)")["password"], "");
    let c = entry(&s, "Social/Media/Café ☕ Ünïcode");
    assert_eq!(c["password"], "пароль-密码-🔑");
    assert!(!names(&s).iter().any(|n| n.contains("deleted")));
    assert!(summary.contains("skipped deleted one: it is in KeePass's recycle bin"));
    assert!(summary.contains("not mapped: twitter.com: 1 attachment(s)"));
}

#[test]
fn keepass_xml_with_encrypted_values_or_cut_short_is_refused() {
    let s = Sandbox::init();
    let text = fs::read_to_string(fixture("keepass.xml")).unwrap();
    let protected = s.path("protected.xml");
    fs::write(
        &protected,
        text.replace(
            "<Value ProtectInMemory=\"True\">gh-one</Value>",
            "<Value Protected=\"True\">bXlzZWNyZXQ=</Value>",
        ),
    )
    .unwrap();
    assert_refused(
        &s,
        "keepass-xml",
        &protected,
        &[],
        "its values are encrypted",
    );
    let cut = s.path("cut.xml");
    fs::write(&cut, &text[..text.len() / 2]).unwrap();
    assert_refused(&s, "keepass-xml", &cut, &[], "not a KeePass 2 XML export");
}

fn write_1pux(path: &Path, data: &[u8]) {
    let mut zip = zip::ZipWriter::new(fs::File::create(path).unwrap());
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    zip.start_file("export.attributes", options).unwrap();
    zip.write_all(br#"{"version": 3, "description": "1Password Unencrypted Export", "createdAt": 1709287200}"#)
        .unwrap();
    zip.start_file("export.data", options).unwrap();
    zip.write_all(data).unwrap();
    zip.finish().unwrap();
}

#[test]
fn onepassword_1pux() {
    let s = Sandbox::init();
    let file = s.path("export.1pux");
    write_1pux(&file, &fs::read(fixture("1password-export.data")).unwrap());
    let summary = import(&s, &["1password-1pux", file.to_str().unwrap()]);
    // Two vaults: each is a group.
    assert_common(&s, "Personal/twitter.com", "Personal/Café ☕ Ünïcode");
    let t = entry(&s, "Personal/twitter.com");
    assert_eq!(t["url"], "https://twitter.com");
    assert_eq!(t["fields"]["url 2"], "https://x.com");
    assert_eq!(t["fields"]["recovery code"], "RC-1234");
    assert_eq!(t["fields"]["recovery email"], "bird@example.com");
    assert_eq!(t["fields"]["since"], "1655281800");
    assert_eq!(t["fields"]["remember"], "✓");
    assert!(t["totp"].as_str().unwrap().starts_with("otpauth://"));
    assert_eq!(t["tags"], serde_json::json!(["social", "work"]));
    assert_eq!(t["history"][0]["password"], "first-old");
    assert_eq!(t["history"][1]["password"], "second-old");
    assert_eq!(t["created"], "2022-06-15T08:30:00Z");
    assert_eq!(entry(&s, "Personal/github")["password"], "gh-one");
    assert_eq!(
        entry(&s, "Personal/Café ☕ Ünïcode")["tags"],
        serde_json::json!(["archived"])
    );
    assert_eq!(
        entry(&s, "Work/wifi")["notes"],
        "network: office\nkey: hunter2"
    );
    assert_eq!(s.export("Work/api token"), "tok-123\n");
    assert!(summary.contains("not mapped: twitter.com: file 'backup codes'"));
}

#[test]
fn a_truncated_1pux_is_refused() {
    let s = Sandbox::init();
    let file = s.path("export.1pux");
    write_1pux(&file, &fs::read(fixture("1password-export.data")).unwrap());
    let bytes = fs::read(&file).unwrap();
    fs::write(&file, &bytes[..bytes.len() - 40]).unwrap();
    assert_refused(&s, "1password-1pux", &file, &[], "not a whole zip archive");
}

#[test]
fn dry_run_writes_nothing_and_conflicts_follow_the_rule() {
    let s = Sandbox::init();
    s.add("old/github", "kept-password");
    let file = fixture("bitwarden.json");
    let file = file.to_str().unwrap();
    let before = s.bytes();
    let out = s
        .vault(&[
            "import",
            "bitwarden-json",
            file,
            "--dry-run",
            "--group",
            "old/",
        ])
        .assert()
        .success();
    assert!(stdout_of(&out).contains("would import old/github (2) (old/github was taken)"));
    assert!(stderr_of(&out).contains("nothing was written"));
    assert_eq!(s.bytes(), before);

    let skip = import(
        &s,
        &[
            "bitwarden-json",
            file,
            "--group",
            "old/",
            "--on-conflict",
            "skip",
        ],
    );
    assert!(
        skip.contains("skipped old/github: an entry with this name exists"),
        "{skip}"
    );
    assert_eq!(s.export("old/github"), "kept-password\n");
    assert!(names(&s).contains(&"old/Social/twitter.com".to_owned()));

    import(
        &s,
        &[
            "bitwarden-json",
            file,
            "--group",
            "old",
            "--on-conflict",
            "overwrite",
        ],
    );
    let g = entry(&s, "old/github");
    // The second github of the source overwrote the first, which overwrote the vault's own.
    assert_eq!(g["password"], "gh-two");
    let history: Vec<&str> = g["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["password"].as_str().unwrap())
        .collect();
    assert_eq!(history, ["kept-password", "gh-one"]);
    assert!(!names(&s).iter().any(|n| n.ends_with("(2)")));
}

/// Runs `cmd` with `input` on its stdin, as a person types a secret into `pass insert -m`.
fn feed(cmd: &mut StdCommand, input: &str) {
    let mut child = cmd
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    assert!(child.wait().unwrap().success(), "{cmd:?}");
}

#[test]
fn a_real_pass_store_decrypted_with_gpg() {
    let s = Sandbox::init();
    let gnupg = s.path("gnupg");
    fs::create_dir(&gnupg).unwrap();
    chmod(&gnupg, 0o700);
    let store = s.path("password-store");
    let env = |cmd: &mut StdCommand| {
        cmd.env("GNUPGHOME", &gnupg)
            .env("PASSWORD_STORE_DIR", &store)
            .env("HOME", s.dir.path());
    };
    let mut gen_key = StdCommand::new("gpg");
    env(&mut gen_key);
    run_ok(gen_key.args([
        "--batch",
        "--passphrase",
        "",
        "--quick-gen-key",
        "vault-test@example.com",
        "default",
        "default",
        "never",
    ]));
    let mut init = StdCommand::new("pass");
    env(&mut init);
    run_ok(init.args(["init", "vault-test@example.com"]));
    for (name, content) in [
        (
            "Social/twitter.com",
            "tw33t, \"secret\"\nlogin: bird\nurl: https://twitter.com\notpauth://totp/Twitter:bird?secret=JBSWY3DPEHPK3PXP\nline one\nline two\n",
        ),
        (
            "Social/Media/Café ☕ Ünïcode",
            "пароль-密码-🔑\nuser: žluťoučký kůň\n",
        ),
        ("empty", "\n"),
    ] {
        let mut insert = StdCommand::new("pass");
        env(&mut insert);
        feed(insert.args(["insert", "-m", name]), content);
    }
    let out = s
        .vault(&["import", "pass", store.to_str().unwrap()])
        .env("GNUPGHOME", &gnupg)
        .assert()
        .success();
    // Piped: the summary line only, no progress bar.
    let stderr = stderr_of(&out);
    assert!(stderr.starts_with("vault: imported 3 entries"), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    let t = entry(&s, "Social/twitter.com");
    assert_eq!(t["password"], "tw33t, \"secret\"");
    assert_eq!(t["username"], "bird");
    assert_eq!(t["url"], "https://twitter.com");
    assert_eq!(
        t["totp"],
        "otpauth://totp/Twitter:bird?secret=JBSWY3DPEHPK3PXP"
    );
    assert_eq!(t["notes"], "line one\nline two");
    let c = entry(&s, "Social/Media/Café ☕ Ünïcode");
    assert_eq!(c["username"], "žluťoučký kůň");
    assert_eq!(entry(&s, "empty")["password"], "");
    // Nothing but the store and gpg's own files: no plaintext left anywhere.
    let mut leftovers = Vec::new();
    for dirent in fs::read_dir(s.dir.path()).unwrap().flatten() {
        leftovers.push(dirent.file_name().to_string_lossy().into_owned());
    }
    leftovers.sort();
    assert!(
        leftovers
            .iter()
            .all(
                |n| ["gnupg", "password-store", "identity.txt", ".config"].contains(&n.as_str())
                    || n.starts_with("vault.age")
            ),
        "{leftovers:?}"
    );

    // Without the key, the file is named and nothing is written.
    let before = s.bytes();
    let empty_home = s.path("other-gnupg");
    fs::create_dir(&empty_home).unwrap();
    chmod(&empty_home, 0o700);
    let out = s
        .vault(&["import", "pass", store.to_str().unwrap()])
        .env("GNUPGHOME", &empty_home)
        .assert()
        .code(1);
    assert_one_line_error(&out, "gpg cannot decrypt it");
    assert_eq!(s.bytes(), before);
}

#[test]
fn a_passage_store_decrypted_with_the_identities_file() {
    let s = Sandbox::init();
    let identities = s.path("passage-identities");
    run_ok(StdCommand::new("age-keygen").arg("-o").arg(&identities));
    chmod(&identities, 0o600);
    let recipient = age_keygen_y(&identities);
    let store = s.path("passage-store");
    for (name, content) in [
        (
            "Social/twitter.com",
            "tw33t, \"secret\"\nusername: bird\nline one\nline two\n",
        ),
        ("github", "gh-one\n"),
    ] {
        let path = store.join(format!("{name}.age"));
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        feed(
            StdCommand::new("age")
                .args(["-r", &recipient, "-o"])
                .arg(&path),
            content,
        );
    }
    s.vault(&["import", "passage", store.to_str().unwrap()])
        .env("PASSAGE_IDENTITIES_FILE", &identities)
        .assert()
        .success();
    let t = entry(&s, "Social/twitter.com");
    assert_eq!(t["password"], "tw33t, \"secret\"");
    assert_eq!(t["username"], "bird");
    assert_eq!(t["notes"], "line one\nline two");
    assert_eq!(s.export("github"), "gh-one\n");

    let (other, _) = s.keygen("other-key");
    let before = s.bytes();
    let out = s
        .vault(&["import", "passage", store.to_str().unwrap()])
        .env("PASSAGE_IDENTITIES_FILE", &other)
        .assert()
        .code(1);
    assert_one_line_error(&out, "no identity in the passage identities file opens it");
    assert_eq!(s.bytes(), before);
}

/// A vault with every kind of field: the four standard ones, TOTP, its own fields, tags,
/// history, times, a group, quotes, commas, newlines and Unicode.
fn rich_vault() -> Sandbox {
    let s = Sandbox::init();
    s.write_vault_with_age(&format!(
        r#"{{"recipients": [{{"name": "operator", "key": "{}"}}],
        "entries": {{
          "Social/twitter.com": {{"username": "bird", "password": "tw33t, \"secret\"",
            "url": "https://twitter.com", "notes": "line one\nline two",
            "totp": "otpauth://totp/Twitter:bird?secret=JBSWY3DPEHPK3PXP",
            "fields": {{"pin": "0000", "recovery code": "a, \"b\"\nc"}}, "tags": ["social", "work"],
            "created": "2022-06-15T08:30:00Z", "updated": "2024-03-01T10:00:00Z",
            "history": [{{"password": "first-old", "until": "2023-01-01T10:00:00Z"}}]}},
          "Café ☕ Ünïcode": {{"username": "žluťoučký kůň", "password": "пароль-密码-🔑",
            "created": "2024-01-01T00:00:00Z", "updated": "2024-01-01T00:00:00Z"}},
          "empty": {{"created": "2024-01-01T00:00:00Z", "updated": "2024-01-01T00:00:00Z"}}
        }}}}"#,
        age_keygen_y(&s.key())
    ));
    s
}

fn all_entries(s: &Sandbox) -> Value {
    let out = s
        .vault(&["export", "--all", "--format", "json", "-o", "-"])
        .assert()
        .success();
    serde_json::from_str(&stdout_of(&out)).unwrap()
}

#[test]
fn export_all_then_import_gives_the_same_entries() {
    let s = rich_vault();
    let file = s.path("all.json");
    let out = s
        .vault(&[
            "export",
            "--all",
            "--format",
            "json",
            "-o",
            file.to_str().unwrap(),
        ])
        .assert()
        .success();
    assert!(stderr_of(&out).contains("remove it"));
    assert_eq!(mode(&file), 0o600);
    let fresh = Sandbox::init();
    import(&fresh, &["vault-json", file.to_str().unwrap()]);
    assert_eq!(all_entries(&fresh), all_entries(&s));
    assert_eq!(
        all_entries(&s)["entries"]["Social/twitter.com"]["tags"][1],
        "work"
    );

    // CSV carries what its columns have: everything but tags, history and times.
    let csv = s.path("all.csv");
    s.vault(&[
        "export",
        "--all",
        "--format",
        "csv",
        "-o",
        csv.to_str().unwrap(),
    ])
    .assert()
    .success();
    assert_eq!(mode(&csv), 0o600);
    let from_csv = Sandbox::init();
    import(&from_csv, &["bitwarden-csv", csv.to_str().unwrap()]);
    let (a, b) = (all_entries(&s), all_entries(&from_csv));
    let a = a["entries"].as_object().unwrap();
    let b = b["entries"].as_object().unwrap();
    assert_eq!(a.keys().collect::<Vec<_>>(), b.keys().collect::<Vec<_>>());
    for (name, e) in a {
        for key in ["username", "password", "url", "notes", "fields"] {
            assert_eq!(e[key], b[name][key], "{name}.{key}");
        }
        assert_eq!(e.get("totp"), b[name].get("totp"), "{name}.totp");
    }
}

#[test]
fn export_all_needs_a_file_or_an_explicit_dash() {
    let s = rich_vault();
    let out = s.vault(&["export", "--all"]).assert().code(2);
    assert_one_line_error(&out, "give -o FILE");
    assert!(stdout_of(&out).is_empty());
    let out = s
        .vault(&["export", "--all", "--format", "env", "-o", "-"])
        .assert()
        .code(2);
    assert_one_line_error(&out, "json or csv");
    let out = s
        .vault(&["export", "empty", "--format", "csv"])
        .assert()
        .code(2);
    assert_one_line_error(&out, "export --all");
}
