//! The student × lecture attendance matrix of a unit and term, and its bar chart.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::domain::{AdmissionKey, Term};
use crate::model::{AttendanceRecord, ClassList, MarkStatus, Session, TermTally, Unit};
use crate::store::{Store, StoreError};
use crate::web::view::{lecture_label, percentage};

#[derive(Debug, Serialize)]
pub struct Lecture {
    pub number: u8,
    pub label: String,
    pub date: String,
    /// Students who attended (present, late or excused).
    pub count: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct StudentRow {
    /// The admission number's URL-safe form, for the student's page.
    pub key: String,
    pub admission_number: String,
    pub name: String,
    /// Per lecture: the mark's status, `None` without a mark.
    #[serde(skip)]
    pub statuses: Vec<Option<MarkStatus>>,
    /// The same as the template's CSS classes: a status's name, or `none`.
    pub cells: Vec<&'static str>,
    pub attended: usize,
    /// Of the unit's expected lessons (the official figure), two decimals.
    pub percentage: String,
    /// Of the lectures held so far.
    pub percentage_of_held: String,
    pub at_risk: bool,
    pub on_list: bool,
}

#[derive(Debug, Serialize)]
pub struct Matrix {
    pub lectures: Vec<Lecture>,
    pub students: Vec<StudentRow>,
    pub expected_lessons: u32,
    /// Lectures held (see `model::tally`).
    pub held: usize,
}

/// The matrix of `unit` in one term: `sessions` in lecture order (cancelled ones left out),
/// `records` of the same unit and term, every student of the class list and everyone who
/// marked; the figures are the tally's (`model::TermTally`).
pub fn build(
    unit: &Unit,
    sessions: &[Session],
    records: &[AttendanceRecord],
    list: &ClassList,
    now: jiff::Timestamp,
    tz: &jiff::tz::TimeZone,
) -> Matrix {
    let tally = TermTally::of(sessions, records, list, now, tz);
    let sessions: Vec<&Session> = sessions.iter().filter(|s| !s.cancelled).collect();
    let column: BTreeMap<_, _> = sessions.iter().enumerate().map(|(i, s)| (s.id, i)).collect();
    let lectures: Vec<Lecture> = sessions
        .iter()
        .zip(&tally.lectures)
        .map(|(s, counted)| Lecture {
            number: s.number.get(),
            label: lecture_label(s),
            date: s.date.to_string(),
            count: counted.attended,
        })
        .collect();
    // By admission key: (number, name, marked-at of that name, statuses).
    type Entry = (String, String, Option<crate::domain::Instant>, Vec<Option<MarkStatus>>);
    let mut students: BTreeMap<AdmissionKey, Entry> = BTreeMap::new();
    for s in list.students.values() {
        let cells = vec![None; sessions.len()];
        students.insert(
            s.admission_number.key(),
            (s.admission_number.to_string(), s.name.to_string(), None, cells),
        );
    }
    for record in records.iter().filter(|r| !r.removed) {
        let Some(&col) = column.get(&record.session_id) else { continue };
        let entry = students.entry(record.admission_number.key()).or_insert_with(|| {
            (
                record.admission_number.to_string(),
                record.student_name.to_string(),
                Some(record.marked_at),
                vec![None; sessions.len()],
            )
        });
        // The class list's name wins; otherwise the latest name marked.
        if entry.2.is_some_and(|at| record.marked_at >= at) {
            entry.1 = record.student_name.to_string();
            entry.2 = Some(record.marked_at);
        }
        entry.3[col] = Some(record.status);
    }
    let students = students
        .into_iter()
        .map(|(key, (admission_number, name, _, statuses))| {
            let standing = tally.student(&key);
            StudentRow {
                on_list: list.students.contains_key(&key),
                key: key.as_str().to_owned(),
                admission_number,
                name,
                percentage: percentage(standing.attended, u64::from(unit.expected_lessons.get())),
                percentage_of_held: percentage(standing.attended, standing.held),
                at_risk: standing.at_risk(unit.risk_threshold),
                cells: statuses.iter().map(|s| s.map_or("none", MarkStatus::as_str)).collect(),
                statuses,
                attended: standing.attended as usize,
            }
        })
        .collect();
    Matrix { lectures, students, expected_lessons: unit.expected_lessons.get(), held: tally.held() }
}

/// One unit's term as the pages read it: its sessions, marks and class list.
pub struct UnitTerm {
    pub unit: Unit,
    pub term: Term,
    pub sessions: Vec<Session>,
    pub records: Vec<AttendanceRecord>,
    pub list: ClassList,
}

impl UnitTerm {
    /// Three reads at once: the sessions, every mark and the class list of `unit` in `term`.
    pub async fn read(store: &Store, unit: Unit, term: Term) -> Result<Self, StoreError> {
        let (sessions, records, (list, _)) = tokio::try_join!(
            store.sessions_of_unit(&unit.code, term),
            store.attendance_of_unit_term(&unit.code, term),
            store.class_list(&unit.code, term),
        )?;
        Ok(Self { unit, term, sessions, records, list })
    }

    pub fn matrix(&self, now: jiff::Timestamp, tz: &jiff::tz::TimeZone) -> Matrix {
        build(&self.unit, &self.sessions, &self.records, &self.list, now, tz)
    }
}

/// A bar chart of attendance per lecture, as an inline `<svg>` (no chart library in the
/// browser). It always has a slot for each of a term's 13 lectures, so charts of different
/// terms compare at a glance and one lecture does not fill the page.
pub fn chart_svg(lectures: &[Lecture]) -> String {
    const SLOT: usize = 48;
    const BAR: usize = 34;
    const HEIGHT: usize = 160;
    const TOP: usize = 22;
    const BOTTOM: usize = 26;
    let slots = usize::from(crate::domain::SessionNumber::MAX).max(lectures.len());
    let max = lectures.iter().map(|l| l.count).max().unwrap_or(0).max(1);
    let width = slots * SLOT + 8;
    let total = HEIGHT + TOP + BOTTOM;
    let summary: Vec<String> = lectures.iter().map(|l| format!("Lec {}: {}", l.number, l.count)).collect();
    let mut svg = format!(
        r#"<svg class="chart" width="{width}" height="{total}" viewBox="0 0 {width} {total}" role="img" aria-label="Attendance per lecture. {}"><title>Attendance per lecture</title><line class="axis" x1="4" y1="{}" x2="{}" y2="{}"/>"#,
        summary.join(", "),
        TOP + HEIGHT,
        width - 4,
        TOP + HEIGHT
    );
    for lecture in lectures {
        let slot = usize::from(lecture.number.max(1)) - 1;
        let x = 8 + slot * SLOT + (SLOT - BAR) / 2 - 4;
        let h = (lecture.count * HEIGHT / max).max(usize::from(lecture.count > 0));
        let y = TOP + HEIGHT - h;
        svg.push_str(&format!(
            r#"<rect class="bar" x="{x}" y="{y}" width="{BAR}" height="{h}" rx="3"/><text x="{}" y="{}" text-anchor="middle">{}</text>"#,
            x + BAR / 2,
            y - 6,
            lecture.count,
        ));
    }
    for slot in 0..slots {
        let x = 8 + slot * SLOT + SLOT / 2 - 4;
        svg.push_str(&format!(
            r#"<text x="{x}" y="{}" text-anchor="middle">L{}</text>"#,
            TOP + HEIGHT + 18,
            slot + 1
        ));
    }
    svg.push_str("</svg>");
    svg
}
