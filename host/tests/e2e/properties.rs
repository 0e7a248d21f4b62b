//! Property tests and fuzz-style robustness checks (proptest): the values layering laws, that
//! what helmwasm writes reads back as the same values (as Helm reads YAML), and that the
//! pipeline parser, values parser, `--set` parsers and selector parser never panic on
//! arbitrary input. CI runs the default 256 cases per property as a smoke run; the long run
//! is `PROPTEST_CASES=200000 cargo test -p helmwasm --test e2e properties`.

use helmwasm::values::{coalesce, compose, layer};
use proptest::prelude::*;
use serde_json::{Map, Value};
use std::path::Path;

fn leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        (-5i64..5).prop_map(|n| Value::Number(n.into())),
        "[a-z]{0,3}".prop_map(Value::String),
    ]
}

/// Any JSON document with a map at the top: arbitrary text and keys, every kind of number.
fn any_json() -> impl Strategy<Value = Value> {
    let text = prop_oneof![
        any::<String>(),
        prop::sample::select(vec![
            "no",
            "NO",
            "on",
            "Off",
            "y",
            "~",
            "null",
            "",
            "0755",
            "012",
            "0x1F",
            "0o17",
            "1e3",
            "1_000",
            "1:20",
            "2001-12-14",
            ".inf",
            "-.Inf",
            ".nan",
            "<<",
            "- a",
            "a: b",
            "#c",
            "{x}",
            "[1]",
            "'q'",
            "\"d\"",
            " lead",
            "trail ",
            "\t",
            "line\nbreak",
            "500m",
        ])
        .prop_map(str::to_owned),
    ];
    let number = prop_oneof![
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(Value::from),
    ];
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        number,
        text.clone().prop_map(Value::String),
    ];
    let tree = leaf.prop_recursive(4, 48, 6, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map(text.clone(), inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    });
    prop::collection::btree_map(any::<String>(), tree, 0..4)
        .prop_map(|m| Value::Object(m.into_iter().collect()))
}

