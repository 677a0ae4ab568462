//! The live list's cost: N marks arriving over S seconds into a session watched by C clients
//! through the app's Server-Sent Events, counted as Firestore bills reads (the app's own
//! counter, `/api/metrics/`), next to the polling it replaced (each client re-reading the list
//! every 3 seconds) measured on a twin session in the same run; then the memory per watched
//! session and per client.

use std::time::{Duration, Instant};

use attendance::domain::*;
use attendance::emulator::Emulator;
use attendance::model::Session;
use attendance::store::Store;
use harness::sse::EventStream;
use harness::{AppOptions, Browser, TestApp, TestFirestore, spawn_app_on_with};

#[derive(clap::Args)]
pub struct Args {
    /// Marks arriving during the measurement.
    #[arg(long, default_value_t = 300)]
    pub marks: usize,
    /// Over this many seconds.
    #[arg(long, default_value_t = 60)]
    pub seconds: u64,
    /// Clients watching the session.
    #[arg(long, short, default_value_t = 5)]
    pub clients: usize,
    /// Marks already there when the clients connect.
    #[arg(long, default_value_t = 50)]
    pub initial: usize,
}

/// A lecture of `unit` at `hour` on the `day`-th day of September 2025.
async fn lecture(store: &Store, unit: &str, day: i8, hour: i8) -> anyhow::Result<Session> {
    let term = Term { year: AcademicYear::parse("2025/2026")?, semester: Semester::One };
    let new =
        crate::fixtures::session(&UnitCode::parse(unit)?, term, jiff::civil::date(2025, 9, day), hour, 1)?;
    Ok(store.create_session(&new).await?)
}

async fn documents_read(app: &TestApp) -> anyhow::Result<u64> {
    let metrics = app.metrics().await;
    metrics["firestore_documents_read"].as_u64().ok_or_else(|| anyhow::anyhow!("no read count: {metrics}"))
}

async fn open(browser: &Browser, session: &Session) -> anyhow::Result<EventStream> {
    let response = browser.get(&format!("/session/{}/events/", session.id)).await;
    anyhow::ensure!(response.status() == 200, "events: HTTP {}", response.status());
    let mut stream = EventStream::new(response);
    stream.next(Duration::from_secs(20)).await.ok_or_else(|| anyhow::anyhow!("no snapshot"))?;
    Ok(stream)
}

