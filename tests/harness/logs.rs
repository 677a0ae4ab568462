//! The app's security events as a test sees them: a process-wide tracing subscriber that keeps
//! every event of the `security` target as one `key=value` line. Tests run in parallel in one
//! process, so a test looks for lines naming its own (unique) values.

use std::sync::{Mutex, OnceLock};

use tracing::field::{Field, Visit};
use tracing_subscriber::layer::{Context, SubscriberExt};
use tracing_subscriber::util::SubscriberInitExt;

static LINES: Mutex<Vec<String>> = Mutex::new(Vec::new());

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

impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for Capture {
    fn on_event(&self, event: &tracing::Event<'_>, _: Context<'_, S>) {
        if event.metadata().target() == "security" {
            let mut line = Line(format!("level={}", event.metadata().level()));
            event.record(&mut line);
            LINES.lock().unwrap_or_else(std::sync::PoisonError::into_inner).push(line.0);
        }
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
