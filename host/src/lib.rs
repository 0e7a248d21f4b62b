//! helmwasm: a helmfile-style pipeline whose steps are sandboxed WebAssembly component
//! plugins.
//!
//! The pipeline in module order, sequenced for every verb by [`pipeline`]:
//! [`spec`] (read `helmwasm.yaml`) → [`plan`] (environment, selection, chart source, values
//! layers; no secret is read) → [`secrets`] (references resolved, registered with
//! [`redact`]) → [`registry`] + [`runtime`] (load plugins, sandboxed calls) → per release:
//! [`chart`] (resolve and cache the chart) → [`checks::known`] (the chart's rules, if helmwasm
//! has some: its facts chosen for the version and verified against the chart before the first
//! step) → [`execute`] (run the steps) → [`rollout`] (a keyed digest of the emitted Secrets on
//! the pod templates, where the chart's rules say) → [`checks`] (values phase) →
//! [`helm`] (`helm template`) → [`postrender`] (post-render steps) → [`checks`] (render phase) → [`output`] (print or write the
//! [`render`]).
//!
//! Verbs live in [`commands`] (template, diff, lint, explain, write-values, plugins), each
//! calling [`pipeline::run`]; [`diff`] compares two renders; [`diagnostics`] gives every
//! finding a stable code and prints it for people, programs, SARIF and GitHub.
//!
//! Helpers: [`yaml`] is the only module that touches a YAML crate (and reads as Helm does);
//! [`overrides`] is `--set` and its kin (Helm's strvals); [`values`] layers and coalesces; [`names`] holds the RFC 1123 rules and did-you-mean; [`units`] byte sizes; [`progress`] the compile indicator; [`term`] safe terminal text;
//! [`cli`] parses arguments and maps outcomes to [`exit`] codes.

pub mod chart;
pub mod checks;
pub mod cli;
pub mod codes;
pub mod commands;
pub mod diagnostics;
pub mod diff;
pub mod error;
pub mod events;
pub mod execute;
pub mod exit;
pub mod flux;
pub mod helm;
pub mod names;
pub mod output;
pub mod overrides;
pub mod parallel;
pub mod paths;
pub mod pipeline;
pub mod plan;
pub mod postrender;
pub mod printer;
pub mod progress;
pub mod provenance;
pub mod random;
pub mod redact;
pub mod registry;
pub mod render;
pub mod rollout;
pub mod runtime;
pub mod secrets;
pub mod spec;
pub mod store;
pub mod template;
pub mod term;
pub mod units;
pub mod values;
pub mod yaml;

/// The first-party plugins compiled into the binary (built by `build.rs`).
pub mod builtin {
    include!(concat!(env!("OUT_DIR"), "/builtin_plugins.rs"));
}
