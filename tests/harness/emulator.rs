//! One emulator per test run: the one `FIRESTORE_EMULATOR_HOST` names (the test command starts
//! it), or else one this process starts on first use and that dies with it.

use std::path::PathBuf;
use std::sync::OnceLock;

use attendance::emulator::Emulator;
use attendance::store::{FirestoreSettings, Store};

/// `host:port` of the run's emulator, starting one if needed.
pub fn emulator_host() -> String {
    static HOST: OnceLock<String> = OnceLock::new();
    HOST.get_or_init(|| {
        if let Ok(host) = std::env::var("FIRESTORE_EMULATOR_HOST") {
            return host;
        }
        // A thread of its own: the caller may be inside any Tokio runtime, or none.
        std::thread::spawn(|| {
            let root = repo_root();
            let log = std::env::temp_dir().join(format!("firestore-emulator-{}.log", std::process::id()));
            let runtime =
                tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
            let emulator = runtime
                .block_on(Emulator::start(None, &root.join("firestore.rules"), &log))
                .unwrap_or_else(|e| panic!("{e}"));
            let host = emulator.host().to_owned();
            // Kept for the life of the process; its guard stops the emulator when we exit.
            std::mem::forget(emulator);
            host
        })
        .join()
        .expect("emulator start thread")
    })
    .clone()
}

pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A Firestore project of its own on the shared emulator: tests never see each other's data.
pub struct TestFirestore {
    pub project_id: String,
    pub host: String,
    pub store: Store,
}

impl TestFirestore {
    pub async fn new() -> Self {
        Self::on(&emulator_host()).await
    }

    /// A fresh project on the emulator at `host` (a test's own emulator).
    pub async fn on(host: &str) -> Self {
        let host = host.to_owned();
        let project_id = format!("test-{}", &uuid::Uuid::new_v4().simple().to_string()[..12]);
        let settings = FirestoreSettings::emulator(&project_id, &host);
        let store = Store::connect(&settings).await.expect("store connects");
        Self { project_id, host, store }
    }

    /// Another handle on the same project (for a second app instance).
    pub async fn same_project(&self) -> Self {
        let store = Store::connect(&self.settings()).await.expect("store connects");
        Self { project_id: self.project_id.clone(), host: self.host.clone(), store }
    }

    pub fn settings(&self) -> FirestoreSettings {
        FirestoreSettings::emulator(&self.project_id, &self.host)
    }

    /// The emulator's REST reader for this project, independent of the store's code.
    pub fn rest(&self) -> crate::rest::Rest {
        crate::rest::Rest::new(&self.host, &self.project_id)
    }
}
