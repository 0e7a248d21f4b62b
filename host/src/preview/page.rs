//! What the page is sent: the state of the preview as JSON, built so that nothing secret can
//! be in it. Secret `data` / `stringData` values are masked, and every string (values, object
//! YAML, diffs, messages, step rows) goes through the run's redactor, which knows every
//! resolved secret in every form helm and our writers give it. There is no switch for this:
//! `--show-secrets` concerns the terminal only.

use super::state::{Change, State};
use crate::diff::{Key, Show};
use crate::redact::Redactor;
use serde_json::{Map, Value, json};
use std::collections::BTreeMap;

/// The page's view of the state (`/api/state`).
/// `diff` is the diff since the previous render, `baseline` the name of the baseline and the
/// diff from it, when there is one ([`compare`] makes both).
pub fn state(
    state: &State,
    diff: &str,
    baseline: Option<(&str, &str)>,
    redactor: &Redactor,
) -> Value {
    let releases: Vec<Value> = state
        .releases
        .iter()
        .map(|(name, r)| {
            let objects: Vec<Value> = r
                .render
                .as_ref()
                .map(|render| {
                    let chart = render.chart.iter().flat_map(|c| {
                        c.documents
                            .iter()
                            .map(|d| object(&d.object, "chart", &d.source, redactor))
                    });
                    let emitted = render.manifests.iter().map(|m| {
                        object(
                            &m.object,
                            "emitted",
                            &format!("step {} (`{}`)", m.step, m.plugin),
                            redactor,
                        )
                    });
                    chart.chain(emitted).collect()
                })
                .unwrap_or_default();
            let steps: Vec<Value> = r
                .steps
                .iter()
                .map(|s| {
                    json!({
                        "step": redactor.redact(&s.step),
                        "ms": s.elapsed.as_secs_f64() * 1000.0,
                        "set": strings(&s.set, redactor),
                        "changed": strings(&s.changed, redactor),
                        "deleted": strings(&s.deleted, redactor),
                        "emitted": strings(&s.emitted, redactor),
                    })
                })
                .collect();
            let render = r.render.as_ref();
            json!({
                "name": redactor.redact(name),
                "namespace": render.map(|r| redactor.redact(&r.namespace)),
                "values": render.map(|r| redacted(&r.values, redactor)),
                "objects": objects,
                "steps": steps,
                "skipped": render.and_then(|r| r.skipped.as_ref()).map(|s| redactor.redact(&format!("{}; {}", s.reason, s.hint_and_more()))),
                "error": r.error.as_ref().map(|e| redactor.redact(e)),
            })
        })
        .collect();
    let diagnostics: Vec<Value> = state
        .diagnostics()
        .into_iter()
        .map(|d| {
            json!({
                "severity": d.severity.as_str(),
                "code": d.code.id,
                "name": d.code.name,
                "release": d.release.as_ref().map(|r| redactor.redact(r)),
                "message": redactor.redact(&d.message),
                "file": d.file.as_ref().map(|f| redactor.redact(f)),
                "line": d.line,
                "path": d.path.as_ref().map(|p| redactor.redact(p)),
            })
        })
        .collect();
    json!({
        "render": state.number,
        "ms": state.last.elapsed.as_secs_f64() * 1000.0,
        "error": state.error.as_ref().map(|e| redactor.redact(e)),
        "changes": changes(&state.last, redactor),
        "releases": releases,
        "diagnostics": diagnostics,
        "diff": redactor.redact(diff),
        "baseline": baseline.map(|(name, diff)| json!({
            "name": redactor.redact(name),
            "diff": redactor.redact(diff),
        })),
    })
}

/// A render to compare with (`--against DIR`, `--against-rev REV`).
pub struct Baseline {
    pub name: String,
    pub objects: BTreeMap<Key, Value>,
}

/// The differences from `old` to `new`, as `diff` prints them (no styles), with Secret data and
/// secret values masked.
pub fn compare(
    old: &BTreeMap<Key, Value>,
    new: &BTreeMap<Key, Value>,
    redactor: &Redactor,
) -> String {
    let report = crate::diff::compare(old, new, Show::default(), redactor);
    anstream::adapter::strip_str(&report.text).to_string()
}

fn changes(c: &Change, redactor: &Redactor) -> Value {
    let key = |k: &Key| json!({"kind": k.kind, "namespace": k.namespace, "name": k.name});
    let keys = |ks: &[Key]| Value::Array(ks.iter().map(key).collect());
    Value::Array(
        c.releases
            .iter()
            .map(|r| {
                json!({
                    "release": redactor.redact(&r.release),
                    "added": redacted(&keys(&r.added), redactor),
                    "changed": redacted(&keys(&r.changed), redactor),
                    "removed": redacted(&keys(&r.removed), redactor),
                    "values": r.values.iter().map(|(p, _, _, by)| json!({"path": redactor.redact(p), "by": redactor.redact(by)})).collect::<Vec<_>>(),
                    "error": r.error.as_ref().map(|e| redactor.redact(e)),
                })
            })
            .collect(),
    )
}

fn object(o: &Value, origin: &str, source: &str, redactor: &Redactor) -> Value {
    let s = |v: &Value| v.as_str().unwrap_or_default().to_owned();
    let shown = if o["kind"] == "Secret" {
        crate::output::masked(o)
    } else {
        o.clone()
    };
    json!({
        "kind": redactor.redact(&s(&o["kind"])),
        "namespace": redactor.redact(&s(&o["metadata"]["namespace"])),
        "name": redactor.redact(&s(&o["metadata"]["name"])),
        "origin": origin,
        "source": redactor.redact(source),
        "yaml": redactor.redact(&crate::yaml::to_string(&shown)),
    })
}

fn strings(items: &[String], redactor: &Redactor) -> Vec<String> {
    items.iter().map(|s| redactor.redact(s)).collect()
}

/// `v` with every key and string redacted.
pub fn redacted(v: &Value, redactor: &Redactor) -> Value {
    match v {
        Value::String(s) => Value::String(redactor.redact(s)),
        Value::Array(items) => Value::Array(items.iter().map(|i| redacted(i, redactor)).collect()),
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| (redactor.redact(k), redacted(v, redactor)))
                .collect::<Map<String, Value>>(),
        ),
        other => other.clone(),
    }
}
