//! Typed configuration, read once from the environment (12-factor). A missing or malformed
//! setting stops start-up with a message naming the variable and what it expects.

mod env;

use std::net::SocketAddr;
use std::time::Duration;

pub use env::{ConfigError, Vars};

use crate::domain::{ExpectedLessons, YearStart};

use crate::store::FirestoreSettings;

/// Which Firestore to use: all any command that touches data needs.
pub fn firestore_from(vars: &Vars) -> Result<FirestoreSettings, ConfigError> {
    Ok(FirestoreSettings {
        project_id: vars.required(
            "FIRESTORE_PROJECT_ID",
            "a Google Cloud project id such as my-university-attendance",
            |v| {
                let ok = (4..=40).contains(&v.len())
                    && v.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
                ok.then(|| v.to_owned())
            },
        )?,
        emulator_host: vars.optional(
            "FIRESTORE_EMULATOR_HOST",
            "host:port of a Firestore emulator, such as 127.0.0.1:8080",
            |v| (v.contains(':') && !v.contains('/')).then(|| v.to_owned()),
        )?,
        request_timeout: Duration::from_secs(
            vars.optional("FIRESTORE_TIMEOUT_SECS", "whole seconds from 1 to 120", |v| {
                v.parse::<u64>().ok().filter(|s| (1..=120).contains(s))
            })?
            .unwrap_or(10),
        ),
    })
}

/// The public address the QR codes encode, without a trailing slash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BaseUrl(String);

impl BaseUrl {
    pub fn parse(input: &str) -> Option<Self> {
        let url = input.trim().trim_end_matches('/');
        let rest = url.strip_prefix("https://").or_else(|| url.strip_prefix("http://"))?;
        let host = rest.split('/').next()?;
        let valid = !host.is_empty()
            && !url.contains(['?', '#', ' ', '"', '<', '>'])
            && host.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']'));
        valid.then(|| Self(url.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn is_https(&self) -> bool {
        self.0.starts_with("https://")
    }

    /// An absolute URL for `path` (which starts with `/`).
    pub fn join(&self, path: &str) -> String {
        format!("{}{path}", self.0)
    }
}

/// The key for every HMAC the app issues (CSRF, form, QR and receipt tokens). Never printed.
#[derive(Clone)]
pub struct SecretKey(Vec<u8>);

/// The value `.env.example` ships with: a key everyone can read.
const PLACEHOLDER_KEY: &str = "change-me-to-64-hex-characters-from-openssl-rand-hex-32";

impl SecretKey {
    pub const MIN_LEN: usize = 32;
    /// Keys guessable in fewer tries than 2^128 are refused.
    pub const MIN_BITS: f64 = 128.0;

    pub fn parse(input: &str) -> Option<Self> {
        (input.len() >= Self::MIN_LEN
            && input != PLACEHOLDER_KEY
            && Self::estimated_bits(input) >= Self::MIN_BITS)
            .then(|| Self(input.as_bytes().to_vec()))
    }

    /// A conservative estimate of a typed key's entropy: its length times the bits of the
    /// smallest alphabet it fits (hex, digits, letters, base64, printable ASCII), and no more
    /// than 4 bits per distinct character (`aaaa…` or `abab…` are not random).
    pub fn estimated_bits(input: &str) -> f64 {
        let alphabet: f64 = if input.bytes().all(|b| b.is_ascii_hexdigit()) {
            if input.bytes().all(|b| b.is_ascii_digit()) { 10.0 } else { 16.0 }
        } else if input.bytes().all(|b| b.is_ascii_alphanumeric()) {
            62.0
        } else if input
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'=' | b'-' | b'_'))
        {
            64.0
        } else {
            95.0
        };
        let distinct = input.chars().collect::<std::collections::BTreeSet<_>>().len() as f64;
        let per_char = alphabet.log2().min(distinct.log2());
        input.chars().count() as f64 * per_char
    }

    /// A random key, for `attendance dev` and tests.
    pub fn random() -> Self {
        Self(Self::generate().into_bytes())
    }

    /// 64 random hex characters (256 bits), what `openssl rand -hex 32` prints.
    pub fn generate() -> String {
        let mut bytes = [0u8; 32];
        // getrandom only fails without an OS entropy source, where nothing secure can run.
        getrandom::fill(&mut bytes).expect("the OS random number generator is available");
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }

    pub fn expose(&self) -> &[u8] {
        &self.0
    }
}

impl std::fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretKey(<redacted>)")
    }
}

/// How long a lecturer's login lasts.
#[derive(Debug, Clone, Copy)]
pub struct SessionPolicy {
    /// Logged out after this long without a request.
    pub idle: jiff::SignedDuration,
    /// Logged out this long after logging in, however active.
    pub absolute: jiff::SignedDuration,
}

