//! `resources-policy`: an organisation's policy that every named Airflow component ends up with
//! explicit requests and limits — filled from config defaults or failed, per config — and
//! that no component key is misspelt. The chart schema cannot catch either: `resources` is
//! open (a misspelt `limit:` passes) and the values root is open (a misspelt
//! `migrateDatabasejob:` passes).
//!
//! Run it last, after the steps that set resources.

use airflow_chart::{Facts, did_you_mean};
use helmwasm_plugin_sdk::{
    Metadata, Plugin, PluginError, Request, Response, Value, export_plugin, json, values,
};
use schemars::JsonSchema;
use serde::Deserialize;
use std::collections::BTreeMap;

#[derive(Debug, Clone, Deserialize, JsonSchema, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Config {
    #[schemars(length(min = 1))]
    pub components: Vec<String>,
    #[serde(default)]
    pub on_missing: OnMissing,
    #[serde(default)]
    pub defaults: Quantities,
    #[serde(default = "default_require")]
    pub require: Vec<String>,
}

#[derive(Debug, Clone, Copy, Default, Deserialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum OnMissing {
    #[default]
    Fail,
    Fill,
}

/// `requests` and `limits` by resource name (`cpu`, `memory`, …).
#[derive(Debug, Clone, Default, Deserialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Quantities {
    #[serde(default)]
    #[schemars(schema_with = "quantities_schema")]
    pub requests: BTreeMap<String, Value>,
    #[serde(default)]
    #[schemars(schema_with = "quantities_schema")]
    pub limits: BTreeMap<String, Value>,
}

fn default_require() -> Vec<String> {
    vec!["cpu".into(), "memory".into()]
}

/// A policy violation at a values path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    pub path: String,
    pub message: String,
}

/// Check the components in the config itself: unknown or misspelt names. Components are
/// logical names (`workers`, `workers.logGroomerSidecar`), mapped to the chart version's keys
/// by the chart facts (`workers.celery.resources` from chart 1.20).
pub fn check_config(f: &Facts, c: &Config) -> Result<(), PluginError> {
    let names: Vec<&str> = f.components().iter().map(|(name, _)| *name).collect();
    for name in &c.components {
        if !names.contains(&name.as_str()) {
            let hint = did_you_mean(name, &names)
                .map(|s| format!("; did you mean `{s}`?"))
                .unwrap_or_default();
            return Err(PluginError::InvalidConfig(format!(
                "`components`: `{name}` is not an Airflow chart component with resources{hint}"
            )));
        }
    }
    Ok(())
}

/// Apply the policy: fill what may be filled, return every violation.
pub fn apply(f: &Facts, c: &Config, v: &mut Value) -> Result<Vec<Violation>, PluginError> {
    let mut violations = Vec::new();
    let top = f.top_level_keys();
    if let Some(root) = v.as_object() {
        for key in root.keys() {
            if !top.contains(&key.as_str()) {
                let hint = did_you_mean(key, top)
                    .map(|s| format!("; did you mean `{s}`?"))
                    .unwrap_or_default();
                violations.push(Violation {
                    path: key.clone(),
                    message: format!("unknown top-level key: the chart ignores it{hint}"),
                });
            }
        }
    }
    for comp in &c.components {
        let key = format!("{comp}.resources");
        // Where the chart reads the block, the winning path first (a deprecated one after).
        let paths = f.paths(&key);
        for path in paths {
            let Some(res) = values::get(v, path).and_then(Value::as_object) else {
                continue;
            };
            for k in res.keys() {
                if !["requests", "limits", "claims"].contains(&k.as_str()) {
                    let hint = did_you_mean(k, &["requests", "limits", "claims"])
                        .map(|s| format!("; did you mean `{s}`?"))
                        .unwrap_or_default();
                    violations.push(Violation {
                        path: format!("{path}.{k}"),
                        message: format!("unknown key: Kubernetes ignores it{hint}"),
                    });
                }
            }
        }
        for (kind, defaults) in [
            ("requests", &c.defaults.requests),
            ("limits", &c.defaults.limits),
        ] {
            for resource in &c.require {
                let set = |p: &&str| {
                    values::get(v, &format!("{p}.{kind}.{resource}")).is_some_and(|q| !q.is_null())
                };
                if paths.iter().any(set) {
                    continue;
                }
                let at = format!("{}.{kind}.{resource}", paths[0]);
                match (c.on_missing, defaults.get(resource)) {
                    (OnMissing::Fill, Some(q)) => values::set(v, &at, q.clone())?,
                    (OnMissing::Fill, None) => violations.push(Violation { path: at, message: format!("missing, and the policy has no default `{kind}.{resource}` to fill it with") }),
                    (OnMissing::Fail, _) => violations.push(Violation { path: at, message: "missing: the policy requires explicit requests and limits".into() }),
                }
            }
        }
    }
    Ok(violations)
}

struct ResourcesPolicy;

impl Plugin for ResourcesPolicy {
    fn metadata() -> Metadata {
        Metadata::new("resources-policy", env!("CARGO_PKG_VERSION"), "Org policy: explicit requests and limits on every named Airflow component, no misspelt keys")
            .config_schema_of::<Config>()
    }

