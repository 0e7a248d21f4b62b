//! helmwasm: a helmfile-style pipeline whose steps are sandboxed WebAssembly component
//! plugins.
//!
//! The pipeline in module order:
//! [`spec`] (read `helmwasm.yaml`) → [`plan`] (environment, selection, layered values) →
//! [`registry`] + [`runtime`] (load plugins, sandboxed calls) → [`execute`] (run each
//! release's steps, then [`checks`]) → [`output`] (print or write the render). [`yaml`] is the only module
//! that touches the YAML crate; [`cli`] parses arguments and maps outcomes to [`exit`] codes.

pub mod chart;
pub mod checks;
pub mod cli;
pub mod error;
pub mod execute;
pub mod exit;
pub mod helm;
pub mod names;
pub mod output;
pub mod overrides;
pub mod pipeline;
pub mod plan;
pub mod redact;
pub mod registry;
pub mod render;
pub mod runtime;
pub mod secrets;
pub mod spec;
pub mod template;
pub mod units;
pub mod values;
pub mod yaml;

/// The first-party plugins compiled into the binary (built by `build.rs`).
pub mod builtin {
    include!(concat!(env!("OUT_DIR"), "/builtin_plugins.rs"));
}
