//! `celery-workers`: executor, worker replicas, resources, grace period, log-groomer resources
//! and Celery concurrency, on the key paths the release's chart version reads (from the chart
//! facts: `workers.celery.replicas` on every line, `workers.celery.resources` from 1.20, …),
//! never a key the chart marks deprecated.

use airflow_chart::{Facts, fact_flag, set};
use helmwasm_plugin_sdk::{
    Metadata, Plugin, PluginError, Request, Response, Value, export_plugin, json,
};
use schemars::JsonSchema;
use serde::Deserialize;

#[derive(Debug, Clone, Deserialize, JsonSchema, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Config {
    #[serde(default = "default_executor")]
    #[schemars(extend("enum" = ["CeleryExecutor", "CeleryKubernetesExecutor"]))]
    pub executor: String,
    #[serde(default)]
    pub replicas: Option<u64>,
    #[serde(default)]
    #[schemars(schema_with = "airflow_chart::resources_json_schema")]
    pub resources: Option<Value>,
    #[serde(default)]
    pub termination_grace_period_seconds: Option<u64>,
    #[serde(default)]
    #[schemars(schema_with = "airflow_chart::resources_json_schema")]
    pub log_groomer_resources: Option<Value>,
    #[serde(default)]
    #[schemars(range(min = 1))]
    pub concurrency: Option<u64>,
}

fn default_executor() -> String {
    "CeleryExecutor".into()
}

/// Apply the config to the values; returns warnings as (values path, message).
pub fn apply(f: &Facts, c: &Config, v: &mut Value) -> Result<Vec<(String, String)>, PluginError> {
    let mut warnings = Vec::new();
    set(f, v, "executor", json!(c.executor))?;
    if let Some(n) = c.replicas {
        set(f, v, "workers.replicas", json!(n))?;
        if fact_flag(f, v, "workers.keda.enabled", false) {
            warnings.push((
                f.path("workers.replicas").into(),
                format!(
                    "has no effect while KEDA scales the workers (`{}`)",
                    f.path("workers.keda.enabled")
                ),
            ));
        }
    }
    if let Some(r) = &c.resources {
        set(f, v, "workers.resources", r.clone())?;
    }
    if let Some(t) = c.termination_grace_period_seconds {
        set(f, v, "workers.terminationGracePeriodSeconds", json!(t))?;
    }
    if let Some(r) = &c.log_groomer_resources {
        set(f, v, "workers.logGroomerSidecar.resources", r.clone())?;
    }
    if let Some(n) = c.concurrency {
        set(f, v, "config.celery.worker_concurrency", json!(n))?;
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
        .config_schema_of::<Config>()
    }

    fn run(req: Request) -> Result<Response, PluginError> {
        airflow_chart::run_values_step(req, "celery-workers", apply)
    }
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

    fn facts(version: &str) -> Facts {
        airflow_chart::select(version).unwrap()
    }

    #[test]
    fn uses_the_chart_1_19_key_paths() {
        let mut v = json!({});
        assert!(
            apply(&facts("1.19.0"), &config(), &mut v)
                .unwrap()
                .is_empty()
        );
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
    fn uses_the_chart_1_21_key_paths_and_no_deprecated_one() {
        let mut v = json!({});
        assert!(
            apply(&facts("1.21.0"), &config(), &mut v)
                .unwrap()
                .is_empty()
        );
        let celery = &v["workers"]["celery"];
        assert_eq!(celery["replicas"], 2);
        assert_eq!(celery["resources"]["limits"]["memory"], "4Gi");
        assert_eq!(celery["terminationGracePeriodSeconds"], 600);
        assert_eq!(
            celery["logGroomerSidecar"]["resources"]["requests"]["cpu"],
            "50m"
        );
        assert_eq!(v["workers"].as_object().unwrap().len(), 1, "{v}");
        // 1.20 moved resources and the grace period, not yet the log groomer.
        let mut v = json!({});
        apply(&facts("1.20.0"), &config(), &mut v).unwrap();
        assert_eq!(
            v["workers"]["celery"]["resources"]["limits"]["memory"],
            "4Gi"
        );
        assert_eq!(
            v["workers"]["logGroomerSidecar"]["resources"]["requests"]["cpu"],
            "50m"
        );
    }

    #[test]
    fn a_user_value_under_a_deprecated_key_is_left_to_the_host_to_name() {
        // The step writes the new key (which the chart reads first); the user's deprecated
        // one stays, and the host's deprecation check names both.
        let mut v = json!({"workers": {"replicas": 3, "resources": {"limits": {"cpu": "9"}}}});
        let w = apply(&facts("1.21.0"), &config(), &mut v).unwrap();
        assert!(w.is_empty(), "{w:?}");
        assert_eq!(v["workers"]["celery"]["replicas"], 2);
        assert_eq!(v["workers"]["replicas"], 3);
        assert_eq!(v["workers"]["resources"]["limits"]["cpu"], "9");
        // Without a replicas setting the user's value is left as it is: the chart still reads it.
        let mut v = json!({"workers": {"replicas": 3}});
        let w = apply(
            &facts("1.19.0"),
            &Config {
                replicas: None,
                ..config()
            },
            &mut v,
        )
        .unwrap();
        assert!(w.is_empty());
        assert_eq!(v["workers"]["replicas"], 3);
    }

    #[test]
    fn replicas_under_keda_get_a_warning() {
        let mut v = json!({"workers": {"keda": {"enabled": true}}});
        let w = apply(&facts("1.19.0"), &config(), &mut v).unwrap();
        assert_eq!(
            w,
            vec![(
                "workers.celery.replicas".to_owned(),
                "has no effect while KEDA scales the workers (`workers.keda.enabled`)".to_owned()
            )]
        );
        let mut v = json!({"workers": {"celery": {"keda": {"enabled": true}}}});
        let w = apply(&facts("1.21.0"), &config(), &mut v).unwrap();
        assert_eq!(
            w[0].1,
            "has no effect while KEDA scales the workers (`workers.celery.keda.enabled`)"
        );
    }
}
