//! Every reference from a pod template must resolve, for any chart: `env[].valueFrom`
//! `secretKeyRef` / `configMapKeyRef`, `envFrom` `secretRef` / `configMapRef`, `volumes[]`
//! `secret`, `configMap` and `projected` sources (with their `items[].key`), a
//! `volumeMounts[].subPath` (or a `subPathExpr` without variables) into such a volume, and
//! `imagePullSecrets`, in the init, regular and ephemeral containers of Deployments,
//! StatefulSets, DaemonSets, ReplicaSets, Jobs, CronJobs and bare Pods.
//!
//! Each must name a Secret or ConfigMap in the render (the chart's or an emitted one) or one
//! listed in `existingSecrets` / `existingConfigMaps`, and the key must be there, unless the
//! reference is `optional: true` (which covers a missing key as well as a missing object, as
//! in Kubernetes). Objects listed as existing may hold any key. A missing object is named with
//! every key the render reads from it.
//!
//! A `subPath` names a key (with `items`, an item's `path`). When it is missing the kubelet
//! mounts an empty folder instead and the container fails only if it reads the file, so that
//! is a warning (HW0307), and an error where the chart's rules say the chart reads the key
//! ([`super::known::Rules::reads_key`]: git-sync's `gitSshKey`, every Secret key of the Airflow
//! facts); a key the rules say the chart mounts without always giving it is not reported.

mod mounts;

use super::objects::identity;
use super::{Check, Input, Phase, Problem};
use crate::codes::{self, Code};
use crate::names;
use mounts::{Mount, mounts};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

pub struct References;

impl Check for References {
    fn name(&self) -> &'static str {
        "references"
    }

    fn phase(&self) -> Phase {
        Phase::Render
    }

    fn run(&self, input: &Input) -> Vec<Problem> {
        self.findings(input).0
    }

    fn findings(&self, input: &Input) -> (Vec<Problem>, Vec<Problem>) {
        let ns = &input.render.namespace;
        let mut provided = Provided::default();
        for o in input.render.objects() {
            let (kind, name, namespace) = identity(o, ns);
            let (fields, map): (&[&str], _) = match kind.as_str() {
                "Secret" => (&["data", "stringData"], &mut provided.secrets),
                "ConfigMap" => (&["data", "binaryData"], &mut provided.config_maps),
                _ => continue,
            };
            let keys = map
                .entry((namespace, name))
                .or_insert_with(|| Some(BTreeSet::new()));
            if let Some(keys) = keys {
                for f in fields {
                    keys.extend(
                        o[*f]
                            .as_object()
                            .into_iter()
                            .flat_map(|m| m.keys().cloned()),
                    );
                }
            }
        }
        for name in &input.release.existing_secrets {
            provided.secrets.insert((ns.clone(), name.clone()), None);
        }
        for name in &input.release.existing_config_maps {
            provided
                .config_maps
                .insert((ns.clone(), name.clone()), None);
        }
        // Every key the render reads from each object, to name them with a missing one.
        let pods: Vec<Pod> = input
            .render
            .objects()
            .filter_map(|o| {
                let (kind, name, namespace) = identity(o, ns);
                let (spec, prefix) = pod_spec(&kind, o)?;
                Some((
                    kind,
                    name,
                    namespace,
                    references(spec, prefix),
                    mounts(spec, prefix),
                ))
            })
            .collect();
        for (_, _, namespace, refs, mounts) in &pods {
            for r in refs {
                provided
                    .reads(r.kind, namespace, &r.name)
                    .extend(r.keys.iter().cloned());
            }
            for m in mounts {
                for s in m.sources.iter().filter(|s| s.items.is_none()) {
                    provided
                        .reads(s.kind, namespace, &s.name)
                        .insert(m.sub_path.clone());
                }
            }
        }
        // One problem per missing object or key, at its first reference, naming every
        // workload that reads it (the Airflow chart reads one Secret from ~30 places).
        let mut found: Vec<Found> = Vec::new();
        let mut add =
            |message: String, at: String, by: String, code: &'static Code, error: bool| match found
                .iter_mut()
                .find(|f| f.message == message)
            {
                Some(f) => f.by.push(by),
                None => found.push(Found {
                    message,
                    at,
                    by: vec![by],
                    code,
                    error,
                }),
            };
        for (kind, name, namespace, refs, mounts) in &pods {
            let workload = format!("{kind} `{name}`");
            for r in refs {
                let Some(message) = provided.check(namespace, r) else {
                    continue;
                };
                let container = r
                    .container
                    .as_deref()
                    .map(|c| format!(" container `{c}`"))
                    .unwrap_or_default();
                let code = match r.kind {
                    Kind::Secret => &codes::DANGLING_SECRET,
                    Kind::ConfigMap => &codes::DANGLING_OBJECT,
                };
                let at = format!("{workload}{container} ({})", r.path);
                add(message, at, workload.clone(), code, true);
            }
            for m in mounts {
                let Some((message, error)) =
                    provided.check_mount(namespace, m, input.known, input.coalesced)
                else {
                    continue;
                };
                let at = format!("{workload} container `{}` ({})", m.container, m.path);
                let by = format!("{workload} container `{}`", m.container);
                add(message, at, by, &codes::MOUNTED_KEY_MISSING, error);
            }
        }
        let (mut errors, mut warnings) = (Vec::new(), Vec::new());
        for Found {
            message,
            at,
            by: workloads,
            code,
            error,
        } in found
        {
            let count = workloads.len();
            let mut distinct: Vec<String> = Vec::new();
            for w in workloads {
                if !distinct.contains(&w) {
                    distinct.push(w);
                }
            }
            let also = if count > 1 {
                format!(" (read {count} times, by {})", distinct.join(", "))
            } else {
                String::new()
            };
            let problem = Problem {
                code,
                at,
                message: format!("{message}{also}"),
            };
            if error {
                errors.push(problem);
            } else {
                warnings.push(problem);
            }
        }
        (errors, warnings)
    }
}

