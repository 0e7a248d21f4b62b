//! The values schema cut to what the values reach (`chart::prune`, issue 33 item 2) validates
//! exactly as the whole schema does, on Airflow's real schemas (1.19.0, 1.20.0, 1.21.0): the
//! chart's defaults, and the defaults with one change each: a wrong type at a sample of
//! leaves, an unknown key at a sample of maps, and Kubernetes objects with mistakes where the
//! schema points into its definitions (`affinity`, `tolerations`, volumes, resources, env). The
//! same errors, at the same paths, with the same messages.

use crate::support::fixture;
use helmwasm::chart::{Validator, ValuesSchema};
use serde_json::{Value, json};

/// Every error of `validator` on `values`: (instance path, message), sorted.
fn errors(validator: &jsonschema::Validator, values: &Value) -> Vec<(String, String)> {
    let mut e: Vec<(String, String)> = validator
        .iter_errors(values)
        .map(|e| (e.instance_path().to_string(), e.to_string()))
        .collect();
    e.sort();
    e.dedup();
    e
}

/// Every path to a leaf and to a map of `v`, as JSON pointers.
fn paths(v: &Value, at: String, leaves: &mut Vec<String>, maps: &mut Vec<String>) {
    match v {
        Value::Object(m) => {
            maps.push(at.clone());
            for (k, x) in m {
                paths(
                    x,
                    format!("{at}/{}", k.replace('~', "~0").replace('/', "~1")),
                    leaves,
                    maps,
                );
            }
        }
        Value::Array(a) => {
            for (i, x) in a.iter().enumerate() {
                paths(x, format!("{at}/{i}"), leaves, maps);
            }
        }
        _ => leaves.push(at),
    }
}

/// A value of another type than `v`.
fn wrong(v: &Value) -> Value {
    match v {
        Value::String(_) => json!(12345),
        Value::Number(_) => json!("not a number"),
        Value::Bool(_) => json!("maybe"),
        Value::Null => json!({"unexpected": true}),
        _ => json!(7),
    }
}

#[test]
fn the_cut_schema_validates_as_the_whole_one_on_airflows_schemas() {
    for version in ["1.19.0", "1.20.0", "1.21.0"] {
        let chart =
            helmwasm::chart::read_local(&fixture(&format!("airflow-chart/airflow-{version}.tgz")))
                .unwrap();
        let schema: &ValuesSchema = chart.schema.as_ref().expect("Airflow has a schema");
        let whole = schema.validator().unwrap();
        let defaults = Value::Object(chart.defaults.clone());
        let mut cases = vec![("the defaults".to_owned(), defaults.clone())];
        let (mut leaves, mut maps) = (Vec::new(), Vec::new());
        paths(&defaults, String::new(), &mut leaves, &mut maps);
        for p in leaves.iter().step_by(7) {
            let mut v = defaults.clone();
            let slot = v.pointer_mut(p).unwrap();
            *slot = wrong(slot);
            cases.push((format!("a wrong type at {p}"), v));
        }
        for p in maps.iter().step_by(5) {
            let mut v = defaults.clone();
            v.pointer_mut(p).unwrap()["zzUnknownKey"] = json!(1);
            cases.push((format!("an unknown key in {p}"), v));
        }
        let k8s = [
            (
                "/workers/affinity",
                json!({"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [{"matchExpressions": [{"key": 1, "operator": "In", "values": ["a"]}]}]}}}),
            ),
            (
                "/scheduler/tolerations",
                json!([{"key": "a", "operator": 5}, {"key": "b", "effect": "NoSchedule"}]),
            ),
            (
                "/workers/extraVolumes",
                json!([{"name": "x", "emptyDir": {"medium": 3}}, {"name": 2, "secret": {"secretName": "s"}}]),
            ),
            (
                "/scheduler/resources",
                json!({"limits": {"cpu": []}, "requests": {"memory": "1Gi"}}),
            ),
            (
                "/env",
                json!([{"name": 1, "value": "x"}, {"name": "A", "valueFrom": {"secretKeyRef": {"name": "s", "key": 3}}}]),
            ),
            (
                "/workers/extraContainers",
                json!([{"name": "side", "image": 1, "ports": [{"containerPort": "http"}]}]),
            ),
        ];
        for (p, bad) in k8s {
            let mut v = defaults.clone();
            if let Some(slot) = v.pointer_mut(p) {
                *slot = bad;
                cases.push((format!("Kubernetes mistakes at {p}"), v));
            }
        }
        assert!(cases.len() > 100, "{version}: {} cases", cases.len());
        let mut with_errors = 0;
        for (what, values) in &cases {
            let cut = schema.validator_for(values).unwrap();
            assert!(
                matches!(cut, Validator::Cut(_)),
                "{version}, {what}: Airflow's schema is cut, not compiled whole"
            );
            let expected = errors(whole, values);
            with_errors += usize::from(!expected.is_empty());
            assert_eq!(errors(&cut, values), expected, "{version}, {what}");
        }
        assert!(
            with_errors * 2 > cases.len(),
            "{version}: most cases have errors: {with_errors}"
        );
    }
}
