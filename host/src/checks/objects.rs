//! Rules on objects themselves: every emitted object has a valid RFC 1123 name, lives in the
//! release namespace (unless its step allows another), and is emitted by one step only; no
//! emitted object has the kind and name of one of the chart's.

use super::{Check, Input, Phase, Problem};
use crate::names;
use crate::render::ReleaseRender;
use serde_json::Value;
use std::collections::BTreeMap;

pub struct Emitted;

impl Check for Emitted {
    fn name(&self) -> &'static str {
        "emitted objects"
    }

    fn phase(&self) -> Phase {
        Phase::Values
    }

    fn run(&self, input: &Input) -> Vec<Problem> {
        let render = input.render;
        let mut problems = Vec::new();
        let mut seen: BTreeMap<(String, String, String, String), (usize, String)> = BTreeMap::new();
        for (i, m) in render.manifests.iter().enumerate() {
            let o = &m.object;
            let (kind, name, namespace) = identity(o, &render.namespace);
            let at = format!(
                "manifest {} ({kind} `{name}`, step {} `{}`)",
                i + 1,
                m.step,
                m.plugin
            );
            if let Err(msg) = names::check_subdomain(&name) {
                problems.push(Problem {
                    at: at.clone(),
                    message: msg,
                });
            }
            let allowed = input
                .release
                .steps
                .iter()
                .find(|s| s.number == m.step)
                .is_some_and(|s| s.allowed_namespaces.contains(&namespace));
            if namespace != render.namespace && !allowed {
                problems.push(Problem {
                    at: at.clone(),
                    message: format!(
                        "is emitted into namespace `{namespace}`, outside the release namespace `{}`; grant it with `allow: {{namespaces: [...]}}` on step {} if that is intended",
                        render.namespace, m.step
                    ),
                });
            }
            let key = (
                o["apiVersion"].as_str().unwrap_or_default().to_owned(),
                kind.clone(),
                namespace,
                name.clone(),
            );
            if let Some((step, plugin)) = seen.insert(key, (m.step, m.plugin.clone())) {
                problems.push(Problem {
                    at,
                    message: format!("{kind} `{name}` is also emitted by step {step} (`{plugin}`); an object may come from one step only"),
                });
            }
        }
        problems
    }
}

pub struct Collisions;

impl Check for Collisions {
    fn name(&self) -> &'static str {
        "collisions"
    }

    fn phase(&self) -> Phase {
        Phase::Render
    }

    fn run(&self, input: &Input) -> Vec<Problem> {
        let render: &ReleaseRender = input.render;
        let Some(chart) = &render.chart else {
            return Vec::new();
        };
        let ours: BTreeMap<(String, String, String), &str> = chart
            .documents
            .iter()
            .map(|d| {
                let (kind, name, ns) = identity(&d.object, &render.namespace);
                ((kind, ns, name), d.source.as_str())
            })
            .collect();
        let mut problems = Vec::new();
        for (i, m) in render.manifests.iter().enumerate() {
            let (kind, name, ns) = identity(&m.object, &render.namespace);
            if let Some(source) = ours.get(&(kind.clone(), ns, name.clone())) {
                problems.push(Problem {
                    at: format!("manifest {} ({kind} `{name}`, step {} `{}`)", i + 1, m.step, m.plugin),
                    message: format!("the chart renders a {kind} with the same name ({source}); one would overwrite the other. Rename one of them"),
                });
            }
        }
        problems
    }
}

/// Kind, name and namespace (the release's when the object names none).
pub fn identity(o: &Value, release_namespace: &str) -> (String, String, String) {
    (
        o["kind"].as_str().unwrap_or_default().to_owned(),
        o["metadata"]["name"]
            .as_str()
            .unwrap_or_default()
            .to_owned(),
        o["metadata"]["namespace"]
            .as_str()
            .unwrap_or(release_namespace)
            .to_owned(),
    )
}
