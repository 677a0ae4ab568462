//! The reconciler's settings, from the environment (see `.env.example`).

use std::time::Duration;

use attendance::config::{ConfigError, Vars, firestore_from};
use attendance::store::FirestoreSettings;

#[derive(Debug, Clone)]
pub struct ReconcilerConfig {
    pub firestore: FirestoreSettings,
    pub database_url: String,
    /// `None`: forwarding is off (records stay queued until a Portal is configured).
    pub portal: Option<PortalConfig>,
    /// Cron expression with seconds, for `reconciler schedule`.
    pub cron: String,
    /// Documents per PostgreSQL transaction while mirroring.
    pub batch_size: usize,
    /// The university's zone: the Portal's `time` is local wall-clock time.
    pub timezone: jiff::tz::TimeZone,
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
    pub max_attempts: i32,
    /// First retry delay; it doubles per attempt (with jitter) up to `backoff_cap`.
    pub backoff_base: Duration,
    pub backoff_cap: Duration,
}

impl std::fmt::Debug for PortalConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PortalConfig")
            .field("url", &self.url)
            .field("token", &self.token.as_ref().map(|_| "<redacted>"))
            .field("audience", &self.audience)
            .field("timeout", &self.timeout)
            .field("concurrency", &self.concurrency)
            .field("max_attempts", &self.max_attempts)
            .finish()
    }
}

fn whole<T: std::str::FromStr + PartialOrd>(
    range: std::ops::RangeInclusive<T>,
) -> impl Fn(&str) -> Option<T> {
    move |v| v.parse::<T>().ok().filter(|n| range.contains(n))
}

impl ReconcilerConfig {
    pub fn from_vars(vars: &Vars) -> Result<Self, ConfigError> {
        let url = vars.optional("PORTAL_API_URL", "the Portal's http(s) URL", |v| {
            (v.starts_with("http://") || v.starts_with("https://")).then(|| v.to_owned())
        })?;
        let portal = match url {
            None => None,
            Some(url) => Some(PortalConfig {
                url,
                token: vars.optional("PORTAL_API_TOKEN", "a bearer token", |v| Some(v.to_owned()))?,
                audience: vars.optional(
                    "PORTAL_AUDIENCE",
                    "the ID-token audience, usually the Portal's URL",
                    |v| Some(v.to_owned()),
                )?,
                timeout: Duration::from_secs(
                    vars.optional("PORTAL_TIMEOUT_SECS", "seconds from 1 to 120", whole(1..=120))?
                        .unwrap_or(10),
                ),
                concurrency: vars
                    .optional("PORTAL_CONCURRENCY", "requests in flight, 1 to 64", whole(1..=64))?
                    .unwrap_or(16),
                max_attempts: vars
                    .optional("PORTAL_MAX_ATTEMPTS", "attempts before giving up, 1 to 100", whole(1..=100))?
                    .unwrap_or(8),
                backoff_base: Duration::from_secs(
                    vars.optional(
                        "PORTAL_BACKOFF_SECS",
                        "seconds before the first retry, 0 to 3600",
                        whole(0..=3600),
                    )?
                    .unwrap_or(60),
                ),
                backoff_cap: Duration::from_secs(6 * 60 * 60),
            }),
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
                .optional("RECONCILE_CRON", "a cron expression with seconds, such as 0 */5 * * * *", |v| {
                    (v.split_whitespace().count() >= 6).then(|| v.to_owned())
                })?
                .unwrap_or_else(|| "0 */5 * * * *".to_owned()),
            batch_size: vars
                .optional("MIRROR_BATCH_SIZE", "documents per batch, 10 to 10000", whole(10..=10_000))?
                .unwrap_or(2000),
            timezone: vars
                .optional("TIMEZONE", "an IANA time zone such as Africa/Nairobi", |v| {
                    jiff::tz::TimeZone::get(v).ok()
                })?
                .unwrap_or(jiff::tz::TimeZone::UTC),
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
}
