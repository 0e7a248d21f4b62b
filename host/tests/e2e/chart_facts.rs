//! The Airflow chart facts against real charts, through the binary: a chart newer than the
//! newest facts renders with one warning once they verify; the same chart with a key the facts
//! use removed fails naming the key; another major version is refused; without the chart the
//! output says the facts could not be verified. The charts are built in the test from the 1.21.0
//! fixture: unpacked, relabelled (`Chart.yaml` `version`), a key dropped from `values.yaml` and
//! `values.schema.json`.

use crate::full_render::example_with;
use crate::support::{fixture, helmwasm, helmwasm_with, tool};
use std::path::{Path, PathBuf};
use std::process::Command;

/// The 1.21.0 fixture unpacked into a temporary folder, relabelled `version`: `(tmp, chart)`.
fn relabelled(version: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let status = Command::new("tar")
        .arg("xzf")
        .arg(fixture("airflow-chart/airflow-1.21.0.tgz"))
        .arg("-C")
        .arg(dir.path())
        .status()
        .expect("tar is needed by the tests");
    assert!(status.success());
    let chart = dir.path().join("airflow");
    let meta = chart.join("Chart.yaml");
    let text = std::fs::read_to_string(&meta).unwrap();
    let relabelled = text.replace("\nversion: 1.21.0\n", &format!("\nversion: {version}\n"));
    assert_ne!(relabelled, text, "Chart.yaml says version 1.21.0");
    std::fs::write(&meta, relabelled).unwrap();
    (dir, chart)
}

/// Remove `path` (dotted) from the chart's `values.yaml` (rewritten as JSON, which helm reads
/// as YAML) and from its `values.schema.json`.
fn drop_key(chart: &Path, path: &str) {
    let keys: Vec<&str> = path.split('.').collect();
    let (last, parents) = keys.split_last().unwrap();
    let values_file = chart.join("values.yaml");
    let mut values = helmwasm::yaml::parse_values(
        &std::fs::read_to_string(&values_file).unwrap(),
        Path::new("values.yaml"),
    )
    .unwrap();
    let mut node = &mut values;
    for k in parents {
        node = &mut node[*k];
    }
    assert!(
        node.as_object_mut().unwrap().remove(*last).is_some(),
        "{path} in values.yaml"
    );
    std::fs::write(&values_file, serde_json::to_string_pretty(&values).unwrap()).unwrap();
    let schema_file = chart.join("values.schema.json");
    let mut schema: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&schema_file).unwrap()).unwrap();
    let mut node = &mut schema;
    for k in parents {
        node = &mut node["properties"][*k];
    }
    assert!(
        node["properties"]
            .as_object_mut()
            .unwrap()
            .remove(*last)
            .is_some(),
        "{path} in values.schema.json"
    );
    std::fs::write(&schema_file, serde_json::to_string(&schema).unwrap()).unwrap();
}

fn warnings(stderr: &str) -> Vec<&str> {
    stderr
        .lines()
        .filter(|l| l.starts_with("warning:"))
        .collect()
}

