//! The real app on a random port, on its own Firestore project, and browser-like clients.

use attendance::auth::password::hash_password;
use attendance::clock::Clock;
use attendance::config::{AppSettings, Config, SecretKey, Vars};
use attendance::domain::{Department, Email, FullName, Password, StaffId, Username};
use attendance::model::NewLecturer;
use attendance::startup::Application;
use attendance::store::FirestoreSettings;

use crate::TestFirestore;

pub struct TestApp {
    /// `http://127.0.0.1:PORT`, also the app's BASE_URL.
    pub address: String,
    /// A browser for the test's main user.
    pub browser: Browser,
    pub firestore: TestFirestore,
    /// The app's clock: tests move it (to a lecture's start, past its window) instead of waiting.
    pub clock: Clock,
    /// The app's `TIMEZONE`.
    pub timezone: jiff::tz::TimeZone,
    /// Who the main browser logged in as (see [`TestApp::log_in_again`]).
    signed_in: std::sync::Mutex<Option<String>>,
    /// How it was started, for another instance of the same deployment.
    options: AppOptions,
    settings: FirestoreSettings,
}

/// How a spawned app is configured: the real config loader with `BASE_URL` and `SECRET_KEY`
/// only, so every other setting is its shipped default unless a test is about it.
#[derive(Clone)]
pub struct AppOptions {
    /// Settings the test is about, as environment variables.
    pub env: Vec<(&'static str, String)>,
    /// Known to the test when it must sign tokens itself (e.g. an old QR token).
    pub secret_key: SecretKey,
    secret: String,
}

impl Default for AppOptions {
    fn default() -> Self {
        let secret = SecretKey::generate();
        Self {
            env: Vec::new(),
            secret_key: SecretKey::parse(&secret).expect("a generated key is valid"),
            secret,
        }
    }
}

impl AppOptions {
    /// The same with one more setting.
    pub fn with(mut self, variable: &'static str, value: impl Into<String>) -> Self {
        self.env.push((variable, value.into()));
        self
    }

    /// With `/api/metrics/` on (it is off unless `METRICS_TOKEN` is set), for a test that
    /// reads what the app costs ([`TestApp::metrics`]).
    pub fn with_metrics(self) -> Self {
        self.with("METRICS_TOKEN", SecretKey::generate())
    }
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.browser.get(path).await
    }

    /// Moves the app's clock to `session`'s start (read in the app's shipped time zone): its
    /// attendance window is open and nobody is late yet.
    pub fn at_start_of(&self, session: &attendance::model::Session) {
        self.clock.set(self.local(session.date.to_datetime(session.times.start())));
    }

    /// The same for a session known by its id (say, one created through the form).
    pub async fn at_start_of_id(&self, id: &str) {
        let id = attendance::domain::SessionId::parse(id).expect("a session id");
        let session = self.firestore.store.session(id).await.expect("read").expect("the session exists");
        self.at_start_of(&session);
    }

    /// A local date and time in the app's time zone, as an instant.
    pub fn local(&self, at: jiff::civil::DateTime) -> jiff::Timestamp {
        at.to_zoned(self.timezone.clone()).expect("a valid local time").timestamp()
    }

    /// `/api/metrics/`, with the `METRICS_TOKEN` the app was started with.
    pub async fn metrics(&self) -> serde_json::Value {
        let token = self
            .options
            .env
            .iter()
            .find(|(name, _)| *name == "METRICS_TOKEN")
            .map(|(_, value)| value.clone())
            .expect("started with AppOptions::with_metrics");
        let response =
            client().get(self.url("/api/metrics/")).bearer_auth(token).send().await.expect("app answers");
        assert_eq!(response.status(), 200, "metrics");
        response.json().await.expect("metrics json")
    }

    /// A second instance of the same deployment (the same Firestore project, `SECRET_KEY`,
    /// settings and clock), as a load balancer would send some requests to.
    pub async fn another_instance(&self) -> TestApp {
        let firestore = self.firestore.same_project().await;
        start(firestore, self.settings.clone(), self.options.clone(), self.clock.clone()).await
    }

    /// This browser's cookies, asking another instance (cookies are per host, not per port).
    pub fn browser_on(&self, other: &TestApp) -> Browser {
        Browser { client: self.browser.client.clone(), address: other.address.clone() }
    }

    /// Another person's browser: its own cookies.
    pub fn new_browser(&self) -> Browser {
        Browser { client: client(), address: self.address.clone() }
    }

