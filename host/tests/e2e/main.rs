//! End-to-end tests: the `helmwasm` binary on real pipelines, real plugins and the shared
//! fixtures. One test binary, one module per area.

mod support;

mod argocd;
mod aws;
mod cases;
mod chart_facts;
mod charts;
mod ci;
mod concurrency;
mod database_tls;
mod discovery;
mod flux;
mod full_render;
mod git_ssh;
mod hardening;
mod helm_values;
mod hostile;
mod inputs;
mod isolation;
mod kubectl;
mod limits;
mod lint_template;
mod mounts;
mod output_dir;
mod overrides;
mod passwords;
mod postrender;
mod preview;
mod properties;
mod render_cache;
mod review;
mod schema_cut;
mod secrets;
mod setup;
mod verbose;
mod versions;
mod yaml_helm;
