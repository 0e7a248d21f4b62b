//! The Secrets the Airflow chart's values name (`data.metadataSecretName`, …) and the keys the
//! chart reads from each (the chart facts' Secret references). Without a full render they are
//! checked here at the values level; with one, the generic reference check covers them on the
//! real pod specs. Also how to read a connection URL out of a Secret (used by [`super::urls`]).

use super::super::Problem;
use crate::codes;
use crate::names;
use crate::plan::ReleasePlan;
use crate::render::ReleaseRender;
use crate::values;
use airflow_facts::Facts;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

/// Where a Secret the values name was found in the render so far.
pub(super) enum Found {
    /// Emitted by a step.
    Emitted { step: usize, plugin: String },
    /// In the chart's `extraSecrets`.
    Extra,
}

/// The Secret `name`, emitted by a step or in the chart's `extraSecrets`: where it is, and its
/// key `key` decoded (`stringData` wins over `data`, as the API server merges them; `None` when
/// it has no such key). `None` when the render has no such Secret.
pub(super) fn secret_value(
    render: &ReleaseRender,
    coalesced: &Value,
    name: &str,
    key: &str,
) -> Option<(Option<String>, Found)> {
    use base64::Engine as _;
    let read = |data: &Value, string_data: &Value| {
        string_data[key].as_str().map(str::to_owned).or_else(|| {
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(data[key].as_str()?.trim())
                .ok()?;
            String::from_utf8(bytes).ok()
        })
    };
    for m in &render.manifests {
        let o = &m.object;
        if o["kind"] == "Secret" && o["metadata"]["name"] == name {
            let found = Found::Emitted {
                step: m.step,
                plugin: m.plugin.clone(),
            };
            return Some((read(&o["data"], &o["stringData"]), found));
        }
    }
    // `extraSecrets.NAME.data` / `.stringData` are YAML text the chart templates in.
    let extra = coalesced["extraSecrets"].get(name)?;
    let block = |field: &str| {
        extra[field]
            .as_str()
            .and_then(|text| {
                crate::yaml::parse_values(text, std::path::Path::new("extraSecrets")).ok()
            })
            .unwrap_or(Value::Null)
    };
    Some((read(&block("data"), &block("stringData")), Found::Extra))
}

/// The connection URL (key `connection`) of the Secret `name`, emitted or in `extraSecrets`.
pub(super) fn connection_of(
    render: &ReleaseRender,
    coalesced: &Value,
    name: &str,
) -> Option<String> {
    secret_value(render, coalesced, name, "connection").and_then(|(v, _)| v)
}

