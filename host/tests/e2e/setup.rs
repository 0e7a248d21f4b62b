//! The test set-up works on a stock system: its Python packages go into a project-local venv,
//! so a system Python that is "externally managed" (PEP 668, Debian 12's /usr/bin/python3)
//! is no obstacle, and nothing outside the checkout is touched.

use crate::support::{fixture, root};
use std::process::Command;

#[test]
fn the_python_environment_installs_where_the_system_python_is_externally_managed() {
    let system = "/usr/bin/python3";
    // The precondition, checked rather than assumed: this Python carries the PEP 668 marker.
    let marker = Command::new(system)
        .args([
            "-c",
            "import os, sysconfig; print(os.path.exists(os.path.join(sysconfig.get_path('stdlib'), 'EXTERNALLY-MANAGED')))",
        ])
        .output()
        .expect("/usr/bin/python3 (Debian's own Python) is needed by this test");
    assert_eq!(
        String::from_utf8_lossy(&marker.stdout).trim(),
        "True",
        "{system} is not externally managed here; this test needs a PEP 668 Python"
    );
    let dir = tempfile::tempdir().unwrap();
    let venv = dir.path().join("venv");
    let run = || {
        Command::new("bash")
            .arg(root().join("tests/tools/python-env.sh"))
            .env("PYTHON", system)
            .env("HELMWASM_TEST_VENV", &venv)
            .output()
            .unwrap()
    };
    let first = run();
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    assert_eq!(
        (first.stdout.as_slice(), first.stderr.as_slice()),
        (&b""[..], &b""[..]),
        "the set-up is quiet"
    );
    let python = venv.join("bin/python3");
    let check = Command::new(&python)
        .args([
            "-c",
            "import sys, jsonschema, yaml, cryptography, moto, kubernetes_validate; print(sys.prefix)",
        ])
        .output()
        .unwrap();
    assert!(
        check.status.success(),
        "{}",
        String::from_utf8_lossy(&check.stderr)
    );
    assert_eq!(
        std::path::Path::new(String::from_utf8_lossy(&check.stdout).trim()),
        venv,
        "the packages are in the project's venv"
    );
    // Again: nothing to do, still quiet.
    let again = run();
    assert!(again.status.success());
    assert!(again.stdout.is_empty() && again.stderr.is_empty());
}

