//! The Flux form of a render (`template --output flux --output-dir DIR`): a GitOps-ready
//! folder that Flux's helm-controller reconciles, rendering the chart itself.
//!
//! - `flux-system/helmrepository-REPO.yaml`: a `HelmRepository`
//!   (`source.toolkit.fluxcd.io/v1`) per chart repository the releases use (`type: oci` for
//!   OCI registries);
//! - `RELEASE/helmrelease.yaml`: a `HelmRelease` (`helm.toolkit.fluxcd.io/v2`) with the chart,
//!   its exact resolved version, `releaseName`, `targetNamespace`, and `valuesFrom` the object
//!   below — never values inline;
//! - `RELEASE/values.yaml`: the final values under `values.yaml` in a Secret when they hold a
//!   secret, a ConfigMap otherwise (named `RELEASE-helmwasm-values`);
//! - `RELEASE/manifests.yaml`: the emitted manifests;
//! - `kustomization.yaml` listing every file.
//!
//! Flux renders the chart, so what needs the chart render here cannot be expressed: a release
//! with post-render steps, or a chart from a folder or archive, is an error saying so.

use crate::chart::source::Source;
use crate::redact::Redactor;
use crate::render::{ReleaseRender, Render};
use crate::spec::PipelineFile;
use crate::yaml;
use anyhow::{Result, bail};
use base64::Engine as _;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Where Flux finds HelmRepositories (`flux install`'s namespace).
pub const SOURCE_NAMESPACE: &str = "flux-system";
/// How often Flux reconciles the releases and checks the repositories.
pub const RELEASE_INTERVAL: &str = "10m";
pub const REPOSITORY_INTERVAL: &str = "1h";

/// A chart as Flux fetches it: the repository object and the chart name in it.
struct FluxChart {
    repo_name: String,
    url: String,
    oci: bool,
    chart: String,
}

/// The files of the Flux folder: (path relative to it, text).
pub fn files(
    render: &Render,
    file: &PipelineFile,
    pipeline: &Path,
    environment: &str,
    redactor: &Redactor,
) -> Result<Vec<(PathBuf, String)>> {
    let base = crate::paths::parent(pipeline);
    let mut repositories: BTreeMap<String, Value> = BTreeMap::new();
    let mut out: Vec<(PathBuf, String)> = Vec::new();
    for r in &render.releases {
        let Some(spec) = file.releases.iter().find(|s| s.name == r.name) else {
            bail!("release `{}` is not in the pipeline file", r.name);
        };
        let post_render = spec.post_render.iter().any(|s| {
            s.environments
                .as_ref()
                .is_none_or(|envs| envs.iter().any(|e| e == environment))
        });
        if post_render {
            bail!(
                "release `{}` has post-render steps, which Flux cannot run (its helm-controller renders the chart): write the render with `template --output-dir` and apply it with a Flux Kustomization instead",
                r.name
            );
        }
        let Some(chart) = &r.chart else {
            bail!(
                "release `{}`: the chart was not rendered, so its exact version is not known; the Flux form needs the chart (run with helm and network once, or with `--strict` to see why)",
                r.name
            );
        };
        let source = Source::classify(
            &spec.chart,
            spec.version.as_deref(),
            &file.repositories,
            base,
        )
        .map_err(|(_, m)| anyhow::anyhow!("release `{}`: {m}", r.name))?;
        let fc = flux_chart(&r.name, &source)?;
        let repo = json!({
            "apiVersion": "source.toolkit.fluxcd.io/v1",
            "kind": "HelmRepository",
            "metadata": {"name": fc.repo_name, "namespace": SOURCE_NAMESPACE},
            "spec": if fc.oci {
                json!({"interval": REPOSITORY_INTERVAL, "type": "oci", "url": fc.url})
            } else {
                json!({"interval": REPOSITORY_INTERVAL, "url": fc.url})
            },
        });
        if let Some(existing) = repositories.get(&fc.repo_name)
            && *existing != repo
        {
            bail!(
                "two repositories would be named `{}` in the Flux folder",
                fc.repo_name
            );
        }
        repositories.insert(fc.repo_name.clone(), repo);
        out.extend(release_files(r, chart.version.as_str(), &fc, redactor));
    }
    for (name, repo) in &repositories {
        out.push((
            PathBuf::from(SOURCE_NAMESPACE).join(format!("helmrepository-{name}.yaml")),
            yaml::to_string(repo),
        ));
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    let resources: Vec<String> = out
        .iter()
        .map(|(p, _)| p.to_string_lossy().replace('\\', "/"))
        .collect();
    out.push((
        PathBuf::from("kustomization.yaml"),
        yaml::to_string(&json!({
            "apiVersion": "kustomize.config.k8s.io/v1beta1",
            "kind": "Kustomization",
            "resources": resources,
        })),
    ));
    Ok(out)
}

fn flux_chart(release: &str, source: &Source) -> Result<FluxChart> {
    match source {
        Source::Repo {
            repo, url, name, ..
        } => Ok(FluxChart {
            repo_name: repo.clone(),
            url: url.trim_end_matches('/').to_owned(),
            oci: false,
            chart: name.clone(),
        }),
        Source::Oci { reference, .. } => {
            let (url, chart) = reference
                .rsplit_once('/')
                .filter(|(u, c)| u.len() > "oci://".len() && !c.is_empty())
                .ok_or_else(|| {
                    anyhow::anyhow!("release `{release}`: `{reference}` names no chart")
                })?;
            let host = url
                .trim_start_matches("oci://")
                .split(['/', ':'])
                .next()
                .unwrap_or("oci");
            Ok(FluxChart {
                repo_name: crate::names::dns_label_from(host),
                url: url.to_owned(),
                oci: true,
                chart: chart.to_owned(),
            })
        }
        Source::Undeclared { repo, .. } => bail!(
            "release `{release}`: repository `{repo}` is not declared under `repositories:`, so Flux cannot fetch the chart"
        ),
        Source::Dir(p, _) | Source::Archive(p, _) => bail!(
            "release `{release}`: chart {} is a local folder or archive; the Flux form needs a chart repository (Flux's helm-controller fetches the chart itself)",
            p.display()
        ),
    }
}

fn release_files(
    r: &ReleaseRender,
    version: &str,
    fc: &FluxChart,
    redactor: &Redactor,
) -> Vec<(PathBuf, String)> {
    let values_text = yaml::to_string(&r.values);
    let values_name = format!("{}-helmwasm-values", r.name);
    let secret = redactor.contains_secret(&values_text);
    let (kind, values_object) = if secret {
        (
            "Secret",
            json!({
                "apiVersion": "v1", "kind": "Secret", "type": "Opaque",
                "metadata": {"name": values_name, "namespace": r.namespace},
                "data": {"values.yaml": base64::engine::general_purpose::STANDARD.encode(&values_text)},
            }),
        )
    } else {
        (
            "ConfigMap",
            json!({
                "apiVersion": "v1", "kind": "ConfigMap",
                "metadata": {"name": values_name, "namespace": r.namespace},
                "data": {"values.yaml": values_text},
            }),
        )
    };
    let release = json!({
        "apiVersion": "helm.toolkit.fluxcd.io/v2",
        "kind": "HelmRelease",
        "metadata": {"name": r.name, "namespace": r.namespace},
        "spec": {
            "interval": RELEASE_INTERVAL,
            "releaseName": r.name,
            "targetNamespace": r.namespace,
            "chart": {"spec": {
                "chart": fc.chart,
                "version": version,
                "sourceRef": {"kind": "HelmRepository", "name": fc.repo_name, "namespace": SOURCE_NAMESPACE},
            }},
            "valuesFrom": [{"kind": kind, "name": values_name, "valuesKey": "values.yaml"}],
        },
    });
    let dir = PathBuf::from(&r.name);
    let mut out = vec![
        (dir.join("helmrelease.yaml"), yaml::to_string(&release)),
        (dir.join("values.yaml"), yaml::to_string(&values_object)),
    ];
    if !r.manifests.is_empty() {
        let docs: String = r
            .manifests
            .iter()
            .map(|m| format!("---\n{}", yaml::to_string(&m.object)))
            .collect();
        out.push((dir.join("manifests.yaml"), docs));
    }
    out
}
