//! No mark lost when Firestore fails: the phone gets a sealed pending mark and sends it again
//! until it lands, even after the window closed; exactly once; forgeries refused.

use std::time::Duration;

use attendance::model::Session;
use attendance::store::FirestoreSettings;
use harness::stall::StallProxy;
use harness::{AppOptions, TestApp, TestFirestore, emulator_host, input_value, spawn_app_on_with};
use jiff::SignedDuration;

use crate::fixtures::session_fixture;

/// The app behind a proxy that can stop Firestore answering (a stall: connections stay open),
/// with `jkamau`'s CS101 lecture on Monday 08:00-09:00 and the clock at its start. Firestore
/// calls give up after 2 s, so a stalled one answers "not recorded yet" quickly.
async fn behind_a_stall_proxy() -> (TestApp, StallProxy, Session) {
    behind_a_stall_proxy_with(AppOptions::default()).await
}

/// The same, with settings the test is about.
pub(crate) async fn behind_a_stall_proxy_with(options: AppOptions) -> (TestApp, StallProxy, Session) {
    let firestore = TestFirestore::new().await;
    let proxy = StallProxy::start(&emulator_host()).await;
    let settings = FirestoreSettings {
        request_timeout: Duration::from_secs(2),
        ..FirestoreSettings::emulator(&firestore.project_id, &proxy.host)
    };
    let session = session_fixture(&firestore.store).await;
    let app = spawn_app_on_with(firestore, settings, options).await;
    app.at_start_of(&session);
    (app, proxy, session)
}

#[tokio::test]
async fn a_mark_made_during_an_outage_lands_once_after_the_window_with_its_attempt_time() {
    let (app, proxy, session) = behind_a_stall_proxy().await;
    let id = session.id.to_string();
    let phone = app.new_browser();
    let form = phone.attend_form_token(&id, "").await.expect("form");

    proxy.stall(true);
    let stalled = phone.submit_attendance(&id, &form, "Jane Doe", "ADM/2023/001").await;
    assert_eq!(stalled.status, 503, "{}", stalled.html);
    assert!(
        stalled.html.contains("Not recorded yet") && stalled.html.contains("Send again"),
        "{}",
        stalled.html
    );
    let pending = input_value(&stalled.html, "pending").expect("a pending mark");
    // Opening the link again on that phone resumes the attempt (a cookie holds it), no script
    // needed; another phone gets the form.
    let reopened = phone.text(&format!("/attend/{id}/")).await;
    assert!(reopened.contains("Not recorded yet"), "{reopened}");
    assert!(
        reopened.contains("ADM/2023/001 is not recorded yet") && input_value(&reopened, "pending").is_some()
    );
    // Sent again while Firestore is still down: the same page, the same attempt.
    let again = phone.post_form(&format!("/attend/{id}/pending/"), &[("pending", &pending)]).await;
    assert_eq!(again.status(), 503);
    assert!(again.text().await.expect("html").contains("Not recorded yet"));

    proxy.stall(false);
    // Firestore is back after the window closed (the lecture was 08:00-09:00).
    app.clock.set(app.local(session.date.at(10, 30, 0, 0)));
    let landed = phone.post_form(&format!("/attend/{id}/pending/"), &[("pending", &pending)]).await;
    assert_eq!(landed.status(), 303);
    let result = phone.text(landed.headers()["location"].to_str().expect("location")).await;
    assert!(result.contains("You are marked present"), "{result}");
    let doc = app
        .firestore
        .rest()
        .get_as_admin(&format!("attendance/{id}_ADM%252F2023%252F001"))
        .await
        .expect("mark");
    let attempted: jiff::Timestamp = doc["fields"]["attempted_at"]["timestampValue"]
        .as_str()
        .and_then(|t| t.parse().ok())
        .expect("the attempt's time");
    let start = app.local(session.date.at(8, 0, 0, 0));
    assert!(
        attempted >= start && attempted < start + SignedDuration::from_mins(1),
        "tried at the lecture's start: {attempted}"
    );
    assert_eq!(doc["fields"]["status"]["stringValue"], "present", "on time when it was tried");
    let after = phone.text(&format!("/attend/{id}/")).await;
    assert!(!after.contains("Not recorded yet"), "landed: the phone holds nothing more: {after}");

    // The same pending mark again: one mark.
    let twice = phone.post_form(&format!("/attend/{id}/pending/"), &[("pending", &pending)]).await;
    let result = phone.text(twice.headers()["location"].to_str().expect("location")).await;
    assert!(result.contains("Already marked"), "{result}");
    assert_eq!(app.firestore.rest().list_as_admin("attendance").await.len(), 1);

    // The lecturer sees how it arrived.
    app.set_password("jkamau", "correct horse battery").await;
    app.browser.login("jkamau", "correct horse battery").await;
    let page = app.browser.text(&format!("/session/{id}/")).await;
    assert!(page.contains("Sent late because of an outage (tried 08:00"), "{page}");
    assert!(page.contains("1 arrived after an outage"), "{page}");
}

