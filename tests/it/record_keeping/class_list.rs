//! Importing a class list (preview, then confirm; nothing half-imported), absentees against it,
//! "not on the list" with its one-click add, and the exports.

use attendance::domain::UnitCode;
use harness::{TestApp, spawn_app};

use super::{correct, lecture, page};

fn list_path(query: &str) -> String {
    format!("/unit/CS101/class-list/{query}?year=2025/2026&semester=1")
}

/// Uploads `csv` and returns (status, preview page).
async fn preview(app: &TestApp, csv: &str) -> (u16, String) {
    let response = app.browser.upload(&list_path("preview/"), "class.csv", csv.as_bytes().to_vec()).await;
    (response.status().as_u16(), response.text().await.expect("html"))
}

/// Confirms the preview on `html` as its form would: the upload's id and the digest, never
/// the file.
async fn confirm(app: &TestApp, html: &str) -> reqwest::Response {
    let digest = harness::input_value(html, "digest").expect("a confirm form");
    let upload = harness::input_value(html, "upload").expect("the upload's id");
    app.browser.post_with_csrf(&list_path("import/"), &[("upload", &upload), ("digest", &digest)]).await
}

async fn listed(app: &TestApp) -> usize {
    let code = UnitCode::parse("CS101").expect("code");
    app.firestore.store.class_list(&code, crate::fixtures::term()).await.expect("list").0.len()
}

#[tokio::test]
async fn a_class_list_is_previewed_then_imported_and_absentees_appear() {
    let app = spawn_app().await;
    let session = lecture(&app).await;
    let csv = "\u{FEFF}admission_number;name;email\nADM/1;Jane Doe;jane@uni.ac.ke\nADM/2;\"Roe; John\";\nADM/3;Amina Hassan;\n";
    let (status, html) = preview(&app, csv).await;
    assert_eq!(status, 200, "{html}");
    assert!(html.contains("3 to add · 0 to update · 0 already listed · 0 rejected"), "{html}");
    assert_eq!(listed(&app).await, 0, "a preview writes nothing");
    let saved = confirm(&app, &html).await;
    assert_eq!(saved.status(), 303);
    assert!(app.browser.text(&list_path("")).await.contains("Class list saved: 3 added, 0 updated."));
    assert_eq!(listed(&app).await, 3);

    // The session page counts against it and lists the absentees.
    app.new_browser().attend(&session.id.to_string(), "Jane Doe", "ADM/1").await;
    app.new_browser().attend(&session.id.to_string(), "Visitor Person", "ADM/9").await;
    let html = page(&app, &session).await;
    assert!(html.contains(">2</span> of 3 <span class=\"live-label\">present"), "{html}");
    assert!(
        html.contains("Absent (<span id=\"absent-count\">2</span>)")
            && html.contains("Amina Hassan")
            && html.contains("Roe; John"),
        "{html}"
    );
    assert!(html.contains("Not on the list"), "{html}");
    let search = app.browser.text(&format!("/session/{}/?q=amina", session.id)).await;
    assert!(
        search.contains("Amina Hassan")
            && !search.contains("Roe; John")
            && !search.contains("Visitor Person")
    );

    // The CSV has every student, absentees as `absent`.
    let csv = app.browser.text(&format!("/session/{}/export.csv", session.id)).await;
    assert!(csv.contains("Jane Doe,ADM/1") && csv.contains(",present,yes"), "{csv}");
    assert!(
        csv.contains("Amina Hassan,ADM/3,,absent,yes")
            && csv.contains("Visitor Person,ADM/9")
            && csv.contains(",no"),
        "{csv}"
    );

    // One click adds the visitor; marking an absentee from the absent list works too.
    let added = app
        .browser
        .post_with_csrf(&format!("/session/{}/enrol/", session.id), &[("admission_number", "ADM/9")])
        .await;
    assert_eq!(added.status(), 303);
    assert_eq!(listed(&app).await, 4);
    let (status, html) =
        correct(&app, &session, &[("admission_number", "ADM/3"), ("status", "excused")]).await;
    assert_eq!(status, 303);
    assert!(
        html.contains("Absent (<span id=\"absent-count\">1</span>)")
            && html.contains("ADM/3: No mark → Excused."),
        "{html}"
    );

    // The list exports in the format the import reads.
    let export = app.browser.text("/unit/CS101/class-list.csv?year=2025/2026&semester=1").await;
    assert!(export.starts_with("\u{FEFF}admission_number,name,email\r\n"), "{export}");
    assert!(export.contains("ADM/2,Roe; John,") && export.contains("ADM/9,Visitor Person,"), "{export}");
}

