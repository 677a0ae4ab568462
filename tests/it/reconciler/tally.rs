//! The PostgreSQL views are the tally's mirror: a few hundred generated marks (every status,
//! removals, cancelled and future lectures, two units), then every figure of the app's tally
//! (`model::TermTally`, `model::LectureTally`, the dashboard's counts) against the views'.

use std::collections::BTreeMap;

use attendance::domain::{AcademicYear, AdmissionNumber, ExpectedLessons, Reason, Semester, Term};
use attendance::model::{Correction, LectureTally, MarkState, MarkStatus, Session, TermTally, Unit};
use jiff::ToSpan;
use jiff::civil::time;
use reconciler::RunOptions;
use sqlx::Row;

use super::{Setup, run};
use crate::fixtures::*;

/// A small deterministic generator (xorshift64*): the same marks on every run.
struct Dice(u64);

impl Dice {
    fn roll(&mut self, sides: u64) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) % sides
    }
}

/// Ten lectures of `code` in `term`, on distinct days from three weeks ago to three weeks on
/// (never today, so "started" cannot depend on the instant each side looks).
async fn lectures(setup: &Setup, code: &str, term: Term, dice: &mut Dice) -> Vec<Session> {
    let today = jiff::Zoned::now().date();
    let mut days: Vec<i64> = (1..=21).flat_map(|d| [d, -d]).collect();
    let mut sessions = Vec::new();
    for _ in 0..10 {
        let day = days.remove(dice.roll(days.len() as u64) as usize);
        let hour = 8 + dice.roll(8) as i8;
        let mut new = new_session(code, "jkamau", today, hour);
        new.date = attendance::domain::LectureDate::try_from(today.checked_add(day.days()).expect("date"))
            .expect("date");
        new.term = term;
        new.times =
            attendance::domain::TimeRange::new(time(hour, 0, 0, 0), time(hour + 1, 0, 0, 0)).expect("times");
        sessions.push(setup.fs.store.create_session(&new).await.expect("session"));
    }
    sessions
}

/// Marks for a random two thirds of 30 students in each lecture: scans (present, late), the
/// lecturer's excused and absent, some removed.
async fn marks(setup: &Setup, sessions: &[Session], dice: &mut Dice) -> usize {
    let store = &setup.fs.store;
    let by = username("jkamau");
    let mut made = 0;
    for session in sessions {
        for student in 1..=30 {
            if dice.roll(3) == 0 {
                continue;
            }
            let number = format!("ADM/{student:03}");
            let admission = AdmissionNumber::parse(&number).expect("adm");
            let correction = |to, reason: Option<&str>| Correction {
                admission_number: admission.clone(),
                student_name: Some(
                    attendance::domain::StudentName::parse(&format!("Student {student}")).expect("name"),
                ),
                to,
                reason: reason.map(|r| Reason::parse(r).expect("reason")),
            };
            match dice.roll(10) {
                0..=4 => {
                    let mut scan = mark(&number, &format!("Student {student}"));
                    if dice.roll(3) == 0 {
                        scan.status = MarkStatus::Late;
                    }
                    store.mark_attendance(session, &scan).await.expect("scan");
                }
                5 | 6 => {
                    let excused = correction(MarkState::Marked(MarkStatus::Excused), None);
                    store
                        .correct_mark(session, &excused, &by, ExpectedLessons::DEFAULT)
                        .await
                        .expect("excused");
                }
                7 | 8 => {
                    let absent = correction(MarkState::Marked(MarkStatus::Absent), None);
                    store
                        .correct_mark(session, &absent, &by, ExpectedLessons::DEFAULT)
                        .await
                        .expect("absent");
                }
                _ => {
                    store
                        .mark_attendance(session, &mark(&number, &format!("Student {student}")))
                        .await
                        .expect("scan");
                    let removed = correction(MarkState::Removed, Some("a proxy mark"));
                    store
                        .correct_mark(session, &removed, &by, ExpectedLessons::DEFAULT)
                        .await
                        .expect("removed");
                }
            }
            made += 1;
        }
    }
    made
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 0.005
}

