#![expect(clippy::print_stdout, reason = "a benchmark reports on stdout")]

//! Benchmarks, apart from the tests: each starts its own emulator (and app or database) and
//! prints throughput next to a baseline measured in the same run.
//!
//!   cargo run --release -p attendance-system --bin bench -- budget
//!   cargo run --release -p attendance-system --bin bench -- creates
//!   cargo run --release -p attendance-system --bin bench -- marks --n 2000 -c 64
//!   cargo build --release -p attendance && cargo run --release -p attendance-system --bin bench -- logins -c 200
//!   cargo run --release -p attendance-system --bin bench -- pages
//!   cargo build --release -p attendance && cargo run --release -p attendance-system --bin bench -- uploads
//!   cargo run --release -p attendance-system --bin bench -- live
//!   cargo build --release -p reconciler && cargo run --release -p attendance-system --bin bench -- reconcile [--incremental]

mod budget;
mod creates;
mod fixtures;
mod goals;
mod incremental;
mod live;
mod logins;
mod marks;
mod pages;
mod reconcile;
mod reconciler_run;
mod server;
mod uploads;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(name = "bench", about = "Throughput benchmarks against a fresh Firestore emulator")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// The per-network marking cap at a million networks: memory flat past its bound.
    Budget(budget::Args),
    /// Raw document creates per second against the emulator, 1 and 32 in flight.
    Creates(creates::Args),
    /// A burst of lecturer logins against the real binary: throughput and peak memory.
    Logins(logins::Args),
    /// The live list's Firestore reads (listener + Server-Sent Events) vs. 3-second polling.
    Live(live::Args),
    /// Marks through HTTP vs. the store's own commit rate (the lecture-hall burst).
    Marks(marks::Args),
    /// The dashboard, unit and session pages at class size vs. a plain read of their documents.
    Pages(pages::Args),
    /// Class-list uploads against the real binary: the peak memory each huge or hostile file adds.
    Uploads,
    /// Full mirror vs. a plain Firestore read, forwarding vs. raw POSTs, and an incremental pass
    /// on a small vs. a large history.
    Reconcile(reconcile::Args),
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    match Cli::parse().command {
        Command::Budget(args) => budget::run(args).await,
        Command::Creates(args) => creates::run(args).await,
        Command::Logins(args) => logins::run(args).await,
        Command::Live(args) => live::run(args).await,
        Command::Marks(args) => marks::run(args).await,
        Command::Pages(args) => pages::run(args).await,
        Command::Reconcile(args) => reconcile::run(args).await,
        Command::Uploads => uploads::run().await,
    }
}
