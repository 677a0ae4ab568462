//! `attendance lecturer ...` as an administrator runs it (clap parsing included).

use attendance::cli::{Cli, Console, run};
use attendance::config::Vars;
use clap::Parser;
use harness::TestFirestore;
use harness::rest::string_field;

async fn lecturer_cli(fs: &TestFirestore, args: &[&str], stdin: &str) -> anyhow::Result<String> {
    let cli = Cli::try_parse_from(std::iter::once("attendance").chain(args.iter().copied()))?;
    let vars = Vars::from_pairs([
        ("FIRESTORE_PROJECT_ID".to_owned(), fs.project_id.clone()),
        ("FIRESTORE_EMULATOR_HOST".to_owned(), fs.host.clone()),
    ]);
    let mut input = stdin.as_bytes();
    let mut output = Vec::new();
    let mut console = Console { stdin: &mut input, stdout: &mut output, interactive: false };
    run(cli, &vars, &mut console).await?;
    Ok(String::from_utf8(output)?)
}

const ADD: &[&str] = &[
    "lecturer",
    "add",
    "--username",
    "jkamau",
    "--full-name",
    "Dr. Jane Kamau",
    "--email",
    "jkamau@uni.ac.ke",
    "--staff-id",
    "STF/0042",
    "--department",
    "Computing",
    "--password-stdin",
];

#[tokio::test]
async fn lecturer_add_stores_an_argon2id_hash_never_the_password() {
    let fs = TestFirestore::new().await;
    let out = lecturer_cli(&fs, ADD, "a long enough secret\n").await.expect("added");
    assert!(out.contains("Created lecturer jkamau"), "{out}");
    let doc = fs.rest().get_as_admin("lecturers/jkamau").await.expect("stored");
    let hash = string_field(&doc, "password_hash").expect("hash");
    assert!(hash.starts_with("$argon2id$"), "{hash}");
    assert!(verifies("a long enough secret", hash).await, "the hash is of the password given");
    assert!(!doc.to_string().contains("a long enough secret"), "the password itself is stored nowhere");
}

#[tokio::test]
async fn lecturer_add_refuses_a_reserved_username_as_the_web_does() {
    let fs = TestFirestore::new().await;
    let mut reserved = ADD.to_vec();
    reserved[3] = "new";
    let err = lecturer_cli(&fs, &reserved, "a long enough secret\n").await.expect_err("reserved");
    assert!(format!("{err:#}").contains("The username new is reserved"), "{err:#}");
    assert!(fs.rest().list_as_admin("lecturers").await.is_empty(), "nothing created");
}

#[tokio::test]
async fn lecturer_add_refuses_duplicates_and_short_passwords() {
    let fs = TestFirestore::new().await;
    lecturer_cli(&fs, ADD, "a long enough secret\n").await.expect("first");
    let err = lecturer_cli(&fs, ADD, "a long enough secret\n").await.expect_err("same username");
    assert!(err.to_string().contains("username jkamau is already taken"), "{err:#}");

    let mut other = ADD.to_vec();
    other[3] = "potieno";
    let err = lecturer_cli(&fs, &other, "a long enough secret\n").await.expect_err("same staff id");
    assert!(err.to_string().contains("staff id STF/0042 already belongs"), "{err:#}");

    other[9] = "STF/0043";
    let err = lecturer_cli(&fs, &other, "short\n").await.expect_err("short password");
    assert!(format!("{err:#}").contains("at least 10 characters"), "{err:#}");
    assert!(fs.rest().get_as_admin("lecturers/potieno").await.is_none());
}

#[tokio::test]
async fn lecturer_add_explains_bad_fields_and_missing_stdin() {
    let fs = TestFirestore::new().await;
    let mut bad = ADD.to_vec();
    bad[7] = "not-an-email";
    let err = lecturer_cli(&fs, &bad, "a long enough secret\n").await.expect_err("bad email");
    assert!(format!("{err:#}").contains("--email"), "{err:#}");
    let without_stdin: Vec<_> = ADD.iter().copied().filter(|a| *a != "--password-stdin").collect();
    let err = lecturer_cli(&fs, &without_stdin, "").await.expect_err("no terminal");
    assert!(err.to_string().contains("--password-stdin"), "{err:#}");
}

