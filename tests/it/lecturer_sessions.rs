//! Sessions: the create form and its refusals, the detail page, open/close, QR downloads,
//! CSV export, the live JSON, and ownership.

use harness::{Browser, TestApp, spawn_app};

use crate::fixtures::mark;

async fn with_unit(app: &TestApp) -> &Browser {
    let browser = app.logged_in("jkamau").await;
    let response = browser.post_with_csrf("/unit/create/", &[("code", "CS101"), ("name", "Intro")]).await;
    assert_eq!(response.status(), 303);
    browser
}

fn form<'a>(overrides: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let mut fields = vec![
        ("unit", "CS101"),
        ("semester", "1"),
        ("date", "2025-09-01"),
        ("start_time", "08:00"),
        ("end_time", "10:00"),
        ("venue", "LT 2"),
        ("lecturer_name", "Dr. Jane Kamau"),
        ("class_year", "2"),
    ];
    for (key, value) in overrides {
        fields.retain(|(k, _)| k != key);
        fields.push((key, value));
    }
    fields
}

/// Creates a session through the form and returns its id.
async fn create(browser: &Browser, overrides: &[(&str, &str)]) -> String {
    let response = browser.post_with_csrf("/session/create/", &form(overrides)).await;
    assert_eq!(response.status(), 303, "{}", response.text().await.unwrap_or_default());
    let location = response.headers()["location"].to_str().expect("ascii").to_owned();
    location.trim_start_matches("/session/").trim_end_matches('/').to_owned()
}

#[tokio::test]
async fn a_session_is_created_numbered_and_shown_with_its_qr() {
    let app = spawn_app().await;
    let browser = with_unit(&app).await;
    let id = create(browser, &[]).await;
    let html = browser.text(&format!("/session/{id}/")).await;
    assert!(html.contains("Session created: CS101 S1 Lec 1."), "flash");
    assert!(html.contains("S1 Lec 1"));
    assert!(html.contains("Mon 1 Sep 2025, 08:00–10:00"));
    assert!(html.contains("LT 2"));
    assert!(html.contains("<svg xmlns=\"http://www.w3.org/2000/svg\""), "inline QR");
    assert!(html.contains(&short_link(&app, &id)), "the short link");
    let doc = app.firestore.rest().get_as_admin(&format!("sessions/{id}")).await.expect("stored");
    assert_eq!(doc["fields"]["academic_year"]["stringValue"], "2025/2026", "derived from the date");
    let second = create(browser, &[("start_time", "14:00"), ("end_time", "15:00")]).await;
    assert!(browser.text(&format!("/session/{second}/")).await.contains("S1 Lec 2"));
}

#[tokio::test]
async fn the_session_form_explains_every_invalid_field() {
    let app = spawn_app().await;
    let browser = with_unit(&app).await;
    let cases: &[(&str, &str, &str)] = &[
        ("unit", "", "Choose a unit."),
        ("unit", "MA999", "Choose one of your units."),
        ("semester", "3", "Semester must be 1 or 2."),
        ("date", "", "Date is required."),
        ("date", "01/09/2025", "Date must be a date such as 2025-09-01."),
        ("date", "2000-03-01", "Academic year must be between 2000/2001 and 2100/2101."),
        ("start_time", "", "Start time is required."),
        ("start_time", "25:00", "Start time must be a time such as 08:00."),
        ("end_time", "07:00", "End time must be after the start time."),
        ("end_time", "08:00:45", "End time must be after the start time."),
        ("venue", "", "Venue is required."),
        ("lecturer_name", "Dr.\u{202E}Evil", "invisible or control character"),
        ("class_year", "6", "Class year must be a whole number from 1 to 5."),
        ("academic_year", "2025-2027", "two consecutive years"),
        ("academic_year", "2024/2025", "is not in the academic year 2024/2025"),
        ("qr_mode", "blinking", "QR mode must be static or rotating."),
        ("late_after_minutes", "soon", "Late after must be a number of minutes"),
    ];
    for (field, value, message) in cases {
        let response = browser.post_with_csrf("/session/create/", &form(&[(field, value)])).await;
        assert_eq!(response.status(), 400, "{field}={value}");
        let html = response.text().await.expect("html");
        let error_id =
            if *field == "end_time" { "end_time-error".to_owned() } else { format!("{field}-error") };
        let at = html.find(&format!("id=\"{error_id}\"")).unwrap_or_else(|| panic!("{error_id}"));
        assert!(
            html[at..(at + 300).min(html.len())].contains(message),
            "{field}={value}: {}",
            &html[at..(at + 300).min(html.len())]
        );
    }
    assert!(app.firestore.rest().list_as_admin("sessions").await.is_empty());
}

