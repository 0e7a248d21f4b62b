//! `container-resources`: every container and init container of every workload in the render
//! has CPU and memory requests and limits, for any chart: the missing ones are filled in from
//! `defaults` (`onMissing: fill`, the default) or reported as errors (`onMissing: fail`).
//!
//! Values a chart or an earlier step set are kept. When a filled-in limit would fall below
//! the container's own request (or a filled-in request above its own limit), the filled-in
//! value is raised (lowered) to match it, with a warning: Kubernetes refuses a limit below
//! its request.

use helmwasm_plugin_sdk::objects::{containers_mut, kind_name, pod_spec_mut};
use helmwasm_plugin_sdk::{
    Metadata, ObjectRef, Plugin, PluginError, PostRender, PostRenderRequest, PostRenderResponse,
    Value, export_post_render, json,
};
use schemars::JsonSchema;
use serde::Deserialize;
use std::collections::BTreeMap;

#[derive(Debug, Clone, Copy, Default, Deserialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub enum OnMissing {
    #[default]
    Fill,
    Fail,
}

/// `requests` and `limits`, each `cpu` and `memory`.
pub type Resources = BTreeMap<String, BTreeMap<String, String>>;

#[derive(Debug, Clone, Default, Deserialize, JsonSchema, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Config {
    #[serde(default)]
    pub on_missing: OnMissing,
    #[serde(default)]
    #[schemars(schema_with = "defaults_schema")]
    pub defaults: Resources,
    /// Workloads (`Kind/name`) left as they are.
    #[serde(default)]
    #[schemars(inner(regex(pattern = r"^[A-Za-z]+/[a-z0-9.-]+$")))]
    pub exempt: Vec<String>,
}

const FIELDS: [(&str, &str); 4] = [
    ("requests", "cpu"),
    ("requests", "memory"),
    ("limits", "cpu"),
    ("limits", "memory"),
];

/// A Kubernetes quantity as a number of base units (`500m` → 0.5, `1Gi` → 1073741824).
pub fn quantity(s: &str) -> Option<f64> {
    let s = s.trim();
    let split = s
        .find(|c: char| !(c.is_ascii_digit() || c == '.' || c == '+' || c == '-'))
        .unwrap_or(s.len());
    let (number, suffix) = s.split_at(split);
    let n: f64 = number.parse().ok()?;
    let factor = match suffix {
        "" => 1.0,
        "m" => 1e-3,
        "k" => 1e3,
        "M" => 1e6,
        "G" => 1e9,
        "T" => 1e12,
        "P" => 1e15,
        "E" => 1e18,
        "Ki" => 1024f64,
        "Mi" => 1024f64.powi(2),
        "Gi" => 1024f64.powi(3),
        "Ti" => 1024f64.powi(4),
        "Pi" => 1024f64.powi(5),
        "Ei" => 1024f64.powi(6),
        e if e.starts_with(['e', 'E']) => 10f64.powi(e[1..].parse().ok()?),
        _ => return None,
    };
    Some(n * factor)
}

/// What [`apply`] found: errors (fail mode, or bad quantities) and warnings.
#[derive(Debug, Default, PartialEq)]
pub struct Found {
    pub errors: Vec<(ObjectRef, String)>,
    pub warnings: Vec<(ObjectRef, String)>,
}

pub fn check(c: &Config) -> Result<(), PluginError> {
    for (section, key) in FIELDS {
        let v = c.defaults.get(section).and_then(|m| m.get(key));
        match v {
            None if c.on_missing == OnMissing::Fill => {
                return Err(PluginError::InvalidConfig(format!(
                    "`defaults.{section}.{key}` is required with `onMissing: fill`"
                )));
            }
            Some(q) if quantity(q).is_none() => {
                return Err(PluginError::InvalidConfig(format!(
                    "`defaults.{section}.{key}`: `{q}` is not a Kubernetes quantity"
                )));
            }
            _ => {}
        }
    }
    for (section, key) in [("cpu", "cpu"), ("memory", "memory")] {
        let (r, l) = (
            c.defaults.get("requests").and_then(|m| m.get(section)),
            c.defaults.get("limits").and_then(|m| m.get(key)),
        );
        if let (Some(r), Some(l)) = (r.and_then(|q| quantity(q)), l.and_then(|q| quantity(q)))
            && l < r
        {
            return Err(PluginError::InvalidConfig(format!(
                "`defaults.limits.{key}` is below `defaults.requests.{key}`"
            )));
        }
    }
    Ok(())
}

