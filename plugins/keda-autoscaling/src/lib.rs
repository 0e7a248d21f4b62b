//! `keda-autoscaling`: KEDA scales the Celery workers (`workers.keda.*`), with worker
//! persistence off (a Deployment instead of a StatefulSet). Requires a Celery executor and
//! warns about settings that have no effect under KEDA.

use airflow_chart::{executor, flag, is_celery};
use helmwasm_plugin_sdk::{
    Metadata, Plugin, PluginError, Request, Response, Value, export_plugin, json, values,
};
use serde::Deserialize;

#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Config {
    #[serde(default)]
    pub min_replica_count: Option<u64>,
    #[serde(default)]
    pub max_replica_count: Option<u64>,
    #[serde(default)]
    pub polling_interval: Option<u64>,
    #[serde(default)]
    pub cooldown_period: Option<u64>,
    #[serde(default)]
    pub use_pgbouncer: Option<bool>,
}

/// Apply the config; returns warnings as (values path, message).
pub fn apply(c: &Config, v: &mut Value) -> Result<Vec<(String, String)>, PluginError> {
    let exec = executor(v).to_owned();
    if !is_celery(&exec) {
        return Err(PluginError::InvalidValues(format!(
            "KEDA scales Celery workers, but `executor` is `{exec}`; use CeleryExecutor or CeleryKubernetesExecutor (e.g. with the `celery-workers` step first)"
        )));
    }
    if flag(v, "workers.hpa.enabled", false) {
        return Err(PluginError::InvalidValues(
            "`workers.hpa.enabled` is on: KEDA and HPA must not both scale the workers".into(),
        ));
    }
    let min = c
        .min_replica_count
        .or_else(|| values::get(v, "workers.keda.minReplicaCount").and_then(Value::as_u64))
        .unwrap_or(0);
    let max = c
        .max_replica_count
        .or_else(|| values::get(v, "workers.keda.maxReplicaCount").and_then(Value::as_u64))
        .unwrap_or(10);
    if min > max {
        return Err(PluginError::InvalidConfig(format!(
            "`minReplicaCount` {min} is greater than `maxReplicaCount` {max}"
        )));
    }
    let mut warnings = Vec::new();
    values::set(v, "workers.keda.enabled", json!(true))?;
    for (key, value) in [
        ("minReplicaCount", c.min_replica_count),
        ("maxReplicaCount", c.max_replica_count),
        ("pollingInterval", c.polling_interval),
        ("cooldownPeriod", c.cooldown_period),
    ] {
        if let Some(n) = value {
            values::set(v, &format!("workers.keda.{key}"), json!(n))?;
        }
    }
    if let Some(b) = c.use_pgbouncer {
        values::set(v, "workers.keda.usePgbouncer", json!(b))?;
    }
    // `cooldownPeriod` without effect (a minimum above 0) is a host rule on the final values.
    for path in ["workers.replicas", "workers.celery.replicas"] {
        if values::get(v, path).is_some_and(|r| !r.is_null()) {
            warnings.push((
                path.into(),
                "has no effect under KEDA: the worker Deployment gets no `replicas`".into(),
            ));
        }
    }
    // Persistence off: workers become a Deployment. 1.19 reads `workers.celery.persistence`.
    if let Some(old) = values::remove(v, "workers.persistence.enabled") {
        if values::get(v, "workers.persistence")
            .and_then(Value::as_object)
            .is_some_and(|m| m.is_empty())
        {
            values::remove(v, "workers.persistence");
        }
        warnings.push(("workers.persistence.enabled".into(), format!("`workers.persistence.enabled: {old}` is deprecated in chart 1.19; replaced by `workers.celery.persistence.enabled: false`")));
    }
    values::set(v, "workers.celery.persistence.enabled", json!(false))?;
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
        .config_schema(config_schema())
    }

    fn run(req: Request) -> Result<Response, PluginError> {
        airflow_chart::run_values_step(req, "keda-autoscaling", apply)
    }
}

pub fn config_schema() -> Value {
    json!({
        "$schema": "http://json-schema.org/draft-07/schema#",
        "type": "object",
        "additionalProperties": false,
        "properties": {
            "minReplicaCount": {"type": "integer", "minimum": 0},
            "maxReplicaCount": {"type": "integer", "minimum": 1},
            "pollingInterval": {"type": "integer", "minimum": 1},
            "cooldownPeriod": {"type": "integer", "minimum": 0},
            "usePgbouncer": {"type": "boolean"}
        }
    })
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

    #[test]
    fn sets_keda_and_turns_worker_persistence_off() {
        let mut v = json!({"executor": "CeleryExecutor"});
        assert!(apply(&config(), &mut v).unwrap().is_empty());
        assert_eq!(
            v["workers"]["keda"],
            json!({"enabled": true, "minReplicaCount": 2, "maxReplicaCount": 10, "pollingInterval": 3})
        );
        assert_eq!(v["workers"]["celery"]["persistence"]["enabled"], false);
    }

    #[test]
    fn requires_celery() {
        let mut v = json!({"executor": "KubernetesExecutor"});
        assert!(
            matches!(apply(&config(), &mut v), Err(PluginError::InvalidValues(m)) if m.contains("`executor` is `KubernetesExecutor`"))
        );
    }

    #[test]
    fn warns_about_settings_without_effect() {
        let mut v = json!({"workers": {"replicas": 2, "persistence": {"enabled": false}}});
        let w = apply(
            &Config {
                cooldown_period: Some(30),
                ..config()
            },
            &mut v,
        )
        .unwrap();
        let paths: Vec<&str> = w.iter().map(|(p, _)| p.as_str()).collect();
        assert_eq!(paths, ["workers.replicas", "workers.persistence.enabled"]);
        assert!(w[0].1.contains("has no effect under KEDA"));
    }

    #[test]
    fn rejects_min_above_max_and_hpa() {
        let mut v = json!({});
        assert!(
            apply(
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
        assert!(apply(&config(), &mut v).is_err());
    }
}
