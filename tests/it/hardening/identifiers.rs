//! Admission numbers and names that are what they look like.

use harness::spawn_app;

use super::lecturer_with_session;

#[tokio::test]
async fn look_alike_admission_numbers_are_refused_with_what_is_allowed() {
    let app = spawn_app().await;
    let session = lecturer_with_session(&app, "jkamau").await.id.to_string();
    for typed in ["\u{0410}DM/2023/001", "ADM/2023/001\u{3164}", "ADM 2023 001"] {
        let attended = app.new_browser().attend(&session, "Jane Doe", typed).await;
        assert_eq!(attended.status, 400, "{typed:?}");
        assert!(attended.html.contains("A-Z, digits 0-9 and / - . _"), "{typed:?}");
        assert!(attended.html.contains("Jane Doe"), "what was typed is kept");
    }
    assert!(app.firestore.rest().list_as_admin("attendance").await.is_empty());
}

#[tokio::test]
async fn a_fullwidth_admission_number_is_the_same_student() {
    let app = spawn_app().await;
    let session = lecturer_with_session(&app, "jkamau").await.id.to_string();
    assert!(app.new_browser().attend(&session, "Jane Doe", "ADM/2023/001").await.html.contains("marked"));
    let again = app.new_browser().attend(&session, "Jane Doe", "ＡＤＭ／２０２３／００１").await;
    assert!(again.html.contains("already"), "{}", again.html);
    assert_eq!(app.firestore.rest().list_as_admin("attendance").await.len(), 1);
}

#[tokio::test]
async fn names_with_invisible_format_characters_are_refused() {
    let app = spawn_app().await;
    let session = lecturer_with_session(&app, "jkamau").await.id.to_string();
    for name in ["Ja\u{00AD}ne Doe", "Jane\u{061C} Doe", "Jane\u{E0041} Doe"] {
        let attended = app.new_browser().attend(&session, name, "ADM/2023/002").await;
        assert_eq!(attended.status, 400, "{name:?}");
        assert!(attended.html.contains("invisible or control character"), "{name:?}");
    }
}
