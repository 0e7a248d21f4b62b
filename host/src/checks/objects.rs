//! Rules on objects themselves: every emitted object has a valid RFC 1123 name, is something
//! its step may emit ([`capability`]), and is emitted by one step only; no emitted object has
//! the kind and name of one of the chart's.

use super::{Check, Input, Phase, Problem};
use crate::codes;
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
                    code: &codes::EMIT_POLICY,
                    at: at.clone(),
                    message: msg,
                });
            }
            let allow = input
                .release
                .steps
                .iter()
                .find(|s| s.number == m.step)
                .map(|s| &s.allow);
            if let Err(msg) = capability(o, &kind, &namespace, &render.namespace, m.step, allow) {
                problems.push(Problem {
                    code: &codes::EMIT_POLICY,
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
                    code: &codes::COLLISION,
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
                    code: &codes::COLLISION,
                    at: format!("manifest {} ({kind} `{name}`, step {} `{}`)", i + 1, m.step, m.plugin),
                    message: format!("the chart renders a {kind} with the same name ({source}); one would overwrite the other. Rename one of them"),
                });
            }
        }
        problems
    }
}

/// Kinds that are not namespaced in Kubernetes (core and common API groups). A kind not
/// listed is taken as namespaced.
pub const CLUSTER_SCOPED: &[&str] = &[
    "APIService",
    "CSIDriver",
    "CSINode",
    "CertificateSigningRequest",
    "ClusterIssuer",
    "ClusterRole",
    "ClusterRoleBinding",
    "ComponentStatus",
    "CustomResourceDefinition",
    "FlowSchema",
    "IngressClass",
    "MutatingAdmissionPolicy",
    "MutatingAdmissionPolicyBinding",
    "MutatingWebhookConfiguration",
    "Namespace",
    "Node",
    "PersistentVolume",
    "PriorityClass",
    "PriorityLevelConfiguration",
    "RuntimeClass",
    "StorageClass",
    "ValidatingAdmissionPolicy",
    "ValidatingAdmissionPolicyBinding",
    "ValidatingWebhookConfiguration",
    "VolumeAttachment",
];

/// What a step may emit: by default only namespaced `v1` Secrets and ConfigMaps in the
/// release namespace; more kinds, other namespaces and cluster-scoped objects only when the
/// pipeline grants them on the step (`allow: {kinds, namespaces, clusterScoped}`).
pub fn capability(
    o: &Value,
    kind: &str,
    namespace: &str,
    release_namespace: &str,
    step: usize,
    allow: Option<&crate::spec::AllowSpec>,
) -> Result<(), String> {
    let default = crate::spec::AllowSpec::default();
    let allow = allow.unwrap_or(&default);
    let core = matches!(kind, "Secret" | "ConfigMap") && o["apiVersion"] == "v1";
    if !core && !allow.kinds.iter().any(|k| k == kind) {
        return Err(format!(
            "a step may emit only Secrets and ConfigMaps unless the pipeline grants more: add `allow: {{kinds: [{kind}]}}` to step {step} if this plugin should create {kind} objects"
        ));
    }
    if CLUSTER_SCOPED.contains(&kind) {
        if !allow.cluster_scoped {
            return Err(format!(
                "{kind} is cluster-scoped: it acts on the whole cluster, not the release; add `allow: {{clusterScoped: true}}` to step {step} if this plugin should create it"
            ));
        }
        return Ok(());
    }
    if namespace != release_namespace && !allow.namespaces.iter().any(|n| n == namespace) {
        return Err(format!(
            "is emitted into namespace `{namespace}`, outside the release namespace `{release_namespace}`; grant it with `allow: {{namespaces: [{namespace}]}}` on step {step} if that is intended"
        ));
    }
    Ok(())
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
