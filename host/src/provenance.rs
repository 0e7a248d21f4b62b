//! Where each values key came from: a values layer (a file, with its line when known, or an
//! inline map of the pipeline file), `--set` and its kin, or a step. Built while the values
//! are composed and the steps run, by diffing each stage's values against the previous ones;
//! the rules on the final values ([`crate::checks`]) name it in their messages.
//!
//! Every run keeps the last origin of each key and the keys a step changed after the user set
//! them ([`Provenance::overridden`]); the full history with the value at every stage
//! ([`Provenance::changes`], for `explain`) is kept only when asked for
//! ([`Provenance::with_history`]).
//!
//! Paths are dotted (`workers.keda.enabled`), list items `[N]`, keys as written.

use serde_json::Value;
use std::collections::{BTreeMap, HashMap};
use std::fmt;

#[derive(Debug, Clone, PartialEq)]
pub enum Origin {
    /// A values layer: its label (a file path or a pipeline key), the key's line, and where
    /// the layer is listed in the pipeline file (`releases[0].environmentValues.prod[0]`).
    Layer {
        label: String,
        line: Option<usize>,
        key: String,
    },
    /// `--set`, `--set-string`, `--set-json`, `--set-file` or `--set-literal`.
    Set,
    /// A step, by number and plugin.
    Step { number: usize, plugin: String },
    /// helmwasm itself (the rollout digest annotations).
    Host(&'static str),
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Origin::Layer {
                label,
                line: Some(l),
                ..
            } => write!(f, "{label}:{l}"),
            Origin::Layer {
                label, line: None, ..
            } => write!(f, "{label}"),
            Origin::Set => write!(f, "the command line (--set)"),
            Origin::Step { number, plugin } => write!(f, "step {number} (`{plugin}`)"),
            Origin::Host(what) => write!(f, "helmwasm ({what})"),
        }
    }
}

/// One change a stage made: the path, the value before (`Null` when absent) and after.
#[derive(Debug, Clone, PartialEq)]
pub struct Change {
    pub path: String,
    pub before: Value,
    pub after: Value,
    pub origin: Origin,
}

/// A key the user set (a values layer or `--set`) that a step then changed or deleted.
#[derive(Debug, Clone, PartialEq)]
pub struct Overridden {
    pub path: String,
    /// The user's value and where it was set.
    pub user_value: Value,
    pub user_origin: Origin,
    /// The step and the value it left (`Null`: deleted).
    pub by: Origin,
    pub value: Value,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Provenance {
    last: BTreeMap<String, Origin>,
    history: bool,
    /// Every change, in order: kept only [`Provenance::with_history`].
    pub changes: Vec<Change>,
    /// Every user-set key a step changed, in order (always kept; rules such as "a step
    /// replaced the executor the user chose" read it).
    pub overridden: Vec<Overridden>,
}

impl Provenance {
    /// A provenance that also keeps every change with its values (`explain`).
    pub fn with_history() -> Self {
        Provenance {
            history: true,
            ..Provenance::default()
        }
    }

    /// Record what changed from `before` to `after` as set by `origin`, and return the paths
    /// (what `-v` shows of a step). For a layer, `lines` gives the line of each path in its
    /// file.
    pub fn record(
        &mut self,
        before: &Value,
        after: &Value,
        origin: &Origin,
        lines: Option<&HashMap<String, usize>>,
    ) -> Changes {
        let mut changed = Vec::new();
        diff("", before, after, &mut changed);
        let mut paths = Changes::default();
        for (path, b, a) in changed {
            match (b.is_null(), a.is_null()) {
                (true, false) => paths.set.push(path.clone()),
                (false, true) => paths.deleted.push(path.clone()),
                _ => paths.changed.push(path.clone()),
            }
            let origin = match (origin, lines) {
                (Origin::Layer { label, key, .. }, Some(lines)) => Origin::Layer {
                    label: label.clone(),
                    line: lines.get(&path).copied(),
                    key: key.clone(),
                },
                _ => origin.clone(),
            };
            if matches!(origin, Origin::Step { .. })
                && let Some(user) = self
                    .of(&path)
                    .filter(|o| matches!(o, Origin::Layer { .. } | Origin::Set))
            {
                self.overridden.push(Overridden {
                    path: path.clone(),
                    user_value: b.clone(),
                    user_origin: user.clone(),
                    by: origin.clone(),
                    value: a.clone(),
                });
            }
            // A new value at a path replaces whatever was recorded beneath it.
            let below: Vec<String> = self
                .last
                .range(path.clone()..)
                .map(|(k, _)| k.clone())
                .take_while(|k| k.starts_with(&path))
                .filter(|k| k.len() > path.len() && matches!(k.as_bytes()[path.len()], b'.' | b'['))
                .collect();
            for k in below {
                self.last.remove(&k);
            }
            self.last.insert(path.clone(), origin.clone());
            if self.history {
                self.changes.push(Change {
                    path,
                    before: b.clone(),
                    after: a.clone(),
                    origin,
                });
            }
        }
        paths
    }

