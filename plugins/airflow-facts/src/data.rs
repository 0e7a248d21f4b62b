//! The facts themselves, each written once: a key's paths from the line where the chart
//! introduced them, overridden only from the line where the chart changed them.
//!
//! Checked against each chart (1.19.0, 1.20.0, 1.21.0) by the host's `chart_facts` tests, and
//! on every run against the release's resolved chart before the first step.

use super::{Key, Kind, Line, SecretRef};

const L19: Line = Line(1, 19);
const L20: Line = Line(1, 20);
const L21: Line = Line(1, 21);

/// A value that changed between lines: the last entry at or before `line`.
pub(crate) fn since<T: Copy>(table: &[(Line, T)], line: Line) -> T {
    table
        .iter()
        .rev()
        .find(|(l, _)| *l <= line)
        .map(|(_, t)| *t)
        .unwrap_or(table[0].1)
}

/// `airflowVersion` default (`values.yaml`; also `appVersion`).
pub(crate) const DEFAULT_AIRFLOW_VERSION: &[(Line, &str)] =
    &[(L19, "3.1.7"), (L20, "3.1.8"), (L21, "3.2.0")];

/// The JWT secret the chart generates: `randAlphaNum 32`, from 1.21 `randAlphaNum 128`
/// (`templates/secrets/jwt-secret.yaml`).
pub(crate) const JWT_SECRET_LENGTH: &[(Line, usize)] = &[(L19, 32), (L21, 128)];

/// A key read from one path on every line.
macro_rules! key {
    ($name:literal, $kind:ident) => {
        Key {
            name: $name,
            kind: Kind::$kind,
            since: &[(L19, &[$name])],
        }
    };
}

