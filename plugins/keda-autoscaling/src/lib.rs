//! `keda-autoscaling`: KEDA scales the Celery workers (`workers.keda.*` on chart 1.19,
//! `workers.celery.keda.*` from 1.20, from the chart facts), with worker persistence off (a
//! Deployment instead of a StatefulSet). Requires a Celery executor and warns about settings
//! that have no effect under KEDA.

use airflow_chart::{Facts, executor, fact_flag, get, is_celery, set};
use helmwasm_plugin_sdk::{
    Metadata, Plugin, PluginError, Request, Response, Value, export_plugin, json,
};
use schemars::JsonSchema;
use serde::Deserialize;

#[derive(Debug, Clone, Default, Deserialize, JsonSchema, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Config {
    #[serde(default)]
    pub min_replica_count: Option<u64>,
    #[serde(default)]
    #[schemars(range(min = 1))]
    pub max_replica_count: Option<u64>,
    #[serde(default)]
    #[schemars(range(min = 1))]
    pub polling_interval: Option<u64>,
    #[serde(default)]
    pub cooldown_period: Option<u64>,
    #[serde(default)]
    pub use_pgbouncer: Option<bool>,
}

/// Apply the config; returns warnings as (values path, message).
pub fn apply(f: &Facts, c: &Config, v: &mut Value) -> Result<Vec<(String, String)>, PluginError> {
    let exec = executor(f, v).to_owned();
    if !is_celery(&exec) {
        return Err(PluginError::InvalidValues(format!(
            "KEDA scales Celery workers, but `executor` is `{exec}`; use CeleryExecutor or CeleryKubernetesExecutor (e.g. with the `celery-workers` step first)"
        )));
    }
    if fact_flag(f, v, "workers.hpa.enabled", false) {
        return Err(PluginError::InvalidValues(format!(
            "`{}` is on: KEDA and HPA must not both scale the workers",
            f.path("workers.hpa.enabled")
        )));
    }
    let count = |key: &str| get(f, v, key).and_then(Value::as_u64);
    let min = c
        .min_replica_count
        .or_else(|| count("workers.keda.minReplicaCount"))
        .unwrap_or(0);
    let max = c
        .max_replica_count
        .or_else(|| count("workers.keda.maxReplicaCount"))
        .unwrap_or(10);
    if min > max {
        return Err(PluginError::InvalidConfig(format!(
            "`minReplicaCount` {min} is greater than `maxReplicaCount` {max}"
        )));
    }
    let mut warnings = Vec::new();
    set(f, v, "workers.keda.enabled", json!(true))?;
    for (key, value) in [
        ("minReplicaCount", c.min_replica_count),
        ("maxReplicaCount", c.max_replica_count),
        ("pollingInterval", c.polling_interval),
        ("cooldownPeriod", c.cooldown_period),
    ] {
        if let Some(n) = value {
            set(f, v, &format!("workers.keda.{key}"), json!(n))?;
        }
    }
    if let Some(b) = c.use_pgbouncer {
        set(f, v, "workers.keda.usePgbouncer", json!(b))?;
    }
    // `cooldownPeriod` without effect (a minimum above 0) is a host rule on the final values.
    for path in f.paths("workers.replicas") {
        if helmwasm_plugin_sdk::values::get(v, path).is_some_and(|r| !r.is_null()) {
            warnings.push((
                (*path).into(),
                "has no effect under KEDA: the worker Deployment gets no `replicas`".into(),
            ));
        }
    }
    // Persistence off: workers become a Deployment.
    set(f, v, "workers.persistence.enabled", json!(false))?;
    Ok(warnings)
}

struct KedaAutoscaling;

impl Plugin for KedaAutoscaling {
    fn metadata() -> Metadata {
        Metadata::new(
            "keda-autoscaling",
            env!("CARGO_PKG_VERSION"),
            "KEDA autoscaling of Airflow Celery workers, worker persistence off",
        )
        .config_schema_of::<Config>()
    }

