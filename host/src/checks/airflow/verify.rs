//! The chart facts checked against the resolved chart before the first step: every key path
//! the facts use is in the chart's `values.schema.json` with the type the facts expect (and in
//! its `values.yaml`, unless the schema documents it with no default), every Secret key the
//! facts name is one the chart's templates read, every Airflow-2-only key and its Airflow 3
//! replacement exist, and the chart's default Airflow major version is the one the facts
//! assume. So a chart that moves a key fails naming it instead of rendering something wrong.

use crate::chart::Chart;
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
    for (kind, key) in airflow_facts::SOMETIMES_MOUNTED {
        if !chart.template_keys.contains(*key) {
            broken.push(format!(
                "fact `{kind}` key `{key}` mounted by `subPath` without always being there: the chart's templates mount no `subPath: {key}`"
            ));
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
    let steps = path.split('.').map(crate::checks::SchemaStep::Key);
    let Some(node) = crate::checks::subschema(schema, steps) else {
        return Some("is not in the chart's values.schema.json".into());
    };
    if let Some(k) = kind
        && let Some(types) = types(node)
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
        None if node.get("default").is_some_and(|d| !d.is_null()) => {
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

/// The type names a (resolved) schema node allows (`None`: it does not say).
fn types(node: &Value) -> Option<Vec<&str>> {
    match node.get("type")? {
        Value::String(s) => Some(vec![s.as_str()]),
        Value::Array(a) => Some(a.iter().filter_map(Value::as_str).collect()),
        _ => None,
    }
}