/// Secret references of the Airflow chart: emitted, chart-created or declared, with their keys.
pub fn airflow_secrets(
    facts: &Facts,
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
    // The keys of the Secrets `extraSecrets` makes: its `data` / `stringData` are YAML text
    // of `key: value` lines (read when they hold no template expression).
    let extra_keys: BTreeMap<&str, BTreeSet<String>> = coalesced["extraSecrets"]
        .as_object()
        .into_iter()
        .flatten()
        .filter_map(|(name, entry)| {
            let mut keys = BTreeSet::new();
            for field in ["data", "stringData"] {
                let Some(text) = entry[field].as_str() else {
                    continue;
                };
                if text.contains("{{") {
                    return None;
                }
                let parsed =
                    crate::yaml::parse_values(text, std::path::Path::new("extraSecrets")).ok()?;
                keys.extend(parsed.as_object()?.keys().cloned());
            }
            Some((name.as_str(), keys))
        })
        .collect();
    let declared: BTreeSet<&str> = release
        .existing_secrets
        .iter()
        .map(String::as_str)
        .collect();

    let mut refs: Vec<(String, Vec<&str>)> = facts
        .secret_refs()
        .iter()
        .map(|(p, k)| (p.to_string(), k.to_vec()))
        .collect();
    // The chart creates the SSH key Secret itself from an inline `sshKey`.
    if values::get(coalesced, facts.path("dags.gitSync.sshKey"))
        .is_some_and(|v| v.as_str().is_some_and(|s| !s.is_empty()))
    {
        let secret = facts.path("dags.gitSync.sshKeySecret");
        refs.retain(|(p, _)| p != secret);
    }
    // KEDA reads `kedaConnection` from the metadata Secret when it bypasses PgBouncer.
    let on = |key: &str, default: bool| {
        super::effective(facts, coalesced, key)
            .and_then(Value::as_bool)
            .unwrap_or(default)
    };
    if on("workers.keda.enabled", false)
        && on("pgbouncer.enabled", false)
        && !on("workers.keda.usePgbouncer", true)
    {
        refs[0].1.push("kedaConnection");
    }

    let mut problems = Vec::new();
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
                    code: &codes::DANGLING_SECRET,
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
        } else if let Some(have) = extra_keys.get(name) {
            let missing: Vec<&str> = keys
                .iter()
                .copied()
                .filter(|k| !have.contains(*k))
                .collect();
            if !missing.is_empty() {
                let listed: Vec<String> = have.iter().map(|k| format!("`{k}`")).collect();
                let hint = missing
                    .iter()
                    .find_map(|m| {
                        names::did_you_mean(m, have.iter().map(String::as_str))
                            .map(|k| format!("; `{k}` looks like a misspelling of `{m}`"))
                    })
                    .unwrap_or_default();
                problems.push(Problem {
                    code: &codes::DANGLING_SECRET,
                    at: path,
                    message: format!(
                        "Secret `{name}` (made by `extraSecrets`) has no key{} {}, which the chart reads from it (it has {}){hint}",
                        if missing.len() == 1 { "" } else { "s" },
                        missing.iter().map(|k| format!("`{k}`")).collect::<Vec<_>>().join(", "),
                        if listed.is_empty() { "no keys".to_owned() } else { listed.join(", ") },
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
            let closest = names::did_you_mean(name, known.iter().copied());
            if let Some(k) = closest {
                problems.push(Problem {
                    code: &codes::DANGLING_SECRET,
                    at: path,
                    message: format!("references Secret `{name}`, which does not exist in the pipeline; did you mean `{k}`?"),
                });
                continue;
            }
            let emitted_names: Vec<String> = emitted.keys().map(|n| format!("`{n}`")).collect();
            problems.push(Problem {
                    code: &codes::DANGLING_SECRET,
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

    fn release() -> ReleasePlan {
        ReleasePlan {
            name: "airflow".into(),
            namespace: "airflow".into(),
            chart: "apache-airflow/airflow".into(),
            source: crate::chart::Source::Undeclared {
                repo: "apache-airflow".into(),
                name: "airflow".into(),
                version: None,
            },
            version: None,
            labels: Default::default(),
            layers: Vec::new(),
            steps: Vec::new(),
            post_render: Vec::new(),
            existing_secrets: Vec::new(),
            existing_config_maps: Vec::new(),
            schema: None,
        }
    }

    fn problems(version: &str, values: Value) -> Vec<Problem> {
        let facts = airflow_facts::select(version).unwrap();
        let render = super::super::test_support::render(&values);
        airflow_secrets(&facts, &release(), &render, &values)
    }

    /// The values-level Secret check (no full render), failing and passing, with every line's
    /// facts: the key the chart reads (`gitSshKey`), and `kedaConnection` when KEDA bypasses
    /// PgBouncer, read where each version reads the KEDA keys.
    #[test]
    fn fails_and_passes_on_every_chart_version() {
        for version in ["1.19.0", "1.20.0", "1.21.0", "1.22.0"] {
            let f = airflow_facts::select(version).unwrap();
            let ssh = |key: &str| {
                json!({
                    "dags": {"gitSync": {"sshKeySecret": "ssh"}},
                    "extraSecrets": {"ssh": {"data": format!("{key}: a2V5")}}
                })
            };
            let bad = problems(version, ssh("gitSshkey"));
            assert_eq!(bad.len(), 1, "{version}: {bad:?}");
            assert!(
                bad[0]
                    .message
                    .contains("`gitSshkey` looks like a misspelling of `gitSshKey`"),
                "{}",
                bad[0].message
            );
            assert!(problems(version, ssh("gitSshKey")).is_empty(), "{version}");
            // KEDA straight to the database: the metadata Secret needs `kedaConnection`.
            let mut keda = json!({
                "pgbouncer": {"enabled": true},
                "data": {"metadataSecretName": "meta"},
                "extraSecrets": {"meta": {"stringData": "connection: postgresql://db/a"}}
            });
            for (key, value) in [
                ("workers.keda.enabled", true),
                ("workers.keda.usePgbouncer", false),
            ] {
                let path: Vec<&str> = f.path(key).split('.').collect();
                let mut node = &mut keda;
                for k in &path[..path.len() - 1] {
                    node = node.as_object_mut().unwrap().entry(*k).or_insert(json!({}));
                }
                node[path[path.len() - 1]] = json!(value);
            }
            let bad = problems(version, keda.clone());
            assert_eq!(bad.len(), 1, "{version}: {bad:?}");
            assert!(
                bad[0].message.contains("no key `kedaConnection`"),
                "{}",
                bad[0].message
            );
            keda["extraSecrets"]["meta"]["stringData"] =
                json!("connection: postgresql://db/a\nkedaConnection: postgresql://db/a");
            assert!(problems(version, keda).is_empty(), "{version}");
        }
    }
}
