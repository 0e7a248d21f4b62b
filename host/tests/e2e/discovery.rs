//! Plugin discovery: folders from `plugins.dirs` and `--plugin-dir`, names from
//! `metadata()`, collisions, and files that are not plugins.

use crate::support::{external_plugin, helmwasm, pipeline, project, test_plugin};

#[test]
fn a_plugin_built_outside_the_host_is_used_from_plugins_dirs_by_name() {
    // raw-annotations is built out of the workspace with plain wit-bindgen against a vendored
    // copy of wit/; the host binary knows nothing about it. Dropping it in a folder named by
    // `plugins.dirs` is enough.
    let text = format!(
        "plugins:\n  dirs: [org-plugins]\n{}",
        pipeline("  - plugin: raw-annotations\n    with: {team: data, cost-center: \"42\"}\n")
    );
    let dir = project(&text);
    std::fs::create_dir(dir.path().join("org-plugins")).unwrap();
    std::fs::copy(
        external_plugin(),
        dir.path().join("org-plugins/annotations.wasm"),
    )
    .unwrap();
    let run = helmwasm(dir.path(), &["template"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        run.stdout,
        "# helmwasm: chart not rendered for release `airflow` (values and emitted manifests only): repository `apache-airflow` of chart `apache-airflow/airflow` is not declared\n---\n# Source: airflow/values.yaml\nairflowPodAnnotations:\n  cost-center: \"42\"\n  team: data\n"
    );
}

#[test]
fn the_sdk_example_plugin_works_from_plugin_dir() {
    let dir = project(&pipeline("  - plugin: pause-dags\n"));
    std::fs::create_dir(dir.path().join("p")).unwrap();
    std::fs::copy(
        test_plugin("pause-dags"),
        dir.path().join("p/pause-dags.wasm"),
    )
    .unwrap();
    let run = helmwasm(dir.path(), &["template", "--plugin-dir", "p"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout
            .ends_with("config:\n  core:\n    dags_are_paused_at_creation: true\n"),
        "{}",
        run.stdout
    );
}

#[test]
fn two_plugins_with_one_name_is_an_error_naming_both_files() {
    let dir = project(&pipeline("  - plugin: pause-dags\n"));
    std::fs::create_dir(dir.path().join("p")).unwrap();
    std::fs::copy(test_plugin("pause-dags"), dir.path().join("p/a.wasm")).unwrap();
    std::fs::copy(test_plugin("pause-dags"), dir.path().join("p/b.wasm")).unwrap();
    let run = helmwasm(dir.path(), &["template", "--plugin-dir", "p"]);
    assert_eq!(run.code, 1);
    assert_eq!(
        run.stderr,
        "error: two plugins are named `pause-dags`: p/a.wasm and p/b.wasm; remove one or rename it\n"
    );
}

#[test]
fn unknown_plugin_suggests_the_closest_name() {
    let dir = project(&pipeline("  - plugin: airflow-databse\n"));
    let run = helmwasm(dir.path(), &["template"]);
    assert_eq!(run.code, 1);
    assert_eq!(
        run.stderr,
        "error: release `airflow` step 1 (`airflow-databse`) failed\n  caused by: unknown plugin `airflow-databse`; did you mean `airflow-database`?\n"
    );
}

#[test]
fn missing_plugin_folder_names_where_it_came_from() {
    let dir = project(&format!(
        "plugins:\n  dirs: [nowhere]\n{}",
        pipeline("  - plugin: airflow-database\n")
    ));
    let run = helmwasm(dir.path(), &["template"]);
    assert_eq!(run.code, 1);
    assert!(
        run.stderr.starts_with(
            "error: cannot read plugin folder nowhere (from `plugins.dirs` in helmwasm.yaml)"
        ),
        "{}",
        run.stderr
    );
}

#[test]
fn plugins_list_shows_built_ins_and_folders() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(external_plugin(), dir.path().join("raw.wasm")).unwrap();
    let run = helmwasm(dir.path(), &["plugins", "list", "--plugin-dir", "."]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let (table, rules) = run
        .stdout
        .split_once("\n\n")
        .expect("the table, then the chart rules");
    let rows: Vec<Vec<&str>> = table
        .lines()
        .map(|l| l.split_whitespace().take(4).collect())
        .collect();
    // The charts the host has rules for, with the versions tested and verified only.
    assert!(
        rules.starts_with("CHART RULES")
            && rules.contains("Apache Airflow chart (airflow, home https://airflow.apache.org): facts for 1.19, 1.20, 1.21; tested with 1.19.0, 1.20.0, 1.21.0; a newer 1.x"),
        "{rules}"
    );
    let expected: Vec<Vec<&str>> = [
        ["NAME", "VERSION", "SOURCE", "STAGES"],
        ["airflow-database", "0.1.0", "built-in", "values"],
        ["airflow-gitops", "0.1.0", "built-in", "values"],
        ["airflow-keys", "0.1.0", "built-in", "values"],
        ["airflow-ui", "0.1.0", "built-in", "values"],
        ["celery-workers", "0.1.0", "built-in", "values"],
        ["container-resources", "0.1.0", "built-in", "post-render"],
        ["git-sync", "0.1.0", "built-in", "values"],
        ["keda-autoscaling", "0.1.0", "built-in", "values"],
        ["labels", "0.1.0", "built-in", "post-render"],
        ["logs-persistence", "0.1.0", "built-in", "values"],
        ["pgbouncer", "0.1.0", "built-in", "values"],
        ["pod-security", "0.1.0", "built-in", "post-render"],
        ["raw-annotations", "0.3.1", "./raw.wasm", "values"],
        ["resources-policy", "0.1.0", "built-in", "values"],
    ]
    .iter()
    .map(|r| r.to_vec())
    .collect();
    assert_eq!(rows, expected, "{}", run.stdout);
    // Columns are aligned: every description starts at the same offset.
    let description_at = |line: &str| {
        let mut rest = line;
        for _ in 0..3 {
            rest = rest.trim_start();
            rest = &rest[rest.find(' ').unwrap()..];
        }
        line.len() - rest.trim_start().len()
    };
    let offsets: Vec<usize> = table.lines().map(description_at).collect();
    assert!(offsets.windows(2).all(|w| w[0] == w[1]), "{}", run.stdout);
}
