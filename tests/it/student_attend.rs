//! The student's path from the QR code: the page, the mark, every refusal, and a burst.

use attendance::domain::{LectureDate, SessionId};
use attendance::model::{NewSession, QrMode, Session};
use harness::{AppOptions, TestApp, spawn_app, spawn_app_with};
use jiff::ToSpan;

use crate::fixtures::{new_lecturer, new_session, new_unit};

/// A lecturer `jkamau` with unit CS101 and an open session.
async fn open_session(app: &TestApp) -> Session {
    session_with(app, |_| {}).await
}

async fn session_with(app: &TestApp, change: impl FnOnce(&mut NewSession)) -> Session {
    let store = &app.firestore.store;
    if store.lecturer(&crate::fixtures::username("jkamau")).await.expect("read").is_none() {
        store
            .create_lecturer(&new_lecturer("jkamau", "STF/001"), &attendance::model::Actor::CommandLine)
            .await
            .expect("lecturer");
        store.create_unit(&new_unit("CS101", "jkamau")).await.expect("unit");
    }
    // Tomorrow: nobody is late yet.
    let tomorrow = jiff::Zoned::now().date().checked_add(1.day()).expect("date");
    let existing = store
        .sessions_of_unit(
            &attendance::domain::UnitCode::parse("CS101").expect("code"),
            crate::fixtures::term(),
        )
        .await;
    let hour = 6 + existing.map(|s| s.len()).unwrap_or(0) as i8;
    let mut new = new_session("CS101", "jkamau", tomorrow, hour);
    change(&mut new);
    let session = store.create_session(&new).await.expect("session");
    app.at_start_of(&session);
    session
}

#[tokio::test]
async fn the_form_page_is_small_script_free_and_labelled() {
    let app = spawn_app().await;
    let session = open_session(&app).await;
    let response = app.get(&format!("/attend/{}/", session.id)).await;
    assert_eq!(response.status(), 200);
    let html = response.text().await.expect("html");
    for expected in ["CS101", "Introduction to Programming", "S1 Lec 1", "LT 2", "name=\"form_token\""] {
        assert!(html.contains(expected), "{expected}");
    }
    assert!(
        html.contains("<label for=\"student_name\">")
            && html.contains("id=\"student_name\" name=\"student_name\"")
    );
    assert!(
        html.contains("<label for=\"admission_number\">")
            && html.contains("id=\"admission_number\" name=\"admission_number\"")
    );
    assert!(html.contains("name=\"viewport\""), "mobile viewport");
    // JavaScript is optional: one deferred script for a lost connection, the form is a plain POST.
    assert_eq!(html.matches("<script").count(), 1, "one small optional script");
    assert!(html.contains("<script src=\"/static/attend.js") && html.contains(" defer>"), "{html}");
    assert!(!html.contains("app.css"), "the lecturer stylesheet is not loaded");
    let css = app.get("/static/base.css").await.text().await.expect("css");
    let js = app.get("/static/attend.js").await.text().await.expect("js");
    let total = html.len() + css.len() + js.len();
    assert!(total < 22 * 1024, "page + CSS + script = {total} bytes");
}

#[tokio::test]
async fn unknown_and_malformed_sessions_get_a_friendly_404() {
    let app = spawn_app().await;
    for id in
        [SessionId::new_random().to_string(), "not-a-session".into(), "%2e%2e%2f".into(), "x".repeat(3000)]
    {
        let response = app.get(&format!("/attend/{id}/")).await;
        assert_eq!(response.status(), 404, "{id}");
        assert!(response.text().await.expect("html").contains("Session not found"));
    }
}