    /// Creates an active lecturer directly in the store.
    pub async fn add_lecturer(&self, username: &str, password: &str) {
        let password = Password::parse(password).expect("password");
        let staff = format!("STF/{}", &uuid::Uuid::new_v4().simple().to_string()[..8]);
        let new = NewLecturer {
            username: Username::parse(username).expect("username"),
            full_name: FullName::parse(&format!("Dr. {username}")).expect("name"),
            email: Email::parse(&format!("{username}@uni.ac.ke")).expect("email"),
            staff_id: StaffId::parse(&staff).expect("staff"),
            department: Department::parse("Computing").expect("dept"),
            phone: None,
            password_hash: hash_password(&password).await.expect("hash"),
            admin: false,
            must_change_password: false,
        };
        self.firestore
            .store
            .create_lecturer(&new, &attendance::model::Actor::CommandLine)
            .await
            .expect("lecturer");
    }

    /// Gives an account (made in the store, say by a fixture) a known password, as the command
    /// line does; returns how many of its login sessions that ended.
    pub async fn set_password(&self, username: &str, password: &str) -> usize {
        let hash = hash_password(&Password::parse(password).expect("password")).await.expect("hash");
        let username = Username::parse(username).expect("username");
        self.firestore
            .store
            .set_password(&username, &hash, false, &attendance::model::Actor::CommandLine)
            .await
            .expect("password set")
    }

    /// A lecturer who is logged in with the main browser.
    pub async fn logged_in(&self, username: &str) -> &Browser {
        self.add_lecturer(username, "correct horse battery").await;
        *self.signed_in.lock().expect("lock") = Some(username.to_owned());
        self.log_in_again().await
    }

    /// The main browser's lecturer logs in again, as they would coming back after the clock
    /// moved past the shipped idle limit (two hours without a request ends a login session).
    /// A browser still signed in is left as it is.
    pub async fn log_in_again(&self) -> &Browser {
        let username = self.signed_in.lock().expect("lock").clone().expect("logged_in first");
        if self.browser.get("/dashboard/").await.status() == 200 {
            return &self.browser;
        }
        let response = self.browser.login(&username, "correct horse battery").await;
        assert_eq!(response.status(), 303, "login of {username}");
        &self.browser
    }
}

/// A browser: keeps cookies, does not follow redirects (tests check them).
#[derive(Clone)]
pub struct Browser {
    pub client: reqwest::Client,
    pub address: String,
}

impl Browser {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client.get(self.url(path)).send().await.expect("app answers")
    }

    /// A GET with extra headers (say, `Last-Event-ID`).
    pub async fn get_with(&self, path: &str, headers: &[(&str, &str)]) -> reqwest::Response {
        let mut request = self.client.get(self.url(path));
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        request.send().await.expect("app answers")
    }

    pub async fn text(&self, path: &str) -> String {
        self.get(path).await.text().await.expect("body")
    }

    /// A POST as a browser sends it: with this site's `Origin` (the student form refuses
    /// one without).
    pub fn post(&self, path: &str) -> reqwest::RequestBuilder {
        self.client.post(self.url(path)).header("origin", &self.address)
    }

    pub async fn post_form(&self, path: &str, fields: &[(&str, &str)]) -> reqwest::Response {
        self.post(path).form(fields).send().await.expect("app answers")
    }

    /// Posts with the CSRF token this browser's pages carry.
    pub async fn post_with_csrf(&self, path: &str, fields: &[(&str, &str)]) -> reqwest::Response {
        let token = self.csrf_token().await;
        let mut all: Vec<(&str, &str)> = fields.to_vec();
        all.push(("csrfmiddlewaretoken", &token));
        self.post_form(path, &all).await
    }

    /// Uploads `bytes` as the file field `file` of a multipart form, with the CSRF token.
    pub async fn upload(&self, path: &str, filename: &str, bytes: Vec<u8>) -> reqwest::Response {
        let token = self.csrf_token().await;
        let part = reqwest::multipart::Part::bytes(bytes)
            .file_name(filename.to_owned())
            .mime_str("text/csv")
            .expect("mime");
        let form = reqwest::multipart::Form::new().text("csrfmiddlewaretoken", token).part("file", part);
        self.post(path).multipart(form).send().await.expect("app answers")
    }

    /// The CSRF token of the logged-in session, read from a page like a browser would.
    pub async fn csrf_token(&self) -> String {
        let html = self.text("/dashboard/").await;
        input_value(&html, "csrfmiddlewaretoken").expect("a lecturer page carries a CSRF token")
    }

    /// Logs in through the form, as a person would.
    pub async fn login(&self, username: &str, password: &str) -> reqwest::Response {
        let html = self.text("/login/").await;
        let token = input_value(&html, "csrfmiddlewaretoken").expect("login form token");
        self.post_form(
            "/login/",
            &[("username", username), ("password", password), ("csrfmiddlewaretoken", &token)],
        )
        .await
    }
}

