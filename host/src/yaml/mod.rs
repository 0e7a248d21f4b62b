//! The one module that parses and prints YAML, the way Helm reads it.
//!
//! - [`read`]: saphyr-parser events composed into JSON values with go-yaml v2's YAML 1.1
//!   typing ([`resolve`]), plus the strictness Helm lacks (duplicate keys, placeholders,
//!   tabs), every error with `file:line:column` and the key path.
//! - [`write`]: JSON values printed so that Helm reads back the same values.
//!
//! Values files, the pipeline file (typed, through serde), step config, chart metadata and
//! rendered manifests all go through here, so a value has one meaning everywhere.

mod read;
mod resolve;
mod write;

pub use resolve::normalise_number;
pub use write::{to_string, write_document};

use serde::de::DeserializeOwned;
use serde_json::{Map, Value};
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

/// Deserialize a typed document (e.g. the pipeline file). The text is read as Helm reads
/// values (so `enabled: yes` is `true` here as in a values file); unknown fields and wrong
/// types are reported with their key path and position.
pub fn from_str<T: DeserializeOwned>(text: &str, file: &Path) -> Result<T, YamlError> {
    // Positions are only needed to report an error: read without them first (a pipeline of
    // hundreds of releases has tens of thousands of nodes), and again with them on an error.
    // By value: strings and inline values move into `T` instead of being copied, and
    // nothing is left to free.
    let value = read::read(text, file, None)?;
    if let Ok(parsed) = serde_json::from_value(value) {
        return Ok(parsed);
    }
    with_positions(text, file)
}

/// [`from_str`] for a document with one long list under the top-level `key` (a pipeline's
/// `releases`), on up to `threads` threads: a long text is parsed on a second thread while
/// this one builds the value and deserializes each of the list's items as `I` as soon as it
/// is read ([`read::read_items`]); the rest is deserialized as `T` with that list left empty,
/// and `put` hands the items to `T`. Same result, same errors: on any failure the whole
/// document is read again as `T` with positions, as [`from_str`] does.
pub fn from_str_split<T: DeserializeOwned, I: DeserializeOwned + Send>(
    text: &str,
    file: &Path,
    threads: usize,
    key: &str,
    put: impl FnOnce(&mut T, Vec<I>),
) -> Result<T, YamlError> {
    // Each item is deserialized as soon as it is read, while the parser reads on.
    let mut handed = Vec::new();
    let (mut value, placed) = read::read_items(text, file, threads, key, &mut |item| {
        handed.push(serde_json::from_value::<I>(item))
    })?;
    let list = match value.get_mut(key) {
        Some(Value::Array(items)) => std::mem::take(items),
        _ => Vec::new(),
    };
    let items = if placed {
        handed
    } else {
        // The list came some other way (an alias, a merge key): its items are in the value.
        crate::parallel::map_owned(list, threads, serde_json::from_value::<I>)
    };
    match (
        serde_json::from_value::<T>(value),
        items.into_iter().collect::<Result<Vec<I>, _>>(),
    ) {
        (Ok(mut rest), Ok(items)) => {
            put(&mut rest, items);
            Ok(rest)
        }
        _ => with_positions(text, file),
    }
}

/// `text` read again with positions and deserialized as `T`: the first error serde meets,
/// with its key path and position.
fn with_positions<T: DeserializeOwned>(text: &str, file: &Path) -> Result<T, YamlError> {
    let mut spans = read::Spans::new();
    let value = read::read(text, file, Some(&mut spans))?;
    serde_path_to_error::deserialize(&value).map_err(|e| {
        let mut segments: Vec<String> = e
            .path()
            .iter()
            .filter_map(|s| match s {
                serde_path_to_error::Segment::Seq { index } => Some(format!("[{index}]")),
                serde_path_to_error::Segment::Map { key } => Some(key.clone()),
                serde_path_to_error::Segment::Enum { .. }
                | serde_path_to_error::Segment::Unknown => None,
            })
            .collect();
        let message = cap_quoted_strings(&e.inner().to_string());
        // An unknown field is placed at its key, and named under its parent's path.
        let at_key = message.starts_with("unknown field");
        let place = {
            let mut probe = segments.clone();
            loop {
                if let Some(&(key, value)) = spans.get(&join(&probe)) {
                    break Some(if at_key && probe.len() == segments.len() {
                        key
                    } else {
                        value
                    });
                }
                if probe.pop().is_none() {
                    break None;
                }
            }
        };
        if at_key {
            segments.pop();
        }
        let path = join(&segments);
        let message = match place {
            Some(at) if message.starts_with("invalid type:") => {
                format!("{message}{}", yaml11_hint(text, at))
            }
            _ => message,
        };
        YamlError {
            file: file.to_owned(),
            line: place.map(|m| m.line()),
            column: place.map(|m| m.col() + 1),
            message: if path.is_empty() {
                message
            } else {
                format!("{path}: {message}")
            },
        }
    })
}

