//! The mirror's two safety nets: an incremental pass re-reads a while before its watermark (a
//! write whose server time is older than the watermark can become visible after it), and a
//! full pass whose Firestore read fails removes nothing.

use std::time::Duration;

use harness::stall::StallProxy;
use reconciler::RunOptions;
use sqlx::Row;

use super::{Setup, run};
use crate::fixtures::*;

#[tokio::test]
async fn a_write_stamped_before_the_watermark_but_seen_after_it_is_still_mirrored() {
    let setup = Setup::new().await;
    let session = session_fixture(&setup.fs.store).await;
    setup.fs.store.mark_attendance(&session, &mark("ADM/1", "Jane Doe")).await.expect("mark");
    let reconciler = setup.reconciler(&[]).await;
    run(&reconciler, RunOptions::default()).await;
    // The watermark less 30 s, as Firestore spells a time.
    let earlier: String = sqlx::query(
        "SELECT to_char((watermark - interval '30 seconds') AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')
         FROM mirror_state WHERE collection = 'attendance'",
    )
    .fetch_one(&setup.db.pool)
    .await
    .expect("watermark")
    .get(0);
    // A second mark whose commit began 30 s before the first one's but became visible only
    // now: its `updated_at` is older than the watermark.
    let first = setup
        .fs
        .rest()
        .get_as_admin(&format!("attendance/{}_ADM%252F1", session.id))
        .await
        .expect("first mark");
    let mut fields = first["fields"].clone();
    fields["admission_number"] = serde_json::json!({ "stringValue": "ADM/2" });
    fields["admission_key"] = serde_json::json!({ "stringValue": "ADM%2F2" });
    fields["request_id"] = serde_json::json!({ "stringValue": "late-visible" });
    fields["updated_at"] = serde_json::json!({ "timestampValue": earlier });
    fields["marked_at"] = serde_json::json!({ "timestampValue": earlier });
    setup.fs.rest().put_as_admin(&format!("attendance/{}_ADM%252F2", session.id), fields).await;
    run(&reconciler, RunOptions::default()).await;
    assert_eq!(
        setup.count("SELECT count(*) FROM attendance WHERE admission_number = 'ADM/2'").await,
        1,
        "re-read"
    );
}

#[tokio::test]
async fn a_full_pass_whose_firestore_read_stalls_fails_within_its_timeout_and_removes_nothing() {
    let setup = Setup::new().await;
    let session = session_fixture(&setup.fs.store).await;
    setup.fs.store.mark_attendance(&session, &mark("ADM/1", "Jane Doe")).await.expect("mark");
    super::many_marks(&setup.fs, 10, 4500).await;
    let reconciler = setup.reconciler(&[]).await;
    run(&reconciler, RunOptions::default()).await;
    let mirrored = setup.count("SELECT count(*) FROM attendance").await;
    assert_eq!(mirrored, 4501);
    // A row whose document is gone: only a full pass that read everything may remove it.
    sqlx::query("UPDATE attendance SET id = 'gone-' || id WHERE admission_number = 'ADM/1'")
        .execute(&setup.db.pool)
        .await
        .expect("a row without a document");

    let proxy = StallProxy::start(&setup.fs.host).await;
    let behind = setup.reconciler(&[("FIRESTORE_EMULATOR_HOST", proxy.host.as_str())]).await;
    let pass =
        tokio::spawn(
            async move { behind.run_once(RunOptions { full: true, ..RunOptions::default() }).await },
        );
    // Firestore stops answering once the first batch is in PostgreSQL.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    loop {
        let rewritten = setup
            .count("SELECT count(*) FROM attendance WHERE mirrored_at > now() - interval '1 minute'")
            .await;
        if rewritten >= 2000 {
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "the full pass never wrote a batch");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    proxy.stall(true);
    // The read's idle timeout (the shipped 10 s, with the library's retries: about 40 s) ends
    // it; never an endless pass holding the lock.
    let outcome = tokio::time::timeout(Duration::from_secs(120), pass)
        .await
        .expect("the stalled pass ended")
        .expect("join");
    assert!(outcome.is_err(), "a failed read is a failed run: {outcome:?}");
    assert_eq!(setup.count("SELECT count(*) FROM attendance").await, 4501, "nothing removed");
    proxy.stall(false);
}
