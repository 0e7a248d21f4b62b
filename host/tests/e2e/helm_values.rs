//! Differential tests of how helmwasm *reads* values, against real helm. For each input — a
//! corpus of scalars written plain, single- and double-quoted, as values and as keys; values
//! files with anchors, merge keys, block scalars, nulls, empties, tags, deep nesting and lists;
//! layered files whose nulls delete chart defaults; every `--set` form with Helm's own strvals
//! table — two renders of `tests/charts/values-echo` (which prints `toJson .Values`) must agree:
//! - `helm template` reading the original inputs itself (`-f a -f b --set …`);
//! - `helmwasm template` on a pipeline with the same inputs, where helm reads only the values
//!   file helmwasm wrote.
//!
//! The few inputs helmwasm reads differently are errors with a hint, never silent; the last
//! test pins each of them (helm accepts it, helmwasm refuses it).

use crate::support::{helmwasm, root, tool};
use crate::yaml_helm::{tricky_strings, values_helm_read, yaml_safe};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

fn chart() -> PathBuf {
    root().join("tests/charts/values-echo")
}

/// `.Values` as helm reads the inputs itself: `helm template r CHART ARGS` in `dir`.
fn helm_direct(dir: &Path, args: &[String]) -> Result<Value, String> {
    let out = Command::new(tool("helm"))
        .current_dir(dir)
        .args(["template", "r"])
        .arg(chart())
        .args(args)
        .output()
        .expect("cannot run helm");
    if !out.status.success() {
        return Err(String::from_utf8_lossy(&out.stderr).into_owned());
    }
    Ok(values_helm_read(&String::from_utf8(out.stdout).unwrap()))
}

/// `.Values` as helm reads helmwasm's values file: a pipeline whose release has `files` as
/// its values layers, with `args` on helmwasm's command line.
fn via_helmwasm(dir: &Path, files: &[&str], args: &[String]) -> Result<Value, String> {
    let values: Vec<String> = files.iter().map(|f| format!("\"{f}\"")).collect();
    std::fs::write(
        dir.join("helmwasm.yaml"),
        format!(
            "releases:\n- name: r\n  namespace: test\n  chart: \"{}\"\n  values: [{}]\n",
            chart().display(),
            values.join(", ")
        ),
    )
    .unwrap();
    let mut argv = vec!["template", "--strict", "--show-secrets"];
    argv.extend(args.iter().map(String::as_str));
    let run = helmwasm(dir, &argv);
    if run.code != 0 {
        return Err(run.stderr);
    }
    Ok(values_helm_read(&run.stdout))
}

/// Both readings of values files `files` (name, text), in order, plus `args`.
fn both(files: &[(&str, &str)], args: &[String]) -> (Result<Value, String>, Result<Value, String>) {
    let dir = tempfile::tempdir().unwrap();
    for (name, text) in files {
        std::fs::write(dir.path().join(name), text).unwrap();
    }
    let mut helm_args = Vec::new();
    for (name, _) in files {
        helm_args.push("-f".to_owned());
        helm_args.push((*name).to_owned());
    }
    helm_args.extend(args.iter().cloned());
    let names: Vec<&str> = files.iter().map(|(n, _)| *n).collect();
    (
        helm_direct(dir.path(), &helm_args),
        via_helmwasm(dir.path(), &names, args),
    )
}

/// Assert helm and helmwasm read `files` + `args` the same; on a difference, show the
/// top-level keys that differ.
fn assert_same(label: &str, files: &[(&str, &str)], args: &[String]) {
    let (direct, via) = both(files, args);
    let direct = direct.unwrap_or_else(|e| panic!("{label}: helm refused the inputs: {e}"));
    let via = via.unwrap_or_else(|e| panic!("{label}: helmwasm refused the inputs: {e}"));
    if direct != via {
        let mut diff = Vec::new();
        for (k, v) in direct.as_object().unwrap() {
            diff.extend(differences(k, v, &via[k]));
        }
        for k in via.as_object().unwrap().keys() {
            if direct.get(k).is_none() {
                diff.push(format!("{k}: only helmwasm has it"));
            }
        }
        panic!(
            "{label}: helm and helmwasm read different values:\n{}",
            diff.join("\n")
        );
    }
}

