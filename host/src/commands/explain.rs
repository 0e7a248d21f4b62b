//! `helmwasm explain PATH`: every layer and step that set, changed or deleted a values path,
//! in order, with the value after each; then the final value (chart defaults coalesced) and
//! the chart schema's type and description. `--all`: every leaf with where it was last set.
//!
//! It asks the pipeline for what only this verb needs: the provenance's full history (every
//! changed key per stage with its values) and each release's chart defaults and schema.

use super::{How, Session};
use crate::cli::{Cli, ExplainArgs};
use crate::events::Event;
use crate::provenance::{Change, Origin, Provenance};
use crate::redact::Redactor;
use crate::render::ReleaseRender;
use anyhow::{Context as _, Result, bail};
use serde_json::{Map, Value};
use std::io::Write;

pub fn run(cli: &Cli, args: &ExplainArgs, redactor: &mut Redactor) -> Result<()> {
    let query = match &args.path {
        Some(p) => Some(parse_path(p)?),
        None => None,
    };
    let session = Session::new(cli)?;
    let how = How {
        keep_going: true,
        trace: true,
        ..How::default()
    };
    let mut show = |e: Event, r: &Redactor| crate::printer::print_event(cli, e, r);
    let outcome = session.run(&args.pipeline, how, redactor, &mut show)?;
    let redactor: &Redactor = redactor;
    super::skip_notes(cli, &outcome.render, redactor);
    let show = |text: String| {
        if args.show_secrets {
            text
        } else {
            redactor.redact(&text)
        }
    };
    let mut out = String::new();
    for r in &outcome.render.releases {
        out.push_str(&match &query {
            Some(q) => explain(r, args.path.as_deref().unwrap_or_default(), q),
            None => table(r),
        });
    }
    // A release whose checks failed still has its provenance: explain it, then fail.
    for f in &outcome.failures {
        if let (Some(p), Some(q), Some(name)) = (&f.provenance, &query, &f.release) {
            let partial = ReleaseRender {
                name: name.clone(),
                namespace: String::new(),
                values: Value::Null,
                manifests: Vec::new(),
                provenance: p.clone(),
                chart: None,
                skipped: None,
                trace: None,
            };
            out.push_str(&explain(
                &partial,
                args.path.as_deref().unwrap_or_default(),
                q,
            ));
        }
    }
    let mut stdout = std::io::stdout().lock();
    stdout
        .write_all(crate::term::block(&show(out)).as_bytes())
        .and_then(|_| stdout.flush())
        .context("cannot write to stdout")?;
    if !outcome.failures.is_empty() {
        return Err(super::fail(outcome.failures, redactor));
    }
    Ok(())
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Seg {
    Key(String),
    Index(usize),
}

/// `a.b[0].c` → keys and list indexes.
fn parse_path(path: &str) -> Result<Vec<Seg>> {
    let mut segs = Vec::new();
    for part in path.split('.') {
        let (key, mut rest) = match part.find('[') {
            Some(i) => (&part[..i], &part[i..]),
            None => (part, ""),
        };
        if key.is_empty() && (segs.is_empty() || rest.is_empty()) {
            bail!(
                "`{path}` is not a values path: write keys with dots, list items as `[N]` (e.g. `workers.extraVolumes[0].name`)"
            );
        }
        if !key.is_empty() {
            segs.push(Seg::Key(key.to_owned()));
        }
        while let Some(r) = rest.strip_prefix('[') {
            let Some((n, after)) = r.split_once(']') else {
                bail!("`{path}`: `[` without `]`");
            };
            segs.push(Seg::Index(n.parse().with_context(|| {
                format!("`{path}`: `[{n}]` is not a list index")
            })?));
            rest = after;
        }
        if !rest.is_empty() {
            bail!("`{path}`: unexpected `{rest}`");
        }
    }
    Ok(segs)
}

fn at<'a>(mut v: &'a Value, segs: &[Seg]) -> Option<&'a Value> {
    for s in segs {
        v = match s {
            Seg::Key(k) => v.as_object()?.get(k)?,
            Seg::Index(i) => v.as_array()?.get(*i)?,
        };
    }
    Some(v)
}

