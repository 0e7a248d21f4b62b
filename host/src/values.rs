//! Chart values: layering and coalescing with Helm's semantics.
//!
//! Two operations, as in Helm:
//! - [`compose`] layers user-supplied values (files, inline maps, `--set`) in order: maps
//!   deep-merge, lists and scalars replace, and a `null` replaces too — it is kept, as the
//!   instruction "delete this key" (what `helm install -f a.yaml -f b.yaml` keeps). Layers
//!   fold left to right. `{}` is an identity on both sides, composing a layer with itself
//!   changes nothing, and composition is associative as long as no path changes between a
//!   map and a non-map across layers (a scalar that replaces a map makes a later map start
//!   afresh, exactly as in Helm). The property tests check these laws.
//! - [`coalesce`] applies values onto a base such as the chart defaults: here a `null`
//!   deletes the key, and never appears in the result.

use serde_json::{Map, Value};

/// Layer `overlay` onto `base` (user values onto user values; `null`s are kept).
pub fn compose(base: &mut Map<String, Value>, overlay: Map<String, Value>) {
    for (key, value) in overlay {
        match (base.get_mut(&key), value) {
            (Some(Value::Object(existing)), Value::Object(over)) => compose(existing, over),
            (_, value) => {
                base.insert(key, value);
            }
        }
    }
}

/// Apply `overlay` onto `base` (values onto chart defaults): a `null` deletes the key.
pub fn coalesce(base: &mut Map<String, Value>, overlay: Map<String, Value>) {
    for (key, value) in overlay {
        match value {
            Value::Null => {
                base.remove(&key);
            }
            Value::Object(over) => match base.get_mut(&key) {
                Some(Value::Object(existing)) => coalesce(existing, over),
                _ => {
                    base.insert(key, Value::Object(strip_nulls(over)));
                }
            },
            other => {
                base.insert(key, other);
            }
        }
    }
}

/// A map applied where there was none: its `null`s delete nothing and are dropped.
fn strip_nulls(map: Map<String, Value>) -> Map<String, Value> {
    let mut out = Map::new();
    coalesce(&mut out, map);
    out
}

/// What a value is, for messages: `null`, `a boolean`, `a number`, `a string`, `a list`,
/// `a map`.
pub fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "a map",
    }
}

/// The value at a dotted path such as `workers.keda.enabled`, if every map on the way exists.
pub fn get<'a>(values: &'a Value, path: &str) -> Option<&'a Value> {
    path.split('.')
        .try_fold(values, |node, key| node.as_object()?.get(key))
}

/// Put the user's values back at each dotted `path` (`userWins`): what `users` holds under
/// it is composed over `values` there (maps merge, so keys only a step set stay; anything else
/// the user wrote replaces the step's). A path the user never set changes nothing.
pub fn restore(values: &mut Value, users: &Value, paths: &[String]) {
    for path in paths {
        let Some(user) = get(users, path) else {
            continue;
        };
        let mut node = &mut *values;
        let keys: Vec<&str> = path.split('.').collect();
        let (last, parents) = keys.split_last().expect("paths are not empty");
        for key in parents {
            // The user's path runs through maps; a step that put something else on the way
            // loses it to the user's map.
            if !node.is_object() {
                *node = Value::Object(Map::new());
            }
            let map = node.as_object_mut().expect("a map");
            let child = map
                .entry((*key).to_owned())
                .or_insert_with(|| Value::Object(Map::new()));
            if !child.is_object() {
                *child = Value::Object(Map::new());
            }
            node = child;
        }
        if !node.is_object() {
            *node = Value::Object(Map::new());
        }
        let map = node.as_object_mut().expect("a map");
        match (map.get_mut(*last), user) {
            (Some(Value::Object(theirs)), Value::Object(mine)) => compose(theirs, mine.clone()),
            _ => {
                map.insert((*last).to_owned(), user.clone());
            }
        }
    }
}