fn differences(path: &str, a: &Value, b: &Value) -> Vec<String> {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            let mut out = Vec::new();
            for k in x.keys().chain(y.keys().filter(|k| !x.contains_key(*k))) {
                out.extend(differences(
                    &format!("{path}.{k}"),
                    x.get(k).unwrap_or(&Value::Null),
                    y.get(k).unwrap_or(&Value::Null),
                ));
            }
            out
        }
        _ if a == b => Vec::new(),
        _ => vec![format!("{path}: helm {a}, helmwasm {b}")],
    }
}

fn has_control(s: &str) -> bool {
    s.chars()
        .any(|c| c.is_control() || matches!(c, '\u{2028}' | '\u{2029}' | '\u{feff}'))
}

/// The corpus as YAML source: each string plain (where helmwasm accepts it at all),
/// single-quoted, double-quoted, and as a key.
fn scalar_corpus() -> String {
    let accepts = |text: &str| helmwasm::yaml::parse_values(text, Path::new("probe")).is_ok();
    let strings = tricky_strings();
    let mut plain = String::from("plain:\n");
    let mut plain_keys = String::from("plainKeys:\n");
    let mut single = String::from("single:\n");
    let mut double = String::from("double:\n");
    let mut quoted_keys = String::from("quotedKeys:\n");
    let (mut n_plain, mut n_keys) = (0, 0);
    for (i, s) in strings.iter().enumerate() {
        if !has_control(s) && !s.contains('\n') {
            let entry = format!("  v{i:03}: {s}\n");
            if accepts(&format!("plain:\n{entry}")) {
                plain.push_str(&entry);
                n_plain += 1;
            }
            let entry = format!("  k{i:03}:\n    {s}: {i}\n");
            if accepts(&format!("plainKeys:\n{entry}")) {
                plain_keys.push_str(&entry);
                n_keys += 1;
            }
            single.push_str(&format!("  v{i:03}: '{}'\n", s.replace('\'', "''")));
        }
        let json = yaml_safe(&serde_json::to_string(s).unwrap());
        double.push_str(&format!("  v{i:03}: {json}\n"));
        quoted_keys.push_str(&format!("  k{i:03}:\n    {json}: {i}\n"));
    }
    assert!(
        n_plain > 150 && n_keys > 150,
        "{n_plain} plain values, {n_keys} plain keys"
    );
    format!("{plain}{plain_keys}{single}{double}{quoted_keys}")
}

#[test]
fn scalars_and_keys_read_as_helm_reads_them() {
    tool("helm");
    let text = scalar_corpus();
    assert_same("scalar corpus", &[("corpus.yaml", &text)], &[]);
}

/// Values files with YAML's structure features.
const STRUCTURES: &str = r#"# comment
anchors:
  base: &base {a: 1, b: [1, 2], c: {d: e}}
  copy: *base
  list: &l [x, y]
  again: *l
  scalar: &s shared
  use: *s
merges:
  x: &x {p: 1, q: 1}
  y: &y {q: 2, r: 2}
  before:
    p: 0
    <<: *x
  after:
    <<: *x
    p: 0
  several:
    <<: [*x, *y]
  inline: {<<: *y, s: 3}
  nested:
    inner:
      <<: *x
      extra: true
  quoted:
    "<<": text
blocks:
  literal: |
    line one
      indented
    line three
  literalStrip: |-
    no final newline
  literalKeep: |+
    kept

  folded: >
    folded
    into one

    paragraph two
  foldedStrip: >-
    a
    b
  indented: |2
      two extra spaces
  plainMulti: first
    second
    third
  quotedMulti: "one
    two"
  singleMulti: 'one

    two'
nulls:
  tilde: ~
  empty:
  word: null
  Word: Null
  inList: [~, null, ]
  flow: {a: , b: ~}
