//! The device cookie: which student this phone marked in each recent session, signed so that
//! only this app can write it. It carries the one-phone-one-student rule from one request to
//! the next without storing anything.

use crate::auth::tokens::Signer;
use crate::domain::{AdmissionKey, AdmissionNumber, SessionId};

/// The most sessions a device cookie remembers (a day of lectures, several times over).
const REMEMBERED: usize = 24;

/// `(session, student)` pairs this phone has marked (or tried to mark), newest last.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DeviceMarks(Vec<(SessionId, AdmissionKey)>);

impl DeviceMarks {
    /// What a cookie says; nothing for a missing, forged or unreadable one.
    pub fn open(signer: &Signer, cookie: Option<&str>) -> Self {
        let Some(payload) = cookie.and_then(|c| signer.open("device", c)) else { return Self::default() };
        // `session*key~session*key`: session ids are UUIDs and keys use only [A-Za-z0-9%-], so
        // neither separator occurs in them. An entry that does not parse is dropped.
        let entries = payload
            .split('~')
            .filter_map(|entry| entry.split_once('*'))
            .filter_map(|(session, key)| Some((SessionId::parse(session)?, AdmissionKey::parse(key)?)))
            .collect();
        Self(entries)
    }

    /// The student this phone marked in `session`, if it was someone other than `student`.
    pub fn other_student(&self, session: SessionId, student: &AdmissionKey) -> Option<AdmissionNumber> {
        self.0.iter().find(|(s, k)| *s == session && k != student).map(|(_, k)| k.admission_number())
    }

    /// The same marks with this phone's `student` in `session` remembered (newest last).
    pub fn with(mut self, session: SessionId, student: AdmissionKey) -> Self {
        self.0.retain(|(s, _)| *s != session);
        self.0.push((session, student));
        let skip = self.0.len().saturating_sub(REMEMBERED);
        self.0.drain(..skip);
        self
    }

    /// The signed cookie value.
    pub fn seal(&self, signer: &Signer) -> String {
        let payload: Vec<String> = self.0.iter().map(|(s, k)| format!("{s}*{k}")).collect();
        signer.seal("device", &payload.join("~"))
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.0.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::SecretKey;

    fn signer() -> Signer {
        Signer::new(SecretKey::parse("0123456789abcdef0123456789abcdef").expect("key"))
    }

    fn key(number: &str) -> AdmissionKey {
        AdmissionNumber::parse(number).expect("number").key()
    }

    #[test]
    fn a_phone_remembers_whom_it_marked_in_each_session() {
        let (s, t) = (SessionId::new_random(), SessionId::new_random());
        let marks = DeviceMarks::default().with(s, key("ADM/1"));
        let cookie = marks.seal(&signer());
        let read = DeviceMarks::open(&signer(), Some(&cookie));
        assert_eq!(read, marks);
        assert_eq!(read.other_student(s, &key("ADM/2")), Some(AdmissionNumber::parse("ADM/1").expect("n")));
        assert_eq!(read.other_student(s, &key("ADM/1")), None, "the same student again");
        assert_eq!(read.other_student(t, &key("ADM/2")), None, "another session");
        let moved = read.with(s, key("ADM/2"));
        assert_eq!(moved.other_student(s, &key("ADM/2")), None, "one student per session, the latest");
    }

    #[test]
    fn forged_or_damaged_cookies_remember_nothing() {
        assert_eq!(DeviceMarks::open(&signer(), Some("forged.cookie")), DeviceMarks::default());
        assert_eq!(DeviceMarks::open(&signer(), None), DeviceMarks::default());
        let junk = signer().seal("device", "not-a-session*ADM%2F1~x");
        assert_eq!(DeviceMarks::open(&signer(), Some(&junk)), DeviceMarks::default());
        let other_purpose = signer().seal("flash", &format!("{}*ADM%2F1", SessionId::new_random()));
        assert_eq!(DeviceMarks::open(&signer(), Some(&other_purpose)), DeviceMarks::default());
    }

    #[test]
    fn only_the_latest_sessions_are_kept() {
        let mut marks = DeviceMarks::default();
        for _ in 0..30 {
            let cookie = marks.with(SessionId::new_random(), key("K")).seal(&signer());
            marks = DeviceMarks::open(&signer(), Some(&cookie));
        }
        assert_eq!(marks.len(), REMEMBERED);
    }
}
