//! The unit page: students at risk against the lectures held, the per-student page with its
//! history, a paged matrix, editing and archiving; the dashboard's settled counts.

use harness::spawn_app;
use jiff::SignedDuration;

use super::{correct, lecture};

const TERM: &str = "?year=2025/2026&semester=1";

#[tokio::test]
async fn students_under_the_threshold_are_at_risk_and_each_has_a_page() {
    let app = spawn_app().await;
    let first = lecture(&app).await; // 10:00
    let second = crate::hardening::new_lecture(&app, "jkamau", 12).await;
    let third = crate::hardening::new_lecture(&app, "jkamau", 14).await;
    for (session, who) in
        [(&first, vec!["ADM/1", "ADM/2"]), (&second, vec!["ADM/1"]), (&third, vec!["ADM/1"])]
    {
        app.at_start_of(session);
        for adm in who {
            app.new_browser().attend(&session.id.to_string(), &format!("Student {adm}"), adm).await;
        }
    }
    // ADM/2 was ill for the second lecture: excused counts as attended.
    app.at_start_of(&third);
    app.log_in_again().await;
    correct(
        &app,
        &second,
        &[("admission_number", "ADM/2"), ("status", "excused"), ("reason", "medical note")],
    )
    .await;
    // A cancelled lecture is out of "held".
    let cancelled = crate::hardening::new_lecture(&app, "jkamau", 16).await;
    app.log_in_again().await;
    app.browser.post_with_csrf(&format!("/session/{}/cancel/", cancelled.id), &[("cancelled", "1")]).await;
    app.clock.set(app.local(third.date.at(18, 0, 0, 0)));
    app.log_in_again().await;

    let page = app.browser.text(&format!("/unit/CS101/{TERM}")).await;
    assert!(page.contains("Students at risk (1)"), "{page}");
    assert!(page.contains("Under 75% of the 3 lectures held"), "{page}");
    assert!(page.contains("2 of 3") && page.contains("66.67%"), "ADM/2 at 2 of 3: {page}");
    let csv = app.browser.text(&format!("/unit/CS101/at-risk.csv{TERM}")).await;
    assert!(csv.contains("ADM/2,Student ADM/2,2,3,66.67,75"), "{csv}");
    assert!(!csv.contains("ADM/1"), "{csv}");

    // The student's page: each lecture with its status and history.
    let student = app.browser.text(&format!("/unit/CS101/student/ADM%2F2/{TERM}")).await;
    assert!(student.contains("2 of 3 lectures held · 66.67%") && student.contains("At risk"), "{student}");
    assert!(
        student.contains("Absent (no mark)") && student.contains("Excused") && student.contains("Cancelled"),
        "{student}"
    );
    assert!(student.contains("No mark → Excused by jkamau: “medical note”"), "{student}");

    // A lower threshold takes the student off the list.
    let edit = [("name", "Programming I"), ("description", "First year"), ("risk_threshold", "60")];
    assert_eq!(app.browser.post_with_csrf("/unit/CS101/edit/", &edit).await.status(), 303);
    let page = app.browser.text(&format!("/unit/CS101/{TERM}")).await;
    assert!(page.contains("Students at risk (0)") && page.contains("Programming I"), "{page}");
    let bad = app.browser.post_with_csrf("/unit/CS101/edit/", &[("name", ""), ("risk_threshold", "0")]).await;
    assert_eq!(bad.status(), 400);
    let html = bad.text().await.expect("html");
    assert!(html.contains("Unit name is required") && html.contains("from 1 to 100"), "{html}");
    assert_eq!(
        app.new_browser().get(&format!("/unit/CS101/student/ADM%2F2/{TERM}")).await.status(),
        303,
        "to the login page"
    );
}

#[tokio::test]
async fn an_archived_unit_leaves_the_dashboard_and_the_form_but_keeps_its_pages() {
    let app = spawn_app().await;
    lecture(&app).await;
    assert!(app.browser.text("/session/create/").await.contains("value=\"CS101\""));
    assert_eq!(app.browser.post_with_csrf("/unit/CS101/archive/", &[("archived", "1")]).await.status(), 303);
    let dashboard = app.browser.text("/dashboard/").await;
    assert!(!dashboard.contains("/unit/CS101/\""), "{dashboard}");
    assert!(!app.browser.text("/session/create/").await.contains("value=\"CS101\""));
    let page = app.browser.text("/unit/CS101/").await;
    assert!(page.contains("Archived") && page.contains("Bring back"), "{page}");
    app.browser.post_with_csrf("/unit/CS101/archive/", &[("archived", "0")]).await;
    assert!(app.browser.text("/dashboard/").await.contains("/unit/CS101/"));
    assert_eq!(app.browser.post_with_csrf("/unit/CS101/archive/", &[("archived", "x")]).await.status(), 400);
}

#[tokio::test]
async fn a_large_unit_pages_its_matrix() {
    let app = spawn_app().await;
    let session = lecture(&app).await;
    let store = &app.firestore.store;
    for i in 0..130 {
        store
            .mark_attendance(&session, &crate::fixtures::mark(&format!("ADM/{i:03}"), "Some Student"))
            .await
            .expect("mark");
    }
    let first = app.browser.text(&format!("/unit/CS101/{TERM}")).await;
    assert!(
        first.contains("Students × lectures (130)")
            && first.contains("ADM/099")
            && !first.contains("ADM/100")
    );
    let second = app.browser.text(&format!("/unit/CS101/{TERM}&page=2")).await;
    assert!(second.contains("ADM/129") && !second.contains(">ADM/099<"), "page 2");
    assert!(second.contains("aria-current=\"page\" class=\"current\">2</a>"), "{second}");
}

#[tokio::test]
async fn a_closed_sessions_count_is_settled_once_and_a_correction_unsettles_it() {
    let app = spawn_app().await;
    let session = lecture(&app).await;
    for adm in ["ADM/1", "ADM/2", "ADM/3"] {
        app.new_browser().attend(&session.id.to_string(), "Some Student", adm).await;
    }
    correct(&app, &session, &[("admission_number", "ADM/3"), ("status", "absent")]).await;
    let stored = |app: &harness::TestApp| {
        let rest = app.firestore.rest();
        let path = format!("sessions/{}", session.id);
        async move { rest.get_as_admin(&path).await.expect("session")["fields"]["attended_count"].clone() }
    };
    // Open: counted live, nothing stored.
    assert!(app.browser.text("/dashboard/").await.contains("<td class=\"num\">2</td>"));
    assert!(stored(&app).await.get("integerValue").is_none());
    // Over (window closed two minutes ago and more): counted once and stored.
    app.clock.set(app.local(session.date.at(11, 5, 0, 0)));
    assert!(app.browser.text("/dashboard/").await.contains("<td class=\"num\">2</td>"));
    assert_eq!(stored(&app).await["integerValue"], "2");
    // A correction clears it; the next dashboard counts and stores again.
    correct(&app, &session, &[("admission_number", "ADM/3"), ("status", "present")]).await;
    assert!(stored(&app).await.get("integerValue").is_none());
    app.clock.advance(SignedDuration::from_mins(1));
    assert!(app.browser.text("/dashboard/").await.contains("<td class=\"num\">3</td>"));
    assert_eq!(stored(&app).await["integerValue"], "3");
}
