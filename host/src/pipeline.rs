//! Orchestration, shared by every verb: spec → plan → secrets → registry, then per release:
//! chart → steps → values checks → `helm template` → post-render steps → render checks.
//!
//! The stages are the modules named above; this one only sequences them and decides what a
//! skipped part means (`--strict`). Verbs (`template` today) call [`run`] and then decide
//! what to print or write.

use crate::chart::{self, Resolution, repo::Fetch};
use crate::checks::{self, Phase, Problem};
use crate::codes::{self, Code};
use crate::execute::{self, ChartIdentity, Event};
use crate::helm::{self, Helm, TemplateRequest};
use crate::plan::{self, Plan, ReleasePlan, Selection};
use crate::redact::Redactor;
use crate::registry::{self, Registry};
use crate::render::{ChartDocument, ChartRender, ReleaseRender, Render, Skipped};
use crate::runtime::Runtime;
use crate::{postrender, rollout, secrets, spec, yaml};
use anyhow::{Context as _, Result, anyhow, bail};
use serde_json::Value;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

mod post_render;
pub use post_render::post_render_stream;

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
    /// Print each release's part of the output stream on the thread that rendered it, while
    /// later releases render ([`Outcome::sections`]).
    pub sections: Option<crate::output::SecretData>,
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

/// A stage that failed (built once per failed run or release, so its size does not matter:
/// `clippy::result_large_err` is allowed where it is returned): its error as shown to people, and what `lint` needs to report it as
/// a [`codes::Diagnostic`] (the code, the release and step, and for failed checks each
/// problem on its own).
#[derive(Debug)]
pub struct Failure {
    pub code: &'static Code,
    pub release: Option<String>,
    /// The step number and plugin, for a failed step.
    pub step: Option<(usize, String)>,
    /// Where the step sits in the pipeline file (`releases[0].steps[4]`).
    pub step_path: Option<String>,
    /// The problems of a failed check phase, one by one, and where the release's values came
    /// from.
    pub problems: Vec<Problem>,
    pub provenance: Option<crate::provenance::Provenance>,
    pub error: anyhow::Error,
}

impl Failure {
    pub fn new(code: &'static Code, error: anyhow::Error) -> Self {
        Failure {
            code,
            release: None,
            step: None,
            step_path: None,
            problems: Vec::new(),
            provenance: None,
            error,
        }
    }

    fn release(mut self, name: &str) -> Self {
        self.release = Some(name.to_owned());
        self
    }
}

impl From<Failure> for anyhow::Error {
    fn from(f: Failure) -> anyhow::Error {
        f.error
    }
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
                let section = opts.sections.map(|data| crate::output::section(&r, data));
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

/// Each distinct chart resolved once per run, by whichever release needs it first (the
/// others wait for it): its archive read, `values.yaml` parsed and schema compiled once.
#[derive(Default)]
struct Charts(Mutex<HashMap<String, ChartCell>>);

type ChartCell = Arc<OnceLock<Result<Arc<Resolution>, String>>>;

impl Charts {
    fn resolve(
        &self,
        resolver: &chart::Resolver,
        source: &chart::Source,
    ) -> Result<Arc<Resolution>> {
        let cell = self
            .0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .entry(format!("{source:?}"))
            .or_default()
            .clone();
        cell.get_or_init(|| {
            resolver
                .resolve(source)
                .map(Arc::new)
                .map_err(|e| format!("{e:#}"))
        })
        .clone()
        .map_err(|e| anyhow!(e))
    }
}

struct Stages<'a> {
    runtime: &'a Runtime,
    /// The run's redactor: the data of the Secrets a chart generates join it once helm has
    /// rendered them.
    redactor: &'a Redactor,
    charts: Charts,
    plan: &'a Plan,
    registry: &'a Registry,
    resolver: &'a chart::Resolver<'a>,
    helm: Option<&'a dyn Helm>,
    strict: bool,
    /// Secret references were replaced by placeholders (`lint`).
    placeholders: bool,
    /// Keep the chart defaults and schema in the render (`explain`).
    trace: bool,
    capabilities: &'a helm::Capabilities,
}

