//! `airflow-database`: the connection Secrets of the official Apache Airflow chart (1.19.x) for
//! an external PostgreSQL database (e.g. RDS), with or without the chart's PgBouncer.
//!
//! It replaces the hand-written `kubectl create secret generic NAME --from-literal=connection=…`
//! steps and the `data:` / `postgresql:` values blocks. [`plan`] is pure and unit-tested
//! natively; the [`Plugin`] impl only moves JSON in and out.
//!
//! With `pgbouncer.enabled: true` in the values (set by the `pgbouncer` step, which must run
//! first), Airflow is routed through PgBouncer: the metadata and result-backend URLs point at
//! the PgBouncer service, and the step also emits the PgBouncer config Secret (`pgbouncer.ini`,
//! `users.txt`) and the metrics-exporter stats Secret — the chart would otherwise build them
//! from `data.metadataConnection` and point PgBouncer at a database that does not exist.

mod pgbouncer;

use airflow_chart::{Facts, PGBOUNCER_PORT, fact_flag, is_celery, pgbouncer_host};
use helmwasm_plugin_sdk::{
    Metadata, Plugin, PluginError, Release, Request, Response, Value, export_plugin, json, k8s,
    values,
};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use schemars::JsonSchema;
use serde::Deserialize;

/// Everything but RFC 3986 "unreserved" characters is encoded in the user, password and
/// database name, so `@ : / ? # %` and friends cannot break the URL.
const COMPONENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// The step config (`with:`). Field docs are the plugin's README.
#[derive(Debug, Clone, Deserialize, JsonSchema, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Config {
    #[schemars(length(min = 1))]
    pub host: String,
    #[serde(default = "default_port")]
    #[schemars(range(min = 1, max = 65535))]
    pub port: u16,
    #[schemars(length(min = 1))]
    pub database: String,
    #[schemars(length(min = 1))]
    pub user: String,
    #[schemars(length(min = 1))]
    pub password: String,
    #[serde(default)]
    #[schemars(extend("enum" = ["disable", "allow", "prefer", "require", "verify-ca", "verify-full"]))]
    pub sslmode: Option<String>,
    /// The CA bundle (PEM) that signs the database's certificate, for `verify-ca` /
    /// `verify-full`: by reference (`ref+file://global-bundle.pem`).
    #[serde(default)]
    #[schemars(length(min = 1))]
    pub sslrootcert: Option<String>,
    #[serde(default)]
    pub metadata_secret_name: Option<String>,
    #[serde(default)]
    pub result_backend_secret_name: Option<String>,
    #[serde(default)]
    pub pgbouncer_config_secret_name: Option<String>,
    #[serde(default)]
    pub pgbouncer_stats_secret_name: Option<String>,
}

fn default_port() -> u16 {
    5432
}

fn enc(s: &str) -> String {
    utf8_percent_encode(s, COMPONENT).to_string()
}

/// `postgresql://USER:PASSWORD@HOST:PORT/DATABASE[?sslmode=MODE[&sslrootcert=PATH]]`,
/// credentials and database percent-encoded; with a CA, the path it is mounted at in every
/// Airflow pod ([`CA_MOUNT`]).
pub fn connection_url(c: &Config) -> String {
    let mut u = url(c, &c.host, c.port, &c.database, c.sslmode.as_deref());
    if c.sslrootcert.is_some() && c.sslmode.is_some() {
        u.push_str(&format!("&sslrootcert={CA_MOUNT}/{CA_KEY}"));
    }
    u
}

/// Where the database CA is mounted in the Airflow pods (direct connections).
pub const CA_MOUNT: &str = "/etc/airflow-database-ca";
/// The key (and file name) of the CA in its Secret, as libpq and the chart's PgBouncer name it.
pub const CA_KEY: &str = "root.crt";
/// Where the chart mounts `pgbouncer.ssl.ca` in the PgBouncer pod.
pub const PGBOUNCER_CA_FILE: &str = "/etc/pgbouncer/root.crt";

