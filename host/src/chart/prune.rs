//! A values schema cut down to what validating one values tree can reach, so only that part is
//! compiled: Airflow's 710 KB schema describes every Kubernetes object a key may hold
//! (`affinity`, `extraVolumes` items, …), and the values leave most of them empty.
//!
//! Validation is unchanged: for each keyword the cut keeps exactly what can apply to the
//! instance at that place.
//! - `properties` keeps the keys the instance has (each cut against its value); an object
//!   `additionalProperties` schema becomes a `properties` entry per extra key of the instance;
//!   `items` is cut against each item (an empty list needs none).
//! - Local `$ref`s (`#/…`) are followed and inlined, cut against the instance there
//!   (Draft 4 to 7: a `$ref` stands for the whole schema object, siblings ignored).
//! - Object keywords are dropped where the instance is not an object, array keywords where it
//!   is not an array (they do not apply there); annotations are dropped.
//! - Anything this does not follow (another draft, a remote or escaped `$ref`, an `$id` below
//!   the root, `patternProperties`, `propertyNames`, `dependencies`, `contains`, tuple
//!   `items`, a schema that would grow past a bound) gives `None`: the whole schema is
//!   compiled, as before.
//!
//! `prune::tests` and `checks::schema`'s equivalence test compare the cut with the whole
//! schema on Airflow's real schemas.

use serde_json::{Map, Value};

/// The most schema nodes a cut may hold before it is abandoned (a recursive schema inlined
/// over a deep instance).
const MAX_NODES: usize = 200_000;
const MAX_DEPTH: usize = 256;

/// The part of `root` validating `instance` can reach, or `None` (compile `root` whole).
pub fn prune(root: &Value, instance: &Value) -> Option<Value> {
    let draft = root.get("$schema").and_then(Value::as_str).unwrap_or("");
    let draft = draft.trim_end_matches('#');
    if !matches!(
        draft,
        "http://json-schema.org/draft-04/schema"
            | "http://json-schema.org/draft-06/schema"
            | "http://json-schema.org/draft-07/schema"
    ) {
        return None;
    }
    let mut cut = Cut { root, nodes: 0 };
    let mut out = cut.node(root, instance, 0)?;
    if let Value::Object(m) = &mut out {
        m.insert("$schema".into(), root["$schema"].clone());
    }
    Some(out)
}

struct Cut<'a> {
    root: &'a Value,
    nodes: usize,
}

/// Keywords that only annotate (no effect on validation).
fn annotation(k: &str) -> bool {
    matches!(
        k,
        "description" | "title" | "default" | "examples" | "$comment" | "readOnly" | "writeOnly"
    ) || k.starts_with("x-")
}

