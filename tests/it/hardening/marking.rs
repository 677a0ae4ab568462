//! Anonymous marking, bounded without hurting a hall behind one NAT; names that stay.

use harness::{AppOptions, TestApp, spawn_app, spawn_app_with};

use super::{lecturer_with_session, new_lecture};

/// A phone's mark arriving through the proxy from `address`.
async fn attend_from(app: &TestApp, id: &str, address: &str, number: &str) -> u16 {
    let phone = app.new_browser();
    let token = phone.attend_form_token(id, "").await.expect("form");
    let response = phone
        .post(&format!("/attend/{id}/"))
        .header("x-forwarded-for", address)
        .form(&[
            ("student_name", "Student Name"),
            ("admission_number", number),
            ("form_token", token.as_str()),
        ])
        .send()
        .await
        .expect("answer");
    response.status().as_u16()
}

#[tokio::test]
async fn one_network_cannot_create_more_than_the_cap_in_a_session_and_others_are_not_touched() {
    // A test about the cap: 10 instead of the shipped 1,500, behind one proxy for addresses.
    let app =
        spawn_app_with(AppOptions::default().with("MARKS_PER_ADDRESS", "10").with("PROXY_HOPS", "1")).await;
    let session = lecturer_with_session(&app, "jkamau").await;
    let id = session.id.to_string();
    // A phone sending one number again and again spends nothing: only created marks count.
    for _ in 0..15 {
        assert_eq!(attend_from(&app, &id, "203.0.113.1", "ADM/2023/000").await, 303);
    }
    for i in 1..10 {
        assert_eq!(attend_from(&app, &id, "203.0.113.1", &format!("ADM/2023/{i:03}")).await, 303, "{i}");
    }
    let refused = app.new_browser();
    let token = refused.attend_form_token(&id, "").await.expect("form");
    let page = refused
        .post(&format!("/attend/{id}/"))
        .header("x-forwarded-for", "203.0.113.1")
        .form(&[
            ("student_name", "Student 11"),
            ("admission_number", "ADM/2023/011"),
            ("form_token", token.as_str()),
        ])
        .send()
        .await
        .expect("answer");
    assert_eq!(page.status(), 429);
    assert!(page.text().await.expect("html").contains("Too many marks from this network"));
    // Another network is not touched; an IPv6 /64 is one network.
    assert_eq!(attend_from(&app, &id, "198.51.100.1", "ADM/2023/011").await, 303);
    for i in 0..10 {
        let address = format!("2001:db8:7:1::{:x}", i + 1);
        assert_eq!(attend_from(&app, &id, &address, &format!("ADM/2023/1{i:02}")).await, 303, "{i}");
    }
    assert_eq!(attend_from(&app, &id, "2001:db8:7:1:ffff::9", "ADM/2023/120").await, 429, "same /64");
    assert_eq!(attend_from(&app, &id, "2001:db8:7:2::1", "ADM/2023/120").await, 303, "another /64");
    assert_eq!(app.firestore.rest().list_as_admin("attendance").await.len(), 22);
    // The next lecture has a budget of its own.
    let next = new_lecture(&app, "jkamau", 10).await.id.to_string();
    assert_eq!(attend_from(&app, &next, "203.0.113.1", "ADM/2023/011").await, 303);
}

#[tokio::test]
async fn the_shipped_cap_fits_a_thousand_seat_hall() {
    assert_eq!(super::shipped_settings().marks_per_address, 1500);
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