/// `verify-ca` / `verify-full` need the CA; a CA must be PEM certificates.
fn check_tls(c: &Config) -> Result<(), PluginError> {
    let verifies = matches!(c.sslmode.as_deref(), Some("verify-ca" | "verify-full"));
    match &c.sslrootcert {
        None if verifies => Err(PluginError::InvalidConfig(format!(
            "`sslmode: {}` verifies the server against a CA, and none is given: set `sslrootcert` to the CA \
             bundle by reference (for RDS, the region's bundle: `sslrootcert: ref+file://global-bundle.pem`)",
            c.sslmode.as_deref().unwrap_or_default()
        ))),
        Some(ca) if !ca.contains("-----BEGIN CERTIFICATE-----") => Err(PluginError::InvalidConfig(
            "`sslrootcert` must be the CA bundle's content (PEM: `-----BEGIN CERTIFICATE-----` …), not a path".into(),
        )),
        Some(_) if !verifies => Err(PluginError::InvalidConfig(format!(
            "`sslrootcert` is set but `sslmode` is `{}`: only `verify-ca` and `verify-full` use the CA",
            c.sslmode.as_deref().unwrap_or("unset")
        ))),
        _ => Ok(()),
    }
}

fn url(c: &Config, host: &str, port: u16, database: &str, sslmode: Option<&str>) -> String {
    let mut url = format!(
        "postgresql://{}:{}@{host}:{port}/{}",
        enc(&c.user),
        enc(&c.password),
        enc(database)
    );
    if let Some(mode) = sslmode {
        url.push_str("?sslmode=");
        url.push_str(mode);
    }
    url
}

/// What the release's values say about the chart features this step depends on.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Context {
    pub release: Release,
    pub celery: bool,
    pub pgbouncer: bool,
    pub keda: bool,
    pub keda_uses_pgbouncer: bool,
    /// `data.metadataSecretName` / `data.resultBackendSecretName` already in the values.
    pub metadata_name_in_values: Option<String>,
    pub result_name_in_values: Option<String>,
    pub pgbouncer_settings: pgbouncer::Settings,
}

impl Context {
    pub fn from_values(f: &Facts, release: Release, v: &Value) -> Context {
        let name = |p: &str| {
            values::get_str(v, p)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
        };
        Context {
            release,
            celery: is_celery(airflow_chart::executor(f, v)),
            pgbouncer: fact_flag(f, v, "pgbouncer.enabled", false),
            keda: fact_flag(f, v, "workers.keda.enabled", false),
            keda_uses_pgbouncer: fact_flag(f, v, "workers.keda.usePgbouncer", true),
            metadata_name_in_values: name("data.metadataSecretName"),
            result_name_in_values: name("data.resultBackendSecretName"),
            pgbouncer_settings: pgbouncer::Settings::from_values(v),
        }
    }
}

/// One Secret to emit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecretPlan {
    pub name: String,
    pub data: Vec<(String, String)>,
}

impl SecretPlan {
    pub fn get(&self, key: &str) -> Option<&str> {
        self.data
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
}

/// Everything the step does for a release.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Plan {
    pub secrets: Vec<SecretPlan>,
    pub set: Vec<(String, Value)>,
    pub warnings: Vec<(String, String)>,
    /// Secrets to mount at [`CA_MOUNT`] in every Airflow pod (`volumes` / `volumeMounts`).
    pub mounts: Vec<String>,
}

