//! The stable diagnostic codes, in one table: a leaf every stage may name (a check's finding,
//! a failed stage) without depending on how findings are located and printed
//! ([`crate::diagnostics`], which sits above the pipeline). `docs/diagnostics.md` lists each
//! with its example and fix; codes never change meaning, and a retired code is never reused.

/// A stable diagnostic code: `HW` and four digits, plus a kebab-case name.
#[derive(Debug, PartialEq, Eq)]
pub struct Code {
    pub id: &'static str,
    pub name: &'static str,
    /// One line: what it means.
    pub summary: &'static str,
    /// What triggers it, as a short example.
    pub example: &'static str,
    /// How to fix it.
    pub fix: &'static str,
}

macro_rules! codes {
    ($($konst:ident = $id:literal $name:literal { $summary:literal, example: $example:literal, fix: $fix:literal })*) => {
        $(pub static $konst: Code = Code { id: $id, name: $name, summary: $summary, example: $example, fix: $fix };)*
        /// Every code, in order.
        pub static CODES: &[&Code] = &[$(&$konst),*];
    };
}

codes! {
    INTERNAL = "HW0001" "internal-error" {
        "helmwasm itself failed (a bug or a broken installation).",
        example: "helmwasm panicked: …",
        fix: "Report it with the command you ran; `-vv` shows more."
    }
    PIPELINE_FILE = "HW0101" "invalid-pipeline-file" {
        "The pipeline file cannot be read: YAML syntax, an unknown field, a wrong type or a broken field rule.",
        example: "helmwasm.yaml:3:5: releases[0]: unknown field `chartt`, expected one of …",
        fix: "Correct the field at the line shown; `docs/helmwasm.schema.json` gives editors completion for every field."
    }
    VALUES = "HW0102" "invalid-values" {
        "A values layer cannot be read: a missing file, bad YAML, a root that is not a map, a template error, or a chart schema that cannot be loaded.",
        example: "values/prod.yaml:4:1: duplicate key `workers`",
        fix: "Correct the file at the line shown, or the path in the pipeline file."
    }
    DANGLING_SECRET = "HW0103" "dangling-secret-reference" {
        "The values or a pod template name a Secret (or a key of one) that no step emits and that is not listed in `existingSecrets`.",
        example: "data.metadataSecretName: references Secret `prod-mydatabase`, which no step emits; fix the name, add a step that creates it, or list it under `existingSecrets` …",
        fix: "Emit it with a step (for example `airflow-database`), correct the name, or list it under the release's `existingSecrets` if it is created outside the pipeline."
    }
    UNRESOLVED_SECRET = "HW0104" "unresolved-secret-reference" {
        "A `ref+…` secret reference is malformed, names an unknown backend, or (when resolved) names nothing.",
        example: "releases[0].steps[5].with.password: `ref+env://DB_PASSWORD`: environment variable `DB_PASSWORD` is not set",
        fix: "Set the variable or create the file; `lint` checks only the shape of references unless `--resolve-secrets` is given."
    }
    SELECTION = "HW0105" "invalid-selection" {
        "The command line selects nothing valid: an unknown environment, a bad selector, a bad `--set`.",
        example: "helmwasm.yaml: environment `staging` is not defined in `environments` (defined: `prod`)",
        fix: "Use a name the pipeline defines; `--set` follows Helm's syntax (`a.b=1,l={x,y}`)."
    }
    PLUGIN_UNAVAILABLE = "HW0106" "plugin-unavailable" {
        "A step names a plugin that no plugin folder provides, or a plugin cannot be loaded.",
        example: "unknown plugin `keda-autoscalling`; did you mean `keda-autoscaling`?",
        fix: "Correct the name (`helmwasm plugins list` shows what is available) or add the folder with `--plugin-dir`."
    }
    STEP_FAILED = "HW0201" "step-failed" {
        "A step failed: the plugin returned an error, its config does not match its schema, or it broke a sandbox limit or the emit policy.",
        example: "release `airflow` step 5 (`git-sync`) failed: `ssh.privateKey` is protected by a passphrase",
        fix: "Read the plugin's message; its README lists the config it takes. Limits are raised per step with `limits:`."
    }
    PLUGIN_WARNING = "HW0202" "plugin-warning" {
        "A plugin returned a warning: the render goes on.",
        example: "`ssh.privateKey` had CRLF line ends (OpenSSH cannot load such a key): emitted with LF",
        fix: "Read the plugin's message; usually the step's config can say what is meant."
    }
    TRUNCATED = "HW0203" "plugin-output-truncated" {
        "A plugin wrote more logs, output or diagnostics than the host keeps; the rest was dropped.",
        example: "dropped 12 more log lines (the limit is 1000 per call)",
        fix: "Ask the plugin's author to log less; the cap protects terminals and CI logs."
    }
    NEEDS_SECRETS = "HW0204" "step-needs-secrets" {
        "`lint` without `--resolve-secrets` gave a step placeholders for its secret references, the step failed on them, and running it again with the placeholders in other shapes did not show the failure to be the step's own: the release was linted without that step, and what the checks found there is reported as warnings.",
        example: "release `airflow` step 3 (`token-plugin`): did not run: it failed on the placeholders lint gives for secret references (…): invalid step config: `token` must start with `tok-`, not 38 characters …",
        fix: "Run `lint --resolve-secrets` where the secrets are available to lint that release fully."
    }
    SCHEMA = "HW0301" "schema-violation" {
        "The final values (chart defaults merged under them) do not match the chart's `values.schema.json`.",
        example: "workers.replicas: \"two\" is not of type \"integer\"",
        fix: "Correct the value where `helmwasm explain PATH` says it was set."
    }
    EMIT_POLICY = "HW0302" "emitted-object-not-allowed" {
        "A step emitted an object the pipeline does not allow: a kind, namespace or cluster-scoped object not granted under `allow:`, or an invalid object.",
        example: "a step may emit only Secrets and ConfigMaps unless the pipeline grants more: add `allow: {kinds: [Role]}` to step 3 if this plugin should create Role objects",
        fix: "Grant it in the step's `allow:` if intended; otherwise the plugin is misbehaving."
    }
    COLLISION = "HW0303" "object-collision" {
        "Two objects of the render have the same kind, namespace and name.",
        example: "Secret `airflow-fernet-key` is also emitted by step 4 (`x`); an object may come from one step only",
        fix: "Rename one, or turn the chart's own object off in the values."
    }
    DANGLING_OBJECT = "HW0304" "dangling-object-reference" {
        "A pod template references a ConfigMap, volume claim or other object that the render does not contain and that is not declared existing.",
        example: "Deployment `airflow-scheduler` (…volumes[2]): ConfigMap `airflow-extra` is not in the render: add a step that emits it, or list it under `existingConfigMaps` …",
        fix: "Emit it, correct the name, or list it under `existingConfigMaps`."
    }
    USER_VALUE_OVERRIDDEN = "HW0305" "user-value-overridden" {
        "A step changed or deleted a key you set in a values file or with `--set`; the step's value is what renders.",
        example: "workers.keda.maxReplicaCount: step 3 (`keda-autoscaling`) replaced your value 20 (set by the command line (--set)) with 10; to keep yours, list `workers.keda.maxReplicaCount` under `userWins`",
        fix: "Drop your value if the step's is right; change the step's config; or list the key under the pipeline's `userWins` to put your value back after the steps."
    }
    DEPRECATED_KEY = "HW0306" "deprecated-key" {
        "A values key that the chart's schema marks deprecated (`deprecated: true`, or a description saying so) was set by a values file, `--set` or a step; the chart's own defaults do not count.",
        example: "workers.resources: is deprecated in chart airflow 1.21.0 (set by values/prod.yaml:4); use `workers.celery.resources` instead (or `workers.kubernetes.resources`)",
        fix: "Move the value to the key the message names; the deprecated one may be dropped by the chart's next major version."
    }
    MOUNTED_KEY_MISSING = "HW0307" "mounted-key-missing" {
        "A container mounts one key of a Secret or ConfigMap by `volumeMounts[].subPath` (or a `subPathExpr` without variables; with `items`, an item's `path`), and the object has no such key. The kubelet mounts an empty folder in its place, and the container fails only if it reads the file: a warning, and an error where the chart's rules say the chart reads that key (git-sync's `gitSshKey`, every Secret key of the Airflow facts). `optional: true` on the volume covers a missing key. A key a chart mounts without always giving it (the Airflow chart's `pod_template_file.yaml`, present only for the Kubernetes executors) is not reported.",
        example: "Secret `airflow-ssh` has no key `gitSshKey` (keys: `sshKey`): the kubelet mounts an empty folder at `/etc/git-secret/ssh` instead (volume `git-sync-ssh-key`, `subPath: gitSshKey`); the chart reads that file, so the container fails (read 8 times, by StatefulSet `airflow-worker` container `git-sync`, …)",
        fix: "Give the object the key the mount names (or correct the `subPath`), or mark the volume `optional: true` if the file may be absent."
    }
    PGBOUNCER_BYPASS = "HW0310" "pgbouncer-bypassed" {
        "PgBouncer is enabled but Airflow connects to the database directly.",
        example: "pgbouncer.enabled: PgBouncer is on (set by values.yaml:3) but Airflow bypasses it: `data.metadataSecretName` is `prod-mydatabase` …",
        fix: "Let the `airflow-database` step (after `pgbouncer`) write the connection, or point it at the PgBouncer service."
    }
    ADMIN_PASSWORD = "HW0311" "weak-admin-password" {
        "The UI admin password, judged by the value that reaches the create-user Job (a literal in the values, or the Secret its env var reads: emitted by a step, or the chart's `extraSecrets`), is the chart's default in any letter case, one of the most common passwords, weak by the zxcvbn estimator (strength below 3 of 4), or shorter than 12 characters. An error behind a LoadBalancer or Ingress, a warning on a cluster-internal Service. The message never shows the password; a Secret made outside the render, or lint's placeholder, is not judged.",
        example: "apiServer.service.type: the UI is exposed by a LoadBalancer (…) while the admin password the create-user Job gets is one of the most common passwords: it comes from Secret `airflow-admin-password` key `password` (emitted by step 10 (`airflow-ui`)) …",
        fix: "Give `airflow-ui` a strong `defaultUser.password` by reference (`ref+env://…`, `ref+file://…`)."
    }
    PARTIAL_USER = "HW0312" "partial-default-user" {
        "`webserver.defaultUser` sets some fields but not the ones the chart needs with them.",
        example: "webserver.defaultUser: `webserver.defaultUser` is set (set by values.yaml:9) but lacks `role`, `email`, `firstName`, `lastName` …",
        fix: "Set the fields together, or let `airflow-ui` write them."
    }
    CONNECTION_URL = "HW0313" "connection-url" {
        "A database connection URL the chart or Celery cannot use (missing `db+`, `postgres://`, `verify-full` without a CA) or a weak setting.",
        example: "data.resultBackendSecretName: Secret `result` holds a result-backend URL with scheme `postgresql`; Celery needs the `db+` prefix (`db+postgresql://…`)",
        fix: "Let `airflow-database` write the connections, or correct the URL as the message says."
    }
    KEDA_SETTING = "HW0314" "keda-setting-without-effect" {
        "A KEDA setting that has no effect with the other settings (for example a cooldown that only applies when scaling to zero).",
        example: "workers.keda.cooldownPeriod: has no effect (set by values/prod.yaml:7): KEDA uses it only to scale down to zero, and `workers.keda.minReplicaCount` is 2",
        fix: "Remove the setting or change the one it depends on."
    }
    LOGS_STORAGE = "HW0315" "logs-on-block-storage" {
        "Task logs are shared by every pod but sit on a block-storage class that mounts on one node only.",
        example: "logs.persistence.storageClassName: `gp3` (set by values.yaml:4) is block storage (EBS), which one node at a time can mount …",
        fix: "Use a shared file system class (EFS) for `logs-persistence`."
    }
    EXECUTOR_REPLACED = "HW0316" "executor-replaced-by-step" {
        "A step replaced the executor a values file or `--set` chose.",
        example: "executor: step 1 (`celery-workers`) replaced the executor \"KubernetesExecutor\" (set by values.yaml:3) with \"CeleryExecutor\"; remove one of the two",
        fix: "Remove one of the two."
    }
    EXTRA_OBJECT_NAME = "HW0317" "invalid-extra-object-name" {
        "A name under `extraSecrets` or `extraConfigMaps` is not a valid Kubernetes object name.",
        example: "extraSecrets.Airflow_Connections: `Airflow_Connections` is not a valid object name (RFC 1123 subdomain …); did you mean `airflow-connections`?",
        fix: "Use lowercase letters, digits, `-` and `.`."
    }
    AIRFLOW2_ONLY = "HW0318" "key-ignored-by-airflow-version" {
        "A `webserver` key that only Airflow 2 reads is set on a release that runs Airflow 3, where the chart renders the UI from `apiServer` and ignores it.",
        example: "webserver.service.type: has no effect on Airflow 3 (set by values/prod.yaml:9): the chart renders the UI from `apiServer` for Airflow 3 and reads `webserver.service` only for Airflow 2; set `apiServer.service.type` instead",
        fix: "Set the `apiServer` key the message names (or use the `airflow-ui` step), and remove the `webserver` one."
    }
    ADMIN_USER_SHADOWED = "HW0319" "admin-user-shadowed" {
        "Values set `webserver.defaultUser` while a step set the admin user under `createUserJob.defaultUser`: charts 1.19 to 1.21 take every field of the create-user Job from `webserver.defaultUser` when it is set, so the step's user is ignored. Both are named with where they were set.",
        example: "webserver.defaultUser: the chart takes the admin user from `webserver.defaultUser` (set by values/airflow.yaml:7), not from `createUserJob.defaultUser`, whose `username`, `email` step 10 (`airflow-ui`) set …",
        fix: "Remove `webserver.defaultUser` from the values, or drop the user from the step."
    }
    CHART_NOT_RENDERED = "HW0401" "chart-not-rendered" {
        "The chart could not be rendered (not fetched offline, or no helm): only the values and the emitted manifests were produced. An error under `--strict`.",
        example: "chart not rendered, values and emitted manifests only: helm was not found on PATH",
        fix: "Install helm (or pass `--helm`), and allow network access once to cache the chart."
    }
    CHART_UNAVAILABLE = "HW0402" "chart-unavailable" {
        "The chart reference cannot be used: an unknown repository, a version that does not exist, a digest mismatch, an unreadable archive.",
        example: "release `airflow`: cannot use chart `apache-airflow/airflow`: chart `airflow` version `9.9.9` is not in the repository https://airflow.apache.org (versions: 1.19.0, …)",
        fix: "Correct `chart:` / `version:` or the repository URL."
    }
    HELM_FAILED = "HW0403" "helm-template-failed" {
        "`helm template` of the chart with the final values failed, or printed something that is not YAML.",
        example: "release `airflow`: `helm template` of chart airflow 1.19.0 failed (helm v4.1.4): … execution error …",
        fix: "The message is helm's; `helmwasm explain` shows where the offending value came from."
    }
    CHART_FACTS = "HW0404" "chart-facts-do-not-hold" {
        "helmwasm has rules for this chart, but not for its version (another major version, or older than its facts), or the chart contradicts a fact the rules and plugins use: a key moved or removed, a Secret key no template reads. Checked before the first step.",
        example: "release `airflow`: the Airflow chart facts (written for chart 1.21, tested with 1.21.0) do not hold for chart airflow 1.22.0:\n- fact `workers.keda.enabled`: key `workers.celery.keda.enabled` is not in the chart's values.schema.json",
        fix: "Pin the chart to a version the facts cover (`helmwasm plugins list` says which), or wait for facts for the new version."
    }
    CHART_FACTS_UNVERIFIED = "HW0405" "chart-newer-than-facts" {
        "The chart is newer than the chart facts helmwasm has (a later minor version): they held when checked against its values.yaml, values.schema.json and templates, so they are used, but a change they do not cover would go unnoticed. (Without the chart, a values-only render says in its chart-not-rendered note that the facts, chosen by the pipeline's `version`, could not be verified.)",
        example: "chart: chart airflow 1.22.0 is newer than the Airflow chart facts helmwasm has, written for 1.21 (tested with 1.21.0); they hold for this chart's values.yaml, values.schema.json and templates, so they are used, …",
        fix: "Nothing, if the render is right; to silence it, pin a tested version (`helmwasm plugins list` says which)."
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_well_formed_and_in_order() {
        let mut ids: Vec<&str> = CODES.iter().map(|c| c.id).collect();
        let sorted = {
            let mut s = ids.clone();
            s.sort();
            s
        };
        assert_eq!(ids, sorted, "CODES is listed in code order");
        ids.dedup();
        assert_eq!(ids.len(), CODES.len(), "a code is listed twice");
        let mut names: Vec<&str> = CODES.iter().map(|c| c.name).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), CODES.len(), "a name is listed twice");
        for c in CODES {
            assert!(
                c.id.len() == 6
                    && c.id.starts_with("HW")
                    && c.id[2..].bytes().all(|b| b.is_ascii_digit()),
                "{}",
                c.id
            );
            assert!(
                c.name.bytes().all(|b| b.is_ascii_lowercase() || b == b'-'),
                "{}",
                c.name
            );
            assert!(!c.summary.is_empty() && !c.example.is_empty() && !c.fix.is_empty());
        }
    }
}
