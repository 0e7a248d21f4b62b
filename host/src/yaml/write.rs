//! Writing: JSON values to YAML text that Helm reads back as the same values.

use serde_json::{Map, Value};

/// Print a value as a YAML document body (no leading `---`). Map keys come out sorted, so
/// the same value always prints the same bytes.
///
/// Written for Helm's reader (go-yaml, YAML 1.1), not YAML 1.2: a string is printed plain
/// only when it is made of letters, digits and `_ - . / @`, starts with a letter, `_` or `/`
/// (or is a Kubernetes quantity such as `500m` or `1Gi`), and is not one of YAML 1.1's boolean
/// or null words in any case (`no`, `On`, `y`, `NULL`, `~`); every other string — keys
/// included — is double-quoted with every non-printable character escaped. So no string
/// changes type on the way to the cluster (`no` stays the string "no", `0755` stays text).
pub fn to_string(value: &Value) -> String {
    let mut out = String::new();
    match value {
        Value::Object(m) if !m.is_empty() => write_map(&mut out, m, 0),
        Value::Array(a) if !a.is_empty() => write_list(&mut out, a, 0),
        other => {
            out.push_str(&scalar(other));
            out.push('\n');
        }
    }
    out
}

/// A scalar, or `{}` / `[]` for an empty map or list.
fn scalar(v: &Value) -> String {
    match v {
        Value::Null => "null".into(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => string(s),
        Value::Array(_) => "[]".into(),
        Value::Object(_) => "{}".into(),
    }
}

fn is_block(v: &Value) -> bool {
    match v {
        Value::Object(m) => !m.is_empty(),
        Value::Array(a) => !a.is_empty(),
        _ => false,
    }
}

fn write_map(out: &mut String, m: &Map<String, Value>, indent: usize) {
    for (i, (k, v)) in m.iter().enumerate() {
        // The first entry of a map that is a list item follows its `- ` on the same line.
        if i > 0 || !out.ends_with("- ") {
            out.push_str(&" ".repeat(indent));
        }
        out.push_str(&string(k));
        out.push(':');
        write_child(out, v, indent, true);
    }
}

fn write_list(out: &mut String, a: &[Value], indent: usize) {
    for (i, v) in a.iter().enumerate() {
        if i > 0 || !out.ends_with("- ") {
            out.push_str(&" ".repeat(indent));
        }
        out.push('-');
        write_child(out, v, indent, false);
    }
}

/// After `key:` or `-`: a scalar on the same line, or a block. Lists under a map key sit at
/// the key's indentation (`key:\n- a`), as kubectl and helm print them.
fn write_child(out: &mut String, v: &Value, indent: usize, under_key: bool) {
    match v {
        Value::Object(m) if !m.is_empty() => {
            if under_key {
                out.push('\n');
                write_map(out, m, indent + 2);
            } else {
                out.push(' ');
                write_map(out, m, indent + 2);
            }
        }
        Value::Array(a) if !a.is_empty() => {
            if under_key {
                out.push('\n');
                write_list(out, a, indent);
            } else {
                out.push(' ');
                write_list(out, a, indent + 2);
            }
        }
        other => {
            out.push(' ');
            out.push_str(&scalar(other));
            out.push('\n');
        }
    }
    debug_assert!(out.ends_with('\n') || is_block(v));
}

/// A string as Helm will read it back: plain when unambiguous, else double-quoted.
fn string(s: &str) -> String {
    if plain_is_string(s) {
        return s.to_owned();
    }
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            // C0, DEL, C1, the BOM and the Unicode line/paragraph separators (YAML 1.1
            // breaks lines on U+0085, U+2028, U+2029) are escaped.
            c if (c as u32) < 0x20
                || (0x7f..=0x9f).contains(&(c as u32))
                || matches!(c, '\u{feff}' | '\u{2028}' | '\u{2029}') =>
            {
                out.push_str(&format!("\\u{:04x}", c as u32));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// True when `s` may be written as a plain scalar and every YAML 1.1 reader (go-yaml in
/// Helm, PyYAML, and this module's reader) reads it back as this same string.
fn plain_is_string(s: &str) -> bool {
    const WORDS: &[&str] = &["y", "yes", "n", "no", "true", "false", "on", "off", "null"];
    let safe = |c: char| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | '/' | '@');
    let Some(first) = s.chars().next() else {
        return false;
    };
    if !s.chars().all(safe) {
        return false;
    }
    if first.is_ascii_alphabetic() || first == '_' || first == '/' {
        return !WORDS.contains(&s.to_ascii_lowercase().as_str());
    }
    // A Kubernetes quantity (`500m`, `1Gi`, `128Mi`): digits then letters, no `e` exponent,
    // no leading zero (`0x1F` is hex to Helm).
    let digits = s.chars().take_while(char::is_ascii_digit).count();
    let rest = &s[digits..];
    first != '0'
        && digits > 0
        && !rest.is_empty()
        && rest.chars().all(|c| c.is_ascii_alphabetic())
        && !rest.starts_with(['e', 'E'])
}
