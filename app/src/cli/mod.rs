//! The `attendance` command line: serve the app, run a development instance, manage lecturers.

mod dev;
mod lecturer;

use std::io::{BufRead, Write};

use clap::{Parser, Subcommand};

use crate::config::{Config, Vars};
use crate::startup::Application;

pub use lecturer::LecturerCommand;

#[derive(Debug, Parser)]
#[command(
    name = "attendance",
    version,
    about = "QR-code class attendance: lecturers show a code, students scan it and are marked present once.",
    long_about = "QR-code class attendance.\n\nConfiguration comes from environment variables (see .env.example): \
                  FIRESTORE_PROJECT_ID, FIRESTORE_EMULATOR_HOST, BASE_URL, BIND_ADDR, SECRET_KEY, EXPECTED_LESSONS, TIMEZONE."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the web app, configured from the environment.
    Serve,
    /// Start a Firestore emulator, create a demo lecturer with a unit and an open session, and serve.
    Dev(dev::DevArgs),
    /// Manage lecturer accounts (needs FIRESTORE_PROJECT_ID, and FIRESTORE_EMULATOR_HOST for an emulator).
    Lecturer {
        #[command(subcommand)]
        command: LecturerCommand,
    },
}

/// Where a command reads passwords from and writes what it reports.
pub struct Console<'a> {
    pub stdin: &'a mut dyn BufRead,
    pub stdout: &'a mut dyn Write,
    /// Whether stdin is a terminal (so a password can be prompted for without echo).
    pub interactive: bool,
}

pub async fn run(cli: Cli, vars: &Vars, console: &mut Console<'_>) -> anyhow::Result<()> {
    match cli.command {
        Command::Serve => {
            let config = Config::from_vars(vars)?;
            let app = Application::build(&config).await?;
            tracing::info!(address = %app.local_addr()?, base_url = config.app.base_url.as_str(), "serving");
            app.run_until_stopped().await?;
            Ok(())
        }
        Command::Dev(args) => dev::run(args, vars, console).await,
        Command::Lecturer { command } => lecturer::run(command, vars, console).await,
    }
}
