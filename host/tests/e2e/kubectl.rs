//! The emitted Secrets equal what `kubectl create secret generic … --dry-run=client -o yaml`
//! prints, compared as data (the saved fixtures, and kubectl itself where it is installed).

use crate::support::{fixture, helmwasm, pipeline, project};
use serde_json::Value;
use std::path::Path;
use std::process::Command;

fn yaml_docs(text: &str) -> Vec<Value> {
    text.split("\n---\n")
        .map(|d| d.trim_start_matches("---\n"))
        .filter(|d| !d.trim().is_empty())
        .map(yaml)
        .collect()
}

/// kubectl's output minus `creationTimestamp: null`, the one field helmwasm leaves out.
/// Parsed through helmwasm's own YAML module (the only place the YAML crate is used).
fn yaml(text: &str) -> Value {
    helmwasm::yaml::parse_values(text, Path::new("test.yaml")).unwrap()
}

fn without_timestamp(mut v: Value) -> Value {
    v["metadata"]
        .as_object_mut()
        .unwrap()
        .remove("creationTimestamp");
    v
}

fn render(config: &str) -> Vec<Value> {
    let dir = project(&pipeline(&format!(
        "  - plugin: airflow-database\n    with:\n{config}"
    )));
    let run = helmwasm(dir.path(), &["template"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    yaml_docs(&run.stdout)
}

const HAND_WRITTEN: &str = "      host: host.example.com\n      database: airflow_db\n      user: your_id\n      password: your_pw\n      metadataSecretName: prod-mydatabase\n      resultBackendSecretName: result-backend-mydatabase\n";

#[test]
fn secrets_equal_the_saved_kubectl_output() {
    let docs = render(HAND_WRITTEN);
    assert_eq!(docs.len(), 3, "values plus two Secrets");
    for (doc, file) in docs[1..]
        .iter()
        .zip(["metadata-secret.yaml", "result-backend-secret.yaml"])
    {
        let text = std::fs::read_to_string(fixture(&format!("kubectl-secret/{file}"))).unwrap();
        let kubectl = yaml(&text);
        assert_eq!(doc, &without_timestamp(kubectl), "{file}");
    }
    let json: Value = serde_json::from_str(
        &std::fs::read_to_string(fixture("kubectl-secret/metadata-secret.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(docs[1], without_timestamp(json));
}

#[test]
fn special_characters_match_kubectl_with_an_encoded_url() {
    let Ok(probe) = Command::new("kubectl")
        .arg("version")
        .arg("--client")
        .output()
    else {
        eprintln!("kubectl is not installed: skipping the live kubectl comparison");
        return;
    };
    assert!(probe.status.success());
    let config = "      host: db.internal\n      port: 6432\n      database: air flow\n      user: \"svc@corp\"\n      password: \"p@ss:w/rd?#%\"\n      sslmode: require\n      metadataSecretName: meta\n      resultBackendSecretName: result\n";
    let docs = render(config);
    let url = "postgresql://svc%40corp:p%40ss%3Aw%2Frd%3F%23%25@db.internal:6432/air%20flow?sslmode=require";
    for (doc, (name, value)) in docs[1..]
        .iter()
        .zip([("meta", url.to_owned()), ("result", format!("db+{url}"))])
    {
        let out = Command::new("kubectl")
            .args(["create", "secret", "generic", name, "-n", "airflow"])
            .arg(format!("--from-literal=connection={value}"))
            .args(["--dry-run=client", "-o", "yaml"])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let kubectl = yaml(&String::from_utf8(out.stdout).unwrap());
        assert_eq!(doc, &without_timestamp(kubectl), "{name}");
    }
}