/// The longest part of an input's text a type error quotes.
const QUOTED: usize = 32;

/// serde quotes the text it did not expect whole (`invalid type: string "…"`): a file that is
/// not YAML at all (a password file, a token, a key) would be printed as one long string. Keep
/// the first [`QUOTED`] characters, on one line, escaped, and say how long it was.
fn cap_quoted_strings(message: &str) -> String {
    const OPEN: &str = "string \"";
    let mut out = String::new();
    let mut rest = message;
    while let Some(at) = rest.find(OPEN) {
        out.push_str(&rest[..at + OPEN.len()]);
        let body = &rest[at + OPEN.len()..];
        // serde writes the text with Rust's Debug escapes: find the closing quote.
        let mut end = None;
        let mut escaped = false;
        for (i, c) in body.char_indices() {
            match c {
                _ if escaped => escaped = false,
                '\\' => escaped = true,
                '"' => {
                    end = Some(i);
                    break;
                }
                _ => {}
            }
        }
        let Some(end) = end else {
            rest = body;
            continue;
        };
        let quoted = &body[..end];
        let chars = quoted.chars().count();
        if chars > QUOTED {
            let kept: String = quoted.chars().take(QUOTED).collect();
            out.push_str(&crate::term::line(&kept));
            out.push_str(&format!("…\" ({chars} characters)"));
        } else {
            out.push_str(&crate::term::line(quoted));
            out.push('"');
        }
        rest = &body[end + 1..];
    }
    out.push_str(rest);
    out
}

/// For a wrong type: if the text there is a word YAML 1.1 reads as a boolean, null or
/// number (`n`, `off`, `~`, `0755`), say so.
fn yaml11_hint(text: &str, at: saphyr_parser::Marker) -> String {
    let Some(line) = text.lines().nth(at.line().saturating_sub(1)) else {
        return String::new();
    };
    let token: String = line
        .chars()
        .skip(at.col())
        .take_while(|c| !c.is_whitespace() && *c != ',' && *c != '}' && *c != ']' && *c != '#')
        .collect();
    match resolve::plain(&token) {
        resolve::Scalar::Str(_) | resolve::Scalar::Merge => String::new(),
        _ if token.is_empty() => String::new(),
        _ => format!(
            " (`{token}` is not text in YAML 1.1, which is how Helm reads YAML; write `\"{token}\"` for text)"
        ),
    }
}

fn join(segments: &[String]) -> String {
    let mut out = String::new();
    for s in segments {
        if !out.is_empty() && !s.starts_with('[') {
            out.push('.');
        }
        out.push_str(s);
    }
    out
}

/// Parse a values document into JSON values. An empty document is an empty map.
pub fn parse_values(text: &str, file: &Path) -> Result<Value, YamlError> {
    values_root(read::read(text, file, None)?, file)
}

/// [`parse_values`] for what a chart repository or archive supplies (`index.yaml`,
/// `Chart.yaml`, a chart's `values.yaml`): aliases may add less ([`read::Budget::Remote`]).
pub fn parse_values_remote(text: &str, file: &Path) -> Result<Value, YamlError> {
    values_root(read::read_remote(text, file)?, file)
}

/// [`parse_values`], plus the line of each key path (`a.b`, `l[0]`) in the file.
pub fn parse_values_with_lines(
    text: &str,
    file: &Path,
) -> Result<(Value, std::collections::HashMap<String, usize>), YamlError> {
    let mut spans = read::Spans::new();
    let value = values_root(read::read(text, file, Some(&mut spans))?, file)?;
    let lines = spans
        .into_iter()
        .map(|(path, (key, _))| (path, key.line()))
        .collect();
    Ok((value, lines))
}

/// A values document's root: a map (an empty document is an empty one).
fn values_root(value: Value, file: &Path) -> Result<Value, YamlError> {
    match value {
        Value::Null => Ok(Value::Object(Map::new())),
        Value::Object(_) => Ok(value),
        other => Err(YamlError {
            file: file.to_owned(),
            line: Some(1),
            column: Some(1),
            message: format!(
                "a values file must hold a map at the top, found {}",
                crate::values::type_name(&other)
            ),
        }),
    }
}

