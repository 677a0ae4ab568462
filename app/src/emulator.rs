//! Starting the Google Cloud SDK's Firestore emulator for `attendance dev`, the tests and the
//! benchmarks. (`emulator/start.sh` does the same for shells and CI.)
//!
//! The emulator runs under a small `sh` guard that kills it when our end of its stdin closes,
//! so it never outlives the process that started it, even after a crash or `kill -9`. It is a
//! plain `std` child, not tied to any one Tokio runtime, so a test harness can share one.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use std::process::{Child, Command};

use tokio::io::{AsyncReadExt, AsyncWriteExt};

const JAR_IN_SDK: &str = "platform/cloud-firestore-emulator/cloud-firestore-emulator.jar";
const MAIN_CLASS: &str = "com.google.cloud.datastore.emulator.firestore.CloudFirestore";
pub const INSTALL_HINT: &str = "Install the emulator with `apt-get install google-cloud-cli-firestore-emulator openjdk-17-jre-headless` \
     (or `gcloud components install cloud-firestore-emulator`), or set FIRESTORE_EMULATOR_JAR to its jar.";

#[derive(Debug, thiserror::Error)]
pub enum EmulatorError {
    #[error("the Firestore emulator is not installed. {INSTALL_HINT}")]
    NotInstalled,
    #[error(
        "Java is not installed (the emulator needs Java 11+). Install it with `apt-get install openjdk-17-jre-headless`."
    )]
    NoJava,
    #[error("the Firestore emulator did not become ready within {0:?}; see {1}")]
    NotReady(Duration, String),
    #[error("could not start the Firestore emulator: {0}")]
    Io(#[from] std::io::Error),
}

/// A running emulator; stopped when dropped.
#[derive(Debug)]
pub struct Emulator {
    host: String,
    child: Child,
}

impl Emulator {
    /// Starts an emulator on `127.0.0.1:port` (a free port when `None`), loading `rules`,
    /// logging to `log`, and waits until it answers.
    pub async fn start(port: Option<u16>, rules: &Path, log: &Path) -> Result<Self, EmulatorError> {
        let jar = find_jar().ok_or(EmulatorError::NotInstalled)?;
        let java = find_java().ok_or(EmulatorError::NoJava)?;
        let port = match port {
            Some(p) => p,
            None => free_port()?,
        };
        let host = format!("127.0.0.1:{port}");
        let log_file = std::fs::File::create(log)?;
        // `read` returns when our stdin end closes (drop or death); then the emulator goes too.
        let guard =
            r#"java="$1"; shift; "$java" "$@" & pid=$!; read -r line; kill "$pid" 2>/dev/null; wait "$pid""#;
        let child = Command::new("sh")
            .arg("-c")
            .arg(guard)
            .arg("emulator-guard")
            .arg(java)
            .arg("-Duser.language=en")
            .arg("-cp")
            .arg(jar)
            .arg(MAIN_CLASS)
            .arg("start")
            .arg("--host=127.0.0.1")
            .arg(format!("--port={port}"))
            .arg(format!("--rules={}", rules.display()))
            .stdin(Stdio::piped())
            .stdout(log_file.try_clone()?)
            .stderr(log_file)
            .spawn()?;
        let emulator = Self { host, child };
        let limit = Duration::from_secs(60);
        let deadline = Instant::now() + limit;
        while !is_ready(&emulator.host).await {
            if Instant::now() > deadline {
                return Err(EmulatorError::NotReady(limit, log.display().to_string()));
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        Ok(emulator)
    }

    /// `127.0.0.1:PORT`, the value for `FIRESTORE_EMULATOR_HOST`.
    pub fn host(&self) -> &str {
        &self.host
    }

    /// Stops the emulator and waits for it to exit.
    pub fn stop(mut self) {
        drop(self.child.stdin.take());
        let _ = self.child.wait();
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        // Closing the guard's stdin stops the emulator; no need to wait for it here.
        drop(self.child.stdin.take());
    }
}

/// Whether an emulator answers `GET /` with `Ok` at `host`.
pub async fn is_ready(host: &str) -> bool {
    let attempt = async {
        let mut stream = tokio::net::TcpStream::connect(host).await.ok()?;
        let request = format!("GET / HTTP/1.0\r\nHost: {host}\r\n\r\n");
        stream.write_all(request.as_bytes()).await.ok()?;
        // The emulator keeps the connection open, so read until the body arrives, not to EOF.
        let mut response = Vec::new();
        let mut chunk = [0u8; 512];
        loop {
            let n = stream.read(&mut chunk).await.ok()?;
            if n == 0 {
                return Some(false);
            }
            response.extend_from_slice(&chunk[..n]);
            let text = String::from_utf8_lossy(&response);
            if let Some((head, body)) = text.split_once("\r\n\r\n")
                && body.trim_end() == "Ok"
            {
                return Some(head.starts_with("HTTP/1.") && head.contains(" 200 "));
            }
        }
    };
    matches!(tokio::time::timeout(Duration::from_secs(2), attempt).await, Ok(Some(true)))
}

fn find_jar() -> Option<PathBuf> {
    if let Some(jar) = std::env::var_os("FIRESTORE_EMULATOR_JAR") {
        return Some(PathBuf::from(jar)).filter(|p| p.is_file());
    }
    let mut roots: Vec<PathBuf> = ["CLOUDSDK_ROOT_DIR", "CLOUD_SDK_ROOT"]
        .iter()
        .filter_map(std::env::var_os)
        .map(PathBuf::from)
        .collect();
    roots.extend(
        [
            "/usr/lib/google-cloud-sdk",
            "/usr/share/google-cloud-sdk",
            "/opt/google-cloud-sdk",
            "/google-cloud-sdk",
        ]
        .iter()
        .map(PathBuf::from),
    );
    if let Some(home) = std::env::var_os("HOME") {
        roots.push(PathBuf::from(home).join("google-cloud-sdk"));
    }
    roots.into_iter().map(|root| root.join(JAR_IN_SDK)).find(|jar| jar.is_file())
}

fn find_java() -> Option<PathBuf> {
    if let Some(home) = std::env::var_os("JAVA_HOME") {
        let java = PathBuf::from(home).join("bin/java");
        if java.is_file() {
            return Some(java);
        }
    }
    std::env::var_os("PATH")?
        .to_str()?
        .split(':')
        .map(|dir| Path::new(dir).join("java"))
        .find(|java| java.is_file())
}

fn free_port() -> std::io::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}
