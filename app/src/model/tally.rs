//! The attendance tally: the one definition of present, late, excused, absent, held, attended
//! and at risk. The session page, the unit matrix, the student page, the department report and
//! the dashboard's counts all take their figures from here; the PostgreSQL views
//! (`counts_as_attended`, `lectures_held`, `attendance_percentages`, `session_attendance`) are
//! its mirror, and a test computes both on the same generated marks and compares every figure.
//!
//! The rules:
//! - a mark counts as attended when it is present, late or excused ([`MarkStatus::counts_as_attended`]);
//!   absent and removed marks do not;
//! - a lecture is held once its start time has passed (in `TIMEZONE`); a cancelled lecture
//!   never is ([`Session::is_held`]);
//! - a student attended the lectures held in which their mark counts as attended: a mark made
//!   in the window before the start, or an excused absence granted in advance, counts once
//!   the lecture is held, so attended never exceeds held;
//! - a student is at risk under the unit's threshold of the lectures held (never before one).

use std::collections::{BTreeMap, BTreeSet};

use jiff::Timestamp;
use jiff::tz::TimeZone;

use super::{AttendanceRecord, ClassList, MarkStatus, Session};
use crate::domain::{AdmissionKey, ExpectedLessons, RiskThreshold, SessionId};

/// One lecture's counts, against its class list.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LectureTally {
    /// Marked present or late.
    pub present: usize,
    pub late: usize,
    pub excused: usize,
    /// Marked absent by the lecturer.
    pub marked_absent: usize,
    /// On the class list without a mark that stands (none, or removed).
    pub unmarked: usize,
    /// Taken off the list by the lecturer.
    pub removed: usize,
    /// Marks that stand for students not on the class list (only when there is a list).
    pub not_on_list: usize,
    /// Marks that arrived through a retry after a Firestore outage.
    pub retried: usize,
}

impl LectureTally {
    /// The counts of one lecture's `marks` (removed ones included) against `list`.
    pub fn count<'a>(marks: impl IntoIterator<Item = &'a AttendanceRecord>, list: &ClassList) -> Self {
        let mut tally = Self::default();
        let mut standing = BTreeSet::new();
        for mark in marks {
            let Some(status) = mark.effective_status() else {
                tally.removed += 1;
                continue;
            };
            match status {
                MarkStatus::Present => tally.present += 1,
                MarkStatus::Late => {
                    tally.present += 1;
                    tally.late += 1;
                }
                MarkStatus::Excused => tally.excused += 1,
                MarkStatus::Absent => tally.marked_absent += 1,
            }
            if mark.attempted_at.is_some() {
                tally.retried += 1;
            }
            if !list.is_empty() && !list.contains(&mark.admission_number) {
                tally.not_on_list += 1;
            }
            standing.insert(mark.admission_number.key());
        }
        tally.unmarked = list.students.keys().filter(|key| !standing.contains(*key)).count();
        tally
    }

    /// Students who attended: present, late or excused.
    pub fn attended(&self) -> usize {
        self.present + self.excused
    }

    /// Absent: marked so, or listed without a mark.
    pub fn absent(&self) -> usize {
        self.marked_absent + self.unmarked
    }
}

/// One student's standing in a unit and term.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StudentTally {
    /// Lectures held in which the student's mark counts as attended.
    pub attended: u64,
    /// Lectures held.
    pub held: u64,
}

impl StudentTally {
    /// Attended of the unit's expected lessons: the official figure, in percent.
    pub fn percentage(&self, expected: ExpectedLessons) -> f64 {
        percent(self.attended, u64::from(expected.get())).unwrap_or(0.0)
    }

    /// Attended of the lectures held so far, in percent; `None` before one was held.
    pub fn of_held(&self) -> Option<f64> {
        percent(self.attended, self.held)
    }

    pub fn at_risk(&self, threshold: RiskThreshold) -> bool {
        threshold.at_risk(self.attended, self.held)
    }
}

fn percent(part: u64, whole: u64) -> Option<f64> {
    (whole > 0).then(|| 100.0 * part as f64 / whole as f64)
}

/// One lecture of a term in the tally.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LectureHeld {
    pub session: SessionId,
    pub held: bool,
    /// Students who attended it (present, late or excused), held or not yet.
    pub attended: usize,
}