/// Every key the plugins and the host's Airflow rules use.
pub const KEYS: &[Key] = &[
    key!("executor", Str),
    key!("airflowVersion", Str),
    key!("useStandardNaming", Bool),
    key!("airflowPodAnnotations", Map),
    key!("extraSecrets", Map),
    key!("extraConfigMaps", Map),
    key!("config.celery.worker_concurrency", Int),
    // Celery workers: 1.19 already reads `workers.celery.{replicas,persistence}` first; 1.20
    // moves resources, grace period, KEDA and the Kerberos containers; 1.21 the log groomer
    // and the HPA.
    Key {
        name: "workers.replicas",
        kind: Kind::Int,
        since: &[(L19, &["workers.celery.replicas", "workers.replicas"])],
    },
    Key {
        name: "workers.persistence.enabled",
        kind: Kind::Bool,
        since: &[(
            L19,
            &[
                "workers.celery.persistence.enabled",
                "workers.persistence.enabled",
            ],
        )],
    },
    Key {
        name: "workers.resources",
        kind: Kind::Map,
        since: &[
            (L19, &["workers.resources"]),
            (L20, &["workers.celery.resources", "workers.resources"]),
        ],
    },
    Key {
        name: "workers.terminationGracePeriodSeconds",
        kind: Kind::Int,
        since: &[
            (L19, &["workers.terminationGracePeriodSeconds"]),
            (
                L20,
                &[
                    "workers.celery.terminationGracePeriodSeconds",
                    "workers.terminationGracePeriodSeconds",
                ],
            ),
        ],
    },
    Key {
        name: "workers.kerberosSidecar.resources",
        kind: Kind::Map,
        since: &[
            (L19, &["workers.kerberosSidecar.resources"]),
            (
                L20,
                &[
                    "workers.celery.kerberosSidecar.resources",
                    "workers.kerberosSidecar.resources",
                ],
            ),
        ],
    },
    Key {
        name: "workers.kerberosInitContainer.resources",
        kind: Kind::Map,
        since: &[
            (L19, &["workers.kerberosInitContainer.resources"]),
            (
                L20,
                &[
                    "workers.celery.kerberosInitContainer.resources",
                    "workers.kerberosInitContainer.resources",
                ],
            ),
        ],
    },
    Key {
        name: "workers.logGroomerSidecar.resources",
        kind: Kind::Map,
        since: &[
            (L19, &["workers.logGroomerSidecar.resources"]),
            (
                L21,
                &[
                    "workers.celery.logGroomerSidecar.resources",
                    "workers.logGroomerSidecar.resources",
                ],
            ),
        ],
    },
    Key {
        name: "workers.hpa.enabled",
        kind: Kind::Bool,
        since: &[
            (L19, &["workers.hpa.enabled"]),
            (L21, &["workers.celery.hpa.enabled", "workers.hpa.enabled"]),
        ],
    },
    Key {
        name: "workers.keda.enabled",
        kind: Kind::Bool,
        since: &[
            (L19, &["workers.keda.enabled"]),
            (
                L20,
                &["workers.celery.keda.enabled", "workers.keda.enabled"],
            ),
        ],
    },
    Key {
        name: "workers.keda.minReplicaCount",
        kind: Kind::Int,
        since: &[
            (L19, &["workers.keda.minReplicaCount"]),
            (
                L20,
                &[
                    "workers.celery.keda.minReplicaCount",
                    "workers.keda.minReplicaCount",
                ],
            ),
        ],
    },
    Key {
        name: "workers.keda.maxReplicaCount",
        kind: Kind::Int,
        since: &[
            (L19, &["workers.keda.maxReplicaCount"]),
            (
                L20,
                &[
                    "workers.celery.keda.maxReplicaCount",
                    "workers.keda.maxReplicaCount",
                ],
            ),
        ],
    },
    Key {
        name: "workers.keda.pollingInterval",
        kind: Kind::Int,
        since: &[
            (L19, &["workers.keda.pollingInterval"]),
            (
                L20,
                &[
                    "workers.celery.keda.pollingInterval",
                    "workers.keda.pollingInterval",
                ],
            ),
        ],
    },
    Key {
        name: "workers.keda.cooldownPeriod",
        kind: Kind::Int,
        since: &[
            (L19, &["workers.keda.cooldownPeriod"]),
            (
                L20,
                &[
                    "workers.celery.keda.cooldownPeriod",
                    "workers.keda.cooldownPeriod",
                ],
            ),
        ],
    },
    Key {
        name: "workers.keda.usePgbouncer",
        kind: Kind::Bool,
        since: &[
            (L19, &["workers.keda.usePgbouncer"]),
            (
                L20,
                &[
                    "workers.celery.keda.usePgbouncer",
                    "workers.keda.usePgbouncer",
                ],
            ),
        ],
    },
    // Resources of the other components (the same path on every line).
    key!("scheduler.resources", Map),
    key!("scheduler.logGroomerSidecar.resources", Map),
    key!("triggerer.resources", Map),
    key!("triggerer.logGroomerSidecar.resources", Map),
    key!("dagProcessor.resources", Map),
    key!("dagProcessor.logGroomerSidecar.resources", Map),
    key!("createUserJob.resources", Map),
    key!("migrateDatabaseJob.resources", Map),
    key!("apiServer.resources", Map),
    key!("webserver.resources", Map),
    key!("flower.resources", Map),
    key!("statsd.resources", Map),
    key!("pgbouncer.resources", Map),
    key!("pgbouncer.metricsExporterSidecar.resources", Map),
    key!("redis.resources", Map),
    key!("cleanup.resources", Map),
    key!("databaseCleanup.resources", Map),
    key!("dags.gitSync.resources", Map),
    // PgBouncer.
    key!("pgbouncer.enabled", Bool),
    key!("pgbouncer.podAnnotations", Map),
    key!("pgbouncer.configSecretName", Str),
    key!("pgbouncer.metricsExporterSidecar.statsSecretName", Str),
    key!("pgbouncer.maxClientConn", Int),
    key!("pgbouncer.metadataPoolSize", Int),
    key!("pgbouncer.resultBackendPoolSize", Int),
    key!("pgbouncer.sslmode", Str),
    // Redis.
    key!("redis.enabled", Bool),
    key!("redis.podAnnotations", Map),
    key!("redis.passwordSecretName", Str),
    // Task logs.
    key!("logs.persistence.enabled", Bool),
    key!("logs.persistence.size", Str),
    key!("logs.persistence.storageClassName", Str),
    key!("logs.persistence.existingClaim", Str),
    key!("logs.persistence.subPath", Str),
    // DAGs through git-sync.
    key!("dags.gitSync.enabled", Bool),
    key!("dags.gitSync.repo", Str),
    key!("dags.gitSync.sshKeySecret", Str),
    key!("dags.gitSync.sshKey", Str),
    key!("dags.gitSync.knownHosts", Str),
    key!("dags.gitSync.credentialsSecret", Str),
    // Connections and keys by Secret name.
    key!("data.metadataSecretName", Str),
    key!("data.resultBackendSecretName", Str),
    key!("data.brokerUrlSecretName", Str),
    key!("fernetKeySecretName", Str),
    key!("webserverSecretKeySecretName", Str),
    key!("apiSecretKeySecretName", Str),
    key!("jwtSecretName", Str),
    // The UI and its user: `apiServer` on Airflow 3, `webserver` on Airflow 2.
    key!("apiServer.enabled", Bool),
    key!("apiServer.service.type", Str),
    key!("apiServer.service.loadBalancerSourceRanges", List),
    key!("apiServer.service.annotations", Map),
    key!("webserver.service.type", Str),
    key!("webserver.service.loadBalancerSourceRanges", List),
    key!("webserver.service.annotations", Map),
    key!("webserver.defaultUser", Map),
    key!("createUserJob.defaultUser", Map),
    key!("createUserJob.args", List),
    key!("createUserJob.env", List),
    key!("createUserJob.useHelmHooks", Bool),
    key!("createUserJob.applyCustomEnv", Bool),
    key!("migrateDatabaseJob.useHelmHooks", Bool),
    key!("migrateDatabaseJob.applyCustomEnv", Bool),
    key!("migrateDatabaseJob.jobAnnotations", Map),
    key!("ingress.apiServer.enabled", Bool),
    key!("ingress.web.enabled", Bool),
];

