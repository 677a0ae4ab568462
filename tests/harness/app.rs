//! The real app on a random port, on its own Firestore project.

use attendance::config::{BaseUrl, Config, SecretKey};
use attendance::domain::YearStart;
use attendance::startup::Application;
use attendance::store::FirestoreSettings;

use crate::TestFirestore;

pub struct TestApp {
    /// `http://127.0.0.1:PORT`, also the app's BASE_URL.
    pub address: String,
    /// A browser-like client: keeps cookies, does not follow redirects (tests check them).
    pub client: reqwest::Client,
    pub firestore: TestFirestore,
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client.get(self.url(path)).send().await.expect("app answers")
    }
}

pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
}

/// Starts the app against a fresh project on the shared emulator.
pub async fn spawn_app() -> TestApp {
    let firestore = TestFirestore::new().await;
    let settings = firestore.settings();
    spawn_app_on(firestore, settings).await
}

/// Starts the app with explicit Firestore settings (e.g. an unreachable host).
pub async fn spawn_app_on(firestore: TestFirestore, settings: FirestoreSettings) -> TestApp {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let address = format!("http://{}", listener.local_addr().expect("addr"));
    let config = Config {
        firestore: settings,
        base_url: BaseUrl::parse(&address).expect("base url"),
        bind_addr: listener.local_addr().expect("addr"),
        secret_key: SecretKey::random(),
        expected_lessons: 12,
        year_start: YearStart::default(),
        timezone: jiff::tz::TimeZone::UTC,
        session_policy: Default::default(),
        proxy_hops: 0,
    };
    let app = Application::build_on(listener, &config).await.expect("app builds");
    tokio::spawn(app.run_until(std::future::pending()));
    TestApp { address, client: client(), firestore }
}
