//! `template --output flux`: the folder validates against the Flux CRDs' schema facts, holds
//! no secret outside Secret objects, and renders the same objects as `template` when helm
//! renders the chart with the values Flux would give it.
//!
//! The two schemas below are written from the published CRDs
//! (`fluxcd/helm-controller` `config/crd/bases/helm.toolkit.fluxcd.io_helmreleases.yaml`, v2;
//! `fluxcd/source-controller` `config/crd/bases/source.toolkit.fluxcd.io_helmrepositories.yaml`,
//! v1): the required fields, enums, patterns and lengths of the fields helmwasm writes, and
//! the CEL rule that exactly one of `chart` and `chartRef` is set.

use crate::charts::Repo;
use crate::support::{fixture, helmwasm_with, project, tool};
use serde_json::{Value, json};
use std::path::Path;

const DURATION: &str = r"^([0-9]+(\.[0-9]+)?(ms|s|m|h))+$";

fn helm_release_schema() -> Value {
    json!({
        "type": "object",
        "required": ["apiVersion", "kind", "metadata", "spec"],
        "properties": {
            "apiVersion": {"const": "helm.toolkit.fluxcd.io/v2"},
            "kind": {"const": "HelmRelease"},
            "metadata": {"type": "object", "required": ["name", "namespace"]},
            "spec": {
                "type": "object",
                "required": ["interval"],
                "oneOf": [{"required": ["chart"]}, {"required": ["chartRef"]}],
                "properties": {
                    "interval": {"type": "string", "pattern": DURATION},
                    "releaseName": {"type": "string", "minLength": 1, "maxLength": 53},
                    "targetNamespace": {"type": "string", "minLength": 1, "maxLength": 63},
                    "chart": {
                        "type": "object", "required": ["spec"],
                        "properties": {"spec": {
                            "type": "object", "required": ["chart", "sourceRef"],
                            "properties": {
                                "chart": {"type": "string", "minLength": 1, "maxLength": 2048},
                                "version": {"type": "string"},
                                "interval": {"type": "string", "pattern": DURATION},
                                "sourceRef": {
                                    "type": "object", "required": ["name"],
                                    "properties": {
                                        "kind": {"enum": ["HelmRepository", "GitRepository", "Bucket"]},
                                        "name": {"type": "string", "minLength": 1, "maxLength": 253},
                                        "namespace": {"type": "string", "minLength": 1, "maxLength": 63}
                                    }
                                }
                            }
                        }}
                    },
                    "values": {"not": {}},
                    "valuesFrom": {"type": "array", "items": {
                        "type": "object", "required": ["kind", "name"],
                        "properties": {
                            "kind": {"enum": ["Secret", "ConfigMap"]},
                            "name": {"type": "string", "minLength": 1, "maxLength": 253},
                            "valuesKey": {"type": "string", "maxLength": 253, "pattern": r"^[\-._a-zA-Z0-9]+$"},
                            "optional": {"type": "boolean"}
                        }
                    }}
                }
            }
        }
    })
}

fn helm_repository_schema() -> Value {
    json!({
        "type": "object",
        "required": ["apiVersion", "kind", "metadata", "spec"],
        "properties": {
            "apiVersion": {"const": "source.toolkit.fluxcd.io/v1"},
            "kind": {"const": "HelmRepository"},
            "metadata": {"type": "object", "required": ["name", "namespace"]},
            "spec": {
                "type": "object",
                "required": ["url"],
                "properties": {
                    "url": {"type": "string", "pattern": "^(http|https|oci)://.*$"},
                    "interval": {"type": "string", "pattern": DURATION},
                    "type": {"enum": ["default", "oci"]}
                }
            }
        }
    })
}

fn docs(text: &str) -> Vec<Value> {
    text.split("---\n")
        .filter(|d| !d.trim().is_empty())
        .map(|d| helmwasm::yaml::parse_values(d, Path::new("flux")).unwrap())
        .filter(|d| d.as_object().is_some_and(|m| !m.is_empty()))
        .collect()
}

fn walk(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            walk(&p, out);
        } else {
            out.push(p);
        }
    }
}

