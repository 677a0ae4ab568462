//! Class-list uploads against the real binary: the peak memory each hostile or huge file adds
//! to an instance (the documented Cloud Run instance has 512 MiB, and the marks in flight on
//! it must survive any one upload). Baseline, in the same run: the peak after a small file.
//! Goal: each file adds under 64 MiB to the peak.

use harness::{Browser, TestFirestore};

use crate::goals::Goals;
use crate::server::Server;

/// The files: what each is, and its text.
fn files() -> Vec<(&'static str, String)> {
    let mut tiny = String::from("admission_number,name\n");
    while tiny.len() < 2_000_000 {
        tiny.push_str("x,y\n");
    }
    let mut rejected = String::from("admission_number,name\n");
    let mut i = 0;
    while rejected.len() < 1_250_000 {
        rejected.push_str(&format!("BAD {i},\n"));
        i += 1;
    }
    let mut rejected_within = String::from("admission_number,name\n");
    for i in 0..10_000 {
        rejected_within.push_str(&format!("BAD {i} with a long reason to give,Student {i}\n"));
    }
    let mut long = String::from("admission_number,name,email\n");
    for i in 0..10_000 {
        long.push_str(&format!(
            "SCT/211-{i:05}/2026,Wanjiru Kamau Achieng Otieno Student Number {i},student.number.{i}@students.university.ac.ke\n"
        ));
    }
    vec![
        ("2 MB of tiny rows", tiny),
        ("1.25 MB of 90,000 rejected rows", rejected),
        ("10,000 rejected rows", rejected_within),
        ("10,000 valid students, long names", long),
    ]
}

pub async fn run() -> anyhow::Result<()> {
    let dir = std::env::temp_dir().join(format!("bench-uploads-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let rules = harness::emulator::repo_root().join("firestore.rules");
    let emulator = attendance::emulator::Emulator::start(None, &rules, &dir.join("emulator.log")).await?;
    let fs = TestFirestore::on(emulator.host()).await;
    let password = attendance::domain::Password::parse("correct horse battery")?;
    let hash = attendance::auth::password::hash_password(&password).await?;
    let lecturer = attendance::samples::lecturer("bench", "STF/0001", hash)?;
    fs.store.create_lecturer(&lecturer, &attendance::model::Actor::CommandLine).await?;
    fs.store.create_unit(&crate::fixtures::unit("CS101")?).await?;
    let server = Server::start(emulator.host(), &fs.project_id, &[]).await?;
    let browser = Browser { client: harness::app::client(), address: server.address.clone() };
    anyhow::ensure!(browser.login("bench", "correct horse battery").await.status() == 303, "login");
    let path = "/unit/CS101/class-list/preview/?year=2025/2026&semester=1";
    let small = "admission_number,name\nADM/1,Jane Doe\n".as_bytes().to_vec();
    for _ in 0..3 {
        anyhow::ensure!(browser.upload(path, "small.csv", small.clone()).await.status() == 200, "small file");
    }
    let mut goals = Goals::default();
    let baseline = server.peak_rss_kb();
    let mut before = baseline;
    println!("app peak memory after a small file: {:.1} MiB", baseline as f64 / 1024.0);
    for (what, text) in files() {
        let bytes = text.len();
        let response = browser.upload(path, "file.csv", text.into_bytes()).await;
        let status = response.status().as_u16();
        let html = response.bytes().await?.len();
        let peak = server.peak_rss_kb();
        let grew = peak.saturating_sub(before) as f64 / 1024.0;
        println!(
            "{what:<36} {:>8.2} MB  HTTP {status}  page {:>7} KB  peak +{grew:.1} MiB (now {:.1} MiB)",
            bytes as f64 / 1e6,
            html / 1024,
            server.rss_kb() as f64 / 1024.0
        );
        goals.at_most(&format!("peak growth, {what} (MiB)"), grew, 64.0);
        before = peak.max(before);
    }
    let all = server.peak_rss_kb().saturating_sub(baseline) as f64 / 1024.0;
    goals.at_most("peak growth, all four files one after another (MiB)", all, 64.0);
    drop(server);
    emulator.stop();
    goals.finish()
}
