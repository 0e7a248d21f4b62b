//! Rendered Kubernetes objects, for post-render plugins: objects by kind, the pod spec and
//! pod template of every workload kind, their containers, patches by JSON pointer, labels
//! and annotations.

use crate::PluginError;
use serde_json::{Map, Value};

/// The workload kinds that hold a pod spec, and where: `(kind, pod spec pointer, pod
/// metadata pointer)`. A bare Pod's metadata is its own.
pub const WORKLOADS: &[(&str, &str, &str)] = &[
    ("Pod", "/spec", "/metadata"),
    (
        "Deployment",
        "/spec/template/spec",
        "/spec/template/metadata",
    ),
    (
        "StatefulSet",
        "/spec/template/spec",
        "/spec/template/metadata",
    ),
    (
        "DaemonSet",
        "/spec/template/spec",
        "/spec/template/metadata",
    ),
    (
        "ReplicaSet",
        "/spec/template/spec",
        "/spec/template/metadata",
    ),
    (
        "ReplicationController",
        "/spec/template/spec",
        "/spec/template/metadata",
    ),
    ("Job", "/spec/template/spec", "/spec/template/metadata"),
    (
        "CronJob",
        "/spec/jobTemplate/spec/template/spec",
        "/spec/jobTemplate/spec/template/metadata",
    ),
];

/// `Kind/name`, as policies list objects to exempt.
pub fn kind_name(object: &Value) -> String {
    format!(
        "{}/{}",
        object["kind"].as_str().unwrap_or_default(),
        object["metadata"]["name"].as_str().unwrap_or_default()
    )
}

/// The objects of one kind.
pub fn of_kind<'a>(objects: &'a mut [Value], kind: &'a str) -> impl Iterator<Item = &'a mut Value> {
    objects.iter_mut().filter(move |o| o["kind"] == kind)
}

/// Where an object's pod spec is (`/spec/template/spec` for a Deployment), if it has one.
pub fn pod_spec_pointer(object: &Value) -> Option<&'static str> {
    let kind = object["kind"].as_str()?;
    WORKLOADS
        .iter()
        .find(|(k, _, _)| *k == kind)
        .map(|(_, spec, _)| *spec)
}

/// The pod spec of a workload and its pointer, if the object is one and has it.
pub fn pod_spec_mut(object: &mut Value) -> Option<(&'static str, &mut Value)> {
    let pointer = pod_spec_pointer(object)?;
    let spec = object.pointer_mut(pointer).filter(|s| s.is_object())?;
    Some((pointer, spec))
}

/// Every container and init container of a pod spec, each with its pointer relative to the
/// pod spec (`/containers/0`, `/initContainers/1`).
pub fn containers_mut(pod_spec: &mut Value) -> Vec<(String, &mut Value)> {
    let mut out = Vec::new();
    let Some(spec) = pod_spec.as_object_mut() else {
        return out;
    };
    for (field, list) in spec.iter_mut() {
        if field != "containers" && field != "initContainers" {
            continue;
        }
        if let Some(items) = list.as_array_mut() {
            for (i, c) in items.iter_mut().enumerate() {
                out.push((format!("/{field}/{i}"), c));
            }
        }
    }
    out
}

/// Set `value` at a JSON pointer, creating the maps on the way (`/metadata/labels/team`).
/// A list index must exist (or be `-`, to append).
pub fn patch(object: &mut Value, pointer: &str, value: Value) -> Result<(), PluginError> {
    if pointer.is_empty() {
        *object = value;
        return Ok(());
    }
    let Some(rest) = pointer.strip_prefix('/') else {
        return Err(PluginError::Internal(format!(
            "`{pointer}` is not a JSON pointer (it starts with `/`)"
        )));
    };
    let tokens: Vec<String> = rest
        .split('/')
        .map(|t| t.replace("~1", "/").replace("~0", "~"))
        .collect();
    let (last, parents) = tokens
        .split_last()
        .expect("split yields one token at least");
    let mut node = object;
    for t in parents {
        node = step(node, t, pointer)?;
    }
    match node {
        Value::Array(items) if last == "-" => items.push(value),
        Value::Array(items) => {
            let i: usize = last.parse().map_err(|_| bad_index(pointer, last))?;
            *items.get_mut(i).ok_or_else(|| bad_index(pointer, last))? = value;
        }
        other => {
            if !other.is_object() {
                *other = Value::Object(Map::new());
            }
            other
                .as_object_mut()
                .expect("made a map")
                .insert(last.clone(), value);
        }
    }
    Ok(())
}

