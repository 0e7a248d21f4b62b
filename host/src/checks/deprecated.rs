//! Keys the chart's schema marks deprecated, for any chart: `deprecated: true` (JSON Schema
//! 2019-09 and later), or a description that says so, as the Airflow chart's do ("(deprecated,
//! use `workers.celery.resources` instead)"). Only keys someone set count (a values file,
//! `--set`, a step), never the chart's own defaults; each warning names the key, where it was
//! set and the replacement when the description names one. The outermost deprecated key is
//! named (`workers.keda`, not each key under it). When the replacement is set too (a step
//! writes the key the chart version reads), the warning says which values the chart reads
//! there instead: the user's deprecated ones have no effect.

use super::schema::resolve;
use super::{Check, Input, Phase, Problem};
use serde_json::Value;

pub struct Deprecated;

impl Check for Deprecated {
    fn name(&self) -> &'static str {
        "deprecated keys"
    }

    fn phase(&self) -> Phase {
        Phase::Values
    }

    fn run(&self, _input: &Input) -> Vec<Problem> {
        Vec::new()
    }

    fn findings(&self, input: &Input) -> (Vec<Problem>, Vec<Problem>) {
        let Some((schema, label)) = &input.schema else {
            return (Vec::new(), Vec::new());
        };
        let chart = input.chart.map_or_else(
            || label.clone(),
            |c| crate::term::line(&format!("chart {} {}", c.name, c.version)),
        );
        let mut found = Vec::new();
        walk(
            schema.value(),
            schema.value(),
            &input.render.values,
            "",
            &mut found,
        );
        let values = &input.render.values;
        let provenance = &input.render.provenance;
        let warnings = found
            .into_iter()
            .map(|(path, description)| {
                let shadowed = replacement_names(&description)
                    .first()
                    .map(|new| shadowed(values, &path, new, provenance))
                    .unwrap_or_default();
                Problem {
                    code: &crate::codes::DEPRECATED_KEY,
                    message: format!(
                        "is deprecated in {chart}{}{}{shadowed}",
                        provenance.set_by(&path),
                        advice(&description)
                    ),
                    at: path,
                }
            })
            .collect();
        (Vec::new(), warnings)
    }
}

/// `(path, description)` of every deprecated key set in `values`, outermost first.
fn walk(root: &Value, node: &Value, values: &Value, path: &str, out: &mut Vec<(String, String)>) {
    let node = resolve(root, node);
    match values {
        Value::Object(map) => {
            for (key, value) in map {
                if value.is_null() {
                    continue;
                }
                let child = node
                    .get("properties")
                    .and_then(|p| p.get(key))
                    .or_else(|| node.get("additionalProperties").filter(|a| a.is_object()));
                let Some(child) = child else { continue };
                let at = if path.is_empty() {
                    key.clone()
                } else {
                    format!("{path}.{key}")
                };
                match deprecation(root, child) {
                    Some(description) => out.push((at, description)),
                    None => walk(root, child, value, &at, out),
                }
            }
        }
        Value::Array(items) => {
            let Some(item) = node.get("items").filter(|i| i.is_object()) else {
                return;
            };
            for (i, value) in items.iter().enumerate() {
                walk(root, item, value, &format!("{path}[{i}]"), out);
            }
        }
        _ => {}
    }
}

/// The node's description when it marks the key deprecated.
fn deprecation(root: &Value, node: &Value) -> Option<String> {
    let description = |n: &Value| {
        n.get("description")
            .and_then(Value::as_str)
            .map(str::to_owned)
    };
    let resolved = resolve(root, node);
    for n in [node, resolved] {
        if n.get("deprecated") == Some(&Value::Bool(true)) {
            return Some(description(n).unwrap_or_default());
        }
        if let Some(d) = description(n)
            && d.to_ascii_lowercase().contains("deprecated")
        {
            return Some(d);
        }
    }
    None
}

/// The clause of a description from the word "deprecated" to the closing parenthesis, with
/// reStructuredText's double backticks made single.
fn clause(description: &str) -> Option<String> {
    let at = description.to_ascii_lowercase().find("deprecated")?;
    let tail = description[at..].replace("``", "`");
    Some(tail.split(')').next().unwrap_or(&tail).to_owned())
}

