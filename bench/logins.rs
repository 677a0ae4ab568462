//! A burst of logins: C lecturers logging in at once (each from its own address behind one
//! proxy), against the real `attendance` binary so its peak memory is its own. Next to it, in
//! the same run, the raw argon2id verification rate of this machine: logins cannot beat it,
//! and the cap on concurrent checks must keep memory flat however many arrive.

use std::time::{Duration, Instant};

use attendance::auth::password::{hash_password, verify_password};
use attendance::domain::*;
use attendance::emulator::Emulator;
use attendance::model::NewLecturer;
use futures::StreamExt;
use harness::{TestFirestore, input_value};

#[derive(clap::Args)]
pub struct Args {
    /// Lecturers logging in at the same moment.
    #[arg(long, short, default_value_t = 200)]
    pub c: usize,
}

const PASSWORD: &str = "correct horse battery";

/// Verifications per second with every core busy, nothing else.
async fn raw_verifications(hash: &attendance::model::PasswordHash) -> anyhow::Result<f64> {
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
    let per_thread = 10;
    let started = Instant::now();
    let jobs = (0..threads).map(|_| async {
        for _ in 0..per_thread {
            if !verify_password(PASSWORD, hash).await {
                return false;
            }
        }
        true
    });
    for verified in futures::future::join_all(jobs).await {
        anyhow::ensure!(verified, "verification failed");
    }
    Ok((threads * per_thread) as f64 / started.elapsed().as_secs_f64())
}

/// One login as a browser makes it: the form (cookie and token), then the POST.
async fn login(address: &str, username: &str, client_ip: &str) -> anyhow::Result<(u16, Duration)> {
    let client =
        reqwest::Client::builder().cookie_store(true).redirect(reqwest::redirect::Policy::none()).build()?;
    let started = Instant::now();
    let html = client.get(format!("{address}/login/")).send().await?.text().await?;
    let token = input_value(&html, "csrfmiddlewaretoken").ok_or_else(|| anyhow::anyhow!("no token"))?;
    let response = client
        .post(format!("{address}/login/"))
        .header("x-forwarded-for", client_ip)
        .form(&[("username", username), ("password", PASSWORD), ("csrfmiddlewaretoken", token.as_str())])
        .send()
        .await?;
    Ok((response.status().as_u16(), started.elapsed()))
}

pub async fn run(args: Args) -> anyhow::Result<()> {
    let dir = std::env::temp_dir().join(format!("bench-logins-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let rules = harness::emulator::repo_root().join("firestore.rules");
    let emulator = Emulator::start(None, &rules, &dir.join("emulator.log")).await?;
    let fs = TestFirestore::on(emulator.host()).await;

    let password = Password::parse(PASSWORD)?;
    let hash = hash_password(&password).await?;
    let raw = raw_verifications(&hash).await?;
    futures::stream::iter(0..args.c)
        .map(|i| {
            let (store, hash) = (fs.store.clone(), hash.clone());
            async move {
                store
                    .create_lecturer(
                        &NewLecturer {
                            username: Username::parse(&format!("lecturer{i}"))?,
                            full_name: FullName::parse("Dr. Bench")?,
                            email: Email::parse(&format!("lecturer{i}@uni.ac.ke"))?,
                            staff_id: StaffId::parse(&format!("STF/{i:05}"))?,
                            department: Department::parse("Computing")?,
                            phone: None,
                            password_hash: hash,
                            admin: false,
                            must_change_password: false,
                        },
                        &attendance::model::Actor::CommandLine,
                    )
                    .await?;
                anyhow::Ok(())
            }
        })
        .buffer_unordered(32)
        .collect::<Vec<_>>()
        .await
        .into_iter()
        .collect::<anyhow::Result<()>>()?;

    let mut env = vec![("PROXY_HOPS", "1".to_owned())];
    if let Ok(arenas) = std::env::var("BENCH_APP_MALLOC_ARENA_MAX") {
        env.push(("MALLOC_ARENA_MAX", arenas));
    }
    let app = crate::server::Server::start(&fs.host, &fs.project_id, &env).await?;
    let address = app.address.clone();
    let idle_rss = app.peak_rss_kb();

    let started = Instant::now();
    let results: Vec<anyhow::Result<(u16, Duration)>> = futures::future::join_all((0..args.c).map(|i| {
        let address = address.clone();
        async move {
            login(&address, &format!("lecturer{i}"), &format!("198.51.{}.{}", i / 250, i % 250 + 1)).await
        }
    }))
    .await;
    let elapsed = started.elapsed();
    let peak = app.peak_rss_kb();
    drop(app);
    let mut latencies = Vec::new();
    let (mut ok, mut busy, mut other) = (0, 0, 0);
    for result in results {
        let (status, latency) = result?;
        match status {
            303 => ok += 1,
            503 => busy += 1,
            _ => other += 1,
        }
        latencies.push(latency);
    }
    latencies.sort();
    let logins_per_sec = f64::from(ok) / elapsed.as_secs_f64();
    println!("raw argon2id verifications (all cores, nothing else): {raw:>6.1} /s");
    println!(
        "{} concurrent logins: {ok} in, {busy} told to retry (503), {other} other; {logins_per_sec:.1} logins/s   ratio {:.2} of raw",
        args.c,
        logins_per_sec / raw
    );
    println!(
        "latency p50 {:.0} ms, p99 {:.0} ms; app peak memory {:.1} MiB (idle {:.1} MiB; target < 256 MiB)",
        latencies[latencies.len() / 2].as_secs_f64() * 1e3,
        latencies[(latencies.len() * 99 / 100).min(latencies.len() - 1)].as_secs_f64() * 1e3,
        peak as f64 / 1024.0,
        idle_rss as f64 / 1024.0,
    );
    tokio::task::spawn_blocking(move || emulator.stop()).await?;
    anyhow::ensure!(other == 0, "{other} logins got an unexpected answer");
    anyhow::ensure!(peak < 256 * 1024, "peak memory {} KiB over 256 MiB", peak);
    let mut goals = crate::goals::Goals::default();
    // Throttle counters, the session and the trim around each verification: the logins must
    // still come near the machine's argon2 rate.
    goals.at_least("logins per second / raw argon2 rate", logins_per_sec / raw, 0.5);
    goals.finish()
}
