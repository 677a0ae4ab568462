use std::io::IsTerminal;

use clap::Parser;

use attendance::cli::{Cli, Console, run};
use attendance::config::Vars;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    attendance::telemetry::init("info,attendance=info");
    let cli = Cli::parse();
    let interactive = std::io::stdin().is_terminal();
    // Not a held lock: `attendance dev --stop-with-stdin` reads stdin from another task.
    let mut stdin = std::io::BufReader::new(std::io::stdin());
    let mut console = Console { stdin: &mut stdin, stdout: &mut std::io::stdout(), interactive };
    match run(cli, &Vars::from_process(), &mut console).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
