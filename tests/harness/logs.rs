//! The app's log as a test sees it: a process-wide tracing subscriber that keeps every event of
//! the `security` target as one `key=value` line, and every event of ours (the app, the
//! reconciler, request traces) at every level, with its span's fields, for a test that must
//! show something is never logged. Tests run in parallel in one process, so a test looks for
//! lines naming its own (unique) values.

use std::sync::{Mutex, OnceLock};

use tracing::field::{Field, Visit};
use tracing_subscriber::layer::{Context, SubscriberExt};
use tracing_subscriber::util::SubscriberInitExt;

static LINES: Mutex<Vec<String>> = Mutex::new(Vec::new());
static EVERY: Mutex<Vec<String>> = Mutex::new(Vec::new());

/// Our own targets, and the request traces (the path, never the body).
fn ours(target: &str) -> bool {
    ["security", "attendance", "reconciler", "tower_http"].iter().any(|t| target.starts_with(t))
}

struct Capture;

struct Line(String);

impl Visit for Line {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.0.push_str(&format!(" {}={value:?}", field.name()));
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.push_str(&format!(" {}={value}", field.name()));
    }
}

impl<S> tracing_subscriber::Layer<S> for Capture
where
    S: tracing::Subscriber + for<'a> tracing_subscriber::registry::LookupSpan<'a>,
{
    fn on_new_span(&self, attrs: &tracing::span::Attributes<'_>, _: &tracing::span::Id, _: Context<'_, S>) {
        if ours(attrs.metadata().target()) {
            let mut line = Line(format!("span={}", attrs.metadata().name()));
            attrs.record(&mut line);
            EVERY.lock().unwrap_or_else(std::sync::PoisonError::into_inner).push(line.0);
        }
    }

    fn on_event(&self, event: &tracing::Event<'_>, _: Context<'_, S>) {
        let target = event.metadata().target();
        if !ours(target) {
            return;
        }
        let mut line = Line(format!("level={} target={target}", event.metadata().level()));
        event.record(&mut line);
        if target == "security" {
            LINES.lock().unwrap_or_else(std::sync::PoisonError::into_inner).push(line.0.clone());
        }
        EVERY.lock().unwrap_or_else(std::sync::PoisonError::into_inner).push(line.0);
    }
}

/// Starts keeping security events (once per process).
pub fn capture() {
    static STARTED: OnceLock<()> = OnceLock::new();
    STARTED.get_or_init(|| {
        let _ = tracing_subscriber::registry().with(Capture).try_init();
    });
}

/// The security events so far that contain every one of `needles`.
pub fn security_events(needles: &[&str]) -> Vec<String> {
    LINES
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .iter()
        .filter(|line| needles.iter().all(|n| line.contains(n)))
        .cloned()
        .collect()
}

/// Every line of ours so far (events at any level, and new spans with their fields) that
/// contains every one of `needles`.
pub fn every_line(needles: &[&str]) -> Vec<String> {
    EVERY
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .iter()
        .filter(|line| needles.iter().all(|n| line.contains(n)))
        .cloned()
        .collect()
}