#[tokio::test]
async fn the_fourteenth_session_and_a_time_clash_are_refused_on_the_form() {
    let app = spawn_app().await;
    let browser = with_unit(&app).await;
    let dates: Vec<String> = (1..=14).map(|d| format!("2025-09-{d:02}")).collect();
    for date in &dates[..13] {
        create(browser, &[("date", date)]).await;
    }
    let response = browser.post_with_csrf("/session/create/", &form(&[("date", &dates[13])])).await;
    assert_eq!(response.status(), 400);
    let html = response.text().await.expect("html");
    assert!(html.contains("CS101 already has 13 lectures in 2025/2026 semester 1"), "{html}");

    let response =
        browser.post_with_csrf("/session/create/", &form(&[("semester", "2"), ("date", "2025-09-01")])).await;
    assert_eq!(response.status(), 303, "semester 2 starts again");
    let clash =
        browser.post_with_csrf("/session/create/", &form(&[("semester", "2"), ("date", "2025-09-01")])).await;
    assert_eq!(clash.status(), 400);
    assert!(
        clash.text().await.expect("html").contains("CS101 already has a session on 2025-09-01 at 08:00.")
    );
}

#[tokio::test]
async fn toggling_closes_and_reopens_a_session() {
    let app = spawn_app().await;
    let browser = with_unit(&app).await;
    let id = create(browser, &[]).await;
    let path = format!("/session/{id}/toggle/");
    // The form always says what it wants, so a double click repeats it rather than flipping.
    for _ in 0..2 {
        let response = browser.post_with_csrf(&path, &[("active", "0")]).await;
        assert_eq!(response.status(), 303);
    }
    let html = browser.text(&format!("/session/{id}/")).await;
    assert!(html.contains("Session closed") && html.contains("Follow the window"), "{html}");
    let doc = app.firestore.rest().get_as_admin(&format!("sessions/{id}")).await.expect("stored");
    assert_eq!(doc["fields"]["is_active"]["booleanValue"], false);
    browser.post_with_csrf(&path, &[("active", "1")]).await;
    assert!(browser.text(&format!("/session/{id}/")).await.contains("Open until closed"));
    let doc = app.firestore.rest().get_as_admin(&format!("sessions/{id}")).await.expect("stored");
    assert_eq!(doc["fields"]["keep_open"]["booleanValue"], true);
    // The page's form names its intent: a double click on "Close session" stays closed.
    for _ in 0..2 {
        assert_eq!(browser.post_with_csrf(&path, &[("active", "0")]).await.status(), 303);
    }
    let doc = app.firestore.rest().get_as_admin(&format!("sessions/{id}")).await.expect("stored");
    assert_eq!(doc["fields"]["is_active"]["booleanValue"], false);
    assert_eq!(browser.post_with_csrf(&path, &[("active", "maybe")]).await.status(), 400);
}

#[tokio::test]
async fn the_original_toggle_without_an_intent_flips_open_and_closed() {
    let app = spawn_app().await;
    let browser = with_unit(&app).await;
    let id = create(browser, &[]).await;
    app.at_start_of_id(&id).await;
    let path = format!("/session/{id}/toggle/");
    let stored = |field: &'static str| {
        let app = &app;
        let id = id.clone();
        async move {
            let doc = app.firestore.rest().get_as_admin(&format!("sessions/{id}")).await.expect("stored");
            doc["fields"][field]["booleanValue"].as_bool().expect("a flag")
        }
    };
    // Open in its window: the bare form (the original system's, and old scripts') closes it...
    assert_eq!(browser.post_with_csrf(&path, &[]).await.status(), 303);
    assert!(!stored("is_active").await);
    assert!(browser.text(&format!("/session/{id}/")).await.contains("Session closed"));
    // ...and opens it again, whatever its window says.
    assert_eq!(browser.post_with_csrf(&path, &[]).await.status(), 303);
    assert!(stored("is_active").await && stored("keep_open").await);
    assert!(browser.text(&format!("/session/{id}/")).await.contains("Open until closed"));
    // After its window, closed by the clock: the bare form opens it.
    browser.post_with_csrf(&path, &[("active", "window")]).await;
    app.clock.advance(jiff::SignedDuration::from_hours(3));
    assert_eq!(browser.post_with_csrf(&path, &[]).await.status(), 303);
    assert!(browser.text(&format!("/session/{id}/")).await.contains("Open until closed"));
}

/// What the session's QR code carries: its short link, `HTTP://127.0.0.1:<port>/A/<id>`.
fn short_link(app: &TestApp, id: &str) -> String {
    let id = attendance::domain::SessionId::parse(id).expect("id");
    format!("{}/A/{}", app.address.to_ascii_uppercase(), attendance::web::attend::short::encode_id(id))
}

