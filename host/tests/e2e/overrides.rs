//! A step that changes a key the user set is never silent: a warning names the key, the
//! user's value and where it was set, the step and its value (redacted where secret); the
//! pipeline's `userWins` puts the user's value back after the steps.

use crate::full_render::example_with_chart;

/// The example on chart 1.19, where `keda-autoscaling` writes `workers.keda.*`, the keys a user
/// sets too: a step replacing a user's value at the same path. (From 1.20 the step writes
/// `workers.celery.keda.*` and the user's `workers.keda.*` is a deprecated key:
/// `chart_facts::a_deprecated_user_key_that_a_step_shadows_is_named_once`.)
fn example_with_fixture_chart() -> tempfile::TempDir {
    example_with_chart("1.19.0")
}
use crate::support::helmwasm;

const KEDA_WARNING: &str = "warning: release `airflow`: workers.keda.maxReplicaCount: step 3 (`keda-autoscaling`) replaced your value 20 (set by the command line (--set)) with 10; to keep yours, list `workers.keda.maxReplicaCount` under `userWins`\n";

/// The `maxReplicaCount:` lines of the render (values and the KEDA ScaledObject).
fn max_replicas(stdout: &str) -> Vec<&str> {
    stdout
        .lines()
        .filter(|l| l.trim_start().starts_with("maxReplicaCount:"))
        .map(str::trim)
        .collect()
}

#[test]
fn a_set_that_a_step_replaces_is_named_and_user_wins_keeps_it() {
    let dir = example_with_fixture_chart();
    let args = [
        "template",
        "-e",
        "prod",
        "--strict",
        "--set",
        "workers.keda.maxReplicaCount=20",
    ];
    let run = helmwasm(dir.path(), &args);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.stderr, KEDA_WARNING);
    assert_eq!(max_replicas(&run.stdout), ["maxReplicaCount: 10"]);

    let path = dir.path().join("helmwasm.yaml");
    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::write(
        &path,
        format!("userWins:\n  - workers.keda.maxReplicaCount\n{text}"),
    )
    .unwrap();
    let kept = helmwasm(dir.path(), &args);
    assert_eq!(kept.code, 0, "{}", kept.stderr);
    assert_eq!(
        kept.stderr, "",
        "the user's value is back: nothing to warn about"
    );
    assert_eq!(max_replicas(&kept.stdout), ["maxReplicaCount: 20"]);
    // The rest of what the step set stays; only the listed key is the user's.
    assert!(
        kept.stdout
            .contains("  pollingInterval:  3\n  cooldownPeriod: 30\n  minReplicaCount: 2\n"),
        "{}",
        kept.stdout
    );
    let explained = helmwasm(
        dir.path(),
        &[
            "explain",
            "workers.keda.maxReplicaCount",
            "-e",
            "prod",
            "--set",
            "workers.keda.maxReplicaCount=20",
        ],
    );
    assert_eq!(explained.code, 0, "{}", explained.stderr);
    assert!(
        explained
            .stdout
            .contains("`userWins`: the user's value put back after the steps"),
        "{}",
        explained.stdout
    );

    // Without a user value there is nothing to put back: the step's value renders.
    let none = helmwasm(dir.path(), &["template", "-e", "prod", "--strict"]);
    assert_eq!(none.code, 0, "{}", none.stderr);
    assert_eq!(none.stderr, "");
    assert_eq!(max_replicas(&none.stdout), ["maxReplicaCount: 10"]);
}

#[test]
fn a_values_file_key_names_its_file_and_line_and_lint_reports_the_code() {
    let dir = example_with_fixture_chart();
    let prod = dir.path().join("values/prod.yaml");
    let mut text = std::fs::read_to_string(&prod).unwrap();
    text.push_str("workers:\n  keda:\n    maxReplicaCount: 30\n");
    std::fs::write(&prod, &text).unwrap();
    let line = text.lines().count();
    let run = helmwasm(dir.path(), &["template", "-e", "prod", "--strict"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        run.stderr,
        format!(
            "warning: release `airflow`: workers.keda.maxReplicaCount: step 3 (`keda-autoscaling`) replaced your value 30 (set by values/prod.yaml:{line}) with 10; to keep yours, list `workers.keda.maxReplicaCount` under `userWins`\n"
        )
    );
    let lint = helmwasm(dir.path(), &["lint", "-e", "prod", "--output", "json"]);
    assert_eq!(lint.code, 0, "{}", lint.stderr);
    let report: serde_json::Value = serde_json::from_str(&lint.stdout).unwrap();
    let found: Vec<&serde_json::Value> = report["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["code"] == "HW0305")
        .collect();
    assert_eq!(found.len(), 1, "{}", lint.stdout);
    assert_eq!(found[0]["severity"], "warning");
}

#[test]
fn a_secret_the_user_set_is_redacted_in_the_warning() {
    let dir = example_with_fixture_chart();
    let password = std::fs::read_to_string(dir.path().join("credentials/db-password")).unwrap();
    let run = helmwasm(
        dir.path(),
        &[
            "template",
            "-e",
            "prod",
            "--set",
            "createUserJob.defaultUser.username=ref+file://credentials/db-password",
        ],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stderr.contains("createUserJob.defaultUser.username: step 10 (`airflow-ui`) replaced your value \"<redacted>\" (set by the command line (--set)) with \"admin\""),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains(password.trim()));
    assert!(!run.stdout.contains(password.trim()));
}

#[test]
fn user_wins_paths_are_checked() {
    let dir = example_with_fixture_chart();
    let path = dir.path().join("helmwasm.yaml");
    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::write(&path, format!("userWins: [workers..keda]\n{text}")).unwrap();
    let run = helmwasm(dir.path(), &["template"]);
    assert_eq!(run.code, 1);
    assert!(
        run.stderr
            .contains("userWins[0]: `workers..keda` is not a values path"),
        "{}",
        run.stderr
    );
}
