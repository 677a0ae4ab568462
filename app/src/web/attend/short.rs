//! The short link a QR code carries: `HTTPS://HOST/A/<session>` for the static code, and the
//! same with the rotating code's token appended, `HTTPS://HOST/A/<session><token>`.
//!
//! Every character is one of QR's alphanumeric mode (0-9, A-Z, space and `$%*+-./:`), which
//! packs two characters into 11 bits where byte mode spends 16, so the code is as sparse as the
//! link allows: the scheme and host are written in capitals (both are case-insensitive, RFC
//! 3986 §3.1 and §3.2.2; browsers show them in lower case), the session's UUID is 25 base-36
//! digits instead of 36 hex digits and dashes, and the token is 11 more digits. A path prefix
//! in `BASE_URL` is kept as configured (paths are case-sensitive); the encoder then puts that
//! part alone in byte mode.
//!
//! Printed codes carry this link, so `/A/<session>` must keep working as long as printouts do,
//! just like `/attend/<uuid>/`, which codes printed before it carry. `/a/<session>` and lower
//! case digits work too, for a link typed from the projector.

use super::base36;
use crate::config::BaseUrl;
use crate::domain::SessionId;

/// Base-36 digits of a session id: 36^25 > 2^128 > 36^24.
pub const ID_DIGITS: usize = 25;

pub fn encode_id(id: SessionId) -> String {
    base36::encode(id.as_uuid().as_u128(), ID_DIGITS)
}

pub fn decode_id(text: &str) -> Option<SessionId> {
    if text.len() != ID_DIGITS {
        return None;
    }
    base36::decode(text).map(|n| SessionId::from_uuid(uuid::Uuid::from_u128(n)))
}

/// The static code's link: the session's short address.
pub fn link(base: &BaseUrl, id: SessionId) -> String {
    let base = base.as_str();
    // `BaseUrl` starts with `http://` or `https://`; the host ends at the path, if any.
    let (scheme, rest) = base.split_once("://").unwrap_or(("", base));
    let (host, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    format!("{}://{}{path}/A/{}", scheme.to_ascii_uppercase(), host.to_ascii_uppercase(), encode_id(id))
}

/// The rotating code's link: the static `link` with the window's `token` appended (no
/// separator: the id has a fixed length, and one character less keeps a typical host in a
/// version-3 symbol).
pub fn rotating_url(link: &str, token: &str) -> String {
    format!("{link}{token}")
}

/// The session and, for a rotating code, the token in the last segment of a short link.
pub fn split(code: &str) -> Option<(SessionId, Option<&str>)> {
    if !code.is_ascii() {
        return None;
    }
    let (id, token) = code.split_at(ID_DIGITS.min(code.len()));
    let token = match token.len() {
        0 => None,
        super::tokens::QR_TOKEN_CHARS => Some(token),
        _ => return None,
    };
    Some((decode_id(id)?, token))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_in_25_digits_of_either_case() {
        for uuid in [uuid::Uuid::nil(), uuid::Uuid::max(), uuid::Uuid::new_v4()] {
            let id = SessionId::from_uuid(uuid);
            let text = encode_id(id);
            assert_eq!(text.len(), ID_DIGITS);
            assert!(text.bytes().all(|c| c.is_ascii_digit() || c.is_ascii_uppercase()), "{text}");
            assert_eq!(decode_id(&text), Some(id));
            assert_eq!(decode_id(&text.to_ascii_lowercase()), Some(id));
        }
        assert_eq!(encode_id(SessionId::from_uuid(uuid::Uuid::max())), "F5LXX1ZZ5PNORYNQGLHZMSP33");
        // 36^25 - 1 is over 2^128: too big, not wrapped round.
        assert_eq!(decode_id(&"Z".repeat(ID_DIGITS)), None);
        for junk in ["", "0", &"0".repeat(24), &"0".repeat(26), &format!("{}-", "0".repeat(24))] {
            assert_eq!(decode_id(junk), None, "{junk}");
        }
    }

    #[test]
    fn links_shout_the_scheme_and_host_but_not_a_path() {
        let id = SessionId::from_uuid(uuid::Uuid::from_u128(35));
        let zeros = "0".repeat(ID_DIGITS - 1);
        let base = BaseUrl::parse("https://attendance.uni.ac.ke/").expect("base");
        assert_eq!(link(&base, id), format!("HTTPS://ATTENDANCE.UNI.AC.KE/A/{zeros}Z"));
        let base = BaseUrl::parse("http://127.0.0.1:8000").expect("base");
        assert_eq!(link(&base, id), format!("HTTP://127.0.0.1:8000/A/{zeros}Z"));
        let base = BaseUrl::parse("https://uni.ac.ke/Attendance").expect("base");
        assert_eq!(link(&base, id), format!("HTTPS://UNI.AC.KE/Attendance/A/{zeros}Z"));
    }

    #[test]
    fn a_code_is_an_id_and_perhaps_a_token() {
        let id = SessionId::new_random();
        let text = encode_id(id);
        assert_eq!(split(&text), Some((id, None)));
        let token = "K0123456789";
        assert_eq!(split(&rotating_url(&text, token)), Some((id, Some(token))));
        assert_eq!(split(&format!("{text}K")), None, "a token is 11 digits");
        assert_eq!(split(&format!("{text}/{token}")), None);
        assert_eq!(split("é"), None);
    }
}