/// A unit's term: its lectures (cancelled ones left out) and every student with a mark that
/// stands or a place on the class list.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TermTally {
    pub lectures: Vec<LectureHeld>,
    pub students: BTreeMap<AdmissionKey, StudentTally>,
}

impl TermTally {
    /// The tally of `sessions` (one unit and term, any order) with their `marks` (removed ones
    /// included) and the class `list`, at `now` in `tz`.
    pub fn of(
        sessions: &[Session],
        marks: &[AttendanceRecord],
        list: &ClassList,
        now: Timestamp,
        tz: &TimeZone,
    ) -> Self {
        let mut by_session: BTreeMap<SessionId, Vec<&AttendanceRecord>> = BTreeMap::new();
        for mark in marks {
            by_session.entry(mark.session_id).or_default().push(mark);
        }
        let mut tally = Self::default();
        for key in list.students.keys() {
            tally.students.entry(key.clone()).or_default();
        }
        for session in sessions.iter().filter(|s| !s.cancelled) {
            let marks = by_session.get(&session.id).map_or(&[][..], Vec::as_slice);
            let counted = LectureTally::count(marks.iter().copied(), &ClassList::default());
            let held = session.is_held(now, tz);
            tally.lectures.push(LectureHeld { session: session.id, held, attended: counted.attended() });
            for mark in marks.iter().filter(|m| !m.removed) {
                let student = tally.students.entry(mark.admission_number.key()).or_default();
                if held && mark.status.counts_as_attended() {
                    student.attended += 1;
                }
            }
        }
        let held = tally.held() as u64;
        for student in tally.students.values_mut() {
            student.held = held;
        }
        tally
    }

    /// Lectures held so far.
    pub fn held(&self) -> usize {
        self.lectures.iter().filter(|l| l.held).count()
    }

    /// A student's standing (a student with no mark and not listed: nothing held attended).
    pub fn student(&self, key: &AdmissionKey) -> StudentTally {
        self.students.get(key).copied().unwrap_or(StudentTally { attended: 0, held: self.held() as u64 })
    }

    /// Attended marks over (lectures held × students), in percent: the department report's
    /// average; `None` before a lecture was held or without students.
    pub fn average(&self) -> Option<f64> {
        let attended: u64 = self.students.values().map(|s| s.attended).sum();
        let possible: u64 = self.students.values().map(|s| s.held).sum();
        percent(attended, possible)
    }

