//! The per-test PostgreSQL database the reconciler tests build on.

use harness::TestDatabase;

#[tokio::test]
async fn each_test_gets_its_own_empty_database() {
    let a = TestDatabase::new().await;
    let b = TestDatabase::new().await;
    assert_ne!(a.name, b.name);
    sqlx::query("CREATE TABLE t (x int)").execute(&a.pool).await.expect("create in a");
    let in_b: i64 = sqlx::query_scalar("SELECT count(*) FROM pg_tables WHERE tablename = 't'")
        .fetch_one(&b.pool)
        .await
        .expect("query b");
    assert_eq!(in_b, 0);
}
