//! Comparing two renders object by object, for `helmwasm diff`.
//!
//! A render is a map of keyed objects ([`objects`]): the chart's manifests, the emitted ones, and each
//! release's final values as one more object (kind `Values`), keyed by release, kind,
//! namespace and name. Both sides are printed with the same YAML writer, so only content
//! differences show. Each changed object is a unified diff (Myers, by `similar`) under a
//! helm-diff-style header; a summary counts added, changed and removed objects.
//!
//! Secrets never show by default: a Secret's `data` and `stringData` values are replaced by
//! markers that say only whether each key was added, changed, removed or kept, and the keys
//! are listed; any other string holding a known secret (either side, same place) is masked
//! the same way. `--show-secrets` shows the latter, `--show-secret-values` also the former.

use crate::redact::{MARKER, Redactor};
use crate::render::Render;
use crate::yaml;
use anstyle::{AnsiColor, Style};
use anyhow::{Context as _, Result};
use serde_json::Value;
use similar::{ChangeTag, TextDiff};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

/// What identifies an object across renders.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Key {
    pub release: String,
    pub namespace: String,
    pub name: String,
    pub kind: String,
    /// `apps/v1`, `v1`, or `helmwasm` for the values.
    pub api_version: String,
}

impl Key {
    /// `NAMESPACE, NAME, KIND (API)`, as helm-diff writes it.
    fn header(&self) -> String {
        format!(
            "{}, {}, {} ({})",
            self.namespace, self.name, self.kind, self.api_version
        )
    }
}

/// Every object of a render, keyed; a key seen twice keeps the last object.
pub fn objects(render: &Render) -> BTreeMap<Key, Value> {
    let mut out = BTreeMap::new();
    for r in &render.releases {
        out.insert(values_key(&r.name, &r.namespace), r.values.clone());
        for o in r.objects() {
            out.insert(key(&r.name, &r.namespace, o), o.clone());
        }
    }
    out
}

fn values_key(release: &str, namespace: &str) -> Key {
    Key {
        release: release.to_owned(),
        namespace: namespace.to_owned(),
        name: release.to_owned(),
        kind: "Values".to_owned(),
        api_version: "helmwasm".to_owned(),
    }
}

fn key(release: &str, namespace: &str, o: &Value) -> Key {
    let s = |v: &Value| v.as_str().unwrap_or_default().to_owned();
    let ns = o["metadata"]["namespace"]
        .as_str()
        .filter(|n| !n.is_empty())
        .unwrap_or(namespace);
    Key {
        release: release.to_owned(),
        namespace: ns.to_owned(),
        name: s(&o["metadata"]["name"]),
        kind: s(&o["kind"]),
        api_version: s(&o["apiVersion"]),
    }
}

/// The objects of a folder written by `template --output-dir`: `RELEASE/values.yaml`,
/// `manifests.yaml` and `chart.yaml`. Objects without a namespace get the one `namespaces`
/// gives their release (the folder does not record it), else none.
pub fn read_dir(dir: &Path, namespaces: &BTreeMap<String, String>) -> Result<BTreeMap<Key, Value>> {
    let mut out = BTreeMap::new();
    let entries = std::fs::read_dir(dir).with_context(|| {
        format!(
            "cannot read {} (a folder written by `template --output-dir`)",
            dir.display()
        )
    })?;
    let mut releases: Vec<_> = entries
        .filter_map(|e| e.ok())
        .filter(|e| e.path().join("values.yaml").is_file())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    releases.sort();
    if releases.is_empty() {
        anyhow::bail!(
            "{} holds no release folder (RELEASE/values.yaml): write one with `helmwasm template --output-dir {}`",
            dir.display(),
            dir.display()
        );
    }
    for release in releases {
        let base = dir.join(&release);
        let ns = namespaces.get(&release).cloned().unwrap_or_default();
        let path = base.join("values.yaml");
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("cannot read {}", path.display()))?;
        out.insert(values_key(&release, &ns), yaml::parse_values(&text, &path)?);
        for file in ["chart.yaml", "manifests.yaml"] {
            let path = base.join(file);
            let Ok(text) = std::fs::read_to_string(&path) else {
                continue;
            };
            for doc in crate::helm::split_documents(&text) {
                let object = yaml::parse_values(&doc.text, &path)?;
                if object.as_object().is_some_and(|m| !m.is_empty()) {
                    out.insert(key(&release, &ns, &object), object);
                }
            }
        }
    }
    Ok(out)
}

/// How to show the differences.
#[derive(Debug, Clone, Copy, Default)]
pub struct Show {
    pub context: usize,
    /// Show known secrets outside Secret data.
    pub secrets: bool,
    /// Show Secret `data` / `stringData` values.
    pub secret_values: bool,
}

/// The differences, ready to print (ANSI styles included; strip them for a pipe).
pub struct Report {
    pub text: String,
    pub added: usize,
    pub changed: usize,
    pub removed: usize,
}

impl Report {
    pub fn has_changes(&self) -> bool {
        self.added + self.changed + self.removed > 0
    }
}

