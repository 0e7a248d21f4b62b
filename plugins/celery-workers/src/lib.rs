//! `celery-workers`: executor, worker replicas, resources, grace period, log-groomer resources
//! and Celery concurrency, on the key paths chart 1.19 reads (`workers.celery.replicas`, not
//! the deprecated `workers.replicas`).

use airflow_chart::flag;
use helmwasm_plugin_sdk::{
    Metadata, Plugin, PluginError, Request, Response, Value, export_plugin, json, values,
};
use serde::Deserialize;

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Config {
    #[serde(default = "default_executor")]
    pub executor: String,
    #[serde(default)]
    pub replicas: Option<u64>,
    #[serde(default)]
    pub resources: Option<Value>,
    #[serde(default)]
    pub termination_grace_period_seconds: Option<u64>,
    #[serde(default)]
    pub log_groomer_resources: Option<Value>,
    #[serde(default)]
    pub concurrency: Option<u64>,
}

fn default_executor() -> String {
    "CeleryExecutor".into()
}

/// Apply the config to the values; returns warnings as (values path, message).
pub fn apply(c: &Config, v: &mut Value) -> Result<Vec<(String, String)>, PluginError> {
    let mut warnings = Vec::new();
    values::set(v, "executor", json!(c.executor))?;
    // Chart 1.19 deprecates `workers.replicas` for `workers.celery.replicas`.
    if let Some(old) = values::remove(v, "workers.replicas") {
        let moved = c.replicas.is_none() && !old.is_null();
        if moved {
            values::set(v, "workers.celery.replicas", old)?;
        }
        warnings.push((
            "workers.replicas".into(),
            format!(
                "`workers.replicas` is deprecated in chart 1.19; {}",
                if moved {
                    "moved to `workers.celery.replicas`"
                } else {
                    "removed (the step sets `workers.celery.replicas`)"
                }
            ),
        ));
    }
    if let Some(n) = c.replicas {
        values::set(v, "workers.celery.replicas", json!(n))?;
        if flag(v, "workers.keda.enabled", false) {
            warnings.push((
                "workers.celery.replicas".into(),
                "has no effect while KEDA scales the workers (`workers.keda.enabled`)".into(),
            ));
        }
    }
    if let Some(r) = &c.resources {
        values::set(v, "workers.resources", r.clone())?;
    }
    if let Some(t) = c.termination_grace_period_seconds {
        values::set(v, "workers.terminationGracePeriodSeconds", json!(t))?;
    }
    if let Some(r) = &c.log_groomer_resources {
        values::set(v, "workers.logGroomerSidecar.resources", r.clone())?;
    }
    if let Some(n) = c.concurrency {
        values::set(v, "config.celery.worker_concurrency", json!(n))?;
    }
    Ok(warnings)
}

struct CeleryWorkers;

impl Plugin for CeleryWorkers {
    fn metadata() -> Metadata {
        Metadata::new(
            "celery-workers",
            env!("CARGO_PKG_VERSION"),
            "Airflow Celery workers: executor, replicas, resources, grace period, concurrency",
        )
        .config_schema(config_schema())
    }

    fn run(req: Request) -> Result<Response, PluginError> {
        airflow_chart::run_values_step(req, "celery-workers", apply)
    }
}

pub fn config_schema() -> Value {
    let resources = airflow_chart::resources_schema();
    json!({
        "$schema": "http://json-schema.org/draft-07/schema#",
        "type": "object",
        "additionalProperties": false,
        "properties": {
            "executor": {"enum": ["CeleryExecutor", "CeleryKubernetesExecutor"], "default": "CeleryExecutor"},
            "replicas": {"type": "integer", "minimum": 0},
            "resources": resources,
            "terminationGracePeriodSeconds": {"type": "integer", "minimum": 0},
            "logGroomerResources": resources,
            "concurrency": {"type": "integer", "minimum": 1}
        }
    })
}

export_plugin!(CeleryWorkers);

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> Config {
        Config {
            executor: "CeleryExecutor".into(),
            replicas: Some(2),
            resources: Some(
                json!({"requests": {"cpu": "1", "memory": "2Gi"}, "limits": {"cpu": "2", "memory": "4Gi"}}),
            ),
            termination_grace_period_seconds: Some(600),
            log_groomer_resources: Some(json!({"requests": {"cpu": "50m", "memory": "64Mi"}})),
            concurrency: Some(2),
        }
    }

    #[test]
    fn uses_the_chart_1_19_key_paths() {
        let mut v = json!({});
        assert!(apply(&config(), &mut v).unwrap().is_empty());
        assert_eq!(v["executor"], "CeleryExecutor");
        assert_eq!(v["workers"]["celery"]["replicas"], 2);
        assert!(v["workers"].get("replicas").is_none());
        assert_eq!(v["workers"]["resources"]["limits"]["memory"], "4Gi");
        assert_eq!(v["workers"]["terminationGracePeriodSeconds"], 600);
        assert_eq!(
            v["workers"]["logGroomerSidecar"]["resources"]["requests"]["cpu"],
            "50m"
        );
        assert_eq!(v["config"]["celery"]["worker_concurrency"], 2);
    }

    #[test]
    fn deprecated_replicas_are_moved_or_dropped_with_a_warning() {
        let mut v = json!({"workers": {"replicas": 3}});
        let w = apply(
            &Config {
                replicas: None,
                ..config()
            },
            &mut v,
        )
        .unwrap();
        assert_eq!(v["workers"]["celery"]["replicas"], 3);
        assert_eq!(
            w[0].1,
            "`workers.replicas` is deprecated in chart 1.19; moved to `workers.celery.replicas`"
        );
        let mut v = json!({"workers": {"replicas": 3}});
        apply(&config(), &mut v).unwrap();
        assert_eq!(v["workers"]["celery"]["replicas"], 2);
    }

    #[test]
    fn replicas_under_keda_get_a_warning() {
        let mut v = json!({"workers": {"keda": {"enabled": true}}});
        let w = apply(&config(), &mut v).unwrap();
        assert_eq!(
            w,
            vec![(
                "workers.celery.replicas".to_owned(),
                "has no effect while KEDA scales the workers (`workers.keda.enabled`)".to_owned()
            )]
        );
    }
}
