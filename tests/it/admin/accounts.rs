//! Creating and changing lecturer accounts on `/admin/`: the command line's validation, a 400
//! beside the field for bad input, disabling, the role, and the last administrator.

use harness::spawn_app;

use super::{followed, office};

fn account<'a>(overrides: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let mut fields = vec![
        ("username", "wnjeri"),
        ("full_name", "Dr. Wanjiru Njeri"),
        ("email", "wnjeri@uni.ac.ke"),
        ("staff_id", "STF/0099"),
        ("department", "Computing"),
        ("phone", ""),
        ("password", "temporary secret 1"),
    ];
    for (name, value) in overrides {
        fields.iter_mut().filter(|(n, _)| n == name).for_each(|f| f.1 = value);
    }
    fields
}

#[tokio::test]
async fn bad_input_is_a_400_beside_its_field_and_creates_nothing() {
    let app = spawn_app().await;
    app.add_lecturer("jkamau", "correct horse battery").await;
    let office = office(&app).await;
    for (overrides, field, message) in [
        (vec![("username", "jkamau")], "username", "The username jkamau is taken."),
        (vec![("username", "JKamau")], "username", "The username jkamau is taken."),
        (vec![("username", "1x")], "username", "sername"),
        (vec![("username", "new")], "username", "The username new is reserved"),
        (vec![("full_name", "")], "full_name", "required"),
        (vec![("email", "not-an-email")], "email", "mail"),
        (vec![("password", "short")], "password", "Password must be at least 10 characters"),
        (vec![("department", "")], "department", "required"),
    ] {
        let response = office.post_with_csrf("/admin/lecturers/new/", &account(&overrides)).await;
        assert_eq!(response.status(), 400, "{overrides:?}");
        let html = response.text().await.expect("html");
        let beside = format!("id=\"{field}-error\">");
        let at = html.find(&beside).unwrap_or_else(|| panic!("{field} error shown: {html}"));
        assert!(html[at..].split("</p>").next().expect("p").contains(message), "{overrides:?}: {html}");
        assert!(
            html.contains("value=\"Dr. Wanjiru Njeri\"") || field == "full_name",
            "the form comes back filled"
        );
        assert!(!html.contains("temporary secret 1"), "never the password");
    }
    // A staff id already taken (case and spacing do not matter) is refused too.
    let taken = app.firestore.rest().get_as_admin("lecturers/jkamau").await.expect("jkamau");
    let staff = taken["fields"]["staff_id"]["stringValue"].as_str().expect("staff id").to_lowercase();
    let response = office.post_with_csrf("/admin/lecturers/new/", &account(&[("staff_id", &staff)])).await;
    assert_eq!(response.status(), 400);
    assert!(response.text().await.expect("html").contains("already belongs to another lecturer"));
    assert!(office.text("/admin/").await.contains("2 of 2 accounts"), "nothing was created");
    assert!(!office.text("/admin/audit/").await.contains("wnjeri"), "nothing audited");
}

#[tokio::test]
async fn a_created_lecturer_must_choose_their_own_password_at_the_first_login() {
    let app = spawn_app().await;
    let office = office(&app).await;
    let created =
        office.post_with_csrf("/admin/lecturers/new/", &account(&[("phone", "+254 700 000 001")])).await;
    let page = followed(&office, created).await;
    assert!(
        page.contains("Created Dr. Wanjiru Njeri (wnjeri)") && page.contains("Temporary password"),
        "{page}"
    );
    // Repeating the form does not make a second account.
    let again = office.post_with_csrf("/admin/lecturers/new/", &account(&[])).await;
    assert_eq!(again.status(), 400);

    let new = app.new_browser();
    assert_eq!(new.login("wnjeri", "temporary secret 1").await.status(), 303);
    // Every page but the password form leads to it; scripts are told why.
    let dashboard = new.get("/dashboard/").await;
    assert_eq!(dashboard.status(), 303);
    assert_eq!(dashboard.headers()["location"], "/account/password/");
    let json = new.get_with("/dashboard/", &[("accept", "application/json")]).await;
    assert_eq!(json.status(), 403);
    assert!(json.text().await.expect("body").contains("password_change_required"));
    let form = new.text("/account/password/").await;
    assert!(form.contains("set by a department administrator"), "{form}");
    let token = harness::input_value(&form, "csrfmiddlewaretoken").expect("token");
    let fields = [
        ("current", "temporary secret 1"),
        ("new", "my very own secret"),
        ("again", "my very own secret"),
        ("csrfmiddlewaretoken", token.as_str()),
    ];
    assert_eq!(new.post_form("/account/password/", &fields).await.status(), 303);
    assert_eq!(new.get("/dashboard/").await.status(), 200, "this session goes on");
    assert!(!new.text("/account/password/").await.contains("set by a department administrator"));
    let later = app.new_browser();
    assert_eq!(later.login("wnjeri", "my very own secret").await.status(), 303);
    assert_eq!(later.get("/dashboard/").await.status(), 200, "no longer temporary");

    let list = office.text("/admin/").await;
    assert!(list.contains("Created the account") && list.contains("office"), "audited: {list}");
    assert!(!list.contains("badge-waiting\">Temporary password"), "{list}");
}