const HEADER: Style = AnsiColor::Yellow.on_default().bold();
const DELETE: Style = AnsiColor::Red.on_default();
const INSERT: Style = AnsiColor::Green.on_default();
const HUNK: Style = AnsiColor::Cyan.on_default();

pub fn compare(
    old: &BTreeMap<Key, Value>,
    new: &BTreeMap<Key, Value>,
    show: Show,
    redactor: &Redactor,
) -> Report {
    let mut report = Report {
        text: String::new(),
        added: 0,
        changed: 0,
        removed: 0,
    };
    let mut keys: Vec<&Key> = old.keys().chain(new.keys()).collect();
    keys.sort();
    keys.dedup();
    let null = Value::Null;
    for k in keys {
        let (a, b) = (old.get(k), new.get(k));
        if a == b {
            continue;
        }
        let (what, a, b) = match (a, b) {
            (None, Some(b)) => {
                report.added += 1;
                ("has been added", &null, b)
            }
            (Some(a), None) => {
                report.removed += 1;
                ("has been removed", a, &null)
            }
            (Some(a), Some(b)) => {
                report.changed += 1;
                ("has changed", a, b)
            }
            (None, None) => unreachable!("every key is on one side"),
        };
        let (a, b, data_keys) = masked_pair(k, a, b, show, redactor);
        let text = |v: &Value| {
            if v.is_null() {
                String::new()
            } else {
                yaml::to_string(v)
            }
        };
        let (ta, tb) = (text(&a), text(&b));
        let _ = writeln!(
            report.text,
            "{HEADER}{} {what}:{HEADER:#}",
            crate::term::line(&k.header())
        );
        let diff = TextDiff::from_lines(&ta, &tb);
        for hunk in diff
            .unified_diff()
            .context_radius(show.context)
            .iter_hunks()
        {
            let _ = writeln!(report.text, "{HUNK}{}{HUNK:#}", hunk.header());
            for change in hunk.iter_changes() {
                let (sign, style) = match change.tag() {
                    ChangeTag::Delete => ("-", DELETE),
                    ChangeTag::Insert => ("+", INSERT),
                    ChangeTag::Equal => (" ", Style::new()),
                };
                let line = change.value().trim_end_matches('\n');
                let _ = writeln!(report.text, "{style}{sign} {line}{style:#}");
            }
        }
        if let Some(summary) = data_keys {
            let _ = writeln!(report.text, "  {summary}");
        }
        report.text.push('\n');
    }
    let _ = writeln!(
        report.text,
        "Summary: {} added, {} changed, {} removed",
        report.added, report.changed, report.removed
    );
    // Both sides may quote known secrets anywhere: the last safety net.
    if !show.secrets {
        report.text = redactor.redact(&report.text);
    }
    report
}

/// Both sides with secrets masked, and for a Secret the line naming its changed keys.
fn masked_pair(
    k: &Key,
    a: &Value,
    b: &Value,
    show: Show,
    redactor: &Redactor,
) -> (Value, Value, Option<String>) {
    let (mut a, mut b) = (a.clone(), b.clone());
    let mut summary = None;
    if k.kind == "Secret" && k.api_version == "v1" {
        let mut added = Vec::new();
        let mut changed = Vec::new();
        let mut removed = Vec::new();
        for field in ["data", "stringData"] {
            let x = a
                .get(field)
                .and_then(Value::as_object)
                .cloned()
                .unwrap_or_default();
            let y = b
                .get(field)
                .and_then(Value::as_object)
                .cloned()
                .unwrap_or_default();
            let mut names: Vec<&String> = x.keys().chain(y.keys()).collect();
            names.sort();
            names.dedup();
            for n in names {
                match (x.get(n), y.get(n)) {
                    (None, Some(_)) => added.push(n.clone()),
                    (Some(_), None) => removed.push(n.clone()),
                    (Some(p), Some(q)) if p != q => changed.push(n.clone()),
                    _ => {}
                }
                if !show.secret_values {
                    let (old_mark, new_mark) = match (x.get(n), y.get(n)) {
                        (Some(p), Some(q)) if p == q => (MARKER, MARKER),
                        (Some(_), Some(_)) => ("<redacted: old value>", "<redacted: new value>"),
                        _ => (MARKER, MARKER),
                    };
                    set(&mut a, field, n, old_mark);
                    set(&mut b, field, n, new_mark);
                }
            }
        }
        let list = |what: &str, keys: &[String]| {
            (!keys.is_empty()).then(|| {
                format!(
                    "{what}: {}",
                    keys.iter()
                        .map(|k| format!("`{}`", crate::term::line(k)))
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            })
        };
        let parts: Vec<String> = [
            list("added", &added),
            list("changed", &changed),
            list("removed", &removed),
        ]
        .into_iter()
        .flatten()
        .collect();
        if !parts.is_empty() {
            summary = Some(format!("Secret data keys {}", parts.join("; ")));
        }
    }
    if !show.secrets {
        mask_known(&mut a, &mut b, redactor);
    }
    (a, b, summary)
}

fn set(o: &mut Value, field: &str, key: &str, mark: &str) {
    if let Some(m) = o.get_mut(field).and_then(Value::as_object_mut)
        && let Some(v) = m.get_mut(key)
    {
        *v = Value::String(mark.to_owned());
    }
}

/// Strings holding a known secret on either side, at the same place, become markers (that
/// differ when the strings do, so a changed secret still shows as a change).
fn mask_known(a: &mut Value, b: &mut Value, redactor: &Redactor) {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            for (k, v) in x.iter_mut() {
                match y.get_mut(k) {
                    Some(w) => mask_known(v, w, redactor),
                    None => mask_alone(v, redactor),
                }
            }
            for (k, w) in y.iter_mut() {
                if !x.contains_key(k) {
                    mask_alone(w, redactor);
                }
            }
        }
        (Value::Array(x), Value::Array(y)) => {
            let n = x.len().min(y.len());
            for (v, w) in x.iter_mut().zip(y.iter_mut()) {
                mask_known(v, w, redactor);
            }
            x[n..].iter_mut().for_each(|v| mask_alone(v, redactor));
            y[n..].iter_mut().for_each(|w| mask_alone(w, redactor));
        }
        (a, b) => {
            let secret = |v: &Value| v.as_str().is_some_and(|s| redactor.contains_secret(s));
            if secret(a) || secret(b) {
                let same = a == b;
                if a.is_string() {
                    *a = Value::String(
                        if same {
                            MARKER
                        } else {
                            "<redacted: old value>"
                        }
                        .into(),
                    );
                }
                if b.is_string() {
                    *b = Value::String(
                        if same {
                            MARKER
                        } else {
                            "<redacted: new value>"
                        }
                        .into(),
                    );
                }
            } else {
                mask_alone(a, redactor);
                mask_alone(b, redactor);
            }
        }
    }
}

