use attendance::store::{StoreError, Taken};
use harness::TestFirestore;
use harness::rest::string_field;

use crate::fixtures::*;

#[tokio::test]
async fn a_lecturer_is_stored_with_a_hash_and_a_staff_id_guard() {
    let fs = TestFirestore::new().await;
    let created = fs
        .store
        .create_lecturer(&new_lecturer("jkamau", "STF/001"), &attendance::model::Actor::CommandLine)
        .await
        .expect("created");
    assert_eq!(created.username.as_str(), "jkamau");
    assert!(created.active);
    assert!(created.created_at.is_some());

    let doc = fs.rest().get_as_admin("lecturers/jkamau").await.expect("stored");
    let hash = string_field(&doc, "password_hash").expect("hash field");
    assert!(hash.starts_with("$argon2id$"), "{hash}");
    assert!(doc["fields"]["created_at"]["timestampValue"].is_string(), "a real timestamp: {doc}");
    let guard = fs.rest().get_as_admin("staff_ids/STF%252F001").await.expect("guard");
    assert_eq!(string_field(&guard, "username"), Some("jkamau"));
}

#[tokio::test]
async fn a_duplicate_username_is_refused() {
    let fs = TestFirestore::new().await;
    fs.store
        .create_lecturer(&new_lecturer("jkamau", "STF/001"), &attendance::model::Actor::CommandLine)
        .await
        .expect("first");
    let err = fs
        .store
        .create_lecturer(&new_lecturer("JKamau", "STF/002"), &attendance::model::Actor::CommandLine)
        .await
        .expect_err("duplicate");
    assert!(matches!(err, StoreError::AlreadyExists(Taken::Username)), "{err:?}");
    // The refused account's staff id was not taken on the side.
    assert!(fs.rest().get_as_admin("staff_ids/STF%252F002").await.is_none());
}

#[tokio::test]
async fn a_duplicate_staff_id_is_refused() {
    let fs = TestFirestore::new().await;
    fs.store
        .create_lecturer(&new_lecturer("jkamau", "STF/001"), &attendance::model::Actor::CommandLine)
        .await
        .expect("first");
    let err = fs
        .store
        .create_lecturer(&new_lecturer("potieno", "stf/001"), &attendance::model::Actor::CommandLine)
        .await
        .expect_err("duplicate");
    assert!(matches!(err, StoreError::AlreadyExists(Taken::StaffId)), "{err:?}");
    assert!(fs.rest().get_as_admin("lecturers/potieno").await.is_none(), "no account without its guard");
}

#[tokio::test]
async fn concurrent_sign_ups_for_one_staff_id_leave_one_account() {
    let fs = TestFirestore::new().await;
    let attempts = (0..10).map(|i| {
        let store = fs.store.clone();
        async move {
            store
                .create_lecturer(
                    &new_lecturer(&format!("user{i}"), "STF/777"),
                    &attendance::model::Actor::CommandLine,
                )
                .await
        }
    });
    let results = futures::future::join_all(attempts).await;
    assert_eq!(results.iter().filter(|r| r.is_ok()).count(), 1);
    assert_eq!(fs.rest().list_as_admin("lecturers").await.len(), 1);
}

#[tokio::test]
async fn password_and_active_flag_can_change() {
    let fs = TestFirestore::new().await;
    let user = username("jkamau");
    fs.store
        .create_lecturer(&new_lecturer("jkamau", "STF/001"), &attendance::model::Actor::CommandLine)
        .await
        .expect("created");
    let new_hash =
        attendance::model::PasswordHash::from_phc("$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHQ$aGFzaA".into());
    fs.store
        .set_password(&user, &new_hash, false, &attendance::model::Actor::CommandLine)
        .await
        .expect("set");
    let (_, stored) = fs.store.lecturer_with_hash(&user).await.expect("read").expect("exists");
    assert_eq!(stored, new_hash);
    fs.store
        .set_lecturer_active(&user, false, &attendance::model::Actor::CommandLine)
        .await
        .expect("deactivate");
    assert!(!fs.store.lecturer(&user).await.expect("read").expect("exists").active);
    let missing = fs
        .store
        .set_password(&username("nobody"), &new_hash, false, &attendance::model::Actor::CommandLine)
        .await
        .expect_err("missing");
    assert!(matches!(missing, StoreError::NotFound), "{missing:?}");
}
