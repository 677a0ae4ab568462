//! Units: the form, the AJAX endpoint's JSON contract, the unit page and its CSV.

use harness::spawn_app;

use crate::fixtures::{mark, new_session};

#[tokio::test]
async fn a_unit_created_through_the_form_appears_on_the_dashboard() {
    let app = spawn_app().await;
    let browser = app.logged_in("jkamau").await;
    let response = browser
        .post_with_csrf(
            "/unit/create/",
            &[("code", " cs101 "), ("name", "Intro to Programming"), ("description", "Basics")],
        )
        .await;
    assert_eq!(response.status(), 303);
    assert_eq!(response.headers()["location"], "/unit/CS101/");
    let unit_page = browser.text("/unit/CS101/").await;
    assert!(unit_page.contains("Unit CS101 created."), "flash shown once");
    assert!(!browser.text("/unit/CS101/").await.contains("Unit CS101 created."), "and only once");
    let dashboard = browser.text("/dashboard/").await;
    assert!(dashboard.contains("href=\"/unit/CS101/\"") && dashboard.contains("Intro to Programming"));
}

#[tokio::test]
async fn the_unit_form_explains_every_invalid_field() {
    let app = spawn_app().await;
    let browser = app.logged_in("jkamau").await;
    let long_name = "n".repeat(151);
    type Case<'a> = (&'a [(&'a str, &'a str)], &'a str, &'a str);
    let cases: &[Case] = &[
        (&[("code", ""), ("name", "Intro")], "unit-code-error", "Unit code is required."),
        (&[("code", "CS/101"), ("name", "Intro")], "unit-code-error", "may contain only letters"),
        (&[("code", "1CS"), ("name", "Intro")], "unit-code-error", "must start with a letter"),
        (&[("code", "CS101"), ("name", "")], "unit-name-error", "Unit name is required."),
        (&[("code", "CS101"), ("name", &long_name)], "unit-name-error", "at most 150"),
        (
            &[("code", "CS101"), ("name", "Intro"), ("description", "bad\u{0007}")],
            "unit-description-error",
            "control character",
        ),
    ];
    for (fields, error_id, message) in cases {
        let response = browser.post_with_csrf("/unit/create/", fields).await;
        assert_eq!(response.status(), 400, "{fields:?}");
        let html = response.text().await.expect("html");
        let at = html.find(&format!("id=\"{error_id}\"")).unwrap_or_else(|| panic!("{error_id} in {html}"));
        assert!(html[at..at + 300].contains(message), "{message} next to the field: {}", &html[at..at + 300]);
        assert!(html.contains("aria-invalid=\"true\""));
    }
    // What the lecturer typed is kept.
    let html = browser
        .post_with_csrf("/unit/create/", &[("code", "CS101"), ("name", "")])
        .await
        .text()
        .await
        .expect("html");
    assert!(html.contains("value=\"CS101\""));
    assert!(app.firestore.rest().list_as_admin("units").await.is_empty());
}

#[tokio::test]
async fn the_ajax_endpoint_answers_exactly_the_contracts_json() {
    let app = spawn_app().await;
    let browser = app.logged_in("jkamau").await;
    let token = browser.csrf_token().await;
    let post = |fields: Vec<(&'static str, String)>| {
        let browser = browser.clone();
        let token = token.clone();
        async move {
            browser
                .client
                .post(browser.url("/unit/create-ajax/"))
                .header("X-CSRFToken", token)
                .header("X-Requested-With", "XMLHttpRequest")
                .form(&fields)
                .send()
                .await
                .expect("answer")
        }
    };
    let created = post(vec![("code", "cs101".into()), ("name", "Intro".into())]).await;
    assert_eq!(created.status(), 201);
    let body: serde_json::Value = created.json().await.expect("json");
    assert_eq!(
        body,
        serde_json::json!({ "success": true, "unit": { "id": "CS101", "code": "CS101", "name": "Intro" } })
    );

    let duplicate = post(vec![("code", "CS101".into()), ("name", "Again".into())]).await;
    assert_eq!(duplicate.status(), 400);
    let body: serde_json::Value = duplicate.json().await.expect("json");
    assert_eq!(
        body,
        serde_json::json!({ "success": false, "errors": { "code": ["A unit with code CS101 already exists."] } })
    );

    let invalid = post(vec![("code", "".into()), ("name", "".into())]).await;
    assert_eq!(invalid.status(), 400);
    let body: serde_json::Value = invalid.json().await.expect("json");
    assert_eq!(body["success"], false);
    assert_eq!(body["errors"]["code"], serde_json::json!(["Unit code is required."]));
    assert_eq!(body["errors"]["name"], serde_json::json!(["Unit name is required."]));

    // The CSRF token is also accepted as a form field.
    let as_field = browser
        .post_form(
            "/unit/create-ajax/",
            &[("code", "MA201"), ("name", "Calculus"), ("csrfmiddlewaretoken", &token)],
        )
        .await;
    assert_eq!(as_field.status(), 201);
}

