//! `-v` tells the story of each release: one line per step with its time, the values keys it
//! set, changed and deleted (the paths with `-vv`) and the objects it emitted; one line per
//! post-render step with the objects it added, changed and removed.

use crate::full_render::example_with_fixture_chart;
use crate::support::helmwasm;

/// The `info:` step lines of stderr, with the time (`N ms`) replaced by `T ms`.
fn step_lines(stderr: &str) -> Vec<String> {
    stderr
        .lines()
        .filter(|l| l.starts_with("info: release `airflow` ") && l.contains(" ms; "))
        .map(|l| {
            let (head, rest) = l.split_once("): ").unwrap();
            let (ms, tail) = rest.split_once(" ms; ").unwrap();
            assert!(ms.chars().all(|c| c.is_ascii_digit()), "{l}");
            format!("{head}): T ms; {tail}")
        })
        .collect()
}

#[test]
fn verbose_prints_one_line_per_step_with_counts_and_emitted_objects() {
    let dir = example_with_fixture_chart();
    let quiet = helmwasm(dir.path(), &["template", "-e", "prod", "--strict"]);
    assert_eq!(quiet.code, 0, "{}", quiet.stderr);
    assert!(step_lines(&quiet.stderr).is_empty(), "{}", quiet.stderr);

    let v = helmwasm(dir.path(), &["template", "-e", "prod", "--strict", "-v"]);
    assert_eq!(v.code, 0, "{}", v.stderr);
    assert_eq!(v.stdout, quiet.stdout, "-v changes stderr only");
    let lines = step_lines(&v.stderr);
    let steps: Vec<&str> = lines
        .iter()
        .map(|l| l.split_once(": T ms").unwrap().0)
        .collect();
    assert_eq!(
        steps,
        [
            "info: release `airflow` step 2 (`celery-workers`)",
            "info: release `airflow` step 3 (`keda-autoscaling`)",
            "info: release `airflow` step 4 (`pgbouncer`)",
            "info: release `airflow` step 5 (`logs-persistence`)",
            "info: release `airflow` step 6 (`git-sync`)",
            "info: release `airflow` step 7 (`airflow-database`)",
            "info: release `airflow` step 8 (`airflow-keys`)",
            "info: release `airflow` step 10 (`airflow-ui`)",
            "info: release `airflow` step 11 (`airflow-gitops`)",
            "info: release `airflow` step 12 (`resources-policy`)",
            "info: release `airflow` post-render step 1 (`container-resources`)",
        ],
        "one line per step that ran in prod, in order:\n{}",
        v.stderr
    );
    assert!(lines.contains(&"info: release `airflow` step 3 (`keda-autoscaling`): T ms; values: 5 set, 0 changed, 0 deleted; emitted nothing".to_owned()), "{lines:#?}");
    assert!(lines.contains(&"info: release `airflow` step 7 (`airflow-database`): T ms; values: 5 set, 0 changed, 0 deleted; emitted Secret/airflow-metadata-db, Secret/airflow-result-backend-db, Secret/airflow-pgbouncer-config, Secret/airflow-pgbouncer-stats".to_owned()), "{lines:#?}");
    let post = lines.last().unwrap();
    assert!(
        post.ends_with("objects: 0 added, 7 changed, 0 removed"),
        "{post}"
    );

    let vv = helmwasm(dir.path(), &["template", "-e", "prod", "--strict", "-vv"]);
    assert_eq!(vv.code, 0, "{}", vv.stderr);
    assert!(
        vv.stderr.contains("    set: workers.celery.keda.enabled, workers.celery.keda.maxReplicaCount, workers.celery.keda.minReplicaCount, workers.celery.keda.pollingInterval, workers.celery.persistence.enabled\n"),
        "{}",
        vv.stderr
    );
    assert!(
        vv.stderr
            .contains("    changed: Deployment/airflow-dag-processor, "),
        "{}",
        vv.stderr
    );
}
