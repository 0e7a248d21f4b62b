//! Checks over a release's final render, after its last step.
//!
//! 1. **Chart schema**: when the release names its chart's `values.schema.json` (or a chart
//!    directory), the coalesced values — chart defaults under the rendered values, as Helm
//!    does — are validated offline with the `jsonschema` crate. Every error is reported with
//!    its values path.
//! 2. **Cross-checks the schema cannot make**: every manifest name is a valid RFC 1123 name; no
//!    two steps emit the same object; and for the Apache Airflow chart, every Secret the
//!    values reference is emitted by a step, created by the chart (`extraSecrets`) or declared
//!    in `existingSecrets`, and each emitted one has the keys the chart reads from it.

use crate::execute::ReleaseRender;
use crate::plan::{ChartSchema, ReleasePlan};
use crate::values;
use serde_json::{Map, Value};
use std::collections::{BTreeMap, BTreeSet};

/// One finding, with the values path or manifest it is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub at: String,
    pub message: String,
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.at, self.message)
    }
}

/// Chart defaults under the rendered values (`null` in the values deletes a default).
pub fn coalesce(defaults: &Map<String, Value>, rendered: &Value) -> Value {
    let mut out = defaults.clone();
    if let Value::Object(r) = rendered {
        values::coalesce(&mut out, r.clone());
    }
    Value::Object(out)
}

/// Validate the coalesced values against the chart schema.
pub fn schema(chart: &ChartSchema, coalesced: &Value) -> Result<Vec<Problem>, String> {
    let validator = jsonschema::options().build(&chart.schema).map_err(|e| {
        format!(
            "{}: not a usable JSON Schema: {e}",
            chart.schema_file.display()
        )
    })?;
    let mut problems: Vec<Problem> = validator
        .iter_errors(coalesced)
        .map(|e| {
            let at = values_path(&e.instance_path().to_string());
            let mut message = e.to_string();
            if let Some(hint) = placeholder_hint(e.instance()) {
                message.push_str(&hint);
            }
            Problem { at, message }
        })
        .collect();
    problems.sort_by(|a, b| a.at.cmp(&b.at).then(a.message.cmp(&b.message)));
    problems.dedup();
    Ok(problems)
}

/// `{git_repo}` unquoted in YAML is the map `{git_repo: null}`: say so.
fn placeholder_hint(instance: &Value) -> Option<String> {
    let map = instance.as_object()?;
    if map.len() == 1 && map.values().all(Value::is_null) {
        let key = map.keys().next()?;
        return Some(format!(
            "; hint: YAML reads an unquoted `{{{key}}}` as a map — quote it (`\"{{{key}}}\"`) or replace the placeholder with a real value"
        ));
    }
    None
}

/// `/dags/gitSync/repo` → `dags.gitSync.repo`; `/a/0` → `a[0]`; the root is `(root)`.
pub fn values_path(pointer: &str) -> String {
    let mut out = String::new();
    for seg in pointer.split('/').skip(1) {
        let seg = seg.replace("~1", "/").replace("~0", "~");
        if !seg.is_empty() && seg.chars().all(|c| c.is_ascii_digit()) {
            out.push_str(&format!("[{seg}]"));
        } else {
            if !out.is_empty() {
                out.push('.');
            }
            out.push_str(&seg.replace('.', "\\."));
        }
    }
    if out.is_empty() {
        "(root)".to_owned()
    } else {
        out
    }
}

/// The generic checks: valid names, no object emitted twice.
pub fn manifests(render: &ReleaseRender) -> Vec<Problem> {
    let mut problems = Vec::new();
    let mut seen: BTreeMap<(String, String, String, String), (usize, String)> = BTreeMap::new();
    for (i, m) in render.manifests.iter().enumerate() {
        let o = &m.object;
        let kind = o["kind"].as_str().unwrap_or_default().to_owned();
        let name = o["metadata"]["name"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        let namespace = o["metadata"]["namespace"]
            .as_str()
            .unwrap_or(&render.namespace)
            .to_owned();
        let at = format!(
            "manifest {} ({kind} `{name}`, step {} `{}`)",
            i + 1,
            m.step,
            m.plugin
        );
        if let Err(msg) = check_subdomain(&name) {
            problems.push(Problem {
                at: at.clone(),
                message: msg,
            });
        }
        let key = (
            o["apiVersion"].as_str().unwrap_or_default().to_owned(),
            kind.clone(),
            namespace,
            name.clone(),
        );
        if let Some((step, plugin)) = seen.insert(key, (m.step, m.plugin.clone())) {
            problems.push(Problem {
                at,
                message: format!("{kind} `{name}` is also emitted by step {step} (`{plugin}`); an object may come from one step only"),
            });
        }
    }
    problems
}

fn check_subdomain(name: &str) -> Result<(), String> {
    let alnum = |c: Option<char>| c.is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
    let ok = !name.is_empty()
        && name.len() <= 253
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '.')
        && name
            .split('.')
            .all(|p| alnum(p.chars().next()) && alnum(p.chars().last()));
    if ok {
        Ok(())
    } else {
        Err(format!(
            "`{name}` is not a valid object name (RFC 1123 subdomain: lowercase letters, digits, `-`, `.`)"
        ))
    }
}