fn decode_qr(png_bytes: &[u8]) -> String {
    let decoder = png::Decoder::new(std::io::Cursor::new(png_bytes));
    let mut reader = decoder.read_info().expect("png header");
    let mut pixels = vec![0; reader.output_buffer_size().expect("size")];
    let info = reader.next_frame(&mut pixels).expect("png frame");
    let (width, height) = (info.width as usize, info.height as usize);
    let mut image = rqrr::PreparedImage::prepare_from_greyscale(width, height, |x, y| pixels[y * width + x]);
    let grids = image.detect_grids();
    assert_eq!(grids.len(), 1, "one QR code in the image");
    grids[0].decode().expect("decodes").1
}

#[tokio::test]
async fn the_downloaded_qr_decodes_to_the_attend_url() {
    let app = spawn_app().await;
    let browser = with_unit(&app).await;
    let id = create(browser, &[]).await;
    let response = browser.get(&format!("/session/{id}/download-qr/")).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "image/png");
    assert!(
        response.headers()["content-disposition"].to_str().expect("ascii").contains("CS101_S1_Lec1_qr.png")
    );
    let bytes = response.bytes().await.expect("png");
    assert_eq!(decode_qr(&bytes), short_link(&app, &id));

    let svg = browser.get(&format!("/session/{id}/download-qr/?format=svg")).await;
    assert_eq!(svg.headers()["content-type"], "image/svg+xml");
    assert!(svg.text().await.expect("svg").contains("<svg"));
    assert_eq!(browser.get(&format!("/session/{id}/download-qr/?format=gif")).await.status(), 400);
}

#[tokio::test]
async fn the_attendance_list_exports_as_csv_and_updates_as_json() {
    let app = spawn_app().await;
    let browser = with_unit(&app).await;
    let id = create(browser, &[]).await;
    let session = app
        .firestore
        .store
        .session(attendance::domain::SessionId::parse(&id).expect("id"))
        .await
        .expect("read")
        .expect("exists");
    for (adm, name) in [("ADM/2023/001", "Jane Doe"), ("ADM/2023/002", "O'Brien, \"Pat\"")] {
        app.firestore.store.mark_attendance(&session, &mark(adm, name)).await.expect("mark");
    }
    let changes: serde_json::Value =
        browser.get(&format!("/session/{id}/changes.json")).await.json().await.expect("json");
    let snapshot = &changes["events"][0]["data"];
    assert_eq!(snapshot["present"], 2, "{changes}");
    let rows = snapshot["rows_html"].as_str().expect("rows");
    let (newest, first) = (rows.find("ADM/2023/002").expect("2"), rows.find("ADM/2023/001").expect("1"));
    assert!(newest < first, "newest first");
    assert!(
        rows.contains("O&#x27;Brien, &quot;Pat&quot;") || rows.contains("O&#39;Brien"),
        "escaped: {rows}"
    );

    let html = browser.text(&format!("/session/{id}/")).await;
    assert!(
        html.contains("ADM/2023/001") && html.contains("O&#x27;Brien, &quot;Pat&quot;"),
        "escaped in the page"
    );

    let csv = browser.get(&format!("/session/{id}/export.csv")).await;
    assert_eq!(csv.status(), 200);
    let text = csv.text().await.expect("csv");
    let lines: Vec<&str> = text.trim_start_matches('\u{FEFF}').lines().collect();
    assert_eq!(lines[0], "Unit,Lecture,Date,Venue,Name,Admission number,Marked at,Status,On class list");
    assert!(lines[1].starts_with("CS101,S1 Lec 1,2025-09-01,LT 2,Jane Doe,ADM/2023/001,"), "{}", lines[1]);
    assert!(lines[2].contains("\"O'Brien, \"\"Pat\"\"\",ADM/2023/002"), "{}", lines[2]);
    assert!(lines[1].ends_with(",present,"), "no class list: the last column is empty");
}

#[tokio::test]
async fn another_lecturers_session_and_malformed_ids_are_not_found() {
    let app = spawn_app().await;
    let owner = with_unit(&app).await;
    let id = create(owner, &[]).await;
    app.add_lecturer("potieno", "correct horse battery").await;
    let other = app.new_browser();
    other.login("potieno", "correct horse battery").await;
    for suffix in ["", "events/", "changes.json", "download-qr/", "download-qr/?format=svg", "export.csv"] {
        let path = format!("/session/{id}/{suffix}");
        assert_eq!(other.get(&path).await.status(), 404, "{path}");
    }
    assert_eq!(other.post_with_csrf(&format!("/session/{id}/toggle/"), &[]).await.status(), 404);
    let doc = app.firestore.rest().get_as_admin(&format!("sessions/{id}")).await.expect("stored");
    assert_eq!(doc["fields"]["is_active"]["booleanValue"], true, "not toggled by the other lecturer");
    for bad in ["not-a-uuid", "%2e%2e%2f", "00000000-0000-0000-0000-000000000000", &"x".repeat(5000)] {
        assert_eq!(owner.get(&format!("/session/{bad}/")).await.status(), 404, "{bad}");
    }
}
