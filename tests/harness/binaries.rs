//! The workspace's own binaries, for tests that run them as real processes.

use std::path::PathBuf;
use std::process::Command;
use std::sync::OnceLock;

/// `target/<profile>/reconciler`, next to the running test; built first if it is not there
/// (`cargo test` builds only the tested package's binaries). An existing binary is used as is.
pub fn reconciler_binary() -> PathBuf {
    // get_or_init runs one build while parallel tests wait for it.
    static BINARY: OnceLock<PathBuf> = OnceLock::new();
    BINARY.get_or_init(|| built("reconciler", "reconciler")).clone()
}

/// The reconciler as an operator runs it: only the required variables (and the Portal's URL
/// when there is one), every other setting at its shipped default, quiet logs.
pub fn reconciler_command(
    fs: &crate::TestFirestore,
    database_url: &str,
    portal_url: Option<&str>,
    args: &[&str],
) -> tokio::process::Command {
    let mut command = tokio::process::Command::new(reconciler_binary());
    command
        .args(args)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("FIRESTORE_PROJECT_ID", &fs.project_id)
        .env("FIRESTORE_EMULATOR_HOST", &fs.host)
        .env("DATABASE_URL", database_url)
        .env("RUST_LOG", "warn");
    if let Some(url) = portal_url {
        command.env("PORTAL_API_URL", url);
    }
    command
}

/// `target/<profile>/attendance`, like [`reconciler_binary`].
pub fn attendance_binary() -> PathBuf {
    static BINARY: OnceLock<PathBuf> = OnceLock::new();
    BINARY.get_or_init(|| built("attendance", "attendance")).clone()
}

/// `attendance <args>` as an operator runs it against `fs` (the command line's own settings
/// only), its output captured.
pub async fn attendance_command(
    fs: &crate::TestFirestore,
    args: &[&str],
    stdin: &str,
) -> std::process::Output {
    use tokio::io::AsyncWriteExt;
    let mut child = tokio::process::Command::new(attendance_binary())
        .args(args)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("FIRESTORE_PROJECT_ID", &fs.project_id)
        .env("FIRESTORE_EMULATOR_HOST", &fs.host)
        .env("RUST_LOG", "warn")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("attendance starts");
    let mut input = child.stdin.take().expect("stdin");
    input.write_all(stdin.as_bytes()).await.expect("stdin written");
    drop(input);
    child.wait_with_output().await.expect("attendance ran")
}

fn built(package: &str, binary: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("path of the running test");
    // Tests live in target/<profile>/deps, examples in .../examples, the bench in <profile> itself.
    let mut profile_dir = exe.parent().expect("test executable's directory").to_path_buf();
    if profile_dir.ends_with("deps") || profile_dir.ends_with("examples") {
        profile_dir.pop();
    }
    let path = profile_dir.join(binary);
    if path.exists() {
        return path;
    }
    let profile =
        profile_dir.file_name().and_then(|n| n.to_str()).expect("profile directory name").to_owned();
    let target_dir = profile_dir.parent().expect("target directory");
    let mut cargo = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
    cargo
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["build", "--quiet", "-p", package, "--bin", binary])
        // Explicit, so the binary lands where we look even if CARGO_TARGET_DIR is unset now.
        .arg("--target-dir")
        .arg(target_dir);
    match profile.as_str() {
        "debug" => {}
        "release" => {
            cargo.arg("--release");
        }
        other => {
            cargo.args(["--profile", other]);
        }
    }
    let output = cargo.output().unwrap_or_else(|e| panic!("cannot run cargo to build {binary}: {e}"));
    assert!(
        output.status.success() && path.exists(),
        "`cargo build -p {package} --bin {binary}` ({}) did not produce {}:\n{}",
        output.status,
        path.display(),
        String::from_utf8_lossy(&output.stderr)
    );
    path
}
