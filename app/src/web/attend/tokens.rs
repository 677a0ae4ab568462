//! The signed values of the student's path. None needs storage: each is an HMAC under
//! `SECRET_KEY` with its own purpose, so any app instance can check any other's.
//!
//! - form token: proves the form came from this site for this session, and when;
//! - QR token: the rotating code's proof that the scanner saw the screen in the last windows;
//! - receipt: the outcome carried through the redirect after a POST (POST-redirect-GET);
//! - pending mark: an attempt Firestore did not record, held by the phone until it lands.

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

/// The rotating code's token for `window`: the window's last base-36 digit, then
/// `QR_MAC_DIGITS` base-36 digits of its HMAC. Upper-case letters and digits only, so the
/// code's whole link stays in QR alphanumeric mode (see `short`).
///
/// The window is written as one digit because only windows near the current one are ever
/// accepted: the checker takes the window with that last digit nearest to its own clock.
///
/// The MAC is truncated to 10 base-36 digits, 51.7 bits. That is plenty for this token: it is
/// accepted for at most three windows (about 45 s at the default 15 s), each window has its
/// own MAC, and without `SECRET_KEY` the only attack is guessing online, one request per try.
/// At 10,000 requests a second, far more than one instance serves, a forger gets 450,000
/// tries against 3.7 × 10^15 values: one chance in 8 billion per window. A good guess only
/// opens the form, whose marks the per-network cap (`MARKS_PER_ADDRESS`) still bounds. The
/// shorter link makes a sparser code that scans from further back in the hall.
pub fn qr_token(signer: &Signer, session: SessionId, window: i64) -> String {
    let digit = super::base36::encode(window.rem_euclid(36) as u128, 1);
    format!("{digit}{}", qr_mac(signer, session, window))
}

/// Characters in a rotating code's token.
pub const QR_TOKEN_CHARS: usize = 1 + QR_MAC_DIGITS;
const QR_MAC_DIGITS: usize = 10;

fn qr_mac(signer: &Signer, session: SessionId, window: i64) -> String {
    let tag = signer.tag("qr", &format!("{session}|{window}"));
    let mut first = [0u8; 8];
    first.copy_from_slice(&tag[..8]);
    // 64 bits reduced to 10 digits (36^10 < 2^64): the bias is under one part in 5,000.
    super::base36::encode(
        u128::from(u64::from_be_bytes(first)) % 36u128.pow(QR_MAC_DIGITS as u32),
        QR_MAC_DIGITS,
    )
}

#[derive(Debug, PartialEq, Eq)]
pub enum QrCheck {
    Fresh,
    Stale,
    Invalid,
}

/// Fresh for the current and the previous window (a scan up to two windows old), and the next
/// one (instances whose clocks differ by a little); stale when it was good within about 18
/// windows of now (the reach of one digit of window number); otherwise invalid.
pub fn check_qr_token(
    signer: &Signer,
    session: SessionId,
    token: &str,
    now: i64,
    rotation_secs: i64,
) -> QrCheck {
    let token = token.to_ascii_uppercase();
    if token.len() != QR_TOKEN_CHARS || !token.is_ascii() {
        return QrCheck::Invalid;
    }
    let Some(digit) = super::base36::digit_value(token.as_bytes()[0]) else { return QrCheck::Invalid };
    let current = window(now, rotation_secs);
    // The window ending in `digit` nearest to the current one: 18 back to 17 ahead.
    let ahead = (i64::from(digit) - current).rem_euclid(36);
    let token_window = if ahead > 17 { current + ahead - 36 } else { current + ahead };
    if !crate::auth::tokens::same_secret(&token[1..], &qr_mac(signer, session, token_window)) {
        return QrCheck::Invalid;
    }
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

/// What the server saw of a mark Firestore could not record: held by the phone and sent
/// again until it lands (encrypted: it carries the typed name).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingMark {
    pub admission_number: String,
    pub student_name: String,
    /// Unix seconds of the attempt: the window and the age are checked against it.
    pub attempted_at: i64,
    pub late: bool,
    /// Made from a form that passed the session's code checks (a rotating code's scan among
    /// them). A form sent while the session could not be read at all was not checked for a
    /// rotating code: that is checked when it lands.
    #[serde(default)]
    pub checked: bool,
    /// The network whose marking budget the first attempt spent: sent again from there, it
    /// is not counted twice.
    #[serde(default)]
    pub network: String,
}

pub fn seal_pending(signer: &Signer, session: SessionId, pending: &PendingMark) -> String {
    let json = serde_json::to_vec(pending).unwrap_or_default();
    signer.encrypt("pending-mark", &session.to_string(), &json).unwrap_or_default()
}

/// The pending mark, if `sealed` is one this app made for `session` and nobody changed.
pub fn open_pending(signer: &Signer, session: SessionId, sealed: &str) -> Option<PendingMark> {
    let json = signer.decrypt("pending-mark", &session.to_string(), sealed)?;
    serde_json::from_slice(&json).ok()
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
        assert_eq!(token.len(), QR_TOKEN_CHARS);
        assert!(token.bytes().all(|c| c.is_ascii_digit() || c.is_ascii_uppercase()), "{token}");
        assert_eq!(check_qr_token(&signer(), s, &token, now, 15), QrCheck::Fresh);
        assert_eq!(check_qr_token(&signer(), s, &token.to_ascii_lowercase(), now, 15), QrCheck::Fresh);
        assert_eq!(check_qr_token(&signer(), s, &token, now - 15, 15), QrCheck::Fresh, "a slow clock");
        assert_eq!(check_qr_token(&signer(), s, &token, now + 15, 15), QrCheck::Fresh, "one window later");
        assert_eq!(check_qr_token(&signer(), s, &token, now + 30, 15), QrCheck::Stale, "two windows later");
        assert_eq!(check_qr_token(&signer(), s, &token, now + 15 * 18, 15), QrCheck::Stale);
        assert_eq!(check_qr_token(&signer(), s, &token, now - 30, 15), QrCheck::Stale, "from the future");
        // 36 windows on, the digit names the current window, whose MAC is another.
        assert_eq!(check_qr_token(&signer(), s, &token, now + 15 * 36, 15), QrCheck::Invalid);
        assert_eq!(check_qr_token(&signer(), SessionId::new_random(), &token, now, 15), QrCheck::Invalid);
        let other_window = format!("{}{}", super::super::base36::encode(7, 1), &token[1..]);
        assert_eq!(check_qr_token(&signer(), s, &other_window, now, 15), QrCheck::Invalid);
        let mut edited = token.clone().into_bytes();
        edited[5] = if edited[5] == b'A' { b'B' } else { b'A' };
        let edited = String::from_utf8(edited).expect("ascii");
        assert_eq!(check_qr_token(&signer(), s, &edited, now, 15), QrCheck::Invalid);
        for junk in ["", "K", &format!("{token}0"), &token[1..], &format!("-{}", &token[1..]), "é123456789"]
        {
            assert_eq!(check_qr_token(&signer(), s, junk, now, 15), QrCheck::Invalid, "{junk}");
        }
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
}