/// Write `new` at `segs` under `v` (keys only: the provenance records whole lists).
fn put(v: &mut Value, segs: &[Seg], new: &Value) {
    let Some((last, parents)) = segs.split_last() else {
        *v = new.clone();
        return;
    };
    let mut node = v;
    for s in parents {
        let Seg::Key(k) = s else { return };
        if !node.is_object() {
            *node = Value::Object(Map::new());
        }
        node = node
            .as_object_mut()
            .expect("made a map")
            .entry(k.clone())
            .or_insert(Value::Null);
    }
    if let Seg::Key(k) = last {
        if !node.is_object() {
            *node = Value::Object(Map::new());
        }
        let map = node.as_object_mut().expect("made a map");
        if new.is_null() {
            map.remove(k);
        } else {
            map.insert(k.clone(), new.clone());
        }
    }
}

/// A provenance path as keys (it never goes into lists).
fn keys(path: &str) -> Vec<Seg> {
    path.split('.').map(|k| Seg::Key(k.to_owned())).collect()
}

/// One row of the history: who, and the value at the query after it.
struct Row {
    who: String,
    value: Option<Value>,
}

/// The changes that touched `query` (at it, above it or below it), grouped by stage, with
/// the value at `query` after each.
fn history(provenance: &Provenance, query: &[Seg]) -> Vec<Row> {
    let mut rows: Vec<Row> = Vec::new();
    let mut current: Option<Value> = None;
    let mut last_origin: Option<&Origin> = None;
    for c in &provenance.changes {
        let p = keys(&c.path);
        let value = if query.starts_with(&p) {
            // At the query or above it: the value below.
            at(&c.after, &query[p.len()..])
                .filter(|v| !v.is_null())
                .cloned()
        } else if p.starts_with(query) {
            // Below the query: one key of it changed.
            let mut v = current.clone().unwrap_or(Value::Object(Map::new()));
            put(&mut v, &p[query.len()..], &c.after);
            Some(v).filter(|v| v.as_object().is_none_or(|m| !m.is_empty()))
        } else {
            continue;
        };
        let who = describe(c);
        match rows.last_mut() {
            // One stage, several keys below the query: one row.
            Some(row) if last_origin.is_some_and(|o| same_stage(o, &c.origin)) => {
                row.value = value.clone();
                if row.who != who && !row.who.ends_with(", …") {
                    row.who.push_str(", …");
                }
            }
            _ => rows.push(Row {
                who,
                value: value.clone(),
            }),
        }
        current = value;
        last_origin = Some(&c.origin);
    }
    rows
}

fn same_stage(a: &Origin, b: &Origin) -> bool {
    match (a, b) {
        (Origin::Layer { key: x, .. }, Origin::Layer { key: y, .. }) => x == y,
        _ => a == b,
    }
}

fn describe(c: &Change) -> String {
    match &c.origin {
        Origin::Layer { label, line, key } => {
            let kind = if key.contains(".environmentValues.") {
                "environment values"
            } else if key.starts_with("environments.") {
                "environment"
            } else {
                "values"
            };
            let place = match line {
                Some(l) => format!("{label}:{l}"),
                None => label.clone(),
            };
            if &place == key {
                format!("{kind} {key} (inline)")
            } else {
                format!("{kind} {place}")
            }
        }
        Origin::Set => "--set (command line)".to_owned(),
        Origin::Step { number, plugin } => format!("step {number} ({plugin})"),
        Origin::Host(what) => format!("helmwasm ({what})"),
    }
}

