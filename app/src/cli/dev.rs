//! `attendance dev`: everything a newcomer needs on one machine, with nothing to configure.
//! Data lives in the emulator's memory and is gone when the command stops.

use std::net::SocketAddr;

use anyhow::Context;
use clap::Args;

use super::Console;
use crate::auth::password::hash_password;
use crate::config::{AppSettings, BaseUrl, Config, SecretKey, Vars};
use crate::domain::*;
use crate::emulator::Emulator;
use crate::model::{NewLecturer, NewSession, NewUnit};
use crate::samples;
use crate::startup::Application;
use crate::store::{FirestoreSettings, Store};

const RULES: &str = include_str!("../../../firestore.rules");
const DEMO_USER: &str = "demo";
const DEMO_PASSWORD: &str = "attendance-demo";

#[derive(Debug, Args)]
pub struct DevArgs {
    /// Port for the web app (0 picks a free one; the address is printed).
    #[arg(long, default_value_t = 8000)]
    pub port: u16,
    /// Seconds each rotating QR code is shown for.
    #[arg(long, default_value_t = 15)]
    pub qr_rotation_secs: i64,
    /// Stop when stdin closes (for test harnesses: the app dies with the process that started it).
    #[arg(long)]
    pub stop_with_stdin: bool,
    /// Port for the Firestore emulator (a free one when omitted).
    #[arg(long)]
    pub emulator_port: Option<u16>,
}

pub async fn run(args: DevArgs, _vars: &Vars, console: &mut Console<'_>) -> anyhow::Result<()> {
    let dir = std::env::temp_dir().join(format!("attendance-dev-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let rules = dir.join("firestore.rules");
    std::fs::write(&rules, RULES)?;
    let log = dir.join("emulator.log");
    writeln!(console.stdout, "Starting the Firestore emulator (log: {}) ...", log.display())?;
    let emulator = Emulator::start(args.emulator_port, &rules, &log).await?;

    let listener =
        tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], args.port))).await.with_context(
            || format!("port {} is in use; pass --port with another one (or 0 for any)", args.port),
        )?;
    let bind_addr = listener.local_addr()?;
    let base_url = BaseUrl::parse(&format!("http://{bind_addr}")).context("base URL")?;
    let timezone = jiff::tz::TimeZone::system();
    let config = Config {
        firestore: FirestoreSettings::emulator("demo-attendance", emulator.host()),
        bind_addr,
        app: {
            // The shipped defaults, from the same loader `serve` uses.
            let vars = Vars::from_pairs([
                ("BASE_URL".to_owned(), base_url.as_str().to_owned()),
                ("SECRET_KEY".to_owned(), SecretKey::generate()),
            ]);
            let mut app = AppSettings::from_vars(&vars)?;
            app.timezone = timezone.clone();
            app.qr_rotation_secs = args.qr_rotation_secs.clamp(2, 300);
            app
        },
    };
    let app = Application::build_on(listener, &config).await?;
    let store = Store::connect(&config.firestore).await?;
    let session = seed(&store, &timezone).await?;

    writeln!(console.stdout)?;
    writeln!(
        console.stdout,
        "QR Attendance is running in development mode (data is kept in memory until you stop it)."
    )?;
    writeln!(console.stdout, "  Open:       {}", base_url.join("/"))?;
    writeln!(console.stdout, "  Log in as:  username {DEMO_USER}  password {DEMO_PASSWORD}")?;
    writeln!(console.stdout, "  Try a scan: {}", base_url.join(&format!("/attend/{session}/")))?;
    writeln!(
        console.stdout,
        "  Emulator:   FIRESTORE_EMULATOR_HOST={} FIRESTORE_PROJECT_ID=demo-attendance",
        emulator.host()
    )?;
    writeln!(console.stdout, "Press Ctrl-C to stop.")?;
    console.stdout.flush()?;

    if args.stop_with_stdin {
        app.run_until(async {
            tokio::select! {
                () = crate::startup::shutdown_signal() => {},
                () = stdin_closed() => {},
            }
        })
        .await?;
    } else {
        app.run_until_stopped().await?;
    }
    emulator.stop();
    Ok(())
}

/// Resolves when stdin reaches its end. A detached thread does the blocking read, so a
/// process stopped by a signal exits without waiting for it (Tokio's stdin would hold it).
async fn stdin_closed() {
    let (closed, wait) = tokio::sync::oneshot::channel();
    std::thread::spawn(move || {
        let mut sink = std::io::sink();
        let _ = std::io::copy(&mut std::io::stdin().lock(), &mut sink);
        let _ = closed.send(());
    });
    let _ = wait.await;
}

/// A demo lecturer with one unit and a lecture on now, so every page has something to show.
async fn seed(store: &Store, timezone: &jiff::tz::TimeZone) -> anyhow::Result<SessionId> {
    let password = Password::parse(DEMO_PASSWORD)?;
    let demo = NewLecturer {
        full_name: FullName::parse("Dr. Demo Lecturer")?,
        email: Email::parse("demo@university.example")?,
        department: Department::parse("Computer Science")?,
        // The demo lecturer administers the department too, so /admin/ can be tried.
        admin: true,
        ..samples::lecturer(DEMO_USER, "STF/0001", hash_password(&password).await?)?
    };
    store.create_lecturer(&demo, &crate::model::Actor::CommandLine).await?;
    let unit = NewUnit {
        description: UnitDescription::parse("Demo unit created by `attendance dev`.")?,
        ..samples::unit("CS101", DEMO_USER)?
    };
    store.create_unit(&unit).await?;
    // From the top of this hour for two hours (to the end of the day late at night), in the
    // machine's own time zone: the window is open as soon as the demo starts.
    let now = jiff::Zoned::now().with_time_zone(timezone.clone());
    let start = jiff::civil::time(now.hour(), 0, 0, 0);
    let end = jiff::civil::time((now.hour() + 2).min(23), if now.hour() >= 22 { 59 } else { 0 }, 0, 0);
    let term =
        Term { year: AcademicYear::containing(now.date(), YearStart::default())?, semester: Semester::One };
    let lecture = NewSession {
        venue: Venue::parse("Lecture Theatre 1")?,
        lecturer_name: demo.full_name.clone(),
        class_year: ClassYear::parse("1")?,
        ..samples::session("CS101", DEMO_USER, term, now.date(), start, end)?
    };
    Ok(store.create_session(&lecture).await?.id)
}
