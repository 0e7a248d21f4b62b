//! Differential tests of the values file helmwasm writes, against real helm: a corpus of
//! strings that YAML 1.1 readers (Helm's go-yaml) could take for something else — booleans,
//! nulls, numbers in every notation, timestamps, indicators, whitespace, control and Unicode
//! characters — is given to helmwasm as values (as values and as keys), helmwasm writes the
//! final values for `helm template`, and `tests/charts/values-echo` prints `toJson .Values`.
//! Helm must read back exactly the strings that went in.

use crate::support::{helmwasm, project, root, tool};
use serde_json::{Map, Value, json};

/// Strings a YAML 1.1 reader may take for something else, or that need escaping.
pub fn tricky_strings() -> Vec<String> {
    let mut v: Vec<String> = [
        // YAML 1.1 booleans, every spelling go-yaml knows, and near misses.
        "y",
        "Y",
        "yes",
        "Yes",
        "YES",
        "n",
        "N",
        "no",
        "No",
        "NO",
        "true",
        "True",
        "TRUE",
        "false",
        "False",
        "FALSE",
        "on",
        "On",
        "ON",
        "off",
        "Off",
        "OFF",
        "yEs",
        "nO",
        "oN",
        // Nulls and empties.
        "null",
        "Null",
        "NULL",
        "~",
        "",
        " ",
        "  ",
        // Numbers in every notation.
        "0",
        "1",
        "-1",
        "+1",
        "007",
        "0755",
        "012",
        "08",
        "09",
        "0o17",
        "0x1F",
        "0X1f",
        "0b101",
        "1_000",
        "1__0",
        "1e3",
        "1E3",
        "1e+3",
        "1e-3",
        "1.5",
        ".5",
        "-.5",
        "+.5",
        "1.",
        "5.0",
        ".inf",
        ".Inf",
        ".INF",
        "-.inf",
        "+.inf",
        ".nan",
        ".NaN",
        ".NAN",
        "1:20",
        "190:20:30",
        "-1:30",
        "1_0.5",
        "0.0.0.0",
        "1.19.0",
        "3.1.7",
        "1e",
        "1e3e",
        "0x",
        "0xG",
        "9223372036854775808",
        "-9223372036854775809",
        "1.7976931348623157e309",
        "NaN",
        "Infinity",
        "-Infinity",
        // Timestamps.
        "2001-12-14",
        "2001-12-14t21:59:43.10-05:00",
        "2001-12-14 21:59:43.10 -5",
        "2001-12-15T02:59:43.1Z",
        "2002-12-14",
        "12:30",
        "12:30:45",
        // Indicators and YAML syntax.
        "- a",
        "-",
        "--",
        "---",
        "...",
        "a...b",
        "? x",
        "?",
        ": x",
        ":",
        "a: b",
        "a:b",
        "a :b",
        "a #b",
        "#c",
        "a#b",
        "&a",
        "*a",
        "!tag",
        "!!str",
        "|",
        ">",
        "|-",
        ">+",
        "'",
        "\"",
        "''",
        "%x",
        "@x",
        "`x",
        "{a}",
        "{}",
        "[a]",
        "[]",
        ",",
        "a,b",
        "<<",
        "=",
        "a=b",
        // Whitespace and control characters.
        " lead",
        "trail ",
        "\tlead",
        "trail\t",
        "a\nb",
        "a\n",
        "\n",
        "\na",
        "a\r\nb",
        "\r",
        "a\tb",
        "multi\nline\ntext\n",
        "  indented\n  lines\n",
        "a\u{7}b",
        "a\u{1b}[31mb",
        "a\u{0}b",
        "a\u{7f}b",
        "a\u{85}b",
        "a\u{a0}b",
        "a\u{2028}b",
        "a\u{2029}b",
        "\u{feff}bom",
        // Backslashes and quotes.
        "\\",
        "a\\nb",
        "c:\\path",
        "\\\"",
        "it's",
        "say \"hi\"",
        // Unicode.
        "ünïcödé",
        "日本語",
        "émoji 🎉",
        "Ω",
        "\u{1F600}",
        // Things that are fine plain: helmwasm may print them plain, Helm must still agree.
        "500m",
        "1Gi",
        "128Mi",
        "0.5",
        "v1",
        "apps/v1",
        "a/b",
        "a.b",
        "a-b",
        "a_b",
        "_x",
        "/path",
        "app.kubernetes.io/name",
        "CeleryExecutor",
        "airflow",
        "yes please",
        "no!",
        "True!",
        "127.0.0.1:80",
        "http://x",
        "postgresql://u:p@h:5432/db?sslmode=require",
        "db+postgresql://u@h/db",
        "see ref+env://X",
        "{{ .Values.x }}",
        "%{x}",
        "${x}",
        "git@github.com:org/repo.git",
        "ssh-ed25519 AAAA",
        "10Gi",
        "1024",
        "3600s",
        "2s",
        // More edges.
        "+0",
        "-0",
        "0.",
        "-0.0",
        "1e1000",
        "0o",
        "0b",
        "0b2",
        "1_",
        "_1",
        "1,000",
        "1 000",
        "TRUE ",
        " false",
        "~x",
        "x~",
        ".",
        "..",
        "./x",
        "x:",
        "x: ",
        "null ",
        ">-",
        "|+",
        "- ",
        "#",
        "a # b",
        "0b1_0",
        "0x_1F",
        "1_2:3_0",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    // Long and repetitive strings.
    v.push("x".repeat(300));
    v.push("no ".repeat(50));
    v.push("line\n".repeat(20));
    v.sort();
    v.dedup();
    v
}

/// The corpus as values: each string under a key, and each string as a key.
fn corpus() -> Value {
    let strings = tricky_strings();
    let mut as_values = Map::new();
    let mut as_keys = Map::new();
    for (i, s) in strings.iter().enumerate() {
        as_values.insert(format!("s{i:03}"), json!(s));
        as_keys.insert(s.clone(), json!(i));
    }
    json!({
        "asValues": as_values,
        "asKeys": as_keys,
        "inLists": strings,
        "nested": {"list": [{"a": strings[0]}, [strings[1], {"b": strings[2]}]], "empty": {}, "none": []},
        "types": {"int": 42, "neg": -7, "float": 1.5, "big": 1e300, "t": true, "f": false},
    })
}

/// JSON text with the characters YAML readers refuse raw (DEL, C1 controls) or take for line
/// breaks (U+2028, U+2029) written as `\\u` escapes, so it is YAML every reader reads alike.
pub fn yaml_safe(json: &str) -> String {
    json.chars()
        .map(|c| match c as u32 {
            0x7f..=0x9f | 0x2028 | 0x2029 | 0xfeff => format!("\\u{:04x}", c as u32),
            _ => c.to_string(),
        })
        .collect()
}

/// What helm read, from the `values-echo` ConfigMap in a full render.
pub fn values_helm_read(stream: &str) -> Value {
    let docs: Vec<Value> = stream
        .split("\n---\n")
        .map(|d| d.trim_start_matches("---\n"))
        .filter(|d| {
            d.lines()
                .any(|l| !l.trim().is_empty() && !l.starts_with('#'))
        })
        .map(|d| helmwasm::yaml::parse_values(d, std::path::Path::new("render")).unwrap())
        .collect();
    let cm = docs
        .iter()
        .find(|d| d["kind"] == "ConfigMap")
        .expect("the values-echo ConfigMap");
    serde_json::from_str(cm["data"]["values.json"].as_str().unwrap()).unwrap()
}

#[test]
fn helm_reads_back_exactly_the_values_helmwasm_writes() {
    tool("helm");
    let values = corpus();
    let strings = tricky_strings().len();
    assert!(strings >= 200, "the corpus has {strings} strings");
    let dir = project(&format!(
        "releases:\n- name: echo\n  namespace: test\n  chart: {}\n  values: [corpus.json]\n",
        root().join("tests/charts/values-echo").display()
    ));
    // JSON (with every non-printable character escaped, as YAML requires) is read the same way
    // by every YAML reader: the corpus reaches helmwasm intact; what is under test is the file
    // helmwasm writes for helm.
    let json = yaml_safe(&serde_json::to_string_pretty(&values).unwrap());
    std::fs::write(dir.path().join("corpus.json"), json).unwrap();
    let run = helmwasm(dir.path(), &["template", "--strict", "--show-secrets"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let read = values_helm_read(&run.stdout);
    let mut differences = Vec::new();
    for section in ["asValues", "asKeys", "inLists", "nested", "types"] {
        if read[section] != values[section] {
            differences.push(section);
        }
    }
    if !differences.is_empty() {
        let keys = |v: &Value| {
            v.as_object()
                .map(|m| m.keys().cloned().collect::<std::collections::BTreeSet<_>>())
                .unwrap_or_default()
        };
        let mut detail = Vec::new();
        for (k, v) in values["asValues"].as_object().unwrap() {
            if read["asValues"][k] != *v {
                detail.push(format!("value {v} came back as {}", read["asValues"][k]));
            }
        }
        let missing: Vec<_> = keys(&values["asKeys"])
            .difference(&keys(&read["asKeys"]))
            .cloned()
            .collect();
        panic!(
            "helm read other values in {differences:?}:\n{}\nkeys lost: {missing:?}",
            detail.join("\n")
        );
    }
}