impl Stages<'_> {
    #[allow(clippy::result_large_err)]
    fn release(
        &self,
        release: &ReleasePlan,
        events: &mut dyn FnMut(Event),
    ) -> Result<ReleaseRender, Failure> {
        let fail =
            |code: &'static Code, e: anyhow::Error| Failure::new(code, e).release(&release.name);
        // A failed step (values or post-render): its code, step and place in the file.
        let step_failure = |e: anyhow::Error| {
            let Some(tag) = e.downcast_ref::<execute::StepFailed>() else {
                return fail(&codes::VALUES, e);
            };
            let code = if e.chain().any(|c| c.is::<registry::UnknownPlugin>()) {
                &codes::PLUGIN_UNAVAILABLE
            } else {
                &codes::STEP_FAILED
            };
            let step_path = release
                .steps
                .iter()
                .chain(&release.post_render)
                .find(|s| s.number == tag.0.step && s.kind == tag.0.kind)
                .map(|s| s.config_path.trim_end_matches(".with").to_owned());
            let step = Some((tag.0.step, tag.0.plugin.clone()));
            Failure {
                step,
                step_path,
                ..fail(code, e)
            }
        };
        let resolved = self
            .charts
            .resolve(self.resolver, &release.source)
            .with_context(|| {
                format!(
                    "release `{}`: cannot use chart `{}`",
                    release.name, release.chart
                )
            });
        let resolved = resolved.map_err(|e| fail(&codes::CHART_UNAVAILABLE, e))?;
        let chart = match &*resolved {
            Resolution::Resolved(c) => Ok(&**c),
            Resolution::Unavailable { reason, hint } => {
                Err(Skipped::new(reason.clone(), hint.clone()))
            }
        };
        let identity = match &chart {
            Ok(c) => ChartIdentity {
                chart: c.name.clone(),
                version: c.version.clone(),
            },
            Err(_) => ChartIdentity {
                chart: release.chart.clone(),
                version: release.version.clone().unwrap_or_default(),
            },
        };
        // The rules of a chart helmwasm knows, their facts checked against the chart before
        // the first step: a chart that contradicts them fails here, naming the fact.
        let known = checks::known::lookup(chart.as_ref().ok().copied(), release).map_err(|e| {
            fail(
                &codes::CHART_FACTS,
                anyhow!("release `{}`: {e}", release.name),
            )
        })?;
        for problem in known.iter().flat_map(|k| k.warnings.iter().cloned()) {
            events(Event::Warning {
                release: release.name.clone(),
                problem,
            });
        }
        let unverified = known.as_ref().and_then(|k| k.unverified.clone());
        let known = known.map(|k| k.rules);
        // Without secrets (lint), a step that failed while it may have seen a placeholder is
        // run again with the placeholders in other shapes: when that shows the placeholder was
        // to blame, the release goes on without the step, and its check errors become warnings.
        let suspect = |s: &crate::plan::StepPlan, e: &anyhow::Error| {
            self.placeholders
                && !e.chain().any(|c| c.is::<registry::UnknownPlugin>())
                && saw_placeholder(self.plan, release, s.number)
        };
        let mut skipped_steps = Vec::new();
        let mut render = execute::run_release(
            self.runtime,
            self.registry,
            self.plan,
            release,
            &identity,
            &mut |e| {
                if let Event::StepSkipped { tag, .. } = &e {
                    skipped_steps.push(format!("step {} (`{}`)", tag.step, tag.plugin));
                }
                events(e)
            },
            &execute::How {
                suspect: &suspect,
                history: self.trace,
            },
        )
        .map_err(step_failure)?;
        // The data of the Secrets the steps emitted (keys a step generates): redacted like
        // resolved secrets wherever a later step, a check or a post-render step shows them.
        for m in render
            .manifests
            .iter()
            .filter(|m| m.object["kind"] == "Secret")
        {
            register_secret_data(self.redactor, &m.object);
        }
        let mut skipped = match (chart.as_ref(), self.helm) {
            (Err(s), Some(_)) => Some(s.clone()),
            (Err(s), None) => Some(Skipped::new(
                format!("{}; and helm was not found on PATH", s.reason),
                format!(
                    "{}, and install Helm 3 or 4 (or pass `--helm PATH`)",
                    s.hint
                ),
            )),
            (Ok(_), None) => Some(Skipped::new(
                "helm was not found on PATH".into(),
                "install Helm 3 or 4, or pass `--helm PATH` (or set HELMWASM_HELM)".into(),
            )),
            (Ok(_), Some(_)) => None,
        };
        if let Some(s) = &mut skipped {
            s.unverified = unverified;
        }
        if let (Some(s), true) = (&skipped, self.strict) {
            return Err(fail(
                &codes::CHART_NOT_RENDERED,
                anyhow!(
                    "release `{}`: the chart was not rendered (--strict): {}; {}",
                    release.name,
                    s.reason,
                    s.hint
                ),
            ));
        }
        let chart = chart.ok();
        // Pods roll when an emitted Secret's data changes (for charts whose rules say where
        // pod annotations go; keyed by randomSeed, so without it there is no annotation).
        if let Some(seed) = &self.plan.random_seed
            && let Some(rules) = &known
            && let Some(digest) = rollout::digest(&render, seed, &release.name)
        {
            let before = render.values.clone();
            rollout::annotate(&mut render.values, &rules.pod_annotations(), &digest);
            render.provenance.record(
                &before,
                &render.values,
                &crate::provenance::Origin::Host("the digest of the emitted Secrets"),
                None,
            );
        }
        let none = serde_json::Map::new();
        let defaults = match (&release.schema, chart) {
            (Some(s), _) => &s.defaults,
            (None, Some(c)) => &c.defaults,
            (None, None) => &none,
        };
        let schema = match (&release.schema, chart) {
            (Some(s), _) => Some((&s.schema, s.schema_file.display().to_string())),
            (None, Some(c)) => c
                .schema
                .as_ref()
                .map(|s| (s, format!("values.schema.json of chart {}", c.origin))),
            (None, None) => None,
        };
        let coalesced = checks::coalesce(defaults, &render.values);
        if self.trace {
            render.trace = Some(Box::new(crate::render::Trace {
                defaults: (release.schema.is_some() || chart.is_some()).then(|| defaults.clone()),
                schema: schema.as_ref().map(|(s, _)| s.value().clone()),
            }));
        }
        let full_render = skipped.is_none();
        let check = |phase: Phase, render: &ReleaseRender, events: &mut dyn FnMut(Event)| {
            let input = checks::Input {
                release,
                render,
                coalesced: &coalesced,
                chart,
                schema: schema.clone(),
                full_render,
                known: known.as_deref(),
            };
            let mut found = checks::run(phase, &input);
            let skipped = &skipped_steps;
            if !skipped.is_empty() {
                // What the checks find may follow from the steps that did not run.
                for (_, problems) in std::mem::take(&mut found.errors) {
                    for mut p in problems {
                        p.message.push_str(&format!(
                            " (a warning in this lint, not an error: {} did not run for want of secrets, and this may follow from it)",
                            skipped.join(", ")
                        ));
                        found.warnings.push(p);
                    }
                }
            }
            for problem in found.warnings {
                events(Event::Warning {
                    release: release.name.clone(),
                    problem,
                });
            }
            let problems: Vec<Problem> = found.errors.iter().flat_map(|(_, p)| p.clone()).collect();
            report(release, phase, &input, found.errors).map_err(|e| Failure {
                problems,
                provenance: Some(render.provenance.clone()),
                ..fail(&codes::SCHEMA, e)
            })
        };
        // helm renders while the final values are checked; when they fail, it is stopped
        // (dropped) and the check's error is the one reported, as when helm ran after it.
        let rendering = match (chart, self.helm) {
            (Some(c), Some(h)) => {
                Some(helm_start(h, release, c, &render.values, self.capabilities))
            }
            _ => None,
        };
        check(Phase::Values, &render, events)?;
        if let (Some(c), Some(h), Some(started)) = (chart, self.helm, rendering) {
            let rendered = started
                .and_then(|t| helm_finish(h, t, release, c))
                .map_err(|e| fail(&codes::HELM_FAILED, e))?;
            // The chart's own Secrets (keys it generates at random): redacted like resolved
            // secrets wherever a post-render step or a later check might show them.
            for d in rendered
                .documents
                .iter()
                .filter(|d| d.object["kind"] == "Secret")
            {
                register_secret_data(self.redactor, &d.object);
            }
            render.chart = Some(rendered);
        }
        render.skipped = skipped;
        if !release.post_render.is_empty() {
            postrender::run(
                self.runtime,
                self.registry,
                self.plan,
                release,
                &identity,
                &mut render,
                events,
            )
            .map_err(step_failure)?;
        }
        check(Phase::Render, &render, events)?;
        Ok(render)
    }
}

