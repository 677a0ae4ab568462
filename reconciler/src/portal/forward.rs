//! One pass of forwarding: every due record once, within the pass's time budget, stopping
//! early (without spending attempts) when the answers show a configuration problem.

use std::sync::Mutex;
use std::time::Duration;

use chrono::{DateTime, NaiveDate, Utc};
use futures::StreamExt;
use indicatif::ProgressBar;
use sqlx::postgres::PgRow;
use sqlx::{PgPool, Row};

use attendance::clock::Clock;

use attendance::model::MarkStatus;

use super::client::{Attempt, Portal, PortalRecord, Verdict};
use super::queue::{Action, DeliveryStatus, spelled};
use crate::time;

/// Why forwarding stopped before the queue was empty.
#[derive(Debug, Clone, PartialEq)]
pub enum Halt {
    /// The Portal answered 3xx: the URL is wrong.
    Redirected(String),
    /// The Portal answered 401/403: the credentials are wrong.
    Unauthorized(String),
    /// The pass's time budget ran out; the rest goes out next pass.
    Budget,
}

impl Halt {
    /// Whether a person must change the configuration before records can flow again.
    pub fn needs_operator(&self) -> bool {
        !matches!(self, Self::Budget)
    }
}

impl std::fmt::Display for Halt {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Redirected(to) => write!(f, "the Portal redirected to {to}: fix PORTAL_API_URL"),
            Self::Unauthorized(why) => write!(
                f,
                "the Portal refused our credentials ({why}): check PORTAL_API_TOKEN / PORTAL_AUDIENCE"
            ),
            Self::Budget => {
                write!(f, "the forwarding time budget (PORTAL_BUDGET) ran out; the rest goes next pass")
            }
        }
    }
}

#[derive(Debug, Default, Clone)]
pub struct ForwardOutcome {
    pub delivered: u64,
    pub retried: u64,
    pub dead: u64,
    pub halted: Option<Halt>,
}

/// Sends every due record once (at most one attempt per record per pass). Every time the queue
/// is judged or stamped by comes from `clock`, never from PostgreSQL's `now()`: one time base
/// for "due", back-off and give-up.
#[tracing::instrument(skip_all)]
pub async fn forward(
    pool: &PgPool,
    portal: &Portal,
    timezone: &jiff::tz::TimeZone,
    clock: &Clock,
    progress: &ProgressBar,
) -> Result<ForwardOutcome, sqlx::Error> {
    let pass = Pass {
        pool: pool.clone(),
        portal,
        timezone: timezone.clone(),
        clock: clock.clone(),
        progress: progress.clone(),
        deadline: tokio::time::Instant::now() + portal.config.budget,
        outcome: Mutex::new(ForwardOutcome::default()),
    };
    let run_started = now(clock);
    progress.set_message("forwarding to the Portal");
    while !pass.halted() {
        let rows = due_page(pool, run_started).await?;
        if rows.is_empty() {
            break;
        }
        let sends = rows.into_iter().map(|row| pass.send(row));
        let results: Vec<Result<(), sqlx::Error>> =
            futures::stream::iter(sends).buffer_unordered(portal.config.concurrency).collect().await;
        results.into_iter().collect::<Result<(), _>>()?;
    }
    let outcome = pass.outcome.into_inner().unwrap_or_default();
    if let Some(halt) = &outcome.halted {
        tracing::warn!(%halt, "forwarding stopped early");
    }
    Ok(outcome)
}

/// The next page of due records (at most 500), each with what the mirror holds to build it;
/// a record is tried once per pass (`run_started`).
async fn due_page(pool: &PgPool, run_started: DateTime<Utc>) -> Result<Vec<PgRow>, sqlx::Error> {
    sqlx::query(sqlx::AssertSqlSafe(spelled(
        // Pick the due page first, then build only those records: the percentage is a
        // per-record lookup, never computed for the whole mirror.
        "WITH due AS MATERIALIZED (
            SELECT d.idempotency_key, d.attendance_id, d.action, d.attempts, d.first_attempt_at, d.payload,
                   d.next_attempt_at
            FROM portal_deliveries d
            WHERE d.status = {pending} AND d.next_attempt_at <= $1
              AND (d.last_attempt_at IS NULL OR d.last_attempt_at < $1)
            ORDER BY d.next_attempt_at, d.idempotency_key
            LIMIT 500
         )
         SELECT due.*, r.status, r.student_name, r.admission_number, r.unit_code, r.date, r.marked_at,
                r.lecturer_name, r.venue, r.shown_percentage::float8 AS percentage
         FROM due
         LEFT JOIN LATERAL (SELECT * FROM portal_records p WHERE p.attendance_id = due.attendance_id) r ON true
         ORDER BY due.next_attempt_at, due.idempotency_key",
    )))
    .bind(run_started)
    .fetch_all(pool)
    .await
}

/// One forwarding pass: what every record's attempt needs, and the tally so far.
struct Pass<'a> {
    pool: PgPool,
    portal: &'a Portal,
    timezone: jiff::tz::TimeZone,
    clock: Clock,
    progress: ProgressBar,
    deadline: tokio::time::Instant,
    outcome: Mutex<ForwardOutcome>,
}

