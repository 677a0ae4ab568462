//! The application state every handler shares: an `Arc` inside, parts reachable by `FromRef`.

use std::sync::Arc;

use axum::extract::FromRef;

use super::Templates;
use super::attend::cache::SessionCache;
use crate::auth::password::PasswordGate;
use crate::auth::tokens::Signer;
use crate::config::AppSettings;
use crate::store::Store;

/// The settings handlers read: the part of the configuration that matters after start-up.
pub type Settings = AppSettings;

struct Inner {
    store: Store,
    password_gate: PasswordGate,
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
        let password_gate = PasswordGate::new(settings.password_checks, settings.password_wait);
        Self(Arc::new(Inner {
            store,
            password_gate,
            attend_cache: SessionCache::default(),
            templates,
            signer,
            settings,
        }))
    }

    pub fn store(&self) -> &Store {
        &self.0.store
    }

    /// The cap on concurrent password verifications.
    pub fn password_gate(&self) -> &PasswordGate {
        &self.0.password_gate
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
