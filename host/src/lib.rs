//! helmwasm: a helmfile-style pipeline whose steps are sandboxed WebAssembly component
//! plugins.
//!
//! A run, as [`pipeline`] sequences it for every verb: [`spec`] reads `helmwasm.yaml` →
//! [`plan`] (environment, selection, chart source, values layers; no secret is read) →
//! [`secrets`] (references resolved and registered with [`redact`]) → [`registry`] +
//! [`runtime`] (plugins loaded, each call sandboxed) → per release, on [`parallel`] threads:
//! [`chart`] (resolve and cache the chart) → [`checks::known`] (the chart's rules, their facts
//! verified against the chart before the first step) → [`execute`] (the steps) → [`rollout`]
//! (a keyed digest of the emitted Secrets on the pod templates) → [`helm`] starts `helm
//! template` (or [`render_cache`] has its output) while [`checks`] runs its values phase (a
//! failed check stops helm) →
//! [`postrender`] (post-render steps, held to their grant) → [`checks`] (render phase) →
//! [`output`] prints or writes the [`render`]. What happens on the way is [`events`], shown
//! by [`printer`].
//!
//! The verbs live in [`commands`] (dispatch, outcomes and exit codes included), over the clap
//! types of [`cli`]; [`preview`] watches the inputs and serves the live page; [`diff`] compares two renders, [`flux`] writes Flux objects;
//! [`diagnostics`] locates every finding and prints it for people, programs, SARIF and
//! GitHub, each with a stable code from [`codes`].
//!
//! Helpers: [`yaml`] is the only module that touches a YAML crate (and reads as Helm does);
//! [`overrides`] is `--set` and its kin (Helm's strvals); [`values`] layers and coalesces;
//! [`provenance`] where each key came from; [`inputs`] the local files each release is made
//! from (what `preview` watches and `inputs` prints); [`template`] renders pipeline templates; [`names`]
//! the RFC 1123 rules and did-you-mean; [`paths`] joins and cleans paths; [`random`] the
//! plugins' seeded randomness; [`progress`] the compile indicator; [`exit`] the exit codes;
//! [`hooks`] the test-only hooks.
//!
//! ## Crates
//!
//! Below the host, crates of their own, so their boundaries are the compiler's to keep:
//! - `helmwasm-base` (`host/crates/base`): the leaves, re-exported here under their own names:
//!   [`term`] safe terminal text, [`units`] byte sizes, [`parallel`] threads and locks,
//!   [`error`] internal errors, [`store`] content hashes, private folders and atomic cache
//!   writes.
//! - `helmwasm-engine` (`host/crates/engine`): the wasmtime engine configuration, which
//!   `build.rs` precompiles the built-in plugins with.
//! - `helmwasm-runtime` (`host/crates/runtime`), re-exported as [`runtime`]: the sandbox, the
//!   WIT worlds and the compile cache. It depends on the two above and on nothing of the host,
//!   so it cannot name a pipeline, release or step: the caller adds those to its errors.
//!
//! Every module below may use these crates.
//!
//! ## Layers
//!
//! Each module uses only modules of the layers above it in this list, never its own or a later
//! one, so there is no import cycle; `layers_test.rs` reads every `use crate::` edge of
//! `host/src` and fails on one against this order, naming it.
//!
//! 1. `codes`, `exit`, `hooks`, `names`, `progress`, `provenance`, `random`, `values`
//! 2. `paths`, `redact`, `yaml`
//! 3. `cli`, `overrides`, `spec`, `template`
//! 4. `helm`
//! 5. `chart`, `render_cache`
//! 6. `plan`
//! 7. `registry`, `render`, `secrets`
//! 8. `checks`, `diff`, `flux`, `inputs`, `output`, `rollout`
//! 9. `events`
//! 10. `execute`
//! 11. `postrender`, `printer`
//! 12. `pipeline`
//! 13. `diagnostics`
//! 14. `preview`
//! 15. `commands`

pub mod chart;
pub mod checks;
pub mod cli;
pub mod codes;
pub mod commands;
pub mod diagnostics;
pub mod diff;
pub mod events;
pub mod execute;
pub mod exit;
pub mod flux;
pub mod helm;
pub mod hooks;
pub mod inputs;
pub mod names;
pub mod output;
pub mod overrides;
pub mod paths;
pub mod pipeline;
pub mod plan;
pub mod postrender;
pub mod preview;
pub mod printer;
pub mod progress;
pub mod provenance;
pub mod random;
pub mod redact;
pub mod registry;
pub mod render;
pub mod render_cache;
pub mod rollout;
pub mod secrets;
pub mod spec;
pub mod template;
pub mod values;
pub mod yaml;

// The leaves live in their own crate; these names keep `crate::term::…` paths working.
pub use helmwasm_base::{error, parallel, store, term, units};
pub use helmwasm_runtime as runtime;

/// The first-party plugins compiled into the binary (built by `build.rs`).
pub mod builtin {
    include!(concat!(env!("OUT_DIR"), "/builtin_plugins.rs"));
}

#[cfg(test)]
mod layers_test;
