//! `--output-dir`: files per release, written atomically; a failed run changes nothing.

use crate::support::{helmwasm, pipeline, project, test_plugins};

fn snapshot(dir: &std::path::Path) -> Vec<(String, Vec<u8>)> {
    let mut files = Vec::new();
    for entry in walk(dir) {
        files.push((
            entry.strip_prefix(dir).unwrap().display().to_string(),
            std::fs::read(&entry).unwrap(),
        ));
    }
    files.sort();
    files
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(walk(&p))
        } else {
            out.push(p)
        }
    }
    out
}

#[test]
fn writes_values_and_manifests_and_a_failed_run_leaves_them_untouched() {
    let good = "  - plugin: airflow-database\n    with: {host: h, database: d, user: u, password: p, sslmode: require}\n";
    let dir = project(&pipeline(good));
    let run = helmwasm(dir.path(), &["template", "--output-dir", "out"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        run.stderr,
        "warning: release `airflow`: createUserJob.defaultUser.password: the admin password the create-user Job gets is the chart's default password (in some letter case): it comes from `createUserJob.defaultUser.password` (the chart's default); the UI is only reachable inside the cluster, but anyone there can sign in as admin; set a strong one by reference (`airflow-ui` `defaultUser.password: ref+env://…` or `ref+file://…`)\nnote: release `airflow`: chart not rendered, values and emitted manifests only: repository `apache-airflow` of chart `apache-airflow/airflow` is not declared; declare it under `repositories:` (`- {name: apache-airflow, url: https://…}`), or point `chart:` at a chart folder or `.tgz`; the Airflow chart facts for 1.19 were chosen by the pipeline's version `1.19.0` and could not be verified against the chart\nwrote out/airflow/values.yaml\nwrote out/airflow/manifests.yaml\nwrote out/airflow/chart.yaml\n"
    );
    assert_eq!(
        std::fs::read_to_string(dir.path().join("out/airflow/chart.yaml")).unwrap(),
        "# helmwasm: chart not rendered for release `airflow` (values and emitted manifests only): repository `apache-airflow` of chart `apache-airflow/airflow` is not declared\n",
        "chart.yaml says why it holds no render"
    );
    assert!(run.stdout.is_empty());
    let values = std::fs::read_to_string(dir.path().join("out/airflow/values.yaml")).unwrap();
    assert_eq!(
        values,
        "data:\n  metadataSecretName: airflow-metadata-connection\n  resultBackendSecretName: airflow-result-backend-connection\npostgresql:\n  enabled: false\n"
    );
    let manifests = std::fs::read_to_string(dir.path().join("out/airflow/manifests.yaml")).unwrap();
    assert_eq!(manifests.matches("kind: Secret").count(), 2);
    let before = snapshot(&dir.path().join("out"));

    // Same output dir, failing pipeline: nothing changes, no temp files are left.
    let plugins = test_plugins().to_str().unwrap().to_owned();
    let bad = format!("{good}  - plugin: misbehave\n    with: {{mode: trap}}\n");
    std::fs::write(dir.path().join("helmwasm.yaml"), pipeline(&bad)).unwrap();
    let run = helmwasm(
        dir.path(),
        &["template", "--output-dir", "out", "--plugin-dir", &plugins],
    );
    assert_eq!(run.code, 1);
    assert_eq!(snapshot(&dir.path().join("out")), before);
}
