//! The lecturer's pages at class size: a lecturer with three units of 100, 300 and 1,000
//! students and 13 past lectures each (18,200 marks), every student on a class list.
//!
//! Printed next to a plain store read of the same documents in the same run:
//! - the dashboard with 1,000 marks and with 18,200 (goal: ≤ 1.2×, its cost does not grow
//!   with the marks), and apart from them its first view, which settles the lectures' counts;
//! - the unit page, its CSV, and the session page of the 1,000-student unit against reading
//!   their documents (goal: ≤ 1.5×), with the size of the HTML.
//!
//! A missed goal fails the run.

use std::time::{Duration, Instant};

use attendance::domain::*;
use attendance::emulator::Emulator;
use attendance::model::{ClassList, Enrolled, Session};
use attendance::store::{ListVersion, Store};
use futures::{StreamExt, TryStreamExt};
use harness::{AppOptions, TestFirestore, spawn_app_on_with};

#[derive(clap::Args)]
pub struct Args {
    /// Timed repetitions of each page (the median is printed).
    #[arg(long, default_value_t = 15)]
    pub repeat: usize,
}

const UNITS: [(&str, usize); 3] = [("CS100", 100), ("CS300", 300), ("CS1000", 1000)];
const LECTURES: i8 = 13;

fn term() -> anyhow::Result<Term> {
    Ok(Term { year: AcademicYear::parse("2025/2026")?, semester: Semester::One })
}

/// Unit `code` of `lecturer` with weekly lectures from 1 September 2025 at 08:00 (long over:
/// their counts settle).
async fn unit_with_lectures(store: &Store, lecturer: &str, code: &str) -> anyhow::Result<Vec<Session>> {
    let owner = Username::parse(lecturer)?;
    store
        .create_unit(&attendance::model::NewUnit { lecturer: owner.clone(), ..crate::fixtures::unit(code)? })
        .await?;
    let mut sessions = Vec::new();
    for week in 0..LECTURES {
        let date = jiff::civil::date(2025, 9, 1).checked_add(jiff::Span::new().weeks(i64::from(week)))?;
        let new = crate::fixtures::session(&UnitCode::parse(code)?, term()?, date, 8, 2)?;
        sessions.push(
            store.create_session(&attendance::model::NewSession { lecturer: owner.clone(), ..new }).await?,
        );
    }
    Ok(sessions)
}

async fn class_list(store: &Store, code: &str, students: usize) -> anyhow::Result<()> {
    let mut list = ClassList::default();
    for i in 0..students {
        let admission_number = AdmissionNumber::parse(&format!("{code}/{i:04}"))?;
        let name = StudentName::parse(&format!("Student {i}"))?;
        list.students.insert(admission_number.key(), Enrolled { admission_number, name, email: None });
    }
    let (_, version) = store.class_list(&UnitCode::parse(code)?, term()?).await?;
    store.save_class_list(&UnitCode::parse(code)?, term()?, &list, &version, None).await?;
    let _: ListVersion = version;
    Ok(())
}

/// Marks `students` of `code` in each of `sessions`, 32 commits in flight.
async fn mark_all(store: &Store, code: &str, sessions: &[Session], students: usize) -> anyhow::Result<()> {
    let jobs = sessions.iter().flat_map(|s| (0..students).map(move |i| (s, i)));
    futures::stream::iter(jobs)
        .map(|(session, i)| async move {
            store.mark_attendance(session, &crate::fixtures::mark(&format!("{code}/{i:04}"), i)?).await?;
            anyhow::Ok(())
        })
        .buffer_unordered(32)
        .try_collect::<Vec<()>>()
        .await?;
    Ok(())
}

