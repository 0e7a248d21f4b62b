//! Builds the first-party plugins for `wasm32-wasip2`; the crate exposes their bytes.
//!
//! This is its own crate, with no dependency on wasmtime, so that Cargo runs this (the nested
//! plugin build) while the host's wasmtime compiles; the host's own build script, which
//! precompiles these plugins with wasmtime, can only start once wasmtime is built.
//!
//! The nested `cargo build` uses its own target dir (`target/plugins`) so it never waits on
//! the outer build's lock, and drops the variables that describe the outer build (flags,
//! target, target dir) so the guest build is not compiled with host settings.

use sha2::{Digest, Sha256};
use std::path::PathBuf;
use std::process::Command;

/// Crates under `plugins/` that ship inside the binary.
const BUILTIN: &[&str] = &[
    "airflow-database",
    "git-sync",
    "celery-workers",
    "keda-autoscaling",
    "pgbouncer",
    "logs-persistence",
    "airflow-ui",
    "resources-policy",
    "airflow-keys",
    "airflow-gitops",
    "labels",
    "pod-security",
    "container-resources",
];

const OUTER_BUILD_VARS: &[&str] = &[
    "RUSTFLAGS",
    "CARGO_ENCODED_RUSTFLAGS",
    "CARGO_BUILD_RUSTFLAGS",
    "CARGO_BUILD_TARGET",
    "CARGO_TARGET_DIR",
    "CARGO_BUILD_TARGET_DIR",
    "RUSTC_WORKSPACE_WRAPPER",
    "CARGO_LLVM_COV",
    "CARGO_LLVM_COV_TARGET_DIR",
    "LLVM_PROFILE_FILE",
];

fn main() {
    let manifest_dir = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap());
    let root = manifest_dir
        .parent()
        .and_then(|p| p.parent())
        .unwrap()
        .to_path_buf();
    let target_dir = std::env::var_os("HELMWASM_PLUGIN_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target").join("plugins"));
    for path in [
        "plugins",
        "wit",
        "Cargo.lock",
        "Cargo.toml",
        ".cargo/config.toml",
    ] {
        println!("cargo:rerun-if-changed={}", root.join(path).display());
    }
    println!("cargo:rerun-if-env-changed=HELMWASM_PLUGIN_TARGET_DIR");

    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut cmd = Command::new(cargo);
    cmd.current_dir(&root)
        .args([
            "build",
            "--profile",
            "plugin",
            "--target",
            "wasm32-wasip2",
            "--target-dir",
        ])
        .arg(&target_dir);
    for p in BUILTIN {
        cmd.args(["-p", p]);
    }
    for var in OUTER_BUILD_VARS {
        cmd.env_remove(var);
    }
    let status = cmd
        .status()
        .expect("cannot run cargo to build the built-in plugins");
    if !status.success() {
        panic!(
            "building the built-in plugins for wasm32-wasip2 failed (see above); if the target \
             is missing, run `rustup target add wasm32-wasip2`"
        );
    }

    let out_dir = PathBuf::from(std::env::var("OUT_DIR").unwrap());
    let mut code = String::from(
        "/// Every built-in plugin: crate name, SHA-256 of the component, the component.\npub const PLUGINS: &[crate::Plugin] = &[\n",
    );
    for p in BUILTIN {
        let wasm = target_dir
            .join("wasm32-wasip2")
            .join("plugin")
            .join(format!("{}.wasm", p.replace('-', "_")));
        let bytes = std::fs::read(&wasm)
            .unwrap_or_else(|e| panic!("{} was not built: {e}", wasm.display()));
        // The compile cache's key, computed here so a run need not hash ~4 MB of plugins.
        let digest: String = Sha256::digest(&bytes)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        code.push_str(&format!(
            "    crate::Plugin {{ name: {p:?}, digest: {digest:?}, bytes: include_bytes!({:?}) }},\n",
            wasm.display().to_string()
        ));
    }
    code.push_str("];\n");
    std::fs::write(out_dir.join("builtin_plugins.rs"), code).unwrap();
}
