//! The records the application works with, built from validated domain values. The store turns
//! Firestore documents into these and back; handlers and templates only ever see these.

mod attendance;
mod audit;
pub mod class_csv;
mod class_list;
mod correction;
mod lecturer;
mod session;
mod tally;
mod unit;

pub use attendance::{
    AttendanceRecord, MarkOutcome, MarkSource, MarkStatus, Marking, NewMark, Student, attended_weight,
};
pub use audit::{Actor, AuditAction, AuditEntry, NewAuditEntry};
pub use class_list::{ClassList, ClassListId, Enrolled, ImportPlan, RejectedRow};
pub use correction::{
    ChangeSource, Correction, CorrectionRefused, Decided, Decision, MarkChange, MarkState, MarkWrite,
    StudentWrite, correct, decide,
};
pub use lecturer::{Lecturer, LecturerDetails, NewLecturer, PasswordHash};
pub use session::{Availability, NewSession, Opening, QrMode, Session, Stamps, Window};
pub use tally::{LectureHeld, LectureTally, StudentTally, TermTally};
pub use unit::{NewUnit, Unit};
