//! The lecture-hall burst: N distinct students marked through HTTP by C concurrent clients,
//! next to the store's own rate (one commit per mark, same concurrency) on the same emulator in
//! the same run. The ratio says how close the page path comes to Firestore's limit.

use std::time::{Duration, Instant};

use attendance::domain::*;
use attendance::emulator::Emulator;
use attendance::model::Session;
use futures::StreamExt;
use harness::{AppOptions, TestFirestore, spawn_app_on_with};

#[derive(clap::Args)]
pub struct Args {
    /// Students to mark in each measurement.
    #[arg(long, default_value_t = 2000)]
    pub n: usize,
    /// Concurrent clients.
    #[arg(long, short, default_value_t = 64)]
    pub c: usize,
}

struct Measurement {
    per_second: f64,
    latencies: Vec<Duration>,
}

impl Measurement {
    fn percentile(&self, p: f64) -> Duration {
        let index = ((self.latencies.len() as f64 - 1.0) * p).round() as usize;
        self.latencies[index]
    }

    fn line(&self, label: &str) -> String {
        format!(
            "{label:<28} {:>8.0} marks/s   p50 {:>6.1} ms   p95 {:>6.1} ms   p99 {:>6.1} ms",
            self.per_second,
            self.percentile(0.50).as_secs_f64() * 1e3,
            self.percentile(0.95).as_secs_f64() * 1e3,
            self.percentile(0.99).as_secs_f64() * 1e3,
        )
    }
}

/// Runs `n` jobs with `c` in flight, timing each.
async fn measure<F, Fut>(n: usize, c: usize, job: F) -> anyhow::Result<Measurement>
where
    F: Fn(usize) -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<()>>,
{
    let started = Instant::now();
    let results: Vec<anyhow::Result<Duration>> = futures::stream::iter(0..n)
        .map(|i| {
            let job = job(i);
            async move {
                let t = Instant::now();
                job.await?;
                Ok(t.elapsed())
            }
        })
        .buffer_unordered(c)
        .collect()
        .await;
    let elapsed = started.elapsed();
    let mut latencies = results.into_iter().collect::<anyhow::Result<Vec<_>>>()?;
    latencies.sort();
    Ok(Measurement { per_second: n as f64 / elapsed.as_secs_f64(), latencies })
}

async fn new_session(fs: &TestFirestore, hour: i8) -> anyhow::Result<Session> {
    let tomorrow = jiff::Zoned::now().date().tomorrow()?;
    Ok(fs
        .store
        .create_session(&crate::fixtures::session(
            &UnitCode::parse("CS101")?,
            Term { year: AcademicYear::containing(tomorrow, YearStart::default())?, semester: Semester::One },
            tomorrow,
            hour,
            1,
        )?)
        .await?)
}