/// Secrets the chart reads by name from values, and the keys it reads from each.
pub const SECRET_REFS: &[SecretRef] = &[
    SecretRef {
        key: "data.metadataSecretName",
        data_keys: &["connection"],
    },
    SecretRef {
        key: "data.resultBackendSecretName",
        data_keys: &["connection"],
    },
    SecretRef {
        key: "data.brokerUrlSecretName",
        data_keys: &["connection"],
    },
    SecretRef {
        key: "dags.gitSync.sshKeySecret",
        data_keys: &["gitSshKey"],
    },
    SecretRef {
        key: "dags.gitSync.credentialsSecret",
        data_keys: &[
            "GIT_SYNC_USERNAME",
            "GIT_SYNC_PASSWORD",
            "GITSYNC_USERNAME",
            "GITSYNC_PASSWORD",
        ],
    },
    SecretRef {
        key: "fernetKeySecretName",
        data_keys: &["fernet-key"],
    },
    SecretRef {
        key: "webserverSecretKeySecretName",
        data_keys: &["webserver-secret-key"],
    },
    SecretRef {
        key: "apiSecretKeySecretName",
        data_keys: &["api-secret-key"],
    },
    SecretRef {
        key: "jwtSecretName",
        data_keys: &["jwt-secret"],
    },
    SecretRef {
        key: "redis.passwordSecretName",
        data_keys: &["password"],
    },
    SecretRef {
        key: "pgbouncer.configSecretName",
        data_keys: &["pgbouncer.ini", "users.txt"],
    },
    SecretRef {
        key: "pgbouncer.metricsExporterSidecar.statsSecretName",
        data_keys: &["connection"],
    },
];

/// The components that take a `resources` block, by logical name; `{name}.resources` is a
/// [`KEYS`] entry.
pub(crate) const COMPONENTS: &[&str] = &[
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

/// `webserver` keys the chart reads only in `templates/webserver/`, which it renders for
/// Airflow 2 alone, with the `apiServer` key that takes effect on Airflow 3.
pub const AIRFLOW2_ONLY: &[(&str, &str)] = &[
    ("webserver.service", "apiServer.service"),
    ("webserver.replicas", "apiServer.replicas"),
    ("webserver.resources", "apiServer.resources"),
    ("webserver.hpa", "apiServer.hpa"),
    (
        "webserver.podDisruptionBudget",
        "apiServer.podDisruptionBudget",
    ),
    ("webserver.livenessProbe", "apiServer.livenessProbe"),
    ("webserver.readinessProbe", "apiServer.readinessProbe"),
    ("webserver.startupProbe", "apiServer.startupProbe"),
    ("webserver.nodeSelector", "apiServer.nodeSelector"),
    ("webserver.affinity", "apiServer.affinity"),
    ("webserver.tolerations", "apiServer.tolerations"),
];

/// Block-storage classes (one node at a time) that cannot hold the shared task logs.
/// Keys the chart mounts by `subPath` from an object it does not always give them: (kind, key).
/// The scheduler and the UI mount `pod_template_file.yaml` from the chart's config ConfigMap
/// for every executor, and the ConfigMap holds it only for the Kubernetes executors; the
/// kubelet then mounts an empty folder, which nothing reads. Checked by the host against the
/// chart (`subPath: pod_template_file.yaml` in templates/).
pub const SOMETIMES_MOUNTED: &[(&str, &str)] = &[("ConfigMap", "pod_template_file.yaml")];

pub const BLOCK_STORAGE_CLASSES: &[&str] =
    &["gp2", "gp3", "io1", "io2", "sc1", "st1", "standard-rwo"];

/// The 81 top-level keys of the chart's `values.yaml` (the same names on 1.19, 1.20 and 1.21).
pub(crate) const TOP_LEVEL_KEYS: &[&str] = &[
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
