//! The signed values of the student's path. None needs storage: each is an HMAC under
//! `SECRET_KEY` with its own purpose, so any app instance can check any other's.
//!
//! - form token: proves the form came from this site for this session, and when;
//! - QR token: the rotating code's proof that the scanner saw the screen in the last windows;
//! - receipt: the outcome carried through the redirect after a POST (POST-redirect-GET);
//! - device cookie: which admission number this phone marked in which session.

use serde::{Deserialize, Serialize};

use crate::auth::tokens::Signer;
use crate::domain::SessionId;

/// How long a form may sit on a phone before it must be reloaded.
pub const FORM_MAX_AGE_SECS: i64 = 60 * 60;
/// The same after a rotating-code scan: time to type, not to pass the form around.
pub const ROTATING_FORM_MAX_AGE_SECS: i64 = 10 * 60;

#[derive(Debug, PartialEq, Eq)]
pub enum FormCheck {
    /// Valid; `true` when it was issued after a fresh rotating-QR scan.
    Valid {
        rotation_verified: bool,
    },
    Expired,
    /// Not ours, for another session, or edited.
    Invalid,
}

pub fn form_token(signer: &Signer, session: SessionId, now: i64, rotation_verified: bool) -> String {
    let flag = if rotation_verified { "r" } else { "s" };
    let payload = format!("{now}.{flag}");
    let signature = signer.sign("attend-form", &format!("{session}|{payload}"));
    format!("{payload}.{signature}")
}

pub fn check_form_token(signer: &Signer, session: SessionId, token: &str, now: i64) -> FormCheck {
    let mut parts = token.splitn(3, '.');
    let (Some(issued), Some(flag), Some(signature)) = (parts.next(), parts.next(), parts.next()) else {
        return FormCheck::Invalid;
    };
    let Ok(issued_at) = issued.parse::<i64>() else { return FormCheck::Invalid };
    if !matches!(flag, "r" | "s")
        || !signer.verify("attend-form", &format!("{session}|{issued}.{flag}"), signature)
    {
        return FormCheck::Invalid;
    }
    // A token from the future (clock skew between instances) is fine within a minute.
    let max_age = if flag == "r" { ROTATING_FORM_MAX_AGE_SECS } else { FORM_MAX_AGE_SECS };
    if now - issued_at > max_age || issued_at - now > 60 {
        return FormCheck::Expired;
    }
    FormCheck::Valid { rotation_verified: flag == "r" }
}

/// The rotation window `now` falls in.
pub fn window(now: i64, rotation_secs: i64) -> i64 {
    now.div_euclid(rotation_secs.max(1))
}

/// The MAC is truncated to 128 bits (22 characters): plenty against forgery for a token that
/// lives half a minute, and a shorter URL makes a less dense code that scans from further away.
pub fn qr_token(signer: &Signer, session: SessionId, window: i64) -> String {
    format!("{window}.{}", &signer.sign("qr", &format!("{session}|{window}"))[..QR_MAC_CHARS])
}

const QR_MAC_CHARS: usize = 22;

#[derive(Debug, PartialEq, Eq)]
pub enum QrCheck {
    Fresh,
    Stale,
    Invalid,
}

/// Fresh for the current and the previous window (a scan up to two windows old), and the next
/// one (instances whose clocks differ by a little).
pub fn check_qr_token(
    signer: &Signer,
    session: SessionId,
    token: &str,
    now: i64,
    rotation_secs: i64,
) -> QrCheck {
    let Some((window_text, signature)) = token.split_once('.') else { return QrCheck::Invalid };
    let Ok(token_window) = window_text.parse::<i64>() else { return QrCheck::Invalid };
    let expected = signer.sign("qr", &format!("{session}|{token_window}"));
    if signature.len() != QR_MAC_CHARS
        || !crate::auth::tokens::same_secret(signature, &expected[..QR_MAC_CHARS])
    {
        return QrCheck::Invalid;
    }
    let current = window(now, rotation_secs);
    if (current - 1..=current + 1).contains(&token_window) { QrCheck::Fresh } else { QrCheck::Stale }
}

/// What a submitted form led to, as the result page says it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ReceiptOutcome {
    /// This submission recorded the mark.
    Marked,
    /// The number was already marked (by this student, or, shown privately, by someone).
    Already,
    /// The lecturer removed this student's mark.
    Removed,
}

impl ReceiptOutcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Marked => "marked",
            Self::Already => "already",
            Self::Removed => "removed",
        }
    }
}

/// What the result page after a mark shows, carried (encrypted) in its URL.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Receipt {
    pub outcome: ReceiptOutcome,
    pub name: String,
    pub admission_number: String,
    /// Unix seconds of the (first) mark.
    pub marked_at: i64,
    /// Marked after the session's late threshold.
    pub late: bool,
    pub attended: u64,
    /// The first mark was made under another name than the one just typed: show neither that
    /// name nor the student's attendance to whoever typed this admission number.
    #[serde(default)]
    pub private: bool,
}

/// The receipt as an opaque value for the result page's URL: encrypted and authenticated, so
/// the address bar, browser history and any proxy log hold no name, number or attendance.
pub fn seal_receipt(signer: &Signer, session: SessionId, receipt: &Receipt) -> String {
    let json = serde_json::to_vec(receipt).unwrap_or_default();
    signer.encrypt("receipt", &session.to_string(), &json).unwrap_or_default()
}

pub fn open_receipt(signer: &Signer, session: SessionId, sealed: &str) -> Option<Receipt> {
    let json = signer.decrypt("receipt", &session.to_string(), sealed)?;
    serde_json::from_slice(&json).ok()
}