pub async fn run(args: Args) -> anyhow::Result<()> {
    let dir = std::env::temp_dir().join(format!("bench-marks-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let rules = harness::emulator::repo_root().join("firestore.rules");
    let emulator = Emulator::start(None, &rules, &dir.join("emulator.log")).await?;
    let fs = TestFirestore::on(emulator.host()).await;
    fs.store.create_unit(&crate::fixtures::unit("CS101")?).await?;
    let settings = fs.settings();
    let store = fs.store.clone();
    // As deployed: behind one proxy, every phone on its own address (mobile data), so the
    // per-network marking cap (sized for one hall behind one NAT) is not what is measured.
    let app = spawn_app_on_with(fs, settings, AppOptions::default().with("PROXY_HOPS", "1")).await;
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .pool_max_idle_per_host(args.c)
        .build()?;

    let store_mark = |session: Session, prefix: &'static str| {
        let store = store.clone();
        move |i: usize| {
            let (store, session) = (store.clone(), session.clone());
            async move {
                let mark = crate::fixtures::mark(&format!("{prefix}/{i:05}"), i)?;
                store.mark_attendance(&session, &mark).await?;
                Ok(())
            }
        }
    };
    let http_mark = |session: Session, token: String, prefix: &'static str| {
        let (http, url) = (http.clone(), app.url(&format!("/attend/{}/", session.id)));
        let origin = app.address.clone();
        move |i: usize| {
            let (http, url, token, origin) = (http.clone(), url.clone(), token.clone(), origin.clone());
            async move {
                let admission = format!("{prefix}/{i:05}");
                let name = format!("Student {i}");
                let form = [
                    ("student_name", name.as_str()),
                    ("admission_number", admission.as_str()),
                    ("form_token", token.as_str()),
                ];
                let phone = format!("198.18.{}.{}", i / 250, i % 250 + 1);
                let response = http
                    .post(&url)
                    .header("x-forwarded-for", phone)
                    .header("origin", &origin)
                    .form(&form)
                    .send()
                    .await?;
                anyhow::ensure!(response.status() == 303, "mark {i}: HTTP {}", response.status());
                Ok(())
            }
        }
    };

    // Warm the emulator's JIT and both paths: its rate climbs for the first thousands of writes.
    let warm = new_session(&app.firestore, 5).await?;
    // The app's clock at the lecture's start: its attendance window is open.
    app.at_start_of(&warm);
    let token = app
        .browser
        .attend_form_token(&warm.id.to_string(), "")
        .await
        .ok_or_else(|| anyhow::anyhow!("no form"))?;
    measure(args.n, args.c, store_mark(warm.clone(), "WARM")).await?;
    measure(args.n, args.c, http_mark(warm, token, "WARMH")).await?;

    // Store, HTTP, HTTP, store: each path once early and once late, so drift cancels out.
    let mut rounds = Vec::new();
    for (i, http_round) in [false, true, true, false].into_iter().enumerate() {
        let session = new_session(&app.firestore, 7 + i as i8).await?;
        let prefix = ["ADMA", "ADMB", "ADMC", "ADMD"][i];
        let measurement = if http_round {
            app.at_start_of(&session);
            let token = app
                .browser
                .attend_form_token(&session.id.to_string(), "")
                .await
                .ok_or_else(|| anyhow::anyhow!("no form"))?;
            measure(args.n, args.c, http_mark(session.clone(), token, prefix)).await?
        } else {
            measure(args.n, args.c, store_mark(session.clone(), prefix)).await?
        };
        let recorded = app.firestore.store.attendance_count(session.id).await?;
        anyhow::ensure!(recorded == args.n as u64, "recorded {recorded} of {}", args.n);
        rounds.push((http_round, measurement));
    }
    let combine = |http: bool| {
        let picked: Vec<&Measurement> = rounds.iter().filter(|(h, _)| *h == http).map(|(_, m)| m).collect();
        let mut latencies: Vec<Duration> = picked.iter().flat_map(|m| m.latencies.iter().copied()).collect();
        latencies.sort();
        Measurement {
            per_second: picked.iter().map(|m| m.per_second).sum::<f64>() / picked.len() as f64,
            latencies,
        }
    };
    let (baseline, page) = (combine(false), combine(true));

    println!(
        "{} distinct students per round, {} concurrent clients, one emulator, rounds store/HTTP/HTTP/store:",
        args.n, args.c
    );
    println!("{}", baseline.line("store: one commit per mark"));
    println!("{}", page.line("HTTP: POST /attend/<id>/"));
    println!("ratio HTTP / store: {:.2}", page.per_second / baseline.per_second);
    let mut goals = crate::goals::Goals::default();
    // The page path (admission steps, form token, device cookie, rendering) around the same
    // commit: most of a mark's time must be Firestore's.
    goals.at_least("marks per second, HTTP / store", page.per_second / baseline.per_second, 0.5);
    tokio::task::spawn_blocking(move || emulator.stop()).await?;
    goals.finish()
}