#[tokio::test]
async fn a_mark_redirects_to_the_result_with_the_percentage_and_a_refresh_changes_nothing() {
    let app = spawn_app().await;
    let session = open_session(&app).await;
    let id = session.id.to_string();
    let token = app.browser.attend_form_token(&id, "").await.expect("token");
    let response = app
        .browser
        .post_form(
            &format!("/attend/{id}/"),
            &[("student_name", "Jane Doe"), ("admission_number", "ADM/2023/001"), ("form_token", &token)],
        )
        .await;
    assert_eq!(response.status(), 303);
    let result_url = response.headers()["location"].to_str().expect("ascii").to_owned();
    assert!(result_url.starts_with(&format!("/attend/{id}/done/?r=")));
    let html = app.browser.text(&result_url).await;
    assert!(html.contains("You are marked present"), "{html}");
    assert!(html.contains("8.33%") && html.contains("1 of 12 lectures"), "{html}");
    assert!(html.contains("Jane Doe") && html.contains("ADM/2023/001"));
    // Refreshing the result page is only a GET: still one record.
    app.browser.text(&result_url).await;
    assert_eq!(app.firestore.rest().list_as_admin("attendance").await.len(), 1);
    // A tampered receipt leads back to the form instead of showing anything.
    let forged = app.get(&format!("{result_url}x")).await;
    assert_eq!(forged.status(), 303);
}

#[tokio::test]
async fn the_percentage_grows_with_each_lecture() {
    let app = spawn_app().await;
    let mut seen = Vec::new();
    for _ in 0..3 {
        let session = open_session(&app).await;
        let attended = app.new_browser().attend(&session.id.to_string(), "Jane Doe", "ADM/2023/001").await;
        assert_eq!(attended.status, 200);
        let pct = ["8.33%", "16.67%", "25.00%"]
            .into_iter()
            .find(|p| attended.html.contains(p))
            .expect("a percentage");
        seen.push(pct);
    }
    assert_eq!(seen, ["8.33%", "16.67%", "25.00%"]);
}

#[tokio::test]
async fn a_hundred_concurrent_posts_of_one_student_make_one_record() {
    let app = spawn_app().await;
    let session = open_session(&app).await;
    let id = session.id.to_string();
    let token = app.browser.attend_form_token(&id, "").await.expect("token");
    let attempts = (0..100).map(|i| {
        let phone = app.new_browser();
        let (id, token) = (id.clone(), token.clone());
        let typed = if i % 3 == 0 { "adm/2023/001" } else { "ADM/2023/001 " };
        async move { phone.submit_attendance(&id, &token, "Jane Doe", typed).await }
    });
    let results = futures::future::join_all(attempts).await;
    assert!(results.iter().all(|r| r.status < 500 && r.post_status < 500), "no 5xx");
    let marked = results.iter().filter(|r| r.html.contains("You are marked present")).count();
    let already = results.iter().filter(|r| r.html.contains("Already marked")).count();
    assert_eq!((marked, already), (1, 99));
    assert_eq!(app.firestore.rest().list_as_admin("attendance").await.len(), 1);
}

#[tokio::test]
async fn three_hundred_students_at_once_are_all_recorded_and_enrolled() {
    let app = spawn_app().await;
    let session = open_session(&app).await;
    let id = session.id.to_string();
    let token = app.browser.attend_form_token(&id, "").await.expect("token");
    let attempts = (0..300).map(|i| {
        let phone = app.new_browser();
        let (id, token) = (id.clone(), token.clone());
        async move {
            phone.submit_attendance(&id, &token, &format!("Student {i}"), &format!("ADM/2023/{i:03}")).await
        }
    });
    let results = futures::future::join_all(attempts).await;
    assert!(results.iter().all(|r| r.status == 200 && r.html.contains("You are marked present")));
    let rest = app.firestore.rest();
    assert_eq!(rest.list_as_admin("attendance").await.len(), 300);
    let students = rest.list_as_admin("students").await;
    assert_eq!(students.len(), 300);
    for student in &students {
        assert_eq!(student["fields"]["units"]["arrayValue"]["values"][0]["stringValue"], "CS101");
    }
}

