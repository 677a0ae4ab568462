//! The real `attendance` binary as a benchmark's app, so the memory measured is the app's own:
//! started with the two required settings (and whatever the benchmark is about), every other
//! setting at its shipped default.

use std::time::{Duration, Instant};

pub struct Server {
    pub address: String,
    pub pid: u32,
    _child: tokio::process::Child,
}

impl Server {
    /// `attendance serve` on a free port against the emulator at `host`, project `project`.
    pub async fn start(host: &str, project: &str, env: &[(&str, String)]) -> anyhow::Result<Self> {
        // Built next to this benchmark by `cargo build --release -p attendance`.
        let binary = std::env::current_exe()?.with_file_name("attendance");
        anyhow::ensure!(
            binary.is_file(),
            "{} not found: `cargo build --release -p attendance` first",
            binary.display()
        );
        let port = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
        let address = format!("http://127.0.0.1:{port}");
        let child = tokio::process::Command::new(&binary)
            .arg("serve")
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("FIRESTORE_PROJECT_ID", project)
            .env("FIRESTORE_EMULATOR_HOST", host)
            .env("BASE_URL", &address)
            .env("BIND_ADDR", format!("127.0.0.1:{port}"))
            .env("SECRET_KEY", attendance::config::SecretKey::generate())
            .env("RUST_LOG", "error")
            .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
            .kill_on_drop(true)
            .spawn()?;
        let pid = child.id().ok_or_else(|| anyhow::anyhow!("no pid"))?;
        let deadline = Instant::now() + Duration::from_secs(30);
        while reqwest::get(format!("{address}/api/status/")).await.is_err() {
            anyhow::ensure!(Instant::now() < deadline, "the app did not start");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        Ok(Self { address, pid, _child: child })
    }

    /// Resident memory now, in KiB.
    pub fn rss_kb(&self) -> u64 {
        self.status_kb("VmRSS:")
    }

    /// The most resident memory so far, in KiB.
    pub fn peak_rss_kb(&self) -> u64 {
        self.status_kb("VmHWM:")
    }

    fn status_kb(&self, field: &str) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid)).unwrap_or_default();
        status
            .lines()
            .find(|l| l.starts_with(field))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    }
}