/// Compact JSON, cut at 120 characters.
fn short(v: Option<&Value>) -> String {
    let Some(v) = v else {
        return "(not set)".to_owned();
    };
    let s = match v {
        Value::String(s) => format!("{s:?}"),
        other => other.to_string(),
    };
    if s.chars().count() > 120 {
        format!("{}…", s.chars().take(119).collect::<String>())
    } else {
        s
    }
}

/// What `explain PATH` prints for one release (the preview page's key history).
pub(crate) fn key_history(r: &ReleaseRender, path: &str) -> Result<String> {
    Ok(explain(r, path, &parse_path(path)?))
}

fn explain(r: &ReleaseRender, path: &str, query: &[Seg]) -> String {
    let mut out = format!("release `{}`: {path}\n", r.name);
    let mut rows: Vec<(String, String)> = Vec::new();
    if let Some(t) = &r.trace {
        let chart = r
            .chart
            .as_ref()
            .map(|c| format!("chart default ({} {})", c.name, c.version))
            .unwrap_or_else(|| "chart default".to_owned());
        let value = match &t.defaults {
            Some(d) => short(at(&Value::Object(d.clone()), query)),
            None => "unknown (the chart could not be read; see the note above)".to_owned(),
        };
        rows.push((chart, value));
    }
    for row in history(&r.provenance, query) {
        let value = match row.value {
            Some(v) => short(Some(&v)),
            None => "(deleted)".to_owned(),
        };
        rows.push((row.who, value));
    }
    let width = rows
        .iter()
        .map(|(w, _)| w.chars().count())
        .max()
        .unwrap_or(0);
    for (i, (who, value)) in rows.iter().enumerate() {
        out.push_str(&format!(
            "  {:>2}. {who:<width$}  {value}\n",
            i + 1,
            width = width
        ));
    }
    if let Some(t) = &r.trace {
        let coalesced = crate::checks::coalesce(&t.defaults.clone().unwrap_or_default(), &r.values);
        let label = if t.defaults.is_some() {
            "final (chart defaults coalesced)"
        } else {
            "final (without the chart's defaults)"
        };
        out.push_str(&format!("  {label}: {}\n", short(at(&coalesced, query))));
        if let Some(s) = t.schema.as_ref().and_then(|s| schema_at(s, query)) {
            let ty = match s.get("type") {
                Some(Value::String(t)) => t.clone(),
                Some(Value::Array(ts)) => ts
                    .iter()
                    .filter_map(Value::as_str)
                    .collect::<Vec<_>>()
                    .join(" | "),
                _ => "any".to_owned(),
            };
            out.push_str(&format!("  schema type: {ty}\n"));
            if let Some(d) = s.get("description").and_then(Value::as_str) {
                out.push_str(&format!("  schema description: {}\n", d.trim()));
            }
        }
    } else if r.values.is_null() {
        out.push_str("  (the release failed: its final value is not known)\n");
    }
    out
}

/// The subschema for a path ([`crate::checks::subschema`]).
fn schema_at<'a>(root: &'a Value, query: &[Seg]) -> Option<&'a Value> {
    use crate::checks::SchemaStep;
    crate::checks::subschema(
        root,
        query.iter().map(|s| match s {
            Seg::Key(k) => SchemaStep::Key(k),
            Seg::Index(_) => SchemaStep::Item,
        }),
    )
}

/// `--all`: every leaf of the final values, its value and where it was last set.
fn table(r: &ReleaseRender) -> String {
    let mut leaves = Vec::new();
    walk("", &r.values, &mut leaves);
    let rows: Vec<[String; 3]> = leaves
        .into_iter()
        .map(|(path, v)| {
            let by = r
                .provenance
                .of(&path)
                .map_or_else(|| "-".to_owned(), |o| o.to_string());
            [path, short(Some(v)), by]
        })
        .collect();
    let header = ["PATH", "VALUE", "SET BY"].map(String::from);
    let w0 = rows
        .iter()
        .chain([&header])
        .map(|r| r[0].chars().count())
        .max()
        .unwrap_or(0);
    let w1 = rows
        .iter()
        .chain([&header])
        .map(|r| r[1].chars().count().min(60))
        .max()
        .unwrap_or(0);
    let mut out = format!("release `{}`\n", r.name);
    for row in std::iter::once(&header).chain(&rows) {
        let value: String = if row[1].chars().count() > 60 {
            format!("{}…", row[1].chars().take(59).collect::<String>())
        } else {
            row[1].clone()
        };
        out.push_str(&format!("{:w0$}  {value:w1$}  {}\n", row[0], row[2]));
    }
    out
}