/// The keys the description names in backticks after the word "deprecated".
fn replacement_names(description: &str) -> Vec<String> {
    let Some(clause) = clause(description) else {
        return Vec::new();
    };
    clause
        .split('`')
        .enumerate()
        .filter(|(i, s)| i % 2 == 1 && !s.is_empty())
        .map(|(_, s)| s.to_owned())
        .collect()
}

/// `; the chart reads `new.x` instead of `old.x` (set by …), …` for every value set under the
/// deprecated `old` whose counterpart under `new` is set too (at most three named).
fn shadowed(
    values: &Value,
    old: &str,
    new: &str,
    provenance: &crate::provenance::Provenance,
) -> String {
    let Some(value) = crate::values::get(values, old) else {
        return String::new();
    };
    let mut leaves = Vec::new();
    leaves_under(value, "", &mut leaves);
    let read: Vec<String> = leaves
        .iter()
        .filter(|suffix| {
            crate::values::get(values, &format!("{new}{suffix}")).is_some_and(|v| !v.is_null())
        })
        .map(|suffix| {
            format!(
                "`{new}{suffix}` instead of `{old}{suffix}`{}",
                provenance.set_by(&format!("{new}{suffix}"))
            )
        })
        .collect();
    match read.len() {
        0 => String::new(),
        n if n <= 3 => format!(
            "; the chart reads {}, so yours has no effect",
            read.join(", ")
        ),
        n => format!(
            "; the chart reads {} and {} more, so yours have no effect",
            read[..3].join(", "),
            n - 3
        ),
    }
}

/// The suffixes (`.a.b`) of the set leaves under a value; `""` for a scalar or a list.
fn leaves_under(value: &Value, suffix: &str, out: &mut Vec<String>) {
    match value {
        Value::Null => {}
        Value::Object(m) if !m.is_empty() => {
            for (k, v) in m {
                leaves_under(v, &format!("{suffix}.{k}"), out);
            }
        }
        _ => out.push(suffix.to_owned()),
    }
}

/// `; use `a` (or `b`) instead`, from the names the description gives after the word
/// "deprecated"; else its words in quotes; else nothing.
fn advice(description: &str) -> String {
    let Some(clause) = clause(description) else {
        return String::new();
    };
    let names = replacement_names(description);
    match names.as_slice() {
        [] if clause.trim().len() > "deprecated".len() => {
            format!("; the chart's schema says: \"{}\"", clause.trim())
        }
        [] => String::new(),
        [one] => format!("; use `{one}` instead"),
        [first, rest @ ..] => format!(
            "; use `{first}` instead (or {})",
            rest.iter()
                .map(|n| format!("`{n}`"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn found(schema: Value, values: Value) -> Vec<(String, String)> {
        let mut out = Vec::new();
        walk(&schema, &schema, &values, "", &mut out);
        out.into_iter().map(|(p, d)| (p, advice(&d))).collect()
    }

    #[test]
    fn the_outermost_deprecated_key_someone_set_with_its_replacement() {
        let schema = json!({
            "definitions": {"res": {"type": "object", "description": "Resources (deprecated, use ``workers.celery.resources`` or/and ``workers.kubernetes.resources`` instead)."}},
            "properties": {"workers": {"properties": {
                "keda": {"description": "KEDA (deprecated, use `workers.celery.keda` instead).", "properties": {"enabled": {"description": "x (deprecated)"}}},
                "resources": {"$ref": "#/definitions/res"},
                "celery": {"properties": {"keda": {"description": "KEDA."}}},
                "old": {"deprecated": true},
                "user": {"description": "Optional default user (deprecated, use createUserJob section instead)"}
            }}}
        });
        let got = found(
            schema.clone(),
            json!({"workers": {"keda": {"enabled": true}, "resources": {}, "celery": {"keda": {"enabled": true}}, "old": 1, "user": {"a": 1}}}),
        );
        assert_eq!(
            got,
            [
                (
                    "workers.keda".into(),
                    "; use `workers.celery.keda` instead".into()
                ),
                ("workers.old".into(), String::new()),
                (
                    "workers.resources".into(),
                    "; use `workers.celery.resources` instead (or `workers.kubernetes.resources`)"
                        .into()
                ),
                (
                    "workers.user".into(),
                    "; the chart's schema says: \"deprecated, use createUserJob section instead\""
                        .into()
                ),
            ]
        );
        // Unset, null or only the new keys: nothing.
        assert!(
            found(
                schema.clone(),
                json!({"workers": {"keda": null, "celery": {"keda": {"enabled": true}}}})
            )
            .is_empty()
        );
    }
}