/// Register the values of a Secret object's `data` (decoded) and `stringData`.
fn register_secret_data(redactor: &Redactor, secret: &Value) {
    use base64::Engine as _;
    for v in secret["data"]
        .as_object()
        .into_iter()
        .flat_map(|m| m.values())
    {
        if let Some(text) = v
            .as_str()
            .and_then(|s| {
                base64::engine::general_purpose::STANDARD
                    .decode(s.trim())
                    .ok()
            })
            .and_then(|b| String::from_utf8(b).ok())
        {
            redactor.register_late(&text);
        }
    }
    for v in secret["stringData"]
        .as_object()
        .into_iter()
        .flat_map(|m| m.values())
    {
        if let Some(text) = v.as_str() {
            redactor.register_late(text);
        }
    }
}

/// Whether step `number` of a release could have seen a secret placeholder: in its own config
/// or an earlier step's (which may have written it into the values), or in the values layers.
fn saw_placeholder(plan: &Plan, release: &ReleasePlan, number: usize) -> bool {
    let holds = |v: &Value| v.to_string().contains(secrets::PLACEHOLDER_PREFIX);
    release
        .steps
        .iter()
        .filter(|s| s.number <= number)
        .any(|s| holds(&s.config))
        || release
            .values(&plan.overrides)
            .is_ok_and(|v| holds(&Value::Object(v)))
}