#[tokio::test]
async fn a_closed_session_refuses_marks_with_the_closed_page() {
    let app = spawn_app().await;
    let session = open_session(&app).await;
    let id = session.id.to_string();
    let token = app.browser.attend_form_token(&id, "").await.expect("token");
    app.firestore
        .store
        .set_session_opening(session.id, attendance::model::Opening::Closed, jiff::Timestamp::now())
        .await
        .expect("close");
    // The student pages remember a session for a few seconds; the lecturer's own instance
    // forgets at once (tested through the toggle), another one within the interval.
    app.clock.advance(attendance::web::attend::cache::FRESH_FOR);
    let page = app.get(&format!("/attend/{id}/")).await;
    assert!(page.text().await.expect("html").contains("This session is closed"));
    let attended = app.browser.submit_attendance(&id, &token, "Jane Doe", "ADM/2023/001").await;
    assert_eq!(attended.post_status, 409);
    assert!(attended.html.contains("your attendance was not recorded"), "{}", attended.html);
    assert!(app.firestore.rest().list_as_admin("attendance").await.is_empty());
}

#[tokio::test]
async fn closing_through_the_lecturer_page_stops_marks_at_once() {
    let app = spawn_app().await;
    let session = open_session(&app).await;
    let id = session.id.to_string();
    let lecturer = app.new_browser();
    app.add_lecturer("potieno", "correct horse battery").await;
    // jkamau owns the session; log in as jkamau through a store-created password.
    app.set_password("jkamau", "correct horse battery").await;
    assert_eq!(lecturer.login("jkamau", "correct horse battery").await.status(), 303);
    let token = app.browser.attend_form_token(&id, "").await.expect("token");
    assert_eq!(
        lecturer.post_with_csrf(&format!("/session/{id}/toggle/"), &[("active", "0")]).await.status(),
        303
    );
    let attended = app.browser.submit_attendance(&id, &token, "Jane Doe", "ADM/2023/001").await;
    assert_eq!(attended.post_status, 409, "refused without waiting for the cache");
}

#[tokio::test]
async fn names_are_escaped_on_the_student_and_lecturer_pages() {
    let app = spawn_app().await;
    let session = open_session(&app).await;
    let id = session.id.to_string();
    let attended = app.browser.attend(&id, "<script>alert('x')</script>", "ADM/2023/001").await;
    assert_eq!(attended.status, 200);
    assert!(!attended.html.contains("<script>alert"), "student page");
    assert!(attended.html.contains("&lt;script&gt;alert("));
    app.set_password("jkamau", "correct horse battery").await;
    let lecturer = app.new_browser();
    lecturer.login("jkamau", "correct horse battery").await;
    let page = lecturer.text(&format!("/session/{id}/")).await;
    assert!(!page.contains("<script>alert"), "lecturer page");
    assert!(page.contains("&lt;script&gt;alert("));
    // As typed: the admission number reaches the lecturer's list unchanged.
    assert!(page.contains("<td>ADM/2023/001</td>"));
    let json: serde_json::Value =
        lecturer.get(&format!("/session/{id}/changes.json")).await.json().await.expect("json");
    let rows = json["events"][0]["data"]["rows_html"].as_str().expect("rows");
    assert!(rows.contains("<td>ADM/2023/001</td>") && rows.contains("&lt;script&gt;alert("), "{rows}");
    assert!(!rows.contains("<script>alert"), "the live rows are escaped like the page");
}

#[tokio::test]
async fn bad_input_gets_a_400_that_keeps_what_was_typed() {
    let app = spawn_app().await;
    let session = open_session(&app).await;
    let id = session.id.to_string();
    let long_name = "N".repeat(10_000);
    let cases = [
        (long_name.as_str(), "ADM/2023/001", "student_name-error", "at most 100 characters"),
        ("Jane Doe", "", "admission_number-error", "Admission number is required."),
        ("", "ADM/2023/001", "student_name-error", "Full name is required."),
        ("Jane Doe", "ADM🎓1", "admission_number-error", "may contain only the letters A-Z"),
        ("Jane\u{202E}Doe", "ADM/1", "student_name-error", "invisible or control character"),
    ];
    for (name, admission, error_id, message) in cases {
        let attended = app.new_browser().attend(&id, name, admission).await;
        assert_eq!(attended.post_status, 400, "{error_id}: {message}");
        let at = attended.html.find(&format!("id=\"{error_id}\"")).expect("error element");
        let near: String = attended.html[at..].chars().take(250).collect();
        assert!(near.contains(message), "{message}: {near}");
        if !admission.is_empty() && name.len() < 200 {
            assert!(
                attended.html.contains(&format!("value=\"{}\"", admission.replace('&', "&amp;"))),
                "admission kept"
            );
        }
        assert!(attended.html.contains("name=\"form_token\""), "a fresh form to submit again");
    }
    assert!(app.firestore.rest().list_as_admin("attendance").await.is_empty());
}

