//! What the `airflow-*` plugins share about the official Apache Airflow chart
//! (`apache-airflow/airflow`): the chart facts for the release's chart version
//! ([`airflow_facts`], chosen by [`facts`]; no plugin compares a version itself), and small
//! helpers over values.
//!
//! Sources: `../shared/AIRFLOW.md` and the charts' own `values.yaml` / `values.schema.json`.

use helmwasm_plugin_sdk::{PluginError, Release, Request, Response, Value, values};
use serde::de::DeserializeOwned;

pub use airflow_facts::{Facts, PGBOUNCER_PORT, major_minor, select};

/// A warning about a values path: (path, message).
pub type Warning = (String, String);

/// The `run` of a plugin that only changes values: choose the chart facts, read the config,
/// apply it to the values, report the warnings.
pub fn run_values_step<C: DeserializeOwned>(
    req: Request,
    plugin: &str,
    apply: impl FnOnce(&Facts, &C, &mut Value) -> Result<Vec<Warning>, PluginError>,
) -> Result<Response, PluginError> {
    let facts = facts(&req.release, plugin)?;
    let config: C = req.config()?;
    let mut out = Response::new(req.values);
    for (path, message) in apply(&facts, &config, &mut out.values)? {
        out.warning(message, Some(&path));
    }
    Ok(out)
}

/// The chart facts for the release's chart (`unsupported-chart` when it is not the Airflow
/// chart, or a version the facts do not cover). The host sends the resolved chart's version,
/// or the pipeline's `version` when the chart could not be had, and has verified the facts
/// against the chart before the first step.
pub fn facts(release: &Release, plugin: &str) -> Result<Facts, PluginError> {
    let chart_name = release
        .chart
        .trim_end_matches('/')
        .rsplit('/')
        .next()
        .unwrap_or("");
    if chart_name != airflow_facts::NAME {
        return Err(PluginError::UnsupportedChart(format!(
            "`{plugin}` targets the Apache Airflow chart (`apache-airflow/airflow`), but release `{}` uses `{}`",
            release.name, release.chart
        )));
    }
    airflow_facts::select(&release.chart_version).map_err(|refusal| {
        PluginError::UnsupportedChart(format!(
            "`{plugin}` cannot run for release `{}`: {refusal}",
            release.name
        ))
    })
}

/// The executor setting, or the chart default.
pub fn executor<'a>(facts: &Facts, values: &'a Value) -> &'a str {
    values::get_str(values, "executor").unwrap_or(facts.default_executor())
}

/// True when the chart runs Celery workers for this executor setting (a comma-separated list
/// is allowed, e.g. `CeleryExecutor,KubernetesExecutor`).
pub fn is_celery(executor: &str) -> bool {
    executor
        .split(',')
        .map(str::trim)
        .any(|e| e.ends_with("CeleryExecutor") || e.ends_with("CeleryKubernetesExecutor"))
}

/// The Airflow major version the release runs (`airflowVersion`, default the chart's).
pub fn airflow_major(facts: &Facts, values: &Value) -> Result<u64, PluginError> {
    let v = values::get_str(values, "airflowVersion").unwrap_or(facts.default_airflow_version());
    major_minor(v).map(|(major, _)| major).ok_or_else(|| {
        PluginError::InvalidValues(format!("`airflowVersion` `{v}` is not a version"))
    })
}

/// A boolean in the values, or the chart default when unset.
pub fn flag(values: &Value, path: &str, default: bool) -> bool {
    values::get_bool(values, path).unwrap_or(default)
}

/// The value of a key the chart reads from several paths (a new one and its deprecated
/// spelling): the first that is set and not null.
pub fn get<'a>(facts: &Facts, values: &'a Value, key: &str) -> Option<&'a Value> {
    facts.first_set(key, |p| values::get(values, p).filter(|v| !v.is_null()))
}

/// A boolean key as the chart reads it (see [`get`]), or `default`.
pub fn fact_flag(facts: &Facts, values: &Value, key: &str, default: bool) -> bool {
    get(facts, values, key)
        .and_then(Value::as_bool)
        .unwrap_or(default)
}

