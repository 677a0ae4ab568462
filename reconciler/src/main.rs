fn main() -> std::process::ExitCode {
    eprintln!("reconciler: not built yet; see the reconciler issue");
    std::process::ExitCode::FAILURE
}
