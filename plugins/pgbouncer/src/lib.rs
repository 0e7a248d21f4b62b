//! `pgbouncer`: turns on the chart's PgBouncer with explicit resources.
//!
//! The chart builds PgBouncer's own config from `data.metadataConnection`, never from
//! `data.metadataSecretName`: run this step before `airflow-database`, which then routes
//! Airflow through PgBouncer and emits PgBouncer's config Secret. The configuration in which
//! PgBouncer is on but Airflow bypasses it is a host rule on the final values (whoever set the
//! keys), not this step's: the step cannot know what later steps or `--set` will write.

use airflow_chart::{Facts, set};
use helmwasm_plugin_sdk::{
    Metadata, Plugin, PluginError, Request, Response, Value, export_plugin, json,
};
use schemars::JsonSchema;
use serde::Deserialize;

#[derive(Debug, Clone, Default, Deserialize, JsonSchema, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Config {
    #[serde(default)]
    #[schemars(schema_with = "airflow_chart::resources_json_schema")]
    pub resources: Option<Value>,
    #[serde(default)]
    #[schemars(schema_with = "airflow_chart::resources_json_schema")]
    pub metrics_exporter_resources: Option<Value>,
    #[serde(default)]
    #[schemars(range(min = 1))]
    pub max_client_conn: Option<u64>,
    #[serde(default)]
    #[schemars(range(min = 1))]
    pub metadata_pool_size: Option<u64>,
    #[serde(default)]
    #[schemars(range(min = 1))]
    pub result_backend_pool_size: Option<u64>,
}

pub fn apply(
    f: &Facts,
    c: &Config,
    v: &mut Value,
) -> Result<Vec<airflow_chart::Warning>, PluginError> {
    set(f, v, "pgbouncer.enabled", json!(true))?;
    let nums = [
        ("maxClientConn", c.max_client_conn),
        ("metadataPoolSize", c.metadata_pool_size),
        ("resultBackendPoolSize", c.result_backend_pool_size),
    ];
    for (key, n) in nums {
        if let Some(n) = n {
            set(f, v, &format!("pgbouncer.{key}"), json!(n))?;
        }
    }
    if let Some(r) = &c.resources {
        set(f, v, "pgbouncer.resources", r.clone())?;
    }
    if let Some(r) = &c.metrics_exporter_resources {
        set(
            f,
            v,
            "pgbouncer.metricsExporterSidecar.resources",
            r.clone(),
        )?;
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
        .config_schema_of::<Config>()
    }

    fn run(req: Request) -> Result<Response, PluginError> {
        airflow_chart::run_values_step(req, "pgbouncer", apply)
    }
}

export_plugin!(Pgbouncer);

#[cfg(test)]
mod tests {
    use super::*;

    fn facts() -> Facts {
        airflow_chart::select("1.21.0").unwrap()
    }

    #[test]
    fn enables_pgbouncer_with_resources() {
        let mut v = json!({});
        let c = Config {
            resources: Some(json!({"limits": {"cpu": "1", "memory": "1Gi"}})),
            ..Config::default()
        };
        apply(&facts(), &c, &mut v).unwrap();
        assert_eq!(
            v,
            json!({"pgbouncer": {"enabled": true, "resources": {"limits": {"cpu": "1", "memory": "1Gi"}}}})
        );
    }

    /// The reverse of the bypass: a metadata Secret set in values, with this step before
    /// `airflow-database` as recommended, is not this step's business (the host rule on the
    /// final values judges the end state).
    #[test]
    fn a_metadata_secret_in_values_is_not_refused_here() {
        let mut v = json!({"data": {"metadataSecretName": "prod-mydatabase"}});
        assert!(apply(&facts(), &Config::default(), &mut v).is_ok());
    }
}
