//! Every way a student's mark comes in (the form, a pending mark sent again, a form sent while
//! the session could not be read) passes the same admission steps: one phone one student, the
//! per-network budget, and a Firestore deadline that starts once the form has arrived.

use std::time::Duration;

use harness::{AppOptions, Browser, input_value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::pending_marks::behind_a_stall_proxy_with;

/// Posts a pending mark again from `phone`, as if from the network `from` (behind one proxy).
async fn resend_from(phone: &Browser, id: &str, pending: &str, from: &str) -> u16 {
    let response = phone
        .post(&format!("/attend/{id}/pending/"))
        .header("x-forwarded-for", from)
        .form(&[("pending", pending)])
        .send()
        .await
        .expect("app answers");
    response.status().as_u16()
}

/// Submits the attendance form from `phone` as if from the network `from`.
async fn submit_from(phone: &Browser, id: &str, from: &str, name: &str, number: &str) -> (u16, String) {
    let token = phone.attend_form_token(id, "").await.expect("form");
    let response = phone
        .post(&format!("/attend/{id}/"))
        .header("x-forwarded-for", from)
        .form(&[("student_name", name), ("admission_number", number), ("form_token", token.as_str())])
        .send()
        .await
        .expect("app answers");
    (response.status().as_u16(), response.text().await.expect("body"))
}

#[tokio::test]
async fn a_pending_mark_binds_the_phone_to_its_student_as_a_mark_does() {
    let (app, proxy, session) = behind_a_stall_proxy_with(AppOptions::default()).await;
    let id = session.id.to_string();
    let phone = app.new_browser();
    let form = phone.attend_form_token(&id, "").await.expect("form");
    proxy.stall(true);
    let kept = phone.submit_attendance(&id, &form, "Jane Doe", "ADM/2023/001").await;
    assert_eq!(kept.status, 503, "{}", kept.html);
    let pending = input_value(&kept.html, "pending").expect("a pending mark");
    proxy.stall(false);
    let landed = phone.post_form(&format!("/attend/{id}/pending/"), &[("pending", &pending)]).await;
    assert_eq!(landed.status(), 303);

    let friend = phone.attend(&id, "Brian Otieno", "ADM/2023/002").await;
    assert_eq!(friend.status, 409, "{}", friend.html);
    assert!(friend.html.contains("This phone has already been used"), "{}", friend.html);
    assert_eq!(app.firestore.rest().list_as_admin("attendance").await.len(), 1);
}

#[tokio::test]
async fn a_pending_mark_sent_from_a_phone_that_marked_someone_else_is_refused() {
    let (app, proxy, session) = behind_a_stall_proxy_with(AppOptions::default()).await;
    let id = session.id.to_string();
    // Brian's phone marked Brian.
    let brians_phone = app.new_browser();
    assert_eq!(brians_phone.attend(&id, "Brian Otieno", "ADM/2023/002").await.status, 200);
    // Jane's attempt was kept during an outage, and its saved form is passed to Brian's phone.
    let janes_phone = app.new_browser();
    let form = janes_phone.attend_form_token(&id, "").await.expect("form");
    proxy.stall(true);
    let kept = janes_phone.submit_attendance(&id, &form, "Jane Doe", "ADM/2023/001").await;
    let pending = input_value(&kept.html, "pending").expect("a pending mark");
    proxy.stall(false);

    let refused = brians_phone.post_form(&format!("/attend/{id}/pending/"), &[("pending", &pending)]).await;
    assert_eq!(refused.status(), 409);
    assert!(refused.text().await.expect("html").contains("This phone has already been used"));
    // Jane's own phone still sends it.
    let landed = janes_phone.post_form(&format!("/attend/{id}/pending/"), &[("pending", &pending)]).await;
    assert_eq!(landed.status(), 303);
    assert_eq!(app.firestore.rest().list_as_admin("attendance").await.len(), 2);
}

#[tokio::test]
async fn a_pending_mark_spends_the_budget_of_the_network_that_sends_it_once() {
    // A test about the cap (its least, 10, instead of 1,500) and networks behind one proxy.
    let options = AppOptions::default().with("MARKS_PER_ADDRESS", "10").with("PROXY_HOPS", "1");
    let (app, proxy, session) = behind_a_stall_proxy_with(options).await;
    let id = session.id.to_string();
    let (hall, cafe) = ("203.0.113.7", "198.51.100.20");

    // From the hall, Jane's mark is kept during an outage: one of the hall's ten is spent.
    let janes_phone = app.new_browser();
    proxy.stall(true);
    let (status, html) = submit_from(&janes_phone, &id, hall, "Jane Doe", "ADM/2023/001").await;
    assert_eq!(status, 503, "{html}");
    let pending = input_value(&html, "pending").expect("a pending mark");
    proxy.stall(false);
    // The café's ten go to ten others.
    for i in 0..10 {
        let (status, _) =
            submit_from(&app.new_browser(), &id, cafe, &format!("Student {i}"), &format!("ADM/2023/1{i:02}"))
                .await;
        assert_eq!(status, 303);
    }

    // Jane's saved attempt sent from the café is one mark too many there...
    assert_eq!(resend_from(&app.new_browser(), &id, &pending, cafe).await, 429);
    // ...but from the hall it was counted when it was made.
    assert_eq!(resend_from(&janes_phone, &id, &pending, hall).await, 303);
    assert_eq!(app.firestore.rest().list_as_admin("attendance").await.len(), 11);
}

#[tokio::test]
async fn a_form_sent_slowly_still_has_the_whole_firestore_deadline() {
    // A test about the Firestore deadline: the helper's 2 s instead of the shipped 10 s.
    let (app, _proxy, session) = behind_a_stall_proxy_with(AppOptions::default()).await;
    let id = session.id.to_string();
    let token = app.new_browser().attend_form_token(&id, "").await.expect("form");
    // The token is URL-safe already.
    let body = format!("student_name=Jane+Doe&admission_number=ADM%2F2023%2F001&form_token={token}");
    let host = app.address.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(host).await.expect("connect");
    let head = format!(
        "POST /attend/{id}/ HTTP/1.1\r\nHost: {host}\r\nOrigin: {}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        app.address,
        body.len()
    );
    stream.write_all(head.as_bytes()).await.expect("headers");
    let (first, rest) = body.split_at(body.len() / 2);
    stream.write_all(first.as_bytes()).await.expect("half the body");
    // A phone on a poor signal: longer than the Firestore deadline before the rest arrives.
    tokio::time::sleep(Duration::from_secs(3)).await;
    stream.write_all(rest.as_bytes()).await.expect("the rest");
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).await.expect("answer");
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 303"), "recorded, not kept as pending: {answer}");
    assert_eq!(app.firestore.rest().list_as_admin("attendance").await.len(), 1);
}
