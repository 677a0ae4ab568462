//! The reconciler at scale: a full mirror of N attendance documents into PostgreSQL next to a
//! plain read of the same documents from Firestore (same emulator, same run), then forwarding
//! M records to a loopback Portal that answers after 20 ms, next to M bare POSTs to the same
//! Portal at the same concurrency. The reconciler runs as its own process so its peak memory
//! is its own. A missed target fails the run.

use std::time::{Duration, Instant};

use attendance::domain::*;
use attendance::emulator::Emulator;
use attendance::store::docs::{ATTENDANCE, AttendanceDoc};
use futures::{StreamExt, TryStreamExt};
use harness::{TestDatabase, TestFirestore, TestPortal};
use sqlx::Row;

#[derive(clap::Args)]
pub struct Args {
    /// Attendance documents to load and mirror.
    #[arg(long, default_value_t = 20_000)]
    pub documents: usize,
    /// Records to forward to the Portal.
    #[arg(long, default_value_t = 5_000)]
    pub forward: usize,
    /// The Portal's answer time.
    #[arg(long, default_value_t = 20)]
    pub portal_delay_ms: u64,
    /// Only the incremental pass: 100 new marks on a small and a large history.
    #[arg(long)]
    pub incremental: bool,
    /// Attendance rows already in the mirror, small and large (loaded straight into PostgreSQL).
    #[arg(long, default_value_t = 10_000)]
    pub history_small: i64,
    #[arg(long, default_value_t = 1_000_000)]
    pub history_large: i64,
    /// Incremental passes per history size (the median counts).
    #[arg(long, default_value_t = 3)]
    pub rounds: usize,
}

const STUDENTS_PER_SESSION: usize = 1000;
/// Forwarding (payload built from the mirror, each attempt recorded in PostgreSQL) against bare
/// POSTs to the same Portal at the same concurrency: most of its time must be the Portal's.
const FORWARD_VS_RAW: f64 = 0.5;

async fn load(fs: &TestFirestore, documents: usize) -> anyhow::Result<()> {
    let sessions = documents.div_ceil(STUDENTS_PER_SESSION);
    let mut marks = Vec::new();
    for s in 0..sessions {
        // 13 lectures per term, two terms per unit: a new unit every 26 sessions.
        let unit = UnitCode::parse(&format!("CS{}", 101 + s / 26))?;
        if s % 26 == 0 {
            fs.store.create_unit(&crate::fixtures::unit(unit.as_str())?).await?;
        }
        let date = jiff::civil::date(2025, 9, 1).checked_add(jiff::Span::new().days(i64::try_from(s)?))?;
        let semester = if (s / 13) % 2 == 0 { Semester::One } else { Semester::Two };
        let session = fs
            .store
            .create_session(&crate::fixtures::session(
                &unit,
                Term { year: AcademicYear::parse("2025/2026")?, semester },
                date,
                8,
                2,
            )?)
            .await?;
        let in_this = STUDENTS_PER_SESSION.min(documents - s * STUDENTS_PER_SESSION);
        marks.extend((0..in_this).map(|i| (session.clone(), i)));
    }
    let results: Vec<anyhow::Result<()>> = futures::stream::iter(marks)
        .map(|(session, i)| {
            let store = fs.store.clone();
            async move {
                let mark = crate::fixtures::mark(&format!("ADM/2023/{i:05}"), i)?;
                store.mark_attendance(&session, &mark).await?;
                Ok(())
            }
        })
        .buffer_unordered(64)
        .collect()
        .await;
    results.into_iter().collect()
}

fn ms(durations: &serde_json::Value, phase: &str) -> f64 {
    durations[phase].as_f64().unwrap_or_default()
}

