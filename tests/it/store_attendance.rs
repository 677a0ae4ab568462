use attendance::domain::AdmissionNumber;
use attendance::model::MarkOutcome;
use harness::TestFirestore;
use harness::rest::string_field;

use crate::fixtures::*;

#[tokio::test]
async fn a_mark_creates_the_record_and_enrols_the_student_in_one_commit() {
    let fs = TestFirestore::new().await;
    let session = session_fixture(&fs.store).await;
    let marking = fs.store.mark_attendance(&session, &mark("ADM/2023/001", "Jane Doe")).await.expect("mark");
    assert_eq!(marking.attended_in_term, 1);
    let MarkOutcome::Marked(record) = marking.outcome else { panic!("expected a new mark: {marking:?}") };
    assert_eq!(record.admission_number.as_str(), "ADM/2023/001");

    let doc = fs
        .rest()
        .get_as_admin(&format!("attendance/{}_ADM%252F2023%252F001", session.id))
        .await
        .expect("stored");
    assert_eq!(string_field(&doc, "admission_number"), Some("ADM/2023/001"));
    assert!(doc["fields"]["marked_at"]["timestampValue"].is_string(), "server timestamp: {doc}");
    let student = fs.rest().get_as_admin("students/ADM%252F2023%252F001").await.expect("student");
    assert_eq!(student["fields"]["units"]["arrayValue"]["values"][0]["stringValue"], "CS101");
    assert!(student["fields"]["updated_at"]["timestampValue"].is_string());
}

#[tokio::test]
async fn fifty_concurrent_marks_of_one_student_make_one_record() {
    let fs = TestFirestore::new().await;
    let session = session_fixture(&fs.store).await;
    let attempts = (0..50).map(|i| {
        let store = fs.store.clone();
        let session = session.clone();
        // Every case and spacing a phone keyboard produces is the same student.
        let typed = if i % 2 == 0 { "ADM/2023/001" } else { " adm/2023/001 " };
        async move { store.mark_attendance(&session, &mark(typed, "Jane Doe")).await.map(|m| m.outcome) }
    });
    let results = futures::future::join_all(attempts).await;
    let marked = results.iter().filter(|r| matches!(r, Ok(MarkOutcome::Marked(_)))).count();
    let already = results.iter().filter(|r| matches!(r, Ok(MarkOutcome::AlreadyMarked(_)))).count();
    assert_eq!((marked, already), (1, 49), "{results:?}");
    assert_eq!(fs.rest().list_as_admin("attendance").await.len(), 1);
    assert_eq!(fs.store.attendance_count(session.id).await.expect("count"), 1);
    // Every "already marked" answer reports the first mark's time.
    let first = results.iter().find_map(|r| match r {
        Ok(MarkOutcome::Marked(rec)) => Some(rec.marked_at),
        _ => None,
    });
    for r in &results {
        assert_eq!(Some(r.as_ref().expect("ok").record().marked_at), first);
    }
}

#[tokio::test]
async fn no_attendance_document_exists_without_its_student_enrolment() {
    let fs = TestFirestore::new().await;
    let session = session_fixture(&fs.store).await;
    let attempts =
        (0..40).map(|i| {
            let store = fs.store.clone();
            let session = session.clone();
            async move {
                store.mark_attendance(&session, &mark(&format!("ADM/2023/{:03}", i % 20), "Student")).await
            }
        });
    futures::future::join_all(attempts).await;
    let marks = fs.rest().list_as_admin("attendance").await;
    assert_eq!(marks.len(), 20);
    for mark in &marks {
        let key = string_field(mark, "admission_key").expect("key");
        let student = fs.rest().get_as_admin(&format!("students/{}", key.replace('%', "%25"))).await;
        let student = student.unwrap_or_else(|| panic!("student {key} missing for {mark}"));
        assert_eq!(student["fields"]["units"]["arrayValue"]["values"][0]["stringValue"], "CS101");
    }
}

#[tokio::test]
async fn lists_counts_and_percentages_come_back_from_the_store() {
    let fs = TestFirestore::new().await;
    let session = session_fixture(&fs.store).await;
    let second = fs.store.create_session(&new_session("CS101", "jkamau", monday(), 14)).await.expect("2nd");
    for (admission, name) in [("ADM/1", "First"), ("ADM/2", "Second"), ("ADM/3", "Third")] {
        fs.store.mark_attendance(&session, &mark(admission, name)).await.expect("mark");
    }
    fs.store.mark_attendance(&second, &mark("adm/1", "First")).await.expect("mark");

    let list = fs.store.attendance_of_session(session.id).await.expect("list");
    let names: Vec<_> = list.iter().map(|r| r.student_name.as_str()).collect();
    assert_eq!(names, ["Third", "Second", "First"], "newest first");
    let adm1 = AdmissionNumber::parse("ADM/1").expect("adm");
    assert_eq!(fs.store.student_attendance_count(&adm1, &session.unit_code, term()).await.expect("count"), 2);
    let adm3 = AdmissionNumber::parse("ADM/3").expect("adm");
    assert_eq!(fs.store.student_attendance_count(&adm3, &session.unit_code, term()).await.expect("count"), 1);
    assert_eq!(fs.store.attendance_of_unit_term(&session.unit_code, term()).await.expect("all").len(), 4);

    let student = fs.store.student(&adm1).await.expect("read").expect("exists");
    assert_eq!(student.units.len(), 1, "enrolled once however often marked");
    assert!(student.created_at.is_some());
}

