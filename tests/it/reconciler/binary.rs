//! The `reconciler` binary as an operator runs it: only the required variables set, exit codes,
//! `status`, `verify`, and `schedule` stopping on SIGTERM.

use std::time::Duration;

use harness::Answer;

use super::{Setup, expected_keys, fixture};

#[tokio::test]
async fn run_with_only_the_required_variables_records_a_failed_delivery_and_exits_0() {
    let setup = Setup::new().await;
    fixture(&setup.fs).await;
    // The production failure: a retry's jittered delay could not be stored, so every run
    // crashed after its first failed POST. One failure, with the shipped backoff.
    setup.portal.fail_next(1);
    let (code, output) = setup.reconcile(&["run"]).await;
    assert_eq!(code, 0, "{output}");
    assert!(output.contains("delivered 3, retried 1, dead 0"), "{output}");
    assert_eq!(
        setup.count("SELECT count(*) FROM portal_deliveries WHERE status = 'pending' AND next_attempt_at > now() + interval '29 seconds'").await,
        1,
        "the failed record waits for its backoff"
    );
    let (code, output) = setup.reconcile(&["run"]).await;
    assert_eq!(code, 0, "{output}");
    assert!(output.contains("delivered 0, retried 0"), "not due yet: {output}");
    assert_eq!(setup.portal.received().len(), 4, "nothing sent twice");

    let (code, status) = setup.reconcile(&["status"]).await;
    assert_eq!(code, 0, "{status}");
    assert!(status.contains("Portal deliveries: 1 pending (0 due now), 3 delivered, 0 dead"), "{status}");
    assert!(
        status.contains("Rejected documents (skipped until a valid version replaces them): 0"),
        "{status}"
    );
    setup.assert_verified().await;

    setup.binary_backoff_elapses().await;
    let (code, output) = setup.reconcile(&["run"]).await;
    assert_eq!(code, 0, "{output}");
    assert_eq!(setup.portal.accepted_keys(), expected_keys(&setup.fs).await);
}

#[tokio::test]
async fn bad_configuration_exits_2_naming_the_variable() {
    let setup = Setup::new().await;
    for (variable, value) in [
        ("PORTAL_GIVE_UP_AFTER", "forever"),
        ("PORTAL_BUDGET", "0s"),
        ("PORTAL_BACKOFF_SECS", "0"),
        ("RECONCILE_FULL_CRON", "daily"),
    ] {
        let (code, output) = super::finish({
            let mut command = setup.command(&["run"]);
            command.env(variable, value);
            command
        })
        .await;
        assert_eq!(code, 2, "{variable}: {output}");
        assert!(output.contains(&format!("{variable} is not valid")), "{output}");
    }
    let mut command = setup.command(&["run"]);
    command.env("PORTAL_API_URL", "http://portal.example/api/").env("PORTAL_API_TOKEN", "secret");
    let (code, output) = super::finish(command).await;
    assert_eq!(code, 2, "{output}");
    assert!(output.contains("PORTAL_API_URL") && output.contains("https://"), "{output}");
    let mut command = setup.command(&["run"]);
    command.env_remove("DATABASE_URL");
    let (code, output) = super::finish(command).await;
    assert_eq!((code, output.contains("DATABASE_URL is not set")), (2, true), "{output}");
}

#[tokio::test]
async fn refused_credentials_exit_1_with_what_to_fix() {
    let setup = Setup::new().await;
    fixture(&setup.fs).await;
    setup.portal.answer_always(Some(Answer::status(401)));
    let mut command = setup.command(&["run"]);
    command.env("PORTAL_API_TOKEN", "expired-token");
    let (code, output) = super::finish(command).await;
    assert_eq!(code, 1, "{output}");
    assert!(output.contains("PORTAL_API_TOKEN / PORTAL_AUDIENCE"), "{output}");
    assert!(!output.contains("expired-token"), "the token never prints");
    // Mirroring was not held back.
    assert_eq!(setup.count("SELECT count(*) FROM attendance").await, 5);
    setup.assert_verified().await;
}

#[tokio::test]
async fn verify_reports_a_difference_with_its_id_and_exits_1() {
    let setup = Setup::new().await;
    let sessions = fixture(&setup.fs).await;
    assert_eq!(setup.reconcile(&["run"]).await.0, 0);
    setup.assert_verified().await;
    let id = format!("{}_ADM%2F1", sessions[0].id);
    sqlx::query("UPDATE attendance SET student_name = 'Mallory' WHERE id = $1")
        .bind(&id)
        .execute(&setup.db.pool)
        .await
        .expect("tamper");
    sqlx::query("DELETE FROM units WHERE code = 'MA201'").execute(&setup.db.pool).await.expect("tamper");
    let (code, output) = setup.reconcile(&["verify"]).await;
    assert_eq!(code, 1, "{output}");
    assert!(output.contains("1 differ"), "{output}");
    assert!(output.contains(&format!("  {id}")), "{output}");
    assert!(output.contains("  MA201"), "{output}");
    // A full pass repairs the mirror.
    assert_eq!(setup.reconcile(&["run", "--full"]).await.0, 0);
    setup.assert_verified().await;
}

#[tokio::test]
async fn schedule_runs_passes_until_sigterm_and_leaves_none_cut_off() {
    let setup = Setup::new().await;
    fixture(&setup.fs).await;
    setup.portal.delay(Duration::from_millis(300));
    let mut child = setup.command(&["schedule", "--cron", "* * * * * *"]).spawn().expect("schedule");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while setup.count("SELECT count(*) FROM reconcile_runs WHERE status = 'succeeded'").await < 2 {
        assert!(tokio::time::Instant::now() < deadline, "two passes within 30 s");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // New marks and a slow Portal: the next pass is certainly running when SIGTERM arrives.
    super::many_marks(&setup.fs, 14, 20).await;
    setup.portal.delay(Duration::from_millis(1500));
    let waiting = "SELECT count(*) FROM reconcile_runs WHERE status = 'running' AND id > (SELECT max(id) FROM reconcile_runs WHERE status = 'succeeded')";
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while setup.count("SELECT count(*) FROM attendance").await < 25 || setup.count(waiting).await == 0 {
        assert!(tokio::time::Instant::now() < deadline, "a pass forwarding the new marks within 30 s");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let pid = child.id().expect("pid").to_string();
    let killed = std::process::Command::new("kill").args(["-TERM", &pid]).status().expect("kill");
    assert!(killed.success());
    let status =
        tokio::time::timeout(Duration::from_secs(60), child.wait()).await.expect("exits").expect("status");
    assert!(status.success(), "{status:?}");
    assert_eq!(
        setup.count("SELECT count(*) FROM reconcile_runs WHERE status = 'succeeded' AND delivered > 0 AND id = (SELECT max(id) FROM reconcile_runs)").await,
        1,
        "the pass in flight finished its work before the process exited"
    );
    assert_eq!(setup.count("SELECT count(*) FROM reconcile_runs WHERE status = 'running'").await, 0);
    assert_eq!(setup.portal.accepted_keys(), expected_keys(&setup.fs).await);
}