/// `helm template` of the chart with the final values, started ([`helm_finish`] waits for it).
fn helm_start(
    helm: &dyn Helm,
    release: &ReleasePlan,
    chart: &chart::Chart,
    values: &Value,
    capabilities: &helm::Capabilities,
) -> Result<Box<dyn helm::Rendering>> {
    let values_yaml = yaml::to_string(values);
    helm.start_template(&TemplateRequest {
        release: &release.name,
        namespace: &release.namespace,
        chart: &chart.path,
        values_yaml: &values_yaml,
        capabilities,
    })
    .map_err(|e| helm_failed(helm, release, chart, e))
}

fn helm_failed(
    helm: &dyn Helm,
    release: &ReleasePlan,
    chart: &chart::Chart,
    e: String,
) -> anyhow::Error {
    anyhow!("{e}").context(format!(
        "release `{}`: `helm template` of chart {} {} failed ({})",
        release.name,
        chart.name,
        chart.version,
        helm.describe()
    ))
}

/// helm's render of a started [`helm_start`], split into documents.
fn helm_finish(
    helm: &dyn Helm,
    started: Box<dyn helm::Rendering>,
    release: &ReleasePlan,
    chart: &chart::Chart,
) -> Result<ChartRender> {
    let out = started
        .wait()
        .map_err(|e| helm_failed(helm, release, chart, e))?;
    let mut documents = Vec::new();
    for doc in helm::split_documents(&out) {
        let label = if doc.source.is_empty() {
            "helm output".to_owned()
        } else {
            doc.source.clone()
        };
        let object = yaml::parse_values(&doc.text, Path::new(&label)).with_context(|| {
            format!(
                "release `{}`: helm printed a document that is not a YAML map",
                release.name
            )
        })?;
        documents.push(ChartDocument {
            source: doc.source,
            text: doc.text,
            object,
        });
    }
    Ok(ChartRender {
        name: chart.name.clone(),
        version: chart.version.clone(),
        documents,
    })
}

/// All problems of one phase in one error, a section per check.
fn report(
    release: &ReleasePlan,
    phase: Phase,
    input: &checks::Input,
    found: Vec<(&'static str, Vec<checks::Problem>)>,
) -> Result<()> {
    if found.is_empty() {
        return Ok(());
    }
    let plural = |n: usize| if n == 1 { "" } else { "s" };
    let mut sections = Vec::new();
    let mut cross = Vec::new();
    for (name, problems) in found {
        if name == "schema" {
            let label = input
                .schema
                .as_ref()
                .map(|(_, l)| l.as_str())
                .unwrap_or_default();
            sections.push(format!(
                "{} value{} {} not match the chart schema {label} (chart defaults merged under the rendered values):\n- {}",
                problems.len(),
                plural(problems.len()),
                if problems.len() == 1 { "does" } else { "do" },
                join(&problems)
            ));
        } else {
            cross.extend(problems);
        }
    }
    if !cross.is_empty() {
        let what = match phase {
            Phase::Values => "cross-check",
            Phase::Render => "check on the rendered manifests",
        };
        let what = if cross.len() == 1 {
            what.to_owned()
        } else {
            what.replacen("check", "checks", 1)
        };
        sections.push(format!(
            "{} {what} failed:\n- {}",
            cross.len(),
            join(&cross)
        ));
    }
    bail!(
        "release `{}` does not render cleanly: {}",
        release.name,
        sections.join("\n")
    )
}

/// One line per problem; their text may quote what plugins returned (names, keys, values):
/// made safe for a terminal.
fn join(problems: &[checks::Problem]) -> String {
    let mut lines: Vec<String> = problems
        .iter()
        .take(MAX_PROBLEMS_SHOWN)
        .map(|p| crate::term::line(&p.to_string()))
        .collect();
    if problems.len() > MAX_PROBLEMS_SHOWN {
        lines.push(format!(
            "… and {} more",
            problems.len() - MAX_PROBLEMS_SHOWN
        ));
    }
    lines.join("\n- ")
}

/// Problems listed per section of a report; the rest are counted.
const MAX_PROBLEMS_SHOWN: usize = 100;

#[cfg(test)]
mod tests;