/// Leaves as the provenance names them: map keys joined with dots, lists whole.
fn walk<'a>(prefix: &str, v: &'a Value, out: &mut Vec<(String, &'a Value)>) {
    match v {
        Value::Object(m) if !m.is_empty() => {
            for (k, v) in m {
                let p = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                walk(&p, v, out);
            }
        }
        _ if prefix.is_empty() => {}
        _ => out.push((prefix.to_owned(), v)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn paths_parse_keys_and_indexes() {
        assert_eq!(
            parse_path("a.b[0].c").unwrap(),
            vec![
                Seg::Key("a".into()),
                Seg::Key("b".into()),
                Seg::Index(0),
                Seg::Key("c".into())
            ]
        );
        assert!(parse_path("a..b").is_err());
        assert!(parse_path("a[x]").is_err());
        assert!(parse_path("a[0").is_err());
    }

    #[test]
    fn history_follows_the_query_above_at_and_below() {
        let mut p = Provenance::with_history();
        let file = Origin::Layer {
            label: "values.yaml".into(),
            line: None,
            key: "releases[0].values[0]".into(),
        };
        let lines = [("workers.keda.enabled".to_owned(), 7)].into();
        let v1 = json!({"workers": {"keda": {"enabled": false}}});
        p.record(&json!({}), &v1, &file, Some(&lines));
        let v2 = json!({"workers": {"keda": {"enabled": true, "x": 1}}});
        let step = Origin::Step {
            number: 3,
            plugin: "keda-autoscaling".into(),
        };
        p.record(&v1, &v2, &step, None);
        let v3 = json!({"workers": 5});
        p.record(&v2, &v3, &Origin::Set, None);
        let rows = history(&p, &parse_path("workers.keda.enabled").unwrap());
        let got: Vec<(String, Option<Value>)> =
            rows.into_iter().map(|r| (r.who, r.value)).collect();
        assert_eq!(
            got,
            vec![
                ("values values.yaml:7".to_owned(), Some(json!(false))),
                ("step 3 (keda-autoscaling)".to_owned(), Some(json!(true))),
                ("--set (command line)".to_owned(), None),
            ]
        );
        // Asking for a map: each stage that changed a key below it is one row.
        let rows = history(&p, &parse_path("workers.keda").unwrap());
        assert_eq!(rows.len(), 3);
        assert_eq!(rows[1].value, Some(json!({"enabled": true, "x": 1})));
    }

    #[test]
    fn schema_paths_follow_refs_items_and_additional_properties() {
        let schema = json!({
            "definitions": {"r": {"type": "object", "properties": {"cpu": {"type": ["string", "integer"], "description": "CPU"}}}},
            "properties": {
                "workers": {"properties": {"resources": {"$ref": "#/definitions/r"}}},
                "env": {"type": "array", "items": {"properties": {"name": {"type": "string"}}}},
                "labels": {"additionalProperties": {"type": "string"}},
            }
        });
        let get = |p: &str| schema_at(&schema, &parse_path(p).unwrap()).cloned();
        assert_eq!(get("workers.resources.cpu").unwrap()["description"], "CPU");
        assert_eq!(get("env[3].name").unwrap()["type"], "string");
        assert_eq!(get("labels.team").unwrap()["type"], "string");
        assert_eq!(get("workers.nope"), None);
    }
}