#[tokio::test]
async fn a_removed_mark_stays_removed() {
    let fs = TestFirestore::new().await;
    let session = session_fixture(&fs.store).await;
    fs.store.mark_attendance(&session, &mark("ADM/9", "Proxy")).await.expect("mark");
    let adm = AdmissionNumber::parse("ADM/9").expect("adm");
    crate::fixtures::remove(&fs.store, &session, &adm).await.expect("remove");
    crate::fixtures::remove(&fs.store, &session, &adm).await.expect("removing twice is a no-op");
    assert_eq!(fs.store.attendance_count(session.id).await.expect("count"), 0);
    let again = fs.store.mark_attendance(&session, &mark("ADM/9", "Proxy")).await.expect("mark");
    assert!(matches!(again.outcome, MarkOutcome::Removed(_)), "{again:?}");
    assert_eq!(again.attended_in_term, 0, "the counter went back down, once");
    assert_eq!(fs.store.student_attendance_count(&adm, &session.unit_code, term()).await.expect("count"), 0);
}

#[tokio::test]
async fn the_counter_in_the_commit_agrees_with_a_count_query() {
    let fs = TestFirestore::new().await;
    let first = session_fixture(&fs.store).await;
    let mut sessions = vec![first];
    for hour in [10, 12, 14] {
        sessions.push(
            fs.store.create_session(&new_session("CS101", "jkamau", monday(), hour)).await.expect("session"),
        );
    }
    let adm = AdmissionNumber::parse("ADM/7").expect("adm");
    for (i, session) in sessions.iter().enumerate() {
        let marking = fs.store.mark_attendance(session, &mark("ADM/7", "Seven")).await.expect("mark");
        assert_eq!(marking.attended_in_term, i as u64 + 1);
        let again = fs.store.mark_attendance(session, &mark("adm/7", "Seven")).await.expect("again");
        assert!(matches!(again.outcome, MarkOutcome::AlreadyMarked(_)));
        assert_eq!(again.attended_in_term, i as u64 + 1, "a duplicate does not count");
    }
    crate::fixtures::remove(&fs.store, &sessions[1], &adm).await.expect("remove");
    // Removing concurrently from two places takes the mark off once.
    let (a, b) = tokio::join!(
        crate::fixtures::remove(&fs.store, &sessions[2], &adm),
        crate::fixtures::remove(&fs.store, &sessions[2], &adm)
    );
    a.expect("a");
    b.expect("b");
    let counted =
        fs.store.student_attendance_count(&adm, &sessions[0].unit_code, term()).await.expect("count");
    assert_eq!(counted, 2);
    let student = fs.rest().get_as_admin("students/ADM%252F7").await.expect("student");
    assert_eq!(student["fields"]["attended"]["mapValue"]["fields"]["CS101_2025-2026_1"]["integerValue"], "2");
}

#[tokio::test]
async fn removing_a_mark_never_creates_a_student_and_raises_its_version() {
    let fs = TestFirestore::new().await;
    let session = session_fixture(&fs.store).await;
    fs.store.mark_attendance(&session, &mark("ADM/2023/001", "Jane Doe")).await.expect("mark");
    let path = format!("attendance/{}_ADM%252F2023%252F001", session.id);
    let doc = fs.rest().get_as_admin(&path).await.expect("stored");
    assert_eq!(doc["fields"]["version"]["integerValue"], "1");
    assert_eq!(doc["fields"]["expected_lessons"]["integerValue"], "12", "the denominator the student saw");
    // The student document is gone (deleted by hand, or by a data-protection request).
    fs.rest().delete_as_admin("students/ADM%252F2023%252F001").await;
    let admission = AdmissionNumber::parse("ADM/2023/001").expect("adm");
    crate::fixtures::remove(&fs.store, &session, &admission).await.expect("remove");
    assert!(fs.rest().get_as_admin("students/ADM%252F2023%252F001").await.is_none(), "no stub student");
    let doc = fs.rest().get_as_admin(&path).await.expect("stored");
    assert_eq!(doc["fields"]["deleted"]["booleanValue"], true);
    assert_eq!(doc["fields"]["version"]["integerValue"], "2", "a removal is a new version");
    // Removing again changes nothing.
    crate::fixtures::remove(&fs.store, &session, &admission).await.expect("again");
    let doc = fs.rest().get_as_admin(&path).await.expect("stored");
    assert_eq!(doc["fields"]["version"]["integerValue"], "2");
}
