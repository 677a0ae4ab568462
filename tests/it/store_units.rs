use attendance::store::{StoreError, Taken};
use harness::TestFirestore;

use crate::fixtures::*;

#[tokio::test]
async fn unit_codes_are_unique_across_lecturers() {
    let fs = TestFirestore::new().await;
    fs.store.create_unit(&new_unit("CS101", "jkamau")).await.expect("first");
    let err = fs.store.create_unit(&new_unit("cs 101", "potieno")).await.expect_err("duplicate");
    assert!(matches!(err, StoreError::AlreadyExists(Taken::UnitCode)), "{err:?}");
    let unit =
        fs.store.unit(&attendance::domain::UnitCode::parse("CS101").expect("code")).await.expect("read");
    assert_eq!(unit.expect("exists").lecturer.as_str(), "jkamau");
}

#[tokio::test]
async fn a_lecturer_sees_only_their_units_in_code_order_and_not_deleted_ones() {
    let fs = TestFirestore::new().await;
    for code in ["MA201", "CS101", "CS102"] {
        fs.store.create_unit(&new_unit(code, "jkamau")).await.expect("unit");
    }
    fs.store.create_unit(&new_unit("BIO100", "potieno")).await.expect("other");
    fs.store
        .soft_delete_unit(&attendance::domain::UnitCode::parse("CS102").expect("code"))
        .await
        .expect("delete");
    let units = fs.store.units_of(&username("jkamau")).await.expect("query");
    let codes: Vec<_> = units.iter().map(|u| u.code.as_str()).collect();
    assert_eq!(codes, ["CS101", "MA201"]);
    // Soft delete: the document stays for the mirror, flagged and stamped.
    let doc = fs.rest().get_as_admin("units/CS102").await.expect("kept");
    assert_eq!(doc["fields"]["deleted"]["booleanValue"], true);
    assert!(doc["fields"]["deleted_at"]["timestampValue"].is_string());
}