pub fn plan(c: &Config, ctx: &Context) -> Result<Plan, PluginError> {
    check_host(&c.host)?;
    check_tls(c)?;
    if c.port == 0 {
        return Err(PluginError::InvalidConfig(
            "`port` must be between 1 and 65535".into(),
        ));
    }
    let r = &ctx.release;
    let mut p = Plan::default();
    let metadata_name = pick_name(
        &mut p,
        c.metadata_secret_name.as_ref(),
        ctx.metadata_name_in_values.as_ref(),
        "metadataSecretName",
        "data.metadataSecretName",
        || format!("{}-metadata-connection", r.name),
    )?;
    let result_name = pick_name(
        &mut p,
        c.result_backend_secret_name.as_ref(),
        ctx.result_name_in_values.as_ref(),
        "resultBackendSecretName",
        "data.resultBackendSecretName",
        || format!("{}-result-backend-connection", r.name),
    )?;

    let direct = connection_url(c);
    let (metadata_url, result_url) = if ctx.pgbouncer {
        // In-cluster hop to PgBouncer (no TLS there); PgBouncer talks TLS to the database.
        let host = pgbouncer_host(r);
        (
            url(
                c,
                &host,
                PGBOUNCER_PORT,
                &format!("{}-metadata", r.name),
                Some("disable"),
            ),
            url(
                c,
                &host,
                PGBOUNCER_PORT,
                &format!("{}-result-backend", r.name),
                Some("disable"),
            ),
        )
    } else {
        (direct.clone(), direct.clone())
    };
    let mut metadata = vec![("connection".to_owned(), metadata_url)];
    if ctx.keda && ctx.pgbouncer && !ctx.keda_uses_pgbouncer {
        // KEDA_DB_CONN comes from this key and goes straight to the database.
        metadata.push(("kedaConnection".to_owned(), direct.clone()));
    }
    p.secrets.push(SecretPlan {
        name: metadata_name.clone(),
        data: metadata,
    });
    p.set
        .push(("data.metadataSecretName".into(), json!(metadata_name)));

    if ctx.celery {
        if result_name == metadata_name {
            return Err(PluginError::InvalidConfig(format!(
                "`metadataSecretName` and `resultBackendSecretName` are both `{metadata_name}`: the \
                 result backend needs its own Secret (its URL starts with `db+`, the metadata URL must not)"
            )));
        }
        p.secrets.push(SecretPlan {
            name: result_name.clone(),
            data: vec![("connection".into(), format!("db+{result_url}"))],
        });
        p.set
            .push(("data.resultBackendSecretName".into(), json!(result_name)));
    }

    if ctx.pgbouncer {
        let config_name = c
            .pgbouncer_config_secret_name
            .clone()
            .unwrap_or_else(|| format!("{}-pgbouncer-config", r.name));
        let stats_name = c
            .pgbouncer_stats_secret_name
            .clone()
            .unwrap_or_else(|| format!("{}-pgbouncer-stats", r.name));
        for (field, name) in [
            ("pgbouncerConfigSecretName", &config_name),
            ("pgbouncerStatsSecretName", &stats_name),
        ] {
            k8s::check_subdomain(name)
                .map_err(|e| PluginError::InvalidConfig(format!("`{field}`: {e}")))?;
        }
        let s = &ctx.pgbouncer_settings;
        p.secrets.push(SecretPlan {
            name: config_name.clone(),
            data: vec![
                ("pgbouncer.ini".into(), pgbouncer::ini(c, r, s)),
                (
                    "users.txt".into(),
                    pgbouncer::users_txt(&c.user, &c.password),
                ),
            ],
        });
        p.secrets.push(SecretPlan {
            name: stats_name.clone(),
            data: vec![(
                "connection".into(),
                url(c, "127.0.0.1", PGBOUNCER_PORT, "pgbouncer", Some("disable")),
            )],
        });
        p.set
            .push(("pgbouncer.configSecretName".into(), json!(config_name)));
        p.set.push((
            "pgbouncer.metricsExporterSidecar.statsSecretName".into(),
            json!(stats_name),
        ));
        if let Some(ca) = &c.sslrootcert {
            // The chart puts it in its PgBouncer certificates Secret and mounts it at
            // PGBOUNCER_CA_FILE; `pgbouncer.ini` names that file.
            p.set.push(("pgbouncer.ssl.ca".into(), json!(ca)));
        }
        if c.sslmode.is_none()
            && !matches!(s.sslmode.as_str(), "require" | "verify-ca" | "verify-full")
        {
            p.warnings.push((
                "pgbouncer.sslmode".into(),
                format!(
                    "no `sslmode`: Airflow reaches PgBouncer inside the cluster without TLS (`sslmode=disable`), and \
                     PgBouncer reaches the database `{}` with the TLS mode `{}` (`pgbouncer.sslmode`, its \
                     `server_tls_sslmode`), which accepts an unencrypted connection; set `sslmode: require` on this step (or `verify-full` with \
                     `sslrootcert`)",
                    c.host, s.sslmode
                ),
            ));
        }
    } else if let Some(ca) = &c.sslrootcert {
        // Direct connections: the CA in a Secret mounted into every Airflow pod, which the
        // URLs name (`sslrootcert=`).
        let name = format!("{}-database-ca", r.name);
        p.secrets.push(SecretPlan {
            name: name.clone(),
            data: vec![(CA_KEY.into(), ca.clone())],
        });
        p.mounts.push(name);
    }
    p.set.push(("postgresql.enabled".into(), json!(false)));
    Ok(p)
}

