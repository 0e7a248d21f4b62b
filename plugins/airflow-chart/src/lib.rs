//! What the `airflow-*` plugins know about the official Apache Airflow chart
//! (`apache-airflow/airflow`), version 1.19.x: which releases they support, chart defaults
//! they depend on, and the component names that carry `resources`.
//!
//! Sources: `../shared/AIRFLOW.md` and the chart's own `values.yaml` / `values.schema.json`.

use helmwasm_plugin_sdk::{PluginError, Release, Request, Response, Value, values};
use serde::de::DeserializeOwned;

/// A warning about a values path: (path, message).
pub type Warning = (String, String);

/// The `run` of a plugin that only changes values: check the chart, read the config, apply
/// it to the values, report the warnings.
pub fn run_values_step<C: DeserializeOwned>(
    req: Request,
    plugin: &str,
    apply: impl FnOnce(&C, &mut Value) -> Result<Vec<Warning>, PluginError>,
) -> Result<Response, PluginError> {
    check_chart(&req.release, plugin)?;
    let config: C = req.config()?;
    let mut out = Response::new(req.values);
    for (path, message) in apply(&config, &mut out.values)? {
        out.warning(message, Some(&path));
    }
    Ok(out)
}

pub use airflow_facts::{
    DEFAULT_AIRFLOW_VERSION, DEFAULT_EXECUTOR, PGBOUNCER_PORT, SUPPORTED as SUPPORTED_CHART,
    major_minor,
};

/// Fail with `unsupported-chart` unless the release uses the Airflow chart at 1.19.x.
pub fn check_chart(release: &Release, plugin: &str) -> Result<(), PluginError> {
    let chart_name = release
        .chart
        .trim_end_matches('/')
        .rsplit('/')
        .next()
        .unwrap_or("");
    if chart_name != "airflow" {
        return Err(PluginError::UnsupportedChart(format!(
            "`{plugin}` targets the Apache Airflow chart (`apache-airflow/airflow`), but release `{}` uses `{}`",
            release.name, release.chart
        )));
    }
    match airflow_facts::supports(&release.chart_version) {
        true => Ok(()),
        false => Err(PluginError::UnsupportedChart(format!(
            "`{plugin}` supports chart {SUPPORTED_CHART}, but release `{}` uses chart version `{}`; \
             key paths differ between chart versions (e.g. `workers.celery.*` in 1.19, `webserver` \
             replaced by `apiServer` for Airflow 3), so pin the release to {SUPPORTED_CHART}",
            release.name, release.chart_version
        ))),
    }
}

/// The executor setting, or the chart default.
pub fn executor(values: &Value) -> &str {
    values::get_str(values, "executor").unwrap_or(DEFAULT_EXECUTOR)
}

/// True when the chart runs Celery workers for this executor setting (a comma-separated list
/// is allowed, e.g. `CeleryExecutor,KubernetesExecutor`).
pub fn is_celery(executor: &str) -> bool {
    executor
        .split(',')
        .map(str::trim)
        .any(|e| e.ends_with("CeleryExecutor") || e.ends_with("CeleryKubernetesExecutor"))
}

/// The Airflow major version the release runs (`airflowVersion`, default 3.1.7).
pub fn airflow_major(values: &Value) -> Result<u64, PluginError> {
    let v = values::get_str(values, "airflowVersion").unwrap_or(DEFAULT_AIRFLOW_VERSION);
    major_minor(v).map(|(major, _)| major).ok_or_else(|| {
        PluginError::InvalidValues(format!("`airflowVersion` `{v}` is not a version"))
    })
}

/// A boolean in the values, or the chart default when unset.
pub fn flag(values: &Value, path: &str, default: bool) -> bool {
    values::get_bool(values, path).unwrap_or(default)
}

/// The components of chart 1.19 that take a `resources` block, by their values key
/// (from `values.schema.json`).
pub const COMPONENTS: &[&str] = &[
    "workers",
    "workers.logGroomerSidecar",
    "workers.kerberosSidecar",
    "workers.kerberosInitContainer",
    "scheduler",
    "scheduler.logGroomerSidecar",
    "triggerer",
    "triggerer.logGroomerSidecar",
    "dagProcessor",
    "dagProcessor.logGroomerSidecar",
    "createUserJob",
    "migrateDatabaseJob",
    "apiServer",
    "webserver",
    "flower",
    "statsd",
    "pgbouncer",
    "pgbouncer.metricsExporterSidecar",
    "redis",
    "cleanup",
    "databaseCleanup",
    "dags.gitSync",
];

