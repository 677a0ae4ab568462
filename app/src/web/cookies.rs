//! Reading and writing the few cookies the app uses, with the `cookie` crate's parser and
//! builder. Values are always URL-safe tokens or signed base64, so no quoting is needed; every
//! cookie is `HttpOnly`, `SameSite=Lax`, `Path=/`, and over https `Secure` with the `__Host-`
//! prefix.

use cookie::{Cookie, SameSite};
use http::{HeaderMap, HeaderValue, header};

/// The lecturer's login token (only its hash is stored).
pub const SESSION: &str = "attendance_session";
/// Double-submit token protecting the login form itself.
pub const LOGIN_CSRF: &str = "csrftoken";
/// One-shot messages shown on the next page ("Unit created").
pub const FLASH: &str = "flash";
/// Which student this phone marked in which session (see `attend::tokens`).
pub const DEVICE: &str = "attend_device";
/// The last attempt Firestore did not record (a sealed pending mark), until it lands.
pub const PENDING: &str = "attend_pending";

/// The name a cookie really has: over https, `__Host-` + name, which browsers only accept from
/// this exact host over a secure connection with `Path=/`, so a sibling subdomain or a
/// man-in-the-middle on plain http cannot plant it.
pub fn full_name(name: &str, secure: bool) -> std::borrow::Cow<'_, str> {
    if secure { format!("__Host-{name}").into() } else { name.into() }
}

pub fn get<'a>(headers: &'a HeaderMap, name: &str, secure: bool) -> Option<&'a str> {
    let name = full_name(name, secure);
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(Cookie::split_parse)
        .filter_map(Result::ok)
        .find(|cookie| cookie.name() == name.as_ref())
        .and_then(|cookie| cookie.value_raw())
        .map(|value| value.trim_matches('"'))
}

#[derive(Debug, Clone)]
pub struct SetCookie {
    pub name: &'static str,
    pub value: String,
    /// `None`: a browser-session cookie; `Some(0)`: delete it.
    pub max_age_secs: Option<i64>,
    pub secure: bool,
}

impl SetCookie {
    pub fn new(name: &'static str, value: String, secure: bool) -> Self {
        Self { name, value, max_age_secs: None, secure }
    }

    pub fn removal(name: &'static str, secure: bool) -> Self {
        Self { name, value: String::new(), max_age_secs: Some(0), secure }
    }

    pub fn max_age(mut self, secs: i64) -> Self {
        self.max_age_secs = Some(secs);
        self
    }

    pub fn header_value(&self) -> HeaderValue {
        let mut cookie = Cookie::build((full_name(self.name, self.secure).into_owned(), self.value.clone()))
            .path("/")
            .http_only(true)
            .same_site(SameSite::Lax)
            .secure(self.secure);
        if let Some(age) = self.max_age_secs {
            cookie = cookie.max_age(cookie::time::Duration::seconds(age));
        }
        // Names are constants and values URL-safe, so this is always a valid header value.
        HeaderValue::from_str(&cookie.build().to_string())
            .unwrap_or_else(|_| HeaderValue::from_static("invalid=; Max-Age=0"))
    }

    pub fn apply(&self, headers: &mut HeaderMap) {
        headers.append(header::SET_COOKIE, self.header_value());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_a_cookie_among_many() {
        let mut headers = HeaderMap::new();
        headers.insert(header::COOKIE, HeaderValue::from_static("a=1; attendance_session=tok; b=2"));
        headers.append(header::COOKIE, HeaderValue::from_static("flash=x.y"));
        assert_eq!(get(&headers, SESSION, false), Some("tok"));
        assert_eq!(get(&headers, FLASH, false), Some("x.y"));
        assert_eq!(get(&headers, "missing", false), None);
        assert_eq!(get(&headers, SESSION, true), None, "over https only the __Host- cookie counts");
    }

    fn attributes(value: &HeaderValue) -> (String, std::collections::BTreeSet<String>) {
        let text = value.to_str().expect("ascii");
        let mut parts = text.split("; ");
        let pair = parts.next().expect("name=value").to_owned();
        (pair, parts.map(str::to_owned).collect())
    }

    #[test]
    fn cookies_are_http_only_and_lax() {
        let (pair, attrs) =
            attributes(&SetCookie::new(SESSION, "tok".into(), true).max_age(60).header_value());
        assert_eq!(pair, "__Host-attendance_session=tok");
        let expected = ["Path=/", "HttpOnly", "SameSite=Lax", "Max-Age=60", "Secure"];
        assert_eq!(attrs, expected.iter().map(|a| (*a).to_owned()).collect());
        let (pair, attrs) = attributes(&SetCookie::new(SESSION, "tok".into(), false).header_value());
        assert_eq!(pair, "attendance_session=tok");
        assert_eq!(attrs, ["Path=/", "HttpOnly", "SameSite=Lax"].iter().map(|a| (*a).to_owned()).collect());
    }
}
