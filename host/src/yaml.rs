//! The one module that parses and prints YAML.
//!
//! `serde_yaml` is deprecated upstream; everything YAML goes through here so the crate can be
//! swapped. Parse errors carry `file:line:column`, with hints for the mistakes people make
//! by hand (tab indentation, duplicate keys).

use serde::de::DeserializeOwned;
use serde_json::{Map, Number, Value};
use std::fmt;
use std::path::{Path, PathBuf};

/// A YAML error at a place in a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct YamlError {
    pub file: PathBuf,
    pub line: Option<usize>,
    pub column: Option<usize>,
    pub message: String,
}

impl fmt::Display for YamlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file.display())?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
            if let Some(col) = self.column {
                write!(f, ":{col}")?;
            }
        }
        write!(f, ": {}", self.message)
    }
}

impl std::error::Error for YamlError {}

/// Deserialize a typed document (e.g. the pipeline file). Unknown fields and wrong types
/// are reported with their key path and position.
pub fn from_str<T: DeserializeOwned>(text: &str, file: &Path) -> Result<T, YamlError> {
    // Parse untyped first: syntax errors and duplicate keys get precise positions there.
    parse_untyped(text, file)?;
    serde_yaml::from_str(text).map_err(|e| to_error(e, text, file))
}

/// Parse a values document into JSON values. An empty document is an empty map.
pub fn parse_values(text: &str, file: &Path) -> Result<Value, YamlError> {
    let yaml = parse_untyped(text, file)?;
    if let Some((line, column, word)) = find_placeholder(text) {
        return Err(YamlError {
            file: file.to_owned(),
            line: Some(line),
            column: Some(column),
            message: format!(
                "`{{{word}}}` is unquoted, so YAML reads it as a map (`{word}: null`), not text; \
                 replace the placeholder with a real value, or quote it (`\"{{{word}}}\"`) if the braces are meant"
            ),
        });
    }
    let value = to_json(yaml, &mut Vec::new()).map_err(|message| YamlError {
        file: file.to_owned(),
        line: None,
        column: None,
        message,
    })?;
    match value {
        Value::Null => Ok(Value::Object(Map::new())),
        Value::Object(_) => Ok(value),
        other => Err(YamlError {
            file: file.to_owned(),
            line: Some(1),
            column: Some(1),
            message: format!(
                "a values file must hold a map at the top, found {}",
                kind(&other)
            ),
        }),
    }
}

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
/// Helm, PyYAML, serde_yaml) reads it back as this same string.
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

fn parse_untyped(text: &str, file: &Path) -> Result<serde_yaml::Value, YamlError> {
    let mut value: serde_yaml::Value =
        serde_yaml::from_str(text).map_err(|e| to_error(e, text, file))?;
    value.apply_merge().map_err(|e| to_error(e, text, file))?;
    Ok(value)
}

fn to_error(err: serde_yaml::Error, text: &str, file: &Path) -> YamlError {
    let (mut line, mut column) = match err.location() {
        Some(loc) => (Some(loc.line()), Some(loc.column())),
        None => (None, None),
    };
    let mut message = err.to_string();
    if let (Some(l), Some(c)) = (line, column) {
        message = message.replacen(&format!(" at line {l} column {c}"), "", 1);
    }
    if let Some(at) = message.find("duplicate entry with key ") {
        let prefix = message[..at].to_owned();
        let key = message[at + "duplicate entry with key ".len()..]
            .trim_matches('"')
            .to_owned();
        if let Some((first, dup, col)) =
            find_duplicate(text, &key, line.unwrap_or(1), column.unwrap_or(1))
        {
            line = Some(dup);
            column = Some(col);
            message = format!(
                "{prefix}duplicate key `{key}` (first defined at line {first}); YAML keeps only one of \
                 them, so merge the two blocks into one"
            );
        } else {
            message = format!("{prefix}duplicate key `{key}`; merge the two blocks into one");
        }
    }
    let tab_at = line
        .and_then(|l| text.lines().nth(l - 1))
        .is_some_and(|l| l.starts_with([' ', '\t']) && l.contains('\t'));
    if tab_at && (message.contains("cannot start any token") || message.contains("tab")) {
        message.push_str("; hint: indent YAML with spaces, tab characters are not allowed");
    }
    YamlError {
        file: file.to_owned(),
        line,
        column,
        message,
    }
}

