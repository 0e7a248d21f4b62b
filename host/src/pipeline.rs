//! Orchestration, shared by every verb: spec → plan → secrets → registry, then per release:
//! steps → checks.
//!
//! The stages are the modules named above; this one only sequences them. Verbs (`template`
//! today) call [`run`] and then decide what to print or write.

use crate::checks::{self, Phase};
use crate::execute::{self, ChartIdentity, Event};
use crate::plan::{self, Plan, ReleasePlan, Selection};
use crate::redact::Redactor;
use crate::registry::{self, Registry};
use crate::render::{ReleaseRender, Render};
use crate::runtime::Runtime;
use crate::{secrets, spec};
use anyhow::{Result, bail};
use std::path::PathBuf;

/// What the user asked for.
#[derive(Debug, Clone, Default)]
pub struct Options {
    pub file: PathBuf,
    pub selection: Selection,
    /// `--plugin-dir` folders (before the pipeline's `plugins.dirs`).
    pub plugin_dirs: Vec<PathBuf>,
    pub keep_going: bool,
}

/// The side effects a run uses, supplied by the verb.
pub struct Context<'a> {
    pub runtime: &'a Runtime,
}

/// What a run produced: the releases that rendered and the failures (release order).
pub struct Outcome {
    pub render: Render,
    pub failures: Vec<anyhow::Error>,
}

/// Load, plan, resolve secrets and load plugins (an error here stops the run), then render
/// every selected release. Without `keep_going` the run stops at the first failed release.
pub fn run(
    opts: &Options,
    ctx: &Context,
    redactor: &mut Redactor,
    events: &mut dyn FnMut(Event),
) -> Result<Outcome> {
    let file = spec::load(&opts.file)?;
    let mut plan = plan::build(&file, &opts.file, &opts.selection)?;
    secrets::resolve_plan(&mut plan, redactor)?;
    let dirs = registry::dirs(&opts.plugin_dirs, &plan.plugin_dirs, Some(&opts.file));
    let registry = Registry::load(ctx.runtime, crate::builtin::PLUGINS, &dirs)?;
    let mut releases = Vec::with_capacity(plan.releases.len());
    let mut failures = Vec::new();
    for release in &plan.releases {
        match run_release(ctx, &plan, &registry, release, events) {
            Ok(r) => releases.push(r),
            Err(e) => {
                failures.push(e);
                if !opts.keep_going {
                    break;
                }
            }
        }
    }
    Ok(Outcome {
        render: Render { releases },
        failures,
    })
}

fn run_release(
    ctx: &Context,
    plan: &Plan,
    registry: &Registry,
    release: &ReleasePlan,
    events: &mut dyn FnMut(Event),
) -> Result<ReleaseRender> {
    let identity = ChartIdentity {
        chart: release.chart.clone(),
        version: release.version.clone(),
    };
    let render = execute::run_release(ctx.runtime, registry, plan, release, &identity, events)?;
    let defaults = release
        .schema
        .as_ref()
        .map(|s| s.defaults.clone())
        .unwrap_or_default();
    let coalesced = checks::coalesce(&defaults, &render.values);
    let input = checks::Input {
        release,
        render: &render,
        coalesced: &coalesced,
        schema: release
            .schema
            .as_ref()
            .map(|s| (&s.schema, s.schema_file.display().to_string())),
    };
    report(release, &input, checks::run(Phase::Values, &input))?;
    Ok(render)
}

/// All problems of one phase in one error, a section per check.
fn report(
    release: &ReleasePlan,
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
        let what = if cross.len() == 1 {
            "cross-check"
        } else {
            "cross-checks"
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

fn join(problems: &[checks::Problem]) -> String {
    problems
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("\n- ")
}
