//! The reconciler's settings, from the environment (see `.env.example`).

use std::time::Duration;

use attendance::config::{ConfigError, Vars, firestore_from};
use attendance::store::FirestoreSettings;

#[derive(Clone)]
pub struct ReconcilerConfig {
    pub firestore: FirestoreSettings,
    pub database_url: String,
    /// `None`: forwarding is off (records stay queued until a Portal is configured).
    pub portal: Option<PortalConfig>,
    /// Cron expression with seconds for incremental passes, for `reconciler schedule`.
    pub cron: String,
    /// Cron expression for full passes (which see hard deletes).
    pub full_cron: String,
    /// Documents per PostgreSQL transaction while mirroring.
    pub batch_size: usize,
    /// The university's zone: the Portal's `time` is local wall-clock time.
    pub timezone: jiff::tz::TimeZone,
}

// By hand: `DATABASE_URL` may carry a password.
impl std::fmt::Debug for ReconcilerConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReconcilerConfig")
            .field("firestore", &self.firestore)
            .field("database_url", &"<redacted>")
            .field("portal", &self.portal)
            .field("cron", &self.cron)
            .field("full_cron", &self.full_cron)
            .field("batch_size", &self.batch_size)
            .finish()
    }
}

#[derive(Clone)]
pub struct PortalConfig {
    pub url: String,
    /// Sent as `Authorization: Bearer <token>`.
    pub token: Option<String>,
    /// When set, a Google-signed ID token for this audience is sent instead (Cloud Run, IAP).
    pub audience: Option<String>,
    pub timeout: Duration,
    pub concurrency: usize,
    /// A record still failing this long after its first attempt goes dead.
    pub give_up_after: Duration,
    /// First retry delay; it doubles per attempt (with jitter) up to `backoff_cap`.
    pub backoff_base: Duration,
    pub backoff_cap: Duration,
    /// How long one pass may spend forwarding; the rest waits for the next pass.
    pub budget: Duration,
}

impl std::fmt::Debug for PortalConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PortalConfig")
            .field("url", &self.url)
            .field("token", &self.token.as_ref().map(|_| "<redacted>"))
            .field("audience", &self.audience)
            .field("timeout", &self.timeout)
            .field("concurrency", &self.concurrency)
            .field("give_up_after", &self.give_up_after)
            .field("budget", &self.budget)
            .finish()
    }
}

/// `72h`, `90m`, `3600s` or plain seconds.
fn duration(range: std::ops::RangeInclusive<u64>) -> impl Fn(&str) -> Option<Duration> {
    move |v| {
        let v = v.trim();
        let (number, unit) = match v.char_indices().find(|(_, c)| !c.is_ascii_digit()) {
            Some((i, _)) => v.split_at(i),
            None => (v, "s"),
        };
        let seconds = number.parse::<u64>().ok()?.checked_mul(match unit {
            "s" => 1,
            "m" => 60,
            "h" => 3600,
            "d" => 86_400,
            _ => return None,
        })?;
        range.contains(&seconds).then(|| Duration::from_secs(seconds))
    }
}

fn cron(v: &str) -> Option<String> {
    (v.split_whitespace().count() >= 6).then(|| v.to_owned())
}

/// Whether a URL's host is this machine, where plain http cannot be overheard.
fn is_loopback(url: &reqwest::Url) -> bool {
    match url.host() {
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        Some(url::Host::Domain(name)) => name.eq_ignore_ascii_case("localhost"),
        None => false,
    }
}