empties:
  map: {}
  list: []
  string: ""
  single: ''
tags:
  str: !!str 0755
  int: !!int "12"
  float: !!float 1
  bool: !!bool "yes"
  custom: !custom text
  nonSpecific: ! 12
nesting:
  a: {b: {c: {d: {e: {f: {g: {h: [[[[1, [2, {i: j}]]]]]}}}}}}}
lists:
  block:
  - a
  - - nested
    - list
  - key: value
    other: 2
  -
  - ~
  flow: [a, 'b', "c", [d, e], {f: g}]
  mixed:
    - {a: 1}
    - [1, 2]
    - |
      text
numbers:
  int: 42
  neg: -17
  octal: 0755
  octalBad: 0789
  hex: 0xff
  bin: 0b1010
  oct2: 0o17
  under: 1_000_000
  float: 3.25
  exp: 6.02e23
  expNoDot: 1e3
  big: 12345678901234567890
  huge: 123456789012345678901234567890
  negZero: -0.0
  dot: .5
  trailing: 5.
  plusInt: +12
  plusHex: +0x1F
  maxInt: 9223372036854775807
  minInt: -9223372036854775808
  maxUint: 18446744073709551615
  exact: 9007199254740993
keysOfEveryKind:
  1: int
  0x10: hex
  1.5: float
  3.14159265: pi
  1e6: million
  0.00001: small
  yes: yes
  off: off
  "quoted": q
  'single': s
  ? complex
  : explicit
"#;

#[test]
fn structures_read_as_helm_reads_them() {
    tool("helm");
    assert_same("structures", &[("structures.yaml", STRUCTURES)], &[]);
    // A document marker, an end marker and comments everywhere.
    assert_same(
        "document markers",
        &[("doc.yaml", "---\n# c\na: 1 # c\nb: # c\n  - 1 # c\n...\n")],
        &[],
    );
    assert_same("an empty file", &[("empty.yaml", "")], &[]);
    assert_same("only comments", &[("c.yaml", "# nothing\n\n# here\n")], &[]);
    assert_same(
        "JSON is YAML",
        &[(
            "v.json",
            r#"{"a": [1, 2.5, "x", null, true], "b": {"c": "d"}}"#,
        )],
        &[],
    );
}

#[test]
fn layered_files_and_nulls_delete_chart_defaults_as_in_helm() {
    tool("helm");
    let first = "defaults:\n  drop: ~\n  text: first\n  nested:\n    b:\n      c: 9\nmine:\n  a: 1\n  list: [1, 2, 3]\n  gone: here\n";
    let second = "defaults:\n  list: [3]\n  nested:\n    b:\n      d: null\n    a: ~\nmine:\n  list: [9]\n  gone: null\n  added: {x: 1}\n";
    let third =
        "defaults:\n  keep: null\n  text: third\nmine:\n  added: scalar\n  a: {now: a map}\n";
    assert_same(
        "three layers",
        &[("1.yaml", first), ("2.yaml", second), ("3.yaml", third)],
        &[],
    );
    assert_same(
        "a null for a whole default map",
        &[("1.yaml", "defaults:\n  nested: null\n")],
        &[],
    );
    assert_same(
        "a map replaced by a scalar and back",
        &[
            ("1.yaml", "m: {a: 1}\n"),
            ("2.yaml", "m: 5\n"),
            ("3.yaml", "m: {b: 2}\n"),
        ],
        &[],
    );
}

/// `f` over `items` on four threads; the `Some` results, in no particular order.
fn parallel<T: Sync, R: Send>(items: &[T], f: impl Fn(&T) -> Option<R> + Sync) -> Vec<R> {
    let out = std::sync::Mutex::new(Vec::new());
    let next = std::sync::atomic::AtomicUsize::new(0);
    std::thread::scope(|scope| {
        for _ in 0..4 {
            scope.spawn(|| {
                while let Some(item) =
                    items.get(next.fetch_add(1, std::sync::atomic::Ordering::SeqCst))
                {
                    out.lock().unwrap().extend(f(item));
                }
            });
        }
    });
    out.into_inner().unwrap()
}

