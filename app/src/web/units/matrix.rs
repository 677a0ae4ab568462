//! The student × lecture attendance matrix of a unit and term, and its bar chart.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::domain::AdmissionKey;
use crate::model::{AttendanceRecord, ClassList, MarkStatus, Session, Unit};
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
    /// Lectures that have started and were not cancelled.
    pub held: usize,
}

/// The matrix of `unit` in one term: `sessions` in lecture order (cancelled ones left out),
/// `records` of the same unit and term, every student of the class list and everyone who
/// marked, on the one attended rule.
pub fn build(
    unit: &Unit,
    sessions: &[Session],
    records: &[AttendanceRecord],
    list: &ClassList,
    now: jiff::Timestamp,
    tz: &jiff::tz::TimeZone,
) -> Matrix {
    let sessions: Vec<&Session> = sessions.iter().filter(|s| !s.cancelled).collect();
    let column: BTreeMap<_, _> = sessions.iter().enumerate().map(|(i, s)| (s.id, i)).collect();
    let mut lectures: Vec<Lecture> = sessions
        .iter()
        .map(|s| Lecture {
            number: s.number.get(),
            label: lecture_label(s),
            date: s.date.to_string(),
            count: 0,
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
        if record.status.counts_as_attended() {
            lectures[col].count += 1;
        }
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
    let held = sessions.iter().filter(|s| s.is_held(now, tz)).count();
    let students = students
        .into_iter()
        .map(|(key, (admission_number, name, _, statuses))| {
            let attended = statuses.iter().filter(|s| s.is_some_and(MarkStatus::counts_as_attended)).count();
            StudentRow {
                on_list: list.students.contains_key(&key),
                key: key.as_str().to_owned(),
                admission_number,
                name,
                percentage: percentage(attended as u64, u64::from(unit.expected_lessons.get())),
                percentage_of_held: percentage(attended as u64, held as u64),
                at_risk: unit.at_risk(attended as u64, held as u64),
                cells: statuses.iter().map(|s| s.map_or("none", MarkStatus::as_str)).collect(),
                statuses,
                attended,
            }
        })
        .collect();
    Matrix { lectures, students, expected_lessons: unit.expected_lessons.get(), held }
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