pub async fn run(args: Args) -> anyhow::Result<()> {
    let dir = std::env::temp_dir().join(format!("bench-live-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let rules = harness::emulator::repo_root().join("firestore.rules");
    let emulator = Emulator::start(None, &rules, &dir.join("emulator.log")).await?;
    let fs = TestFirestore::on(emulator.host()).await;
    let store = fs.store.clone();
    let project = fs.project_id.clone();
    let settings = fs.settings();
    let poller = Store::connect(&settings).await?;
    let app = spawn_app_on_with(fs, settings, AppOptions::default().with_metrics()).await;
    // The password `logged_in` gives: the binary started below logs in with it too.
    let browser = app.logged_in("bench").await.clone();
    store.create_unit(&crate::fixtures::unit("CS101")?).await?;
    let (live, polled) = (lecture(&store, "CS101", 1, 8).await?, lecture(&store, "CS101", 1, 10).await?);
    for i in 0..args.initial {
        for session in [&live, &polled] {
            store.mark_attendance(session, &crate::fixtures::mark(&format!("OLD/{i:04}"), i)?).await?;
        }
    }

    // Live: C clients on one session; every mark must reach every client.
    let before = documents_read(&app).await?;
    let mut streams = Vec::new();
    for _ in 0..args.clients {
        streams.push(open(&browser, &live).await?);
    }
    let connected = documents_read(&app).await? - before;
    let (marks, seconds) = (args.marks, args.seconds);
    let readers: Vec<_> = streams
        .into_iter()
        .map(|mut stream| {
            tokio::spawn(async move {
                let mut seen = 0;
                while seen < marks {
                    let Some(_) = stream.next_named("mark", Duration::from_secs(seconds + 30)).await else {
                        break;
                    };
                    seen += 1;
                }
                seen
            })
        })
        .collect();
    // Polling, as the page did before: every client re-reads the session and its whole list.
    let stop_polling = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let pollers: Vec<_> = (0..args.clients)
        .map(|_| {
            let (poller, stop, id) = (poller.clone(), stop_polling.clone(), polled.id);
            tokio::spawn(async move {
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    let _ = tokio::join!(poller.session(id), poller.attendance_of_session(id));
                    tokio::time::sleep(Duration::from_secs(3)).await;
                }
            })
        })
        .collect();
    let started = Instant::now();
    let gap = Duration::from_secs_f64(seconds as f64 / marks as f64);
    for i in 0..marks {
        tokio::time::sleep_until((started + gap * i as u32).into()).await;
        for session in [&live, &polled] {
            store.mark_attendance(session, &crate::fixtures::mark(&format!("NEW/{i:04}"), i)?).await?;
        }
    }
    let mut delivered = Vec::new();
    for reader in readers {
        delivered.push(reader.await?);
    }
    stop_polling.store(true, std::sync::atomic::Ordering::Relaxed);
    for poller in pollers {
        poller.await?;
    }
    let live_reads = documents_read(&app).await? - before - connected;
    let polling_reads = poller.reads().total();
    anyhow::ensure!(delivered.iter().all(|n| *n == marks), "marks delivered per client: {delivered:?}");

    // The budget: one read per mark, however many clients; to connect, the first view of the
    // list (the session, its marks, their history, the class list, and the session document
    // the listener starts with) and one login check per client (its session and, shared for
    // a few seconds, its account). While marks arrive, each open stream re-checks its login
    // every 30 s: at most two reads each time.
    let connect_budget = (args.initial + 4 + 2 * args.clients) as u64;
    let rechecks = 2 * args.clients as u64 * (seconds / 30 + 1);
    let live_budget = marks as u64 + rechecks;
    let verdict = |ok: bool| if ok { "ok" } else { "OVER" };
    println!("{marks} marks over {seconds} s, {} clients, {} marks before:", args.clients, args.initial);
    println!(
        "  live: to connect          {connected:>8} documents read (budget {connect_budget}: the first list + a login check per client) {}",
        verdict(connected <= connect_budget)
    );
    println!(
        "  live: while marks arrive  {live_reads:>8} documents read (budget {live_budget}: one per mark, {rechecks} for login re-checks) {}",
        verdict(live_reads <= live_budget)
    );
    println!("  live: total               {:>8}", connected + live_reads);
    println!("  polling every 3 s         {polling_reads:>8} documents read");
    println!(
        "  polling / live            {:>8.1}×",
        polling_reads as f64 / (connected + live_reads).max(1) as f64
    );

    let mut goals = crate::goals::Goals::default();
    goals.at_most("reads to connect / budget", connected as f64 / connect_budget as f64, 1.0);
    goals.at_most("reads while marks arrive / budget", live_reads as f64 / live_budget as f64, 1.0);
    goals.at_least(
        "polling reads / live reads",
        polling_reads as f64 / (connected + live_reads).max(1) as f64,
        10.0,
    );
    drop(app);

    // Memory, in the real binary (so only the app is measured): sessions watched by one client
    // each, then more clients on one session.
    let server = crate::server::Server::start(emulator.host(), &project, &[]).await?;
    let viewer = Browser { client: harness::app::client(), address: server.address.clone() };
    anyhow::ensure!(viewer.login("bench", "correct horse battery").await.status() == 303, "login");
    let mut held = vec![open(&viewer, &live).await?];
    let base = server.rss_kb();
    let sessions = 20;
    for i in 0..sessions {
        let unit = format!("MEM{i}");
        store.create_unit(&crate::fixtures::unit(&unit)?).await?;
        let session = lecture(&store, &unit, 2, 8).await?;
        held.push(open(&viewer, &session).await?);
    }
    let per_session = server.rss_kb().saturating_sub(base) / sessions as u64;
    let base = server.rss_kb();
    let more = 100;
    for _ in 0..more {
        held.push(open(&viewer, &live).await?);
    }
    let per_client = server.rss_kb().saturating_sub(base) / more;
    println!("app memory per watched session ≈ {per_session} KiB (its listener, its list, one client)");
    println!("app memory per extra client    ≈ {per_client} KiB");
    drop(held);
    drop(server);
    emulator.stop();
    goals.finish()
}