fn flag_option(flag: &str) -> String {
    format!("--{flag}")
}

/// Every case of the strvals table (Helm's own, plus ours), through both.
#[test]
fn every_set_form_matches_helm_on_helms_strvals_table() {
    tool("helm");
    let doc: Value = serde_json::from_str(
        &std::fs::read_to_string(root().join("tests/strvals/cases.json")).unwrap(),
    )
    .unwrap();
    let cases = doc["cases"].as_array().unwrap().clone();
    let failures: Vec<String> = parallel(&cases, |case| {
        let base = case.get("base").map(|b| b.to_string());
        let files: Vec<(&str, &str)> = base.iter().map(|b| ("base.json", b.as_str())).collect();
        let mut args = Vec::new();
        for a in case["args"].as_array().unwrap() {
            args.push(flag_option(case["flag"].as_str().unwrap()));
            args.push(a.as_str().unwrap().to_owned());
        }
        let (direct, via) = both(&files, &args);
        match (&direct, &via) {
            (Ok(a), Ok(b)) if a == b => None,
            (Err(_), Err(_)) => None,
            _ => Some(format!("{case}\n  helm: {direct:?}\n  helmwasm: {via:?}")),
        }
    });
    assert!(
        failures.is_empty(),
        "{} case(s) differ:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn set_flags_of_every_kind_together_apply_in_helms_order() {
    tool("helm");
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("key.txt"), "no\n0755\n").unwrap();
    std::fs::write(dir.path().join("other.txt"), "on").unwrap();
    std::fs::write(
        dir.path().join("base.yaml"),
        "a:\n  list: [1, 2, 3]\n  s: str\n",
    )
    .unwrap();
    let args: Vec<String> = [
        "--set-literal",
        "order=literal",
        "--set-file",
        "order=key.txt",
        "--set",
        "order=set,a.list[1]=x,tags={a,b},n=007,t=TRUE",
        "--set-json",
        r#"order="json""#,
        "--set-string",
        "order=string,s=1",
        "--set-file",
        "files.one=key.txt,files.both={key.txt,other.txt}",
        "--set-json",
        r#"{"merged": {"x": 1, "y": [1.5, null]}}"#,
        "--set",
        r"esc=a\,b\=c,dot\.key=1",
        "--set-literal",
        "lit=a,b={c}",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let mut helm_args = vec!["-f".to_owned(), "base.yaml".to_owned()];
    helm_args.extend(args.iter().cloned());
    let direct = helm_direct(dir.path(), &helm_args).unwrap();
    let via = via_helmwasm(dir.path(), &["base.yaml"], &args).unwrap();
    assert_eq!(direct["order"], "literal", "{direct}");
    assert_eq!(via, direct);
}

/// The inputs helmwasm reads differently from helm, each refused with a hint instead of
/// read silently otherwise. If helm changes here, this test says so.
#[test]
fn the_few_inputs_read_differently_are_errors_with_a_hint() {
    tool("helm");
    let file_cases: &[(&str, &str, &str)] = &[
        (
            "a: 1\na: 2\n",
            "duplicate key `a`",
            "helm keeps the last of two equal keys",
        ),
        (
            "yes: 1\ntrue: 2\n",
            "are the same key `true` to Helm",
            "helm keeps one of two keys it reads alike",
        ),
        (
            "a: 1\n---\nb: 2\n",
            "Helm reads only the first",
            "helm ignores a second document",
        ),
        (
            "a: {x}\n",
            "is unquoted, so YAML reads it as a map",
            "helm reads a placeholder as a map",
        ),
    ];
    for (text, hint, why) in file_cases {
        let (direct, via) = both(&[("v.yaml", text)], &[]);
        assert!(
            direct.is_ok(),
            "{why}: helm now refuses {text:?}: {direct:?}"
        );
        let e = via.expect_err(&format!("helmwasm accepted {text:?}"));
        assert!(e.contains(hint), "{text:?}: {e}");
    }
    let (direct, via) = both(&[], &["--set".into(), "n=9007199254740993".into()]);
    assert_eq!(
        direct.unwrap()["n"],
        serde_json::json!(9007199254740993u64),
        "helm keeps --set integers exact"
    );
    assert!(via.unwrap_err().contains("use --set-string"));
}

/// Plain scalars helmwasm refuses (as values or keys) while helm reads them: each is one of the
/// documented differences (YAML 1.2 syntax where go-yaml is lax), and the list is pinned so a
/// new one shows up here.
#[test]
fn plain_scalars_refused_by_helmwasm_but_read_by_helm_are_the_documented_ones() {
    tool("helm");
    let refused: Vec<(String, String)> = tricky_strings()
        .into_iter()
        .filter(|s| !has_control(s) && !s.contains('\n'))
        .flat_map(|s| {
            [format!("k: {s}\n"), format!("{s}: 1\n")]
                .into_iter()
                .filter(|text| helmwasm::yaml::parse_values(text, Path::new("p")).is_err())
                .map(move |text| (s.clone(), text))
        })
        .collect();
    let mut accepted = parallel(&refused, |(_, text)| {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("v.yaml"), text).unwrap();
        helm_direct(dir.path(), &["-f".into(), "v.yaml".into()])
            .is_ok()
            .then(|| text.clone())
    });
    accepted.sort();
    // An unquoted `{placeholder}` (helm: a one-key map), and a map as a key.
    let documented = ["k: {a}\n", "{}: 1\n"];
    assert_eq!(accepted, documented, "{} refused in all", refused.len());
}

