//! A throwaway PostgreSQL server of the test's own, for tests that stop or restart PostgreSQL:
//! the shared cluster on 5432 serves every other test and must never go down.

use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use sqlx::{Connection, Executor, PgConnection};

pub struct PrivateCluster {
    pub port: u16,
    server: Server,
}

/// What the blocking commands need, cheap to move into `spawn_blocking`.
#[derive(Clone)]
struct Server {
    bin: PathBuf,
    dir: PathBuf,
    port: u16,
    /// initdb and postgres refuse to run as root, and tests run as root in CI.
    as_postgres: bool,
}

impl PrivateCluster {
    pub async fn start() -> Self {
        let server = tokio::task::spawn_blocking(Server::init).await.expect("initdb task");
        Self { port: server.port, server }
    }

    pub fn url(&self, database: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{database}", self.port)
    }

    pub async fn create_database(&self, name: &str) -> String {
        let mut conn =
            PgConnection::connect(&self.url("postgres")).await.expect("connect to private cluster");
        conn.execute(sqlx::AssertSqlSafe(format!(r#"CREATE DATABASE "{name}""#)))
            .await
            .expect("create database on private cluster");
        self.url(name)
    }

    /// Stops at once, as a crash would: no checkpoint, connections cut.
    pub async fn stop(&self) {
        let server = self.server.clone();
        tokio::task::spawn_blocking(move || server.stop()).await.expect("pg_ctl stop task");
    }

    /// Starts again on the same port and data, after `stop`.
    pub async fn start_again(&self) {
        let server = self.server.clone();
        tokio::task::spawn_blocking(move || server.start()).await.expect("pg_ctl start task");
    }

    pub async fn restart(&self) {
        self.stop().await;
        self.start_again().await;
    }
}

impl Drop for PrivateCluster {
    fn drop(&mut self) {
        // Quick and bounded (pg_ctl -t), so run it right here; errors (already stopped) don't matter.
        let _ = self
            .server
            .run("pg_ctl", &["stop", "-m", "immediate", "-w", "-t", "30", "-D", &self.server.data()]);
        let _ = std::fs::remove_dir_all(&self.server.dir);
    }
}

impl Server {
    fn init() -> Self {
        let bin = server_binaries();
        let dir = std::env::temp_dir().join(format!("attendance-pg-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir(&dir).unwrap_or_else(|e| panic!("create {}: {e}", dir.display()));
        let as_postgres = std::fs::metadata("/proc/self").map(|m| m.uid() == 0).unwrap_or(false);
        if as_postgres {
            let owned = Command::new("chown").arg("postgres:").arg(&dir).status();
            assert!(
                owned.is_ok_and(|s| s.success()),
                "chown {} to the postgres OS user (running as root, initdb refuses to)",
                dir.display()
            );
        }
        // Any free loopback port; released for postgres to take.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("pick a free port")
            .port();
        let server = Self { bin, dir, port, as_postgres };
        // C.UTF-8 like the shared cluster, whatever the test's own locale.
        let data = server.data();
        let args =
            ["-D", &data, "-A", "trust", "-U", "postgres", "--no-sync", "-E", "UTF8", "--locale=C.UTF-8"];
        if let Err(e) = server.run("initdb", &args) {
            panic!("initdb of a private cluster in {}: {e}", server.dir.display());
        }
        server.start();
        server
    }

    fn data(&self) -> String {
        self.dir.join("data").display().to_string()
    }

    fn start(&self) {
        // pg_ctl hands -o to a shell, hence the quotes; the socket goes in our dir, not /var/run.
        let options = format!(
            "-k '{}' -c listen_addresses=127.0.0.1 -c fsync=off -p {}",
            self.dir.display(),
            self.port
        );
        let log = self.dir.join("log").display().to_string();
        if let Err(e) = self.run("pg_ctl", &["start", "-w", "-D", &self.data(), "-l", &log, "-o", &options]) {
            let log = std::fs::read_to_string(&log).unwrap_or_default();
            panic!("pg_ctl start of the private cluster on port {}: {e}\nserver log:\n{log}", self.port);
        }
    }

    fn stop(&self) {
        if let Err(e) = self.run("pg_ctl", &["stop", "-m", "immediate", "-w", "-D", &self.data()]) {
            panic!("pg_ctl stop of the private cluster on port {}: {e}", self.port);
        }
    }

    /// Runs one of the server's programs, as the postgres OS user when we are root.
    fn run(&self, program: &str, args: &[&str]) -> Result<(), String> {
        let program = self.bin.join(program);
        let mut command = if self.as_postgres {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(&program);
            c
        } else {
            Command::new(&program)
        };
        // pg_ctl -l sends the server's output to the log, so these pipes close when pg_ctl exits.
        let output = command
            .args(args)
            .stdin(Stdio::null())
            .output()
            .map_err(|e| format!("cannot run {}: {e}", program.display()))?;
        if output.status.success() {
            return Ok(());
        }
        Err(format!(
            "{} exited with {}\n{}{}",
            program.display(),
            output.status,
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        ))
    }
}

/// `/usr/lib/postgresql/<highest version>/bin`, where Debian installs initdb and pg_ctl.
fn server_binaries() -> PathBuf {
    let root = Path::new("/usr/lib/postgresql");
    let newest = std::fs::read_dir(root)
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| entry.file_name().to_str()?.parse::<u32>().ok())
        .filter(|version| root.join(version.to_string()).join("bin/pg_ctl").exists())
        .filter(|version| root.join(version.to_string()).join("bin/initdb").exists())
        .max();
    let Some(version) = newest else {
        panic!(
            "PrivateCluster needs PostgreSQL's server programs initdb and pg_ctl in \
             /usr/lib/postgresql/<version>/bin, and found none (apt-get install postgresql)"
        );
    };
    root.join(version.to_string()).join("bin")
}
