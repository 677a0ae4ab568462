//! No personal data in URLs: the receipt after a mark is opaque.

use base64::Engine;
use harness::spawn_app;

use super::lecturer_with_session;

#[tokio::test]
async fn the_result_url_carries_no_name_number_or_count() {
    let app = spawn_app().await;
    let session = lecturer_with_session(&app, "jkamau").await.id.to_string();
    let phone = app.new_browser();
    let token = phone.attend_form_token(&session, "").await.expect("form");
    let response = phone
        .post_form(
            &format!("/attend/{session}/"),
            &[("student_name", "Jane Wanjiru"), ("admission_number", "ADM/2023/001"), ("form_token", &token)],
        )
        .await;
    assert_eq!(response.status(), 303);
    let location = response.headers()["location"].to_str().expect("ascii").to_owned();
    let receipt = location.split("r=").nth(1).expect("receipt");
    let sealed = receipt.split('.').next().unwrap_or(receipt);
    let decoded = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(sealed).expect("a receipt decodes");
    let decoded = String::from_utf8_lossy(&decoded);
    for secret in ["Jane", "Wanjiru", "ADM", "2023", "marked", "attended"] {
        assert!(!location.contains(secret) && !decoded.contains(secret), "{secret} leaks: {location}");
    }
    // The page behind it still shows the student their result.
    let page = phone.text(&location).await;
    assert!(page.contains("Jane Wanjiru") && page.contains("8.33"), "{page}");
    // An edited receipt is not trusted: back to the form. One character in the middle of the
    // sealed value, same length: it decodes, so only the seal's authentication refuses it.
    let at = location.len() - receipt.len() + sealed.len() / 2;
    let flipped = if location.as_bytes()[at] == b'A' { "B" } else { "A" };
    let edited = format!("{}{flipped}{}", &location[..at], &location[at + 1..]);
    let edited_receipt = edited.split("r=").nth(1).expect("receipt");
    let edited_sealed = edited_receipt.split('.').next().unwrap_or(edited_receipt);
    assert!(base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(edited_sealed).is_ok());
    assert_eq!(phone.get(&edited).await.status(), 303);
}

#[tokio::test]
async fn someone_else_typing_a_number_learns_only_that_it_is_marked() {
    let app = spawn_app().await;
    let session = lecturer_with_session(&app, "jkamau").await.id.to_string();
    app.new_browser().attend(&session, "Jane Wanjiru", "ADM/2023/001").await;
    let other = app.new_browser().attend(&session, "Mallory Proxy", "ADM/2023/001").await;
    assert!(other.html.contains("is already marked in this session"), "{}", other.html);
    for secret in ["Jane", " at ", "late", "8.33", "removed"] {
        assert!(!other.html.contains(secret), "{secret} leaks: {}", other.html);
    }
    // After the lecturer removed the mark, a stranger still learns nothing more.
    let removed = app
        .browser
        .post_with_csrf(
            &format!("/session/{session}/marks/"),
            &[("admission_number", "ADM/2023/001"), ("status", "removed"), ("reason", "proxy")],
        )
        .await;
    assert_eq!(removed.status(), 303);
    let after = app.new_browser().attend(&session, "Mallory Proxy", "ADM/2023/001").await;
    assert!(after.html.contains("is already marked") && !after.html.contains("removed"), "{}", after.html);
}

#[tokio::test]
async fn a_form_posted_from_another_site_records_nothing() {
    let app = spawn_app().await;
    let session = lecturer_with_session(&app, "jkamau").await.id.to_string();
    let phone = app.new_browser();
    let token = phone.attend_form_token(&session, "").await.expect("form");
    let form = [
        ("student_name", "Jane Wanjiru"),
        ("admission_number", "ADM/2023/001"),
        ("form_token", token.as_str()),
    ];
    let evil = "https://evil.example";
    let refused: [&[(&str, &str)]; 6] = [
        &[("origin", evil)],
        &[("sec-fetch-site", "cross-site"), ("origin", evil)],
        // A sibling subdomain is not this site either.
        &[("sec-fetch-site", "same-site")],
        // A sandboxed frame or a data: page, in a browser without Fetch Metadata.
        &[("origin", "null")],
        // A browser that says nothing at all.
        &[],
        // Fetch Metadata says cross-site, whatever Origin claims.
        &[("sec-fetch-site", "cross-site"), ("origin", app.address.as_str())],
    ];
    for headers in refused {
        let mut request = phone.client.post(phone.url(&format!("/attend/{session}/")));
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let response = request.form(&form).send().await.expect("answer");
        assert_eq!(response.status(), 403, "{headers:?}");
        assert!(response.headers().get("set-cookie").is_none(), "no device cookie planted: {headers:?}");
    }
    assert!(app.firestore.rest().list_as_admin("attendance").await.is_empty());
    // The same form from this site works: said by Fetch Metadata, or by Origin alone.
    let by_origin_alone = phone
        .client
        .post(phone.url(&format!("/attend/{session}/")))
        .header("origin", app.address.as_str())
        .form(&form)
        .send()
        .await
        .expect("answer");
    assert_eq!(by_origin_alone.status(), 303);
    let second_phone = app.new_browser();
    let token = second_phone.attend_form_token(&session, "").await.expect("form");
    let same = second_phone
        .client
        .post(second_phone.url(&format!("/attend/{session}/")))
        .header("sec-fetch-site", "same-origin")
        .form(&[
            ("student_name", "John Otieno"),
            ("admission_number", "ADM/2023/002"),
            ("form_token", token.as_str()),
        ])
        .send()
        .await
        .expect("answer");
    assert_eq!(same.status(), 303);
}
