//! Marking by hand, changing a status, removing with a reason and restoring: plain form posts,
//! each leaving a history record, the student's count following the one attended rule.

use harness::spawn_app;

use super::{correct, lecture, page};

/// ADM/1's count of lectures attended, as stored on the student document.
async fn count_of(app: &harness::TestApp) -> String {
    let student = app.firestore.rest().get_as_admin("students/ADM%252F1").await.expect("student");
    student["fields"]["attended"]["mapValue"]["fields"]["CS101_2025-2026_1"]["integerValue"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

#[tokio::test]
async fn a_mark_is_corrected_removed_and_restored_with_its_history() {
    let app = spawn_app().await;
    let session = lecture(&app).await;
    let id = session.id.to_string();
    app.new_browser().attend(&id, "Jane Doe", "ADM/1").await;

    let (status, html) = correct(
        &app,
        &session,
        &[("admission_number", "adm/1"), ("status", "late"), ("reason", "came at 10:20")],
    )
    .await;
    assert_eq!(status, 303, "{html}");
    assert!(html.contains("ADM/1: Present → Late."), "flash: {html}");
    assert!(html.contains("came at 10:20") && html.contains("by jkamau (lecturer)"), "history: {html}");
    assert_eq!(count_of(&app).await, "1", "late still counts");

    // Removing needs a reason; without one nothing changes and the page says why (400).
    let (status, html) =
        correct(&app, &session, &[("admission_number", "ADM/1"), ("status", "removed")]).await;
    assert_eq!(status, 400);
    assert!(html.contains("Give a reason for removing a mark"), "{html}");
    let (status, _) =
        correct(&app, &session, &[("admission_number", "ADM/1"), ("status", "removed"), ("reason", "proxy")])
            .await;
    assert_eq!(status, 303);
    assert_eq!(count_of(&app).await, "0", "a removed mark does not count");

    // The student cannot mark again and is told to ask the lecturer.
    let again = app.new_browser().attend(&id, "Jane Doe", "ADM/1").await;
    assert!(
        again.html.contains("Your mark was removed") && again.html.contains("ask the lecturer"),
        "{}",
        again.html
    );

    // Restore in one click: back to the status it had.
    let (status, html) = correct(&app, &session, &[("admission_number", "ADM/1"), ("status", "late")]).await;
    assert_eq!(status, 303);
    assert!(html.contains("ADM/1: Removed → Late."), "{html}");
    assert_eq!(count_of(&app).await, "1");
    let restored =
        app.firestore.rest().get_as_admin(&format!("attendance/{id}_ADM%252F1")).await.expect("mark");
    assert!(restored["fields"].get("deleted_at").is_none(), "no removal time left: {restored}");

    // Excused counts; absent does not.
    correct(&app, &session, &[("admission_number", "ADM/1"), ("status", "absent")]).await;
    assert_eq!(count_of(&app).await, "0");
    correct(
        &app,
        &session,
        &[("admission_number", "ADM/1"), ("status", "excused"), ("reason", "medical note")],
    )
    .await;
    assert_eq!(count_of(&app).await, "1");

    // Five changes, five append-only records with deterministic ids, versions 2 to 6.
    let changes = app.firestore.rest().list_as_admin("attendance_changes").await;
    assert_eq!(changes.len(), 5);
    let mark = app.firestore.rest().get_as_admin(&format!("attendance/{id}_ADM%252F1")).await.expect("mark");
    assert_eq!(mark["fields"]["version"]["integerValue"], "6");
    assert_eq!(mark["fields"]["status"]["stringValue"], "excused");
    let names: Vec<&str> = changes.iter().filter_map(|c| c["name"].as_str()).collect();
    for version in 2..=6 {
        assert!(names.iter().any(|n| n.ends_with(&format!("{id}_ADM%2F1_v{version}"))), "{names:?}");
    }
}

#[tokio::test]
async fn repeating_a_correction_changes_nothing() {
    let app = spawn_app().await;
    let session = lecture(&app).await;
    app.new_browser().attend(&session.id.to_string(), "Jane Doe", "ADM/1").await;
    for _ in 0..2 {
        let (status, html) =
            correct(&app, &session, &[("admission_number", "ADM/1"), ("status", "late")]).await;
        assert_eq!(status, 303, "{html}");
    }
    let (_, html) = correct(&app, &session, &[("admission_number", "ADM/1"), ("status", "late")]).await;
    assert!(html.contains("ADM/1 is already Late; nothing changed."), "{html}");
    assert_eq!(app.firestore.rest().list_as_admin("attendance_changes").await.len(), 1);
    assert_eq!(count_of(&app).await, "1");
}

#[tokio::test]
async fn a_student_whose_phone_died_is_marked_by_hand() {
    let app = spawn_app().await;
    let session = lecture(&app).await;
    // Unknown student, no name: refused with the reason, nothing written.
    let (status, html) =
        correct(&app, &session, &[("admission_number", "ADM/1"), ("status", "present")]).await;
    assert_eq!(status, 400);
    assert!(html.contains("ADM/1 is not known yet: type the student"), "{html}");
    assert!(app.firestore.rest().list_as_admin("attendance").await.is_empty());

    let fields = [("admission_number", "ADM/1"), ("student_name", "Jane Doe"), ("status", "present")];
    let (status, html) = correct(&app, &session, &fields).await;
    assert_eq!(status, 303);
    assert!(html.contains("Jane Doe") && html.contains("(by hand)"), "{html}");
    assert_eq!(count_of(&app).await, "1");
    // The student scanning afterwards is simply "already marked".
    let scan = app.new_browser().attend(&session.id.to_string(), "Jane Doe", "ADM/1").await;
    assert!(scan.html.contains("Already marked"), "{}", scan.html);
}

#[tokio::test]
async fn bad_corrections_are_refused_with_a_message() {
    let app = spawn_app().await;
    let session = lecture(&app).await;
    for (fields, message) in [
        (
            vec![("admission_number", "ADM/1"), ("status", "asleep")],
            "Choose present, late, excused, absent or removed.",
        ),
        (vec![("admission_number", ""), ("status", "present")], "Admission number is required."),
        (
            vec![("admission_number", "ADM/404"), ("status", "removed"), ("reason", "x")],
            "ADM/404 is not marked in this session",
        ),
    ] {
        let (status, html) = correct(&app, &session, &fields).await;
        assert_eq!(status, 400, "{fields:?}");
        assert!(html.contains(message), "{message}: {html}");
    }
    assert!(app.firestore.rest().list_as_admin("attendance_changes").await.is_empty());

    // Another lecturer's session: 404, nothing changed.
    app.new_browser().attend(&session.id.to_string(), "Jane Doe", "ADM/1").await;
    app.add_lecturer("potieno", "correct horse battery").await;
    let other = app.new_browser();
    other.login("potieno", "correct horse battery").await;
    let refused = other
        .post_with_csrf(
            &format!("/session/{}/marks/", session.id),
            &[("admission_number", "ADM/1"), ("status", "absent")],
        )
        .await;
    assert_eq!(refused.status(), 404);
    assert!(!page(&app, &session).await.contains("badge-absent\">Absent"));
}

#[tokio::test]
async fn each_mark_has_a_page_with_its_form_and_history() {
    let app = spawn_app().await;
    let session = lecture(&app).await;
    app.new_browser().attend(&session.id.to_string(), "Jane Doe", "ADM/1").await;
    correct(&app, &session, &[("admission_number", "ADM/1"), ("status", "late"), ("reason", "bus")]).await;
    let path = format!("/session/{}/marks/ADM%2F1/", session.id);
    let html = app.browser.text(&path).await;
    assert!(html.contains("Jane Doe") && html.contains("badge-late\">Late"), "{html}");
    assert!(html.contains("Present → Late by jkamau (lecturer): “bus”"), "{html}");
    assert!(html.contains("<option value=\"late\" selected>"), "{html}");
    assert!(!html.contains("name=\"student_name\""), "a known student needs no name");
    // Someone not on record: the form asks for the name.
    let unknown = app.browser.text(&format!("/session/{}/marks/ADM%2F77/", session.id)).await;
    assert!(unknown.contains("name=\"student_name\"") && unknown.contains("No mark"), "{unknown}");
    // The list links to it; another lecturer gets 404; a malformed number is 404.
    assert!(page(&app, &session).await.contains(&format!("href=\"/session/{}/marks/ADM%2F1/\"", session.id)));
    assert_eq!(app.browser.get(&format!("/session/{}/marks/%20/", session.id)).await.status(), 404);
    app.add_lecturer("potieno", "correct horse battery").await;
    let other = app.new_browser();
    other.login("potieno", "correct horse battery").await;
    assert_eq!(other.get(&path).await.status(), 404);
}

#[tokio::test]
async fn two_corrections_at_once_both_land_in_one_history() {
    let app = spawn_app().await;
    let session = lecture(&app).await;
    app.new_browser().attend(&session.id.to_string(), "Jane Doe", "ADM/1").await;
    let by = crate::fixtures::username("jkamau");
    let expected = attendance::domain::ExpectedLessons::DEFAULT;
    let asking = |status| attendance::model::Correction {
        admission_number: attendance::domain::AdmissionNumber::parse("ADM/1").expect("adm"),
        student_name: None,
        to: attendance::model::MarkState::Marked(status),
        reason: None,
    };
    let (late, absent) =
        (asking(attendance::model::MarkStatus::Late), asking(attendance::model::MarkStatus::Absent));
    let store = &app.firestore.store;
    let (a, b) = tokio::join!(
        store.correct_mark(&session, &late, &by, expected),
        store.correct_mark(&session, &absent, &by, expected),
    );
    let changed = |c: &Result<attendance::store::Corrected, _>| {
        matches!(c, Ok(attendance::store::Corrected::Changed(_)))
    };
    assert!(changed(&a) && changed(&b), "one wins, the other reads again and applies: {a:?} {b:?}");
    let history = store.changes_of_session(session.id).await.expect("history");
    let versions: Vec<u32> = history.iter().map(|c| c.version).collect();
    assert_eq!(versions, [2, 3], "{history:?}");
    assert_eq!(history[1].from, history[0].to, "the second starts where the first ended");
    // The student's count follows the state the mark ended in: absent does not count.
    let ended_absent =
        history[1].to == attendance::model::MarkState::Marked(attendance::model::MarkStatus::Absent);
    let expected_count = if ended_absent { "0" } else { "1" };
    assert_eq!(count_of(&app).await, expected_count);
}
