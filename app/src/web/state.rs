//! The application state every handler shares: an `Arc` inside, parts reachable by `FromRef`.

use std::sync::Arc;

use axum::extract::FromRef;

use super::Templates;
use super::attend::cache::SessionCache;
use crate::auth::login::SessionPolicy;
use crate::auth::tokens::Signer;
use crate::config::{BaseUrl, Config, SecretKey};
use crate::domain::YearStart;
use crate::store::Store;

/// The settings handlers read (the part of `Config` that matters after start-up).
#[derive(Debug, Clone)]
pub struct Settings {
    pub base_url: BaseUrl,
    pub secret_key: SecretKey,
    pub expected_lessons: u32,
    pub year_start: YearStart,
    pub timezone: jiff::tz::TimeZone,
    pub session_policy: SessionPolicy,
    pub proxy_hops: usize,
    /// Seconds each rotating QR code is shown for.
    pub qr_rotation_secs: i64,
    /// Whether a phone may mark only one student per session.
    pub one_device_per_student: bool,
}

impl From<&Config> for Settings {
    fn from(config: &Config) -> Self {
        Self {
            base_url: config.base_url.clone(),
            secret_key: config.secret_key.clone(),
            expected_lessons: config.expected_lessons,
            year_start: config.year_start,
            timezone: config.timezone.clone(),
            session_policy: config.session_policy,
            proxy_hops: config.proxy_hops,
            qr_rotation_secs: config.qr_rotation_secs,
            one_device_per_student: config.one_device_per_student,
        }
    }
}

struct Inner {
    store: Store,
    attend_cache: SessionCache,
    templates: Templates,
    signer: Signer,
    settings: Settings,
}

#[derive(Clone)]
pub struct AppState(Arc<Inner>);

impl AppState {
    pub fn new(store: Store, templates: Templates, settings: Settings) -> Self {
        let signer = Signer::new(settings.secret_key.clone());
        Self(Arc::new(Inner { store, attend_cache: SessionCache::default(), templates, signer, settings }))
    }

    pub fn store(&self) -> &Store {
        &self.0.store
    }

    pub fn templates(&self) -> &Templates {
        &self.0.templates
    }

    /// The student pages' short-lived memory of sessions.
    pub fn attend_cache(&self) -> &SessionCache {
        &self.0.attend_cache
    }

    pub fn signer(&self) -> &Signer {
        &self.0.signer
    }

    pub fn settings(&self) -> &Settings {
        &self.0.settings
    }
}

impl FromRef<AppState> for Store {
    fn from_ref(state: &AppState) -> Self {
        state.0.store.clone()
    }
}
