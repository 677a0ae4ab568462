//! Cost grows with change, not with history: an incremental pass that mirrors and forwards 100
//! new marks, on top of a mirror already holding H attendance rows (loaded straight into
//! PostgreSQL, all delivered), for a small and a large H in the same run.

use std::time::Duration;

use attendance::domain::*;
use futures::StreamExt;
use harness::{TestDatabase, TestFirestore, TestPortal};
use sqlx::PgPool;

/// New marks per pass.
const NEW_MARKS: usize = 100;
const STUDENTS_PER_SESSION: i64 = 500;

/// `rows` attendance rows of past terms, every one already delivered to the Portal, and the
/// watermarks at "now": what a mirror looks like after years of use.
async fn load_history(pool: &PgPool, rows: i64) -> anyhow::Result<()> {
    let sessions = (rows + STUDENTS_PER_SESSION - 1) / STUDENTS_PER_SESSION;
    let statements = [
        "INSERT INTO units (code, name, description, lecturer, expected_lessons, updated_at)
         SELECT 'H' || u, 'History', '', 'bench', 12, now() FROM generate_series(0, ($1 / 13)) u",
        "INSERT INTO sessions (id, unit_code, lecturer, academic_year, semester, session_number, date, start_time, end_time,
                               venue, lecturer_name, class_year, is_active, qr_mode, late_after_minutes, updated_at)
         SELECT md5('s' || s)::uuid, 'H' || (s / 13), 'bench', '2024/2025', 1, s % 13 + 1, date '2024-09-02' + (s % 90)::int,
                '08:00', '10:00', 'Main Hall', 'Dr. Bench', 1, false, 'static', 15, now()
         FROM generate_series(0, $1 - 1) s",
        "INSERT INTO students (admission_number, admission_key, name, updated_at)
         SELECT 'H/' || i, 'H%2F' || i, 'Student ' || i, now() FROM generate_series(0, 499) i",
    ];
    for sql in statements {
        sqlx::query(sqlx::AssertSqlSafe(sql)).bind(sessions).execute(pool).await?;
    }
    sqlx::query(
        "INSERT INTO attendance (id, session_id, unit_code, academic_year, semester, session_number, admission_number,
                                 student_name, status, source, version, expected_lessons, marked_at, updated_at)
         SELECT md5('s' || (i / 500))::uuid || '_H%2F' || (i % 500), md5('s' || (i / 500))::uuid, 'H' || ((i / 500) / 13),
                '2024/2025', 1, (i / 500) % 13 + 1, 'H/' || (i % 500), 'Student', 'present', 'qr', 1, 12,
                now() - interval '1 year' + i * interval '1 second', now()
         FROM generate_series(0, $1 - 1) i",
    )
    .bind(rows)
    .execute(pool)
    .await?;
    sqlx::query(
        "INSERT INTO portal_deliveries (idempotency_key, attendance_id, status, attempts, delivered_at)
         SELECT id || ':1', id, 'delivered', 1, now() FROM attendance",
    )
    .execute(pool)
    .await?;
    sqlx::query(
        "INSERT INTO mirror_state (collection, watermark)
         SELECT c, now() FROM unnest(ARRAY['lecturers', 'units', 'sessions', 'students', 'attendance']) c
         ON CONFLICT (collection) DO UPDATE SET watermark = excluded.watermark",
    )
    .execute(pool)
    .await?;
    sqlx::query("VACUUM ANALYZE").execute(pool).await?;
    Ok(())
}

/// A lecture with `NEW_MARKS` marks, in a fresh Firestore project.
async fn new_marks(host: &str, round: usize) -> anyhow::Result<TestFirestore> {
    let fs = TestFirestore::on(host).await;
    let code = UnitCode::parse("NEW101")?;
    fs.store.create_unit(&crate::fixtures::unit(code.as_str())?).await?;
    let session = fs
        .store
        .create_session(&crate::fixtures::session(
            &code,
            Term { year: AcademicYear::parse("2025/2026")?, semester: Semester::One },
            jiff::civil::date(2025, 9, 1),
            8,
            2,
        )?)
        .await?;
    let results: Vec<anyhow::Result<()>> = futures::stream::iter(0..NEW_MARKS)
        .map(|i| {
            let (store, session) = (fs.store.clone(), session.clone());
            async move {
                // Students of the history too: their percentages span every past row.
                let mark = crate::fixtures::mark(&format!("H/{}", i + round * NEW_MARKS), i)?;
                store.mark_attendance(&session, &mark).await?;
                Ok(())
            }
        })
        .buffer_unordered(32)
        .collect()
        .await;
    results.into_iter().collect::<anyhow::Result<()>>()?;
    Ok(fs)
}

pub struct Incremental {
    pub small: (i64, Duration),
    pub large: (i64, Duration),
}

/// Median pass time over `rounds` rounds, small and large history interleaved.
pub async fn measure(host: &str, small: i64, large: i64, rounds: usize) -> anyhow::Result<Incremental> {
    let portal = TestPortal::start().await;
    portal.delay(Duration::from_millis(20));
    let mut databases = Vec::new();
    for rows in [small, large] {
        let db = TestDatabase::new().await;
        reconciler::db::MIGRATOR.run(&db.pool).await?;
        let started = std::time::Instant::now();
        load_history(&db.pool, rows).await?;
        println!("loaded {rows} attendance rows into PostgreSQL in {:.1} s", started.elapsed().as_secs_f64());
        databases.push((rows, db, Vec::new()));
    }
    for round in 0..rounds {
        for (_, db, times) in &mut databases {
            let fs = new_marks(host, round).await?;
            let (durations, _, _) = crate::reconciler_run::reconcile(&fs, db, Some(&portal), false).await?;
            // The mirror's part only: forwarding the same 100 records to a 20 ms Portal is a
            // constant in both runs and would pull the ratio toward 1.
            times.push(Duration::from_millis(durations["mirror"].as_u64().unwrap_or_default()));
        }
    }
    let median = |times: &mut Vec<Duration>| {
        times.sort();
        times[times.len() / 2]
    };
    let mut results = databases.into_iter().map(|(rows, _, mut times)| (rows, median(&mut times)));
    let small = results.next().ok_or_else(|| anyhow::anyhow!("no small run"))?;
    let large = results.next().ok_or_else(|| anyhow::anyhow!("no large run"))?;
    anyhow::ensure!(
        portal.accepted_keys().len() == 2 * rounds * NEW_MARKS,
        "forwarded {} of {}",
        portal.accepted_keys().len(),
        2 * rounds * NEW_MARKS
    );
    Ok(Incremental { small, large })
}