#[tokio::test]
async fn details_are_edited_accounts_disabled_and_the_last_administrator_stays() {
    let app = spawn_app().await;
    let lecturer = app.logged_in("jkamau").await;
    let office = office(&app).await;

    let bad = office
        .post_with_csrf(
            "/admin/lecturers/jkamau/",
            &[("full_name", "Dr. Jane Kamau"), ("email", "nope"), ("department", "Computing"), ("phone", "")],
        )
        .await;
    assert_eq!(bad.status(), 400);
    assert!(bad.text().await.expect("html").contains("id=\"email-error\">"));
    let edited = office
        .post_with_csrf(
            "/admin/lecturers/jkamau/",
            &[
                ("full_name", "Dr. Jane W. Kamau"),
                ("email", "jane.kamau@uni.ac.ke"),
                ("department", "Mathematics"),
                ("phone", ""),
            ],
        )
        .await;
    let page = followed(&office, edited).await;
    assert!(page.contains("Details saved") && page.contains("value=\"jane.kamau@uni.ac.ke\""), "{page}");
    let audit = office.text("/admin/audit/").await;
    assert!(audit.contains("Edited the account") && audit.contains("name, email, department"), "{audit}");

    // Disabled: the lecturer's session ends and the login is refused; enabled again, it works.
    let disabled = office.post_with_csrf("/admin/lecturers/jkamau/active/", &[("value", "false")]).await;
    assert!(followed(&office, disabled).await.contains("1 login session(s) ended"));
    assert_eq!(lecturer.get("/dashboard/").await.status(), 303, "logged out");
    assert_ne!(app.new_browser().login("jkamau", "correct horse battery").await.status(), 303);
    office.post_with_csrf("/admin/lecturers/jkamau/active/", &[("value", "true")]).await;
    assert_eq!(app.new_browser().login("jkamau", "correct horse battery").await.status(), 303);
    assert_eq!(
        office.post_with_csrf("/admin/lecturers/jkamau/active/", &[("value", "maybe")]).await.status(),
        400
    );

    // The last active administrator can neither disable nor demote themselves.
    for path in ["/admin/lecturers/office/active/", "/admin/lecturers/office/role/"] {
        let refused = office.post_with_csrf(path, &[("value", "false")]).await;
        assert_eq!(refused.status(), 400, "{path}");
        assert!(refused.text().await.expect("html").contains("last active administrator"));
    }
    assert_eq!(office.get("/admin/").await.status(), 200, "still an administrator");
    // With a second administrator, the first may step down.
    office.post_with_csrf("/admin/lecturers/jkamau/role/", &[("value", "true")]).await;
    let stepped_down = office.post_with_csrf("/admin/lecturers/office/role/", &[("value", "false")]).await;
    assert_eq!(stepped_down.status(), 303);
    assert_eq!(office.get("/admin/").await.status(), 404, "the role is gone on the next page");
    assert_eq!(app.browser.login("jkamau", "correct horse battery").await.status(), 303);
    let audit = app.browser.text("/admin/audit/").await;
    for entry in [
        "Disabled the account",
        "Enabled the account",
        "Made an administrator",
        "Took the administrator role away",
    ] {
        assert!(audit.contains(entry), "{entry}: {audit}");
    }
    assert_eq!(app.browser.get("/admin/lecturers/nobody/").await.status(), 404);
}