/// A JSON pointer as a dotted values path under `prefix`: `/a/0/b.c` → `prefix.a[0].b\.c`
/// (a dot inside a key is escaped, as `--set` writes it).
pub fn pointer_path(prefix: &str, pointer: &str) -> String {
    let mut out = prefix.to_owned();
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
    out
}

/// Compose a list of layers, first to last.
pub fn layer(layers: impl IntoIterator<Item = Map<String, Value>>) -> Map<String, Value> {
    let mut out = Map::new();
    for l in layers {
        compose(&mut out, l);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn restore_puts_the_users_keys_back_and_keeps_the_steps_others() {
        let users = serde_json::json!({"w": {"k": {"max": 20, "gone": null}}, "x": 1});
        let mut finals = serde_json::json!({"w": {"k": {"max": 10, "poll": 3}}, "x": 2});
        restore(&mut finals, &users, &["w.k".into(), "never.set".into()]);
        assert_eq!(
            finals,
            serde_json::json!({"w": {"k": {"max": 20, "poll": 3, "gone": null}}, "x": 2})
        );
        // A step that replaced a map on the way with a scalar loses it to the user's map.
        let mut finals = serde_json::json!({"w": "flat"});
        restore(&mut finals, &users, &["w.k.max".into()]);
        assert_eq!(finals, serde_json::json!({"w": {"k": {"max": 20}}}));
    }
    use serde_json::json;

    fn obj(v: Value) -> Map<String, Value> {
        match v {
            Value::Object(m) => m,
            _ => panic!("not an object"),
        }
    }

    fn composed(a: Value, b: Value) -> Value {
        let mut a = obj(a);
        compose(&mut a, obj(b));
        Value::Object(a)
    }

    fn coalesced(a: Value, b: Value) -> Value {
        let mut a = obj(a);
        coalesce(&mut a, obj(b));
        Value::Object(a)
    }

    #[test]
    fn maps_deep_merge() {
        let (a, b) = (
            json!({"workers": {"replicas": 2, "keda": {"enabled": false}}}),
            json!({"workers": {"keda": {"enabled": true, "maxReplicaCount": 10}}}),
        );
        let want =
            json!({"workers": {"replicas": 2, "keda": {"enabled": true, "maxReplicaCount": 10}}});
        assert_eq!(composed(a.clone(), b.clone()), want);
        assert_eq!(coalesced(a, b), want);
    }

    #[test]
    fn lists_and_scalars_replace() {
        assert_eq!(
            composed(json!({"a": [1, 2], "b": "x"}), json!({"a": [3], "b": 5})),
            json!({"a": [3], "b": 5})
        );
        assert_eq!(
            composed(json!({"a": {"x": 1}}), json!({"a": "flat"})),
            json!({"a": "flat"})
        );
        assert_eq!(
            composed(json!({"a": "flat"}), json!({"a": {"x": 1}})),
            json!({"a": {"x": 1}})
        );
    }

    #[test]
    fn layering_keeps_null_as_a_delete_instruction_and_coalescing_deletes() {
        let layered = composed(
            json!({"a": 1, "b": {"c": 1, "d": 2}}),
            json!({"a": null, "b": {"c": null}}),
        );
        assert_eq!(layered, json!({"a": null, "b": {"c": null, "d": 2}}));
        let defaults = json!({"a": 5, "b": {"c": 5, "e": 5}, "f": 5});
        assert_eq!(
            coalesced(defaults, layered),
            json!({"b": {"d": 2, "e": 5}, "f": 5})
        );
        assert_eq!(
            coalesced(json!({}), json!({"a": null, "b": {"c": null, "d": 1}})),
            json!({"b": {"d": 1}})
        );
    }

    #[test]
    fn layering_is_in_order_and_identity_on_empty() {
        let l = layer([obj(json!({"a": 1})), obj(json!({"a": 2})), obj(json!({}))]);
        assert_eq!(Value::Object(l), json!({"a": 2}));
        assert_eq!(Value::Object(layer([])), json!({}));
    }
}