/// Small keys so maps collide often.
fn json() -> impl Strategy<Value = Value> {
    leaf().prop_recursive(4, 32, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..3).prop_map(Value::Array),
            prop::collection::btree_map("[a-d]", inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

fn map() -> impl Strategy<Value = Map<String, Value>> {
    prop::collection::btree_map("[a-d]", json(), 0..4).prop_map(|m| m.into_iter().collect())
}

/// Maps in which no path changes between map and non-map across samples: keys `a`/`b` always
/// hold maps, keys `c`/`d` never do. Layering is associative on these (see `values.rs`).
fn shaped() -> impl Strategy<Value = Map<String, Value>> {
    let leaf_or_list = prop_oneof![
        leaf(),
        prop::collection::vec(leaf(), 0..3).prop_map(Value::Array)
    ];
    let leaves = prop::collection::btree_map("[cd]", leaf_or_list, 0..3);
    leaves
        .prop_map(|m| m.into_iter().collect::<Map<String, Value>>())
        .prop_recursive(3, 24, 2, |inner| {
            (
                prop::collection::btree_map("[ab]", inner, 0..3),
                prop::collection::btree_map("[cd]", leaf(), 0..3),
            )
                .prop_map(|(maps, leaves)| {
                    let mut m: Map<String, Value> = leaves.into_iter().collect();
                    m.extend(maps.into_iter().map(|(k, v)| (k, Value::Object(v))));
                    m
                })
        })
}

fn composed(mut a: Map<String, Value>, b: Map<String, Value>) -> Map<String, Value> {
    compose(&mut a, b);
    a
}

fn coalesced(mut a: Map<String, Value>, b: Map<String, Value>) -> Map<String, Value> {
    coalesce(&mut a, b);
    a
}

fn has_null(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::Object(m) => m.values().any(has_null),
        _ => false,
    }
}

/// Layering is a left fold, as in Helm; it is not associative when a path turns from a map into
/// a scalar (or null) and back. Found by the long property run; kept as a regression test.
#[test]
fn regression_layering_is_not_associative_across_kind_changes() {
    let m = |v: Value| v.as_object().unwrap().clone();
    let (a, b, c) = (
        m(serde_json::json!({"k": {"x": 1}})),
        m(serde_json::json!({"k": 5})),
        m(serde_json::json!({"k": {"y": 1}})),
    );
    let left = composed(composed(a.clone(), b.clone()), c.clone());
    assert_eq!(
        Value::Object(left),
        serde_json::json!({"k": {"y": 1}}),
        "b replaced the map, c starts afresh"
    );
    assert_ne!(
        composed(composed(a.clone(), b.clone()), c.clone()),
        composed(a, composed(b, c))
    );
}

proptest! {
    #[test]
    fn layering_is_associative_when_no_path_changes_kind(a in shaped(), b in shaped(), c in shaped()) {
        prop_assert_eq!(composed(composed(a.clone(), b.clone()), c.clone()), composed(a, composed(b, c)));
    }

    #[test]
    fn empty_layers_are_identities(a in map()) {
        prop_assert_eq!(composed(a.clone(), Map::new()), a.clone());
        prop_assert_eq!(composed(Map::new(), a.clone()), a.clone());
        prop_assert_eq!(layer([Map::new(), a.clone(), Map::new()]), a);
    }

    #[test]
    fn layering_is_idempotent(a in map()) {
        prop_assert_eq!(composed(a.clone(), a.clone()), a);
    }

    #[test]
    fn the_last_layer_wins_for_every_non_map_it_sets(a in map(), b in map()) {
        let out = composed(a, b.clone());
        for (k, v) in &b {
            if !v.is_object() {
                prop_assert_eq!(out.get(k), Some(v));
            }
        }
    }

    #[test]
    fn coalescing_deletes_every_null_and_keeps_untouched_defaults(defaults in map(), values in map()) {
        let defaults_without_nulls = coalesced(Map::new(), defaults);
        let out = coalesced(defaults_without_nulls.clone(), values.clone());
        prop_assert!(!has_null(&Value::Object(out.clone())), "{:?}", out);
        for (k, v) in &defaults_without_nulls {
            if !values.contains_key(k) {
                prop_assert_eq!(out.get(k), Some(v));
            }
        }
    }

    #[test]
    fn coalescing_a_composition_leaves_no_nulls(d in map(), a in map(), b in map()) {
        // Helm composes the user's files first, then coalesces once onto the defaults.
        let base = coalesced(Map::new(), d);
        let once = coalesced(base, composed(a, b));
        prop_assert!(!has_null(&Value::Object(once)));
    }

    /// What helmwasm writes, Helm reads back as the same values: any text (control
    /// characters, YAML 1.1 words, numbers in every notation), any key, any JSON number
    /// (compared as Helm holds it, a float64).
    #[test]
    fn printing_then_reading_as_helm_gives_the_same_values(v in any_json()) {
        let text = helmwasm::yaml::to_string(&v);
        let back = helmwasm::yaml::parse_values(&text, Path::new("v.yaml"));
        let back = back.map_err(|e| TestCaseError::fail(format!("{e}\n{text}")))?;
        prop_assert_eq!(back, helmwasm::yaml::as_helm_reads(&v), "{}", text);
    }

    #[test]
    fn the_values_parser_never_panics(text in "\\PC{0,200}") {
        let _ = helmwasm::yaml::parse_values(&text, Path::new("fuzz.yaml"));
    }

    #[test]
    fn the_values_parser_never_panics_on_yaml_shaped_text(text in "([a-z]{1,3}:( [a-z0-9{}\\[\\],]{0,5})?\n( {2}|\t)?){0,12}") {
        let _ = helmwasm::yaml::parse_values(&text, Path::new("fuzz.yaml"));
    }

    #[test]
    fn the_pipeline_parser_never_panics(text in "(releases:\n)?(- name: [a-z_]{0,4}\n  [a-z]{1,8}: [a-z0-9.{}\\[\\]]{0,6}\n){0,4}") {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("helmwasm.yaml");
        std::fs::write(&path, &text).unwrap();
        let _ = helmwasm::spec::load(&path);
    }

    #[test]
    fn set_never_panics_and_sets_what_it_says(key in "[a-z]{1,4}(\\.[a-z]{1,4}){0,3}", value in "[a-z0-9]{0,6}", junk in "\\PC{0,40}") {
        use helmwasm::overrides::{Flag, Overrides};
        for flag in Flag::ORDER {
            if let Ok(o) = Overrides::parse([(flag, junk.as_str())], Path::new(".")) {
                let _ = o.apply(&mut Map::new());
            }
        }
        let mut m = Map::new();
        let arg = format!("{key}={value}");
        Overrides::parse([(Flag::String, arg.as_str())], Path::new(".")).unwrap().apply(&mut m).unwrap();
        let root = Value::Object(m);
        prop_assert_eq!(helmwasm::values::get(&root, &key), Some(&Value::String(value)));
    }

    #[test]
    fn selectors_never_panic(s in "\\PC{0,40}") {
        let _ = helmwasm::plan::Selector::parse(&s);
    }
}