#[test]
fn the_flux_folder_validates_holds_no_secret_and_renders_what_template_renders() {
    tool("helm");
    let repo = Repo::start();
    repo.serve_airflow_chart();
    let secret = "flux-dummy-broker-password-42";
    let text = format!(
        "randomSeed: ref+env://FLUX_TEST_SEED\nrepositories:\n- name: local\n  url: {url}\nreleases:\n- name: airflow\n  namespace: airflow\n  chart: local/airflow\n  version: \"~1.19.0\"\n  values:\n  - postgresql: {{enabled: false}}\n    config: {{smtp: {{smtp_password: ref+env://FLUX_TEST_BROKER}}}}\n  steps:\n  - plugin: airflow-database\n    with: {{host: db.example.com, database: airflow, user: airflow, password: ref+env://FLUX_TEST_BROKER, sslmode: require}}\n  - plugin: airflow-keys\n- name: plain\n  namespace: other\n  chart: local/airflow\n  version: 1.19.0\n  values:\n  - postgresql: {{enabled: false}}\n",
        url = repo.url
    );
    let dir = project(&text);
    let cache = tempfile::tempdir().unwrap();
    let env = [
        ("FLUX_TEST_BROKER", secret),
        (
            "FLUX_TEST_SEED",
            "a-dummy-seed-for-the-flux-test-0123456789",
        ),
        ("HELMWASM_OFFLINE", ""),
        ("HELMWASM_CACHE_DIR", cache.path().to_str().unwrap()),
    ];
    let run = helmwasm_with(
        dir.path(),
        &[
            "template",
            "--strict",
            "--output-dir",
            "flux",
            "--output",
            "flux",
        ],
        &env,
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let flux = dir.path().join("flux");
    let mut files = Vec::new();
    walk(&flux, &mut files);
    let mut names: Vec<String> = files
        .iter()
        .map(|p| p.strip_prefix(&flux).unwrap().display().to_string())
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "airflow/helmrelease.yaml",
            "airflow/manifests.yaml",
            "airflow/values.yaml",
            "flux-system/helmrepository-local.yaml",
            "kustomization.yaml",
            "plain/helmrelease.yaml",
            "plain/values.yaml"
        ]
    );
    // The kustomization lists every other file.
    let kustomization =
        &docs(&std::fs::read_to_string(flux.join("kustomization.yaml")).unwrap())[0];
    let listed: Vec<&str> = kustomization["resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r.as_str().unwrap())
        .collect();
    assert_eq!(
        listed,
        names
            .iter()
            .filter(|n| *n != "kustomization.yaml")
            .map(String::as_str)
            .collect::<Vec<_>>()
    );
    // Schemas.
    let release_schema = jsonschema::validator_for(&helm_release_schema()).unwrap();
    let repo_schema = jsonschema::validator_for(&helm_repository_schema()).unwrap();
    let repo_doc = &docs(
        &std::fs::read_to_string(flux.join("flux-system/helmrepository-local.yaml")).unwrap(),
    )[0];
    let errors: Vec<String> = repo_schema
        .iter_errors(repo_doc)
        .map(|e| e.to_string())
        .collect();
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(repo_doc["spec"]["url"], repo.url.as_str());
    for (release, kind) in [("airflow", "Secret"), ("plain", "ConfigMap")] {
        let hr =
            &docs(&std::fs::read_to_string(flux.join(release).join("helmrelease.yaml")).unwrap())
                [0];
        let errors: Vec<String> = release_schema
            .iter_errors(hr)
            .map(|e| format!("{} at {}", e, e.instance_path()))
            .collect();
        assert!(errors.is_empty(), "{release}: {errors:?}");
        assert_eq!(
            hr["spec"]["chart"]["spec"]["version"], "1.19.0",
            "the exact resolved version"
        );
        assert_eq!(hr["spec"]["targetNamespace"], hr["metadata"]["namespace"]);
        assert_eq!(hr["spec"]["valuesFrom"][0]["kind"], kind, "{release}");
        let values =
            &docs(&std::fs::read_to_string(flux.join(release).join("values.yaml")).unwrap())[0];
        assert_eq!(values["kind"], kind);
        assert_eq!(
            values["metadata"]["name"],
            hr["spec"]["valuesFrom"][0]["name"]
        );
    }
    // No secret outside Secret objects: not in clear anywhere, and the only base64 of it is
    // inside Secrets.
    use base64::Engine as _;
    for f in &files {
        let text = std::fs::read_to_string(f).unwrap();
        assert!(
            !text.contains(secret),
            "{} holds the secret in clear",
            f.display()
        );
        for d in docs(&text) {
            if d["kind"] != "Secret" {
                assert!(
                    !d.to_string()
                        .contains(&base64::engine::general_purpose::STANDARD.encode(secret))
                );
            }
        }
        #[cfg(unix)]
        if text.lines().any(|l| l == "kind: Secret") {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(
                std::fs::metadata(f).unwrap().permissions().mode() & 0o777,
                0o600,
                "{}",
                f.display()
            );
        }
    }
    // The same objects as `template`: helm renders the chart with the values Flux would give
    // it (decoded from the values Secret), and the emitted manifests are the same.
    let template = helmwasm_with(
        dir.path(),
        &[
            "template",
            "--strict",
            "--show-secrets",
            "-l",
            "name=airflow",
        ],
        &env,
    );
    assert_eq!(template.code, 0, "{}", template.stderr);
    let values_doc = &docs(&std::fs::read_to_string(flux.join("airflow/values.yaml")).unwrap())[0];
    let values = base64::engine::general_purpose::STANDARD
        .decode(values_doc["data"]["values.yaml"].as_str().unwrap())
        .unwrap();
    let values_file = dir.path().join("flux-values.yaml");
    std::fs::write(&values_file, values).unwrap();
    let helm = std::process::Command::new(tool("helm"))
        .args(["template", "airflow"])
        .arg(fixture("airflow-chart/airflow-1.19.0.tgz"))
        .args(["--namespace", "airflow", "--include-crds", "--values"])
        .arg(&values_file)
        .output()
        .unwrap();
    assert!(
        helm.status.success(),
        "{}",
        String::from_utf8_lossy(&helm.stderr)
    );
    let by_flux: Vec<Value> = docs(&String::from_utf8(helm.stdout).unwrap())
        .into_iter()
        .chain(docs(
            &std::fs::read_to_string(flux.join("airflow/manifests.yaml")).unwrap(),
        ))
        .collect();
    let by_template = docs(&template.stdout);
    assert!(by_template.len() > 20);
    let key = |o: &Value| {
        format!(
            "{}/{}/{}",
            o["kind"], o["metadata"]["namespace"], o["metadata"]["name"]
        )
    };
    let mut a: Vec<(String, String)> = by_flux.iter().map(|o| (key(o), o.to_string())).collect();
    let mut b: Vec<(String, String)> = by_template
        .iter()
        .map(|o| (key(o), o.to_string()))
        .collect();
    a.sort();
    b.sort();
    assert_eq!(a.len(), b.len());
    for (x, y) in a.iter().zip(&b) {
        assert_eq!(x.0, y.0);
        assert!(x.1 == y.1, "{} differs", x.0);
    }
}

