//! Facts about the official Apache Airflow Helm chart (`apache-airflow/airflow`), versioned:
//! the one place both the host's Airflow rules (`host/src/checks/`) and the `airflow-*` plugins
//! read them from, so no table is kept twice. No dependencies: it builds for the host and for
//! `wasm32-wasip2` alike.
//!
//! Every fact is about chart 1.19.x and was checked with real helm v4.1.4 and chart 1.19.0
//! (`../shared/AIRFLOW.md`, section 7).

/// The chart line these facts describe.
pub const SUPPORTED: &str = "1.19.x";
/// The chart's `Chart.yaml` name (Bitnami's chart has the same name, another home).
pub const NAME: &str = "airflow";
/// The chart's `Chart.yaml` home page and official repository URL.
pub const HOME: &str = "https://airflow.apache.org";
/// The chart's `Chart.yaml` source.
pub const SOURCE: &str = "https://github.com/apache/airflow";

/// Whether `version` (`1.19.0`, `v1.19.2-rc1`) is in the supported line.
pub fn supports(version: &str) -> bool {
    major_minor(version) == Some((1, 19))
}

/// `(major, minor)` of a version such as `1.19.0` or `v1.19.2-rc1`.
pub fn major_minor(version: &str) -> Option<(u64, u64)> {
    let v = version.trim().trim_start_matches('v');
    let mut parts = v.split(['.', '-', '+']);
    let major = parts.next()?.parse().ok()?;
    let minor = parts.next()?.parse().ok()?;
    Some((major, minor))
}

/// `executor` default (`values.yaml:379`).
pub const DEFAULT_EXECUTOR: &str = "CeleryExecutor";
/// `airflowVersion` default (`values.yaml:77`).
pub const DEFAULT_AIRFLOW_VERSION: &str = "3.1.7";
/// `ports.pgbouncer` default.
pub const PGBOUNCER_PORT: u16 = 6543;
/// `createUserJob.defaultUser.password` default.
pub const DEFAULT_ADMIN_PASSWORD: &str = "admin";

/// Secrets the chart reads by name from values, and the keys it reads from each.
pub const SECRET_REFS: &[(&str, &[&str])] = &[
    ("data.metadataSecretName", &["connection"]),
    ("data.resultBackendSecretName", &["connection"]),
    ("data.brokerUrlSecretName", &["connection"]),
    ("dags.gitSync.sshKeySecret", &["gitSshKey"]),
    (
        "dags.gitSync.credentialsSecret",
        &[
            "GIT_SYNC_USERNAME",
            "GIT_SYNC_PASSWORD",
            "GITSYNC_USERNAME",
            "GITSYNC_PASSWORD",
        ],
    ),
    ("fernetKeySecretName", &["fernet-key"]),
    ("webserverSecretKeySecretName", &["webserver-secret-key"]),
    ("apiSecretKeySecretName", &["api-secret-key"]),
    ("jwtSecretName", &["jwt-secret"]),
    ("redis.passwordSecretName", &["password"]),
    (
        "pgbouncer.configSecretName",
        &["pgbouncer.ini", "users.txt"],
    ),
    (
        "pgbouncer.metricsExporterSidecar.statsSecretName",
        &["connection"],
    ),
];

/// The first key the chart reads from the Secret named at `value_path` (a [`SECRET_REFS`]
/// path), e.g. `fernetKeySecretName` → `fernet-key`.
pub fn secret_key(value_path: &str) -> &'static str {
    SECRET_REFS
        .iter()
        .find(|(p, _)| *p == value_path)
        .and_then(|(_, keys)| keys.first().copied())
        .unwrap_or_else(|| panic!("`{value_path}` is not in SECRET_REFS"))
}

/// Where the chart takes extra pod-template annotations: every Airflow pod, PgBouncer, Redis.
pub const POD_ANNOTATIONS: &[&str] = &[
    "airflowPodAnnotations",
    "pgbouncer.podAnnotations",
    "redis.podAnnotations",
];

/// Block-storage classes (one node at a time) that cannot hold the shared task logs.
pub const BLOCK_STORAGE_CLASSES: &[&str] =
    &["gp2", "gp3", "io1", "io2", "sc1", "st1", "standard-rwo"];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_and_keys() {
        assert!(supports("1.19.0") && supports("v1.19.2-rc1"));
        assert!(!supports("1.18.0") && !supports("25.0.2") && !supports("x"));
        assert_eq!(secret_key("fernetKeySecretName"), "fernet-key");
        assert_eq!(secret_key("redis.passwordSecretName"), "password");
    }
}
