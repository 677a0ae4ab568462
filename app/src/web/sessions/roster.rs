//! A session's list as the lecturer works with it: the marks (removed ones kept, to restore),
//! the absentees against the class list, the counts, each mark's history, and a search.

use std::collections::BTreeMap;

use jiff::tz::TimeZone;
use serde::Serialize;

use crate::domain::AdmissionKey;
use crate::model::{AttendanceRecord, ClassList, LectureTally, MarkChange, MarkState, MarkStatus};
use crate::web::view::clock;

#[derive(Debug, Serialize)]
pub struct StatusOption {
    pub value: &'static str,
    pub label: &'static str,
    pub selected: bool,
}

/// The statuses a lecturer can choose, with `current` selected.
pub fn options(current: MarkState) -> Vec<StatusOption> {
    MarkStatus::ALL
        .into_iter()
        .map(MarkState::Marked)
        .chain([MarkState::Removed])
        .map(|state| StatusOption { value: state.as_str(), label: state.label(), selected: state == current })
        .collect()
}

#[derive(Debug, Serialize)]
pub struct ChangeView {
    pub when: String,
    pub by: String,
    pub source: &'static str,
    pub from: &'static str,
    pub to: &'static str,
    pub reason: Option<String>,
}

impl ChangeView {
    pub fn new(change: &MarkChange, tz: &TimeZone) -> Self {
        Self {
            when: change.at.to_zoned(tz.clone()).strftime("%-d %b %H:%M").to_string(),
            by: change.by.clone(),
            source: change.source.as_str(),
            from: change.from.label(),
            to: change.to.label(),
            reason: change.reason.clone(),
        }
    }
}

/// A form every row's one-click button submits (`form="<id>"`), so a row is a button, not a
/// form: `restore-present`, `mark-present`, `enrol`, ...
#[derive(Debug, Serialize)]
pub struct QuickAction {
    pub id: String,
    /// Under `/session/<id>/`.
    pub path: &'static str,
    pub status: Option<&'static str>,
}

pub fn quick_actions() -> Vec<QuickAction> {
    let restore = MarkStatus::ALL.into_iter().map(|s| QuickAction {
        id: format!("restore-{}", s.as_str()),
        path: "marks",
        status: Some(s.as_str()),
    });
    restore
        .chain([
            QuickAction {
                id: "mark-present".into(),
                path: "marks",
                status: Some(MarkStatus::Present.as_str()),
            },
            QuickAction { id: "enrol".into(), path: "enrol", status: None },
        ])
        .collect()
}

/// One mark on the lecturer's list.
#[derive(Debug, Serialize)]
pub struct MarkRow {
    /// The admission number's URL-safe form, for the mark's own page.
    pub key: String,
    pub name: String,
    pub admission_number: String,
    pub time: String,
    /// `present`, `late`, `excused`, `absent` or `removed`.
    pub state: &'static str,
    pub label: &'static str,
    pub removed: bool,
    /// What "Restore" sets: the status the mark had before it was removed.
    pub restore_to: &'static str,
    pub by_lecturer: bool,
    /// The name on record when the typed one differs: a likely proxy mark.
    pub known_name: Option<String>,
    /// Marked but not on the class list (only when there is a list).
    pub not_on_list: bool,
    /// For a mark sent again after an outage: when the student tried.
    pub tried_at: Option<String>,
    pub history: Vec<ChangeView>,
    pub history_count: usize,
}

/// A class-list student with no mark in this session.
#[derive(Debug, Serialize)]
pub struct AbsentRow {
    pub key: String,
    pub name: String,
    pub admission_number: String,
}

#[derive(Debug, Serialize)]
pub struct Roster {
    /// Present or late.
    pub present: usize,
    pub late: usize,
    pub excused: usize,
    /// Marked absent, or on the class list without a mark.
    pub absent: usize,
    pub removed: usize,
    /// The class list's size; `None` without a list.
    pub listed: Option<usize>,
    pub not_on_list: usize,
    /// Marks that arrived through a retry after a Firestore outage.
    pub retried: usize,
    pub rows: Vec<MarkRow>,
    pub absentees: Vec<AbsentRow>,
    pub absentees_count: usize,
    /// The search, echoed into its field.
    pub query: String,
    /// How many rows the search hid.
    pub hidden: usize,
}

