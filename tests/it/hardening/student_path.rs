//! The student's mark under a Firestore stall: a clear "not recorded" within the bound, and
//! exactly one record after a resubmit.

use std::time::{Duration, Instant};

use attendance::store::FirestoreSettings;
use harness::stall::StallProxy;
use harness::{TestFirestore, spawn_app_on};

#[tokio::test]
async fn a_stalled_firestore_answers_not_recorded_within_the_timeout_and_a_resubmit_counts_once() {
    let firestore = TestFirestore::new().await;
    let proxy = StallProxy::start(&firestore.host).await;
    // A test about FIRESTORE_TIMEOUT_SECS: 2 s, so the stall does not take the shipped 10 s.
    let settings = FirestoreSettings {
        request_timeout: Duration::from_secs(2),
        ..FirestoreSettings::emulator(&firestore.project_id, &proxy.host)
    };
    let session = crate::fixtures::session_fixture(&firestore.store).await;
    let app = spawn_app_on(firestore, settings).await;
    app.at_start_of(&session);
    let id = session.id.to_string();
    let phone = app.new_browser();
    let token = phone.attend_form_token(&id, "").await.expect("form");

    proxy.stall(true);
    let started = Instant::now();
    let stalled = phone.submit_attendance(&id, &token, "Jane Doe", "ADM/2023/001").await;
    let waited = started.elapsed();
    assert_eq!(stalled.status, 503, "{}", stalled.html);
    assert!(stalled.html.contains("Not recorded yet"), "{}", stalled.html);
    assert!(waited < Duration::from_secs(4), "answered within the 2 s bound (plus slack): {waited:?}");

    proxy.stall(false);
    let again = phone.submit_attendance(&id, &token, "Jane Doe", "ADM/2023/001").await;
    assert_eq!(again.status, 200, "{}", again.html);
    // The first attempt may have landed during the stall: either way the student sees the mark.
    assert!(again.html.contains("Jane Doe") && again.html.contains("8.33%"), "{}", again.html);
    assert_eq!(app.firestore.rest().list_as_admin("attendance").await.len(), 1, "exactly once");
}