#[tokio::test]
async fn a_file_with_a_broken_row_or_a_duplicate_imports_nothing() {
    let app = spawn_app().await;
    lecture(&app).await;
    let csv = "admission_number,name\nADM/1,Jane Doe\nADM 2,John Roe\nADM/3,\nadm/1,Jane Again\n";
    let (status, html) = preview(&app, csv).await;
    assert_eq!(status, 400);
    assert!(html.contains("Nothing was imported"), "{html}");
    assert!(html.contains("Admission number may contain only"), "line 3: {html}");
    assert!(html.contains("Full name is required"), "line 4: {html}");
    assert!(html.contains("ADM/1 is already on line 2 of this file."), "line 5: {html}");
    assert!(!html.contains("name=\"digest\""), "no confirm button");
    assert_eq!(listed(&app).await, 0);
    // Forcing the import of that text anyway re-checks it and still writes nothing.
    let forced = app
        .browser
        .post_with_csrf(&list_path("import/"), &[("upload", "0".repeat(32).as_str()), ("digest", "x")])
        .await;
    assert_eq!(forced.status(), 400);
    assert_eq!(listed(&app).await, 0);

    for (file, message) in [
        ("number,student\nADM/1,Jane\n", "must name the columns admission_number and name"),
        ("", "Choose a CSV file"),
    ] {
        let (status, html) = preview(&app, file).await;
        assert_eq!(status, 400);
        assert!(html.contains(message), "{message}: {html}");
    }
    let latin1 = app
        .browser
        .upload(&list_path("preview/"), "c.csv", b"admission_number,name\nADM/1,Ren\xe9\n".to_vec())
        .await;
    assert_eq!(latin1.status(), 400);
    assert!(latin1.text().await.expect("html").contains("not UTF-8"));
}

#[tokio::test]
async fn a_second_import_updates_and_a_list_changed_meanwhile_is_previewed_again() {
    let app = spawn_app().await;
    let session = lecture(&app).await;
    let (_, html) = preview(&app, "admission_number,name\nADM/1,Jane Doe\nADM/2,John Roe\n").await;
    confirm(&app, &html).await;
    let (status, html) = preview(&app, "admission_number,name,email\nADM/1,Jane Doe\nADM/2,John Roe Mwangi,jr@uni.ac.ke\nADM/3,Amina Hassan\n").await;
    assert_eq!(status, 200);
    assert!(html.contains("1 to add · 1 to update · 1 already listed · 0 rejected"), "{html}");
    // Meanwhile a student is added from a session page: the confirmation previews again.
    app.new_browser().attend(&session.id.to_string(), "Zed Visitor", "ADM/8").await;
    app.browser
        .post_with_csrf(&format!("/session/{}/enrol/", session.id), &[("admission_number", "ADM/8")])
        .await;
    let stale = confirm(&app, &html).await;
    assert_eq!(stale.status(), 409, "a fresh preview, not a write");
    let fresh = stale.text().await.expect("html");
    assert!(fresh.contains("1 to add · 1 to update · 1 already listed"), "{fresh}");
    assert!(fresh.contains("The class list changed since this preview"), "{fresh}");
    assert_eq!(listed(&app).await, 3);
    assert_eq!(confirm(&app, &fresh).await.status(), 303);
    assert_eq!(listed(&app).await, 4, "ADM/8 kept");
    // Another lecturer cannot see or change it.
    app.add_lecturer("potieno", "correct horse battery").await;
    let other = app.new_browser();
    other.login("potieno", "correct horse battery").await;
    assert_eq!(other.get(&list_path("")).await.status(), 404);
    assert_eq!(
        other
            .upload(&list_path("preview/"), "c.csv", b"admission_number,name\nADM/5,X Y\n".to_vec())
            .await
            .status(),
        404
    );
}

#[tokio::test]
async fn a_confirmation_sent_twice_at_once_imports_once_and_both_get_its_answer() {
    let app = spawn_app().await;
    lecture(&app).await;
    let (_, html) = preview(&app, "admission_number,name\nADM/1,Jane Doe\nADM/2,John Roe\n").await;
    let (first, second) = tokio::join!(confirm(&app, &html), confirm(&app, &html));
    for response in [&first, &second] {
        assert_eq!(response.status(), 303);
        assert_eq!(response.headers()["location"], first.headers()["location"]);
    }
    assert_eq!(listed(&app).await, 2);
    // Later again (a reload of the confirmation): the same answer, nothing more written.
    let again = confirm(&app, &html).await;
    assert_eq!(again.status(), 303);
    assert!(app.browser.text(&list_path("")).await.contains("Class list saved: 2 added, 0 updated."));
}

#[tokio::test]
async fn two_files_confirmed_at_once_against_one_list_save_one_and_preview_the_other_again() {
    let app = spawn_app().await;
    lecture(&app).await;
    let (_, one) = preview(&app, "admission_number,name\nADM/1,Jane Doe\n").await;
    let (_, two) = preview(&app, "admission_number,name\nADM/2,John Roe\n").await;
    let (a, b) = tokio::join!(confirm(&app, &one), confirm(&app, &two));
    let mut statuses = [a.status().as_u16(), b.status().as_u16()];
    statuses.sort_unstable();
    assert_eq!(statuses, [303, 409], "one saved, the other previewed against the new list");
    assert_eq!(listed(&app).await, 1);
    let again = if a.status() == 409 { a } else { b };
    let fresh = again.text().await.expect("html");
    assert_eq!(confirm(&app, &fresh).await.status(), 303);
    assert_eq!(listed(&app).await, 2, "nothing lost");
}