pub async fn run(args: Args) -> anyhow::Result<()> {
    // The release reconciler next to this binary (built first if missing).
    let binary = harness::binaries::reconciler_binary();
    println!("reconciler: {}", binary.display());
    let dir = std::env::temp_dir().join(format!("bench-reconcile-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let rules = harness::emulator::repo_root().join("firestore.rules");
    let emulator = Emulator::start(None, &rules, &dir.join("emulator.log")).await?;
    let mut misses = Vec::new();
    if !args.incremental {
        full_and_forward(&args, emulator.host(), &mut misses).await?;
    }
    let inc =
        crate::incremental::measure(emulator.host(), args.history_small, args.history_large, args.rounds)
            .await?;
    let ratio = inc.large.1.as_secs_f64() / inc.small.1.as_secs_f64();
    println!(
        "incremental pass, 100 new marks: {} rows of history {:>6.0} ms, {} rows {:>6.0} ms   ratio {ratio:.2} (target <= 2)",
        inc.small.0,
        inc.small.1.as_secs_f64() * 1000.0,
        inc.large.0,
        inc.large.1.as_secs_f64() * 1000.0,
    );
    if ratio > 2.0 {
        misses.push(format!("incremental ratio {ratio:.2} > 2"));
    }
    tokio::task::spawn_blocking(move || emulator.stop()).await?;
    anyhow::ensure!(misses.is_empty(), "targets missed: {}", misses.join("; "));
    Ok(())
}

/// A full mirror against a plain read, and forwarding against raw POSTs to the same Portal.
async fn full_and_forward(args: &Args, host: &str, misses: &mut Vec<String>) -> anyhow::Result<()> {
    let fs = TestFirestore::on(host).await;

    let started = Instant::now();
    load(&fs, args.documents).await?;
    println!("loaded {} attendance documents in {:.1} s", args.documents, started.elapsed().as_secs_f64());

    // Baseline: read every document the mirror reads, deserialised, nothing else.
    let db = fs.store.firestore().await?.clone();
    let started = Instant::now();
    let mut read = 0usize;
    for collection in attendance::store::docs::MIRRORED {
        read += db
            .fluent()
            .select()
            .from(collection)
            .stream_query_with_errors()
            .await?
            .try_fold(0usize, |n, doc| async move {
                // Deserialise like the mirror does, so both sides pay for it.
                if collection == ATTENDANCE {
                    let _: AttendanceDoc = firestore::FirestoreDb::deserialize_doc_to(&doc)?;
                }
                Ok(n + 1)
            })
            .await?;
    }
    let plain_read = started.elapsed();
    anyhow::ensure!(read >= args.documents, "read {read}");
    // The mirror's own query shape (ordered by updated_at, then name), without PostgreSQL.
    let started = Instant::now();
    let ordered: usize = fs
        .store
        .changed_since::<AttendanceDoc>(jiff::Timestamp::UNIX_EPOCH)
        .await?
        .try_fold(0usize, |n, _| async move { Ok(n + 1) })
        .await?;
    let ordered_read = started.elapsed();

    let database = TestDatabase::new().await;
    let (durations, mirror_rss, output) =
        crate::reconciler_run::reconcile(&fs, &database, None, true).await?;
    eprint!("{}", String::from_utf8_lossy(&output.stderr));
    let mirror_ms = ms(&durations, "mirror");
    let rows: i64 = sqlx::query("SELECT count(*) FROM attendance").fetch_one(&database.pool).await?.get(0);
    anyhow::ensure!(rows as usize == args.documents, "mirrored {rows}");

    // Forwarding: keep `forward` records pending, mark the rest as sent.
    sqlx::query(
        "UPDATE portal_deliveries SET status = 'delivered' WHERE attendance_id NOT IN
           (SELECT attendance_id FROM portal_deliveries ORDER BY attendance_id LIMIT $1)",
    )
    .bind(i64::try_from(args.forward)?)
    .execute(&database.pool)
    .await?;
    let portal = TestPortal::start().await;
    portal.delay(Duration::from_millis(args.portal_delay_ms));
    let (durations, forward_rss, _) =
        crate::reconciler_run::reconcile(&fs, &database, Some(&portal), false).await?;
    let forward_ms = ms(&durations, "forward");
    anyhow::ensure!(portal.received().len() == args.forward, "forwarded {}", portal.received().len());

    println!(
        "ordered read of attendance (the mirror's query): {} documents in {:.0} ms",
        ordered,
        ordered_read.as_secs_f64() * 1000.0
    );
    let ratio = mirror_ms / plain_read.as_secs_f64() / 1000.0;
    println!(
        "plain Firestore read of {read} documents (all mirrored collections): {:>8.0} ms",
        plain_read.as_secs_f64() * 1000.0
    );
    println!(
        "full mirror into PostgreSQL:          {mirror_ms:>8.0} ms   ratio {ratio:.2} (target <= 1.5)   peak memory {:.1} MiB",
        mirror_rss as f64 / 1024.0
    );
    println!(
        "forwarding {} records ({} ms Portal):  {forward_ms:>8.0} ms   {:.0} records/s (target >= 200)   peak memory {:.1} MiB",
        args.forward,
        args.portal_delay_ms,
        args.forward as f64 / forward_ms * 1000.0,
        forward_rss as f64 / 1024.0
    );
    if ratio > 1.5 {
        misses.push(format!("full mirror ratio {ratio:.2} > 1.5"));
    }
    let forwarded = args.forward as f64 / forward_ms * 1000.0;
    // Baseline: the same number of POSTs to the same Portal at the shipped concurrency, nothing
    // else (no PostgreSQL, no payload building).
    let client = reqwest::Client::new();
    let started = Instant::now();
    let sent: Vec<reqwest::Result<reqwest::Response>> = futures::stream::iter(0..args.forward)
        .map(|i| {
            client
                .post(&portal.url)
                .header("Idempotency-Key", format!("baseline-{i}"))
                .json(&serde_json::json!({ "action": "created", "student_name": "Student", "admission_number": format!("B/{i}") }))
                .send()
        })
        .buffer_unordered(16)
        .collect()
        .await;
    anyhow::ensure!(
        sent.iter().all(|r| r.as_ref().is_ok_and(|r| r.status().is_success())),
        "baseline POSTs failed"
    );
    let raw = args.forward as f64 / started.elapsed().as_secs_f64();
    println!(
        "raw POSTs to the same Portal (16 in flight): {raw:.0} records/s   forwarding / raw = {:.2} (target >= {FORWARD_VS_RAW})",
        forwarded / raw
    );
    if forwarded / raw < FORWARD_VS_RAW {
        misses.push(format!("forwarding / raw POSTs {:.2} < {FORWARD_VS_RAW}", forwarded / raw));
    }
    drop(database);
    Ok(())
}
