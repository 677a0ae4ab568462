//! A unit's class list for one term, and the plan an imported file makes against it.

use std::collections::BTreeMap;

use crate::domain::{AdmissionKey, AdmissionNumber, Email, StudentName, Term, UnitCode};

/// One student on a class list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Enrolled {
    pub admission_number: AdmissionNumber,
    pub name: StudentName,
    pub email: Option<Email>,
}

/// The students of a unit in a term, by admission key.
#[derive(Debug, Clone, Default)]
pub struct ClassList {
    pub students: BTreeMap<AdmissionKey, Enrolled>,
}

impl ClassList {
    /// Far above any unit's enrolment; a whole list is saved in one commit (in chunks).
    pub const MAX_STUDENTS: usize = 20_000;

    pub fn get(&self, admission: &AdmissionNumber) -> Option<&Enrolled> {
        self.students.get(&admission.key())
    }

    pub fn contains(&self, admission: &AdmissionNumber) -> bool {
        self.students.contains_key(&admission.key())
    }

    pub fn len(&self) -> usize {
        self.students.len()
    }

    pub fn is_empty(&self) -> bool {
        self.students.is_empty()
    }

    /// In name order, as pages and exports list them.
    pub fn by_name(&self) -> Vec<&Enrolled> {
        let mut students: Vec<&Enrolled> = self.students.values().collect();
        students.sort_by_cached_key(|s| (s.name.as_str().to_lowercase(), s.admission_number.clone()));
        students
    }
}

/// Which class list: a unit and a term.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClassListId {
    pub unit: UnitCode,
    pub term: Term,
}

/// One row of an imported file that cannot be used, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RejectedRow {
    /// The line in the file (1 is the header).
    pub line: usize,
    pub text: String,
    pub reason: String,
}

/// What an import would do: rows to add, rows that change a student already listed, rows
/// already as they are, and rejected rows. Nothing is written unless the plan has no rejects.
#[derive(Debug, Clone, Default)]
pub struct ImportPlan {
    pub add: Vec<Enrolled>,
    /// (as listed now, as the file has it)
    pub update: Vec<(Enrolled, Enrolled)>,
    pub unchanged: usize,
    pub rejected: Vec<RejectedRow>,
}

impl ImportPlan {
    /// Compares valid `rows` (with their line numbers) with `current`; a number twice in the
    /// file rejects the later row.
    pub fn new(current: &ClassList, rows: Vec<(usize, Enrolled)>, mut rejected: Vec<RejectedRow>) -> Self {
        let mut plan = Self::default();
        let mut seen: BTreeMap<AdmissionKey, usize> = BTreeMap::new();
        for (line, row) in rows {
            let key = row.admission_number.key();
            if let Some(first) = seen.get(&key) {
                rejected.push(RejectedRow {
                    line,
                    text: row.admission_number.to_string(),
                    reason: format!("{} is already on line {first} of this file.", row.admission_number),
                });
                continue;
            }
            seen.insert(key.clone(), line);
            match current.students.get(&key) {
                None => plan.add.push(row),
                Some(listed) if *listed == row => plan.unchanged += 1,
                Some(listed) => plan.update.push((listed.clone(), row)),
            }
        }
        rejected.sort_by_key(|r| r.line);
        if current.len() + plan.add.len() > ClassList::MAX_STUDENTS {
            rejected.insert(
                0,
                RejectedRow {
                    line: 0,
                    text: String::new(),
                    reason: format!("A class list holds at most {} students.", ClassList::MAX_STUDENTS),
                },
            );
        }
        plan.rejected = rejected;
        plan
    }

    pub fn can_apply(&self) -> bool {
        self.rejected.is_empty() && (!self.add.is_empty() || !self.update.is_empty())
    }

    /// The class list after the import: `current` with the additions and updates.
    pub fn applied_to(&self, current: &ClassList) -> ClassList {
        let mut list = current.clone();
        for row in self.add.iter().chain(self.update.iter().map(|(_, new)| new)) {
            list.students.insert(row.admission_number.key(), row.clone());
        }
        list
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn enrolled(number: &str, name: &str) -> Enrolled {
        Enrolled {
            admission_number: AdmissionNumber::parse(number).expect("adm"),
            name: StudentName::parse(name).expect("name"),
            email: None,
        }
    }

    #[test]
    fn a_plan_adds_updates_and_keeps() {
        let mut current = ClassList::default();
        for s in [enrolled("ADM/1", "Jane Doe"), enrolled("ADM/2", "John Roe")] {
            current.students.insert(s.admission_number.key(), s);
        }
        let rows = vec![
            (2, enrolled("adm/1", "Jane Doe")),
            (3, enrolled("ADM/2", "John Roe Mwangi")),
            (4, enrolled("ADM/3", "Amina Hassan")),
        ];
        let plan = ImportPlan::new(&current, rows, Vec::new());
        assert_eq!(plan.unchanged, 1);
        assert_eq!(plan.update.len(), 1);
        assert_eq!(plan.add.len(), 1);
        assert!(plan.can_apply());
        let after = plan.applied_to(&current);
        assert_eq!(after.len(), 3);
        assert_eq!(
            after.get(&AdmissionNumber::parse("ADM/2").expect("adm")).expect("listed").name.as_str(),
            "John Roe Mwangi"
        );
    }

    #[test]
    fn a_number_twice_in_a_file_is_rejected_and_blocks_the_import() {
        let rows = vec![(2, enrolled("ADM/1", "Jane Doe")), (5, enrolled("adm/1", "Jane D."))];
        let plan = ImportPlan::new(&ClassList::default(), rows, Vec::new());
        assert_eq!(plan.rejected.len(), 1);
        assert_eq!(plan.rejected[0].line, 5);
        assert!(plan.rejected[0].reason.contains("line 2"), "{:?}", plan.rejected);
        assert!(!plan.can_apply());
    }
}
