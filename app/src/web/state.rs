//! The application state every handler shares: an `Arc` inside, parts reachable by `FromRef`.

use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use axum::extract::FromRef;

use super::Templates;
use super::attend::budget::MarkBudget;
use super::attend::cache::SessionCache;
use crate::auth::access::AccessCache;
use crate::auth::password::PasswordGate;
use crate::auth::tokens::Signer;
use crate::clock::Clock;
use crate::config::AppSettings;
use crate::store::Store;

/// The settings handlers read: the part of the configuration that matters after start-up.
pub type Settings = AppSettings;

struct Inner {
    store: Store,
    password_gate: PasswordGate,
    access: AccessCache,
    mark_budget: MarkBudget,
    /// Set once the "X-Forwarded-For without PROXY_HOPS" warning was logged.
    forwarded_warning: AtomicBool,
    attend_cache: SessionCache,
    live: super::live::LiveHub,
    templates: Templates,
    signer: Signer,
    settings: Settings,
    clock: Clock,
}

#[derive(Clone)]
pub struct AppState(Arc<Inner>);

impl AppState {
    pub fn new(store: Store, templates: Templates, settings: Settings, clock: Clock) -> Self {
        let signer = Signer::new(settings.secret_key.clone());
        let password_gate = PasswordGate::new(settings.password_checks, settings.password_wait);
        let mark_budget = MarkBudget::new(settings.marks_per_address);
        Self(Arc::new(Inner {
            store,
            password_gate,
            access: AccessCache::default(),
            mark_budget,
            forwarded_warning: AtomicBool::new(false),
            attend_cache: SessionCache::default(),
            live: super::live::LiveHub::default(),
            templates,
            signer,
            settings,
            clock,
        }))
    }

    pub fn store(&self) -> &Store {
        &self.0.store
    }

    /// The cap on concurrent password verifications.
    pub fn password_gate(&self) -> &PasswordGate {
        &self.0.password_gate
    }

    /// Which accounts' login sessions may act (an account's state, cached a few seconds).
    pub fn access(&self) -> &AccessCache {
        &self.0.access
    }

    /// Marks per client network per session, on this instance.
    pub fn mark_budget(&self) -> &MarkBudget {
        &self.0.mark_budget
    }

    pub fn forwarded_warning(&self) -> &AtomicBool {
        &self.0.forwarded_warning
    }

    pub fn templates(&self) -> &Templates {
        &self.0.templates
    }

    /// The session listeners this instance runs, and their viewers.
    pub fn live(&self) -> &super::live::LiveHub {
        &self.0.live
    }

    /// The student pages' short-lived memory of sessions.
    pub fn attend_cache(&self) -> &SessionCache {
        &self.0.attend_cache
    }

    pub fn signer(&self) -> &Signer {
        &self.0.signer
    }

    /// "Now", for every rule that depends on it (windows, late marks, token ages).
    pub fn clock(&self) -> &Clock {
        &self.0.clock
    }

    /// Now, in the app's time zone.
    pub fn now_local(&self) -> jiff::Zoned {
        self.0.clock.now().to_zoned(self.0.settings.timezone.clone())
    }

    pub fn settings(&self) -> &Settings {
        &self.0.settings
    }

    /// Whether cookies are `Secure` and `__Host-` prefixed: when the public address is https.
    pub fn secure_cookies(&self) -> bool {
        self.0.settings.base_url.is_https()
    }
}

impl FromRef<AppState> for Store {
    fn from_ref(state: &AppState) -> Self {
        state.0.store.clone()
    }
}
