//! `--set` / `--set-string` overrides, Helm style: `a.b=1,c.d[0]=x`.
//!
//! Keys are dotted paths (`\.` keeps a dot inside a key, `name[N]` indexes a list); several
//! assignments may be joined with commas (`\,` keeps a comma in a value). With `--set` the
//! value is typed like Helm does: `true`/`false`, integers and `null` become booleans,
//! numbers and null, everything else a string; `--set-string` always sets a string. The
//! overrides form one more values layer, after every file, for every selected release.

use serde_json::{Map, Value};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid --set `{input}`: {reason}")]
pub struct SetError {
    pub input: String,
    pub reason: String,
}

enum Key {
    Field(String),
    Index(usize),
}

/// Parse one `--set` argument into a values layer (merged into `into`).
pub fn apply(input: &str, typed: bool, into: &mut Map<String, Value>) -> Result<(), SetError> {
    let err = |reason: &str| SetError {
        input: input.to_owned(),
        reason: reason.to_owned(),
    };
    for assignment in split_unescaped(input, ',') {
        let (path, raw) = assignment
            .split_once('=')
            .ok_or_else(|| err("expected `key=value` (several joined by commas)"))?;
        if path.is_empty() {
            return Err(err("the key before `=` is empty"));
        }
        let keys = parse_path(path).map_err(|r| err(&r))?;
        let value = if typed {
            typed_value(&raw.replace("\\,", ","))
        } else {
            Value::String(raw.replace("\\,", ","))
        };
        let mut root = Value::Object(std::mem::take(into));
        set(&mut root, &keys, value).map_err(|r| err(&r))?;
        *into = match root {
            Value::Object(m) => m,
            _ => unreachable!("the root stays a map"),
        };
    }
    Ok(())
}

fn split_unescaped(s: &str, sep: char) -> Vec<String> {
    let mut parts = vec![String::new()];
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\\' && chars.peek() == Some(&sep) {
            parts.last_mut().expect("non-empty").push('\\');
            parts.last_mut().expect("non-empty").push(sep);
            chars.next();
        } else if c == sep {
            parts.push(String::new());
        } else {
            parts.last_mut().expect("non-empty").push(c);
        }
    }
    parts
}

fn parse_path(path: &str) -> Result<Vec<Key>, String> {
    let mut keys = Vec::new();
    let mut current = String::new();
    let mut chars = path.chars().peekable();
    let mut after_index = false;
    while let Some(c) = chars.next() {
        match c {
            '\\' if chars.peek() == Some(&'.') => {
                current.push('.');
                chars.next();
            }
            '.' => {
                if current.is_empty() && !after_index {
                    return Err(format!("empty key in `{path}`"));
                }
                if !current.is_empty() {
                    keys.push(Key::Field(std::mem::take(&mut current)));
                }
                after_index = false;
            }
            '[' => {
                if !current.is_empty() {
                    keys.push(Key::Field(std::mem::take(&mut current)));
                } else if keys.is_empty() {
                    return Err(format!("`{path}` starts with an index"));
                }
                let mut digits = String::new();
                loop {
                    match chars.next() {
                        Some(']') => break,
                        Some(d) if d.is_ascii_digit() => digits.push(d),
                        _ => {
                            return Err(format!("bad list index in `{path}` (expected `name[N]`)"));
                        }
                    }
                }
                let n: usize = digits
                    .parse()
                    .map_err(|_| format!("bad list index in `{path}`"))?;
                if n > 10_000 {
                    return Err(format!("list index {n} in `{path}` is too large"));
                }
                keys.push(Key::Index(n));
                after_index = true;
            }
            other => {
                if after_index {
                    return Err(format!("expected `.` or `[` after `]` in `{path}`"));
                }
                current.push(other);
            }
        }
    }
    if !current.is_empty() {
        keys.push(Key::Field(current));
    } else if !after_index {
        return Err(format!("`{path}` ends with an empty key"));
    }
    Ok(keys)
}

fn typed_value(raw: &str) -> Value {
    match raw {
        "true" => Value::Bool(true),
        "false" => Value::Bool(false),
        "null" => Value::Null,
        _ => raw
            .parse::<i64>()
            .ok()
            .filter(|_| !has_sign_or_leading_zero(raw))
            .map(|n| Value::Number(n.into()))
            .unwrap_or_else(|| Value::String(raw.to_owned())),
    }
}

/// `+1` and `007` stay strings (as in Helm), only plain integers become numbers.
fn has_sign_or_leading_zero(raw: &str) -> bool {
    raw.starts_with('+') || (raw.starts_with('0') && raw.len() > 1)
}

fn set(node: &mut Value, keys: &[Key], value: Value) -> Result<(), String> {
    let Some((first, rest)) = keys.split_first() else {
        *node = value;
        return Ok(());
    };
    match first {
        Key::Field(k) => {
            if !node.is_object() {
                *node = Value::Object(Map::new());
            }
            let map = node.as_object_mut().expect("just made a map");
            let child = map.entry(k.clone()).or_insert(Value::Null);
            set(child, rest, value)
        }
        Key::Index(i) => {
            if !node.is_array() {
                *node = Value::Array(Vec::new());
            }
            let list = node.as_array_mut().expect("just made a list");
            while list.len() <= *i {
                list.push(Value::Null);
            }
            set(&mut list[*i], rest, value)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn set_all(args: &[(&str, bool)]) -> Result<Value, SetError> {
        let mut m = Map::new();
        for (a, typed) in args {
            apply(a, *typed, &mut m)?;
        }
        Ok(Value::Object(m))
    }

    #[test]
    fn helm_style_assignments() {
        assert_eq!(
            set_all(&[
                (
                    "workers.keda.enabled=true,workers.keda.maxReplicaCount=10",
                    true
                ),
                ("executor=CeleryExecutor", true)
            ])
            .unwrap(),
            json!({"workers": {"keda": {"enabled": true, "maxReplicaCount": 10}}, "executor": "CeleryExecutor"})
        );
        assert_eq!(
            set_all(&[("a.b=007", true)]).unwrap(),
            json!({"a": {"b": "007"}})
        );
        assert_eq!(set_all(&[("a=true", false)]).unwrap(), json!({"a": "true"}));
        assert_eq!(
            set_all(&[(r"ann.eks\.amazonaws\.com/role=arn", true)]).unwrap(),
            json!({"ann": {"eks.amazonaws.com/role": "arn"}})
        );
        assert_eq!(set_all(&[(r"a=x\,y", true)]).unwrap(), json!({"a": "x,y"}));
        assert_eq!(
            set_all(&[("l[1].name=x", true)]).unwrap(),
            json!({"l": [null, {"name": "x"}]})
        );
        assert_eq!(set_all(&[("a=b=c", true)]).unwrap(), json!({"a": "b=c"}));
        assert_eq!(set_all(&[("a=", true)]).unwrap(), json!({"a": ""}));
    }

    #[test]
    fn bad_assignments_are_errors() {
        for bad in [
            "novalue",
            "=x",
            "a..b=1",
            "a.=1",
            "[0]=1",
            "a[x]=1",
            "a[1]b=1",
            "a[99999999]=1",
            ",",
            "a=1,b",
        ] {
            assert!(set_all(&[(bad, true)]).is_err(), "{bad}");
        }
        assert_eq!(
            set_all(&[("novalue", true)]).unwrap_err().to_string(),
            "invalid --set `novalue`: expected `key=value` (several joined by commas)"
        );
    }
}
