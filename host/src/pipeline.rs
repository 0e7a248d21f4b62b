//! Orchestration, shared by every verb: spec → plan → secrets → registry, then per release:
//! chart → steps → values checks → `helm template` → post-render steps → render checks.
//!
//! The stages are the modules named above; this one only sequences them and decides what a
//! skipped part means (`--strict`). Verbs (`template` today) call [`run`] and then decide
//! what to print or write.

use crate::chart::{self, repo::Fetch};
use crate::codes;
use crate::events::Event;
use crate::helm::{self, Helm};
use crate::plan::{self, Plan, Selection};
use crate::redact::Redactor;
use crate::registry::{self, Registry};
use crate::render::{ReleaseRender, Render};
use crate::runtime::Runtime;
use crate::{secrets, spec};
use anyhow::anyhow;
use std::path::{Path, PathBuf};

mod failure;
mod post_render;
mod release;
pub use failure::Failure;
pub use post_render::post_render_stream;
use release::{Charts, Stages};

/// What the user asked for.
#[derive(Debug, Clone, Default)]
pub struct Options {
    pub file: PathBuf,
    pub selection: Selection,
    /// `--plugin-dir` folders (before the pipeline's `plugins.dirs`).
    pub plugin_dirs: Vec<PathBuf>,
    pub keep_going: bool,
    /// Any skipped part (chart not fetched, helm missing) is an error.
    pub strict: bool,
    /// Never use the network; only cached and local charts resolve.
    pub offline: bool,
    /// `--helm PATH`.
    pub helm: Option<PathBuf>,
    /// What one `helm template` may take (`--helm-memory`, `--helm-timeout`).
    pub helm_bounds: helm::Bounds,
    /// Resolve secret references (every verb but `lint`), or check their shape only and give
    /// the steps placeholders.
    pub secrets: secrets::Mode,
    /// When set, only these references resolve (`argocd generate`).
    pub allowed_secrets: Option<secrets::Allowed>,
    /// Keep what `explain` needs: each release's chart defaults and schema.
    pub trace: bool,
    /// The target cluster's version and API versions, for `helm template`.
    pub capabilities: helm::Capabilities,
    /// Releases rendered (and plugins compiled) at once; 0 means one per core.
    pub concurrency: usize,
    /// Format each release's part of the output on the thread that rendered it, while later
    /// releases render ([`Outcome::sections`]): the verb says how.
    pub sections: Option<Sections>,
}

/// How a verb turns a rendered release into its part of the output (`template` to stdout:
/// [`crate::output::section`]). The pipeline only calls it; it formats nothing itself.
#[derive(Clone)]
pub struct Sections(pub std::sync::Arc<dyn Fn(&ReleaseRender) -> String + Send + Sync>);

impl std::fmt::Debug for Sections {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Sections(…)")
    }
}

impl Options {
    /// The number of threads: `concurrency`, or the number of cores.
    pub fn threads(&self) -> usize {
        match self.concurrency {
            0 => crate::parallel::default_threads(),
            n => n,
        }
    }
}

/// The side effects a run uses, supplied by the verb.
pub struct Context<'a> {
    /// Created while the pipeline is read and planned; waited for before plugins load.
    pub runtime: &'a crate::runtime::Starting,
    /// The folder holding the chart cache (`DIR/charts`).
    pub cache_dir: &'a Path,
    pub fetch: &'a dyn Fetch,
    /// Show a progress line on stderr while plugins compile (a terminal, not `--quiet`).
    pub progress: bool,
    /// A helm to use instead of locating one (`--helm`, `PATH`): the unit tests' fake.
    pub helm: Option<&'a dyn Helm>,
    /// The render cache in front of helm (none with `--no-cache` or `--no-render-cache`).
    pub renders: Option<&'a crate::render_cache::Settings>,
}

/// What a run produced: the releases that rendered and the failures (release order).
pub struct Outcome {
    pub render: Render,
    pub failures: Vec<Failure>,
    /// The threads the run used (`--concurrency`), for what the verb does with the render.
    pub threads: usize,
    /// With [`Options::sections`]: each rendered release's section of the stream
    /// ([`crate::output::section`]), in `render.releases` order; else empty.
    pub sections: Vec<String>,
}