/// `tests/tools/get-fixtures.sh` recreates the fixtures from a chart repository (here one on
/// 127.0.0.1 serving the packaged chart, standing in for https://airflow.apache.org): the
/// chart archive and the files taken out of it equal the shared fixtures byte for byte, the
/// kubectl outputs equal the saved ones as data; the hand-written blocks, which no script can
/// pull, are named as missing; a second run keeps everything and asks the repository nothing.
#[test]
fn the_fixtures_script_pulls_the_chart_and_writes_the_kubectl_outputs() {
    let repo = crate::charts::Repo::start();
    repo.serve_airflow_charts(&["1.19.0", "1.20.0", "1.21.0"]);
    let dest = tempfile::tempdir().unwrap();
    let run = || {
        Command::new("bash")
            .arg(root().join("tests/tools/get-fixtures.sh"))
            .args(["--repo", &repo.url, "--dest"])
            .arg(dest.path())
            .output()
            .unwrap()
    };
    let first = run();
    let stderr = String::from_utf8_lossy(&first.stderr);
    assert_eq!(first.status.code(), Some(1), "{stderr}");
    assert_eq!(
        stderr.trim_end(),
        format!(
            "error: {d}/crds is missing: the published CRDs (KEDA, Flux, External Secrets) are copies this script does not pull; copy crds/ from the project's shared/fixtures folder.\nerror: {d}/hand-written is missing: the hand-written YAML blocks are a blog post's text, which no script can pull; copy hand-written/ from the project's shared/fixtures folder.",
            d = dest.path().display()
        )
    );
    for f in [
        "airflow-1.19.0.tgz",
        "airflow-1.20.0.tgz",
        "airflow-1.21.0.tgz",
        "values.yaml",
        "values.schema.json",
        "LICENSE",
        "NOTICE",
    ] {
        let got = std::fs::read(dest.path().join("airflow-chart").join(f)).unwrap();
        let want = std::fs::read(fixture(&format!("airflow-chart/{f}"))).unwrap();
        assert!(got == want, "airflow-chart/{f} differs from the fixture");
    }
    // `helm package` rewrites Chart.yaml (key order, quoting); the fixture is the source file.
    let chart_yaml = |path: std::path::PathBuf| {
        helmwasm::yaml::parse_values(&std::fs::read_to_string(&path).unwrap(), &path).unwrap()
    };
    assert_eq!(
        chart_yaml(dest.path().join("airflow-chart/Chart.yaml")),
        chart_yaml(fixture("airflow-chart/Chart.yaml"))
    );
    let data = |path: &std::path::Path| {
        let text = std::fs::read_to_string(path).unwrap();
        let mut v = helmwasm::yaml::parse_values(&text, path).unwrap();
        v["metadata"]
            .as_object_mut()
            .unwrap()
            .remove("creationTimestamp");
        v
    };
    for f in [
        "metadata-secret.yaml",
        "metadata-secret.json",
        "result-backend-secret.yaml",
        "git-ssh-key-secret.yaml",
        "invalid-name-accepted-by-client-dry-run.yaml",
    ] {
        let rel = format!("kubectl-secret/{f}");
        assert_eq!(data(&dest.path().join(&rel)), data(&fixture(&rel)), "{rel}");
    }
    let served = repo.requests();
    assert!(served >= 2, "index.yaml and the archive: {served}");
    // With the CRDs and the hand-written blocks in place: success, quiet, nothing fetched again.
    std::fs::create_dir(dest.path().join("crds")).unwrap();
    std::fs::copy(
        fixture("crds/keda.sh_scaledobjects.yaml"),
        dest.path().join("crds/keda.sh_scaledobjects.yaml"),
    )
    .unwrap();
    let hand = dest.path().join("hand-written");
    std::fs::create_dir(&hand).unwrap();
    std::fs::copy(
        fixture("hand-written/merged-corrected-values.yaml"),
        hand.join("merged-corrected-values.yaml"),
    )
    .unwrap();
    let again = run();
    assert!(
        again.status.success(),
        "{}",
        String::from_utf8_lossy(&again.stderr)
    );
    assert!(again.stdout.is_empty() && again.stderr.is_empty());
    assert_eq!(repo.requests(), served);
}

/// Without `../shared` beside the checkout, the test command's set-up stops at once, before
/// installing or running anything, with one message: what is missing, why, and how to get it.
#[test]
fn without_the_shared_fixtures_the_set_up_stops_with_one_message() {
    let dir = tempfile::tempdir().unwrap();
    let checkout = dir.path().join("checkout");
    std::fs::create_dir_all(checkout.join("tests")).unwrap();
    std::fs::copy(root().join("tests/setup"), checkout.join("tests/setup")).unwrap();
    let out = Command::new("bash")
        .arg(checkout.join("tests/setup"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        out.stdout.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines.len(), 2, "{stderr}");
    assert_eq!(
        lines[0],
        format!(
            "error: the tests need the shared fixtures in {}/shared/fixtures, beside this checkout; missing: airflow-chart/airflow-1.19.0.tgz airflow-chart/airflow-1.20.0.tgz airflow-chart/airflow-1.21.0.tgz airflow-chart/values.yaml airflow-chart/values.schema.json crds/keda.sh_scaledobjects.yaml kubectl-secret/metadata-secret.yaml hand-written/merged-corrected-values.yaml.",
            dir.path().canonicalize().unwrap().display()
        )
    );
    assert!(
        lines[1].contains("kept out of the repository")
            && lines[1].contains("bash tests/tools/get-fixtures.sh"),
        "{stderr}"
    );
}
