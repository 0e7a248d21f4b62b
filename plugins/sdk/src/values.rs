//! Read and write chart values by dotted path, e.g. `workers.keda.enabled`.
//!
//! A key that itself contains a dot (an annotation such as `eks.amazonaws.com/role-arn`) is
//! written with the dot escaped: `serviceAccount.annotations.eks\.amazonaws\.com/role-arn`.

use crate::PluginError;
use serde_json::{Map, Value};

/// Split a dotted path into keys, honouring `\.` escapes.
pub fn split(path: &str) -> Vec<String> {
    let mut keys = vec![String::new()];
    let mut chars = path.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some(next) => keys.last_mut().expect("non-empty").push(next),
                None => keys.last_mut().expect("non-empty").push('\\'),
            },
            '.' => keys.push(String::new()),
            other => keys.last_mut().expect("non-empty").push(other),
        }
    }
    keys
}

/// The value at `path`, if every map on the way exists.
pub fn get<'a>(values: &'a Value, path: &str) -> Option<&'a Value> {
    split(path)
        .iter()
        .try_fold(values, |node, key| node.as_object()?.get(key))
}

/// The string at `path`, if there is one.
pub fn get_str<'a>(values: &'a Value, path: &str) -> Option<&'a str> {
    get(values, path).and_then(Value::as_str)
}

/// The boolean at `path`, if there is one.
pub fn get_bool(values: &Value, path: &str) -> Option<bool> {
    get(values, path).and_then(Value::as_bool)
}

/// Set `path` to `value`, creating the maps on the way. Fails when a prefix of the path
/// holds something that is not a map.
pub fn set(values: &mut Value, path: &str, value: Value) -> Result<(), PluginError> {
    let keys = split(path);
    let (last, parents) = keys
        .split_last()
        .expect("split never returns an empty list");
    let mut node = values;
    let mut walked = Vec::new();
    for key in parents {
        walked.push(key.as_str());
        let map = as_map(node, &walked[..walked.len() - 1])?;
        node = map
            .entry(key.clone())
            .or_insert_with(|| Value::Object(Map::new()));
        if node.is_null() {
            *node = Value::Object(Map::new());
        }
    }
    as_map(node, &walked)?.insert(last.clone(), value);
    Ok(())
}

/// Remove the key at `path`; returns what was there.
pub fn remove(values: &mut Value, path: &str) -> Option<Value> {
    let keys = split(path);
    let (last, parents) = keys.split_last()?;
    let mut node = values;
    for key in parents {
        node = node.as_object_mut()?.get_mut(key)?;
    }
    node.as_object_mut()?.remove(last)
}

fn as_map<'a>(node: &'a mut Value, at: &[&str]) -> Result<&'a mut Map<String, Value>, PluginError> {
    let kind = type_name(node);
    node.as_object_mut().ok_or_else(|| {
        let at = if at.is_empty() {
            "the values root".to_owned()
        } else {
            format!("`{}`", at.join("."))
        };
        PluginError::InvalidValues(format!("{at} is {kind}, not a map"))
    })
}

/// `a string`, `a list`, … for messages.
pub fn type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "a map",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn get_walks_maps_only() {
        let v = json!({"a": {"b": {"c": 1}}, "l": [1]});
        assert_eq!(get(&v, "a.b.c"), Some(&json!(1)));
        assert_eq!(get(&v, "a.x.c"), None);
        assert_eq!(get(&v, "l.0"), None);
    }

    #[test]
    fn set_creates_maps_and_replaces_null() {
        let mut v = json!({"data": null});
        set(&mut v, "data.metadataSecretName", json!("db")).unwrap();
        set(&mut v, "postgresql.enabled", json!(false)).unwrap();
        assert_eq!(
            v,
            json!({"data": {"metadataSecretName": "db"}, "postgresql": {"enabled": false}})
        );
    }

    #[test]
    fn set_refuses_to_overwrite_a_scalar_parent() {
        let mut v = json!({"data": "oops"});
        let err = set(&mut v, "data.metadataSecretName", json!("db")).unwrap_err();
        assert_eq!(
            err,
            PluginError::InvalidValues("`data` is a string, not a map".into())
        );
    }

    #[test]
    fn escaped_dots_stay_in_the_key() {
        let mut v = json!({});
        set(
            &mut v,
            r"sa.annotations.eks\.amazonaws\.com/role-arn",
            json!("arn"),
        )
        .unwrap();
        assert_eq!(
            v,
            json!({"sa": {"annotations": {"eks.amazonaws.com/role-arn": "arn"}}})
        );
        assert_eq!(
            remove(&mut v, r"sa.annotations.eks\.amazonaws\.com/role-arn"),
            Some(json!("arn"))
        );
    }
}
