//! Anonymous marking, bounded without hurting a hall behind one NAT; names that stay.

use harness::{AppOptions, spawn_app, spawn_app_with};

use super::{lecturer_with_session, new_lecture};

#[tokio::test]
async fn one_network_cannot_mark_more_than_the_cap_in_a_session() {
    // A test about the cap: 10 instead of the shipped 1,500.
    let app = spawn_app_with(AppOptions::default().with("MARKS_PER_ADDRESS", "10")).await;
    let session = lecturer_with_session(&app, "jkamau").await;
    let id = session.id.to_string();
    for i in 0..10 {
        let attended =
            app.new_browser().attend(&id, &format!("Student {i}"), &format!("ADM/2023/{i:03}")).await;
        assert_eq!(attended.status, 200, "{i}: {}", attended.html);
    }
    let refused = app.new_browser().attend(&id, "Student 11", "ADM/2023/011").await;
    assert_eq!(refused.status, 429);
    assert!(refused.html.contains("Too many marks from this network"));
    assert_eq!(app.firestore.rest().list_as_admin("attendance").await.len(), 10);
    // The next lecture has a budget of its own.
    let next = new_lecture(&app, "jkamau", 10).await.id.to_string();
    assert_eq!(app.new_browser().attend(&next, "Student 11", "ADM/2023/011").await.status, 200);
}

#[tokio::test]
async fn the_shipped_cap_fits_a_thousand_seat_hall() {
    let settings = super::shipped_settings();
    assert!(settings.marks_per_address >= 1000, "{}", settings.marks_per_address);
}

#[tokio::test]
async fn the_first_name_recorded_stays_and_a_different_one_is_flagged() {
    let app = spawn_app().await;
    let first = lecturer_with_session(&app, "jkamau").await;
    let second = new_lecture(&app, "jkamau", 10).await;
    app.at_start_of(&first);
    app.new_browser().attend(&first.id.to_string(), "Jane Wanjiru", "ADM/2023/001").await;
    app.at_start_of(&second);
    // Someone else types Jane's number under another name in the next lecture.
    let proxy = app.new_browser().attend(&second.id.to_string(), "Mallory Proxy", "ADM/2023/001").await;
    assert!(proxy.html.contains("marked"), "{}", proxy.html);
    let student = app.firestore.rest().get_as_admin("students/ADM%252F2023%252F001").await.expect("student");
    assert_eq!(student["fields"]["name"]["stringValue"], "Jane Wanjiru", "not renamed");
    // The lecturer, back at the second lecture, sees the mark flagged, on the page and in the
    // live list.
    app.log_in_again().await;
    let page = app.browser.text(&format!("/session/{}/", second.id)).await;
    assert!(page.contains("Mallory Proxy") && page.contains("On record as Jane Wanjiru"), "{page}");
    let live = app.browser.text(&format!("/session/{}/changes.json", second.id)).await;
    assert!(live.contains("On record as Jane Wanjiru"), "{live}");
    // The same name in another case or spacing is not a different person.
    let third = new_lecture(&app, "jkamau", 12).await;
    app.new_browser().attend(&third.id.to_string(), " jane  WANJIRU ", "ADM/2023/001").await;
    app.log_in_again().await;
    let page = app.browser.text(&format!("/session/{}/", third.id)).await;
    assert!(!page.contains("On record as"), "{page}");
}