/// Find the lines of the first and second `key:` at the indentation of the mapping that
/// starts at (`line`, `column`). Block mappings only; flow mappings fall back to the
/// mapping's own position.
fn find_duplicate(
    text: &str,
    key: &str,
    line: usize,
    column: usize,
) -> Option<(usize, usize, usize)> {
    let indent = column.saturating_sub(1);
    let mut seen = None;
    for (i, l) in text.lines().enumerate().skip(line - 1) {
        let n = i + 1;
        let body = l.get(indent..).unwrap_or("");
        let leading = l.len() - l.trim_start_matches(' ').len();
        if n > line && leading < indent && !l.trim().is_empty() && !l.trim_start().starts_with('#')
        {
            break;
        }
        if leading != indent {
            continue;
        }
        let body = body.strip_prefix("- ").unwrap_or(body);
        let matches = [
            format!("{key}:"),
            format!("\"{key}\":"),
            format!("'{key}':"),
        ]
        .iter()
        .any(|k| body.starts_with(k.as_str()) || body.starts_with(&k.replace(':', " :")));
        if matches {
            match seen {
                None => seen = Some(n),
                Some(first) => return Some((first, n, column)),
            }
        }
    }
    None
}

/// The first value that is a lone unquoted `{word}` — a template placeholder left in a values
/// file, which YAML parses as a one-key map. Returns (line, column, word).
fn find_placeholder(text: &str) -> Option<(usize, usize, String)> {
    let indent = |l: &str| l.len() - l.trim_start().len();
    // Inside a block scalar (`key: |` …) every more-indented line is text.
    let mut block_parent: Option<usize> = None;
    for (i, line) in text.lines().enumerate() {
        if let Some(parent) = block_parent {
            if line.trim().is_empty() || indent(line) > parent {
                continue;
            }
            block_parent = None;
        }
        let code = line.split(" #").next().unwrap_or(line).trim_end();
        let last = code.rsplit([' ', ':']).next().unwrap_or("");
        if (last.starts_with('|') || last.starts_with('>')) && last.len() <= 3 {
            block_parent = Some(indent(line));
            continue;
        }
        let value_start = match code.find(": ") {
            Some(p) => p + 2,
            None if code.trim_start().starts_with("- ") => code.find("- ")? + 2,
            None => continue,
        };
        let value = code[value_start..].trim_start();
        let offset = code.len() - code[value_start..].trim_start().len();
        if let Some(word) = value.strip_prefix('{').and_then(|v| v.strip_suffix('}')) {
            let is_word = !word.is_empty()
                && word
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
            if is_word {
                return Some((i + 1, offset + 1, word.to_owned()));
            }
        }
    }
    None
}

/// Turn YAML into JSON the way Helm does (via sigs.k8s.io/yaml): scalar keys become strings.
fn to_json(yaml: serde_yaml::Value, path: &mut Vec<String>) -> Result<Value, String> {
    Ok(match yaml {
        serde_yaml::Value::Null => Value::Null,
        serde_yaml::Value::Bool(b) => Value::Bool(b),
        serde_yaml::Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                Value::Number(i.into())
            } else if let Some(u) = n.as_u64() {
                Value::Number(u.into())
            } else {
                let f = n.as_f64().unwrap_or(f64::NAN);
                Value::Number(Number::from_f64(f).ok_or_else(|| {
                    format!(
                        "{}: `{f}` is not a number JSON can hold",
                        display_path(path)
                    )
                })?)
            }
        }
        serde_yaml::Value::String(s) => Value::String(s),
        serde_yaml::Value::Sequence(items) => {
            let mut out = Vec::with_capacity(items.len());
            for (i, item) in items.into_iter().enumerate() {
                path.push(format!("[{i}]"));
                out.push(to_json(item, path)?);
                path.pop();
            }
            Value::Array(out)
        }
        serde_yaml::Value::Mapping(map) => {
            let mut out = Map::new();
            for (k, v) in map {
                let key = match k {
                    serde_yaml::Value::String(s) => s,
                    serde_yaml::Value::Bool(b) => b.to_string(),
                    serde_yaml::Value::Number(n) => n.to_string(),
                    serde_yaml::Value::Null => "null".to_owned(),
                    _ => {
                        return Err(format!(
                            "{}: a map key must be a scalar",
                            display_path(path)
                        ));
                    }
                };
                path.push(key.clone());
                let value = to_json(v, path)?;
                path.pop();
                out.insert(key, value);
            }
            Value::Object(out)
        }
        serde_yaml::Value::Tagged(tagged) => to_json(tagged.value, path)?,
    })
}

fn display_path(path: &[String]) -> String {
    if path.is_empty() {
        return "the document root".to_owned();
    }
    let mut s = String::new();
    for p in path {
        if !p.starts_with('[') && !s.is_empty() {
            s.push('.');
        }
        s.push_str(p);
    }
    format!("`{s}`")
}

