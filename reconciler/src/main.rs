#![expect(clippy::print_stdout, reason = "a command-line tool reports on stdout")]

//! `reconciler`: see `--help`. Exit codes: 0 done (or another instance was running),
//! 1 the run failed, 2 bad configuration or arguments.

use std::process::ExitCode;
use std::sync::Arc;

use attendance::config::Vars;
use clap::{Parser, Subcommand};
use reconciler::{Reconciler, ReconcilerConfig, RunOptions, RunResult, db, portal, runs};

#[derive(Parser)]
#[command(
    name = "reconciler",
    version,
    about = "Mirrors Firestore into PostgreSQL, refreshes attendance percentages and forwards records to the Portal.",
    long_about = "Mirrors Firestore into PostgreSQL, refreshes attendance percentages and forwards records to the Portal.\n\n\
                  Configuration: FIRESTORE_PROJECT_ID, FIRESTORE_EMULATOR_HOST, DATABASE_URL, PORTAL_API_URL, PORTAL_API_TOKEN, \
                  PORTAL_AUDIENCE, RECONCILE_CRON (see .env.example).\n\
                  Exit codes: 0 done (or another instance was running), 1 the run failed, 2 bad configuration."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Create or update the PostgreSQL schema.
    Migrate,
    /// One pass: mirror what changed, refresh percentages, forward due records.
    Run {
        /// Re-read everything and remove rows whose Firestore documents are gone.
        #[arg(long)]
        full: bool,
    },
    /// A pass on every tick of a cron schedule until SIGTERM.
    Schedule {
        /// Cron expression with seconds (overrides RECONCILE_CRON), e.g. "0 */5 * * * *".
        #[arg(long)]
        cron: Option<String>,
    },
    /// Recent runs, the delivery backlog, dead letters and watermarks.
    Status,
    /// Queue every dead delivery again (they go out on the next run).
    RetryDead,
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
                RunResult::Completed(summary) => println!("{summary}"),
                RunResult::Skipped => println!("another reconciler run is in progress; nothing done"),
            }
        }
        Command::Schedule { cron } => {
            db::MIGRATOR.run(&pool).await?;
            let cron = cron.unwrap_or_else(|| config.cron.clone());
            let reconciler = Arc::new(Reconciler::with_pool(config, pool).await?);
            reconciler::schedule::schedule(reconciler, &cron, attendance::startup::shutdown_signal()).await?;
        }
        Command::Status => print!("{}", runs::report(&pool).await?),
        Command::RetryDead => {
            let queued = portal::retry_dead(&pool).await?;
            println!("{queued} dead deliveries queued again; they go out on the next run");
        }
    }
    Ok(ExitCode::SUCCESS)
}
