//! Forwarding attendance records to the university's Portal API.
//!
//! Every record is POSTed with `Idempotency-Key: <attendance id>`, so a retry after a lost
//! answer cannot create a second record on a Portal that honours the header. Each attempt's
//! outcome is written before the next record is sent: a crash never causes a record we know
//! was delivered to be sent again. Failures wait with exponential backoff and jitter across runs,
//! and after the maximum attempts a delivery is marked dead (and `retry-dead` revives it).

use std::time::Duration;

use chrono::{DateTime, NaiveDate, Utc};
use futures::StreamExt;
use indicatif::ProgressBar;
use serde::Serialize;
use sqlx::{PgPool, Row};

use crate::config::PortalConfig;

/// What the Portal receives: the original system's payload.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct PortalRecord {
    pub student_name: String,
    pub admission_number: String,
    pub unit_code: String,
    /// The lecture's date, `2025-09-01`.
    pub date: String,
    /// When the student marked, local time `08:03:12`.
    pub time: String,
    pub lecturer: String,
    pub venue: String,
    /// The student's percentage in the unit and term, two decimals.
    pub attendance_percentage: f64,
}

#[derive(Debug, Default, Clone, Copy)]
pub struct ForwardOutcome {
    pub delivered: u64,
    pub retried: u64,
    pub dead: u64,
}

enum Auth {
    None,
    Bearer(String),
    /// A Google-signed ID token for the Portal's audience (refreshed by the library).
    IdToken(firestore::gcloud_sdk::GoogleAuthHeaders),
}

pub struct Portal {
    client: reqwest::Client,
    config: PortalConfig,
    auth: Auth,
}

/// One attempt's result, as stored for audit.
struct Attempt {
    status_code: Option<i32>,
    response: Option<serde_json::Value>,
    error: Option<String>,
}

impl Attempt {
    fn succeeded(&self) -> bool {
        self.status_code.is_some_and(|c| (200..300).contains(&c))
    }
}

const MAX_AUDIT_BODY: usize = 16 * 1024;

impl Portal {
    pub async fn new(config: PortalConfig) -> anyhow::Result<Self> {
        let auth = match (&config.audience, &config.token) {
            (Some(audience), _) => {
                let audience = firestore::gcloud_sdk::IdTokenAudience::new(audience.clone());
                Auth::IdToken(firestore::gcloud_sdk::GoogleAuthHeaders::id_token_from_adc(&audience).await?)
            }
            (None, Some(token)) => Auth::Bearer(token.clone()),
            (None, None) => Auth::None,
        };
        let client = reqwest::Client::builder()
            .timeout(config.timeout)
            .connect_timeout(config.timeout.min(Duration::from_secs(5)))
            .user_agent(concat!("attendance-reconciler/", env!("CARGO_PKG_VERSION")))
            .build()?;
        Ok(Self { client, config, auth })
    }

    async fn post(&self, idempotency_key: &str, record: &PortalRecord) -> Attempt {
        let mut request =
            self.client.post(&self.config.url).header("Idempotency-Key", idempotency_key).json(record);
        match &self.auth {
            Auth::None => {}
            Auth::Bearer(token) => request = request.bearer_auth(token),
            Auth::IdToken(headers) => match headers.headers().await {
                Ok(headers) => {
                    for (name, value) in headers.iter() {
                        request = request.header(name.as_str(), value.as_bytes());
                    }
                }
                Err(e) => {
                    return Attempt {
                        status_code: None,
                        response: None,
                        error: Some(format!("ID token: {e}")),
                    };
                }
            },
        }
        match request.send().await {
            Err(e) => Attempt { status_code: None, response: None, error: Some(describe(&e)) },
            Ok(response) => {
                let status = response.status();
                let body = response.bytes().await.unwrap_or_default();
                let response = match serde_json::from_slice::<serde_json::Value>(&body) {
                    Ok(json) if body.len() <= MAX_AUDIT_BODY => json,
                    _ => {
                        let text =
                            String::from_utf8_lossy(&body[..body.len().min(MAX_AUDIT_BODY)]).into_owned();
                        serde_json::json!({ "text": text })
                    }
                };
                let error = (!status.is_success()).then(|| format!("HTTP {status}"));
                Attempt { status_code: Some(i32::from(status.as_u16())), response: Some(response), error }
            }
        }
    }

    /// The delay before attempt `attempts + 1`: base × 2^(attempts−1), capped, with "equal
    /// jitter" (between half and all of it) so retries of many records do not arrive together.
    fn backoff(&self, attempts: i32) -> Duration {
        let exponent = u32::try_from(attempts.saturating_sub(1)).unwrap_or(0).min(20);
        let full = self
            .config
            .backoff_base
            .saturating_mul(2u32.saturating_pow(exponent))
            .min(self.config.backoff_cap);
        let mut byte = [0u8; 1];
        let _ = getrandom::fill(&mut byte);
        full / 2 + full.mul_f64(f64::from(byte[0]) / 255.0 / 2.0)
    }
}

