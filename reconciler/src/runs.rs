//! The `reconcile_runs` table: one row per run, and the report `reconciler status` prints.

use std::fmt::Write as _;

use chrono::{DateTime, Utc};
use sqlx::{PgPool, Row};

use crate::run::Summary;

pub async fn start(pool: &PgPool, full: bool) -> Result<i64, sqlx::Error> {
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
                retried = $6, dead = $7, durations = $8, peak_rss_kb = $9, error = $10
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
    .execute(pool)
    .await?;
    Ok(())
}

/// A human-readable report: recent runs, the delivery backlog, dead letters, watermarks.
pub async fn report(pool: &PgPool) -> Result<String, sqlx::Error> {
    let mut out = String::new();
    let _ = writeln!(out, "Recent runs:");
    let runs = sqlx::query(
        "SELECT id, started_at, status, full_mirror, mirrored, delivered, retried, dead,
                (durations->>'total')::bigint AS total_ms, error
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
        let _ = writeln!(
            out,
            "  #{:<5} {} {:<9}{} mirrored {} delivered {} retried {} dead {}{}{}",
            run.get::<i64, _>("id"),
            started.format("%Y-%m-%d %H:%M:%S"),
            run.get::<String, _>("status"),
            if run.get::<bool, _>("full_mirror") { " (full)" } else { "" },
            run.get::<serde_json::Value, _>("mirrored"),
            run.get::<i32, _>("delivered"),
            run.get::<i32, _>("retried"),
            run.get::<i32, _>("dead"),
            total.map(|ms| format!(" in {:.1} s", ms as f64 / 1000.0)).unwrap_or_default(),
            error.map(|e| format!(" error: {e}")).unwrap_or_default(),
        );
    }
    let backlog = sqlx::query(
        "SELECT count(*) FILTER (WHERE status = 'pending') AS pending,
                count(*) FILTER (WHERE status = 'pending' AND next_attempt_at <= now()) AS due,
                count(*) FILTER (WHERE status = 'delivered') AS delivered,
                count(*) FILTER (WHERE status = 'dead') AS dead
         FROM portal_deliveries",
    )
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
    let dead = sqlx::query(
        "SELECT attendance_id, attempts, last_status_code, last_error FROM portal_deliveries
         WHERE status = 'dead' ORDER BY last_attempt_at DESC LIMIT 5",
    )
    .fetch_all(pool)
    .await?;
    for row in dead {
        let _ = writeln!(
            out,
            "  dead: {} after {} attempts, last {}",
            row.get::<String, _>("attendance_id"),
            row.get::<i32, _>("attempts"),
            row.get::<Option<String>, _>("last_error").unwrap_or_else(|| "?".into()),
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
            "  {:<12} {}",
            row.get::<String, _>("collection"),
            watermark.map_or("-".into(), |w| w.format("%Y-%m-%d %H:%M:%S%.3f UTC").to_string())
        );
    }
    Ok(out)
}
