//! `airflow-database`: the metadata-database and Celery result-backend connection Secrets of
//! the official Apache Airflow chart, for an external PostgreSQL database (e.g. RDS).
//!
//! It replaces the hand-written
//! `kubectl create secret generic NAME --from-literal=connection=postgresql://…` steps and the
//! `data:` / `postgresql:` values blocks. [`connection_url`] and [`plan`] are pure and
//! unit-tested natively; the [`Plugin`] impl only moves JSON in and out.

use helmwasm_plugin_sdk::{
    Metadata, Plugin, PluginError, Request, Response, export_plugin, json, k8s, values,
};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use serde::Deserialize;

/// Everything but RFC 3986 "unreserved" characters is encoded in the user, password and
/// database name, so `@ : / ? # %` and friends cannot break the URL.
const COMPONENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// The step config (`with:`). Field docs are the plugin's README.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Config {
    pub host: String,
    #[serde(default = "default_port")]
    pub port: u16,
    pub database: String,
    pub user: String,
    pub password: String,
    #[serde(default)]
    pub sslmode: Option<String>,
    #[serde(default)]
    pub metadata_secret_name: Option<String>,
    #[serde(default)]
    pub result_backend_secret_name: Option<String>,
}

fn default_port() -> u16 {
    5432
}

/// `postgresql://USER:PASSWORD@HOST:PORT/DATABASE[?sslmode=MODE]`, credentials and database
/// percent-encoded.
pub fn connection_url(c: &Config) -> String {
    let enc = |s: &str| utf8_percent_encode(s, COMPONENT).to_string();
    let mut url = format!(
        "postgresql://{}:{}@{}:{}/{}",
        enc(&c.user),
        enc(&c.password),
        c.host,
        c.port,
        enc(&c.database)
    );
    if let Some(mode) = &c.sslmode {
        url.push_str("?sslmode=");
        url.push_str(mode);
    }
    url
}

/// True when the chart runs Celery workers for this executor setting (a comma-separated
/// list is allowed, e.g. `CeleryExecutor,KubernetesExecutor`).
pub fn is_celery(executor: &str) -> bool {
    executor.split(',').any(|e| {
        e.trim().ends_with("CeleryExecutor") || e.trim().ends_with("CeleryKubernetesExecutor")
    })
}

/// The chart 1.19 default executor, used when the values do not set one.
pub const CHART_DEFAULT_EXECUTOR: &str = "CeleryExecutor";

/// One Secret to emit: name and connection URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecretPlan {
    pub name: String,
    pub connection: String,
}

/// What the step does for a release: the metadata Secret and, for Celery, the result-backend
/// Secret (the metadata URL with a `db+` prefix).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    pub metadata: SecretPlan,
    pub result_backend: Option<SecretPlan>,
}

pub fn plan(c: &Config, release: &str, executor: &str) -> Result<Plan, PluginError> {
    check_host(&c.host)?;
    if c.port == 0 {
        return Err(PluginError::InvalidConfig(
            "`port` must be between 1 and 65535".into(),
        ));
    }
    let metadata_name = c
        .metadata_secret_name
        .clone()
        .unwrap_or_else(|| format!("{release}-metadata-connection"));
    let result_name = c
        .result_backend_secret_name
        .clone()
        .unwrap_or_else(|| format!("{release}-result-backend-connection"));
    for (field, name) in [
        ("metadataSecretName", &metadata_name),
        ("resultBackendSecretName", &result_name),
    ] {
        k8s::check_subdomain(name)
            .map_err(|e| PluginError::InvalidConfig(format!("`{field}`: {e}")))?;
    }
    let url = connection_url(c);
    let result_backend = if is_celery(executor) {
        if result_name == metadata_name {
            return Err(PluginError::InvalidConfig(format!(
                "`metadataSecretName` and `resultBackendSecretName` are both `{metadata_name}`: the \
                 result backend needs its own Secret (its URL starts with `db+`, the metadata URL must not)"
            )));
        }
        Some(SecretPlan {
            name: result_name,
            connection: format!("db+{url}"),
        })
    } else {
        None
    };
    Ok(Plan {
        metadata: SecretPlan {
            name: metadata_name,
            connection: url,
        },
        result_backend,
    })
}

fn check_host(host: &str) -> Result<(), PluginError> {
    let bad = host.is_empty() || host.contains(['/', '@', '?', '#', ':', ' ']);
    if bad {
        return Err(PluginError::InvalidConfig(format!(
            "`host` must be a bare host name or IPv4 address without scheme, port or path, got `{host}`"
        )));
    }
    Ok(())
}

struct AirflowDatabase;

impl Plugin for AirflowDatabase {
    fn metadata() -> Metadata {
        Metadata::new(
            "airflow-database",
            env!("CARGO_PKG_VERSION"),
            "Airflow metadata-database and Celery result-backend connection Secrets for an external PostgreSQL",
        )
        .config_schema(config_schema())
    }