#[tokio::test]
async fn set_password_and_disable_change_the_account() {
    let fs = TestFirestore::new().await;
    lecturer_cli(&fs, ADD, "a long enough secret\n").await.expect("added");
    lecturer_cli(
        &fs,
        &["lecturer", "set-password", "--username", "jkamau", "--password-stdin", "--temporary"],
        "another long secret\n",
    )
    .await
    .expect("changed");
    let after = fs.rest().get_as_admin("lecturers/jkamau").await.expect("stored");
    let hash = string_field(&after, "password_hash").expect("hash");
    assert!(verifies("another long secret", hash).await && !verifies("a long enough secret", hash).await);
    assert_eq!(after["fields"]["must_change_password"]["booleanValue"], true, "--temporary");
    // A live login session ends when the account is disabled.
    let user = attendance::domain::Username::parse("jkamau").expect("user");
    let expires = jiff::Timestamp::now() + jiff::SignedDuration::from_hours(1);
    fs.store
        .create_login_session(&attendance::store::NewLoginSession {
            token_hash: "somehash",
            lecturer: &user,
            full_name: "Dr. Jane Kamau",
            csrf_token: "csrf",
            must_change_password: false,
            admin: false,
            expires_at: expires,
            seen_at: jiff::Timestamp::now(),
            access_epoch: "",
            network: "127.0.0.0/24",
        })
        .await
        .expect("session");
    let out =
        lecturer_cli(&fs, &["lecturer", "disable", "--username", "jkamau"], "").await.expect("disabled");
    assert!(out.contains("1 login session(s) ended"), "{out}");
    assert!(fs.rest().get_as_admin("login_sessions/somehash").await.is_none());
    let disabled = fs.rest().get_as_admin("lecturers/jkamau").await.expect("stored");
    assert_eq!(disabled["fields"]["active"]["booleanValue"], false);
    let out = lecturer_cli(&fs, &["lecturer", "enable", "--username", "jkamau"], "").await.expect("enabled");
    assert!(out.contains("Lecturer jkamau enabled"), "{out}");
    let enabled = fs.rest().get_as_admin("lecturers/jkamau").await.expect("stored");
    assert_eq!(enabled["fields"]["active"]["booleanValue"], true);
    // Each change is in the audit log, by the command line.
    let audit = fs.store.recent_audit(10).await.expect("audit");
    let actions: Vec<&str> = audit.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(
        actions,
        ["lecturer_enabled", "lecturer_disabled", "temporary_password_set", "lecturer_created"],
        "newest first"
    );
    assert!(audit.iter().all(|e| e.actor == "(command line)" && e.target == "jkamau"));
    let err = lecturer_cli(
        &fs,
        &["lecturer", "set-password", "--username", "nobody", "--password-stdin"],
        "another long secret\n",
    )
    .await
    .expect_err("missing");
    assert!(err.to_string().contains("no lecturer is called nobody"), "{err:#}");
}

/// Whether `password` matches the stored PHC string.
async fn verifies(password: &str, phc: &str) -> bool {
    attendance::auth::password::verify_password(
        password,
        &attendance::model::PasswordHash::from_phc(phc.to_owned()),
    )
    .await
}

#[test]
fn help_describes_every_command() {
    let err = Cli::try_parse_from(["attendance", "--help"]).expect_err("help exits");
    let help = err.to_string();
    for command in ["serve", "dev", "lecturer"] {
        assert!(help.contains(command), "{help}");
    }
    let err = Cli::try_parse_from(["attendance", "lecturer", "add", "--help"]).expect_err("help exits");
    assert!(err.to_string().contains("--password-stdin"));
}

#[tokio::test]
async fn password_changes_and_disabling_are_security_events() {
    harness::logs::capture();
    let fs = TestFirestore::new().await;
    let mut add = ADD.to_vec();
    add[3] = "auditcli";
    add[9] = "STF/7777";
    lecturer_cli(&fs, &add, "first password here\n").await.expect("add");
    lecturer_cli(
        &fs,
        &["lecturer", "set-password", "--username", "auditcli", "--password-stdin"],
        "second password here\n",
    )
    .await
    .expect("set-password");
    lecturer_cli(&fs, &["lecturer", "disable", "--username", "auditcli"], "").await.expect("disable");
    assert_eq!(harness::logs::security_events(&["event=password_changed", "username=auditcli"]).len(), 1);
    assert_eq!(harness::logs::security_events(&["event=account_disabled", "username=auditcli"]).len(), 1);
}

#[tokio::test]
async fn staff_ids_in_the_original_systems_format_are_accepted() {
    let fs = TestFirestore::new().await;
    for (username, staff) in [("staffa", "STAFF_001"), ("staffb", "CS_001"), ("staffc", "KU/STF/0042")] {
        let mut add = ADD.to_vec();
        add[3] = username;
        add[9] = staff;
        let out = lecturer_cli(&fs, &add, "a long enough password\n").await.expect(staff);
        assert!(out.contains("Created lecturer"), "{out}");
    }
    // The same staff id in another case is the same staff id: refused.
    let mut again = ADD.to_vec();
    again[3] = "staffd";
    again[9] = "staff_001";
    let err = lecturer_cli(&fs, &again, "a long enough password\n").await.expect_err("taken");
    assert!(err.to_string().contains("STAFF_001 already belongs"), "{err}");
}
