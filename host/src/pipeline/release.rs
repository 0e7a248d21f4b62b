//! One release's stages, in order: the chart resolved (once per run for every release of it)
//! and its rules' facts verified, the steps, the rollout digests, `helm template` started
//! while the values are checked, the post-render steps, the render checks.

use super::Failure;
use super::failure::report;
use crate::chart::{self, Resolution};
use crate::checks::{self, Phase, Problem};
use crate::codes::{self, Code};
use crate::execute::{self, ChartIdentity, Event, StepError};
use crate::helm::{self, Helm, TemplateRequest};
use crate::plan::{Plan, ReleasePlan};
use crate::redact::Redactor;
use crate::registry::Registry;
use crate::render::{ChartDocument, ChartRender, ReleaseRender, Skipped};
use crate::runtime::Runtime;
use crate::{postrender, rollout, secrets, yaml};
use anyhow::{Context as _, Result, anyhow};
use serde_json::Value;
use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex, OnceLock};

/// Each distinct chart resolved once per run, by whichever release needs it first (the
/// others wait for it): its archive read, `values.yaml` parsed and schema compiled once.
#[derive(Default)]
pub(super) struct Charts(Mutex<HashMap<String, ChartCell>>);

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

pub(super) struct Stages<'a> {
    pub(super) runtime: &'a Runtime,
    /// The run's redactor: the data of the Secrets a chart generates join it once helm has
    /// rendered them.
    pub(super) redactor: &'a Redactor,
    pub(super) charts: Charts,
    pub(super) plan: &'a Plan,
    pub(super) registry: &'a Registry,
    pub(super) resolver: &'a chart::Resolver<'a>,
    pub(super) helm: Option<&'a dyn Helm>,
    pub(super) strict: bool,
    /// Secret references were replaced by placeholders (`lint`).
    pub(super) placeholders: bool,
    /// Keep the chart defaults and schema in the render (`explain`).
    pub(super) trace: bool,
    pub(super) capabilities: &'a helm::Capabilities,
}

// `Failure` is large and returned rarely, once per release at most.
#[allow(clippy::result_large_err)]
impl Stages<'_> {
    /// The steps of a release. Without secrets (lint), a step that failed while it may have
    /// seen a placeholder is run again with the placeholders in other shapes: when that shows
    /// the placeholder was to blame, the release goes on without the step (its name is
    /// returned), and its check errors become warnings. The data of the Secrets the steps
    /// emitted (keys a step generates) is redacted from here on, like resolved secrets.
    fn run_steps(
        &self,
        release: &ReleasePlan,
        identity: &ChartIdentity,
        events: &mut dyn FnMut(Event),
    ) -> Result<(ReleaseRender, Vec<String>), Failure> {
        let suspect = |s: &crate::plan::StepPlan, _: &anyhow::Error| {
            self.placeholders && saw_placeholder(self.plan, release, s.number)
        };
        let mut skipped_steps = Vec::new();
        let render = execute::run_release(
            self.runtime,
            self.registry,
            self.plan,
            release,
            identity,
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
        .map_err(|e| step_failure(release, e))?;
        for m in render
            .manifests
            .iter()
            .filter(|m| m.object["kind"] == "Secret")
        {
            register_secret_data(self.redactor, &m.object);
        }
        Ok((render, skipped_steps))
    }

    /// What of the release is not rendered, and why: the chart could not be had, or there is
    /// no helm (said with what the chart's facts could not verify).
    fn skipped(
        &self,
        chart: &Result<&chart::Chart, Skipped>,
        unverified: Option<String>,
    ) -> Option<Skipped> {
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
        skipped
    }

    pub(super) fn release(
        &self,
        release: &ReleasePlan,
        events: &mut dyn FnMut(Event),
    ) -> Result<ReleaseRender, Failure> {
        let fail =
            |code: &'static Code, e: anyhow::Error| Failure::new(code, e).release(&release.name);
        let step_failure = |e: StepError| step_failure(release, e);
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
        let identity = identity(&chart, release);
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
        let (mut render, skipped_steps) = self.run_steps(release, &identity, events)?;
        let skipped = self.skipped(&chart, unverified);
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

/// A failed step (values or post-render): the code its kind decides, the step and its place in
/// the file.
pub(super) fn step_failure(release: &ReleasePlan, e: StepError) -> Failure {
    let code = match &e {
        StepError::Values(_) => &codes::VALUES,
        StepError::Unavailable(..) => &codes::PLUGIN_UNAVAILABLE,
        StepError::Failed(..) => &codes::STEP_FAILED,
    };
    let at = e.tag().map(|tag| {
        let path = release
            .steps
            .iter()
            .chain(&release.post_render)
            .find(|s| s.number == tag.step && s.kind == tag.kind)
            .map(|s| s.config_path.trim_end_matches(".with").to_owned());
        ((tag.step, tag.plugin.clone()), path)
    });
    let (step, step_path) = match at {
        Some((step, path)) => (Some(step), path),
        None => (None, None),
    };
    Failure {
        step,
        step_path,
        ..Failure::new(code, e.into_error()).release(&release.name)
    }
}

/// The chart identity plugins receive: the resolved chart's, else what the pipeline names.
fn identity(chart: &Result<&chart::Chart, Skipped>, release: &ReleasePlan) -> ChartIdentity {
    match chart {
        Ok(c) => ChartIdentity {
            chart: c.name.clone(),
            version: c.version.clone(),
        },
        Err(_) => ChartIdentity {
            chart: release.chart.clone(),
            version: release.version.clone().unwrap_or_default(),
        },
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
        chart_digest: chart.digest.as_deref(),
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
