//! The chart facts checked against the resolved chart before the first step: every key path
//! the facts use is in the chart's `values.schema.json` with the type the facts expect (and in
//! its `values.yaml`, unless the schema documents it with no default), every Secret key the
//! facts name is one the chart's templates read, every Airflow-2-only key and its Airflow 3
//! replacement exist, and the chart's default Airflow major version is the one the facts
//! assume. So a chart that moves a key fails naming it instead of rendering something wrong.

use crate::chart::Chart;
use crate::checks::schema::resolve;
use airflow_facts::{Facts, Kind};
use serde_json::Value;

/// What does not hold, one line per broken fact (empty: the facts hold).
pub fn verify(facts: &Facts, chart: &Chart) -> Vec<String> {
    let schema = chart.schema.as_ref().map(|s| s.value());
    let defaults = Value::Object(chart.defaults.clone());
    let mut broken = Vec::new();
    let mut seen = std::collections::BTreeSet::new();
    for (name, path, kind) in facts.all_paths() {
        if !seen.insert(path) {
            continue;
        }
        if let Some(why) = check_key(schema, &defaults, path, Some(kind)) {
            broken.push(format!("fact `{name}`: key `{path}` {why}"));
        }
    }
    for (old, new) in facts.airflow2_only() {
        for path in [old, new] {
            if let Some(why) = check_key(schema, &defaults, path, None) {
                broken.push(format!(
                    "fact `{old}` (Airflow 2 only, `{new}` on Airflow 3): key `{path}` {why}"
                ));
            }
        }
    }
    for (path, keys) in facts.secret_refs() {
        for key in keys {
            if !chart.template_keys.contains(*key) {
                broken.push(format!(
                    "fact `{path}`: the chart's templates read no key `{key}` from a Secret (no `key: {key}` or `subPath: {key}` in templates/)"
                ));
            }
        }
    }
    let major = |v: &str| airflow_facts::major_minor(v).map(|(m, _)| m);
    let chart_default = defaults["airflowVersion"].as_str().unwrap_or_default();
    let assumed = facts.default_airflow_version();
    let same = if facts.is_newer() {
        major(chart_default).is_some() && major(chart_default) == major(assumed)
    } else {
        chart_default == assumed
    };
    if !same {
        broken.push(format!(
            "fact `airflowVersion` default: the chart's is `{chart_default}`, the facts assume `{assumed}`"
        ));
    }
    broken
}

/// Why `path` is not a key of the chart with type `kind`, if it is not.
fn check_key(
    schema: Option<&Value>,
    defaults: &Value,
    path: &str,
    kind: Option<Kind>,
) -> Option<String> {
    let default = crate::values::get(defaults, path);
    let Some(schema) = schema else {
        return match default {
            None => Some(
                "is not in the chart's values.yaml (the chart has no values.schema.json)".into(),
            ),
            Some(v) => kind.and_then(|k| wrong_type(v, k)),
        };
    };
    let Some(node) = schema_node(schema, path) else {
        return Some("is not in the chart's values.schema.json".into());
    };
    if let Some(k) = kind
        && let Some(types) = types(schema, node)
        && !types.iter().any(|t| matches(t, k))
    {
        return Some(format!(
            "is of type {} in the chart's values.schema.json, not {}",
            types.join("|"),
            k.schema_type()
        ));
    }
    match default {
        Some(v) => kind.and_then(|k| wrong_type(v, k)),
        None if resolve(schema, node)
            .get("default")
            .is_some_and(|d| !d.is_null()) =>
        {
            Some("is not in the chart's values.yaml, though its schema gives it a default".into())
        }
        None => None,
    }
}

fn matches(schema_type: &str, kind: Kind) -> bool {
    schema_type == kind.schema_type() || (kind == Kind::Int && schema_type == "number")
}

/// The default in values.yaml has another type than the facts expect (null is "unset").
fn wrong_type(v: &Value, kind: Kind) -> Option<String> {
    let ok = match kind {
        Kind::Bool => v.is_boolean(),
        Kind::Int => v.is_number(),
        Kind::Str => v.is_string(),
        Kind::Map => v.is_object(),
        Kind::List => v.is_array(),
    };
    (!ok && !v.is_null()).then(|| {
        format!(
            "is {} in the chart's values.yaml, not {}",
            crate::values::type_name(v),
            kind.schema_type()
        )
    })
}

/// The type names a schema node allows (`None`: it does not say).
fn types<'a>(root: &'a Value, node: &'a Value) -> Option<Vec<&'a str>> {
    match resolve(root, node).get("type")? {
        Value::String(s) => Some(vec![s.as_str()]),
        Value::Array(a) => Some(a.iter().filter_map(Value::as_str).collect()),
        _ => None,
    }
}

