//! The compact block the terminal gets after each render: the time it took; per release the
//! objects added, changed and removed, the changed values keys with who set them; the new and
//! the resolved diagnostics. Values are redacted unless `--show-secrets`; every string is made
//! safe for a terminal.

use super::state::Change;
use crate::diagnostics::Diagnostic;
use crate::redact::Redactor;
use crate::term;
use serde_json::Value;
use std::fmt::Write as _;

/// How many values keys a block lists per release before `… and N more`.
const KEYS_SHOWN: usize = 20;
/// A value longer than this is cut in the block.
const VALUE_CHARS: usize = 60;

pub fn block(change: &Change, redactor: &Redactor, show_secrets: bool) -> String {
    let mut out = String::new();
    let ms = change.elapsed.as_millis();
    let _ = writeln!(out, "preview: render {} in {ms} ms", change.number);
    if let Some(e) = &change.error {
        let _ = writeln!(
            out,
            "  failed: {} (the last good render stays)",
            indent(&redactor.redact(e))
        );
    }
    for r in &change.releases {
        if let Some(e) = &r.error {
            let _ = writeln!(
                out,
                "  {}: failed: {} (the last good render stays)",
                term::line(&r.release),
                indent(&redactor.redact(e))
            );
            continue;
        }
        let _ = writeln!(
            out,
            "  {}: {} added, {} changed, {} removed",
            term::line(&r.release),
            r.added.len(),
            r.changed.len(),
            r.removed.len()
        );
        // The first render adds everything: its counts say enough.
        let keys = if change.number == 1 {
            &[][..]
        } else {
            &[("+", &r.added), ("~", &r.changed), ("-", &r.removed)][..]
        };
        for (sign, keys) in keys.iter().copied() {
            for k in keys {
                let ns = if k.namespace.is_empty() {
                    String::new()
                } else {
                    format!("{}/", k.namespace)
                };
                let _ = writeln!(
                    out,
                    "    {sign} {} {}",
                    term::line(&k.kind),
                    term::line(&format!("{ns}{}", k.name))
                );
            }
        }
        for (path, before, after, by) in r.values.iter().take(KEYS_SHOWN) {
            let show = |v: &Value| {
                if v.is_null() {
                    "(absent)".to_owned()
                } else {
                    let text = serde_json::to_string(v).unwrap_or_default();
                    let text = if show_secrets {
                        text
                    } else {
                        redactor.redact(&text)
                    };
                    term::line(&cut(&text))
                }
            };
            let _ = writeln!(
                out,
                "    values {}: {} → {} (set by {})",
                term::line(path),
                show(before),
                show(after),
                term::line(by)
            );
        }
        if r.values.len() > KEYS_SHOWN {
            let _ = writeln!(
                out,
                "    … and {} more values keys",
                r.values.len() - KEYS_SHOWN
            );
        }
    }
    for (what, list) in [
        ("new", &change.new_diagnostics),
        ("resolved", &change.resolved_diagnostics),
    ] {
        for d in list {
            let _ = writeln!(out, "  {what}: {}", one_line(d));
        }
    }
    // A blank line ends the block.
    out.push('\n');
    out
}

/// `warning[HW0301] release `airflow`: message (values/prod.yaml:4)`.
pub fn one_line(d: &Diagnostic) -> String {
    let mut s = format!("{}[{}]", d.severity.as_str(), d.code.id);
    if let Some(r) = &d.release {
        let _ = write!(s, " release `{}`", term::line(r));
    }
    let _ = write!(s, ": {}", term::line(&d.message));
    if let Some(f) = &d.file {
        let _ = write!(s, " ({}", term::line(f));
        if let Some(l) = d.line {
            let _ = write!(s, ":{l}");
        }
        s.push(')');
    }
    s
}

fn cut(s: &str) -> String {
    if s.chars().count() <= VALUE_CHARS {
        s.to_owned()
    } else {
        let head: String = s.chars().take(VALUE_CHARS).collect();
        format!("{head}…")
    }
}

fn indent(s: &str) -> String {
    term::block(s).replace('\n', "\n    ")
}
