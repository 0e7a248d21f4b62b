//! `pgbouncer`: turns on the chart's PgBouncer with explicit resources, and refuses the
//! configuration in which PgBouncer is on but Airflow bypasses it.
//!
//! The chart builds PgBouncer's own config from `data.metadataConnection`, never from
//! `data.metadataSecretName`. With a user-supplied metadata Secret (the hand-written setup),
//! PgBouncer points at a `RELEASE-postgresql` database that does not exist while Airflow
//! talks straight to the database. Run this step before `airflow-database`: that step then
//! routes Airflow through PgBouncer and emits PgBouncer's config Secret.

use helmwasm_plugin_sdk::{
    Metadata, Plugin, PluginError, Request, Response, Value, export_plugin, json, values,
};
use serde::Deserialize;

#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Config {
    #[serde(default)]
    pub resources: Option<Value>,
    #[serde(default)]
    pub metrics_exporter_resources: Option<Value>,
    #[serde(default)]
    pub max_client_conn: Option<u64>,
    #[serde(default)]
    pub metadata_pool_size: Option<u64>,
    #[serde(default)]
    pub result_backend_pool_size: Option<u64>,
}

/// The bypass: a metadata Secret chosen by hand, and no PgBouncer config to match it.
pub fn bypass(v: &Value) -> Option<String> {
    let secret = values::get_str(v, "data.metadataSecretName").filter(|s| !s.is_empty())?;
    if values::get_str(v, "pgbouncer.configSecretName").is_some_and(|s| !s.is_empty()) {
        return None;
    }
    Some(format!(
        "PgBouncer would be bypassed: `data.metadataSecretName` (`{secret}`) points Airflow straight at the \
         database, while the chart builds PgBouncer's config from `data.metadataConnection` (defaults: \
         host RELEASE-postgresql, user postgres). Put the `pgbouncer` step before `airflow-database`, which \
         then routes Airflow through PgBouncer and emits PgBouncer's config Secret; or drop this step"
    ))
}

pub fn apply(c: &Config, v: &mut Value) -> Result<Vec<airflow_chart::Warning>, PluginError> {
    if let Some(problem) = bypass(v) {
        return Err(PluginError::InvalidValues(problem));
    }
    values::set(v, "pgbouncer.enabled", json!(true))?;
    let nums = [
        ("maxClientConn", c.max_client_conn),
        ("metadataPoolSize", c.metadata_pool_size),
        ("resultBackendPoolSize", c.result_backend_pool_size),
    ];
    for (key, n) in nums {
        if let Some(n) = n {
            values::set(v, &format!("pgbouncer.{key}"), json!(n))?;
        }
    }
    if let Some(r) = &c.resources {
        values::set(v, "pgbouncer.resources", r.clone())?;
    }
    if let Some(r) = &c.metrics_exporter_resources {
        values::set(v, "pgbouncer.metricsExporterSidecar.resources", r.clone())?;
    }
    Ok(Vec::new())
}

struct Pgbouncer;

impl Plugin for Pgbouncer {
    fn metadata() -> Metadata {
        Metadata::new(
            "pgbouncer",
            env!("CARGO_PKG_VERSION"),
            "The Airflow chart's PgBouncer, refusing setups where Airflow bypasses it",
        )
        .config_schema(config_schema())
    }

    fn run(req: Request) -> Result<Response, PluginError> {
        airflow_chart::run_values_step(req, "pgbouncer", apply)
    }
}

pub fn config_schema() -> Value {
    let resources = airflow_chart::resources_schema();
    json!({
        "$schema": "http://json-schema.org/draft-07/schema#",
        "type": "object",
        "additionalProperties": false,
        "properties": {
            "resources": resources,
            "metricsExporterResources": resources,
            "maxClientConn": {"type": "integer", "minimum": 1},
            "metadataPoolSize": {"type": "integer", "minimum": 1},
            "resultBackendPoolSize": {"type": "integer", "minimum": 1}
        }
    })
}

export_plugin!(Pgbouncer);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn enables_pgbouncer_with_resources() {
        let mut v = json!({});
        let c = Config {
            resources: Some(json!({"limits": {"cpu": "1", "memory": "1Gi"}})),
            ..Config::default()
        };
        apply(&c, &mut v).unwrap();
        assert_eq!(
            v,
            json!({"pgbouncer": {"enabled": true, "resources": {"limits": {"cpu": "1", "memory": "1Gi"}}}})
        );
    }

    #[test]
    fn the_hand_written_bypass_is_refused_with_what_to_do() {
        let mut v = json!({"data": {"metadataSecretName": "prod-mydatabase"}});
        let PluginError::InvalidValues(m) = apply(&Config::default(), &mut v).unwrap_err() else {
            panic!()
        };
        assert!(
            m.starts_with(
                "PgBouncer would be bypassed: `data.metadataSecretName` (`prod-mydatabase`)"
            ),
            "{m}"
        );
        assert!(
            m.contains("Put the `pgbouncer` step before `airflow-database`"),
            "{m}"
        );
    }

    #[test]
    fn a_matching_pgbouncer_config_is_not_a_bypass() {
        let v =
            json!({"data": {"metadataSecretName": "m"}, "pgbouncer": {"configSecretName": "c"}});
        assert_eq!(bypass(&v), None);
    }
}
