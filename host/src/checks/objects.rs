//! Rules on objects themselves: every emitted object has a valid RFC 1123 name and is emitted
//! by one step only.

use super::{Check, Input, Phase, Problem};
use crate::names;
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