#[tokio::test]
async fn stale_and_forged_form_tokens_are_refused_with_a_message() {
    let app = spawn_app().await;
    let session = open_session(&app).await;
    let id = session.id.to_string();
    let signer = attendance::auth::tokens::Signer::new(attendance::config::SecretKey::random());
    for forged in [
        "",
        "garbage",
        &attendance::web::attend::tokens::form_token(&signer, session.id, app.clock.now_secs(), false),
    ] {
        let attended = app.browser.submit_attendance(&id, forged, "Jane Doe", "ADM/2023/001").await;
        assert_eq!(attended.post_status, 400);
        assert!(attended.html.contains("Reload the page"), "{}", attended.html);
    }
    let other = session_with(&app, |s| {
        s.times =
            attendance::domain::TimeRange::new(jiff::civil::time(20, 0, 0, 0), jiff::civil::time(21, 0, 0, 0))
                .expect("t")
    })
    .await;
    let other_token = app.browser.attend_form_token(&other.id.to_string(), "").await.expect("token");
    app.at_start_of(&session);
    let attended = app.browser.submit_attendance(&id, &other_token, "Jane Doe", "ADM/2023/001").await;
    assert_eq!(attended.post_status, 400, "another session's form");
    assert!(app.firestore.rest().list_as_admin("attendance").await.is_empty());
}

#[tokio::test]
async fn an_expired_form_keeps_what_the_student_typed() {
    let options = AppOptions::default();
    let signer = attendance::auth::tokens::Signer::new(options.secret_key.clone());
    let app = spawn_app_with(options).await;
    let session = open_session(&app).await;
    let id = session.id.to_string();
    let old = app.clock.now_secs() - attendance::web::attend::tokens::FORM_MAX_AGE_SECS - 5;
    let token = attendance::web::attend::tokens::form_token(&signer, session.id, old, false);
    let attended = app.browser.submit_attendance(&id, &token, "Jane Doe", "ADM/2023/001").await;
    assert_eq!(attended.post_status, 400);
    assert!(attended.html.contains("We kept what you typed"));
    assert!(attended.html.contains("value=\"Jane Doe\"") && attended.html.contains("value=\"ADM/2023/001\""));
}

#[tokio::test]
async fn one_phone_marks_one_student_per_session() {
    let app = spawn_app().await;
    let session = open_session(&app).await;
    let id = session.id.to_string();
    assert_eq!(app.browser.attend(&id, "Jane Doe", "ADM/2023/001").await.status, 200);
    let second = app.browser.attend(&id, "John Roe", "ADM/2023/002").await;
    assert_eq!(second.post_status, 409);
    assert!(
        second.html.contains("This phone already marked ADM/2023/001 in this session"),
        "{}",
        second.html
    );
    let again = app.browser.attend(&id, "Jane Doe", "adm/2023/001").await;
    assert!(again.html.contains("Already marked"), "the same student may check again");
    // A different session is a different lecture: the phone can mark there.
    let next = session_with(&app, |s| {
        s.times =
            attendance::domain::TimeRange::new(jiff::civil::time(20, 0, 0, 0), jiff::civil::time(21, 0, 0, 0))
                .expect("t")
    })
    .await;
    assert!(
        app.browser
            .attend(&next.id.to_string(), "John Roe", "ADM/2023/002")
            .await
            .html
            .contains("You are marked present")
    );
    assert_eq!(app.firestore.rest().list_as_admin("attendance").await.len(), 2);

    let relaxed = spawn_app_with(AppOptions::default().with("ONE_DEVICE_PER_STUDENT", "false")).await;
    let shared = open_session(&relaxed).await.id.to_string();
    relaxed.browser.attend(&shared, "Jane Doe", "ADM/2023/001").await;
    assert_eq!(
        relaxed.browser.attend(&shared, "John Roe", "ADM/2023/002").await.status,
        200,
        "when switched off"
    );
}