    /// Students under `threshold`.
    pub fn at_risk(&self, threshold: RiskThreshold) -> usize {
        self.students.values().filter(|s| s.at_risk(threshold)).count()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{AdmissionNumber, StudentName};
    use crate::model::{Enrolled, Opening, QrMode, Window};
    use jiff::civil::{date, time};

    fn tz() -> TimeZone {
        TimeZone::get("Africa/Nairobi").expect("zone")
    }

    fn lecture(day: i8, cancelled: bool) -> Session {
        let times = crate::domain::TimeRange::new(time(10, 0, 0, 0), time(11, 0, 0, 0)).expect("times");
        let on = date(2025, 9, day);
        Session {
            id: SessionId::new_random(),
            unit_code: crate::domain::UnitCode::parse("CS101").expect("code"),
            lecturer: crate::domain::Username::parse("jkamau").expect("user"),
            term: crate::samples::term(),
            number: crate::domain::SessionNumber::try_from(i64::from(day)).expect("number"),
            date: on,
            times,
            venue: crate::domain::Venue::parse("LT 2").expect("venue"),
            lecturer_name: crate::domain::FullName::parse("Dr. Jane Kamau").expect("name"),
            class_year: crate::domain::ClassYear::parse("2").expect("year"),
            opening: Opening::FollowWindow,
            cancelled,
            window: Window::default_for(on, times),
            qr_mode: QrMode::Static,
            late_after: crate::domain::LateAfter::DEFAULT,
            attended_count: None,
            stamps: crate::model::Stamps::default(),
            revision: None,
            created_at: None,
            updated_at: None,
        }
    }

    fn mark(session: &Session, number: &str, status: MarkStatus, removed: bool) -> AttendanceRecord {
        let record = crate::samples::record(number, status).expect("record");
        AttendanceRecord { session_id: session.id, number: session.number, removed, ..record }
    }

    fn listed(numbers: &[&str]) -> ClassList {
        let mut list = ClassList::default();
        for number in numbers {
            let admission_number = AdmissionNumber::parse(number).expect("adm");
            let name = StudentName::parse("Listed").expect("name");
            list.students.insert(admission_number.key(), Enrolled { admission_number, name, email: None });
        }
        list
    }

    /// 2025-09-03 at noon in Nairobi: lectures on the 1st and 2nd have started, the 4th has not.
    fn noon_on_the_third() -> Timestamp {
        date(2025, 9, 3).at(12, 0, 0, 0).to_zoned(tz()).expect("zoned").timestamp()
    }

    #[test]
    fn a_lecture_counts_each_status_once_against_its_list() {
        let s = lecture(1, false);
        let marks = [
            mark(&s, "ADM/1", MarkStatus::Present, false),
            mark(&s, "ADM/2", MarkStatus::Late, false),
            mark(&s, "ADM/3", MarkStatus::Excused, false),
            mark(&s, "ADM/4", MarkStatus::Absent, false),
            mark(&s, "ADM/5", MarkStatus::Present, true),
            mark(&s, "ADM/9", MarkStatus::Present, false),
        ];
        let tally =
            LectureTally::count(&marks, &listed(&["ADM/1", "ADM/2", "ADM/3", "ADM/4", "ADM/5", "ADM/6"]));
        assert_eq!((tally.present, tally.late, tally.excused, tally.marked_absent), (3, 1, 1, 1));
        assert_eq!(
            (tally.unmarked, tally.removed, tally.not_on_list),
            (2, 1, 1),
            "ADM/5 removed, ADM/6 never"
        );
        assert_eq!((tally.attended(), tally.absent()), (4, 3));
    }

    #[test]
    fn a_term_counts_what_students_attended_of_the_lectures_held() {
        let (held, cancelled, future) = (lecture(1, false), lecture(2, true), lecture(4, false));
        let marks = [
            mark(&held, "ADM/1", MarkStatus::Late, false),
            mark(&held, "ADM/2", MarkStatus::Absent, false),
            mark(&cancelled, "ADM/1", MarkStatus::Present, false),
            // Excused in advance, and present in the window before the start: they count once
            // the lecture is held, not before.
            mark(&future, "ADM/2", MarkStatus::Excused, false),
            mark(&future, "ADM/4", MarkStatus::Present, false),
            mark(&held, "ADM/3", MarkStatus::Present, true),
        ];
        let sessions = [held.clone(), cancelled, future];
        let tally = TermTally::of(&sessions, &marks, &listed(&["ADM/4"]), noon_on_the_third(), &tz());
        assert_eq!(tally.held(), 1);
        assert_eq!(tally.lectures.len(), 2, "cancelled left out");
        assert_eq!(tally.lectures[1].attended, 2, "its attended marks, held or not");
        let key = |n: &str| AdmissionNumber::parse(n).expect("adm").key();
        assert_eq!(tally.student(&key("ADM/1")), StudentTally { attended: 1, held: 1 });
        assert_eq!(tally.student(&key("ADM/2")), StudentTally { attended: 0, held: 1 });
        assert_eq!(tally.student(&key("ADM/4")), StudentTally { attended: 0, held: 1 }, "listed, no mark");
        assert!(!tally.students.contains_key(&key("ADM/3")), "only a removed mark");
        assert_eq!(tally.at_risk(RiskThreshold::DEFAULT), 2);
        assert_eq!(tally.average(), Some(100.0 / 3.0));
        let one = tally.student(&key("ADM/1"));
        assert_eq!(one.of_held(), Some(100.0));
        assert!((one.percentage(ExpectedLessons::DEFAULT) - 100.0 / 12.0).abs() < 1e-9);
    }

    #[test]
    fn nothing_held_puts_no_one_at_risk() {
        let future = lecture(4, false);
        let marks = [mark(&future, "ADM/1", MarkStatus::Excused, false)];
        let tally = TermTally::of(&[future], &marks, &ClassList::default(), noon_on_the_third(), &tz());
        assert_eq!(tally.held(), 0);
        assert_eq!(tally.at_risk(RiskThreshold::DEFAULT), 0);
        assert_eq!(tally.average(), None);
    }
}