/// A workload's kind, name and namespace, and what its pod template reads.
type Pod = (String, String, String, Vec<Reference>, Vec<Mount>);

/// A finding, gathered over every workload that has it.
struct Found {
    message: String,
    /// Its first place.
    at: String,
    /// Every workload (and container) that has it.
    by: Vec<String>,
    code: &'static Code,
    error: bool,
}

#[derive(Default)]
struct Provided {
    /// (namespace, name) → keys; `None` when the keys are unknown (created outside).
    secrets: BTreeMap<(String, String), Option<BTreeSet<String>>>,
    config_maps: BTreeMap<(String, String), Option<BTreeSet<String>>>,
    /// Every key the render reads from each (kind, namespace, name).
    read: BTreeMap<(Kind, String, String), BTreeSet<String>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    Secret,
    ConfigMap,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Secret => "Secret",
            Kind::ConfigMap => "ConfigMap",
        }
    }
}

/// One reference found in a pod spec.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Reference {
    kind: Kind,
    name: String,
    /// The keys it reads (none for `envFrom` and whole-volume mounts).
    keys: Vec<String>,
    optional: bool,
    container: Option<String>,
    /// e.g. `spec.template.spec.containers[0].env[3].valueFrom.secretKeyRef`.
    path: String,
}

impl Provided {
    fn reads(&mut self, kind: Kind, namespace: &str, name: &str) -> &mut BTreeSet<String> {
        self.read
            .entry((kind, namespace.to_owned(), name.to_owned()))
            .or_default()
    }

    fn keys(&self, kind: Kind, namespace: &str, name: &str) -> Option<&Option<BTreeSet<String>>> {
        let map = match kind {
            Kind::Secret => &self.secrets,
            Kind::ConfigMap => &self.config_maps,
        };
        map.get(&(namespace.to_owned(), name.to_owned()))
    }