#[tokio::test]
async fn marks_after_the_late_threshold_are_late_and_still_count() {
    let app = spawn_app().await;
    let yesterday = jiff::Zoned::now().date().checked_sub(1.day()).expect("date");
    let past = session_with(&app, |s| s.date = LectureDate::try_from(yesterday).expect("date")).await;
    // Sixteen minutes in: one past the late threshold, well inside the window.
    app.clock.advance(jiff::SignedDuration::from_mins(16));
    let attended = app.browser.attend(&past.id.to_string(), "Jane Doe", "ADM/2023/001").await;
    assert!(attended.html.contains("Marked late"), "{}", attended.html);
    assert!(attended.html.contains("8.33%"), "late counts as attended");
    let records = app.firestore.store.attendance_of_session(past.id).await.expect("list");
    assert_eq!(records[0].status, attendance::model::MarkStatus::Late);
    let on_time = open_session(&app).await;
    let attended = app.new_browser().attend(&on_time.id.to_string(), "Jane Doe", "ADM/2023/001").await;
    assert!(attended.html.contains("You are marked present"), "{}", attended.html);
}

#[tokio::test]
async fn rotating_codes_accept_fresh_tokens_only() {
    let options = AppOptions::default();
    let signer = attendance::auth::tokens::Signer::new(options.secret_key.clone());
    let app = spawn_app_with(options).await;
    let rotating = session_with(&app, |s| s.qr_mode = QrMode::Rotating).await;
    let id = rotating.id.to_string();
    let other = open_session(&app).await;
    app.at_start_of(&rotating);
    let now = app.clock.now_secs();
    let window = attendance::web::attend::tokens::window(now, 15);
    let token_for = |window| attendance::web::attend::tokens::qr_token(&signer, rotating.id, window);

    // No token, a stale one, a tampered one, another session's: "scan again".
    let foreign = attendance::web::attend::tokens::qr_token(&signer, other.id, window);
    let tampered = format!("{}{}", &token_for(window)[..1], &token_for(window - 10)[1..]);
    for query in [
        String::new(),
        format!("?t={}", token_for(window - 3)),
        format!("?t={tampered}"),
        format!("?t={foreign}"),
    ] {
        let response = app.get(&format!("/attend/{id}/{query}")).await;
        assert_eq!(response.status(), 400, "{query}");
        assert!(response.text().await.expect("html").contains("Scan the code on the screen again"));
    }
    // A static form token is not enough for a rotating session either.
    let static_token = attendance::web::attend::tokens::form_token(&signer, rotating.id, now, false);
    let attended = app.browser.submit_attendance(&id, &static_token, "Jane Doe", "ADM/2023/001").await;
    assert_eq!(attended.post_status, 400);
    assert!(app.firestore.rest().list_as_admin("attendance").await.is_empty());

    // The code on the screen right now works.
    let fresh = app.browser.attend_form_token(&id, &format!("?t={}", token_for(window))).await.expect("form");
    let attended = app.browser.submit_attendance(&id, &fresh, "Jane Doe", "ADM/2023/001").await;
    assert!(attended.html.contains("You are marked present"), "{}", attended.html);
}

#[tokio::test]
async fn projector_mode_serves_a_changing_code_to_the_owner_only() {
    let app = spawn_app().await;
    let rotating = session_with(&app, |s| s.qr_mode = QrMode::Rotating).await;
    let id = rotating.id.to_string();
    app.set_password("jkamau", "correct horse battery").await;
    app.browser.login("jkamau", "correct horse battery").await;
    let page = app.browser.text(&format!("/session/{id}/present/")).await;
    assert!(page.contains("<svg") && page.contains("data-present="), "{page}");
    let state: serde_json::Value =
        app.browser.get(&format!("/session/{id}/present.json")).await.json().await.expect("json");
    assert_eq!(state["rotating"], true);
    assert_eq!(state["count"], 0);
    assert!(state["seconds_left"].as_i64().is_some_and(|s| (1..=15).contains(&s)));
    app.add_lecturer("potieno", "correct horse battery").await;
    let other = app.new_browser();
    other.login("potieno", "correct horse battery").await;
    assert_eq!(other.get(&format!("/session/{id}/present/")).await.status(), 404);
    assert_eq!(other.get(&format!("/session/{id}/present.json")).await.status(), 404);
}

