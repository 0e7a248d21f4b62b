//! PgBouncer's own config for an external database, mirroring the chart's
//! `pgbouncer-config-secret.yaml` template but built from the step config instead of
//! `data.metadataConnection`.

use crate::Config;
use airflow_chart::PGBOUNCER_PORT;
use helmwasm_plugin_sdk::{Release, Value, values};

/// The PgBouncer values the config depends on, with the chart 1.19 defaults.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    pub metadata_pool_size: u64,
    pub result_backend_pool_size: u64,
    pub max_client_conn: u64,
    pub auth_type: String,
    pub auth_file: String,
    pub sslmode: String,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            metadata_pool_size: 10,
            result_backend_pool_size: 5,
            max_client_conn: 100,
            auth_type: "scram-sha-256".into(),
            auth_file: "/etc/pgbouncer/users.txt".into(),
            sslmode: "prefer".into(),
        }
    }
}

impl Settings {
    pub fn from_values(v: &Value) -> Settings {
        let d = Settings::default();
        let num = |p: &str, dflt: u64| values::get(v, p).and_then(Value::as_u64).unwrap_or(dflt);
        let text = |p: &str, dflt: &str| values::get_str(v, p).unwrap_or(dflt).to_owned();
        Settings {
            metadata_pool_size: num("pgbouncer.metadataPoolSize", d.metadata_pool_size),
            result_backend_pool_size: num(
                "pgbouncer.resultBackendPoolSize",
                d.result_backend_pool_size,
            ),
            max_client_conn: num("pgbouncer.maxClientConn", d.max_client_conn),
            auth_type: text("pgbouncer.auth_type", &d.auth_type),
            auth_file: text("pgbouncer.auth_file", &d.auth_file),
            sslmode: text("pgbouncer.sslmode", &d.sslmode),
        }
    }
}

/// `pgbouncer.ini`: the two logical databases the chart's Airflow connects to
/// (`RELEASE-metadata`, `RELEASE-result-backend`) mapped onto the real database.
pub fn ini(c: &Config, r: &Release, s: &Settings) -> String {
    let tls = c.sslmode.as_deref().unwrap_or(&s.sslmode);
    format!(
        "[databases]\n\
         {rel}-metadata = host={host} dbname={db} port={port} pool_size={mp}\n\
         {rel}-result-backend = host={host} dbname={db} port={port} pool_size={rp}\n\
         \n\
         [pgbouncer]\n\
         pool_mode = transaction\n\
         listen_port = {listen}\n\
         listen_addr = *\n\
         auth_type = {auth_type}\n\
         auth_file = {auth_file}\n\
         stats_users = {user}\n\
         ignore_startup_parameters = extra_float_digits\n\
         max_client_conn = {max_conn}\n\
         verbose = 0\n\
         log_disconnections = 0\n\
         log_connections = 0\n\
         \n\
         server_tls_sslmode = {tls}\n\
         server_tls_ciphers = normal\n{ca}",
        ca = if c.sslrootcert.is_some() {
            format!("server_tls_ca_file = {}\n", crate::PGBOUNCER_CA_FILE)
        } else {
            String::new()
        },
        rel = r.name,
        host = c.host,
        db = c.database,
        port = c.port,
        mp = s.metadata_pool_size,
        rp = s.result_backend_pool_size,
        listen = PGBOUNCER_PORT,
        auth_type = s.auth_type,
        auth_file = s.auth_file,
        user = c.user,
        max_conn = s.max_client_conn,
    )
}

/// `users.txt`: `"user" "password"`, a `"` inside doubled as PgBouncer's auth file wants.
pub fn users_txt(user: &str, password: &str) -> String {
    format!(
        "\"{}\" \"{}\"\n",
        user.replace('"', "\"\""),
        password.replace('"', "\"\"")
    )
}
