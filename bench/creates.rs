//! The emulator's own write rate: plain creates of small documents, sequential and concurrent.

use std::time::Instant;

use futures::StreamExt;
use harness::TestFirestore;

#[derive(clap::Args)]
pub struct Args {
    /// Documents per measurement.
    #[arg(long, default_value_t = 2000)]
    pub n: usize,
    /// Concurrent requests in the second measurement.
    #[arg(long, default_value_t = 32)]
    pub concurrency: usize,
}

#[derive(serde::Serialize, serde::Deserialize)]
struct Doc {
    n: u64,
    text: String,
}

pub async fn run(args: Args) -> anyhow::Result<()> {
    let fs = TestFirestore::new().await;
    let db = fs.store.firestore().await?.clone();
    let create = |prefix: &'static str, i: usize| {
        let db = db.clone();
        async move {
            let doc = Doc { n: i as u64, text: "attendance benchmark".into() };
            db.fluent()
                .insert()
                .into("bench")
                .document_id(format!("{prefix}-{i}"))
                .object(&doc)
                .execute::<Doc>()
                .await
                .map(|_| ())
        }
    };
    // Warm the JIT and the connection; the first few hundred writes are always slower.
    futures::stream::iter(0..500)
        .map(|i| create("warm", i))
        .buffer_unordered(16)
        .for_each(|_| async {})
        .await;

    let started = Instant::now();
    for i in 0..args.n {
        create("seq", i).await?;
    }
    let sequential = args.n as f64 / started.elapsed().as_secs_f64();

    let started = Instant::now();
    let results: Vec<_> = futures::stream::iter(0..args.n)
        .map(|i| create("par", i))
        .buffer_unordered(args.concurrency)
        .collect()
        .await;
    let concurrent = args.n as f64 / started.elapsed().as_secs_f64();
    anyhow::ensure!(results.iter().all(Result::is_ok), "some creates failed");

    println!("emulator creates, {} documents each:", args.n);
    println!("  1 in flight:  {sequential:>8.0} creates/s");
    println!(
        "  {} in flight: {concurrent:>8.0} creates/s  ({:.1}x)",
        args.concurrency,
        concurrent / sequential
    );
    Ok(())
}
