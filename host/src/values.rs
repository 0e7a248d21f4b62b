//! Chart values: layering with Helm's semantics.
//!
//! Values files and inline maps layer in order. Maps deep-merge, lists and scalars replace,
//! and a `null` in a later layer deletes the key (as `helm install -f a.yaml -f b.yaml` does
//! when it coalesces values).

use serde_json::{Map, Value};

/// Merge `overlay` into `base`.
pub fn merge(base: &mut Map<String, Value>, overlay: Map<String, Value>) {
    for (key, value) in overlay {
        match value {
            Value::Null => {
                base.remove(&key);
            }
            Value::Object(over) => match base.get_mut(&key) {
                Some(Value::Object(existing)) => merge(existing, over),
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

/// A map inserted where nothing was merges into emptiness: its `null`s delete nothing and
/// are dropped, so the result does not depend on what was underneath.
fn strip_nulls(map: Map<String, Value>) -> Map<String, Value> {
    let mut out = Map::new();
    merge(&mut out, map);
    out
}

/// The value at a dotted path such as `workers.keda.enabled`, if every map on the way exists.
pub fn get<'a>(values: &'a Value, path: &str) -> Option<&'a Value> {
    path.split('.')
        .try_fold(values, |node, key| node.as_object()?.get(key))
}

/// Merge a list of layers, first to last.
pub fn layer(layers: impl IntoIterator<Item = Map<String, Value>>) -> Map<String, Value> {
    let mut out = Map::new();
    for l in layers {
        merge(&mut out, l);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn obj(v: Value) -> Map<String, Value> {
        match v {
            Value::Object(m) => m,
            _ => panic!("not an object"),
        }
    }

    fn merged(a: Value, b: Value) -> Value {
        let mut a = obj(a);
        merge(&mut a, obj(b));
        Value::Object(a)
    }

    #[test]
    fn maps_deep_merge() {
        assert_eq!(
            merged(
                json!({"workers": {"replicas": 2, "keda": {"enabled": false}}}),
                json!({"workers": {"keda": {"enabled": true, "maxReplicaCount": 10}}})
            ),
            json!({"workers": {"replicas": 2, "keda": {"enabled": true, "maxReplicaCount": 10}}})
        );
    }

    #[test]
    fn lists_and_scalars_replace() {
        assert_eq!(
            merged(json!({"a": [1, 2], "b": "x"}), json!({"a": [3], "b": 5})),
            json!({"a": [3], "b": 5})
        );
        assert_eq!(
            merged(json!({"a": {"x": 1}}), json!({"a": "flat"})),
            json!({"a": "flat"})
        );
        assert_eq!(
            merged(json!({"a": "flat"}), json!({"a": {"x": 1}})),
            json!({"a": {"x": 1}})
        );
    }

    #[test]
    fn null_deletes_the_key() {
        assert_eq!(
            merged(
                json!({"a": 1, "b": {"c": 1, "d": 2}}),
                json!({"a": null, "b": {"c": null}})
            ),
            json!({"b": {"d": 2}})
        );
        assert_eq!(merged(json!({}), json!({"a": null})), json!({}));
        assert_eq!(
            merged(json!({"a": 1}), json!({"b": {"c": null, "d": 1}})),
            json!({"a": 1, "b": {"d": 1}})
        );
    }

    #[test]
    fn layering_is_in_order_and_identity_on_empty() {
        let l = layer([obj(json!({"a": 1})), obj(json!({"a": 2})), obj(json!({}))]);
        assert_eq!(Value::Object(l), json!({"a": 2}));
        assert_eq!(Value::Object(layer([])), json!({}));
    }

    #[test]
    fn merge_is_associative_on_a_sample() {
        let (a, b, c) = (
            json!({"x": {"y": 1, "z": [1]}}),
            json!({"x": {"y": null, "w": 2}}),
            json!({"x": {"z": {"k": 1}}}),
        );
        let left = merged(merged(a.clone(), b.clone()), c.clone());
        let mut bc = obj(b);
        merge(&mut bc, obj(c));
        let right = merged(a, Value::Object(bc));
        assert_eq!(left, right);
    }
}