fn mask_alone(v: &mut Value, redactor: &Redactor) {
    match v {
        Value::String(s) if redactor.contains_secret(s) => *s = MARKER.to_owned(),
        Value::Object(m) => m.values_mut().for_each(|v| mask_alone(v, redactor)),
        Value::Array(l) => l.iter_mut().for_each(|v| mask_alone(v, redactor)),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn strip(s: &str) -> String {
        let mut out = Vec::new();
        let mut w = anstream::StripStream::new(&mut out);
        std::io::Write::write_all(&mut w, s.as_bytes()).unwrap();
        String::from_utf8(out).unwrap()
    }

    fn secret(data: Value) -> Value {
        json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "db", "namespace": "ns"}, "data": data})
    }

    fn side(objects: Vec<Value>) -> BTreeMap<Key, Value> {
        objects
            .into_iter()
            .map(|o| (key("r", "ns", &o), o))
            .collect()
    }

    #[test]
    fn secret_data_is_named_never_shown() {
        let old = side(vec![secret(
            json!({"password": "b2xk", "user": "dXNlcg==", "gone": "eA=="}),
        )]);
        let new = side(vec![secret(
            json!({"password": "bmV3", "user": "dXNlcg==", "host": "aA=="}),
        )]);
        let r = compare(
            &old,
            &new,
            Show {
                context: 3,
                ..Show::default()
            },
            &Redactor::default(),
        );
        let text = strip(&r.text);
        assert_eq!((r.added, r.changed, r.removed), (0, 1, 0));
        assert!(text.contains("ns, db, Secret (v1) has changed:"), "{text}");
        assert!(
            text.contains("Secret data keys added: `host`; changed: `password`; removed: `gone`"),
            "{text}"
        );
        for value in ["b2xk", "bmV3", "dXNlcg==", "eA==", "aA=="] {
            assert!(!text.contains(value), "{value} in {text}");
        }
        let shown = compare(
            &old,
            &new,
            Show {
                context: 3,
                secrets: true,
                secret_values: true,
            },
            &Redactor::default(),
        );
        assert!(
            strip(&shown.text).contains("+   password: bmV3"),
            "{}",
            shown.text
        );
    }

    #[test]
    fn known_secrets_are_masked_on_both_sides_and_still_show_a_change() {
        let mut red = Redactor::default();
        red.register("hunter2-new-secret");
        let cm = |v: &str| json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}, "data": {"url": v, "x": "1"}});
        let old = side(vec![cm("pg://u:hunter1-old-secret@h")]);
        let new = side(vec![cm("pg://u:hunter2-new-secret@h")]);
        let text = strip(&compare(&old, &new, Show::default(), &red).text);
        assert!(!text.contains("hunter"), "{text}");
        assert!(
            text.contains("-   url: \"<redacted: old value>\"")
                && text.contains("+   url: \"<redacted: new value>\""),
            "{text}"
        );
    }

    #[test]
    fn unchanged_renders_have_no_changes() {
        let old = side(vec![secret(json!({"a": "eA=="}))]);
        let r = compare(&old, &old.clone(), Show::default(), &Redactor::default());
        assert!(!r.has_changes());
        assert_eq!(strip(&r.text), "Summary: 0 added, 0 changed, 0 removed\n");
    }
}