#[tokio::test]
async fn a_tampered_foreign_or_expired_pending_mark_is_refused_and_writes_nothing() {
    let (app, proxy, session) = behind_a_stall_proxy().await;
    let other = app
        .firestore
        .store
        .create_session(&crate::fixtures::new_session("CS101", "jkamau", crate::fixtures::monday(), 14))
        .await
        .expect("other");
    let id = session.id.to_string();
    let phone = app.new_browser();
    let form = phone.attend_form_token(&id, "").await.expect("form");
    proxy.stall(true);
    let stalled = phone.submit_attendance(&id, &form, "Jane Doe", "ADM/2023/001").await;
    let pending = input_value(&stalled.html, "pending").expect("a pending mark");
    proxy.stall(false);

    // One character in the middle changed, the length kept: it still decodes, and only the
    // seal's authentication can refuse it.
    let middle = pending.len() / 2;
    let flipped = if pending.as_bytes()[middle] == b'A' { "B" } else { "A" };
    let tampered = format!("{}{flipped}{}", &pending[..middle], &pending[middle + 1..]);
    let engine = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    assert!(base64::Engine::decode(&engine, &tampered).is_ok(), "a valid encoding, a wrong seal");
    for (path, token) in [
        (format!("/attend/{id}/pending/"), tampered.as_str()),
        (format!("/attend/{id}/pending/"), ""),
        (format!("/attend/{}/pending/", other.id), pending.as_str()),
    ] {
        let refused = phone.post_form(&path, &[("pending", token)]).await;
        assert_eq!(refused.status(), 400, "{path}");
        assert!(refused.text().await.expect("html").contains("This saved attempt cannot be used"));
    }
    // Older than PENDING_MARK_HOURS (24 by default).
    app.clock.advance(SignedDuration::from_hours(25));
    let expired = phone.post_form(&format!("/attend/{id}/pending/"), &[("pending", &pending)]).await;
    assert_eq!(expired.status(), 400);
    assert!(expired.text().await.expect("html").contains("too old"));
    assert!(app.firestore.rest().list_as_admin("attendance").await.is_empty());
}

#[tokio::test]
async fn five_minutes_of_outage_in_a_burst_of_300_loses_no_one() {
    let (app, proxy, session) = behind_a_stall_proxy().await;
    // The hall behind one address (the marking cap is sized for it).
    // Ten minutes before the end of the 08:00-09:00 lecture.
    app.clock.set(app.local(session.date.at(8, 50, 0, 0)));
    let id = session.id.to_string();
    let phones: Vec<_> = (0..300).map(|_| app.new_browser()).collect();
    let forms = futures::future::join_all(phones.iter().map(|p| p.attend_form_token(&id, ""))).await;

    // Firestore stops answering before the burst: every phone gets a pending mark.
    proxy.stall(true);
    let pending =
        futures::future::join_all(phones.iter().zip(&forms).enumerate().map(|(i, (phone, form))| {
            let form = form.clone().expect("form");
            let id = id.clone();
            async move {
                let attempt = phone
                    .submit_attendance(&id, &form, &format!("Student {i}"), &format!("ADM/{i:03}"))
                    .await;
                assert_eq!(attempt.status, 503, "{}", attempt.html);
                input_value(&attempt.html, "pending").expect("a pending mark")
            }
        }))
        .await;
    // Fifteen minutes later, past the window's end (09:00), Firestore is back; each page
    // sends again (some twice, as a page retrying by itself would).
    app.clock.advance(SignedDuration::from_mins(15));
    proxy.stall(false);
    let resent =
        futures::future::join_all(phones.iter().zip(&pending).enumerate().map(|(i, (phone, token))| {
            let path = format!("/attend/{id}/pending/");
            async move {
                let times = if i % 10 == 0 { 2 } else { 1 };
                let mut last = 0;
                for _ in 0..times {
                    last = phone.post_form(&path, &[("pending", token.as_str())]).await.status().as_u16();
                }
                last
            }
        }))
        .await;
    assert!(resent.iter().all(|s| *s == 303), "{resent:?}");
    let marks = app.firestore.store.marks_of_session(session.id).await.expect("marks");
    assert_eq!(marks.len(), 300, "every student, once");
    // Judged by when each was tried (08:50: inside the window, past the late threshold), not
    // by when it landed.
    let tried = app.local(session.date.at(8, 50, 0, 0));
    for mark in &marks {
        let attempted = mark.attempted_at.expect("the attempt's time");
        assert!(attempted >= tried && attempted < tried + SignedDuration::from_mins(2), "{attempted}");
        assert_eq!(mark.status, attendance::model::MarkStatus::Late, "{}", mark.admission_number);
        assert!(!mark.removed);
    }
}

