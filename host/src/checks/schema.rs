//! The chart's JSON Schema over the coalesced values (chart defaults under the final values,
//! as Helm validates them), offline with the `jsonschema` crate: no remote `$ref` is fetched.

use super::{Check, Input, Phase, Problem, values_path};
use serde_json::Value;

pub use crate::chart::ValuesSchema;

/// A local `$ref` (`#/definitions/x`) of a schema node resolved, a few levels deep (a remote or
/// broken one is left as it is).
pub(crate) fn resolve<'a>(root: &'a Value, mut node: &'a Value) -> &'a Value {
    for _ in 0..8 {
        let Some(r) = node.get("$ref").and_then(Value::as_str) else {
            break;
        };
        match r.strip_prefix('#').and_then(|p| root.pointer(p)) {
            Some(n) => node = n,
            None => break,
        }
    }
    node
}

/// One step into a values path: a map key, or an item of a list.
pub(crate) enum Step<'p> {
    Key(&'p str),
    Item,
}

/// The subschema for a values path: `properties`, else an `additionalProperties` schema for a
/// key, `items` for a list item; local `$ref`s followed. `None` where the schema says nothing.
pub(crate) fn subschema<'a, 'p>(
    root: &'a Value,
    path: impl IntoIterator<Item = Step<'p>>,
) -> Option<&'a Value> {
    let mut node = resolve(root, root);
    for step in path {
        node = match step {
            Step::Key(k) => node
                .get("properties")
                .and_then(|p| p.get(k))
                .or_else(|| node.get("additionalProperties").filter(|a| a.is_object()))?,
            Step::Item => node.get("items").filter(|i| i.is_object())?,
        };
        node = resolve(root, node);
    }
    Some(node)
}

pub struct Schema;

impl Check for Schema {
    fn name(&self) -> &'static str {
        "schema"
    }

    fn phase(&self) -> Phase {
        Phase::Values
    }

    fn run(&self, input: &Input) -> Vec<Problem> {
        let Some((schema, label)) = &input.schema else {
            return Vec::new();
        };
        match validate(schema, input.coalesced) {
            Ok(problems) => problems,
            Err(e) => vec![Problem {
                code: &crate::codes::SCHEMA,
                at: label.clone(),
                message: format!("not a usable JSON Schema: {e}"),
            }],
        }
    }
}

/// Validate the coalesced values against the chart schema.
pub fn validate(schema: &ValuesSchema, coalesced: &Value) -> Result<Vec<Problem>, String> {
    let validator = schema.validator_for(coalesced)?;
    let mut problems: Vec<Problem> = validator
        .iter_errors(coalesced)
        .map(|e| {
            let at = values_path(&e.instance_path().to_string());
            let mut message = e.to_string();
            if let Some(hint) = placeholder_hint(e.instance()) {
                message.push_str(&hint);
            }
            Problem {
                code: &crate::codes::SCHEMA,
                at,
                message,
            }
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

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

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
    fn clones_of_a_schema_share_one_compiled_validator() {
        // Every release of a chart holds a clone of the chart's schema (the chart is resolved
        // once per run: `concurrency::files_shared_by_many_releases_are_read_once_per_run`);
        // the first to validate compiles it, the others use that validator.
        let schema = ValuesSchema::new(json!({"type": "object"}));
        let other = schema.clone();
        let first: *const jsonschema::Validator = other.validator().unwrap();
        assert!(std::ptr::eq(first, schema.validator().unwrap()));
        assert!(std::ptr::eq(first, other.validator().unwrap()));
    }

    #[test]
    fn errors_carry_values_paths() {
        let schema = json!({"type": "object", "properties": {"a": {"type": "object", "properties": {"b": {"type": "integer"}}}}});
        let p = validate(&ValuesSchema::new(schema), &json!({"a": {"b": "x"}})).unwrap();
        assert_eq!(p.len(), 1);
        assert_eq!(p[0].at, "a.b");
    }
}
