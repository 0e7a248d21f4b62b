//! The emitted Secrets equal what `kubectl create secret generic … --dry-run=client -o yaml`
//! prints, compared as data (the saved fixtures, and kubectl itself where it is installed).

use crate::support::{fixture, helmwasm, pipeline, project, tool};

/// kubectl is required: a missing one fails the test.
fn kubectl() -> std::path::PathBuf {
    tool("kubectl")
}
use serde_json::Value;
use std::path::Path;
use std::process::Command;

fn yaml_docs(text: &str) -> Vec<Value> {
    text.split("\n---\n")
        .map(|d| d.trim_start_matches("---\n"))
        .filter(|d| {
            d.lines()
                .any(|l| !l.trim().is_empty() && !l.starts_with('#'))
        })
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
    let run = helmwasm(dir.path(), &["template", "--show-secrets"]);
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
    let probe = Command::new(kubectl())
        .arg("version")
        .arg("--client")
        .output()
        .expect("cannot run kubectl");
    assert!(probe.status.success());
    let config = "      host: db.internal\n      port: 6432\n      database: air flow\n      user: \"svc@corp\"\n      password: \"p@ss:w/rd?#%\"\n      sslmode: require\n      metadataSecretName: meta\n      resultBackendSecretName: result\n";
    let docs = render(config);
    let url = "postgresql://svc%40corp:p%40ss%3Aw%2Frd%3F%23%25@db.internal:6432/air%20flow?sslmode=require";
    for (doc, (name, value)) in docs[1..]
        .iter()
        .zip([("meta", url.to_owned()), ("result", format!("db+{url}"))])
    {
        let out = Command::new(kubectl())
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

/// The example's prod render: metadata, result-backend and git-sync Secrets each equal what
/// kubectl prints for the same inputs (the URL the production guide describes, the key file).
#[test]
fn example_secrets_equal_kubectl_output_for_the_same_inputs() {
    let example = crate::support::root().join("examples/airflow-eks");
    let run = helmwasm(&example, &["template", "-e", "prod", "--show-secrets"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let docs = yaml_docs(&run.stdout);
    let secret = |name: &str| {
        docs.iter()
            .find(|d| d["kind"] == "Secret" && d["metadata"]["name"] == name)
            .unwrap_or_else(|| panic!("no Secret {name}"))
            .clone()
    };
    // PgBouncer is on in the example, so Airflow connects through it; the password
    // `DUMMY-p@ss/word` (from credentials/db-password) is percent-encoded.
    let via_pgbouncer = "postgresql://airflow:DUMMY-p%40ss%2Fword@airflow-pgbouncer.airflow:6543";
    // The git key comes from the example's (dummy) key file, exactly as kubectl reads it.
    let key_file = example.join("credentials/git-ssh-key");
    let cases = [
        (
            "airflow-metadata-db",
            format!("--from-literal=connection={via_pgbouncer}/airflow-metadata?sslmode=disable"),
        ),
        (
            "airflow-result-backend-db",
            format!(
                "--from-literal=connection=db+{via_pgbouncer}/airflow-result-backend?sslmode=disable"
            ),
        ),
        (
            "airflow-ssh-secret",
            format!("--from-file=gitSshKey={}", key_file.display()),
        ),
    ];
    for (name, source) in cases {
        let out = Command::new(kubectl())
            .args([
                "create",
                "secret",
                "generic",
                name,
                "-n",
                "airflow",
                &source,
                "--dry-run=client",
                "-o",
                "yaml",
            ])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let kubectl = yaml(&String::from_utf8(out.stdout).unwrap());
        assert_eq!(secret(name), without_timestamp(kubectl), "{name}");
    }
}

/// The example's values pass an independent validator (Python `jsonschema`, Draft 7) against
/// the chart's schema, merged over the chart defaults, in every environment.
#[test]
fn example_values_pass_an_independent_schema_validator() {
    let example = crate::support::root().join("examples/airflow-eks");
    let script = crate::support::root().join("tests/tools/validate_values.py");
    let chart = fixture("airflow-chart");
    for env in ["default", "dev", "prod"] {
        let run = helmwasm(&example, &["template", "-e", env]);
        assert_eq!(run.code, 0, "{env}: {}", run.stderr);
        let mut child = crate::support::python3()
            .arg(&script)
            .arg(&chart)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("python3 is needed for the independent validator");
        use std::io::Write;
        child
            .stdin
            .take()
            .unwrap()
            .write_all(run.stdout.as_bytes())
            .unwrap();
        let out = child.wait_with_output().unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success() && stdout.trim_end().ends_with("errors: 0"),
            "{env}: {stdout}{}\n(the validator needs `python3 -m pip install jsonschema pyyaml`)",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}