fn kind(v: &Value) -> &'static str {
    match v {
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

    fn err(text: &str) -> String {
        parse_values(text, Path::new("v.yaml"))
            .unwrap_err()
            .to_string()
    }

    #[test]
    fn duplicate_top_level_key_points_at_the_second_one() {
        let e = err("workers:\n  replicas: 2\nexecutor: x\nworkers:\n  keda: {}\n");
        assert_eq!(
            e,
            "v.yaml:4:1: duplicate key `workers` (first defined at line 1); YAML keeps only one of \
             them, so merge the two blocks into one"
        );
    }

    #[test]
    fn nested_duplicate_key() {
        let e = err("a:\n  b: 1\n  c: 2\n  b: 3\n");
        assert!(
            e.starts_with("v.yaml:4:3: a: duplicate key `b` (first defined at line 2)"),
            "{e}"
        );
    }

    #[test]
    fn tab_indentation_gets_a_hint() {
        let e = err("workers:\n  keda:\n    enabled: true\n\tpersistence:\n    enabled: false\n");
        assert!(e.starts_with("v.yaml:4:1: found a tab character"), "{e}");
        assert!(
            e.ends_with("hint: indent YAML with spaces, tab characters are not allowed"),
            "{e}"
        );
    }

    #[test]
    fn unquoted_placeholders_are_caught_with_their_position() {
        let e = err("dags:\n  gitSync:\n    repo: {git_repo}\n");
        assert!(
            e.starts_with("v.yaml:3:11: `{git_repo}` is unquoted, so YAML reads it as a map"),
            "{e}"
        );
        let e = err("list:\n  - {item}\n");
        assert!(e.starts_with("v.yaml:2:5: `{item}`"), "{e}");
        // Real maps, quoted braces and strings containing braces are fine.
        for ok in [
            "a: {}\n",
            "a: {b: 1}\n",
            "a: \"{x}\"\n",
            "a: |\n  k: {x}\n",
            "a: x {y}\n",
        ] {
            assert!(parse_values(ok, Path::new("v")).is_ok(), "{ok}");
        }
    }

    #[test]
    fn values_root_must_be_a_map() {
        assert_eq!(
            err("- a\n"),
            "v.yaml:1:1: a values file must hold a map at the top, found a list"
        );
        assert_eq!(parse_values("", Path::new("v.yaml")).unwrap(), json!({}));
        assert_eq!(
            parse_values("# only a comment\n", Path::new("v.yaml")).unwrap(),
            json!({})
        );
    }

    #[test]
    fn scalar_keys_become_strings_and_merge_keys_apply() {
        let v = parse_values(
            "a: &x {p: 1}\nb:\n  <<: *x\n  q: 2\n1: one\ntrue: yes\n",
            Path::new("v"),
        )
        .unwrap();
        assert_eq!(
            v,
            json!({"a": {"p": 1}, "b": {"p": 1, "q": 2}, "1": "one", "true": "yes"})
        );
    }

    #[test]
    fn strings_helm_would_read_as_something_else_are_quoted() {
        for word in [
            "no",
            "NO",
            "on",
            "y",
            "Y",
            "off",
            "True",
            "null",
            "~",
            "",
            "0755",
            "012",
            "0x1F",
            "1e3",
            "1_000",
            "1:20",
            "2001-12-14",
            ".inf",
            "- a",
            "a: b",
            "#c",
            "@x",
            "500",
            "1.5",
        ] {
            let printed = to_string(&json!({ "k": word }));
            assert!(
                printed.starts_with("k: \""),
                "{word:?} printed as {printed:?}"
            );
            let back = parse_values(&printed, Path::new("t.yaml")).unwrap();
            assert_eq!(back["k"], json!(word), "{word:?}");
        }
        for plain in [
            "airflow",
            "500m",
            "1Gi",
            "apps/v1",
            "app.kubernetes.io/name",
            "_x",
            "CeleryExecutor",
        ] {
            assert_eq!(to_string(&json!({ "k": plain })), format!("k: {plain}\n"));
        }
        // Keys too: `on` and `y` would become booleans and collide.
        assert_eq!(
            to_string(&json!({"on": 1, "y": 2})),
            "\"on\": 1\n\"y\": 2\n"
        );
        assert_eq!(
            to_string(&json!({"s": "a\"b\\c\nd\u{85}\u{1b}"})),
            "s: \"a\\\"b\\\\c\\nd\\u0085\\u001b\"\n"
        );
    }

    #[test]
    fn nested_blocks_round_trip() {
        let v =
            json!({"a": [{"b": 1, "c": [1, [2, 3], {}]}, [], {"d": {"e": "f"}}], "g": {}, "h": []});
        let printed = to_string(&v);
        assert_eq!(
            parse_values(&printed, Path::new("t.yaml")).unwrap(),
            v,
            "{printed}"
        );
    }

    #[test]
    fn printing_sorts_keys() {
        assert_eq!(
            to_string(&json!({"b": 1, "a": {"d": [1, "x"], "c": null}})),
            "a:\n  c: null\n  d:\n  - 1\n  - x\nb: 1\n"
        );
    }
}
