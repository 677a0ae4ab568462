//! Building the Firestore client: production credentials from Google's standard lookup, or the
//! emulator's admin token, chosen by explicit settings rather than process environment so one
//! process (a test run) can hold clients for many projects and emulators.

use std::time::Duration;

use firestore::gcloud_sdk::google_cloud_auth::credentials::{
    CacheableResource, Credentials, CredentialsProvider, EntityTag,
};
use firestore::gcloud_sdk::google_cloud_auth::errors::CredentialsError;
use firestore::gcloud_sdk::{GoogleAuthHeaders, HeaderMap};
use firestore::{FirestoreDb, FirestoreDbOptions};

use super::StoreError;

/// Where the store's documents live.
#[derive(Debug, Clone)]
pub struct FirestoreSettings {
    pub project_id: String,
    /// `host:port` of a Firestore emulator; `None` means production Firestore.
    pub emulator_host: Option<String>,
    /// Upper bound for one request; a hung connection must not hold a page for minutes.
    pub request_timeout: Duration,
}

impl FirestoreSettings {
    pub fn emulator(project_id: impl Into<String>, host: impl Into<String>) -> Self {
        Self {
            project_id: project_id.into(),
            emulator_host: Some(host.into()),
            request_timeout: Duration::from_secs(10),
        }
    }
}

pub(super) async fn connect(settings: &FirestoreSettings) -> Result<FirestoreDb, StoreError> {
    let options =
        FirestoreDbOptions::new(settings.project_id.clone()).with_request_timeout(settings.request_timeout);
    let db = match &settings.emulator_host {
        Some(host) => {
            let options = options.with_firebase_api_url(format!("http://{host}"));
            let auth = GoogleAuthHeaders::from(Credentials::from(EmulatorOwner { tag: EntityTag::new() }));
            FirestoreDb::with_options_auth(options, auth).await?
        }
        None => FirestoreDb::with_options(options).await?,
    };
    Ok(db)
}

/// The emulator's admin identity (`Bearer owner`): it bypasses `firestore.rules` exactly as the
/// server's service account does in production.
#[derive(Debug)]
struct EmulatorOwner {
    tag: EntityTag,
}

impl CredentialsProvider for EmulatorOwner {
    async fn headers(
        &self,
        extensions: http::Extensions,
    ) -> Result<CacheableResource<HeaderMap>, CredentialsError> {
        if extensions.get::<EntityTag>() == Some(&self.tag) {
            return Ok(CacheableResource::NotModified);
        }
        let mut headers = HeaderMap::new();
        headers.insert(http::header::AUTHORIZATION, http::HeaderValue::from_static("Bearer owner"));
        Ok(CacheableResource::New { entity_tag: self.tag.clone(), data: headers })
    }

    async fn universe_domain(&self) -> Option<String> {
        None
    }
}