#[tokio::test]
async fn the_views_compute_every_figure_the_tally_computes() {
    let setup = Setup::new().await;
    let store = &setup.fs.store;
    store
        .create_lecturer(&new_lecturer("jkamau", "STF/001"), &attendance::model::Actor::CommandLine)
        .await
        .expect("lecturer");
    let year = AcademicYear::containing(jiff::Zoned::now().date(), attendance::domain::YearStart::default())
        .expect("year");
    let term = Term { year, semester: Semester::One };
    let mut dice = Dice(0x5EED_7A11_4C0F_FEE5);
    let mut units = Vec::new();
    let mut made = 0;
    for code in ["CS101", "MATH201"] {
        store.create_unit(&new_unit(code, "jkamau")).await.expect("unit");
        let sessions = lectures(&setup, code, term, &mut dice).await;
        made += marks(&setup, &sessions, &mut dice).await;
        for session in sessions.iter().filter(|_| dice.roll(5) == 0) {
            store.set_session_cancelled(session, true).await.expect("cancel");
        }
        units.push(
            store
                .unit(&attendance::domain::UnitCode::parse(code).expect("code"))
                .await
                .expect("read")
                .expect("unit"),
        );
    }
    assert!(made > 250, "a few hundred marks: {made}");
    run(&setup.reconciler(&[]).await, RunOptions::default()).await;

    let (now, tz) = (jiff::Timestamp::now(), jiff::tz::TimeZone::UTC);
    let (mut students, mut seen) = (0, [0; 7]);
    for unit in &units {
        let sessions = store.sessions_of_unit(&unit.code, term).await.expect("sessions");
        let records = store.attendance_of_unit_term(&unit.code, term).await.expect("marks");
        let tally = TermTally::of(&sessions, &records, &Default::default(), now, &tz);
        students += compare_students(&setup, unit, term, &tally).await;
        for (total, n) in seen.iter_mut().zip(compare_lectures(&setup, &sessions, now, &tz).await) {
            *total += n;
        }
    }
    assert_eq!(students, 60, "every student of both units compared");
    let [present, late, excused, absent, removed, held, cancelled] = seen;
    // The generated record has every case in it, or the comparison proves little.
    assert!(present > 0 && late > 0 && excused > 0 && absent > 0 && removed > 0, "{seen:?}");
    assert!(
        held > 0 && held + cancelled < 20 && cancelled > 0,
        "held, future and cancelled lectures: {seen:?}"
    );
}

/// Every student's figures: `attendance_percentages` against the tally.
async fn compare_students(setup: &Setup, unit: &Unit, term: Term, tally: &TermTally) -> usize {
    let rows = sqlx::query(
        "SELECT admission_number, attended, held, percentage::float8, attended_of_held::float8, at_risk
         FROM attendance_percentages WHERE unit_code = $1 AND academic_year = $2 AND semester = $3",
    )
    .bind(unit.code.as_str())
    .bind(term.year.to_string())
    .bind(i16::from(term.semester.number()))
    .fetch_all(&setup.db.pool)
    .await
    .expect("percentages");
    let sql: BTreeMap<String, _> = rows
        .iter()
        .map(|r| {
            let figures: (i64, i64, Option<f64>, Option<f64>, bool) =
                (r.get(1), r.get(2), r.get(3), r.get(4), r.get(5));
            (r.get::<String, _>(0), figures)
        })
        .collect();
    let ours: BTreeMap<String, _> =
        tally.students.iter().map(|(key, t)| (key.admission_number().to_string(), *t)).collect();
    assert_eq!(
        sql.keys().collect::<Vec<_>>(),
        ours.keys().collect::<Vec<_>>(),
        "{}: the same students",
        unit.code
    );
    for (number, standing) in &ours {
        let (attended, held, percentage, of_held, at_risk) = sql[number];
        let context = format!("{} {number}: sql {:?}, tally {standing:?}", unit.code, sql[number]);
        assert_eq!((attended as u64, held as u64), (standing.attended, standing.held), "{context}");
        assert!(close(percentage.unwrap_or(0.0), standing.percentage(unit.expected_lessons)), "{context}");
        match (of_held, standing.of_held()) {
            (Some(a), Some(b)) => assert!(close(a, b), "{context}"),
            (a, b) => assert_eq!(a, b, "{context}"),
        }
        assert_eq!(at_risk, standing.at_risk(unit.risk_threshold), "{context}");
    }
    ours.len()
}

/// Every lecture's counts: `session_attendance` against the tally and the dashboard's count.
/// Returns what was compared: every status's count and the lectures held and cancelled.
async fn compare_lectures(
    setup: &Setup,
    sessions: &[Session],
    now: jiff::Timestamp,
    tz: &jiff::tz::TimeZone,
) -> [usize; 7] {
    let mut seen = [0; 7];
    let dashboard = setup.fs.store.attended_counts(sessions, now, tz).await.expect("dashboard counts");
    for (session, shown) in sessions.iter().zip(dashboard) {
        // Removed marks included: the session page counts them too.
        let marks = setup.fs.store.marks_of_session(session.id).await.expect("marks");
        let tally = LectureTally::count(&marks, &Default::default());
        let row = sqlx::query(
            "SELECT attendance_count, late_count, excused_count, absent_count, removed_count, held, cancelled
             FROM session_attendance WHERE session_id = $1",
        )
        .bind(session.id.as_uuid())
        .fetch_one(&setup.db.pool)
        .await
        .expect("session row");
        let sql: (i64, i64, i64, i64, i64, bool, bool) =
            (row.get(0), row.get(1), row.get(2), row.get(3), row.get(4), row.get(5), row.get(6));
        let ours = (
            tally.attended() as i64,
            tally.late as i64,
            tally.excused as i64,
            tally.marked_absent as i64,
            tally.removed as i64,
            session.is_held(now, tz),
            session.cancelled,
        );
        assert_eq!(sql, ours, "{} {}", session.unit_code, session.number);
        assert_eq!(
            shown,
            tally.attended() as u64,
            "the dashboard's count of {} {}",
            session.unit_code,
            session.number
        );
        let counted =
            [tally.present - tally.late, tally.late, tally.excused, tally.marked_absent, tally.removed];
        for (total, n) in seen.iter_mut().zip(counted) {
            *total += n;
        }
        seen[5] += usize::from(session.is_held(now, tz));
        seen[6] += usize::from(session.cancelled);
    }
    seen
}
