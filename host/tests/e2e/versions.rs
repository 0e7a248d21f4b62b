//! Versions told straight: an exact `version:` is exact (a missing one says so, listing what
//! the repository has, instead of taking the newest 1.x), a bare partial version is refused
//! with both spellings, and a `schema:` override from a chart folder of another version is an
//! error.

use crate::charts::{Repo, airflow_from};
use crate::support::{fixture, helmwasm, helmwasm_with, project};

#[test]
fn a_pinned_version_the_repository_lacks_says_so_and_lists_what_it_has() {
    let repo = Repo::start();
    repo.serve_airflow_charts(&["1.19.0", "1.20.0", "1.21.0"]);
    let dir = project(&airflow_from(&repo.url, "1.15.0"));
    let cache = tempfile::tempdir().unwrap();
    let env = [
        ("HELMWASM_CACHE_DIR", cache.path().to_str().unwrap()),
        ("HELMWASM_OFFLINE", ""),
    ];
    let run = helmwasm_with(dir.path(), &["template", "--strict"], &env);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr.contains(&format!(
            "chart `airflow` version `1.15.0` is not in the repository {} (it has 1.21.0, 1.20.0, 1.19.0)",
            repo.url
        )),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains("Chart.yaml says"), "{}", run.stderr);
    assert_eq!(
        repo.requests(),
        1,
        "the index only: no archive of another version is downloaded"
    );
    // A range takes the newest it allows.
    let dir = project(&airflow_from(&repo.url, "~1.20.0"));
    let run = helmwasm_with(dir.path(), &["template", "--strict"], &env);
    assert!(
        !run.stderr.contains("is not in the repository"),
        "{}",
        run.stderr
    );
}

#[test]
fn a_bare_partial_version_is_refused_with_both_spellings() {
    let dir = project(&airflow_from("https://airflow.apache.org", "1.19"));
    let run = helmwasm(dir.path(), &["template"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr.contains("releases[0].version: `1.19` is neither an exact version nor a range: write the exact version (`1.19.0`), or a range that says so (`~1.19` or `1.19.x`"),
        "{}",
        run.stderr
    );
}

#[test]
fn a_schema_from_a_chart_folder_of_another_version_is_an_error() {
    let charts = tempfile::tempdir().unwrap();
    let tgz = fixture("airflow-chart/airflow-1.19.0.tgz");
    let status = std::process::Command::new("tar")
        .arg("xzf")
        .arg(&tgz)
        .arg("-C")
        .arg(charts.path())
        .status()
        .expect("tar");
    assert!(status.success());
    let chart_dir = charts.path().join("airflow");
    let pipeline = |version: &str| {
        format!(
            "releases:\n- name: airflow\n  namespace: airflow\n  chart: apache-airflow/airflow\n  version: {version}\n  schema: {{chartDir: {}}}\n  values:\n  - postgresql: {{enabled: false}}\n",
            chart_dir.display()
        )
    };
    let dir = project(&pipeline("1.15.0"));
    let run = helmwasm(dir.path(), &["template"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("releases[0].schema.chartDir: the chart folder's")
            && run
                .stderr
                .contains("Chart.yaml says version `1.19.0`, but the release is `1.15.0`"),
        "{}",
        run.stderr
    );
    // The same version, or a range that takes it, is fine.
    for ok in ["1.19.0", "~1.19.0"] {
        let dir = project(&pipeline(ok));
        let run = helmwasm(dir.path(), &["template"]);
        assert!(
            !run.stderr.contains("schema.chartDir"),
            "{ok}: {}",
            run.stderr
        );
    }
}
