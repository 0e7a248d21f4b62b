//! helmwasm: a helmfile-style pipeline whose steps are sandboxed WebAssembly component
//! plugins.
//!
//! The pipeline in module order:
//! [`spec`] (read `helmwasm.yaml`) → [`plan`] (environment, selection, layered values) →
//! [`registry`] + [`runtime`] (load plugins, sandboxed calls) → [`execute`] (run each
//! release's steps, then [`checks`]) → [`output`] (print or write the render). [`yaml`] is the only module
//! that touches the YAML crate; [`cli`] parses arguments and maps outcomes to [`exit`] codes.

pub mod checks;
pub mod cli;
pub mod error;
pub mod execute;
pub mod exit;
pub mod output;
pub mod overrides;
pub mod plan;
pub mod redact;
pub mod registry;
pub mod runtime;
pub mod secrets;
pub mod spec;
pub mod template;
pub mod values;
pub mod yaml;

/// The first-party plugins compiled into the binary (built by `build.rs`).
pub mod builtin {
    include!(concat!(env!("OUT_DIR"), "/builtin_plugins.rs"));
}