/// A file of `n` students with long names and e-mails.
fn long_file(n: usize) -> String {
    let mut csv = String::from("admission_number,name,email\n");
    for i in 0..n {
        csv.push_str(&format!(
            "SCT/211-{i:05}/2026,Wanjiru Kamau Achieng Otieno Student Number {i},student.number.{i}@students.university.ac.ke\n"
        ));
    }
    csv
}

#[tokio::test]
async fn ten_thousand_students_with_long_names_import_and_the_preview_shows_counts_not_every_row() {
    let app = spawn_app().await;
    let session = lecture(&app).await;
    let csv = long_file(10_000);
    assert!(csv.len() > 1_000_000, "{} bytes: far past one document", csv.len());
    let (status, html) = preview(&app, &csv).await;
    assert_eq!(status, 200);
    assert!(html.contains("10000 to add · 0 to update · 0 already listed · 0 rejected"), "{}", &html[..2000]);
    assert!(html.contains("…and 9900 more to add."));
    assert!(!html.contains("SCT/211-09999/2026"), "the file is not echoed back");
    assert!(html.len() < 200_000, "{} bytes of preview", html.len());
    let saved = confirm(&app, &html).await;
    assert_eq!(saved.status(), 303);
    assert_eq!(listed(&app).await, 10_000);
    // A second file adds to it: the list passes 10,000 and still saves.
    let more: String = std::iter::once("admission_number,name\n".to_owned())
        .chain((0..500).map(|i| format!("EXT/{i:04},Extra Student {i}\n")))
        .collect();
    let (_, html) = preview(&app, &more).await;
    assert_eq!(confirm(&app, &html).await.status(), 303);
    assert_eq!(listed(&app).await, 10_500);
    // And "Add to class list" from a session page still saves it.
    app.new_browser()
        .attend(&session.id.to_string(), "Visiting Student With A Long Name", "VIS/2026/0001")
        .await;
    let added = app
        .browser
        .post_with_csrf(&format!("/session/{}/enrol/", session.id), &[("admission_number", "VIS/2026/0001")])
        .await;
    assert_eq!(added.status(), 303);
    assert_eq!(listed(&app).await, 10_501);
}

#[tokio::test]
async fn a_file_too_large_or_too_long_is_a_clear_400_and_rejects_show_the_first_rows_and_a_count() {
    let app = spawn_app().await;
    lecture(&app).await;
    let mut tiny = String::from("admission_number,name\n");
    while tiny.len() < 1_900_000 {
        tiny.push_str("x,y\n");
    }
    let (status, html) = preview(&app, &tiny).await;
    assert_eq!(status, 400);
    assert!(html.contains("more than 10000 rows"), "{}", &html[..html.len().min(3000)]);
    let huge = "a".repeat(2 * 1024 * 1024 + 10);
    let response = app.browser.upload(&list_path("preview/"), "big.csv", huge.into_bytes()).await;
    let status = response.status().as_u16();
    assert!(matches!(status, 400 | 413), "{status}");
    assert!(response.text().await.expect("html").contains("2 MB"), "says why");
    // Five thousand broken rows: the count, the first twenty, nothing kept to import.
    let mut broken = String::from("admission_number,name\n");
    for i in 0..5_000 {
        broken.push_str(&format!("BAD {i},Student\n"));
    }
    let (status, html) = preview(&app, &broken).await;
    assert_eq!(status, 400);
    assert!(html.contains("0 to add · 0 to update · 0 already listed · 5000 rejected"), "{}", &html[..3000]);
    assert!(html.contains("…and 4980 more rejected rows."));
    assert!(!html.contains("BAD 4999"), "not every row");
    assert_eq!(listed(&app).await, 0);
}

#[tokio::test]
async fn a_preview_is_its_lecturers_for_an_hour() {
    let app = spawn_app().await;
    lecture(&app).await;
    let (_, html) = preview(&app, "admission_number,name\nADM/1,Jane Doe\n").await;
    let upload = harness::input_value(&html, "upload").expect("upload");
    let digest = harness::input_value(&html, "digest").expect("digest");
    // Another lecturer with the same unit code cannot confirm it (the unit is not theirs:
    // 404), and the owner's own confirmation an hour later finds it expired.
    app.clock.advance(jiff::SignedDuration::from_mins(61));
    app.log_in_again().await;
    let late =
        app.browser.post_with_csrf(&list_path("import/"), &[("upload", &upload), ("digest", &digest)]).await;
    assert_eq!(late.status(), 400);
    assert!(late.text().await.expect("html").contains("This preview has expired"));
    assert_eq!(listed(&app).await, 0);
}