/// A value with every number as Helm holds it after reading (see [`normalise_number`]): the
/// value that reading [`to_string`]'s output gives back.
pub fn as_helm_reads(value: &Value) -> Value {
    match value {
        Value::Number(n) => normalise_number(n),
        Value::Array(items) => Value::Array(items.iter().map(as_helm_reads).collect()),
        Value::Object(m) => Value::Object(
            m.iter()
                .map(|(k, v)| (k.clone(), as_helm_reads(v)))
                .collect(),
        ),
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    /// A plugin's text with a right-to-left override or a zero-width space is written escaped,
    /// and reads back the same.
    #[test]
    fn invisible_format_characters_are_written_escaped() {
        let v =
            serde_json::json!({"a": "admin\u{202e}txt.exe", "b": "x\u{200b}y", "c": "\u{2067}z"});
        let text = super::to_string(&v);
        assert!(
            text.contains("a: \"admin\\u202etxt.exe\"")
                && text.contains("\\u200b")
                && text.contains("\\u2067"),
            "{text}"
        );
        assert!(
            !text.contains('\u{202e}') && !text.contains('\u{200b}'),
            "{text}"
        );
        assert_eq!(
            super::parse_values(&text, std::path::Path::new("t")).unwrap(),
            v
        );
    }

    #[test]
    fn a_type_error_quotes_at_most_the_start_of_a_text() {
        let long = super::cap_quoted_strings(
            "invalid type: string \"root:x:0:0:root:/root:/bin/bash daemon:x:1:1 secret\", expected struct PipelineFile",
        );
        assert_eq!(
            long,
            "invalid type: string \"root:x:0:0:root:/root:/bin/bash …\" (51 characters), expected struct PipelineFile"
        );
        assert!(!long.contains("secret"));
        let short = super::cap_quoted_strings("invalid value: string \"a\\\"b\", expected x");
        assert_eq!(short, "invalid value: string \"a\\\"b\", expected x");
        let path = std::path::Path::new("f");
        let e = super::from_str::<crate::spec::PipelineFile>(
            "releases: supersecret-list-value-here-and-more-and-more-and-more-text\n",
            path,
        )
        .err()
        .unwrap()
        .to_string();
        assert!(!e.contains("and-more-text"), "{e}");
    }

    use super::*;
    use serde_json::json;

    fn err(text: &str) -> String {
        parse_values(text, Path::new("v.yaml"))
            .unwrap_err()
            .to_string()
    }

    #[derive(Debug, PartialEq, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Doc {
        name: String,
        #[serde(default)]
        items: Vec<Item>,
        #[serde(default)]
        extra: Value,
    }

    #[derive(Debug, PartialEq, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Item {
        id: u32,
        #[serde(default)]
        with: Value,
    }

    #[test]
    fn a_list_split_over_threads_reads_and_fails_as_the_whole_document_does() {
        let file = Path::new("p.yaml");
        let items: String = (0..9)
            .map(|i| format!("  - id: {i}\n    with: {{a: [{i}, x]}}\n"))
            .collect();
        for (text, at) in [
            (format!("name: a\nitems:\n{items}"), None),
            ("name: a\nitems: []\n".to_owned(), None),
            ("name: a\n".to_owned(), None),
            (
                format!("name: a\nitems:\n{items}  - id: 9\n    idd: 1\n"),
                Some("items[9]"),
            ),
            (
                format!("name: a\nitems:\n  - id: no\n{items}"),
                Some("items[0].id"),
            ),
            (format!("name: [a]\nitems:\n{items}"), Some("name")),
            ("name: a\nitems: {id: 1}\n".to_owned(), Some("items")),
            // The list reaching the value some other way: anchored and copied, an alias, a
            // merge key before or after it (the later wins).
            (format!("name: a\nitems: &l\n{items}extra: *l\n"), None),
            (format!("name: a\nextra: &l\n{items}items: *l\n"), None),
            (
                format!("extra: &b {{items: [{{id: 70}}]}}\nname: a\nitems:\n{items}<<: *b\n"),
                None,
            ),
            (
                format!("extra: &b {{items: [{{id: 70}}]}}\nname: a\n<<: *b\nitems:\n{items}"),
                None,
            ),
            (
                "extra: &b {items: [{id: 70}]}\nname: a\n<<: [*b]\nitems: [{id: -1}]\n".to_owned(),
                Some("items[0].id"),
            ),
        ] {
            let whole = from_str::<Doc>(&text, file);
            for threads in [1, 2, 3] {
                let split =
                    from_str_split(&text, file, threads, "items", |d: &mut Doc, i| d.items = i);
                match (&whole, split) {
                    (Ok(w), Ok(s)) => {
                        assert_eq!(w, &s, "{text}");
                        assert!(!s.items.is_empty() || !text.contains("id:"), "{text}");
                    }
                    (Err(w), Err(s)) => assert_eq!(w.to_string(), s.to_string()),
                    (w, s) => panic!("{text}: {w:?} against {s:?}"),
                }
            }
            match (at, whole) {
                (None, whole) => assert!(whole.is_ok(), "{text}: {whole:?}"),
                (Some(at), Err(e)) => assert!(e.to_string().contains(at), "{e}"),
                (Some(_), Ok(_)) => panic!("{text} should fail"),
            }
        }
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
        assert!(e.starts_with("v.yaml:4:1: "), "{e}");
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
    fn escapes_helm_refuses_or_reads_otherwise_are_errors_with_their_position() {
        let e = err("a:\n  b: \"x\\/y\"\n");
        assert!(
            e.starts_with("v.yaml:2:8: `\\/` in a double-quoted string: Helm's reader refuses it"),
            "{e}"
        );
        let e = err("a: \"it\\'s\"\n");
        assert!(
            e.starts_with(
                "v.yaml:1:7: `\\'` in a double-quoted string: Helm's reader takes it for `'`"
            ),
            "{e}"
        );
        let e = err("a: \"x\\qy\"\n");
        assert!(
            e.starts_with("v.yaml:1:6: `\\q` in a double-quoted string is not an escape"),
            "{e}"
        );
        // On a later line of a multi-line scalar, and in a key.
        let e = err("a: \"one\n  two \\/\"\n");
        assert!(e.starts_with("v.yaml:2:7:"), "{e}");
        let e = err("\"k\\/\": 1\n");
        assert!(e.starts_with("v.yaml:1:3:"), "{e}");
        // Every escape both readers know, single quotes and block scalars are fine.
        for ok in [
            "a: \"\\0\\a\\b\\t\\n\\v\\f\\r\\e\\ \\\"\\\\\\N\\_\\L\\P\\x41\\u0041\\U00000041\"\n",
            "a: \"line \\\n  folded\"\n",
            "a: 'x\\/y'\n",
            "a: |\n  x\\/y \"\\q\"\n",
            "a: x\\/y\n",
        ] {
            assert!(parse_values(ok, Path::new("v")).is_ok(), "{ok}");
        }
    }

    #[test]
    fn scalars_are_read_as_helm_reads_them() {
        let v = parse_values(
            "b1: yes\nb2: Off\nb3: \"no\"\nn1: ~\nn2:\no: 0755\np: 012\nq: 0o17\nh: 0x1F\nu: 1_000\n\
             f: 1.5\ne: 1e3\nd: 2001-12-14\ns: 1:20\nt: !!str 12\ni: !!int \"7\"\nl: !vault x\n",
            Path::new("v"),
        )
        .unwrap();
        assert_eq!(
            v,
            json!({"b1": true, "b2": false, "b3": "no", "n1": null, "n2": null, "o": 493, "p": 10,
                   "q": 15, "h": 31, "u": 1000, "f": 1.5, "e": 1000, "d": "2001-12-14", "s": "1:20",
                   "t": "12", "i": 7, "l": "x"})
        );
        assert!(err("a: !!int x\n").starts_with("v.yaml:1:10: a: `x` cannot be read as !!int"));
        assert!(
            err("a: .nan\n").starts_with("v.yaml:1:4: a: `.nan` is not a number JSON can hold")
        );
        assert!(err("a: !!binary eA==\n").contains("`!!binary` is not supported"));
    }

    #[test]
    fn merge_keys_apply_in_document_order_as_in_go_yaml_v2() {
        let v = parse_values(
            "x: &x {p: 1, q: 1}\ny: &y {q: 2, r: 2}\n\
             before:\n  p: 0\n  <<: *x\nafter:\n  <<: *x\n  p: 0\nmany:\n  <<: [*x, *y]\n\
             quoted:\n  \"<<\": text\n",
            Path::new("v"),
        )
        .unwrap();
        assert_eq!(v["before"], json!({"p": 1, "q": 1}));
        assert_eq!(v["after"], json!({"p": 0, "q": 1}));
        assert_eq!(v["many"], json!({"p": 1, "q": 1, "r": 2}));
        assert_eq!(v["quoted"], json!({"<<": "text"}));
        assert!(err("a: {<<: 1}\n").contains("a merge key `<<` needs a map"));
    }

    #[test]
    fn keys_helm_reads_as_the_same_key_are_an_error() {
        assert_eq!(
            err("a:\n  yes: 1\n  true: 2\n"),
            "v.yaml:3:3: a: the keys `yes` (line 2) and `true` are the same key `true` to Helm, which \
             keeps only one of them; keep one, or quote the key that is meant as text"
        );
        assert!(
            err("1: a\n\"1\": b\n")
                .starts_with("v.yaml:2:1: the keys `1` (line 1) and `\"1\"` are the same key `1`")
        );
        assert!(err("~: a\n").contains("a map key is null"));
        assert!(err("[a]: 1\n").contains("a map key must be text or a number"));
    }

    #[test]
    fn documents_aliases_and_nesting_are_bounded() {
        assert!(
            err("a: 1\n---\nb: 2\n").starts_with("v.yaml:3:1: a second YAML document"),
            "{}",
            err("a: 1\n---\nb: 2\n")
        );
        assert_eq!(
            parse_values("a: 1\n---\n", Path::new("v")).unwrap(),
            json!({"a": 1})
        );
        assert!(err("a: &a [1, *a]\n").contains("refers to the node that contains it"));
        let mut bomb = String::from("l0: &l0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..10 {
            let prev = format!("*l{}", i - 1);
            bomb.push_str(&format!("l{i}: &l{i} [{}]\n", vec![prev; 10].join(", ")));
        }
        assert!(
            err(&bomb).contains("expands to more than"),
            "{}",
            err(&bomb)
        );
        // Plain (alias-free) documents are counted once per node, however deep.
        let mut big = String::new();
        for depth in 0..60 {
            big.push_str(&format!("{}k{depth}:\n", "  ".repeat(depth)));
        }
        big.push_str(&format!(
            "{}list: [{}]\n",
            "  ".repeat(60),
            vec!["1"; 80_000].join(",")
        ));
        assert!(parse_values(&big, Path::new("v")).is_ok());
        let deep = format!("a: {}{}\n", "[".repeat(600), "]".repeat(600));
        assert!(
            err(&deep).contains("recursion limit exceeded"),
            "{}",
            err(&deep)
        );
    }

    #[test]
    fn characters_helm_refuses_or_reads_as_line_breaks_are_errors() {
        assert_eq!(
            err("a: x\nb: \"p\u{7f}\"\n"),
            "v.yaml:2:6: the character U+007F is a control character, which Helm's reader refuses; \
             write it as `\\u007f` inside double quotes"
        );
        assert!(
            err("a: \"x\u{2028}y\"\n")
                .starts_with("v.yaml:1:6: the character U+2028 is a line break")
        );
        assert!(err("a: x\u{85}\n").contains("U+0085"));
        assert!(err("a: x\u{0}\n").contains("U+0000"));
        // A byte-order mark at the start, tabs, CR LF and escapes are fine.
        let v = parse_values(
            "\u{feff}a: \"\\u2028\\u007f\"\r\nb: \tc\r\n",
            Path::new("v"),
        )
        .unwrap();
        assert_eq!(v, json!({"a": "\u{2028}\u{7f}", "b": "c"}));
        assert!(
            err("a:\tb\n").starts_with("v.yaml:1:3: a tab after `:`"),
            "{}",
            err("a:\tb\n")
        );
        assert!(err("# c\n%YAML 1.1\n---\na: 1\n").starts_with("v.yaml:2:1: a YAML directive"));
    }

    #[test]
    fn anchor_names_helm_would_cut_short_are_errors() {
        assert!(
            err("k: &a: 1\n").contains("the name in `&a:` is read differently"),
            "{}",
            err("k: &a: 1\n")
        );
        assert!(parse_values("k: &ok 1\nj: *ok:\n", Path::new("v")).is_err());
        assert!(err("k: [&a.b x]\n").contains("`&a.b`"));
        // Found by the property run: a non-ASCII space before the anchor's node.
        assert!(parse_values("&\u{2000}\u{1032d}", Path::new("v")).is_err());
        let v = parse_values(
            "k: &a-1_B !!str x\nj: *a-1_B\nl: [&c yy, *c]\nm: &d\n  nn: 1\no: *d\n",
            Path::new("v"),
        )
        .unwrap();
        assert_eq!(
            v,
            json!({"k": "x", "j": "x", "l": ["yy", "yy"], "m": {"nn": 1}, "o": {"nn": 1}})
        );
    }

    #[test]
    fn placeholder_positions_count_characters() {
        assert!(err("é: x\nb: {name}\n").starts_with("v.yaml:2:4: `{name}` is unquoted"));
        assert!(err("émoji: {name}\n").starts_with("v.yaml:1:8: `{name}`"));
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
            json!({"a": {"p": 1}, "b": {"p": 1, "q": 2}, "1": "one", "true": true})
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