impl Default for SessionPolicy {
    fn default() -> Self {
        Self { idle: jiff::SignedDuration::from_hours(2), absolute: jiff::SignedDuration::from_hours(12) }
    }
}

/// Everything `attendance serve` needs: where Firestore is, where to listen, and the
/// settings the web app reads on every request.
#[derive(Debug, Clone)]
pub struct Config {
    pub firestore: FirestoreSettings,
    pub bind_addr: SocketAddr,
    pub app: AppSettings,
}

/// The settings the web app reads after start-up.
#[derive(Debug, Clone)]
pub struct AppSettings {
    /// What the QR codes encode.
    pub base_url: BaseUrl,
    pub secret_key: SecretKey,
    /// Lectures per unit and term a student is expected to attend (percentage denominator).
    pub expected_lessons: ExpectedLessons,
    pub year_start: YearStart,
    /// Where lectures happen: dates and times typed by lecturers are in this zone.
    pub timezone: jiff::tz::TimeZone,
    pub session_policy: SessionPolicy,
    /// Trusted reverse proxies in front of the app: the client address is this many entries
    /// from the right of `X-Forwarded-For` (0: the TCP peer).
    pub proxy_hops: usize,
    /// Seconds each rotating QR code is shown for (a scan is good for about two of them).
    pub qr_rotation_secs: i64,
    /// Whether a phone may mark only one student per session (a signed cookie).
    pub one_device_per_student: bool,
    /// Password verifications (argon2id, 19 MiB each) that may run at once.
    pub password_checks: usize,
    /// How long a login waits for a free verification before it is told to retry.
    pub password_wait: Duration,
    /// A connection must deliver each request's headers within this, or it is closed.
    pub header_timeout: Duration,
    /// Marks one client address may make in one session: far above any hall behind one NAT,
    /// far below a script filling a class list.
    pub marks_per_address: u32,
    /// How long a phone may keep sending a mark Firestore could not record (`PENDING_MARK_HOURS`).
    pub pending_max_age: jiff::SignedDuration,
    /// The bearer token `/api/metrics/` asks for (`METRICS_TOKEN`); without one it is off.
    pub metrics_token: Option<SecretKey>,
}

impl Config {
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_vars(&Vars::from_process())
    }

    pub fn from_vars(vars: &Vars) -> Result<Self, ConfigError> {
        Ok(Self {
            firestore: firestore_from(vars)?,
            bind_addr: vars
                .optional("BIND_ADDR", "an address:port to listen on, such as 0.0.0.0:8000", |v| {
                    v.parse().ok()
                })?
                .unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], 8000))),
            app: AppSettings::from_vars(vars)?,
        })
    }
}