/// The most sessions a device cookie remembers (a day of lectures, several times over).
const DEVICE_ENTRIES: usize = 24;

/// `(session, admission key)` pairs this device has marked, newest last.
pub fn device_entries(signer: &Signer, cookie: Option<&str>) -> Vec<(String, String)> {
    let Some(payload) = cookie.and_then(|c| signer.open("device", c)) else { return Vec::new() };
    payload
        .split('~')
        .filter_map(|entry| entry.split_once('*'))
        .map(|(session, key)| (session.to_owned(), key.to_owned()))
        .collect()
}

/// The cookie value remembering `entries` plus this mark.
pub fn device_cookie(
    signer: &Signer,
    mut entries: Vec<(String, String)>,
    session: SessionId,
    key: &str,
) -> String {
    let session = session.to_string();
    entries.retain(|(s, _)| *s != session);
    entries.push((session, key.to_owned()));
    let skip = entries.len().saturating_sub(DEVICE_ENTRIES);
    // Session ids are UUIDs and keys use only [A-Za-z0-9%-], so `*` and `~` never occur in them.
    let payload: Vec<String> = entries.iter().skip(skip).map(|(s, k)| format!("{s}*{k}")).collect();
    signer.seal("device", &payload.join("~"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::SecretKey;

    fn signer() -> Signer {
        Signer::new(SecretKey::parse("0123456789abcdef0123456789abcdef").expect("key"))
    }

    #[test]
    fn form_tokens_expire_and_cannot_move_between_sessions() {
        let (a, b) = (SessionId::new_random(), SessionId::new_random());
        let token = form_token(&signer(), a, 1_000_000, false);
        assert_eq!(
            check_form_token(&signer(), a, &token, 1_000_100),
            FormCheck::Valid { rotation_verified: false }
        );
        assert_eq!(
            check_form_token(&signer(), a, &token, 1_000_000 + FORM_MAX_AGE_SECS + 1),
            FormCheck::Expired
        );
        assert_eq!(check_form_token(&signer(), b, &token, 1_000_100), FormCheck::Invalid);
        let upgraded = token.replacen(".s.", ".r.", 1);
        assert_eq!(
            check_form_token(&signer(), a, &upgraded, 1_000_100),
            FormCheck::Invalid,
            "flag is signed"
        );
        let backdated = token.replacen("1000000", "1000999", 1);
        assert_eq!(check_form_token(&signer(), a, &backdated, 1_000_100), FormCheck::Invalid);
        for junk in ["", "x", "1.s", "1.s.", "a.s.b", "1.x.sig"] {
            assert_eq!(check_form_token(&signer(), a, junk, 1), FormCheck::Invalid, "{junk}");
        }
    }

    #[test]
    fn forms_opened_by_a_rotating_scan_expire_sooner() {
        let s = SessionId::new_random();
        let token = form_token(&signer(), s, 1_000_000, true);
        let later = 1_000_000 + ROTATING_FORM_MAX_AGE_SECS;
        assert_eq!(
            check_form_token(&signer(), s, &token, later),
            FormCheck::Valid { rotation_verified: true }
        );
        assert_eq!(check_form_token(&signer(), s, &token, later + 1), FormCheck::Expired);
    }

    #[test]
    fn qr_tokens_are_fresh_for_about_two_windows() {
        let s = SessionId::new_random();
        let now = 15 * 1000 + 3;
        let token = qr_token(&signer(), s, window(now, 15));
        assert_eq!(check_qr_token(&signer(), s, &token, now, 15), QrCheck::Fresh);
        assert_eq!(check_qr_token(&signer(), s, &token, now + 15, 15), QrCheck::Fresh, "one window later");
        assert_eq!(check_qr_token(&signer(), s, &token, now + 30, 15), QrCheck::Stale, "two windows later");
        assert_eq!(check_qr_token(&signer(), SessionId::new_random(), &token, now, 15), QrCheck::Invalid);
        let tampered = format!("{}.{}", window(now, 15) + 5, token.split_once('.').expect("dot").1);
        assert_eq!(check_qr_token(&signer(), s, &tampered, now, 15), QrCheck::Invalid);
    }

    #[test]
    fn receipts_round_trip_only_for_their_session() {
        let s = SessionId::new_random();
        let receipt = Receipt {
            outcome: ReceiptOutcome::Marked,
            name: "Jane <script>".into(),
            admission_number: "ADM/1".into(),
            marked_at: 1_700_000_000,
            late: false,
            attended: 3,
            private: false,
        };
        let sealed = seal_receipt(&signer(), s, &receipt);
        assert_eq!(open_receipt(&signer(), s, &sealed), Some(receipt));
        assert_eq!(open_receipt(&signer(), SessionId::new_random(), &sealed), None);
    }

    #[test]
    fn device_cookies_remember_recent_sessions() {
        let s = SessionId::new_random();
        let cookie = device_cookie(&signer(), vec![], s, "ADM%2F1");
        let entries = device_entries(&signer(), Some(&cookie));
        assert_eq!(entries, vec![(s.to_string(), "ADM%2F1".to_owned())]);
        assert!(device_entries(&signer(), Some("forged.cookie")).is_empty());
        let mut many = Vec::new();
        for _ in 0..30 {
            let cookie = device_cookie(&signer(), many.clone(), SessionId::new_random(), "K");
            many = device_entries(&signer(), Some(&cookie));
        }
        assert_eq!(many.len(), DEVICE_ENTRIES);
    }
}