#[tokio::test]
async fn with_firestore_already_down_the_form_still_opens_and_the_attempt_is_kept() {
    let (app, proxy, session) = behind_a_stall_proxy().await;
    let id = session.id.to_string();
    // Someone opened the link earlier: this instance has read the session.
    assert!(app.new_browser().attend_form_token(&id, "").await.is_some());
    app.clock.advance(SignedDuration::from_mins(1));
    proxy.stall(true);
    let phone = app.new_browser();
    let form = phone.attend_form_token(&id, "").await.expect("the form opens from the session last read");
    let attempt = phone.submit_attendance(&id, &form, "Jane Doe", "ADM/2023/001").await;
    assert_eq!(attempt.status, 503);
    let pending = input_value(&attempt.html, "pending").expect("a pending mark");
    proxy.stall(false);
    let landed = phone.post_form(&format!("/attend/{id}/pending/"), &[("pending", &pending)]).await;
    assert_eq!(landed.status(), 303);
    assert_eq!(app.firestore.rest().list_as_admin("attendance").await.len(), 1);
}

#[tokio::test]
async fn with_firestore_down_and_the_session_never_read_a_plain_form_keeps_the_attempt() {
    let (app, proxy, session) = behind_a_stall_proxy().await;
    let id = session.id.to_string();
    proxy.stall(true);
    let phone = app.new_browser();
    let page = phone.text(&format!("/attend/{id}/")).await;
    assert!(page.contains("This lecture") && page.contains("having trouble"), "{page}");
    let form = input_value(&page, "form_token").expect("a form");
    let attempt = phone.submit_attendance(&id, &form, "Jane Doe", "ADM/2023/001").await;
    assert_eq!(attempt.status, 503, "{}", attempt.html);
    let pending = input_value(&attempt.html, "pending").expect("a pending mark");
    proxy.stall(false);
    let landed = phone.post_form(&format!("/attend/{id}/pending/"), &[("pending", &pending)]).await;
    assert_eq!(landed.status(), 303);
    let marks = app.firestore.store.marks_of_session(session.id).await.expect("marks");
    assert_eq!(marks.len(), 1);
    assert_eq!(marks[0].status, attendance::model::MarkStatus::Present, "checked on landing: on time");
}

/// The lecturer `jkamau` of the fixture, logged in with the app's main browser.
async fn lecturer(app: &TestApp) {
    app.set_password("jkamau", "correct horse battery").await;
    assert_eq!(app.browser.login("jkamau", "correct horse battery").await.status(), 303);
}