impl Pass<'_> {
    fn halted(&self) -> bool {
        self.outcome.lock().map(|o| o.halted.is_some()).unwrap_or(true)
    }

    /// One attempt at one due record, recorded; nothing once the budget ran out or a
    /// configuration problem halted the pass (the rest is left untouched for next pass).
    async fn send(&self, row: PgRow) -> Result<(), sqlx::Error> {
        if tokio::time::Instant::now() >= self.deadline {
            if let Ok(mut o) = self.outcome.lock() {
                o.halted.get_or_insert(Halt::Budget);
            }
            return Ok(());
        }
        if self.halted() {
            return Ok(());
        }
        let due = Due::from_row(&row, &self.timezone)?;
        let attempt = match &due.record {
            Ok(record) => self.portal.post(&due.key, record).await,
            Err(unsendable) => {
                let (verdict, error) = match unsendable {
                    Unsendable::Missing(why) => (Verdict::Retry { after: None }, why),
                    Unsendable::Broken(why) => (Verdict::Refused, why),
                };
                Attempt { verdict, status_code: None, response: None, error: Some(error.clone()) }
            }
        };
        let verdict = record_attempt(&self.pool, self.portal, &due, &attempt, now(&self.clock)).await?;
        self.progress.inc(1);
        if let Ok(mut o) = self.outcome.lock() {
            match verdict {
                Recorded::Delivered => o.delivered += 1,
                Recorded::Retry => o.retried += 1,
                Recorded::Dead => o.dead += 1,
                Recorded::Halt(halt) => {
                    o.halted.get_or_insert(halt);
                }
            }
        }
        Ok(())
    }
}

/// A due record, with its payload built from the mirror (or kept from when it was queued).
struct Due {
    key: String,
    attempts: i32,
    first_attempt_at: Option<DateTime<Utc>>,
    record: Result<PortalRecord, Unsendable>,
}

/// Why a due record cannot be built.
#[derive(Debug, Clone)]
enum Unsendable {
    /// Something it needs is not in the mirror yet (a rejected or unread session): it may be.
    Missing(String),
    /// Its kept payload is damaged: it never will be sendable.
    Broken(String),
}

/// A record kept in the queue when its mark left the mirror: `portal_records` as it was,
/// every field required (a missing one is a broken record, never an empty field sent).
#[derive(Debug, serde::Deserialize)]
struct Kept {
    status: Option<MarkStatus>,
    student_name: String,
    admission_number: String,
    unit_code: String,
    date: String,
    marked_at: jiff::Timestamp,
    lecturer_name: String,
    venue: String,
    shown_percentage: f64,
}

impl Due {
    fn from_row(row: &PgRow, timezone: &jiff::tz::TimeZone) -> Result<Self, sqlx::Error> {
        let action: Action = row.try_get("action")?;
        let kept: Option<serde_json::Value> = row.try_get("payload")?;
        let record = match kept {
            Some(payload) => serde_json::from_value::<Kept>(payload)
                .map(|k| PortalRecord {
                    action,
                    status: k.status,
                    student_name: k.student_name,
                    admission_number: k.admission_number,
                    unit_code: k.unit_code,
                    date: k.date,
                    time: local_time(k.marked_at, timezone),
                    lecturer: k.lecturer_name,
                    venue: k.venue,
                    attendance_percentage: k.shown_percentage,
                })
                .map_err(|e| Unsendable::Broken(format!("the kept record is damaged: {e}"))),
            None => Self::build(row, action, timezone)?,
        };
        Ok(Self {
            key: row.try_get("idempotency_key")?,
            attempts: row.try_get("attempts")?,
            first_attempt_at: row.try_get("first_attempt_at")?,
            record,
        })
    }

    fn build(
        row: &PgRow,
        action: Action,
        timezone: &jiff::tz::TimeZone,
    ) -> Result<Result<PortalRecord, Unsendable>, sqlx::Error> {
        let missing = |what: &str| Ok(Err(Unsendable::Missing(what.to_owned())));
        let Some(name) = row.try_get::<Option<String>, _>("student_name")? else {
            return missing("the mark is not in the mirror");
        };
        let Some(date) = row.try_get::<Option<NaiveDate>, _>("date")? else {
            return missing("the mark's session is not in the mirror (rejected or not yet read)");
        };
        let Some(percentage) = row.try_get::<Option<f64>, _>("percentage")? else {
            return missing("the mark's unit is not in the mirror");
        };
        let marked_at: DateTime<Utc> = row.try_get("marked_at")?;
        let status: Option<String> = row.try_get("status")?;
        Ok(Ok(PortalRecord {
            action,
            status: status.as_deref().and_then(MarkStatus::parse),
            student_name: name,
            admission_number: row.try_get("admission_number")?,
            unit_code: row.try_get("unit_code")?,
            date: date.to_string(),
            time: time::to_firestore(marked_at).map(|t| local_time(t, timezone)).unwrap_or_default(),
            lecturer: row.try_get("lecturer_name")?,
            venue: row.try_get("venue")?,
            attendance_percentage: percentage,
        }))
    }
}

