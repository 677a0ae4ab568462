#![expect(clippy::print_stdout, reason = "a command-line tool reports on stdout")]

//! `reconciler`: see `--help`. Exit codes: 0 done (or another instance was running),
//! 1 the run failed, forwarding needs an operator, or `verify` found a difference;
//! 2 bad configuration or arguments.

use std::process::ExitCode;
use std::sync::Arc;

use attendance::clock::Clock;
use attendance::config::Vars;
use clap::{Parser, Subcommand};
use reconciler::{Reconciler, ReconcilerConfig, RunOptions, RunResult, db, portal, runs, verify};

#[derive(Parser)]
#[command(
    name = "reconciler",
    version,
    about = "Mirrors Firestore into PostgreSQL (where the attendance percentages are views) and forwards records to the Portal.",
    long_about = "Mirrors Firestore into PostgreSQL (where the attendance percentages are views) and forwards records to the Portal.\n\n\
                  Configuration: FIRESTORE_PROJECT_ID, FIRESTORE_EMULATOR_HOST, DATABASE_URL, PORTAL_API_URL, PORTAL_API_TOKEN, \
                  PORTAL_AUDIENCE, PORTAL_GIVE_UP_AFTER, PORTAL_BUDGET, RECONCILE_CRON, RECONCILE_FULL_CRON (see .env.example).\n\
                  Exit codes: 0 done (or another instance was running), 1 the run failed, forwarding needs an operator \
                  (the Portal redirected or refused the credentials) or verify found a difference, 2 bad configuration."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Create or update the PostgreSQL schema.
    Migrate,
    /// One pass: mirror what changed, forward due records.
    Run {
        /// Re-read everything and remove rows whose Firestore documents are gone.
        #[arg(long)]
        full: bool,
    },
    /// A pass on every tick of a cron schedule until SIGTERM.
    Schedule {
        /// Cron expression with seconds for incremental passes (overrides RECONCILE_CRON), e.g. "0 */5 * * * *".
        #[arg(long)]
        cron: Option<String>,
        /// Cron expression for full passes (overrides RECONCILE_FULL_CRON), e.g. "0 30 2 * * *".
        #[arg(long)]
        full_cron: Option<String>,
    },
    /// Recent runs, the delivery backlog, dead letters, rejected documents and watermarks.
    Status,
    /// Queue dead deliveries again (they go out on the next run).
    RetryDead {
        /// Only this record: an Idempotency-Key (`<attendance id>:<version>`) or an attendance id.
        #[arg(long)]
        only: Option<String>,
    },
    /// Compare Firestore and PostgreSQL collection by collection (counts and checksums).
    Verify,
}

#[tokio::main]
async fn main() -> ExitCode {
    attendance::telemetry::init("info,reconciler=info");
    let cli = Cli::parse();
    let config = match ReconcilerConfig::from_vars(&Vars::from_process()) {
        Ok(config) => config,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    match execute(cli.command, config).await {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn execute(command: Command, config: ReconcilerConfig) -> anyhow::Result<ExitCode> {
    let pool = db::connect(&config.database_url).await?;
    match command {
        Command::Migrate => {
            db::MIGRATOR.run(&pool).await?;
            println!("schema up to date");
        }
        Command::Run { full } => {
            db::MIGRATOR.run(&pool).await?;
            let reconciler = Reconciler::with_pool(config, pool).await?;
            match reconciler.run_once(RunOptions { full, ..RunOptions::default() }).await? {
                RunResult::Completed(summary) => {
                    println!("{summary}");
                    if let Some(problem) = summary.needs_operator() {
                        eprintln!("error: {problem}");
                        return Ok(ExitCode::FAILURE);
                    }
                }
                RunResult::Skipped => println!("another reconciler run is in progress; nothing done"),
            }
        }
        Command::Schedule { cron, full_cron } => {
            db::MIGRATOR.run(&pool).await?;
            let cron = cron.unwrap_or_else(|| config.cron.clone());
            let full_cron = full_cron.unwrap_or_else(|| config.full_cron.clone());
            let reconciler = Arc::new(Reconciler::with_pool(config, pool).await?);
            let shutdown = attendance::startup::shutdown_signal();
            reconciler::schedule::schedule(reconciler, &cron, &full_cron, shutdown).await?;
        }
        Command::Status => print!("{}", runs::report(&pool, &Clock::system()).await?),
        Command::RetryDead { only } => {
            let queued = portal::retry_dead(&pool, only.as_deref(), &Clock::system()).await?;
            println!("{queued} dead deliveries queued again; they go out on the next run");
        }
        Command::Verify => {
            let store = attendance::store::Store::connect(&config.firestore).await?;
            let comparisons = verify::verify(&store, &pool).await?;
            print!("{}", verify::report(&comparisons));
            if !comparisons.iter().all(verify::Comparison::equal) {
                return Ok(ExitCode::FAILURE);
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
