//! Printing diagnostics: for people (`text`), for programs (`json`, one stable schema
//! documented in `docs/diagnostics.md`), for code scanning (`sarif`, SARIF 2.1.0) and for pull
//! request annotations (`github`, workflow commands).
//!
//! Every string is untrusted: `text` and `github` make control characters visible and keep
//! each diagnostic on its own line(s), so no message can forge a line, an annotation or an
//! escape sequence; `json` and `sarif` are JSON-escaped by construction.

use super::{CODES, Code, Diagnostic, Severity};
use crate::term;
use serde_json::{Value, json};

/// The version of the JSON output's schema; it changes only when a field changes meaning or
/// goes away (new fields may be added).
pub const JSON_VERSION: u64 = 1;

/// How many of each severity.
pub fn counts(diagnostics: &[Diagnostic]) -> (usize, usize, usize) {
    let n = |s: Severity| diagnostics.iter().filter(|d| d.severity == s).count();
    (n(Severity::Error), n(Severity::Warning), n(Severity::Note))
}

/// `release `r` step N (`p`): path: message`, each part when known.
fn subject_and_message(d: &Diagnostic) -> String {
    let mut out = String::new();
    if let Some(r) = &d.release {
        out.push_str(&format!("release `{r}`"));
        if let (Some(n), Some(p)) = (d.step, &d.plugin) {
            let stage = if d.stage == Some("post-render") {
                "post-render "
            } else {
                ""
            };
            out.push_str(&format!(" {stage}step {n} (`{p}`)"));
        }
        out.push_str(": ");
    }
    if let Some(p) = &d.path {
        out.push_str(&format!("{p}: "));
    }
    out.push_str(&d.message);
    out
}

fn plural(n: usize, word: &str) -> String {
    format!("{n} {word}{}", if n == 1 { "" } else { "s" })
}

/// `error[HW0301 schema-violation]: release `x`: at: message` and a `  --> file:line:col` line.
pub fn text(diagnostics: &[Diagnostic]) -> String {
    let mut out = String::new();
    for d in diagnostics {
        let head = format!(
            "{}[{} {}]: {}",
            d.severity.as_str(),
            d.code.id,
            d.code.name,
            subject_and_message(d)
        );
        out.push_str(&term::line(&head));
        out.push('\n');
        if let Some(file) = &d.file {
            let mut at = file.clone();
            if let Some(l) = d.line {
                at.push_str(&format!(":{l}"));
                if let Some(c) = d.column {
                    at.push_str(&format!(":{c}"));
                }
            }
            out.push_str(&format!("  --> {}\n", term::line(&at)));
        }
    }
    let (e, w, n) = counts(diagnostics);
    out.push_str(&format!(
        "lint: {}, {}, {}\n",
        plural(e, "error"),
        plural(w, "warning"),
        plural(n, "note")
    ));
    out
}

/// One object per diagnostic, every field present (null when unknown).
fn json_diagnostic(d: &Diagnostic) -> Value {
    json!({
        "severity": d.severity,
        "code": d.code.id,
        "name": d.code.name,
        "message": d.message,
        "release": d.release,
        "step": d.step,
        "stage": d.stage,
        "plugin": d.plugin,
        "file": d.file,
        "line": d.line,
        "column": d.column,
        "path": d.path,
    })
}

/// `{"version": 1, "diagnostics": [...], "summary": {...}}`, one line.
pub fn json(diagnostics: &[Diagnostic]) -> String {
    let (e, w, n) = counts(diagnostics);
    let doc = json!({
        "version": JSON_VERSION,
        "diagnostics": diagnostics.iter().map(json_diagnostic).collect::<Vec<_>>(),
        "summary": {"errors": e, "warnings": w, "notes": n},
    });
    format!("{doc}\n")
}

fn sarif_level(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Note => "note",
    }
}