/// The schema node of a values path: through `properties`, or an `additionalProperties`
/// schema for keys the schema does not list (`config.celery.worker_concurrency`).
fn schema_node<'a>(root: &'a Value, path: &str) -> Option<&'a Value> {
    let mut node = root;
    for key in path.split('.') {
        let here = resolve(root, node);
        node = match here.get("properties").and_then(|p| p.get(key)) {
            Some(n) => n,
            None => match here.get("additionalProperties") {
                Some(n @ Value::Object(_)) => n,
                _ => return None,
            },
        };
    }
    Some(node)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    /// A chart of `../shared/fixtures/airflow-chart/` (the test command checks they are there).
    fn fixture(version: &str) -> Chart {
        let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../../shared/fixtures/airflow-chart")
            .join(format!("airflow-{version}.tgz"));
        crate::chart::read_local(&path).unwrap_or_else(|e| panic!("{}: {e:#}", path.display()))
    }

    #[test]
    fn the_facts_hold_for_every_chart_we_have() {
        for version in ["1.19.0", "1.20.0", "1.21.0"] {
            let chart = fixture(version);
            let facts = airflow_facts::select(&chart.version).unwrap();
            assert_eq!(
                facts.tested(),
                version,
                "each fixture is a line's tested release"
            );
            let broken = verify(&facts, &chart);
            assert!(broken.is_empty(), "{version}:\n{}", broken.join("\n"));
            // Every line's facts differ from another line's somewhere the chart shows.
            if version != "1.19.0" {
                let older = airflow_facts::select("1.19.0").unwrap();
                assert!(!verify(&older, &chart).is_empty() || version == "1.19.0");
            }
        }
    }

    #[test]
    fn facts_for_another_line_do_not_hold() {
        // The 1.20 facts on chart 1.19: `workers.celery.keda` does not exist there yet.
        let broken = verify(
            &airflow_facts::select("1.20.0").unwrap(),
            &fixture("1.19.0"),
        );
        assert!(
            broken.iter().any(|b| b.starts_with(
                "fact `workers.keda.enabled`: key `workers.celery.keda.enabled` is not in the chart's values.schema.json"
            )),
            "{broken:#?}"
        );
    }

    #[test]
    fn a_chart_that_drops_a_key_or_a_secret_key_fails_naming_it() {
        let mut chart = fixture("1.21.0");
        chart.version = "1.22.0".into();
        let facts = airflow_facts::select("1.22.0").unwrap();
        assert!(verify(&facts, &chart).is_empty());
        // A key the facts use, gone from the schema and values.yaml.
        let mut schema = chart.schema.as_ref().unwrap().value().clone();
        schema["properties"]["workers"]["properties"]["celery"]["properties"]
            .as_object_mut()
            .unwrap()
            .remove("keda");
        chart.defaults["workers"]["celery"]
            .as_object_mut()
            .unwrap()
            .remove("keda");
        chart.schema = Some(crate::checks::ValuesSchema::new(schema));
        // A Secret key no template reads any more.
        chart.template_keys.remove("gitSshKey");
        // A type that changed.
        chart
            .defaults
            .insert("executor".into(), serde_json::json!(["CeleryExecutor"]));
        let broken = verify(&facts, &chart);
        for want in [
            "fact `workers.keda.enabled`: key `workers.celery.keda.enabled` is not in the chart's values.schema.json",
            "fact `dags.gitSync.sshKeySecret`: the chart's templates read no key `gitSshKey` from a Secret",
            "fact `executor`: key `executor` is a list in the chart's values.yaml, not string",
        ] {
            assert!(
                broken.iter().any(|b| b.starts_with(want)),
                "{want}\n{broken:#?}"
            );
        }
    }

    #[test]
    fn the_default_airflow_version_is_checked() {
        let mut chart = fixture("1.21.0");
        chart
            .defaults
            .insert("airflowVersion".into(), serde_json::json!("3.2.1"));
        let same_line = verify(&airflow_facts::select("1.21.0").unwrap(), &chart);
        assert_eq!(
            same_line,
            ["fact `airflowVersion` default: the chart's is `3.2.1`, the facts assume `3.2.0`"]
        );
        // A newer chart may move the default within the same Airflow major version.
        assert!(verify(&airflow_facts::select("1.22.0").unwrap(), &chart).is_empty());
        chart
            .defaults
            .insert("airflowVersion".into(), serde_json::json!("4.0.0"));
        assert_eq!(
            verify(&airflow_facts::select("1.22.0").unwrap(), &chart).len(),
            1
        );
    }

    /// A chart's version is its own text: a newline in it cannot start a forged line.
    #[test]
    fn a_hostile_chart_version_is_shown_on_one_line() {
        use crate::checks::known::Entry as _;
        let mut chart = fixture("1.21.0");
        chart.version = "1.22.0\nerror: forged".into();
        let version = chart.version.clone();
        let loaded = super::super::Entry
            .load(&version, Some(&chart))
            .ok()
            .unwrap();
        assert_eq!(loaded.warnings.len(), 1);
        assert!(
            !loaded.warnings[0].message.contains('\n'),
            "{}",
            loaded.warnings[0].message
        );
        chart.defaults.remove("executor");
        let mut schema = chart.schema.as_ref().unwrap().value().clone();
        schema["properties"]
            .as_object_mut()
            .unwrap()
            .remove("executor");
        chart.schema = Some(crate::checks::ValuesSchema::new(schema));
        let refused = super::super::Entry
            .load(&version, Some(&chart))
            .err()
            .unwrap();
        assert_eq!(
            refused
                .lines()
                .next()
                .unwrap()
                .matches("error: forged")
                .count(),
            1
        );
        assert!(
            refused.lines().all(|l| !l.starts_with("error: forged")),
            "{refused}"
        );
    }
}
