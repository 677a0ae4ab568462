use std::collections::BTreeSet;

use attendance::store::{Conflict, StoreError};
use harness::TestFirestore;
use jiff::ToSpan;

use crate::fixtures::*;

#[tokio::test]
async fn sessions_are_numbered_from_one_per_unit_and_term() {
    let fs = TestFirestore::new().await;
    let first = fs.store.create_session(&new_session("CS101", "jkamau", monday(), 8)).await.expect("1");
    let second = fs.store.create_session(&new_session("CS101", "jkamau", monday(), 10)).await.expect("2");
    let other_unit =
        fs.store.create_session(&new_session("MA201", "jkamau", monday(), 8)).await.expect("other");
    assert_eq!((first.number.get(), second.number.get(), other_unit.number.get()), (1, 2, 1));
    assert_eq!(first.opening, attendance::model::Opening::FollowWindow);
    assert!(first.created_at.is_some());
    let read = fs.store.session(first.id).await.expect("read").expect("exists");
    assert_eq!(read.times, first.times);
    assert_eq!(read.date, monday());
}

#[tokio::test]
async fn twenty_concurrent_creations_get_numbers_one_to_thirteen_once_each() {
    let fs = TestFirestore::new().await;
    let attempts = (0..20).map(|i| {
        let store = fs.store.clone();
        // Distinct dates, so the only contention is for lecture numbers.
        let day = monday().checked_add((i as i64).days()).expect("date");
        async move { store.create_session(&new_session("CS101", "jkamau", day, 8)).await }
    });
    let results = futures::future::join_all(attempts).await;
    let numbers: Vec<u8> = results.iter().filter_map(|r| r.as_ref().ok()).map(|s| s.number.get()).collect();
    let unique: BTreeSet<u8> = numbers.iter().copied().collect();
    assert_eq!(numbers.len(), 13, "{results:?}");
    assert_eq!(unique, (1..=13).collect());
    for refused in results.iter().filter_map(|r| r.as_ref().err()) {
        assert!(matches!(refused, StoreError::Conflict(Conflict::TermFull)), "{refused:?}");
    }
    assert_eq!(fs.rest().list_as_admin("sessions").await.len(), 13);
}

#[tokio::test]
async fn the_fourteenth_session_of_a_term_is_refused_but_the_next_term_starts_again() {
    let fs = TestFirestore::new().await;
    for i in 0..13 {
        let day = monday().checked_add(i.days()).expect("date");
        fs.store.create_session(&new_session("CS101", "jkamau", day, 8)).await.expect("within limit");
    }
    let day = monday().checked_add(20.days()).expect("date");
    let err = fs.store.create_session(&new_session("CS101", "jkamau", day, 8)).await.expect_err("14th");
    assert!(matches!(err, StoreError::Conflict(Conflict::TermFull)), "{err:?}");
    let mut next_term = new_session("CS101", "jkamau", day, 8);
    next_term.term.semester = attendance::domain::Semester::Two;
    assert_eq!(fs.store.create_session(&next_term).await.expect("new term").number.get(), 1);
}

#[tokio::test]
async fn a_second_session_at_the_same_date_and_time_is_refused() {
    let fs = TestFirestore::new().await;
    fs.store.create_session(&new_session("CS101", "jkamau", monday(), 8)).await.expect("first");
    let err = fs.store.create_session(&new_session("CS101", "jkamau", monday(), 8)).await.expect_err("clash");
    assert!(matches!(err, StoreError::Conflict(Conflict::TimeClash)), "{err:?}");
    // Concurrent clashes: exactly one wins.
    let attempts = (0..8).map(|_| {
        let store = fs.store.clone();
        async move { store.create_session(&new_session("CS101", "jkamau", monday(), 14)).await }
    });
    let results = futures::future::join_all(attempts).await;
    assert_eq!(results.iter().filter(|r| r.is_ok()).count(), 1, "{results:?}");
    assert!(
        results
            .iter()
            .filter_map(|r| r.as_ref().err())
            .all(|e| matches!(e, StoreError::Conflict(Conflict::TimeClash)))
    );
}

#[tokio::test]
async fn deleting_a_session_frees_its_number_and_time() {
    let fs = TestFirestore::new().await;
    let first = fs.store.create_session(&new_session("CS101", "jkamau", monday(), 8)).await.expect("1");
    fs.store.create_session(&new_session("CS101", "jkamau", monday(), 10)).await.expect("2");
    fs.store.soft_delete_session(&first).await.expect("delete");
    assert!(fs.store.session(first.id).await.expect("read").is_none());
    let again = fs.store.create_session(&new_session("CS101", "jkamau", monday(), 8)).await.expect("reuse");
    assert_eq!(again.number.get(), 1);
    let doc = fs.rest().get_as_admin(&format!("sessions/{}", first.id)).await.expect("kept for the mirror");
    assert!(doc["fields"]["deleted_at"]["timestampValue"].is_string());
}

#[tokio::test]
async fn recent_sessions_are_newest_first_and_totals_count_open_ones() {
    let fs = TestFirestore::new().await;
    let lecturer = username("jkamau");
    let mut created = Vec::new();
    for (i, hour) in [(0, 8), (3, 8), (1, 10), (1, 8)] {
        let day = monday().checked_add((i as i64).days()).expect("date");
        created.push(
            fs.store.create_session(&new_session("CS101", "jkamau", day, hour)).await.expect("session"),
        );
    }
    fs.store.create_session(&new_session("BIO100", "potieno", monday(), 8)).await.expect("other lecturer");
    let recent = fs.store.recent_sessions(&lecturer, 3).await.expect("query");
    let order: Vec<_> = recent.iter().map(|s| (s.date.day(), s.times.start().hour())).collect();
    assert_eq!(order, [(4, 8), (2, 10), (2, 8)]);
    fs.store
        .set_session_opening(created[0].id, attendance::model::Opening::Closed, jiff::Timestamp::now())
        .await
        .expect("close");
    assert_eq!(fs.store.session_total(&lecturer).await.expect("total"), 4);
    let in_term = fs.store.sessions_of_unit(&created[0].unit_code, term()).await.expect("unit");
    let numbers: Vec<_> = in_term.iter().map(|s| s.number.get()).collect();
    assert_eq!(numbers, [1, 2, 3, 4]);
}

#[tokio::test]
async fn closing_a_missing_session_is_not_found() {
    let fs = TestFirestore::new().await;
    let err = fs
        .store
        .set_session_opening(
            attendance::domain::SessionId::new_random(),
            attendance::model::Opening::Closed,
            jiff::Timestamp::now(),
        )
        .await
        .expect_err("missing");
    assert!(matches!(err, StoreError::NotFound), "{err:?}");
}
