//! Editing a session (both uniqueness rules still hold), cancelling it (out of held and of
//! percentages), deleting it only while it has no marks.

use harness::spawn_app;

use super::lecture;

fn fields<'a>(overrides: &[(&'a str, &'a str)], date: &'a str) -> Vec<(&'a str, &'a str)> {
    let mut all = vec![
        ("date", date),
        ("start_time", "10:00"),
        ("end_time", "11:00"),
        ("opens_at", ""),
        ("closes_at", ""),
        ("venue", "LT 2"),
        ("lecturer_name", "Dr. Jane Kamau"),
        ("class_year", "2"),
    ];
    for (key, value) in overrides {
        all.retain(|(k, _)| k != key);
        all.push((key, value));
    }
    all
}

#[tokio::test]
async fn a_session_is_edited_and_a_clash_is_refused() {
    let app = spawn_app().await;
    let session = lecture(&app).await;
    let other = crate::hardening::new_lecture(&app, "jkamau", 14).await;
    app.log_in_again().await;
    let date = session.date.to_string();
    let opens = format!("{date}T09:45");
    let closes = format!("{date}T11:00");
    let path = format!("/session/{}/edit/", session.id);
    let form = app.browser.text(&path).await;
    assert!(form.contains(&format!("value=\"{opens}\"")), "the window shows: {form}");

    // Moved to 12:00 with the window left at its default: the window follows.
    let moved = fields(
        &[
            ("start_time", "12:00"),
            ("end_time", "13:30"),
            ("venue", "Main Hall"),
            ("opens_at", &opens),
            ("closes_at", &closes),
        ],
        &date,
    );
    let response = app.browser.post_with_csrf(&path, &moved).await;
    assert_eq!(response.status(), 303, "{}", response.text().await.unwrap_or_default());
    let edited = app.firestore.store.session(session.id).await.expect("read").expect("session");
    assert_eq!(edited.venue.as_str(), "Main Hall");
    assert_eq!(edited.window.opens().to_string(), format!("{date}T11:45:00"));
    assert_eq!(edited.number, session.number, "the lecture number stays");

    // Onto the other lecture's start time: refused beside the field, nothing changed.
    let (opens_14, closes_15) = (format!("{date}T13:45"), format!("{date}T15:00"));
    let clash = fields(
        &[("start_time", "14:00"), ("end_time", "15:00"), ("opens_at", &opens_14), ("closes_at", &closes_15)],
        &date,
    );
    let response = app.browser.post_with_csrf(&path, &clash).await;
    assert_eq!(response.status(), 400);
    assert!(
        response
            .text()
            .await
            .expect("html")
            .contains("Another session of this unit starts at this date and time.")
    );
    let unchanged = app.firestore.store.session(session.id).await.expect("read").expect("session");
    assert_eq!(unchanged.times.start().to_string(), "12:00:00");
    // The old start time was freed: the other lecture can move to 10:00.
    let other_path = format!("/session/{}/edit/", other.id);
    let opens_930 = format!("{date}T09:30");
    let to_ten = fields(&[("opens_at", &opens_930), ("closes_at", &closes)], &date);
    assert_eq!(app.browser.post_with_csrf(&other_path, &to_ten).await.status(), 303);

    // Bad input: a 400 with the message beside the field.
    for (field, value, message) in [
        ("end_time", "09:00", "End time must be after the start time."),
        ("closes_at", "2025-01-01T00:00", "The attendance window must close after it opens."),
        ("date", "2030-01-01", "The date must stay in the academic year"),
        ("venue", "", "Venue is required."),
    ] {
        let (opens_8, closes_12) = (format!("{date}T08:00"), format!("{date}T12:00"));
        let mut bad = fields(&[("opens_at", &opens_8), ("closes_at", &closes_12)], &date);
        bad.retain(|(k, _)| *k != field);
        bad.push((field, value));
        let response = app.browser.post_with_csrf(&other_path, &bad).await;
        assert_eq!(response.status(), 400, "{field}");
        let html = response.text().await.expect("html");
        assert!(html.contains(message), "{field}: {html}");
    }
}

#[tokio::test]
async fn a_cancelled_lecture_counts_nowhere_and_a_marked_one_cannot_be_deleted() {
    let app = spawn_app().await;
    let session = lecture(&app).await;
    let id = session.id.to_string();
    let attended = app.new_browser().attend(&id, "Jane Doe", "ADM/1").await;
    assert!(attended.html.contains("8.33%"), "{}", attended.html);

    let delete = app.browser.post_with_csrf(&format!("/session/{id}/delete/"), &[]).await;
    assert_eq!(delete.status(), 409, "a refusal of the record's state, not a malformed request");
    assert!(delete.text().await.expect("html").contains("cancel it instead"));

    let cancel = app.browser.post_with_csrf(&format!("/session/{id}/cancel/"), &[("cancelled", "1")]).await;
    assert_eq!(cancel.status(), 303);
    let page = app.browser.text(&format!("/session/{id}/")).await;
    assert!(page.contains("badge-cancelled\" id=\"session-status\">Cancelled"), "{page}");
    let student = app.firestore.rest().get_as_admin("students/ADM%252F1").await.expect("student");
    assert_eq!(student["fields"]["attended"]["mapValue"]["fields"]["CS101_2025-2026_1"]["integerValue"], "0");
    let scan = app.get(&format!("/attend/{id}/")).await.text().await.expect("html");
    assert!(scan.contains("This lecture was cancelled"), "{scan}");
    // Restoring counts it again; repeating either is harmless.
    for _ in 0..2 {
        app.browser.post_with_csrf(&format!("/session/{id}/cancel/"), &[("cancelled", "0")]).await;
    }
    let student = app.firestore.rest().get_as_admin("students/ADM%252F1").await.expect("student");
    assert_eq!(student["fields"]["attended"]["mapValue"]["fields"]["CS101_2025-2026_1"]["integerValue"], "1");

    // An unmarked session can be deleted, and its lecture number is free again.
    let spare = crate::hardening::new_lecture(&app, "jkamau", 16).await;
    app.log_in_again().await;
    let delete = app.browser.post_with_csrf(&format!("/session/{}/delete/", spare.id), &[]).await;
    assert_eq!(delete.status(), 303);
    assert!(app.firestore.store.session(spare.id).await.expect("read").is_none());
}