/// Set a key where the chart version reads it first (never a spelling the chart marks
/// deprecated). A user value under a deprecated spelling is left in place: the chart reads
/// the new path first, and the host's deprecation check names both.
pub fn set(facts: &Facts, values: &mut Value, key: &str, value: Value) -> Result<(), PluginError> {
    values::set(values, facts.path(key), value)
}

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
/// [`resources_schema`] for a config field derived with schemars
/// (`#[schemars(schema_with = "airflow_chart::resources_json_schema")]`).
pub fn resources_json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
    schemars::Schema::try_from(resources_schema()).expect("a JSON object is a schema")
}

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
    fn facts_follow_the_chart_version() {
        let f = facts(&release("apache-airflow/airflow", "1.19.0"), "p").unwrap();
        assert_eq!(f.path("workers.resources"), "workers.resources");
        let f = facts(&release("oci://example/charts/airflow", "v1.21.3"), "p").unwrap();
        assert_eq!(f.path("workers.resources"), "workers.celery.resources");
        let newer = facts(&release("apache-airflow/airflow", "1.22.0"), "p").unwrap();
        assert!(newer.is_newer());
        let old = facts(&release("apache-airflow/airflow", "1.10.0"), "p").unwrap_err();
        assert!(
            matches!(&old, PluginError::UnsupportedChart(m) if m.contains("`p` cannot run for release `airflow`: chart version `1.10.0` is older than")),
            "{old:?}"
        );
        let two = facts(&release("apache-airflow/airflow", "2.0.0"), "p").unwrap_err();
        assert!(
            matches!(&two, PluginError::UnsupportedChart(m) if m.contains("another major version")),
            "{two:?}"
        );
        assert!(matches!(
            facts(&release("bitnami/airflow-x", "1.19.0"), "p"),
            Err(PluginError::UnsupportedChart(_))
        ));
    }

    #[test]
    fn a_key_is_set_where_the_version_reads_it() {
        let f = facts(&release("apache-airflow/airflow", "1.21.0"), "p").unwrap();
        let mut v = json!({"workers": {"resources": {"limits": {"cpu": 1}}}});
        set(
            &f,
            &mut v,
            "workers.resources",
            json!({"limits": {"cpu": 2}}),
        )
        .unwrap();
        assert_eq!(v["workers"]["celery"]["resources"]["limits"]["cpu"], 2);
        assert_eq!(
            v["workers"]["resources"]["limits"]["cpu"], 1,
            "the user's value is left"
        );
        // The chart reads the new path first, the old one when it is unset.
        assert_eq!(
            get(&f, &v, "workers.resources").unwrap()["limits"]["cpu"],
            2
        );
        let v =
            json!({"workers": {"keda": {"enabled": true}, "celery": {"keda": {"enabled": null}}}});
        assert!(fact_flag(&f, &v, "workers.keda.enabled", false));
    }

    #[test]
    fn executor_and_versions() {
        let f = facts(&release("apache-airflow/airflow", "1.21.0"), "p").unwrap();
        assert_eq!(executor(&f, &json!({})), "CeleryExecutor");
        assert!(is_celery("CeleryKubernetesExecutor"));
        assert!(is_celery("KubernetesExecutor,CeleryExecutor"));
        assert!(!is_celery("LocalExecutor"));
        assert_eq!(airflow_major(&f, &json!({})).unwrap(), 3);
        assert_eq!(
            airflow_major(&f, &json!({"airflowVersion": "2.10.5"})).unwrap(),
            2
        );
        assert_eq!(major_minor("1.19.0-rc1"), Some((1, 19)));
    }

    #[test]
    fn suggestions() {
        let f = facts(&release("apache-airflow/airflow", "1.21.0"), "p").unwrap();
        let components: Vec<&str> = f.components().iter().map(|c| c.0).collect();
        assert_eq!(
            did_you_mean("migrateDatabasejob", f.top_level_keys()),
            Some("migrateDatabaseJob")
        );
        assert_eq!(did_you_mean("webservr", &components), Some("webserver"));
        assert_eq!(did_you_mean("zzz", &components), None);
    }
}