    fn run(req: Request) -> Result<Response, PluginError> {
        let facts = airflow_chart::facts(&req.release, "resources-policy")?;
        let config: Config = req.config()?;
        check_config(&facts, &config)?;
        let mut out = Response::new(req.values);
        for violation in apply(&facts, &config, &mut out.values)? {
            out.error(violation.message, Some(&violation.path));
        }
        Ok(out)
    }
}

export_plugin!(ResourcesPolicy);

/// Quantities by resource name: a string (`500m`, `1Gi`) or a whole number.
fn quantities_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
    schemars::Schema::try_from(
        json!({"type": "object", "additionalProperties": {"type": ["string", "integer"]}}),
    )
    .expect("a JSON object is a schema")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts(version: &str) -> Facts {
        airflow_chart::select(version).unwrap()
    }

    #[test]
    fn components_are_logical_names_mapped_to_the_version() {
        let c = Config {
            components: vec!["workers".into(), "workers.logGroomerSidecar".into()],
            ..config(OnMissing::Fill)
        };
        let mut v = json!({});
        apply(&facts("1.21.0"), &c, &mut v).unwrap();
        assert_eq!(v["workers"].as_object().unwrap().len(), 1, "{v}");
        assert_eq!(
            v["workers"]["celery"]["resources"]["requests"]["cpu"],
            "100m"
        );
        assert_eq!(
            v["workers"]["celery"]["logGroomerSidecar"]["resources"]["limits"]["memory"],
            "512Mi"
        );
        // A user's complete block under the deprecated key still counts: the chart reads it.
        let mut v = json!({"workers": {"resources": {"requests": {"cpu": "1", "memory": "1Gi"}, "limits": {"cpu": "1", "memory": "1Gi"}}}});
        let got = apply(
            &facts("1.20.0"),
            &Config {
                components: vec!["workers".into()],
                ..config(OnMissing::Fail)
            },
            &mut v,
        )
        .unwrap();
        assert!(got.is_empty(), "{got:?}");
        let got = apply(
            &facts("1.20.0"),
            &Config {
                components: vec!["workers".into()],
                ..config(OnMissing::Fail)
            },
            &mut json!({}),
        )
        .unwrap();
        assert_eq!(got[0].path, "workers.celery.resources.requests.cpu");
    }

    fn config(on_missing: OnMissing) -> Config {
        Config {
            components: vec!["scheduler".into(), "workers".into()],
            on_missing,
            defaults: Quantities {
                requests: [
                    ("cpu".to_owned(), json!("100m")),
                    ("memory".to_owned(), json!("256Mi")),
                ]
                .into(),
                limits: [("memory".to_owned(), json!("512Mi"))].into(),
            },
            require: default_require(),
        }
    }

    #[test]
    fn fail_mode_lists_every_missing_quantity() {
        let mut v = json!({"workers": {"resources": {"requests": {"cpu": "1", "memory": "1Gi"}, "limits": {"cpu": "1", "memory": "1Gi"}}}});
        let got: Vec<String> = apply(&facts("1.19.0"), &config(OnMissing::Fail), &mut v)
            .unwrap()
            .into_iter()
            .map(|x| x.path)
            .collect();
        assert_eq!(
            got,
            [
                "scheduler.resources.requests.cpu",
                "scheduler.resources.requests.memory",
                "scheduler.resources.limits.cpu",
                "scheduler.resources.limits.memory"
            ]
        );
    }

    #[test]
    fn fill_mode_fills_from_defaults_and_reports_what_it_cannot() {
        let mut v = json!({});
        let got = apply(&facts("1.19.0"), &config(OnMissing::Fill), &mut v).unwrap();
        assert_eq!(
            v["scheduler"]["resources"],
            json!({"requests": {"cpu": "100m", "memory": "256Mi"}, "limits": {"memory": "512Mi"}})
        );
        let paths: Vec<&str> = got.iter().map(|x| x.path.as_str()).collect();
        assert_eq!(
            paths,
            [
                "scheduler.resources.limits.cpu",
                "workers.resources.limits.cpu"
            ]
        );
    }

    #[test]
    fn misspelt_keys_get_a_did_you_mean() {
        let c = Config {
            components: vec!["migrateDatabasejob".into()],
            ..config(OnMissing::Fail)
        };
        let PluginError::InvalidConfig(m) = check_config(&facts("1.19.0"), &c).unwrap_err() else {
            panic!()
        };
        assert!(m.ends_with("did you mean `migrateDatabaseJob`?"), "{m}");
        let mut v = json!({"migrateDatabasejob": {"resources": {}}, "scheduler": {"resources": {"limit": {"cpu": "1"}}}});
        let got = apply(&facts("1.19.0"), &config(OnMissing::Fill), &mut v).unwrap();
        assert_eq!(got[0], Violation { path: "migrateDatabasejob".into(), message: "unknown top-level key: the chart ignores it; did you mean `migrateDatabaseJob`?".into() });
        assert_eq!(
            got[1],
            Violation {
                path: "scheduler.resources.limit".into(),
                message: "unknown key: Kubernetes ignores it; did you mean `limits`?".into()
            }
        );
    }
}
