//! `firestore.rules` denies every direct client access; the server's admin access still works.

use harness::TestFirestore;

use crate::fixtures::*;

#[tokio::test]
async fn unauthenticated_clients_can_neither_read_nor_write() {
    let fs = TestFirestore::new().await;
    let session = session_fixture(&fs.store).await;
    let rest = fs.rest();
    for path in ["units/CS101", "lecturers/jkamau", &format!("sessions/{}", session.id)] {
        assert_eq!(rest.get_status_unauthenticated(path).await, 403, "read {path}");
        assert!(rest.get_as_admin(path).await.is_some(), "admin reads {path}");
    }
    for collection in ["attendance", "students", "units", "login_sessions", "password_resets", "admin_audit"]
    {
        assert_eq!(rest.create_status_unauthenticated(collection, "x").await, 403, "write {collection}");
    }
    assert!(rest.list_as_admin("students").await.is_empty(), "nothing was written");
}
