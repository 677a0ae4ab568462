//! The `reconcile_runs` table: one row per run, and the report `reconciler status` prints.

use std::fmt::Write as _;

use crate::portal::queue::spelled;
use chrono::{DateTime, Utc};
use sqlx::{PgPool, Row};

use crate::summary::Summary;

/// Opens a run record. Runs still marked running belong to processes that died (this one
/// holds the lock, so no other run is alive): they are closed as failed first.
pub async fn start(pool: &PgPool, full: bool) -> Result<i64, sqlx::Error> {
    sqlx::query(
        "UPDATE reconcile_runs SET status = 'failed', error = 'the process ended before the run finished (killed or crashed)'
         WHERE status = 'running'",
    )
    .execute(pool)
    .await?;
    Ok(sqlx::query("INSERT INTO reconcile_runs (full_mirror) VALUES ($1) RETURNING id")
        .bind(full)
        .fetch_one(pool)
        .await?
        .get(0))
}

pub async fn finish(
    pool: &PgPool,
    id: i64,
    summary: &Summary,
    error: Option<&str>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE reconcile_runs SET finished_at = now(), status = $2, mirrored = $3, removed = $4, delivered = $5,
                retried = $6, dead = $7, durations = $8, peak_rss_kb = $9, error = $10, rejected = $11,
                forwarding_note = $12
         WHERE id = $1",
    )
    .bind(id)
    .bind(if error.is_some() { "failed" } else { "succeeded" })
    .bind(serde_json::to_value(&summary.mirror.changed).unwrap_or_default())
    .bind(serde_json::to_value(&summary.mirror.removed).unwrap_or_default())
    .bind(i32::try_from(summary.forward.delivered).unwrap_or(i32::MAX))
    .bind(i32::try_from(summary.forward.retried).unwrap_or(i32::MAX))
    .bind(i32::try_from(summary.forward.dead).unwrap_or(i32::MAX))
    .bind(serde_json::to_value(&summary.durations_ms).unwrap_or_default())
    .bind(summary.peak_rss_kb)
    .bind(error)
    .bind(i32::try_from(summary.mirror.rejected).unwrap_or(i32::MAX))
    .bind(summary.forward.halted.as_ref().map(ToString::to_string))
    .execute(pool)
    .await?;
    Ok(())
}

/// A human-readable report: recent runs, the delivery backlog, dead letters, watermarks.
/// Long on purpose: it is the text of `reconciler status`, one section after another.
pub async fn report(pool: &PgPool, clock: &attendance::clock::Clock) -> Result<String, sqlx::Error> {
    let mut out = String::new();
    let _ = writeln!(out, "Recent runs:");
    let runs = sqlx::query(
        "SELECT id, started_at, status, full_mirror, mirrored, delivered, retried, dead, rejected,
                (durations->>'total')::bigint AS total_ms, error, forwarding_note
         FROM reconcile_runs ORDER BY id DESC LIMIT 10",
    )
    .fetch_all(pool)
    .await?;
    if runs.is_empty() {
        let _ = writeln!(out, "  none yet");
    }
    for run in runs {
        let started: DateTime<Utc> = run.get("started_at");
        let total: Option<i64> = run.get("total_ms");
        let error: Option<String> = run.get("error");
        let note: Option<String> = run.get("forwarding_note");
        let rejected: i32 = run.get("rejected");
        let _ = writeln!(
            out,
            "  #{:<5} {} {:<9}{} mirrored {} delivered {} retried {} dead {}{}{}{}{}",
            run.get::<i64, _>("id"),
            started.format("%Y-%m-%d %H:%M:%S"),
            run.get::<String, _>("status"),
            if run.get::<bool, _>("full_mirror") { " (full)" } else { "" },
            run.get::<serde_json::Value, _>("mirrored"),
            run.get::<i32, _>("delivered"),
            run.get::<i32, _>("retried"),
            run.get::<i32, _>("dead"),
            if rejected > 0 { format!(" rejected {rejected}") } else { String::new() },
            total.map(|ms| format!(" in {:.1} s", ms as f64 / 1000.0)).unwrap_or_default(),
            error.map(|e| format!(" error: {e}")).unwrap_or_default(),
            note.map(|n| format!(" forwarding stopped: {n}")).unwrap_or_default(),
        );
    }
    let backlog = sqlx::query(sqlx::AssertSqlSafe(spelled(
        "SELECT count(*) FILTER (WHERE status = {pending}) AS pending,
                count(*) FILTER (WHERE status = {pending} AND next_attempt_at <= $1) AS due,
                count(*) FILTER (WHERE status = {delivered}) AS delivered,
                count(*) FILTER (WHERE status = {dead}) AS dead
         FROM portal_deliveries",
    )))
    .bind(crate::portal::now(clock))
    .fetch_one(pool)
    .await?;
    let _ = writeln!(
        out,
        "Portal deliveries: {} pending ({} due now), {} delivered, {} dead{}",
        backlog.get::<i64, _>("pending"),
        backlog.get::<i64, _>("due"),
        backlog.get::<i64, _>("delivered"),
        backlog.get::<i64, _>("dead"),
        if backlog.get::<i64, _>("dead") > 0 { " (`reconciler retry-dead` queues them again)" } else { "" },
    );
    let dead = sqlx::query(sqlx::AssertSqlSafe(spelled(
        "SELECT idempotency_key, attempts, last_status_code, last_error FROM portal_deliveries
         WHERE status = {dead} ORDER BY last_attempt_at DESC LIMIT 5",
    )))
    .fetch_all(pool)
    .await?;
    for row in dead {
        let _ = writeln!(
            out,
            "  dead: {} after {} attempts, last {}",
            row.get::<String, _>("idempotency_key"),
            row.get::<i32, _>("attempts"),
            row.get::<Option<String>, _>("last_error").unwrap_or_else(|| "?".into()),
        );
    }
    let rejects = sqlx::query(
        "SELECT collection, document_id, error, last_seen, count(*) OVER () AS total FROM mirror_rejects
         ORDER BY last_seen DESC LIMIT 10",
    )
    .fetch_all(pool)
    .await?;
    let total: i64 = rejects.first().map(|r| r.get("total")).unwrap_or(0);
    let _ = writeln!(out, "Rejected documents (skipped until a valid version replaces them): {total}");
    for row in rejects {
        let _ = writeln!(
            out,
            "  {}/{}: {}",
            row.get::<String, _>("collection"),
            row.get::<String, _>("document_id"),
            row.get::<String, _>("error"),
        );
    }
    let _ = writeln!(out, "Watermarks:");
    for row in sqlx::query("SELECT collection, watermark FROM mirror_state ORDER BY collection")
        .fetch_all(pool)
        .await?
    {
        let watermark: Option<DateTime<Utc>> = row.get("watermark");
        let _ = writeln!(
            out,
            "  {:<18} {}",
            row.get::<String, _>("collection"),
            watermark.map_or("-".into(), |w| w.format("%Y-%m-%d %H:%M:%S%.3f UTC").to_string())
        );
    }
    Ok(out)
}