#[tokio::test]
async fn another_lecturers_unit_is_not_found() {
    let app = spawn_app().await;
    let owner = app.logged_in("jkamau").await;
    owner.post_with_csrf("/unit/create/", &[("code", "CS101"), ("name", "Intro")]).await;
    let other = app.new_browser();
    app.add_lecturer("potieno", "correct horse battery").await;
    other.login("potieno", "correct horse battery").await;
    for path in ["/unit/CS101/", "/unit/CS101/export.csv", "/unit/NOPE1/", "/unit/..%2F/", "/unit/%00/"] {
        assert_eq!(other.get(path).await.status(), 404, "{path}");
    }
    assert_eq!(owner.get("/unit/CS101/").await.status(), 200);
}

#[tokio::test]
async fn the_unit_page_shows_the_chart_matrix_and_percentages_and_exports_them() {
    let app = spawn_app().await;
    let browser = app.logged_in("jkamau").await;
    browser.post_with_csrf("/unit/create/", &[("code", "CS101"), ("name", "Intro")]).await;
    let store = &app.firestore.store;
    let monday = jiff::civil::date(2025, 9, 1);
    let first = store.create_session(&new_session("CS101", "jkamau", monday, 8)).await.expect("s1");
    let second = store.create_session(&new_session("CS101", "jkamau", monday, 10)).await.expect("s2");
    store.mark_attendance(&first, &mark("ADM/1", "Alice Wanjiru")).await.expect("mark");
    store.mark_attendance(&second, &mark("ADM/1", "Alice Wanjiru")).await.expect("mark");
    store.mark_attendance(&first, &mark("ADM/2", "=cmd|' /C calc'!A0")).await.expect("mark");

    let html = browser.text("/unit/CS101/?year=2025/2026&semester=1").await;
    assert!(html.contains("<svg class=\"chart\""), "chart");
    assert!(html.contains("Lec 1: 2, Lec 2: 1"), "chart summary for screen readers");
    assert!(html.contains("16.67%"), "Alice: 2 of 12");
    assert!(html.contains("100.00%"), "Alice: 2 of 2 held");
    assert!(html.contains("8.33%"), "the other student: 1 of 12");

    let csv = browser.get("/unit/CS101/export.csv?year=2025/2026&semester=1").await;
    assert_eq!(csv.status(), 200);
    assert_eq!(csv.headers()["content-type"], "text/csv; charset=utf-8");
    assert!(
        csv.headers()["content-disposition"]
            .to_str()
            .expect("ascii")
            .contains("CS101_2025-2026_S1_attendance.csv")
    );
    let text = csv.text().await.expect("csv");
    let lines: Vec<&str> = text.trim_start_matches('\u{FEFF}').lines().collect();
    assert_eq!(
        lines[0],
        "Admission number,Name,S1 Lec 1 (2025-09-01),S1 Lec 2 (2025-09-01),Attended,% of 12,% of held"
    );
    assert_eq!(lines[1], "ADM/1,Alice Wanjiru,P,P,2,16.67,100.00");
    assert_eq!(lines[2], "ADM/2,'=cmd|' /C calc'!A0,P,,1,8.33,50.00", "formula defused");
    // The default term is the one of the unit's latest session.
    assert!(browser.text("/unit/CS101/").await.contains("16.67%"));
}