/// The 81 top-level keys of chart 1.19.0's `values.yaml`. The schema's root is open, so a
/// misspelt top-level key passes it silently.
pub const TOP_LEVEL_KEYS: &[&str] = &[
    "fullnameOverride",
    "nameOverride",
    "useStandardNaming",
    "revisionHistoryLimit",
    "uid",
    "gid",
    "securityContext",
    "securityContexts",
    "containerLifecycleHooks",
    "airflowHome",
    "defaultAirflowRepository",
    "defaultAirflowTag",
    "defaultAirflowDigest",
    "airflowVersion",
    "images",
    "nodeSelector",
    "affinity",
    "tolerations",
    "topologySpreadConstraints",
    "schedulerName",
    "labels",
    "imagePullSecrets",
    "ingress",
    "networkPolicies",
    "airflowPodAnnotations",
    "airflowConfigAnnotations",
    "airflowLocalSettings",
    "rbac",
    "executor",
    "allowPodLaunching",
    "allowJobLaunching",
    "env",
    "volumes",
    "volumeMounts",
    "secret",
    "enableBuiltInSecretEnvVars",
    "priorityClasses",
    "extraSecrets",
    "extraConfigMaps",
    "extraEnv",
    "extraEnvFrom",
    "data",
    "fernetKey",
    "fernetKeySecretName",
    "fernetKeySecretAnnotations",
    "apiSecretKey",
    "apiSecretAnnotations",
    "apiSecretKeySecretName",
    "jwtSecret",
    "jwtSecretAnnotations",
    "jwtSecretName",
    "webserverSecretKey",
    "webserverSecretAnnotations",
    "webserverSecretKeySecretName",
    "kerberos",
    "workers",
    "scheduler",
    "createUserJob",
    "migrateDatabaseJob",
    "apiServer",
    "webserver",
    "triggerer",
    "dagProcessor",
    "flower",
    "statsd",
    "pgbouncer",
    "redis",
    "registry",
    "elasticsearch",
    "opensearch",
    "ports",
    "quotas",
    "limits",
    "cleanup",
    "databaseCleanup",
    "postgresql",
    "config",
    "multiNamespaceMode",
    "podTemplate",
    "dags",
    "logs",
];

/// The closest candidate to a misspelt `word`, if one is close enough to suggest.
pub fn did_you_mean<'a>(word: &str, candidates: &[&'a str]) -> Option<&'a str> {
    let lower = word.to_ascii_lowercase();
    candidates
        .iter()
        .map(|c| {
            (
                strsim::damerau_levenshtein(&lower, &c.to_ascii_lowercase()),
                *c,
            )
        })
        .filter(|(d, c)| *d <= 2.max(c.len() / 4))
        .min()
        .map(|(_, c)| c)
}

/// JSON Schema of a Kubernetes `resources` block as the plugins accept it in their config.
pub fn resources_schema() -> Value {
    helmwasm_plugin_sdk::json!({
        "type": "object", "additionalProperties": false,
        "properties": {
            "requests": {"type": "object", "additionalProperties": {"type": ["string", "integer"]}},
            "limits": {"type": "object", "additionalProperties": {"type": ["string", "integer"]}}
        }
    })
}

/// The service name the chart gives PgBouncer (`useStandardNaming: false`, the default).
pub fn pgbouncer_host(release: &Release) -> String {
    format!("{}-pgbouncer.{}", release.name, release.namespace)
}

#[cfg(test)]
mod tests {
    use super::*;
    use helmwasm_plugin_sdk::json;

    fn release(chart: &str, version: &str) -> Release {
        Release {
            name: "airflow".into(),
            namespace: "airflow".into(),
            chart: chart.into(),
            chart_version: version.into(),
            environment: "prod".into(),
        }
    }

    #[test]
    fn only_the_airflow_chart_1_19_is_supported() {
        assert!(check_chart(&release("apache-airflow/airflow", "1.19.0"), "p").is_ok());
        assert!(check_chart(&release("oci://example/charts/airflow", "v1.19.3"), "p").is_ok());
        let old = check_chart(&release("apache-airflow/airflow", "1.10.0"), "p").unwrap_err();
        assert!(
            matches!(&old, PluginError::UnsupportedChart(m) if m.contains("supports chart 1.19.x, but release `airflow` uses chart version `1.10.0`")),
            "{old:?}"
        );
        assert!(matches!(
            check_chart(&release("bitnami/airflow-x", "1.19.0"), "p"),
            Err(PluginError::UnsupportedChart(_))
        ));
    }

    #[test]
    fn executor_and_versions() {
        assert_eq!(executor(&json!({})), "CeleryExecutor");
        assert!(is_celery("CeleryKubernetesExecutor"));
        assert!(is_celery("KubernetesExecutor,CeleryExecutor"));
        assert!(!is_celery("LocalExecutor"));
        assert_eq!(airflow_major(&json!({})).unwrap(), 3);
        assert_eq!(
            airflow_major(&json!({"airflowVersion": "2.10.5"})).unwrap(),
            2
        );
        assert_eq!(major_minor("1.19.0-rc1"), Some((1, 19)));
    }

    #[test]
    fn suggestions() {
        assert_eq!(
            did_you_mean("migrateDatabasejob", TOP_LEVEL_KEYS),
            Some("migrateDatabaseJob")
        );
        assert_eq!(did_you_mean("webservr", COMPONENTS), Some("webserver"));
        assert_eq!(did_you_mean("zzz", COMPONENTS), None);
        assert_eq!(TOP_LEVEL_KEYS.len(), 81);
    }
}