#[allow(clippy::result_large_err)]
/// Load, plan, resolve secrets and load plugins (an error here stops the run), then render
/// every selected release. Without `keep_going` the run stops at the first failed release.
pub fn run(
    opts: &Options,
    ctx: &Context,
    redactor: &mut Redactor,
    events: &mut dyn FnMut(Event, &Redactor),
) -> Result<Outcome, Failure> {
    let (plan, registry, runtime) = prepare(opts, ctx, redactor)?;
    // From here on every secret is known: events are shown as they happen, redacted.
    let redactor: &Redactor = redactor;
    let mut events = |e: Event| events(e, redactor);
    let events: &mut dyn FnMut(Event) = &mut events;
    if let Some(why) = &runtime.on_demand {
        events(Event::Info(format!(
            "the wasm instance pool could not be reserved ({why}); plugins get their memory on demand, with the same per-call limits"
        )));
    }
    let helm = helm::locate(opts.helm.as_deref(), Some(ctx.cache_dir))
        .map_err(|e| Failure::new(&codes::HELM_FAILED, anyhow!(e)))?
        .map(|h| helm::HelmBinary {
            bounds: opts.helm_bounds,
            ..h
        });
    let helm: Option<&dyn Helm> = match ctx.helm {
        Some(given) => Some(given),
        None => helm.as_ref().map(|h| h as &dyn Helm),
    };
    // The render cache in front: a hit skips helm, and every later stage runs as on a miss.
    let cached = helm
        .zip(ctx.renders)
        .and_then(|(h, s)| crate::render_cache::CachedHelm::open(h, s));
    let helm: Option<&dyn Helm> = match &cached {
        Some(c) => Some(c),
        None => helm,
    };
    let resolver = chart::Resolver {
        cache: chart::cache::ChartCache::new(ctx.cache_dir),
        offline: opts.offline,
        fetch: ctx.fetch,
        helm,
    };
    let stages = Stages {
        runtime,
        redactor,
        charts: Charts::default(),
        plan: &plan,
        registry: &registry,
        resolver: &resolver,
        helm,
        strict: opts.strict,
        placeholders: opts.secrets == secrets::Mode::Shape,
        trace: opts.trace,
        capabilities: &opts.capabilities,
    };
    // Releases render on `threads` threads; each one's events are held until every earlier
    // release is reported, so the output, and the failure that stops the run, are those of a
    // serial run.
    let mut releases = Vec::with_capacity(plan.releases.len());
    let mut sections = Vec::new();
    let mut failures = Vec::new();
    crate::parallel::ordered(
        &plan.releases,
        opts.threads(),
        |release| {
            let mut held = Vec::new();
            let result = stages.release(release, &mut |e| held.push(e)).map(|r| {
                let section = opts.sections.as_ref().map(|format| (format.0)(&r));
                (r, section)
            });
            (held, result)
        },
        |(_, result)| result.is_err() && !opts.keep_going,
        |(held, result)| {
            held.into_iter().for_each(&mut *events);
            match result {
                Ok((r, section)) => {
                    releases.push(r);
                    sections.extend(section);
                }
                Err(e) => failures.push(e),
            }
        },
    );
    // A command is one process that runs the pipeline (twice at most, for `diff`) and exits:
    // the plan, the charts read (a compiled values schema and defaults tree: 2-3 ms to free
    // for Airflow's) and the registry's compiled code (unmapped plugin by plugin, ~0.7 ms of
    // a warm run) are freed by the exit.
    crate::exit::leave_to_exit(stages);
    crate::exit::leave_to_exit(plan);
    crate::exit::leave_to_exit(registry);
    Ok(Outcome {
        render: Render { releases },
        failures,
        threads: opts.threads(),
        sections,
    })
}

/// The stages before any release: spec, plan, secrets (registered with the redactor) and the
/// plugin registry.
#[allow(clippy::result_large_err)]
fn prepare<'c>(
    opts: &Options,
    ctx: &Context<'c>,
    redactor: &mut Redactor,
) -> Result<(Plan, Registry, &'c Runtime), Failure> {
    let file = spec::load_on(&opts.file, opts.threads())
        .map_err(|e| Failure::new(&codes::PIPELINE_FILE, e.into()))?;
    let mut plan = plan::build(file, &opts.file, &opts.selection, opts.threads()).map_err(|e| {
        let (code, e) = e.into_parts();
        Failure::new(code, e)
    })?;
    secrets::resolve_plan(
        &mut plan,
        redactor,
        opts.secrets,
        opts.allowed_secrets.as_ref(),
        opts.threads(),
    )
    .map_err(|e| Failure::new(&codes::UNRESOLVED_SECRET, e))?;
    // Test hook: a host panic after the secrets stage, to prove its message is redacted.
    if let Some(message) = crate::hooks::debug_panic_with() {
        panic!("{message}");
    }
    let dirs = registry::dirs(&opts.plugin_dirs, &plan.plugin_dirs, Some(&opts.file));
    let compiling = crate::progress::Progress::start(
        ctx.progress,
        "compiling plugins (first run; later runs use the cache)…",
    );
    // Only the plugins the selected releases use are compiled.
    let used: std::collections::BTreeSet<String> = plan
        .releases
        .iter()
        .flat_map(|r| r.steps.iter().chain(&r.post_render))
        .map(|s| s.plugin.clone())
        .collect();
    let runtime = ctx
        .runtime
        .get()
        .map_err(|e| Failure::new(&codes::PLUGIN_UNAVAILABLE, e))?;
    let registry = Registry::load(
        runtime,
        crate::builtin::PLUGINS,
        &dirs,
        &registry::Want::Named(&used),
        opts.threads(),
    )
    .map_err(|e| Failure::new(&codes::PLUGIN_UNAVAILABLE, e))?;
    drop(compiling);
    Ok((plan, registry, runtime))
}

#[cfg(test)]
mod tests;