/// The clock's now at PostgreSQL's precision.
pub fn now(clock: &Clock) -> DateTime<Utc> {
    time::instant(clock.now()).unwrap_or_else(|_| Utc::now())
}

fn local_time(at: jiff::Timestamp, timezone: &jiff::tz::TimeZone) -> String {
    at.to_zoned(timezone.clone()).strftime("%H:%M:%S").to_string()
}

enum Recorded {
    Delivered,
    Retry,
    Dead,
    Halt(Halt),
}

async fn record_attempt(
    pool: &PgPool,
    portal: &Portal,
    due: &Due,
    attempt: &Attempt,
    now: DateTime<Utc>,
) -> Result<Recorded, sqlx::Error> {
    let first = due.first_attempt_at.unwrap_or(now);
    let give_up = chrono::Duration::from_std(portal.config.give_up_after).unwrap_or(chrono::Duration::MAX);
    use DeliveryStatus::{Dead, Delivered, Pending};
    let (status, recorded, spend, delay) = match &attempt.verdict {
        Verdict::Delivered => (Delivered, Recorded::Delivered, true, Duration::ZERO),
        Verdict::Refused => (Dead, Recorded::Dead, true, Duration::ZERO),
        Verdict::Redirected { location } => {
            (Pending, Recorded::Halt(Halt::Redirected(location.clone())), false, Duration::ZERO)
        }
        Verdict::Unauthorized => {
            let why = attempt.error.clone().unwrap_or_else(|| "HTTP 401/403".into());
            (Pending, Recorded::Halt(Halt::Unauthorized(why)), false, Duration::ZERO)
        }
        Verdict::Retry { .. } if now - first >= give_up => (Dead, Recorded::Dead, true, Duration::ZERO),
        Verdict::Retry { after } => {
            let backoff = portal.backoff(due.attempts + 1);
            (Pending, Recorded::Retry, true, after.map_or(backoff, |a| a.max(backoff)))
        }
    };
    if matches!(recorded, Recorded::Dead) {
        tracing::warn!(key = due.key, error = ?attempt.error, "delivery dead");
    }
    // Answers that only show a configuration problem are kept for audit but spend nothing:
    // no attempt, no change of when the record is due.
    let stamp = Stamp { key: &due.key, status, spend, delay, now };
    if let Err(e) =
        stamp.write(pool, attempt.status_code, attempt.response.as_ref(), attempt.error.as_deref()).await
    {
        // The answer could not be kept (something in it PostgreSQL refuses): the attempt
        // still counts, with the reason, and the pass goes on.
        tracing::warn!(key = due.key, error = %e, "the Portal's answer could not be stored; kept without it");
        let why = format!("the Portal's answer could not be stored: {e}");
        stamp.write(pool, attempt.status_code, None, Some(&why)).await?;
    }
    Ok(recorded)
}

/// What one attempt changes in its delivery row.
struct Stamp<'a> {
    key: &'a str,
    status: DeliveryStatus,
    spend: bool,
    delay: Duration,
    now: DateTime<Utc>,
}

impl Stamp<'_> {
    async fn write(
        &self,
        pool: &PgPool,
        status_code: Option<i32>,
        response: Option<&serde_json::Value>,
        error: Option<&str>,
    ) -> Result<(), sqlx::Error> {
        sqlx::query(
            "UPDATE portal_deliveries SET status = $2,
                    attempts = attempts + CASE WHEN $3 THEN 1 ELSE 0 END,
                    first_attempt_at = CASE WHEN $3 THEN coalesce(first_attempt_at, $8) ELSE first_attempt_at END,
                    last_attempt_at = CASE WHEN $3 THEN $8 ELSE last_attempt_at END,
                    next_attempt_at = CASE WHEN $3 THEN $8 + $4 * interval '1 millisecond' ELSE next_attempt_at END,
                    last_status_code = $5, last_response = $6, last_error = $7,
                    delivered_at = CASE WHEN $9 THEN $8 ELSE delivered_at END
             WHERE idempotency_key = $1",
        )
        .bind(self.key)
        .bind(self.status)
        .bind(self.spend)
        .bind(time::delay_ms(self.delay))
        .bind(status_code)
        .bind(response)
        .bind(error)
        .bind(self.now)
        .bind(self.status == DeliveryStatus::Delivered)
        .execute(pool)
        .await
        .map(|_| ())
    }
}

/// Queues dead deliveries again (all, or the one with this idempotency key or attendance id),
/// due at once by `clock`; returns how many. Their give-up age starts over.
pub async fn retry_dead(pool: &PgPool, only: Option<&str>, clock: &Clock) -> Result<u64, sqlx::Error> {
    Ok(sqlx::query(sqlx::AssertSqlSafe(spelled(
        "UPDATE portal_deliveries SET status = {pending}, attempts = 0, first_attempt_at = NULL, next_attempt_at = $2
         WHERE status = {dead} AND ($1::text IS NULL OR idempotency_key = $1 OR attendance_id = $1)",
    )))
    .bind(only)
    .bind(now(clock))
    .execute(pool)
    .await?
    .rows_affected())
}