#[tokio::test]
async fn firestore_down_means_not_recorded_and_marks_resume_after_restart() {
    use attendance::emulator::Emulator;
    let rules = harness::emulator::repo_root().join("firestore.rules");
    let dir = std::env::temp_dir().join(format!("restart-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).expect("dir");
    let port = std::net::TcpListener::bind("127.0.0.1:0").expect("port").local_addr().expect("addr").port();
    let emulator = Emulator::start(Some(port), &rules, &dir.join("1.log")).await.expect("emulator");
    let firestore = harness::TestFirestore::on(emulator.host()).await;
    let settings = firestore.settings();
    let app = harness::spawn_app_on(firestore, settings).await;
    let session = open_session(&app).await;
    let id = session.id.to_string();
    assert!(app.new_browser().attend(&id, "Before", "ADM/1").await.html.contains("You are marked present"));

    let token = app.browser.attend_form_token(&id, "").await.expect("token");
    tokio::task::spawn_blocking(move || emulator.stop()).await.expect("stopped");
    let attended = app.browser.submit_attendance(&id, &token, "During", "ADM/2").await;
    assert_eq!(attended.post_status, 503);
    assert!(attended.html.contains("Not recorded yet"), "{}", attended.html);
    let status = app.get("/api/status/").await;
    assert_eq!(status.status(), 503);

    // The emulator comes back (empty: it keeps data in memory), on the same address.
    let _emulator = Emulator::start(Some(port), &rules, &dir.join("2.log")).await.expect("restart");
    let session = open_session(&app).await;
    let attended = app.new_browser().attend(&session.id.to_string(), "After", "ADM/3").await;
    assert!(attended.html.contains("You are marked present"), "{}", attended.html);
    assert_eq!(app.get("/api/status/").await.status(), 200);
}

#[tokio::test]
async fn typing_someone_elses_number_does_not_reveal_their_name_or_attendance() {
    let app = spawn_app().await;
    let session = open_session(&app).await;
    let id = session.id.to_string();
    assert_eq!(app.new_browser().attend(&id, "Jane Doe", "ADM/2023/001").await.status, 200);
    let nosy = app.new_browser().attend(&id, "Someone Else", "ADM/2023/001").await;
    assert!(nosy.html.contains("Already marked"), "{}", nosy.html);
    assert!(!nosy.html.contains("Jane Doe"), "the first mark's name stays private");
    assert!(!nosy.html.contains("8.33%"), "and so does the attendance");
    assert!(nosy.html.contains("speak to the lecturer"));
    // The same student checking again (any case) sees it all.
    let again = app.new_browser().attend(&id, "jane doe", "adm/2023/001").await;
    assert!(again.html.contains("Jane Doe") && again.html.contains("8.33%"), "{}", again.html);
}

#[tokio::test]
async fn correcting_a_typo_does_not_extend_a_rotating_scan() {
    let options = AppOptions::default();
    let signer = attendance::auth::tokens::Signer::new(options.secret_key.clone());
    let app = spawn_app_with(options).await;
    let rotating = session_with(&app, |s| s.qr_mode = QrMode::Rotating).await;
    let id = rotating.id.to_string();
    let window = attendance::web::attend::tokens::window(app.clock.now_secs(), 15);
    let qr = attendance::web::attend::tokens::qr_token(&signer, rotating.id, window);
    let token = app.browser.attend_form_token(&id, &format!("?t={qr}")).await.expect("form");
    let typo = app.browser.submit_attendance(&id, &token, "Jane Doe", "").await;
    assert_eq!(typo.post_status, 400);
    assert_eq!(
        harness::input_value(&typo.html, "form_token").as_deref(),
        Some(token.as_str()),
        "the same token, not a new one"
    );
    let fixed = app.browser.submit_attendance(&id, &token, "Jane Doe", "ADM/2023/001").await;
    assert!(fixed.html.contains("You are marked present"), "{}", fixed.html);
}