    /// Where the value at `path` came from: its own record, its nearest ancestor's, or (for a
    /// map whose keys were set one by one) its first key's.
    pub fn of(&self, path: &str) -> Option<&Origin> {
        let mut p = path.to_owned();
        loop {
            if let Some(o) = self.last.get(&p) {
                return Some(o);
            }
            let Some(cut) = p.rfind(['.', '[']) else {
                break;
            };
            p.truncate(cut);
        }
        self.last
            .range(path.to_owned()..)
            .take_while(|(k, _)| k.starts_with(path))
            .find(|(k, _)| matches!(k.as_bytes().get(path.len()), Some(b'.' | b'[')))
            .map(|(_, o)| o)
    }

    /// ` (set by …)` for a message, or nothing when unknown (a chart default).
    pub fn set_by(&self, path: &str) -> String {
        self.of(path)
            .map(|o| format!(" (set by {o})"))
            .unwrap_or_else(|| " (the chart's default)".to_owned())
    }
}

/// Every leaf path whose value differs from `before` to `after`, with both values (`Null`
/// when absent), in `after`'s order then what `before` alone had.
pub fn differences(before: &Value, after: &Value) -> Vec<(String, Value, Value)> {
    let mut out = Vec::new();
    diff("", before, after, &mut out);
    out.into_iter()
        .map(|(p, a, b)| (p, a.clone(), b.clone()))
        .collect()
}

fn join(prefix: &str, key: &str) -> String {
    if prefix.is_empty() {
        key.to_owned()
    } else {
        format!("{prefix}.{key}")
    }
}

/// The dotted paths one [`Provenance::record`] found set (new), changed and deleted.
#[derive(Debug, Default)]
pub struct Changes {
    pub set: Vec<String>,
    pub changed: Vec<String>,
    pub deleted: Vec<String>,
}

fn diff<'a>(path: &str, a: &'a Value, b: &'a Value, out: &mut Vec<(String, &'a Value, &'a Value)>) {
    static NULL: Value = Value::Null;
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            for (k, v) in y {
                diff(&join(path, k), x.get(k).unwrap_or(&NULL), v, out);
            }
            for (k, v) in x {
                if !y.contains_key(k) {
                    out.push((join(path, k), v, &NULL));
                }
            }
        }
        _ if a == b => {}
        (Value::Null, Value::Object(y)) => {
            // A new map: each of its leaves, so lines and later lookups are per key.
            if y.is_empty() {
                out.push((path.to_owned(), a, b));
            }
            for (k, v) in y {
                diff(&join(path, k), &NULL, v, out);
            }
        }
        _ => out.push((path.to_owned(), a, b)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_last_stage_to_touch_a_key_is_its_origin() {
        let mut p = Provenance::with_history();
        let layer = Origin::Layer {
            label: "values.yaml".into(),
            line: None,
            key: "releases[0].values[0]".into(),
        };
        let lines: HashMap<String, usize> = [("a.b".to_owned(), 2), ("c".to_owned(), 4)].into();
        let v1 = json!({"a": {"b": 1}, "c": "x"});
        p.record(&json!({}), &v1, &layer, Some(&lines));
        let v2 = json!({"a": {"b": 1}, "c": "y", "d": [1]});
        let step = Origin::Step {
            number: 2,
            plugin: "p".into(),
        };
        p.record(&v1, &v2, &step, None);
        assert_eq!(p.of("a.b").unwrap().to_string(), "values.yaml:2");
        assert_eq!(p.of("c").unwrap().to_string(), "step 2 (`p`)");
        assert_eq!(p.of("d[0]").unwrap().to_string(), "step 2 (`p`)");
        assert_eq!(p.set_by("zzz"), " (the chart's default)");
        // A map set key by key is named by its keys' origin.
        assert_eq!(p.of("a").unwrap().to_string(), "values.yaml:2");
        // Replacing a map by a scalar forgets what was recorded beneath it.
        p.record(
            &v2,
            &json!({"a": 5, "c": "y", "d": [1]}),
            &Origin::Set,
            None,
        );
        assert_eq!(p.of("a.b").unwrap(), &Origin::Set);
        let change = p
            .changes
            .iter()
            .find(|c| c.path == "c" && c.origin == step)
            .unwrap();
        assert_eq!((&change.before, &change.after), (&json!("x"), &json!("y")));
        // The user's `c` replaced by step 2 is remembered without the history too.
        assert_eq!(p.overridden.len(), 1);
        let o = &p.overridden[0];
        assert_eq!(
            (o.path.as_str(), &o.user_value, &o.value),
            ("c", &json!("x"), &json!("y"))
        );
        assert_eq!(o.user_origin.to_string(), "values.yaml:4");
        assert_eq!(o.by, step);
    }

    #[test]
    fn without_history_only_origins_and_overrides_are_kept() {
        let mut p = Provenance::default();
        p.record(&json!({}), &json!({"a": 1}), &Origin::Set, None);
        let step = Origin::Step {
            number: 1,
            plugin: "p".into(),
        };
        p.record(&json!({"a": 1}), &json!({"a": 2, "b": 3}), &step, None);
        assert!(p.changes.is_empty());
        assert_eq!(p.of("b"), Some(&step));
        assert_eq!(p.overridden.len(), 1, "b was new, a was the user's");
        assert_eq!(p.overridden[0].user_origin, Origin::Set);
    }
}
