//! Writing: JSON values to YAML text that Helm reads back as the same values.

use serde_json::{Map, Value};
use std::fmt::Write as _;

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
    write_document(&mut out, value);
    out
}

/// [`to_string`], appended to `out` (one buffer for a whole stream; no text is built twice).
pub fn write_document(out: &mut String, value: &Value) {
    match value {
        Value::Object(m) if !m.is_empty() => write_map(out, m, 0),
        Value::Array(a) if !a.is_empty() => write_list(out, a, 0),
        other => {
            write_scalar(out, other);
            out.push('\n');
        }
    }
}

/// A scalar, or `{}` / `[]` for an empty map or list.
fn write_scalar(out: &mut String, v: &Value) {
    match v {
        Value::Null => out.push_str("null"),
        Value::Bool(true) => out.push_str("true"),
        Value::Bool(false) => out.push_str("false"),
        Value::Number(n) => {
            let _ = write!(out, "{n}");
        }
        Value::String(s) => write_string(out, s),
        Value::Array(_) => out.push_str("[]"),
        Value::Object(_) => out.push_str("{}"),
    }
}

fn is_block(v: &Value) -> bool {
    match v {
        Value::Object(m) => !m.is_empty(),
        Value::Array(a) => !a.is_empty(),
        _ => false,
    }
}

fn push_indent(out: &mut String, indent: usize) {
    out.extend(std::iter::repeat_n(' ', indent));
}

fn write_map(out: &mut String, m: &Map<String, Value>, indent: usize) {
    for (i, (k, v)) in m.iter().enumerate() {
        // The first entry of a map that is a list item follows its `- ` on the same line.
        if i > 0 || !out.ends_with("- ") {
            push_indent(out, indent);
        }
        write_string(out, k);
        out.push(':');
        write_child(out, v, indent, true);
    }
}

fn write_list(out: &mut String, a: &[Value], indent: usize) {
    for (i, v) in a.iter().enumerate() {
        if i > 0 || !out.ends_with("- ") {
            push_indent(out, indent);
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
            write_scalar(out, other);
            out.push('\n');
        }
    }
    debug_assert!(out.ends_with('\n') || is_block(v));
}

/// A string as Helm will read it back: plain when unambiguous, else double-quoted.
fn write_string(out: &mut String, s: &str) {
    if plain_is_string(s) {
        out.push_str(s);
        return;
    }
    out.reserve(s.len() + 2);
    out.push('"');
    // Runs of characters that need no escape are copied whole.
    let mut from = 0;
    for (i, c) in s.char_indices() {
        let short = match c {
            '"' => "\\\"",
            '\\' => "\\\\",
            '\n' => "\\n",
            '\t' => "\\t",
            '\r' => "\\r",
            _ => "",
        };
        // C0, DEL, C1, the BOM and the Unicode line/paragraph separators (YAML 1.1 breaks
        // lines on U+0085, U+2028, U+2029) are escaped by code point, and so are the invisible
        // format characters that reorder or hide text in a viewer (bidirectional overrides and
        // isolates, "Trojan Source"; zero-width spaces and marks): a plugin's text cannot look
        // other than it is.
        let code = short.is_empty()
            && ((c as u32) < 0x20
                || (0x7f..=0x9f).contains(&(c as u32))
                || crate::term::is_invisible_format(c)
                || matches!(c, '\u{feff}' | '\u{2028}' | '\u{2029}'));
        if short.is_empty() && !code {
            continue;
        }
        out.push_str(&s[from..i]);
        if code {
            let _ = write!(out, "\\u{:04x}", c as u32);
        } else {
            out.push_str(short);
        }
        from = i + c.len_utf8();
    }
    out.push_str(&s[from..]);
    out.push('"');
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
        return !WORDS.iter().any(|w| w.eq_ignore_ascii_case(s));
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