#[test]
fn a_newer_chart_renders_with_one_warning_once_the_facts_verify() {
    tool("helm");
    let (_tmp, chart) = relabelled("1.22.0");
    let dir = example_with(&chart, "1.22.0");
    let run = helmwasm(dir.path(), &["template", "-e", "prod", "--strict"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let w = warnings(&run.stderr);
    assert_eq!(w.len(), 1, "one warning: {}", run.stderr);
    assert!(
        w[0].contains("chart airflow 1.22.0 is newer than the Airflow chart facts helmwasm has, written for 1.21 (tested with 1.21.0)"),
        "{}",
        run.stderr
    );
    assert!(run.stdout.contains("kind: ScaledObject"));
    assert!(
        run.stdout.contains("chart: \"airflow-1.22.0\""),
        "helm rendered the relabelled chart"
    );
    let (code, report) = crate::full_render::validate_k8s(&run.stdout);
    assert_eq!(code, 0, "{report}");
}

#[test]
fn a_chart_without_a_key_the_facts_use_fails_naming_it() {
    tool("helm");
    let (_tmp, chart) = relabelled("1.22.0");
    drop_key(&chart, "workers.celery.keda");
    let dir = example_with(&chart, "1.22.0");
    let run = helmwasm(dir.path(), &["template", "-e", "prod", "--strict"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    for want in [
        "release `airflow`: the Airflow chart facts (written for chart 1.21, tested with 1.21.0) do not hold for chart airflow 1.22.0",
        "fact `workers.keda.enabled`: key `workers.celery.keda.enabled` is not in the chart's values.schema.json",
    ] {
        assert!(run.stderr.contains(want), "{want}\n{}", run.stderr);
    }
    assert!(run.stdout.is_empty(), "nothing rendered: {}", run.stdout);
    // `lint` says so with its code.
    let lint = helmwasm(dir.path(), &["lint", "-e", "prod", "--output", "json"]);
    assert_eq!(lint.code, 1, "{}", lint.stderr);
    assert!(lint.stdout.contains("\"HW0404\""), "{}", lint.stdout);
}

#[test]
fn another_major_version_is_refused() {
    let (_tmp, chart) = relabelled("2.0.0");
    let dir = example_with(&chart, "2.0.0");
    let run = helmwasm(dir.path(), &["template", "-e", "prod"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr.contains("chart version `2.0.0` is another major version than the Airflow chart facts helmwasm has (1.19 to 1.21)"),
        "{}",
        run.stderr
    );
}

/// Without the chart (offline, nothing cached: a values-only render), the facts are chosen by
/// the pipeline's `version` and the output says they could not be verified.
#[test]
fn without_the_chart_the_facts_are_chosen_by_version_and_said_unverified() {
    use std::os::unix::fs::PermissionsExt;
    let cache = tempfile::tempdir().unwrap();
    // A cache folder as helmwasm makes it (one open to others gets a warning).
    std::fs::set_permissions(cache.path(), std::fs::Permissions::from_mode(0o700)).unwrap();
    let example = crate::support::root().join("examples/airflow-eks");
    let run = helmwasm_with(
        &example,
        &["template", "-e", "prod"],
        &[
            ("HELMWASM_OFFLINE", "1"),
            ("HELMWASM_CACHE_DIR", cache.path().to_str().unwrap()),
        ],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let version = crate::full_render::example_version();
    let want = format!(
        "; the Airflow chart facts for {} were chosen by the pipeline's version `{version}` and could not be verified against the chart\n",
        &version[..version.rfind('.').unwrap()]
    );
    let note = run
        .stderr
        .lines()
        .find(|l| l.starts_with("note: release `airflow`: chart not rendered"))
        .unwrap_or_else(|| panic!("{}", run.stderr));
    assert!(
        format!("{note}\n").ends_with(&want),
        "{want}\n{}",
        run.stderr
    );
    assert!(!run.stderr.contains("warning:"), "{}", run.stderr);
    // The steps wrote the keys that version reads (1.21: `workers.celery.keda`).
    assert!(run.stdout.contains("# helmwasm: chart not rendered"));
    assert!(run.stdout.contains("    keda:\n"), "{}", run.stdout);
}

/// On chart 1.21 a user's `workers.keda.*` is a deprecated key: one warning names it, where it
/// was set, the key to use and the value the chart reads instead (the step's); a deprecated key
/// no step shadows still works and is named with its replacement; `lint` gives the code.
#[test]
fn a_deprecated_user_key_that_a_step_shadows_is_named_once() {
    tool("helm");
    let dir = crate::full_render::example_with_chart("1.21.0");
    let run = helmwasm(
        dir.path(),
        &[
            "template",
            "-e",
            "prod",
            "--strict",
            "--set",
            "workers.keda.maxReplicaCount=20",
            "--set",
            "workers.podAnnotations.team=data",
        ],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        warnings(&run.stderr),
        [
            "warning: release `airflow`: workers.keda: is deprecated in chart airflow 1.21.0 (set by the command line (--set)); use `workers.celery.keda` instead; the chart reads `workers.celery.keda.maxReplicaCount` instead of `workers.keda.maxReplicaCount` (set by step 3 (`keda-autoscaling`)), so yours has no effect",
            "warning: release `airflow`: workers.podAnnotations: is deprecated in chart airflow 1.21.0 (set by the command line (--set)); use `workers.celery.podAnnotations` instead (or `workers.kubernetes.podAnnotations`)",
        ],
        "{}",
        run.stderr
    );
    // The deprecated key no step shadows still renders: the chart reads it.
    assert!(
        run.stdout.contains("team: data"),
        "the worker pods get the annotation"
    );
    let lint = helmwasm(
        dir.path(),
        &[
            "lint",
            "-e",
            "prod",
            "--set",
            "workers.podAnnotations.team=data",
            "--output",
            "json",
        ],
    );
    assert_eq!(lint.code, 0, "{}", lint.stderr);
    assert!(lint.stdout.contains("\"HW0306\""), "{}", lint.stdout);
}

/// A fixture chart, read as a local `chart:` is.
fn fixture_chart(version: &str) -> helmwasm::chart::Chart {
    helmwasm::chart::read_local(&fixture(&format!("airflow-chart/airflow-{version}.tgz"))).unwrap()
}

/// What checking the Airflow facts against `chart` finds: its warnings, or the error.
fn facts_against(chart: &helmwasm::chart::Chart) -> Result<Vec<String>, String> {
    helmwasm::checks::known::for_chart(chart)
        .expect("the official Airflow chart has rules")
        .map(|loaded| loaded.warnings.into_iter().map(|w| w.message).collect())
}

#[test]
fn the_facts_hold_for_every_chart_we_have() {
    for version in crate::full_render::CHART_VERSIONS {
        let chart = fixture_chart(version);
        let facts = airflow_facts::select(&chart.version).unwrap();
        assert_eq!(
            facts.tested(),
            *version,
            "each fixture is a line's tested release"
        );
        assert_eq!(facts_against(&chart), Ok(Vec::new()), "{version}");
    }
}

/// The 1.20 facts on chart 1.19 (relabelled 1.20.0): `workers.celery.keda` is not there yet.
#[test]
fn facts_for_another_line_do_not_hold() {
    let mut chart = fixture_chart("1.19.0");
    chart.version = "1.20.0".into();
    let e = facts_against(&chart).unwrap_err();
    assert!(
        e.contains("- fact `workers.keda.enabled`: key `workers.celery.keda.enabled` is not in the chart's values.schema.json"),
        "{e}"
    );
}

#[test]
fn a_chart_that_drops_a_key_or_a_secret_key_fails_naming_it() {
    let mut chart = fixture_chart("1.21.0");
    chart.version = "1.22.0".into();
    assert_eq!(
        facts_against(&chart).map(|w| w.len()),
        Ok(1),
        "one warning: newer"
    );
    // A key the facts use, gone from the schema and values.yaml.
    let mut schema = chart.schema.as_ref().unwrap().value().clone();
    schema["properties"]["workers"]["properties"]["celery"]["properties"]
        .as_object_mut()
        .unwrap()
        .remove("keda");
    chart.defaults["workers"]["celery"]
        .as_object_mut()
        .unwrap()
        .remove("keda");
    chart.schema = Some(helmwasm::checks::ValuesSchema::new(schema));
    // A Secret key no template reads any more.
    chart.template_keys.remove("gitSshKey");
    // A type that changed.
    chart
        .defaults
        .insert("executor".into(), serde_json::json!(["CeleryExecutor"]));
    let e = facts_against(&chart).unwrap_err();
    for want in [
        "- fact `workers.keda.enabled`: key `workers.celery.keda.enabled` is not in the chart's values.schema.json",
        "- fact `dags.gitSync.sshKeySecret`: the chart's templates read no key `gitSshKey` from a Secret",
        "- fact `executor`: key `executor` is a list in the chart's values.yaml, not string",
    ] {
        assert!(e.contains(want), "{want}\n{e}");
    }
}

#[test]
fn the_default_airflow_version_is_checked() {
    let mut chart = fixture_chart("1.21.0");
    chart
        .defaults
        .insert("airflowVersion".into(), serde_json::json!("3.2.1"));
    let e = facts_against(&chart).unwrap_err();
    assert!(
        e.ends_with(
            "- fact `airflowVersion` default: the chart's is `3.2.1`, the facts assume `3.2.0`"
        ),
        "{e}"
    );
    // A newer chart may move the default within the same Airflow major version.
    chart.version = "1.22.0".into();
    assert!(facts_against(&chart).is_ok());
    chart
        .defaults
        .insert("airflowVersion".into(), serde_json::json!("4.0.0"));
    assert!(facts_against(&chart).is_err());
}

/// A chart's version is its own text: a newline in it cannot start a forged line.
#[test]
fn a_hostile_chart_version_is_shown_on_one_line() {
    let mut chart = fixture_chart("1.21.0");
    chart.version = "1.22.0\nerror: forged".into();
    let warnings = facts_against(&chart).unwrap();
    assert_eq!(warnings.len(), 1);
    assert!(!warnings[0].contains('\n'), "{}", warnings[0]);
    chart.defaults.remove("executor");
    let mut schema = chart.schema.as_ref().unwrap().value().clone();
    schema["properties"]
        .as_object_mut()
        .unwrap()
        .remove("executor");
    chart.schema = Some(helmwasm::checks::ValuesSchema::new(schema));
    let refused = facts_against(&chart).unwrap_err();
    assert!(
        refused.lines().all(|l| !l.starts_with("error: forged")),
        "{refused}"
    );
    assert!(
        refused.lines().next().unwrap().contains("error: forged"),
        "{refused}"
    );
}