fn step<'a>(node: &'a mut Value, token: &str, pointer: &str) -> Result<&'a mut Value, PluginError> {
    match node {
        Value::Array(items) => {
            let i: usize = token.parse().map_err(|_| bad_index(pointer, token))?;
            items.get_mut(i).ok_or_else(|| bad_index(pointer, token))
        }
        other => {
            if !other.is_object() {
                *other = Value::Object(Map::new());
            }
            Ok(other
                .as_object_mut()
                .expect("made a map")
                .entry(token.to_owned())
                .or_insert(Value::Object(Map::new())))
        }
    }
}

fn bad_index(pointer: &str, token: &str) -> PluginError {
    PluginError::Internal(format!(
        "`{pointer}`: `{token}` is not an index of that list"
    ))
}

/// Add labels to an object's `metadata.labels` and, for a workload, to its pod template's;
/// a label the object already has keeps its value. Returns how many were added.
pub fn add_labels(object: &mut Value, labels: &Map<String, Value>) -> usize {
    add_to(object, "labels", labels)
}

/// Like [`add_labels`], for `metadata.annotations`.
pub fn add_annotations(object: &mut Value, annotations: &Map<String, Value>) -> usize {
    add_to(object, "annotations", annotations)
}

fn add_to(object: &mut Value, field: &str, entries: &Map<String, Value>) -> usize {
    let template = object["kind"]
        .as_str()
        .and_then(|k| WORKLOADS.iter().find(|(kind, _, _)| *kind == k))
        .map(|(_, _, meta)| *meta)
        .filter(|m| *m != "/metadata");
    let mut added = 0;
    for meta in std::iter::once("/metadata").chain(template) {
        if object.pointer(meta).is_none() && meta != "/metadata" {
            continue; // a workload without a pod template: nothing to label there
        }
        for (k, v) in entries {
            let pointer = format!("{meta}/{field}/{}", k.replace('~', "~0").replace('/', "~1"));
            if object.pointer(&pointer).is_none() && patch(object, &pointer, v.clone()).is_ok() {
                added += 1;
            }
        }
    }
    added
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn pod_specs_of_every_workload_kind() {
        let mut cron = json!({"kind": "CronJob", "spec": {"jobTemplate": {"spec": {"template": {"spec": {
            "initContainers": [{"name": "i"}], "containers": [{"name": "a"}, {"name": "b"}]}}}}}});
        let (pointer, spec) = pod_spec_mut(&mut cron).unwrap();
        assert_eq!(pointer, "/spec/jobTemplate/spec/template/spec");
        let names: Vec<(String, String)> = containers_mut(spec)
            .into_iter()
            .map(|(p, c)| (p, c["name"].as_str().unwrap().to_owned()))
            .collect();
        assert_eq!(
            names,
            [
                ("/containers/0", "a"),
                ("/containers/1", "b"),
                ("/initContainers/0", "i")
            ]
            .map(|(p, n)| (p.to_owned(), n.to_owned()))
        );
        assert!(pod_spec_mut(&mut json!({"kind": "Service", "spec": {}})).is_none());
        assert_eq!(pod_spec_pointer(&json!({"kind": "Pod"})), Some("/spec"));
    }

    #[test]
    fn patches_create_maps_and_respect_lists() {
        let mut o = json!({"spec": {"list": [1, 2]}});
        patch(
            &mut o,
            "/metadata/labels/app.kubernetes.io~1name",
            json!("x"),
        )
        .unwrap();
        patch(&mut o, "/spec/list/1", json!(5)).unwrap();
        patch(&mut o, "/spec/list/-", json!(6)).unwrap();
        assert_eq!(
            o,
            json!({"metadata": {"labels": {"app.kubernetes.io/name": "x"}}, "spec": {"list": [1, 5, 6]}})
        );
        assert!(patch(&mut o, "/spec/list/9", json!(0)).is_err());
        assert!(patch(&mut o, "nope", json!(0)).is_err());
    }

    #[test]
    fn labels_go_on_objects_and_pod_templates_without_overwriting() {
        let labels: Map<String, Value> = [
            ("team".to_owned(), json!("data")),
            ("app".to_owned(), json!("x")),
        ]
        .into_iter()
        .collect();
        let mut d = json!({"kind": "Deployment", "metadata": {"name": "d", "labels": {"app": "mine"}},
            "spec": {"template": {"metadata": {}, "spec": {}}}});
        assert_eq!(add_labels(&mut d, &labels), 3);
        assert_eq!(
            d["metadata"]["labels"],
            json!({"app": "mine", "team": "data"})
        );
        assert_eq!(
            d["spec"]["template"]["metadata"]["labels"],
            json!({"app": "x", "team": "data"})
        );
        let mut svc = json!({"kind": "Service", "metadata": {"name": "s"}});
        assert_eq!(add_labels(&mut svc, &labels), 2);
        let mut pod = json!({"kind": "Pod", "metadata": {"name": "p"}});
        assert_eq!(add_annotations(&mut pod, &labels), 2);
        assert_eq!(pod["metadata"]["annotations"]["team"], "data");
    }
}