/// The median of `repeat` runs of `job` (after one untimed run).
async fn median<F, Fut, T>(repeat: usize, job: F) -> anyhow::Result<(Duration, T)>
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<T>>,
{
    let mut last = job().await?;
    let mut times = Vec::new();
    for _ in 0..repeat {
        let started = Instant::now();
        last = job().await?;
        times.push(started.elapsed());
    }
    times.sort();
    Ok((times[times.len() / 2], last))
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

pub async fn run(args: Args) -> anyhow::Result<()> {
    // The app's warnings and errors on stderr: a failed page says why.
    attendance::telemetry::init("warn");
    let dir = std::env::temp_dir().join(format!("bench-pages-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let rules = harness::emulator::repo_root().join("firestore.rules");
    let emulator = Emulator::start(None, &rules, &dir.join("emulator.log")).await?;
    let fs = TestFirestore::on(emulator.host()).await;
    let store = fs.store.clone();
    let settings = fs.settings();
    let app = spawn_app_on_with(fs, settings, AppOptions::default()).await;
    let browser = app.logged_in("bench").await;
    app.add_lecturer("small", "correct horse battery").await;
    let small = app.new_browser();
    small.login("small", "correct horse battery").await;
    let get_as = |browser: &harness::Browser, path: String| {
        let browser = browser.clone();
        async move {
            let response = browser.get(&path).await;
            anyhow::ensure!(response.status() == 200, "{path}: HTTP {}", response.status());
            Ok(response.bytes().await?.len())
        }
    };
    let get = |path: String| get_as(browser, path);

    // Two lecturers of the same shape (three units of 100, 300 and 1,000 students on class
    // lists, thirteen lectures each): one with 1,000 marks (ten lectures of the 100), one with
    // 18,200 (every student at every lecture). Only the marks differ.
    let started = Instant::now();
    for (i, (_, students)) in UNITS.into_iter().enumerate() {
        let code = format!("SM{students}");
        let lectures = unit_with_lectures(&store, "small", &code).await?;
        class_list(&store, &code, students).await?;
        if i == 0 {
            mark_all(&store, &code, &lectures[..10], students).await?;
        }
    }
    let mut sessions = Vec::new();
    for (code, students) in UNITS {
        let lectures = unit_with_lectures(&store, "bench", code).await?;
        class_list(&store, code, students).await?;
        mark_all(&store, code, &lectures, students).await?;
        sessions.push(lectures);
    }
    println!("loaded 19,200 marks in {:.0} s", started.elapsed().as_secs_f64());
    // The first view settles the counts of every past lecture (one count each, stored): timed
    // on its own, since every later view reads the stored counts.
    let first = Instant::now();
    get("/dashboard/".into()).await?;
    let first_view = first.elapsed();
    let (dashboard_small, _) = median(args.repeat, || get_as(&small, "/dashboard/".into())).await?;
    let (dashboard_large, dashboard_bytes) = median(args.repeat, || get("/dashboard/".into())).await?;
    let (plain_dashboard, _) = median(args.repeat, || async {
        let user = Username::parse("bench")?;
        let (units, recent) = tokio::try_join!(store.units_of(&user), store.recent_sessions(&user, 30))?;
        Ok(units.len() + recent.len())
    })
    .await?;

    let code = UnitCode::parse("CS1000")?;
    let unit_path = "/unit/CS1000/?year=2025/2026&semester=1".to_owned();
    let (unit_page, unit_bytes) = median(args.repeat, || get(unit_path.clone())).await?;
    let (unit_csv, csv_bytes) =
        median(args.repeat, || get("/unit/CS1000/export.csv?year=2025/2026&semester=1".into())).await?;
    let (plain_unit, _) = median(args.repeat, || async {
        let (unit, sessions, marks, list) = tokio::try_join!(
            store.unit(&code),
            store.sessions_of_unit(&code, term()?),
            store.attendance_of_unit_term(&code, term()?),
            store.class_list(&code, term()?),
        )?;
        Ok(unit.is_some() as usize + sessions.len() + marks.len() + list.0.len())
    })
    .await?;
    let lecture = &sessions[2][6];
    let session_path = format!("/session/{}/", lecture.id);
    let (session_page, session_bytes) = median(args.repeat, || get(session_path.clone())).await?;
    let (plain_session, _) = median(args.repeat, || async {
        let (session, unit, marks, changes, list) = tokio::try_join!(
            store.session(lecture.id),
            store.unit(&code),
            store.marks_of_session(lecture.id),
            store.changes_of_session(lecture.id),
            store.class_list(&code, term()?),
        )?;
        Ok(session.is_some() as usize + unit.is_some() as usize + marks.len() + changes.len() + list.0.len())
    })
    .await?;

    println!(
        "{:<44} {:>9} {:>9} {:>7} {:>9}",
        "page (median of runs)", "page ms", "read ms", "ratio", "bytes"
    );
    let line = |label: &str, page: Duration, read: Duration, bytes: usize| {
        println!(
            "{label:<44} {:>9.1} {:>9.1} {:>6.2}× {:>9}",
            ms(page),
            ms(read),
            page.as_secs_f64() / read.as_secs_f64(),
            bytes
        );
    };
    line("dashboard, 18,200 marks", dashboard_large, plain_dashboard, dashboard_bytes);
    line("unit page, 1,000 students × 13 lectures", unit_page, plain_unit, unit_bytes);
    line("unit CSV, same", unit_csv, plain_unit, csv_bytes);
    line("session page, 1,000 on the list", session_page, plain_session, session_bytes);
    println!(
        "dashboard at 18,200 marks vs 1,000 marks: {:.1} ms vs {:.1} ms; its first view (settling 39 lectures' counts) {:.1} ms",
        ms(dashboard_large),
        ms(dashboard_small),
        ms(first_view),
    );
    let ratio = |a: Duration, b: Duration| a.as_secs_f64() / b.as_secs_f64();
    let mut goals = crate::goals::Goals::default();
    goals.at_most("dashboard, 18,200 marks / 1,000 marks", ratio(dashboard_large, dashboard_small), 1.2);
    goals.at_most("unit page / plain read", ratio(unit_page, plain_unit), 1.5);
    goals.at_most("unit CSV / plain read", ratio(unit_csv, plain_unit), 1.5);
    goals.at_most("session page / plain read", ratio(session_page, plain_session), 1.5);
    emulator.stop();
    goals.finish()
}