#[test]
fn flux_output_refuses_what_flux_cannot_render() {
    tool("helm");
    let chart = fixture("airflow-chart/airflow-1.19.0.tgz");
    let local = project(&format!(
        "releases:\n- name: a\n  namespace: a\n  chart: {}\n",
        chart.display()
    ));
    let run = helmwasm_with(
        local.path(),
        &["template", "--output-dir", "f", "--output", "flux"],
        &[("HELMWASM_OFFLINE", "1")],
    );
    assert_eq!(run.code, 1);
    assert!(
        run.stderr
            .contains("is a local folder or archive; the Flux form needs a chart repository"),
        "{}",
        run.stderr
    );
    assert!(!local.path().join("f").exists(), "nothing written");
    let repo = Repo::start();
    repo.serve_airflow_chart();
    let post = project(&format!(
        "repositories:\n- name: local\n  url: {}\nreleases:\n- name: a\n  namespace: a\n  chart: local/airflow\n  version: 1.19.0\n  postRender:\n  - plugin: labels\n    with: {{labels: {{x: z}}}}\n",
        repo.url
    ));
    let cache = tempfile::tempdir().unwrap();
    let run = helmwasm_with(
        post.path(),
        &["template", "--output-dir", "f", "--output", "flux"],
        &[
            ("HELMWASM_OFFLINE", ""),
            ("HELMWASM_CACHE_DIR", cache.path().to_str().unwrap()),
        ],
    );
    assert_eq!(run.code, 1);
    assert!(
        run.stderr
            .contains("has post-render steps, which Flux cannot run"),
        "{}",
        run.stderr
    );
    // --output needs --output-dir.
    let run = helmwasm_with(post.path(), &["template", "--output", "flux"], &[]);
    assert_eq!(run.code, 1);
}