/// Config name, else the name already in the values, else the default; validated.
fn pick_name(
    p: &mut Plan,
    configured: Option<&String>,
    in_values: Option<&String>,
    field: &str,
    values_path: &str,
    default: impl FnOnce() -> String,
) -> Result<String, PluginError> {
    let name = match (configured, in_values) {
        (Some(c), Some(v)) if c != v => {
            p.warnings.push((
                values_path.to_owned(),
                format!("replaced `{v}` from the values with `{c}` from the step config"),
            ));
            c.clone()
        }
        (Some(c), _) => c.clone(),
        (None, Some(v)) => v.clone(),
        (None, None) => default(),
    };
    k8s::check_subdomain(&name)
        .map_err(|e| PluginError::InvalidConfig(format!("`{field}`: {e}")))?;
    Ok(name)
}

/// The database CA Secret `name` in every Airflow pod: a `volumes` entry and a `volumeMounts`
/// entry at [`CA_MOUNT`] (the chart adds both lists to each component), replacing an earlier
/// one of the same name.
fn mount_ca(v: &mut Value, name: &str) -> Result<(), PluginError> {
    const VOLUME: &str = "airflow-database-ca";
    for (path, entry) in [
        (
            "volumes",
            json!({"name": VOLUME, "secret": {"secretName": name}}),
        ),
        (
            "volumeMounts",
            json!({"name": VOLUME, "mountPath": CA_MOUNT, "readOnly": true}),
        ),
    ] {
        let mut list: Vec<Value> = values::get(v, path)
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        list.retain(|e| e["name"] != VOLUME);
        list.push(entry);
        values::set(v, path, Value::Array(list))?;
    }
    Ok(())
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
            "Airflow metadata-database, Celery result-backend (and PgBouncer) connection Secrets for an external PostgreSQL",
        )
        .config_schema_of::<Config>()
    }

    fn run(req: Request) -> Result<Response, PluginError> {
        let facts = airflow_chart::facts(&req.release, "airflow-database")?;
        let config: Config = req.config()?;
        let ctx = Context::from_values(&facts, req.release.clone(), &req.values);
        let plan = plan(&config, &ctx)?;
        let mut out = Response::new(req.values);
        for s in &plan.secrets {
            out.emit(k8s::secret(
                &s.name,
                &req.release.namespace,
                s.data.iter().map(|(k, v)| (k.as_str(), v.as_bytes())),
            ));
        }
        for (path, value) in plan.set {
            values::set(&mut out.values, &path, value)?;
        }
        for name in &plan.mounts {
            mount_ca(&mut out.values, name)?;
        }
        for (path, message) in plan.warnings {
            out.warning(message, Some(&path));
        }
        Ok(out)
    }
}

export_plugin!(AirflowDatabase);

#[cfg(test)]
mod tests;