impl Cut<'_> {
    fn node(&mut self, schema: &Value, inst: &Value, depth: usize) -> Option<Value> {
        self.nodes += 1;
        if self.nodes > MAX_NODES || depth > MAX_DEPTH {
            return None;
        }
        let m = match schema {
            Value::Bool(_) => return Some(schema.clone()),
            Value::Object(m) => m,
            _ => return None,
        };
        if let Some(r) = m.get("$ref") {
            let pointer = r.as_str()?.strip_prefix('#')?;
            if pointer.contains('%') || pointer.contains('~') {
                return None;
            }
            let target = self.root.pointer(pointer)?;
            return self.node(target, inst, depth + 1);
        }
        let depth = depth + 1;
        let mut out = Map::new();
        let mut props = Map::new();
        for (k, v) in m {
            match k.as_str() {
                "$schema" | "definitions" | "$defs" => {}
                "$id" | "id" if !std::ptr::eq(schema, self.root) => return None,
                "patternProperties" | "propertyNames" | "dependencies" | "contains" => {
                    return None;
                }
                "properties" => {
                    if let Value::Object(i) = inst {
                        for (pk, ps) in v.as_object()? {
                            if let Some(iv) = i.get(pk) {
                                props.insert(pk.clone(), self.node(ps, iv, depth)?);
                            }
                        }
                    }
                }
                "additionalProperties" => {
                    let Value::Object(i) = inst else { continue };
                    if v.is_boolean() {
                        out.insert(k.clone(), v.clone());
                        continue;
                    }
                    let declared = m.get("properties").and_then(Value::as_object);
                    for (ik, iv) in i {
                        if !declared.is_some_and(|d| d.contains_key(ik)) {
                            props.insert(ik.clone(), self.node(v, iv, depth)?);
                        }
                    }
                }
                "required" | "minProperties" | "maxProperties" => {
                    if inst.is_object() {
                        out.insert(k.clone(), v.clone());
                    }
                }
                "items" => {
                    let Value::Array(items) = inst else { continue };
                    if items.is_empty() {
                        continue;
                    }
                    if !(v.is_object() || v.is_boolean()) {
                        return None;
                    }
                    let cut: Vec<Value> = items
                        .iter()
                        .map(|i| self.node(v, i, depth))
                        .collect::<Option<_>>()?;
                    if cut.windows(2).all(|w| w[0] == w[1]) {
                        out.insert(k.clone(), cut.into_iter().next().expect("not empty"));
                    } else {
                        out.insert(k.clone(), Value::Array(cut));
                        out.insert("additionalItems".into(), Value::Bool(true));
                    }
                }
                "additionalItems" => {
                    // Applies only beside tuple `items`, which gives `None` above.
                    if m.get("items").is_some_and(Value::is_array) {
                        return None;
                    }
                }
                "minItems" | "maxItems" | "uniqueItems" => {
                    if inst.is_array() {
                        out.insert(k.clone(), v.clone());
                    }
                }
                "allOf" | "anyOf" | "oneOf" => {
                    let cut: Vec<Value> = v
                        .as_array()?
                        .iter()
                        .map(|s| self.node(s, inst, depth))
                        .collect::<Option<_>>()?;
                    out.insert(k.clone(), Value::Array(cut));
                }
                "not" | "if" | "then" | "else" => {
                    out.insert(k.clone(), self.node(v, inst, depth)?);
                }
                _ if annotation(k) => {}
                _ => {
                    out.insert(k.clone(), v.clone());
                }
            }
        }
        if !props.is_empty() || m.contains_key("properties") && inst.is_object() {
            out.insert("properties".into(), Value::Object(props));
        }
        Some(Value::Object(out))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn schema(body: Value) -> Value {
        let mut s = body;
        s["$schema"] = json!("http://json-schema.org/draft-07/schema#");
        s
    }

    #[test]
    fn keeps_what_the_instance_reaches_and_inlines_refs() {
        let s = schema(json!({
            "type": "object",
            "properties": {
                "a": {"$ref": "#/definitions/big", "description": "x"},
                "b": {"type": "array", "items": {"$ref": "#/definitions/big"}},
                "c": {"type": "string"}
            },
            "additionalProperties": false,
            "definitions": {"big": {"type": "object", "properties": {"x": {"type": "integer"}, "y": {"type": "string"}}}}
        }));
        let cut = prune(&s, &json!({"a": {"x": 1}, "b": []})).unwrap();
        assert_eq!(
            cut,
            json!({
                "$schema": "http://json-schema.org/draft-07/schema#",
                "type": "object",
                "properties": {
                    "a": {"type": "object", "properties": {"x": {"type": "integer"}}},
                    "b": {"type": "array"}
                },
                "additionalProperties": false
            })
        );
    }

    #[test]
    fn what_it_does_not_follow_gives_the_whole_schema() {
        for s in [
            json!({"$schema": "https://json-schema.org/draft/2020-12/schema"}),
            schema(json!({"patternProperties": {"^a": {}}})),
            schema(json!({"properties": {"a": {"$ref": "other.json#/x"}}})),
        ] {
            assert_eq!(prune(&s, &json!({"a": 1})), None, "{s}");
        }
    }
}