/// `marks` of one session (removed ones included) with their `changes`, against `list`.
pub fn build(
    marks: &[AttendanceRecord],
    changes: &[MarkChange],
    list: &ClassList,
    query: &str,
    tz: &TimeZone,
) -> Roster {
    let mut history: BTreeMap<AdmissionKey, Vec<ChangeView>> = BTreeMap::new();
    for change in changes {
        history.entry(change.admission_number.key()).or_default().push(ChangeView::new(change, tz));
    }
    let needle = query.trim().to_lowercase();
    let matches = |name: &str, number: &str| {
        needle.is_empty() || name.to_lowercase().contains(&needle) || number.to_lowercase().contains(&needle)
    };
    let tally = LectureTally::count(marks, list);
    let mut marks: Vec<&AttendanceRecord> = marks.iter().collect();
    marks.sort_by_key(|m| std::cmp::Reverse(m.marked_at));
    let mut roster = Roster {
        present: tally.present,
        late: tally.late,
        excused: tally.excused,
        absent: tally.absent(),
        removed: tally.removed,
        listed: (!list.is_empty()).then(|| list.len()),
        not_on_list: tally.not_on_list,
        retried: tally.retried,
        rows: Vec::new(),
        absentees: Vec::new(),
        absentees_count: 0,
        query: query.trim().to_owned(),
        hidden: 0,
    };
    let mut marked = std::collections::BTreeSet::new();
    for record in marks {
        let state = MarkState::of(record);
        let key = record.admission_number.key();
        let on_list = list.contains(&record.admission_number);
        if !record.removed {
            marked.insert(key.clone());
        }
        if !matches(record.student_name.as_str(), record.admission_number.as_str()) {
            roster.hidden += 1;
            continue;
        }
        roster.rows.push(MarkRow {
            key: key.as_str().to_owned(),
            name: record.student_name.to_string(),
            admission_number: record.admission_number.to_string(),
            time: clock(record.marked_at, tz),
            state: state.as_str(),
            label: state.label(),
            removed: record.removed,
            restore_to: record.status.as_str(),
            by_lecturer: record.source == crate::model::MarkSource::Lecturer,
            known_name: record.known_name.clone(),
            not_on_list: !list.is_empty() && !on_list,
            tried_at: record.attempted_at.map(|t| clock(t, tz)),
            history: history.remove(&key).unwrap_or_default(),
            history_count: 0,
        });
        if let Some(row) = roster.rows.last_mut() {
            row.history_count = row.history.len();
        }
    }
    let (absentees, hidden) = absentees(list, &marked, &matches);
    roster.absentees = absentees;
    roster.hidden += hidden;
    roster.absentees_count = roster.absentees.len();
    roster
}

/// The class list's students without a mark that stands, by name, that `matches` the search;
/// and how many the search hid.
fn absentees(
    list: &ClassList,
    marked: &std::collections::BTreeSet<AdmissionKey>,
    matches: &impl Fn(&str, &str) -> bool,
) -> (Vec<AbsentRow>, usize) {
    let mut rows = Vec::new();
    let mut hidden = 0;
    for student in list.by_name().into_iter().filter(|s| !marked.contains(&s.admission_number.key())) {
        if !matches(student.name.as_str(), student.admission_number.as_str()) {
            hidden += 1;
            continue;
        }
        rows.push(AbsentRow {
            key: student.admission_number.key().as_str().to_owned(),
            name: student.name.to_string(),
            admission_number: student.admission_number.to_string(),
        });
    }
    (rows, hidden)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{AdmissionNumber, StudentName};
    use crate::model::Enrolled;

    fn mark(number: &str, name: &str, status: MarkStatus, removed: bool) -> AttendanceRecord {
        let student_name = StudentName::parse(name).expect("name");
        AttendanceRecord { student_name, removed, ..crate::samples::record(number, status).expect("record") }
    }

    fn list(students: &[(&str, &str)]) -> ClassList {
        let mut list = ClassList::default();
        for (number, name) in students {
            let admission_number = AdmissionNumber::parse(number).expect("adm");
            list.students.insert(
                admission_number.key(),
                Enrolled { admission_number, name: StudentName::parse(name).expect("name"), email: None },
            );
        }
        list
    }

    #[test]
    fn counts_against_the_class_list() {
        let list = list(&[("ADM/1", "Amina"), ("ADM/2", "Brian"), ("ADM/3", "Chen"), ("ADM/4", "Dora")]);
        let marks = [
            mark("ADM/1", "Amina", MarkStatus::Present, false),
            mark("ADM/2", "Brian", MarkStatus::Late, false),
            mark("ADM/3", "Chen", MarkStatus::Present, true),
            mark("ADM/9", "Visitor", MarkStatus::Present, false),
        ];
        let roster = build(&marks, &[], &list, "", &TimeZone::UTC);
        assert_eq!((roster.present, roster.late, roster.absent, roster.removed), (3, 1, 2, 1));
        assert_eq!(roster.listed, Some(4));
        assert_eq!(roster.not_on_list, 1);
        let absent: Vec<_> = roster.absentees.iter().map(|a| a.admission_number.as_str()).collect();
        assert_eq!(absent, ["ADM/3", "ADM/4"], "a removed mark leaves the student absent");
        let removed = roster.rows.iter().find(|r| r.removed).expect("removed row");
        assert_eq!(removed.restore_to, "present");
    }

    #[test]
    fn the_search_matches_names_and_numbers_in_any_case() {
        let list = list(&[("ADM/1", "Amina"), ("ADM/2", "Brian")]);
        let marks = [mark("ADM/1", "Amina", MarkStatus::Present, false)];
        let roster = build(&marks, &[], &list, " brI ", &TimeZone::UTC);
        assert!(roster.rows.is_empty());
        assert_eq!(roster.absentees.len(), 1);
        assert_eq!(roster.hidden, 1);
        let roster = build(&marks, &[], &list, "adm/1", &TimeZone::UTC);
        assert_eq!(roster.rows.len(), 1);
    }
}
