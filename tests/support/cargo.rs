//! Nested cargo builds for tests (the test plugins, the external plugins, a scaffold), shared
//! by the host's end-to-end tests and the runtime crate's tests through `#[path]`.

use std::process::Command;

/// The cargo that runs the tests (`$CARGO`), or `cargo`.
pub fn cargo() -> Command {
    Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
}

/// Run a nested cargo build without the outer build's flags and target dir.
pub fn run_cargo(mut cmd: Command, what: &str) {
    for var in [
        "RUSTFLAGS",
        "CARGO_ENCODED_RUSTFLAGS",
        "CARGO_BUILD_TARGET",
        "CARGO_TARGET_DIR",
        "CARGO_BUILD_TARGET_DIR",
        "RUSTC_WORKSPACE_WRAPPER",
    ] {
        cmd.env_remove(var);
    }
    let out = cmd.output().expect("cannot run cargo");
    assert!(
        out.status.success(),
        "building {what} failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
