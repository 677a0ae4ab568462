//! The department report: per unit and term, lectures held, average attendance and students at
//! risk, as a table, an SVG chart and CSV.

use harness::spawn_app;

const TERM: &str = "?year=2025/2026&semester=1";

#[tokio::test]
async fn the_report_counts_each_units_term_like_its_own_page() {
    let app = spawn_app().await;
    // CS101 (jkamau): two lectures held; ADM/1 at both, ADM/2 at the first only (50%, at risk
    // under the default 75%).
    let first = crate::record_keeping::lecture(&app).await;
    let second = crate::hardening::new_lecture(&app, "jkamau", 12).await;
    for (session, who) in [(&first, vec!["ADM/1", "ADM/2"]), (&second, vec!["ADM/1"])] {
        app.at_start_of(session);
        for adm in who {
            app.new_browser().attend(&session.id.to_string(), &format!("Student {adm}"), adm).await;
        }
    }
    // A unit with nothing this term is left out.
    let store = &app.firestore.store;
    store.create_unit(&crate::fixtures::new_unit("MA201", "jkamau")).await.expect("unit");
    app.clock.set(app.local(second.date.at(18, 0, 0, 0)));
    let office = super::office(&app).await;

    let page = office.text(&format!("/admin/report/{TERM}")).await;
    let row = page.split("<tr>").find(|r| r.contains("<strong>CS101</strong>")).expect("CS101 row");
    assert!(row.contains("<td>2</td><td>2</td>"), "2 held, 2 students: {row}");
    assert!(row.contains("75.0%"), "3 of 4 possible marks: {row}");
    assert!(row.contains("badge-risk\">1<"), "one at risk: {row}");
    assert!(!page.contains("MA201"), "{page}");
    assert!(page.contains("<svg class=\"chart\"") && page.contains("CS101: 75.0%"), "{page}");
    assert!(page.contains("2025/2026 S2"), "other terms are linked");

    let csv = office.get(&format!("/admin/report.csv{TERM}")).await;
    assert_eq!(csv.status(), 200);
    assert!(
        csv.headers()["content-disposition"]
            .to_str()
            .expect("header")
            .contains("department_2025-2026_S1.csv")
    );
    let body = csv.text().await.expect("csv");
    assert!(body.contains("CS101,Introduction to Programming,jkamau,2025/2026,1,2,2,75.0,1,75"), "{body}");

    let empty = office.text("/admin/report/?year=2024/2025&semester=2").await;
    assert!(empty.contains("No unit has lectures or a class list in 2024/2025"), "{empty}");
    assert_eq!(office.get("/admin/report/?year=nonsense&semester=1").await.status(), 400);
}