    fn run(req: Request) -> Result<Response, PluginError> {
        airflow_chart::run_values_step(req, "keda-autoscaling", apply)
    }
}

export_plugin!(KedaAutoscaling);

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> Config {
        Config {
            min_replica_count: Some(2),
            max_replica_count: Some(10),
            polling_interval: Some(3),
            cooldown_period: None,
            use_pgbouncer: None,
        }
    }

    fn facts(version: &str) -> Facts {
        airflow_chart::select(version).unwrap()
    }

    #[test]
    fn sets_keda_and_turns_worker_persistence_off() {
        let mut v = json!({"executor": "CeleryExecutor"});
        assert!(
            apply(&facts("1.19.0"), &config(), &mut v)
                .unwrap()
                .is_empty()
        );
        assert_eq!(
            v["workers"]["keda"],
            json!({"enabled": true, "minReplicaCount": 2, "maxReplicaCount": 10, "pollingInterval": 3})
        );
        assert_eq!(v["workers"]["celery"]["persistence"]["enabled"], false);
        // From 1.20 under `workers.celery.keda`, and nothing under the deprecated `workers.keda`.
        for version in ["1.20.0", "1.21.0", "1.22.0"] {
            let mut v = json!({"executor": "CeleryExecutor"});
            assert!(
                apply(&facts(version), &config(), &mut v)
                    .unwrap()
                    .is_empty()
            );
            assert_eq!(
                v["workers"],
                json!({"celery": {
                    "keda": {"enabled": true, "minReplicaCount": 2, "maxReplicaCount": 10, "pollingInterval": 3},
                    "persistence": {"enabled": false}
                }}),
                "{version}"
            );
        }
    }

    #[test]
    fn requires_celery() {
        let mut v = json!({"executor": "KubernetesExecutor"});
        assert!(
            matches!(apply(&facts("1.21.0"), &config(), &mut v), Err(PluginError::InvalidValues(m)) if m.contains("`executor` is `KubernetesExecutor`"))
        );
    }

    #[test]
    fn warns_about_settings_without_effect() {
        let mut v = json!({"workers": {"replicas": 2, "persistence": {"enabled": true}}});
        let w = apply(
            &facts("1.19.0"),
            &Config {
                cooldown_period: Some(30),
                ..config()
            },
            &mut v,
        )
        .unwrap();
        let paths: Vec<&str> = w.iter().map(|(p, _)| p.as_str()).collect();
        assert_eq!(paths, ["workers.replicas"]);
        assert!(w[0].1.contains("has no effect under KEDA"));
        // The step's key wins over the user's deprecated one, which is left for the host to name.
        assert_eq!(v["workers"]["celery"]["persistence"]["enabled"], false);
        assert_eq!(v["workers"]["persistence"]["enabled"], true);
    }

    #[test]
    fn rejects_min_above_max_and_hpa() {
        let mut v = json!({});
        assert!(
            apply(
                &facts("1.19.0"),
                &Config {
                    min_replica_count: Some(5),
                    max_replica_count: Some(2),
                    ..config()
                },
                &mut v
            )
            .is_err()
        );
        let mut v = json!({"workers": {"hpa": {"enabled": true}}});
        assert!(apply(&facts("1.19.0"), &config(), &mut v).is_err());
        // 1.21 reads `workers.celery.hpa` first, the deprecated `workers.hpa` when it is unset.
        let mut v = json!({"workers": {"hpa": {"enabled": true}}});
        assert!(apply(&facts("1.21.0"), &config(), &mut v).is_err());
        let mut v = json!({"workers": {"celery": {"hpa": {"enabled": true}}}});
        let e = apply(&facts("1.21.0"), &config(), &mut v).unwrap_err();
        assert!(
            matches!(&e, PluginError::InvalidValues(m) if m.starts_with("`workers.celery.hpa.enabled` is on")),
            "{e:?}"
        );
    }
}