/// A relative or absolute path as a URI reference: `/` separators kept, everything outside
/// RFC 3986's unreserved set percent-encoded.
fn uri(path: &str) -> String {
    use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
    const SET: &AsciiSet = &NON_ALPHANUMERIC
        .remove(b'-')
        .remove(b'.')
        .remove(b'_')
        .remove(b'~')
        .remove(b'/');
    utf8_percent_encode(path, SET).to_string()
}

fn rule(c: &Code) -> Value {
    json!({
        "id": c.id,
        "name": c.name,
        "shortDescription": {"text": c.summary},
        "fullDescription": {"text": format!("{} Example: {}", c.summary, c.example)},
        "help": {"text": c.fix},
        "defaultConfiguration": {"level": "error"},
    })
}

/// A SARIF 2.1.0 log with one run; every code is a rule (so `ruleIndex` is stable).
pub fn sarif(diagnostics: &[Diagnostic], tool_version: &str) -> String {
    let results: Vec<Value> = diagnostics
        .iter()
        .map(|d| {
            let index = CODES
                .iter()
                .position(|c| std::ptr::eq(*c, d.code))
                .unwrap_or_default();
            let mut result = json!({
                "ruleId": d.code.id,
                "ruleIndex": index,
                "level": sarif_level(d.severity),
                "message": {"text": d.message},
            });
            let mut location = serde_json::Map::new();
            if let Some(file) = &d.file {
                let mut physical = json!({"artifactLocation": {"uri": uri(file)}});
                if let Some(l) = d.line.filter(|l| *l > 0) {
                    let mut region = json!({"startLine": l});
                    if let Some(c) = d.column.filter(|c| *c > 0) {
                        region["startColumn"] = json!(c);
                    }
                    physical["region"] = region;
                }
                location.insert("physicalLocation".into(), physical);
            }
            if let Some(p) = &d.path {
                let name = match &d.release {
                    Some(r) => format!("{r}/{p}"),
                    None => p.clone(),
                };
                location.insert(
                    "logicalLocations".into(),
                    json!([{"fullyQualifiedName": name, "kind": "member"}]),
                );
            }
            if !location.is_empty() {
                result["locations"] = json!([Value::Object(location)]);
            }
            let mut properties = serde_json::Map::new();
            if let Some(r) = &d.release {
                properties.insert("release".into(), json!(r));
            }
            if let Some(s) = d.step {
                properties.insert("step".into(), json!(s));
            }
            if let Some(s) = d.stage {
                properties.insert("stage".into(), json!(s));
            }
            if let Some(p) = &d.plugin {
                properties.insert("plugin".into(), json!(p));
            }
            if !properties.is_empty() {
                result["properties"] = Value::Object(properties);
            }
            result
        })
        .collect();
    let log = json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "helmwasm",
                "version": tool_version,
                "rules": CODES.iter().map(|c| rule(c)).collect::<Vec<_>>(),
            }},
            "results": results,
        }],
    });
    format!(
        "{}\n",
        serde_json::to_string_pretty(&log).expect("JSON values serialize")
    )
}

/// GitHub Actions workflow commands: `::error file=F,line=L,col=C,title=T::message`.
pub fn github(diagnostics: &[Diagnostic]) -> String {
    let mut out = String::new();
    for d in diagnostics {
        let command = match d.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Note => "notice",
        };
        let mut props = Vec::new();
        if let Some(f) = &d.file {
            props.push(format!("file={}", property(f)));
            if let Some(l) = d.line {
                props.push(format!("line={l}"));
                if let Some(c) = d.column {
                    props.push(format!("col={c}"));
                }
            }
        }
        props.push(format!(
            "title={}",
            property(&format!("{} {}", d.code.id, d.code.name))
        ));
        out.push_str(&format!(
            "::{command} {}::{}\n",
            props.join(","),
            data(&subject_and_message(d))
        ));
    }
    out
}