    fn run(req: Request) -> Result<Response, PluginError> {
        let config: Config = req.config()?;
        let executor = values::get_str(&req.values, "executor")
            .unwrap_or(CHART_DEFAULT_EXECUTOR)
            .to_owned();
        let plan = plan(&config, &req.release.name, &executor)?;
        let ns = req.release.namespace.as_str();
        let mut out = Response::new(req.values);
        out.emit(k8s::secret(
            &plan.metadata.name,
            ns,
            [("connection", plan.metadata.connection.as_bytes())],
        ));
        values::set(
            &mut out.values,
            "data.metadataSecretName",
            json!(plan.metadata.name),
        )?;
        if let Some(rb) = &plan.result_backend {
            out.emit(k8s::secret(
                &rb.name,
                ns,
                [("connection", rb.connection.as_bytes())],
            ));
            values::set(
                &mut out.values,
                "data.resultBackendSecretName",
                json!(rb.name),
            )?;
        }
        values::set(&mut out.values, "postgresql.enabled", json!(false))?;
        Ok(out)
    }
}

pub fn config_schema() -> helmwasm_plugin_sdk::Value {
    json!({
        "$schema": "http://json-schema.org/draft-07/schema#",
        "type": "object",
        "additionalProperties": false,
        "required": ["host", "database", "user", "password"],
        "properties": {
            "host": {"type": "string", "minLength": 1, "description": "Database host, e.g. the RDS endpoint"},
            "port": {"type": "integer", "minimum": 1, "maximum": 65535, "default": 5432},
            "database": {"type": "string", "minLength": 1},
            "user": {"type": "string", "minLength": 1},
            "password": {"type": "string", "minLength": 1},
            "sslmode": {"enum": ["disable", "allow", "prefer", "require", "verify-ca", "verify-full"]},
            "metadataSecretName": {"type": "string", "description": "Default: RELEASE-metadata-connection"},
            "resultBackendSecretName": {"type": "string", "description": "Default: RELEASE-result-backend-connection"}
        }
    })
}

export_plugin!(AirflowDatabase);

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> Config {
        Config {
            host: "host.example.com".into(),
            port: 5432,
            database: "airflow_db".into(),
            user: "your_id".into(),
            password: "your_pw".into(),
            sslmode: None,
            metadata_secret_name: Some("prod-mydatabase".into()),
            result_backend_secret_name: Some("result-backend-mydatabase".into()),
        }
    }

    #[test]
    fn url_matches_the_production_guide_form() {
        assert_eq!(
            connection_url(&config()),
            "postgresql://your_id:your_pw@host.example.com:5432/airflow_db"
        );
    }

    #[test]
    fn special_characters_in_credentials_are_percent_encoded() {
        let c = Config {
            user: "a@b".into(),
            password: "p@ss:w/rd?#%".into(),
            ..config()
        };
        assert_eq!(
            connection_url(&c),
            "postgresql://a%40b:p%40ss%3Aw%2Frd%3F%23%25@host.example.com:5432/airflow_db"
        );
    }

    #[test]
    fn sslmode_goes_in_the_query() {
        let c = Config {
            sslmode: Some("require".into()),
            ..config()
        };
        assert!(connection_url(&c).ends_with("/airflow_db?sslmode=require"));
    }

    #[test]
    fn celery_gets_a_db_plus_result_backend_and_the_metadata_url_has_none() {
        let p = plan(&config(), "airflow", "CeleryExecutor").unwrap();
        assert!(p.metadata.connection.starts_with("postgresql://"));
        let rb = p.result_backend.unwrap();
        assert_eq!(rb.name, "result-backend-mydatabase");
        assert_eq!(rb.connection, format!("db+{}", p.metadata.connection));
    }

    #[test]
    fn executor_detection() {
        assert!(is_celery("CeleryExecutor"));
        assert!(is_celery("CeleryKubernetesExecutor"));
        assert!(is_celery("KubernetesExecutor,CeleryExecutor"));
        assert!(!is_celery("KubernetesExecutor"));
        assert!(!is_celery("LocalExecutor"));
        assert!(
            plan(&config(), "a", "LocalExecutor")
                .unwrap()
                .result_backend
                .is_none()
        );
    }

    #[test]
    fn invalid_secret_name_is_rejected_with_a_hint() {
        let c = Config {
            metadata_secret_name: Some("prod_database".into()),
            ..config()
        };
        let PluginError::InvalidConfig(msg) = plan(&c, "a", "CeleryExecutor").unwrap_err() else {
            panic!("wrong error kind")
        };
        assert!(
            msg.starts_with("`metadataSecretName`: `prod_database` is not a valid"),
            "{msg}"
        );
        assert!(msg.contains("hint: use `prod-database`"), "{msg}");
    }

    #[test]
    fn one_secret_for_both_is_rejected() {
        let c = Config {
            result_backend_secret_name: Some("prod-mydatabase".into()),
            ..config()
        };
        assert!(matches!(
            plan(&c, "a", "CeleryExecutor"),
            Err(PluginError::InvalidConfig(_))
        ));
    }

    #[test]
    fn default_names_derive_from_the_release() {
        let c = Config {
            metadata_secret_name: None,
            result_backend_secret_name: None,
            ..config()
        };
        let p = plan(&c, "airflow", "CeleryExecutor").unwrap();
        assert_eq!(p.metadata.name, "airflow-metadata-connection");
        assert_eq!(
            p.result_backend.unwrap().name,
            "airflow-result-backend-connection"
        );
    }

    #[test]
    fn host_with_scheme_or_port_is_rejected() {
        for host in ["postgresql://h", "h:5432", "h/db", ""] {
            let c = Config {
                host: host.into(),
                ..config()
            };
            assert!(plan(&c, "a", "CeleryExecutor").is_err(), "{host}");
        }
    }
}