#[tokio::test]
async fn a_mark_whose_commit_landed_but_whose_answer_was_lost_counts_once() {
    let (app, proxy, session) = behind_a_stall_proxy().await;
    let id = session.id.to_string();
    let phone = app.new_browser();
    let form = phone.attend_form_token(&id, "").await.expect("form");
    // The commit (the only request carrying the name) reaches Firestore; its answer does not.
    proxy.hold_answers_from(b"Wanjiku Lostanswer");
    let attempt = phone.submit_attendance(&id, &form, "Wanjiku Lostanswer", "ADM/2023/077").await;
    assert_eq!(attempt.status, 503, "not confirmed in time: {}", attempt.html);
    assert!(proxy.holding_answers(), "the commit went through the proxy");
    let pending = input_value(&attempt.html, "pending").expect("a pending mark");
    let stored = format!("attendance/{id}_ADM%252F2023%252F077");
    assert!(app.firestore.rest().get_as_admin(&stored).await.is_some(), "it landed");
    proxy.stall(false);
    let resent = phone.post_form(&format!("/attend/{id}/pending/"), &[("pending", pending.as_str())]).await;
    assert_eq!(resent.status(), 303);
    let result = phone.text(resent.headers()["location"].to_str().expect("location")).await;
    assert!(result.contains("Already marked"), "{result}");
    let marks = app.firestore.store.marks_of_session(session.id).await.expect("marks");
    assert_eq!(marks.len(), 1, "once");
    // Recorded when it was first sent, not "sent late because of an outage".
    assert_eq!(marks[0].attempted_at, None);
    assert_eq!(marks[0].student_name.as_str(), "Wanjiku Lostanswer");
}

#[tokio::test]
async fn a_pending_mark_landing_after_the_count_settled_is_counted() {
    let (app, proxy, session) = behind_a_stall_proxy().await;
    let id = session.id.to_string();
    app.new_browser().attend(&id, "On Time", "ADM/2023/010").await;
    app.clock.set(app.local(session.date.at(8, 30, 0, 0)));
    let phone = app.new_browser();
    let form = phone.attend_form_token(&id, "").await.expect("form");
    proxy.stall(true);
    let stalled = phone.submit_attendance(&id, &form, "Jane Doe", "ADM/2023/001").await;
    let pending = input_value(&stalled.html, "pending").expect("a pending mark");
    proxy.stall(false);
    // 11:05: the lecture (08:00-09:00) is long over and the dashboard settles its count.
    app.clock.set(app.local(session.date.at(11, 5, 0, 0)));
    lecturer(&app).await;
    assert!(app.browser.text("/dashboard/").await.contains("<td class=\"num\">1</td>"));
    let path = format!("sessions/{id}");
    let stored = app.firestore.rest().get_as_admin(&path).await.expect("session");
    assert_eq!(stored["fields"]["attended_count"]["integerValue"], "1", "settled");
    // The phone sends its attempt (tried at 08:30) now.
    let landed = phone.post_form(&format!("/attend/{id}/pending/"), &[("pending", pending.as_str())]).await;
    assert_eq!(landed.status(), 303);
    assert!(app.browser.text("/dashboard/").await.contains("<td class=\"num\">2</td>"), "counted again");
}

#[tokio::test]
async fn a_pending_mark_tried_inside_the_window_is_accepted_after_close_now() {
    let (app, proxy, session) = behind_a_stall_proxy().await;
    let id = session.id.to_string();
    app.clock.set(app.local(session.date.at(8, 30, 0, 0)));
    let phone = app.new_browser();
    let form = phone.attend_form_token(&id, "").await.expect("form");
    proxy.stall(true);
    let stalled = phone.submit_attendance(&id, &form, "Jane Doe", "ADM/2023/001").await;
    let pending = input_value(&stalled.html, "pending").expect("a pending mark");
    proxy.stall(false);
    // At the end of the outage lecture the lecturer presses "Close now" (08:55).
    app.clock.set(app.local(session.date.at(8, 55, 0, 0)));
    lecturer(&app).await;
    let closed = app.browser.post_with_csrf(&format!("/session/{id}/toggle/"), &[("active", "0")]).await;
    assert_eq!(closed.status(), 303);
    // A phone trying now is turned away; the attempt from 08:30 is not.
    assert!(app.new_browser().attend_form_token(&id, "").await.is_none(), "no form for a new phone");
    app.clock.set(app.local(session.date.at(9, 30, 0, 0)));
    let landed = phone.post_form(&format!("/attend/{id}/pending/"), &[("pending", pending.as_str())]).await;
    assert_eq!(landed.status(), 303, "tried while the session was open");
    let marks = app.firestore.store.marks_of_session(session.id).await.expect("marks");
    assert_eq!(marks.len(), 1);
}