pub fn apply(c: &Config, objects: &mut [Value]) -> Found {
    let mut found = Found::default();
    for o in objects.iter_mut() {
        if c.exempt.contains(&kind_name(o)) {
            continue;
        }
        let r = ObjectRef::of(o);
        let Some((base, spec)) = pod_spec_mut(o) else {
            continue;
        };
        for (pointer, container) in containers_mut(spec) {
            let name = container["name"].as_str().unwrap_or_default().to_owned();
            let at = |field: &str| r.clone().at(format!("{base}{pointer}/resources/{field}"));
            if !container["resources"].is_object() {
                container["resources"] = json!({});
            }
            for (section, key) in FIELDS {
                let have = &container["resources"][section][key];
                if !have.is_null() {
                    if have.as_str().and_then(quantity).is_none() && !have.is_number() {
                        found.errors.push((
                            at(&format!("{section}/{key}")),
                            format!(
                                "container `{name}`: `{section}.{key}` {have} is not a quantity"
                            ),
                        ));
                    }
                    continue;
                }
                if c.on_missing == OnMissing::Fail {
                    found.errors.push((
                        at(&format!("{section}/{key}")),
                        format!("container `{name}` has no `resources.{section}.{key}`"),
                    ));
                    continue;
                }
                let mut value = c.defaults[section][key].clone();
                // Keep the pair valid against the container's own other half.
                let other = if section == "limits" {
                    "requests"
                } else {
                    "limits"
                };
                let own = container["resources"][other][key]
                    .as_str()
                    .map(str::to_owned)
                    .or_else(|| {
                        container["resources"][other][key]
                            .as_f64()
                            .map(|n| n.to_string())
                    });
                if let Some(own) = own
                    && let (Some(o), Some(v)) = (quantity(&own), quantity(&value))
                    && ((section == "limits" && v < o) || (section == "requests" && v > o))
                {
                    found.warnings.push((
                        at(&format!("{section}/{key}")),
                        format!(
                            "container `{name}`: the default {section}.{key} {value} would not fit its {other}.{key} {own}; set to {own}"
                        ),
                    ));
                    value = own;
                }
                if !container["resources"][section].is_object() {
                    container["resources"][section] = json!({});
                }
                container["resources"][section][key] = json!(value);
            }
        }
    }
    found
}

struct ContainerResources;

impl Plugin for ContainerResources {
    fn metadata() -> Metadata {
        Metadata::new(
            "container-resources",
            env!("CARGO_PKG_VERSION"),
            "Requests and limits on every container of every workload: filled in or required (post-render)",
        )
        .config_schema_of::<Config>()
    }
}

impl PostRender for ContainerResources {
    fn post_render(req: PostRenderRequest) -> Result<PostRenderResponse, PluginError> {
        let c: Config = req.config()?;
        check(&c)?;
        let mut objects = req.objects;
        let found = apply(&c, &mut objects);
        let mut out = PostRenderResponse::new(objects);
        for (r, m) in found.warnings {
            out.warning(r, m);
        }
        for (r, m) in found.errors {
            out.error(r, m);
        }
        Ok(out)
    }
}

export_post_render!(ContainerResources);

/// `defaults`: `requests` and `limits`, each with `cpu` and `memory` only.
fn defaults_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
    let pair = json!({"type": "object", "additionalProperties": false,
        "properties": {"cpu": {"type": "string"}, "memory": {"type": "string"}}});
    schemars::Schema::try_from(json!({"type": "object", "additionalProperties": false,
        "properties": {"requests": pair, "limits": pair}}))
    .expect("a JSON object is a schema")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(v: Value) -> Config {
        serde_json::from_value(v).unwrap()
    }

    fn fill() -> Config {
        config(
            json!({"defaults": {"requests": {"cpu": "100m", "memory": "128Mi"}, "limits": {"cpu": "200m", "memory": "256Mi"}}}),
        )
    }

    #[test]
    fn quantities() {
        assert_eq!(quantity("500m"), Some(0.5));
        assert_eq!(quantity("2"), Some(2.0));
        assert_eq!(quantity("1Gi"), Some(1073741824.0));
        assert_eq!(quantity("1G"), Some(1e9));
        assert_eq!(quantity("1e3"), Some(1000.0));
        assert_eq!(quantity("lots"), None);
        assert_eq!(quantity("1Qi"), None);
    }

    #[test]
    fn fills_every_container_and_init_container_keeping_what_is_set() {
        let mut objects = vec![
            json!({"kind": "StatefulSet", "metadata": {"name": "s"}, "spec": {"template": {"spec": {
                "containers": [{"name": "a", "resources": {"requests": {"cpu": "1", "memory": "1Gi"}}}],
                "initContainers": [{"name": "i"}]
            }}}}),
        ];
        let found = apply(&fill(), &mut objects);
        let spec = &objects[0]["spec"]["template"]["spec"];
        assert_eq!(
            spec["initContainers"][0]["resources"],
            json!({"requests": {"cpu": "100m", "memory": "128Mi"}, "limits": {"cpu": "200m", "memory": "256Mi"}})
        );
        // The chart's requests are above the default limits: the limits follow them.
        assert_eq!(
            spec["containers"][0]["resources"],
            json!({"requests": {"cpu": "1", "memory": "1Gi"}, "limits": {"cpu": "1", "memory": "1Gi"}})
        );
        assert_eq!(found.warnings.len(), 2);
        assert!(found.errors.is_empty());
    }

    #[test]
    fn fail_mode_names_each_missing_field() {
        let mut objects = vec![
            json!({"kind": "CronJob", "metadata": {"name": "c"}, "spec": {"jobTemplate": {"spec": {"template": {"spec": {
                "containers": [{"name": "a", "resources": {"limits": {"cpu": "1", "memory": "1Gi"}}}]
            }}}}}}),
        ];
        let found = apply(&config(json!({"onMissing": "fail"})), &mut objects);
        let pointers: Vec<String> = found
            .errors
            .iter()
            .map(|(r, _)| r.pointer.clone().unwrap())
            .collect();
        assert_eq!(
            pointers,
            [
                "/spec/jobTemplate/spec/template/spec/containers/0/resources/requests/cpu",
                "/spec/jobTemplate/spec/template/spec/containers/0/resources/requests/memory"
            ]
        );
    }

    #[test]
    fn configs_are_checked() {
        assert!(check(&fill()).is_ok());
        assert!(check(&config(json!({}))).is_err(), "fill needs defaults");
        assert!(check(&config(json!({"onMissing": "fail"}))).is_ok());
        assert!(check(&config(json!({"defaults": {"requests": {"cpu": "1", "memory": "1Gi"}, "limits": {"cpu": "500m", "memory": "2Gi"}}}))).is_err());
    }
}