/// Secrets the Apache Airflow chart (1.19) reads by name from values, and the keys it reads.
const AIRFLOW_SECRET_REFS: &[(&str, &[&str])] = &[
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

/// True for the Apache Airflow chart (`apache-airflow/airflow`, `oci://…/airflow`, `./airflow`).
pub fn is_airflow_chart(chart: &str) -> bool {
    chart.trim_end_matches('/').rsplit('/').next() == Some("airflow")
}

/// The `connection` value of a Secret the render defines: emitted by a step (`data` base64 or
/// `stringData`) or created by the chart from `extraSecrets` (`data`/`stringData` are one YAML
/// string of `key: value` lines).
fn connection_of(render: &ReleaseRender, coalesced: &Value, name: &str) -> Option<String> {
    use base64::Engine as _;
    let b64 = |s: &str| {
        base64::engine::general_purpose::STANDARD
            .decode(s.trim())
            .ok()
            .and_then(|b| String::from_utf8(b).ok())
    };
    for m in &render.manifests {
        let o = &m.object;
        if o["kind"] == "Secret" && o["metadata"]["name"] == name {
            if let Some(v) = o["data"]["connection"].as_str() {
                return b64(v);
            }
            if let Some(v) = o["stringData"]["connection"].as_str() {
                return Some(v.to_owned());
            }
        }
    }
    let extra = &coalesced["extraSecrets"][name];
    for (field, encoded) in [("stringData", false), ("data", true)] {
        if let Some(block) = extra[field].as_str() {
            let line = block
                .lines()
                .find_map(|l| l.trim().strip_prefix("connection:"))?;
            let v = line.trim().trim_matches(['\'', '"']).to_owned();
            return if encoded { b64(&v) } else { Some(v) };
        }
    }
    None
}

/// The scheme part of a URL, for messages that must not show credentials.
fn scheme(url: &str) -> &str {
    url.split_once("://").map_or("(no scheme)", |(s, _)| s)
}

/// The result backend URL must start with `db+`, the metadata URL must not.
fn db_plus_rules(render: &ReleaseRender, coalesced: &Value) -> Vec<Problem> {
    let mut problems = Vec::new();
    let rules = [
        ("data.metadataSecretName", false),
        ("data.resultBackendSecretName", true),
    ];
    for (path, wants_db_plus) in rules {
        let Some(name) = values::get(coalesced, path).and_then(Value::as_str) else {
            continue;
        };
        let Some(url) = connection_of(render, coalesced, name) else {
            continue;
        };
        let has = url.starts_with("db+");
        if has != wants_db_plus {
            let message = if wants_db_plus {
                format!(
                    "Secret `{name}` holds a result-backend URL with scheme `{}`; Celery needs the `db+` prefix (`db+postgresql://…`)",
                    scheme(&url)
                )
            } else {
                format!(
                    "Secret `{name}` holds a metadata URL with scheme `{}`; the metadata connection must not have the `db+` prefix (that is for the Celery result backend only)",
                    scheme(&url)
                )
            };
            problems.push(Problem {
                at: path.to_owned(),
                message,
            });
        }
    }
    problems
}

/// Secret references of the Airflow chart: emitted, chart-created or declared, with their keys.
pub fn airflow_secrets(
    release: &ReleasePlan,
    render: &ReleaseRender,
    coalesced: &Value,
) -> Vec<Problem> {
    let mut emitted: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for m in &render.manifests {
        let o = &m.object;
        let ns = o["metadata"]["namespace"]
            .as_str()
            .unwrap_or(&render.namespace);
        if o["kind"] == "Secret" && o["apiVersion"] == "v1" && ns == render.namespace {
            let keys = ["data", "stringData"]
                .iter()
                .filter_map(|f| o[*f].as_object())
                .flat_map(|d| d.keys().map(String::as_str));
            emitted
                .entry(o["metadata"]["name"].as_str().unwrap_or_default())
                .or_default()
                .extend(keys);
        }
    }
    let chart_created: BTreeSet<&str> = coalesced["extraSecrets"]
        .as_object()
        .map(|m| m.keys().map(String::as_str).collect())
        .unwrap_or_default();
    let declared: BTreeSet<&str> = release
        .existing_secrets
        .iter()
        .map(String::as_str)
        .collect();

    let mut refs: Vec<(String, Vec<&str>)> = AIRFLOW_SECRET_REFS
        .iter()
        .map(|(p, k)| (p.to_string(), k.to_vec()))
        .collect();
    // The chart creates the SSH key Secret itself from an inline `sshKey`.
    if values::get(coalesced, "dags.gitSync.sshKey")
        .is_some_and(|v| v.as_str().is_some_and(|s| !s.is_empty()))
    {
        refs.retain(|(p, _)| p != "dags.gitSync.sshKeySecret");
    }
    // KEDA reads `kedaConnection` from the metadata Secret when it bypasses PgBouncer.
    let on = |p: &str, default: bool| {
        values::get(coalesced, p)
            .and_then(Value::as_bool)
            .unwrap_or(default)
    };
    if on("workers.keda.enabled", false)
        && on("pgbouncer.enabled", false)
        && !on("workers.keda.usePgbouncer", true)
    {
        refs[0].1.push("kedaConnection");
    }

    let mut problems = db_plus_rules(render, coalesced);
    for (path, keys) in refs {
        let Some(name) = values::get(coalesced, &path)
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
        else {
            continue;
        };
        if let Some(have) = emitted.get(name) {
            let missing: Vec<&str> = keys.iter().copied().filter(|k| !have.contains(k)).collect();
            if !missing.is_empty() {
                problems.push(Problem {
                    at: path,
                    message: format!(
                        "Secret `{name}` has no key{} {}, which the chart reads from it",
                        if missing.len() == 1 { "" } else { "s" },
                        missing
                            .iter()
                            .map(|k| format!("`{k}`"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                });
            }
        } else if !chart_created.contains(name) && !declared.contains(name) {
            let known: Vec<&str> = emitted
                .keys()
                .chain(&chart_created)
                .chain(&declared)
                .copied()
                .collect();
            let closest = known
                .iter()
                .filter(|k| {
                    strsim::damerau_levenshtein(name, k) <= 3
                        || strsim::jaro_winkler(name, k) >= 0.9
                })
                .max_by(|a, b| {
                    strsim::jaro_winkler(name, a).total_cmp(&strsim::jaro_winkler(name, b))
                });
            if let Some(k) = closest {
                problems.push(Problem {
                    at: path,
                    message: format!("references Secret `{name}`, which does not exist in the pipeline; did you mean `{k}`?"),
                });
                continue;
            }
            let emitted_names: Vec<String> = emitted.keys().map(|n| format!("`{n}`")).collect();
            problems.push(Problem {
                at: path,
                message: format!(
                    "references Secret `{name}`, which no step emits{}; fix the name, add a step that creates it, or list it under `existingSecrets` of the release if it is created outside the pipeline",
                    if emitted_names.is_empty() { String::new() } else { format!(" (emitted: {})", emitted_names.join(", ")) }
                ),
            });
        }
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn pointers_become_values_paths() {
        assert_eq!(values_path(""), "(root)");
        assert_eq!(values_path("/dags/gitSync/repo"), "dags.gitSync.repo");
        assert_eq!(
            values_path("/workers/extraVolumes/0/name"),
            "workers.extraVolumes[0].name"
        );
    }

    #[test]
    fn coalesce_puts_defaults_under_values() {
        let defaults = json!({"a": 1, "b": {"c": 2, "d": 3}})
            .as_object()
            .unwrap()
            .clone();
        assert_eq!(
            coalesce(&defaults, &json!({"b": {"c": null, "e": 4}})),
            json!({"a": 1, "b": {"d": 3, "e": 4}})
        );
    }

    #[test]
    fn placeholder_maps_get_a_hint() {
        assert!(
            placeholder_hint(&json!({"git_repo": null}))
                .unwrap()
                .contains("quote it (`\"{git_repo}\"`)")
        );
        assert_eq!(placeholder_hint(&json!({"a": 1})), None);
    }

    #[test]
    fn airflow_chart_detection() {
        assert!(is_airflow_chart("apache-airflow/airflow"));
        assert!(is_airflow_chart("oci://registry/charts/airflow"));
        assert!(!is_airflow_chart("bitnami/airflow-operator"));
    }
}
