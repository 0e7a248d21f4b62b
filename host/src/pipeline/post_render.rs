//! `helm --post-renderer`: the pipeline's post-render steps over a stream helm rendered.

use super::{Context, Failure, Options, prepare};
use crate::codes;
use crate::execute::{ChartIdentity, Event};
use crate::redact::Redactor;
use crate::render::{ChartDocument, ChartRender, ReleaseRender, Render};
use crate::{helm, postrender, yaml};
use anyhow::{Context as _, anyhow};
use serde_json::Value;
use std::path::Path;

/// `helm --post-renderer`: the post-render steps of one release of the pipeline over a
/// manifest stream someone else rendered (helm's), returned as a render (the verb formats it).
/// The values steps,
/// the chart and the checks are helm's business here; what each post-render step may change
/// is held to its grant as in a full render. `release` names the release when the pipeline
/// selects more than one.
#[allow(clippy::result_large_err)]
pub fn post_render_stream(
    opts: &Options,
    ctx: &Context,
    release: Option<&str>,
    stream: &str,
    redactor: &mut Redactor,
    events: &mut dyn FnMut(Event, &Redactor),
) -> Result<Render, Failure> {
    let (plan, registry, runtime) = prepare(opts, ctx, redactor)?;
    let redactor: &Redactor = redactor;
    let mut events = |e: Event| events(e, redactor);
    let names: Vec<&str> = plan.releases.iter().map(|r| r.name.as_str()).collect();
    let chosen = match release {
        Some(name) => plan
            .releases
            .iter()
            .find(|r| r.name == name)
            .ok_or_else(|| {
                Failure::new(
                    &codes::SELECTION,
                    anyhow!(
                        "the pipeline {} selects no release `{name}` (it selects: {})",
                        opts.file.display(),
                        names.join(", ")
                    ),
                )
            })?,
        None => match plan.releases.as_slice() {
            [one] => one,
            _ => {
                return Err(Failure::new(
                    &codes::SELECTION,
                    anyhow!(
                        "the pipeline {} selects {} releases ({}): name one with `--release NAME` (under helm: `--post-renderer-args --release=NAME`) or HELMWASM_RELEASE",
                        opts.file.display(),
                        names.len(),
                        names.join(", ")
                    ),
                ));
            }
        },
    };
    let mut documents = Vec::new();
    for doc in helm::split_documents(stream) {
        let object = yaml::parse_values(&doc.text, Path::new("<stdin>"))
            .context("the manifests on stdin are not YAML maps")
            .map_err(|e| Failure::new(&codes::HELM_FAILED, e))?;
        if object.as_object().is_some_and(|m| !m.is_empty()) {
            documents.push(ChartDocument {
                source: doc.source,
                text: doc.text,
                object,
            });
        }
    }
    let identity = ChartIdentity {
        chart: chosen.chart.clone(),
        version: chosen.version.clone().unwrap_or_default(),
    };
    let mut render = ReleaseRender {
        name: chosen.name.clone(),
        namespace: chosen.namespace.clone(),
        values: Value::Object(Default::default()),
        manifests: Vec::new(),
        provenance: Default::default(),
        chart: Some(ChartRender {
            name: identity.chart.clone(),
            version: identity.version.clone(),
            documents,
        }),
        skipped: None,
        trace: None,
    };
    postrender::run(
        runtime,
        &registry,
        &plan,
        chosen,
        &identity,
        &mut render,
        &mut events,
    )
    .map_err(|e| super::release::step_failure(chosen, e))?;
    Ok(Render {
        releases: vec![render],
    })
}