fn describe(error: &reqwest::Error) -> String {
    if error.is_timeout() {
        "timed out".to_owned()
    } else if error.is_connect() {
        "could not connect".to_owned()
    } else {
        error.to_string()
    }
}

/// Sends every due delivery once (at most one attempt per record per run).
#[tracing::instrument(skip_all)]
pub async fn forward(
    pool: &PgPool,
    portal: &Portal,
    timezone: &jiff::tz::TimeZone,
    progress: &ProgressBar,
) -> Result<ForwardOutcome, sqlx::Error> {
    let run_started: DateTime<Utc> = sqlx::query("SELECT now()").fetch_one(pool).await?.get(0);
    let mut outcome = ForwardOutcome::default();
    progress.set_message("forwarding to the Portal");
    loop {
        let rows = sqlx::query(
            "SELECT d.attendance_id, d.attempts, a.student_name, a.admission_number, a.unit_code, s.date, a.marked_at,
                    s.lecturer_name, s.venue, coalesce(p.percentage, 0)::float8 AS percentage
             FROM portal_deliveries d
             JOIN attendance a ON a.id = d.attendance_id AND a.deleted_at IS NULL
             JOIN sessions s ON s.id = a.session_id
             LEFT JOIN attendance_percentages p ON p.admission_number = a.admission_number AND p.unit_code = a.unit_code
                  AND p.academic_year = a.academic_year AND p.semester = a.semester
             WHERE d.status = 'pending' AND d.next_attempt_at <= now()
               AND (d.last_attempt_at IS NULL OR d.last_attempt_at < $1)
             ORDER BY d.next_attempt_at, d.attendance_id
             LIMIT 500",
        )
        .bind(run_started)
        .fetch_all(pool)
        .await?;
        if rows.is_empty() {
            return Ok(outcome);
        }
        let jobs = rows.into_iter().map(|row| {
            let id: String = row.get("attendance_id");
            let attempts: i32 = row.get("attempts");
            let marked_at: DateTime<Utc> = row.get("marked_at");
            let date: NaiveDate = row.get("date");
            let record = PortalRecord {
                student_name: row.get("student_name"),
                admission_number: row.get("admission_number"),
                unit_code: row.get("unit_code"),
                date: date.to_string(),
                time: local_time(marked_at, timezone),
                lecturer: row.get("lecturer_name"),
                venue: row.get("venue"),
                attendance_percentage: row.get("percentage"),
            };
            async move {
                let attempt = portal.post(&id, &record).await;
                record_attempt(pool, portal, &id, attempts + 1, &attempt).await
            }
        });
        let results: Vec<Result<Delivery, sqlx::Error>> =
            futures::stream::iter(jobs).buffer_unordered(portal.config.concurrency).collect().await;
        for result in results {
            match result? {
                Delivery::Delivered => outcome.delivered += 1,
                Delivery::Retry => outcome.retried += 1,
                Delivery::Dead => outcome.dead += 1,
            }
            progress.inc(1);
        }
    }
}

enum Delivery {
    Delivered,
    Retry,
    Dead,
}

async fn record_attempt(
    pool: &PgPool,
    portal: &Portal,
    id: &str,
    attempts: i32,
    attempt: &Attempt,
) -> Result<Delivery, sqlx::Error> {
    let (status, delivery) = if attempt.succeeded() {
        ("delivered", Delivery::Delivered)
    } else if attempts >= portal.config.max_attempts {
        tracing::warn!(attendance_id = id, attempts, error = ?attempt.error, "delivery dead");
        ("dead", Delivery::Dead)
    } else {
        ("pending", Delivery::Retry)
    };
    let delay = chrono::Duration::from_std(portal.backoff(attempts)).unwrap_or_default();
    sqlx::query(
        "UPDATE portal_deliveries SET status = $2, attempts = $3, last_attempt_at = now(), next_attempt_at = now() + $4,
                last_status_code = $5, last_response = $6, last_error = $7,
                delivered_at = CASE WHEN $2 = 'delivered' THEN now() ELSE delivered_at END
         WHERE attendance_id = $1",
    )
    .bind(id)
    .bind(status)
    .bind(attempts)
    .bind(delay)
    .bind(attempt.status_code)
    .bind(&attempt.response)
    .bind(&attempt.error)
    .execute(pool)
    .await?;
    Ok(delivery)
}

fn local_time(at: DateTime<Utc>, timezone: &jiff::tz::TimeZone) -> String {
    jiff::Timestamp::from_second(at.timestamp())
        .map(|t| t.to_zoned(timezone.clone()).strftime("%H:%M:%S").to_string())
        .unwrap_or_default()
}

/// Queues every dead delivery again; returns how many.
pub async fn retry_dead(pool: &PgPool) -> Result<u64, sqlx::Error> {
    Ok(sqlx::query(
        "UPDATE portal_deliveries SET status = 'pending', attempts = 0, next_attempt_at = now() WHERE status = 'dead'",
    )
    .execute(pool)
    .await?
    .rows_affected())
}