/// Every escape in a double-quoted scalar, against real helm (go-yaml v2): where helmwasm
/// reads one, helm reads the same string; where helm refuses one (`\/`, `\q`, …), helmwasm
/// refuses it with file:line:column. The one escape helmwasm refuses and helm reads is `\'`
/// (YAML 1.2 has no such escape), documented and pinned here.
#[test]
fn every_double_quoted_escape_reads_as_helm_reads_it_or_is_an_error() {
    tool("helm");
    let mut escapes: Vec<String> = (0x20u8..0x7f)
        .map(|b| (b as char).to_string())
        .chain(["\t".to_owned()])
        .collect();
    for (c, digits) in [("x", "41"), ("u", "00e9"), ("U", "0001F600")] {
        escapes.retain(|e| e != c);
        escapes.push(format!("{c}{digits}"));
    }
    let results = parallel(&escapes, |escape| {
        let text = format!("k: \"a\\{escape}b\"\n");
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("v.yaml"), &text).unwrap();
        let helm = helm_direct(dir.path(), &["-f".into(), "v.yaml".into()]);
        let ours = helmwasm::yaml::parse_values(&text, Path::new("v.yaml"));
        Some((escape.clone(), helm, ours))
    });
    assert_eq!(results.len(), escapes.len());
    let mut refused_by_us_only = Vec::new();
    let mut helm_refuses = 0;
    for (escape, helm, ours) in results {
        match (helm, ours) {
            (Ok(h), Ok(o)) => assert_eq!(h["k"], o["k"], "`\\{escape}` reads differently"),
            (Err(_), Ok(o)) => panic!("helm refuses `\\{escape}`, helmwasm reads {}", o["k"]),
            (Err(_), Err(e)) => {
                helm_refuses += 1;
                let e = e.to_string();
                assert!(e.starts_with("v.yaml:1:6: "), "`\\{escape}`: {e}");
            }
            (Ok(_), Err(e)) => {
                assert!(e.to_string().starts_with("v.yaml:1:6: "), "{e}");
                refused_by_us_only.push(escape);
            }
        }
    }
    assert_eq!(
        refused_by_us_only,
        ["'"],
        "escapes helm reads and helmwasm refuses"
    );
    assert!(helm_refuses > 50, "helm refuses {helm_refuses} escapes");
}