/// What a student saw after submitting the attendance form.
pub struct Attended {
    /// Status of the POST (303 when it was accepted and redirected to the result).
    pub post_status: u16,
    /// Status and page of the result (the redirect target, or the POST's own page).
    pub status: u16,
    pub html: String,
}

impl Browser {
    /// The attendance form's token, as a phone opening `/attend/<id>/<query>` gets it.
    pub async fn attend_form_token(&self, session: &str, query: &str) -> Option<String> {
        let html = self.text(&format!("/attend/{session}/{query}")).await;
        input_value(&html, "form_token")
    }

    /// Submits the attendance form with `token` and follows the redirect, like a phone.
    pub async fn submit_attendance(
        &self,
        session: &str,
        token: &str,
        name: &str,
        admission: &str,
    ) -> Attended {
        let response = self
            .post_form(
                &format!("/attend/{session}/"),
                &[("student_name", name), ("admission_number", admission), ("form_token", token)],
            )
            .await;
        let post_status = response.status().as_u16();
        if post_status == 303 {
            let location = response.headers()["location"].to_str().expect("ascii").to_owned();
            let result = self.get(&location).await;
            let status = result.status().as_u16();
            return Attended { post_status, status, html: result.text().await.expect("html") };
        }
        Attended { post_status, status: post_status, html: response.text().await.expect("html") }
    }

    /// Opens the form and submits it.
    pub async fn attend(&self, session: &str, name: &str, admission: &str) -> Attended {
        let token = self.attend_form_token(session, "").await.expect("the form has a token");
        self.submit_attendance(session, &token, name, admission).await
    }
}

/// The `value` of the first `<input name="NAME">` in `html`.
pub fn input_value(html: &str, name: &str) -> Option<String> {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html.find(&marker)? + marker.len();
    let end = html[start..].find('"')?;
    Some(html[start..start + end].replace("&amp;", "&"))
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
    spawn_app_with(AppOptions::default()).await
}

pub async fn spawn_app_with(options: AppOptions) -> TestApp {
    let firestore = TestFirestore::new().await;
    let settings = firestore.settings();
    start(firestore, settings, options, Clock::system()).await
}

/// Starts the app with explicit Firestore settings (e.g. an unreachable host).
pub async fn spawn_app_on(firestore: TestFirestore, settings: FirestoreSettings) -> TestApp {
    start(firestore, settings, AppOptions::default(), Clock::system()).await
}

/// The same, with settings a benchmark or test is about.
pub async fn spawn_app_on_with(
    firestore: TestFirestore,
    settings: FirestoreSettings,
    options: AppOptions,
) -> TestApp {
    start(firestore, settings, options, Clock::system()).await
}

async fn start(
    firestore: TestFirestore,
    settings: FirestoreSettings,
    options: AppOptions,
    clock: Clock,
) -> TestApp {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let address = format!("http://{}", listener.local_addr().expect("addr"));
    let mut vars =
        vec![("BASE_URL".to_owned(), address.clone()), ("SECRET_KEY".to_owned(), options.secret.clone())];
    vars.extend(options.env.iter().map(|(k, v)| ((*k).to_owned(), v.clone())));
    let config = Config {
        firestore: settings.clone(),
        bind_addr: listener.local_addr().expect("addr"),
        app: AppSettings::from_vars(&Vars::from_pairs(vars)).expect("test settings are valid"),
    };
    let app = Application::build_with_clock(listener, &config, clock.clone()).await.expect("app builds");
    tokio::spawn(app.run_until(std::future::pending()));
    let browser = Browser { client: client(), address: address.clone() };
    TestApp {
        address,
        browser,
        firestore,
        clock,
        timezone: config.app.timezone.clone(),
        signed_in: std::sync::Mutex::default(),
        options,
        settings,
    }
}