/// A workflow command's message: control characters made visible first (so nothing is
/// interpreted by the log viewer), then `%`, CR and LF escaped as the runner expects.
fn data(s: &str) -> String {
    term::line(s)
        .replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// A workflow command's property value: as [`data`], plus `:` and `,`.
fn property(s: &str) -> String {
    data(s).replace(':', "%3A").replace(',', "%2C")
}

#[cfg(test)]
mod tests {
    use super::super::{SCHEMA, STEP_FAILED};
    use super::*;

    fn sample() -> Vec<Diagnostic> {
        vec![
            Diagnostic::new(Severity::Error, &SCHEMA, "not an integer")
                .release("airflow")
                .path("workers.replicas")
                .at("values/prod.yaml".into(), Some(4), Some(3)),
            Diagnostic::new(
                Severity::Warning,
                &STEP_FAILED,
                "evil\n::error file=x::forged\u{1b}[2J 100%, a:b",
            )
            .release("airflow")
            .step(2, "p"),
        ]
    }

    #[test]
    fn github_commands_cannot_be_forged() {
        let out = github(&sample());
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines.len(), 2, "{out}");
        assert_eq!(
            lines[0],
            "::error file=values/prod.yaml,line=4,col=3,title=HW0301 schema-violation::release `airflow`: workers.replicas: not an integer"
        );
        assert!(lines[1].starts_with(
            "::warning title=HW0201 step-failed::release `airflow` step 2 (`p`): evil"
        ));
        assert!(!lines[1].contains('\u{1b}'));
        assert!(lines[1].contains("evil\\n::error file=x::forged\\x1b[2J 100%25, a:b"));
    }

    #[test]
    fn text_keeps_one_line_per_diagnostic_and_counts() {
        let out = text(&sample());
        assert_eq!(out.lines().count(), 4, "{out}");
        assert!(out.contains("  --> values/prod.yaml:4:3\n"));
        assert!(out.ends_with("lint: 1 error, 1 warning, 0 notes\n"));
    }

    /// The fields the JSON section of `docs/diagnostics.md` documents, from its table.
    pub(crate) fn documented_json_fields(doc: &str) -> Vec<String> {
        let section = doc
            .split("## JSON output")
            .nth(1)
            .and_then(|s| s.split("\n## ").next())
            .expect("docs/diagnostics.md has a JSON output section");
        let mut fields: Vec<String> = section
            .lines()
            .filter(|l| l.starts_with("| `"))
            .flat_map(|l| {
                let first = l.split('|').nth(1).unwrap_or("");
                first
                    .split('`')
                    .skip(1)
                    .step_by(2)
                    .map(str::to_owned)
                    .collect::<Vec<_>>()
            })
            .collect();
        fields.sort();
        fields
    }

    #[test]
    fn json_has_exactly_the_documented_fields_with_their_types() {
        let v: Value = serde_json::from_str(&json(&sample())).unwrap();
        assert_eq!(v["version"], 1);
        assert_eq!(
            v["summary"],
            json!({"errors": 1, "warnings": 1, "notes": 0})
        );
        let documented = documented_json_fields(&crate::diagnostics::reference_doc());
        assert_eq!(documented.len(), 12, "{documented:?}");
        for d in v["diagnostics"].as_array().unwrap() {
            let mut keys: Vec<String> = d.as_object().unwrap().keys().cloned().collect();
            keys.sort();
            assert_eq!(keys, documented);
            assert!(["error", "warning", "note"].contains(&d["severity"].as_str().unwrap()));
            let code = d["code"].as_str().unwrap();
            assert!(code.len() == 6 && code.starts_with("HW"), "{code}");
            assert!(d["name"].is_string() && d["message"].is_string());
            for f in ["release", "plugin", "file", "path", "stage"] {
                assert!(d[f].is_string() || d[f].is_null(), "{f}: {}", d[f]);
            }
            for f in ["step", "line", "column"] {
                assert!(d[f].is_u64() || d[f].is_null(), "{f}: {}", d[f]);
            }
        }
        assert_eq!(v["diagnostics"][1]["file"], Value::Null);
        assert_eq!(v["diagnostics"][0]["code"], "HW0301");
    }

    #[test]
    fn sarif_paths_are_uri_references() {
        assert_eq!(uri("a b/c%.yaml"), "a%20b/c%25.yaml");
    }
}