impl AppSettings {
    pub fn from_vars(vars: &Vars) -> Result<Self, ConfigError> {
        Ok(Self {
            base_url: vars.required(
                "BASE_URL",
                "the public http(s) address students reach, such as https://attendance.uni.ac.ke",
                BaseUrl::parse,
            )?,
            secret_key: vars.required(
                "SECRET_KEY",
                "at least 128 bits of randomness, not the .env.example placeholder (generate one with `openssl rand -hex 32`)",
                SecretKey::parse,
            )?,
            expected_lessons: vars
                .optional("EXPECTED_LESSONS", "a whole number of lectures per term from 1 to 13", |v| {
                    ExpectedLessons::parse(v).ok()
                })?
                .unwrap_or(ExpectedLessons::DEFAULT),
            year_start: vars
                .optional("ACADEMIC_YEAR_START_MONTH", "a month number from 1 to 12", |v| {
                    v.parse::<i8>().ok().and_then(|m| YearStart::new(m).ok())
                })?
                .unwrap_or_default(),
            timezone: vars.timezone()?,
            session_policy: SessionPolicy {
                idle: jiff::SignedDuration::from_mins(vars.ranged("SESSION_IDLE_MINUTES", "minutes", 5..=1440, 120)?),
                absolute: jiff::SignedDuration::from_hours(vars.ranged("SESSION_MAX_HOURS", "hours", 1..=168, 12)?),
            },
            proxy_hops: vars.ranged("PROXY_HOPS", "trusted proxies in front of the app", 0..=5, 0)?,
            qr_rotation_secs: vars.ranged("QR_ROTATION_SECS", "seconds", 5..=300, 15)?,
            one_device_per_student: vars
                .optional("ONE_DEVICE_PER_STUDENT", "true or false", |v| {
                    match v.to_ascii_lowercase().as_str() {
                        "true" | "1" | "yes" | "on" => Some(true),
                        "false" | "0" | "no" | "off" => Some(false),
                        _ => None,
                    }
                })?
                .unwrap_or(true),
            password_checks: vars.ranged(
                "PASSWORD_CHECKS",
                "concurrent password checks",
                1..=64,
                std::thread::available_parallelism().map_or(2, |n| n.get().max(2)),
            )?,
            password_wait: Duration::from_millis(vars.ranged("PASSWORD_WAIT_MS", "milliseconds", 1..=30_000, 5_000)?),
            header_timeout: Duration::from_secs(vars.ranged("HEADER_TIMEOUT_SECS", "seconds", 1..=300, 20)?),
            marks_per_address: vars.ranged(
                "MARKS_PER_ADDRESS",
                "marks per client address per session",
                10..=100_000,
                1500,
            )?,
            pending_max_age: jiff::SignedDuration::from_hours(vars.ranged("PENDING_MARK_HOURS", "hours", 1..=168, 24)?),
            metrics_token: vars.optional(
                "METRICS_TOKEN",
                "at least 128 bits of randomness (generate one with `openssl rand -hex 32`)",
                SecretKey::parse,
            )?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(pairs: &[(&str, &str)]) -> Vars {
        Vars::from_pairs(pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())))
    }

    fn minimal() -> Vec<(&'static str, &'static str)> {
        vec![
            ("FIRESTORE_PROJECT_ID", "demo-attendance"),
            ("BASE_URL", "https://attendance.uni.ac.ke/"),
            ("SECRET_KEY", "9f3c1e7a5b2d8f4e6a0c3b9d7e1f5a2c8b4d6e0f3a7c9b1d5e2f8a4c6b0d3e7f"),
        ]
    }

    #[test]
    fn the_example_key_and_weak_keys_are_refused() {
        for weak in [
            PLACEHOLDER_KEY,
            "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
            "abababababababababababababababababababab",
            "12345678901234567890123456789012",
            "passwordpasswordpasswordpassword",
        ] {
            let mut pairs = minimal();
            pairs.retain(|(k, _)| *k != "SECRET_KEY");
            pairs.push(("SECRET_KEY", weak));
            let err = Config::from_vars(&vars(&pairs)).expect_err(weak);
            assert!(err.to_string().contains("openssl rand -hex 32"), "{err}");
        }
        assert!(SecretKey::parse(&SecretKey::generate()).is_some(), "a generated key passes");
        assert!(SecretKey::estimated_bits(&SecretKey::generate()) >= 240.0);
    }

    #[test]
    fn minimal_config_gets_sensible_defaults() {
        let config = Config::from_vars(&vars(&minimal())).expect("valid");
        assert_eq!(config.app.base_url.as_str(), "https://attendance.uni.ac.ke");
        assert_eq!(config.bind_addr.to_string(), "127.0.0.1:8000");
        assert_eq!(config.app.expected_lessons, ExpectedLessons::DEFAULT);
        assert_eq!(config.firestore.emulator_host, None);
        assert_eq!(config.app.year_start, YearStart::AUGUST);
    }

    #[test]
    fn errors_name_the_variable_and_what_it_expects() {
        let mut pairs = minimal();
        pairs.retain(|(k, _)| *k != "SECRET_KEY");
        let err = Config::from_vars(&vars(&pairs)).expect_err("missing");
        assert!(err.to_string().starts_with("SECRET_KEY is not set"), "{err}");

        for (name, bad) in [
            ("SECRET_KEY", "short"),
            ("BASE_URL", "attendance.uni.ac.ke"),
            ("BIND_ADDR", "localhost"),
            ("EXPECTED_LESSONS", "0"),
            ("TIMEZONE", "Mars/Olympus"),
            ("FIRESTORE_PROJECT_ID", "Bad Project"),
            ("ACADEMIC_YEAR_START_MONTH", "13"),
        ] {
            let mut pairs = minimal();
            pairs.retain(|(k, _)| *k != name);
            pairs.push((name, bad));
            let err = Config::from_vars(&vars(&pairs)).expect_err(name);
            let text = err.to_string();
            assert!(text.starts_with(name), "{text}");
            assert!(text.contains("expected"), "{text}");
            assert!(!text.contains("9f3c1e7a5b2d"), "no secrets in messages: {text}");
        }
    }

    #[test]
    fn base_urls_are_http_or_https_without_query() {
        assert!(BaseUrl::parse("http://127.0.0.1:8000").is_some());
        assert_eq!(
            BaseUrl::parse("https://x.ac.ke/att/").map(|u| u.join("/a/")),
            Some("https://x.ac.ke/att/a/".into())
        );
        for bad in ["", "ftp://x", "https://", "https://x?y", "javascript:alert(1)", "https://a b"] {
            assert!(BaseUrl::parse(bad).is_none(), "{bad}");
        }
    }
}