impl ReconcilerConfig {
    pub fn from_vars(vars: &Vars) -> Result<Self, ConfigError> {
        let url = vars.optional("PORTAL_API_URL", "the Portal's http(s) URL", |v| {
            reqwest::Url::parse(v)
                .ok()
                .filter(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some())
        })?;
        let portal = match url {
            None => None,
            Some(url) => {
                let token = vars.optional("PORTAL_API_TOKEN", "a bearer token", |v| Some(v.to_owned()))?;
                let audience = vars.optional(
                    "PORTAL_AUDIENCE",
                    "the ID-token audience, usually the Portal's URL",
                    |v| Some(v.to_owned()),
                )?;
                if url.scheme() == "http" && !is_loopback(&url) && (token.is_some() || audience.is_some()) {
                    return Err(ConfigError::conflict(
                        "PORTAL_API_URL",
                        "an https:// URL when PORTAL_API_TOKEN or PORTAL_AUDIENCE is set (a credential is never sent over plain http except to this machine)",
                    ));
                }
                Some(PortalConfig {
                    url: url.to_string(),
                    token,
                    audience,
                    timeout: Duration::from_secs(vars.ranged(
                        "PORTAL_TIMEOUT_SECS",
                        "seconds",
                        1..=120,
                        10,
                    )?),
                    concurrency: vars.ranged("PORTAL_CONCURRENCY", "requests in flight", 1..=64, 16)?,
                    give_up_after: vars
                        .optional(
                            "PORTAL_GIVE_UP_AFTER",
                            "a duration such as 72h or 3d (1 hour to 30 days)",
                            duration(3600..=30 * 86_400),
                        )?
                        .unwrap_or(Duration::from_secs(72 * 3600)),
                    backoff_base: Duration::from_secs(vars.ranged(
                        "PORTAL_BACKOFF_SECS",
                        "seconds before the first retry",
                        1..=3600,
                        60,
                    )?),
                    backoff_cap: Duration::from_secs(3 * 3600),
                    budget: vars
                        .optional(
                            "PORTAL_BUDGET",
                            "a duration such as 120s or 2m (1 second to 1 hour)",
                            duration(1..=3600),
                        )?
                        .unwrap_or(Duration::from_secs(120)),
                })
            }
        };
        Ok(Self {
            firestore: firestore_from(vars)?,
            database_url: vars.required(
                "DATABASE_URL",
                "a PostgreSQL URL such as postgres://user@host/attendance",
                |v| (v.starts_with("postgres://") || v.starts_with("postgresql://")).then(|| v.to_owned()),
            )?,
            portal,
            cron: vars
                .optional("RECONCILE_CRON", "a cron expression with seconds, such as 0 */5 * * * *", cron)?
                .unwrap_or_else(|| "0 */5 * * * *".to_owned()),
            full_cron: vars
                .optional(
                    "RECONCILE_FULL_CRON",
                    "a cron expression with seconds, such as 0 30 2 * * *",
                    cron,
                )?
                .unwrap_or_else(|| "0 30 2 * * *".to_owned()),
            batch_size: vars.ranged("MIRROR_BATCH_SIZE", "documents per batch", 10..=10_000, 2000)?,
            timezone: vars.timezone()?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(pairs: &[(&str, &str)]) -> Vars {
        Vars::from_pairs(pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())))
    }

    #[test]
    fn forwarding_is_off_without_a_portal_url() {
        let config = ReconcilerConfig::from_vars(&vars(&[
            ("FIRESTORE_PROJECT_ID", "demo-attendance"),
            ("DATABASE_URL", "postgres://localhost/attendance"),
        ]))
        .expect("valid");
        assert!(config.portal.is_none());
        assert_eq!(config.cron, "0 */5 * * * *");
    }

    #[test]
    fn errors_name_the_variable() {
        let err = ReconcilerConfig::from_vars(&vars(&[("FIRESTORE_PROJECT_ID", "demo-attendance")]))
            .expect_err("no db");
        assert!(err.to_string().starts_with("DATABASE_URL is not set"), "{err}");
        let err = ReconcilerConfig::from_vars(&vars(&[
            ("FIRESTORE_PROJECT_ID", "demo-attendance"),
            ("DATABASE_URL", "postgres://localhost/a"),
            ("PORTAL_API_URL", "portal.example"),
        ]))
        .expect_err("bad url");
        assert!(err.to_string().starts_with("PORTAL_API_URL is not valid"), "{err}");
    }

    #[test]
    fn the_token_never_prints() {
        let config = ReconcilerConfig::from_vars(&vars(&[
            ("FIRESTORE_PROJECT_ID", "demo-attendance"),
            ("DATABASE_URL", "postgres://localhost/a"),
            ("PORTAL_API_URL", "https://portal.example/api"),
            ("PORTAL_API_TOKEN", "s3cr3t-token"),
        ]))
        .expect("valid");
        assert!(!format!("{config:?}").contains("s3cr3t"));
    }

    #[test]
    fn the_defaults_outlast_a_weekend_outage() {
        let config = ReconcilerConfig::from_vars(&vars(&[
            ("FIRESTORE_PROJECT_ID", "demo-attendance"),
            ("DATABASE_URL", "postgres://user:pa55word@localhost/a"),
            ("PORTAL_API_URL", "https://portal.example/api"),
        ]))
        .expect("valid");
        let portal = config.portal.as_ref().expect("portal");
        assert_eq!(portal.give_up_after, Duration::from_secs(72 * 3600));
        assert!(portal.backoff_cap <= Duration::from_secs(4 * 3600));
        assert!(portal.budget < Duration::from_secs(5 * 60), "well under the 5-minute schedule");
        assert_eq!(config.full_cron, "0 30 2 * * *");
        assert!(!format!("{config:?}").contains("pa55word"), "DATABASE_URL stays out of logs");
    }

    #[test]
    fn durations_take_units() {
        let parse = duration(1..=30 * 86_400);
        assert_eq!(parse("72h"), Some(Duration::from_secs(72 * 3600)));
        assert_eq!(parse("3d"), Some(Duration::from_secs(3 * 86_400)));
        assert_eq!(parse("90"), Some(Duration::from_secs(90)));
        assert_eq!(parse("90x"), None);
        assert_eq!(parse("h"), None);
    }

    #[test]
    fn a_credential_never_travels_over_plain_http_except_to_loopback() {
        let with = |url: &str| {
            ReconcilerConfig::from_vars(&vars(&[
                ("FIRESTORE_PROJECT_ID", "demo-attendance"),
                ("DATABASE_URL", "postgres://localhost/a"),
                ("PORTAL_API_URL", url),
                ("PORTAL_API_TOKEN", "t"),
            ]))
        };
        let err = with("http://portal.example/api").expect_err("plain http off-machine");
        assert!(err.to_string().starts_with("PORTAL_API_URL"), "{err}");
        assert!(with("http://127.0.0.1:9000/api").is_ok());
        assert!(with("http://localhost:9000/api").is_ok());
        assert!(with("https://portal.example/api").is_ok());
    }
}