    fn check(&self, namespace: &str, r: &Reference) -> Option<String> {
        let (map, kind, list) = match r.kind {
            Kind::Secret => (&self.secrets, "Secret", "existingSecrets"),
            Kind::ConfigMap => (&self.config_maps, "ConfigMap", "existingConfigMaps"),
        };
        match map.get(&(namespace.to_owned(), r.name.clone())) {
            Some(None) => None,
            Some(Some(keys)) => {
                let missing: Vec<&String> = r.keys.iter().filter(|k| !keys.contains(*k)).collect();
                if missing.is_empty() || r.optional {
                    return None;
                }
                let key = missing[0];
                let hint = hint(key, keys.iter().map(String::as_str));
                let have = if keys.is_empty() {
                    "no keys".to_owned()
                } else {
                    format!(
                        "keys: {}",
                        keys.iter()
                            .map(|k| format!("`{k}`"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    )
                };
                Some(format!(
                    "{kind} `{}` has no key `{key}` ({have}){hint}",
                    r.name
                ))
            }
            None if r.optional => None,
            None => {
                let known = map
                    .keys()
                    .filter(|(ns, _)| ns == namespace)
                    .map(|(_, n)| n.as_str());
                let hint = names::did_you_mean(&r.name, known)
                    .map(|k| format!("did you mean `{k}`? Otherwise "))
                    .unwrap_or_default();
                let reads = self
                    .read
                    .get(&(r.kind, namespace.to_owned(), r.name.clone()))
                    .filter(|keys| !keys.is_empty())
                    .map(|keys| {
                        format!(
                            " (the render reads {} {} from it)",
                            if keys.len() == 1 { "key" } else { "keys" },
                            quoted(keys.iter().map(String::as_str))
                        )
                    })
                    .unwrap_or_default();
                Some(format!(
                    "{kind} `{}` is not in the render{reads}: {hint}add a step that emits it, or list it under `{list}` of the release if it is created outside the pipeline",
                    r.name
                ))
            }
        }
    }
}

/// `; did you mean `x`?` when one candidate is close.
fn hint<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> String {
    names::did_you_mean(word, candidates)
        .map(|k| format!("; did you mean `{k}`?"))
        .unwrap_or_default()
}

/// `` `a`, `b` ``.
fn quoted<'a>(items: impl IntoIterator<Item = &'a str>) -> String {
    items
        .into_iter()
        .map(|k| format!("`{k}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The pod spec of a workload and its path.
pub(crate) fn pod_spec<'a>(kind: &str, o: &'a Value) -> Option<(&'a Value, &'static str)> {
    let (spec, prefix) = match kind {
        "Deployment" | "StatefulSet" | "DaemonSet" | "ReplicaSet" | "Job" => {
            (&o["spec"]["template"]["spec"], "spec.template.spec")
        }
        "CronJob" => (
            &o["spec"]["jobTemplate"]["spec"]["template"]["spec"],
            "spec.jobTemplate.spec.template.spec",
        ),
        "Pod" => (&o["spec"], "spec"),
        _ => return None,
    };
    spec.is_object().then_some((spec, prefix))
}

fn items<'a>(v: &'a Value, key: &str) -> impl Iterator<Item = (usize, &'a Value)> {
    v[key].as_array().into_iter().flatten().enumerate()
}

fn str_of(v: &Value) -> Option<String> {
    v.as_str().filter(|s| !s.is_empty()).map(str::to_owned)
}

/// Every Secret and ConfigMap reference in a pod spec.
fn references(spec: &Value, prefix: &str) -> Vec<Reference> {
    let mut out = Vec::new();
    let optional = |v: &Value| v["optional"].as_bool().unwrap_or(false);
    for field in ["initContainers", "containers", "ephemeralContainers"] {
        for (i, c) in items(spec, field) {
            let container = str_of(&c["name"]);
            let at = format!("{prefix}.{field}[{i}]");
            for (j, e) in items(c, "env") {
                for (sel, kind) in [
                    ("secretKeyRef", Kind::Secret),
                    ("configMapKeyRef", Kind::ConfigMap),
                ] {
                    let r = &e["valueFrom"][sel];
                    if let Some(name) = str_of(&r["name"]) {
                        out.push(Reference {
                            kind,
                            name,
                            keys: str_of(&r["key"]).into_iter().collect(),
                            optional: optional(r),
                            container: container.clone(),
                            path: format!("{at}.env[{j}].valueFrom.{sel}"),
                        });
                    }
                }
            }
            for (j, e) in items(c, "envFrom") {
                for (sel, kind) in [
                    ("secretRef", Kind::Secret),
                    ("configMapRef", Kind::ConfigMap),
                ] {
                    let r = &e[sel];
                    if let Some(name) = str_of(&r["name"]) {
                        out.push(Reference {
                            kind,
                            name,
                            keys: vec![],
                            optional: optional(r),
                            container: container.clone(),
                            path: format!("{at}.envFrom[{j}].{sel}"),
                        });
                    }
                }
            }
        }
    }
    let item_keys = |v: &Value| -> Vec<String> {
        v["items"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|i| str_of(&i["key"]))
            .collect()
    };
    for (i, vol) in items(spec, "volumes") {
        let at = format!("{prefix}.volumes[{i}]");
        if let Some(name) = str_of(&vol["secret"]["secretName"]) {
            out.push(Reference {
                kind: Kind::Secret,
                name,
                keys: item_keys(&vol["secret"]),
                optional: optional(&vol["secret"]),
                container: None,
                path: format!("{at}.secret"),
            });
        }
        if let Some(name) = str_of(&vol["configMap"]["name"]) {
            out.push(Reference {
                kind: Kind::ConfigMap,
                name,
                keys: item_keys(&vol["configMap"]),
                optional: optional(&vol["configMap"]),
                container: None,
                path: format!("{at}.configMap"),
            });
        }
        for (j, src) in items(&vol["projected"], "sources") {
            for (sel, kind) in [("secret", Kind::Secret), ("configMap", Kind::ConfigMap)] {
                let r = &src[sel];
                if let Some(name) = str_of(&r["name"]) {
                    out.push(Reference {
                        kind,
                        name,
                        keys: item_keys(r),
                        optional: optional(r),
                        container: None,
                        path: format!("{at}.projected.sources[{j}].{sel}"),
                    });
                }
            }
        }
    }
    for (i, s) in items(spec, "imagePullSecrets") {
        if let Some(name) = str_of(&s["name"]) {
            out.push(Reference {
                kind: Kind::Secret,
                name,
                keys: vec![],
                optional: false,
                container: None,
                path: format!("{prefix}.imagePullSecrets[{i}]"),
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn finds_every_reference_form() {
        let spec = json!({
            "initContainers": [{"name": "init", "envFrom": [{"secretRef": {"name": "s1"}}, {"configMapRef": {"name": "c1", "optional": true}}]}],
            "containers": [{"name": "main", "env": [
                {"name": "A", "valueFrom": {"secretKeyRef": {"name": "s2", "key": "k"}}},
                {"name": "B", "valueFrom": {"configMapKeyRef": {"name": "c2", "key": "k2"}}},
                {"name": "C", "value": "plain"}
            ]}],
            "volumes": [
                {"name": "v1", "secret": {"secretName": "s3", "items": [{"key": "a", "path": "a"}]}},
                {"name": "v2", "configMap": {"name": "c3"}},
                {"name": "v3", "projected": {"sources": [{"secret": {"name": "s4"}}, {"configMap": {"name": "c4", "items": [{"key": "x", "path": "x"}]}}, {"serviceAccountToken": {"path": "t"}}]}}
            ],
            "imagePullSecrets": [{"name": "pull"}]
        });
        let refs = references(&spec, "spec");
        let names: Vec<(&str, &[String])> = refs
            .iter()
            .map(|r| (r.name.as_str(), r.keys.as_slice()))
            .collect();
        assert_eq!(names.len(), 9, "{names:?}");
        assert!(refs[1].optional);
        assert_eq!(
            refs[2].path,
            "spec.containers[0].env[0].valueFrom.secretKeyRef"
        );
        assert_eq!(refs[2].keys, ["k"]);
        assert_eq!(refs[4].keys, ["a"]);
        assert_eq!(refs[8].path, "spec.imagePullSecrets[0]");
    }

    #[test]
    fn missing_objects_and_keys_are_named() {
        let mut p = Provided::default();
        p.secrets.insert(
            ("ns".into(), "airflow-metadata".into()),
            Some(["connection".to_owned()].into()),
        );
        p.secrets.insert(("ns".into(), "outside".into()), None);
        let r = |name: &str, key: &str, optional: bool| Reference {
            kind: Kind::Secret,
            name: name.into(),
            keys: vec![key.into()],
            optional,
            container: None,
            path: String::new(),
        };
        assert_eq!(
            p.check("ns", &r("airflow-metadata", "connection", false)),
            None
        );
        assert_eq!(p.check("ns", &r("outside", "anything", false)), None);
        let e = p
            .check("ns", &r("airflow-metadata", "conection", false))
            .unwrap();
        assert!(
            e.contains("has no key `conection` (keys: `connection`); did you mean `connection`?"),
            "{e}"
        );
        assert_eq!(p.check("ns", &r("airflow-metadata", "other", true)), None);
        let e = p
            .check("ns", &r("airflow-metadta", "connection", false))
            .unwrap();
        assert!(e.contains("did you mean `airflow-metadata`?"), "{e}");
        assert!(
            p.check("other-ns", &r("airflow-metadata", "connection", false))
                .is_some()
        );
        assert_eq!(p.check("ns", &r("nowhere", "k", true)), None);
    }
}
