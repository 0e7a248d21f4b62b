//! The example rendered in full: a copy of `examples/airflow-eks` whose `chart:` is a packaged
//! chart from the shared fixtures (1.19.0, 1.20.0 and 1.21.0, `version` to match), with the
//! real helm, `--strict`, for each environment. The streams are golden files
//! (`tests/renders/`, `BLESS=1` rewrites), byte for byte (the chart's generated keys are
//! managed); independent checkers (`tests/tools/`, Python) find no dangling Secret or ConfigMap
//! reference, no container without requests and limits, and no object Kubernetes would refuse
//! (`kubernetes-validate`, strict; the KEDA ScaledObject against its published CRD). Python's
//! `cryptography` checks the managed Fernet key.

use crate::support::{fixture, helmwasm, root, tool};
use std::io::Write;
use std::process::Stdio;

/// The chart versions of the shared fixtures, each rendered in full.
pub const CHART_VERSIONS: &[&str] = &["1.19.0", "1.20.0", "1.21.0"];

/// The chart version the example pins.
pub fn example_version() -> String {
    let text = std::fs::read_to_string(root().join("examples/airflow-eks/helmwasm.yaml")).unwrap();
    text.lines()
        .find_map(|l| l.strip_prefix("    version: "))
        .expect("the example pins a chart version")
        .trim()
        .to_owned()
}

/// The example, copied, with the packaged chart of the version it pins as its chart.
pub fn example_with_fixture_chart() -> tempfile::TempDir {
    example_with_chart(&example_version())
}

/// The example, copied, with the packaged chart `version` from the shared fixtures as its
/// chart and `version`.
pub fn example_with_chart(version: &str) -> tempfile::TempDir {
    let chart = fixture(&format!("airflow-chart/airflow-{version}.tgz"));
    example_with(&chart, version)
}

/// The example, copied, with `chart` (a `.tgz` or a chart folder) at `version`.
pub fn example_with(chart: &std::path::Path, version: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let src = root().join("examples/airflow-eks");
    for sub in ["values", "credentials"] {
        std::fs::create_dir(dir.path().join(sub)).unwrap();
        for e in std::fs::read_dir(src.join(sub)).unwrap() {
            let e = e.unwrap();
            std::fs::copy(e.path(), dir.path().join(sub).join(e.file_name())).unwrap();
        }
    }
    let text = std::fs::read_to_string(src.join("helmwasm.yaml")).unwrap();
    let pinned = example_version();
    let patched = text
        .replace(
            "    chart: apache-airflow/airflow\n",
            &format!("    chart: {}\n", chart.display()),
        )
        .replace(
            &format!("    version: {pinned}\n"),
            &format!("    version: {version}\n"),
        );
    assert!(
        patched.contains(&format!("    chart: {}\n", chart.display()))
            && patched.contains(&format!("    version: {version}\n")),
        "the example names apache-airflow/airflow at one version"
    );
    std::fs::write(dir.path().join("helmwasm.yaml"), patched).unwrap();
    #[cfg(unix)]
    for f in [
        "db-password",
        "admin-password",
        "git-ssh-key",
        "random-seed",
    ] {
        use std::os::unix::fs::PermissionsExt;
        let p = dir.path().join("credentials").join(f);
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o600)).unwrap();
    }
    dir
}

fn check_refs(stream: &str) -> (i32, String) {
    check_tool("check_refs.py", stream)
}

/// Run one of the independent Python checkers of `tests/tools/` on a stream.
fn check_tool(script: &str, stream: &str) -> (i32, String) {
    run_tool(script, &[], stream)
}

/// [`check_tool`] with arguments.
pub fn run_tool(script: &str, args: &[&std::ffi::OsStr], stream: &str) -> (i32, String) {
    let mut child = crate::support::python3()
        .arg(root().join("tests/tools").join(script))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("python3 is needed by the tests");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stream.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

/// Every object of a stream valid for Kubernetes (`tests/tools/validate_k8s.py`).
pub fn validate_k8s(stream: &str) -> (i32, String) {
    let crd = fixture("crds/keda.sh_scaledobjects.yaml");
    run_tool(
        "validate_k8s.py",
        &["--crd".as_ref(), crd.as_os_str()],
        stream,
    )
}

/// The values a render printed with `write-values` (the final values of the one release).
fn final_values(dir: &std::path::Path, env: &str) -> serde_json::Value {
    let out = tempfile::tempdir().unwrap();
    let target = out.path().display().to_string();
    let run = helmwasm(dir, &["write-values", "-e", env, "--output-dir", &target]);
    assert_eq!(run.code, 0, "{env}: {}", run.stderr);
    let text = std::fs::read_to_string(out.path().join("airflow.yaml")).unwrap();
    helmwasm::yaml::parse_values(&text, std::path::Path::new("values")).unwrap()
}

/// Every deprecated key path set in `values` by the chart's schema (description saying so).
fn deprecated_keys(values: &serde_json::Value, version: &str) -> Vec<String> {
    let chart =
        helmwasm::chart::read_local(&fixture(&format!("airflow-chart/airflow-{version}.tgz")))
            .unwrap();
    let schema = chart.schema.unwrap().value().clone();
    let mut out = Vec::new();
    fn walk(
        schema: &serde_json::Value,
        v: &serde_json::Value,
        path: String,
        out: &mut Vec<String>,
    ) {
        let Some(map) = v.as_object() else { return };
        for (k, child) in map {
            let Some(node) = schema["properties"].get(k) else {
                continue;
            };
            let at = if path.is_empty() {
                k.clone()
            } else {
                format!("{path}.{k}")
            };
            let text = node["description"]
                .as_str()
                .unwrap_or_default()
                .to_ascii_lowercase();
            if text.contains("deprecated") && !child.is_null() {
                out.push(at);
            } else {
                walk(node, child, at, out);
            }
        }
    }
    walk(&schema, values, String::new(), &mut out);
    out
}

#[test]
fn the_example_renders_in_full_for_every_environment_and_chart_version() {
    tool("helm");
    let bless = std::env::var_os("BLESS").is_some();
    for version in CHART_VERSIONS {
        let dir = example_with_chart(version);
        for env in ["default", "dev", "prod"] {
            let at = format!("chart {version}, {env}");
            let run = helmwasm(dir.path(), &["template", "-e", env, "--strict"]);
            assert_eq!(run.code, 0, "{at}: {}", run.stderr);
            assert!(
                run.stderr.is_empty(),
                "{at}: nothing skipped, no warning: {}",
                run.stderr
            );
            for kind in [
                "kind: Deployment",
                "kind: StatefulSet",
                "kind: Job",
                "kind: Service",
            ] {
                assert!(run.stdout.contains(kind), "{at}: the chart's {kind}");
            }
            for emitted in [
                "name: airflow-metadata-db",
                "name: airflow-result-backend-db",
                "name: airflow-ssh-secret",
            ] {
                assert!(run.stdout.contains(emitted), "{at}: emitted {emitted}");
            }
            if env == "prod" {
                // The airflow-gitops step: nothing is left to Helm hooks, which Argo CD and
                // Flux do not run as Helm does; migrations are an Argo CD Sync hook.
                assert!(
                    !run.stdout.contains("helm.sh/hook"),
                    "{at}: a Helm hook is left in the GitOps render"
                );
                assert!(run.stdout.contains("argocd.argoproj.io/hook: Sync"));
                // KEDA scales the workers (the chart's ScaledObject, from the keys the version
                // reads), and the UI is a LoadBalancer.
                assert!(run.stdout.contains("kind: ScaledObject"), "{at}: KEDA");
                assert!(run.stdout.contains("type: LoadBalancer"), "{at}: the UI");
            }
            let (code, report) = check_refs(&run.stdout);
            assert_eq!(
                code, 0,
                "{at}: the independent checker found dangling references:\n{report}"
            );
            // The container-resources post-render step: explicit requests and limits on every
            // container of every workload, as an independent script reads the render.
            let (code, report) = check_tool("check_resources.py", &run.stdout);
            assert_eq!(
                code, 0,
                "{at}: a container without explicit requests and limits:\n{report}"
            );
            let (code, report) = validate_k8s(&run.stdout);
            assert_eq!(
                code, 0,
                "{at}: an object Kubernetes would refuse:\n{report}"
            );
            // No step writes a key the chart marks deprecated (the example's values write none).
            let deprecated = deprecated_keys(&final_values(dir.path(), env), version);
            assert!(
                deprecated.is_empty(),
                "{at}: the final values hold deprecated keys: {deprecated:?}"
            );
            // The chart's generated keys are managed by the `airflow-keys` step: a second
            // render is byte-identical, chart objects included.
            let again = helmwasm(dir.path(), &["template", "-e", env, "--strict"]);
            assert!(again.stdout == run.stdout, "{at}: two full renders differ");
            let golden = root().join(format!("tests/renders/airflow-eks-{version}-{env}.yaml"));
            let actual = run.stdout.clone();
            if bless {
                std::fs::create_dir_all(golden.parent().unwrap()).unwrap();
                std::fs::write(&golden, &actual).unwrap();
            } else {
                let expected = std::fs::read_to_string(&golden).unwrap_or_default();
                assert!(
                    expected == actual,
                    "{at}: the full render differs from {} (BLESS=1 rewrites it)",
                    golden.display()
                );
            }
        }
    }
}

#[test]
fn the_independent_checker_catches_a_dangling_reference() {
    let stream = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\nspec:\n  template:\n    spec:\n      containers:\n      - name: c\n        env:\n        - name: X\n          valueFrom: {secretKeyRef: {name: gone, key: k}}\n";
    let (code, report) = check_refs(stream);
    assert_eq!(code, 1, "{report}");
    assert!(
        report.contains("Deployment/d: Secret gone is missing"),
        "{report}"
    );
}

#[test]
fn the_independent_resources_checker_catches_a_missing_limit() {
    let stream = "apiVersion: batch/v1\nkind: CronJob\nmetadata: {name: c}\nspec:\n  jobTemplate:\n    spec:\n      template:\n        spec:\n          initContainers:\n          - name: i\n            resources: {requests: {cpu: 100m, memory: 1Gi}, limits: {cpu: 50m, memory: 2Gi}}\n          containers:\n          - name: a\n            resources: {requests: {cpu: 1, memory: 1Gi}, limits: {cpu: 2}}\n";
    let (code, report) = check_tool("check_resources.py", stream);
    assert_eq!(code, 1, "{report}");
    assert!(
        report.contains("CronJob/c containers a: no limits.memory"),
        "{report}"
    );
    assert!(
        report.contains("CronJob/c initContainers i: limits.cpu is below requests.cpu"),
        "{report}"
    );
}

/// The Fernet key the `airflow-keys` step emits is one Python's `cryptography` accepts, and the
/// chart's pods read it from that Secret.
#[test]
fn the_managed_fernet_key_is_a_valid_fernet_key_the_chart_uses() {
    use base64::Engine as _;
    tool("helm");
    let dir = example_with_fixture_chart();
    let run = helmwasm(
        dir.path(),
        &["template", "-e", "prod", "--strict", "--show-secrets"],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let docs: Vec<serde_json::Value> = run
        .stdout
        .split("\n---\n")
        .filter_map(|d| helmwasm::yaml::parse_values(d, std::path::Path::new("render")).ok())
        .collect();
    let secret = docs
        .iter()
        .find(|d| d["kind"] == "Secret" && d["metadata"]["name"] == "airflow-managed-fernet-key")
        .expect("the managed Fernet key Secret");
    let key = base64::engine::general_purpose::STANDARD
        .decode(secret["data"]["fernet-key"].as_str().unwrap())
        .unwrap();
    let check = "import sys\nfrom cryptography.fernet import Fernet\nf = Fernet(sys.argv[1].encode())\nassert f.decrypt(f.encrypt(b'x')) == b'x'\n";
    let out = crate::support::python3()
        .args(["-c", check, std::str::from_utf8(&key).unwrap()])
        .output()
        .expect("python3 is needed by the tests");
    assert!(
        out.status.success(),
        "Python's cryptography refused the key (is `cryptography` installed? `bash tests/setup`): {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let reads_it = docs.iter().any(|d| {
        d["kind"] == "Deployment"
            && d.to_string()
                .contains("\"name\":\"airflow-managed-fernet-key\"")
    });
    assert!(
        reads_it,
        "a chart Deployment reads the managed Fernet key Secret"
    );
    assert!(
        !run.stdout.contains("name: airflow-fernet-key\n"),
        "the chart no longer generates its own Fernet key Secret"
    );
    // The admin password is in a Secret only (base64 there): not in the create-user Job's
    // arguments, which read it from an env var, even with --show-secrets.
    let password = std::fs::read_to_string(dir.path().join("credentials/admin-password")).unwrap();
    assert!(
        !run.stdout.contains(password.trim()),
        "the admin password is in the render"
    );
    // (The Job is printed by helmwasm's writer once a post-render step changed it, so the
    // argument is read from the object, not matched as helm's text.)
    let job = docs
        .iter()
        .find(|d| d["kind"] == "Job" && d["metadata"]["name"] == "airflow-create-user")
        .expect("the create-user Job");
    let args = job["spec"]["template"]["spec"]["containers"][0]["args"].to_string();
    assert!(args.contains("\"$(AIRFLOW_ADMIN_PASSWORD)\""), "{args}");
    assert!(run.stdout.contains("name: airflow-admin-password"));
}

/// The pod-template annotation of a workload in a rendered stream.
fn pod_annotation(stream: &str, kind: &str, name: &str) -> Option<String> {
    stream
        .split("\n---\n")
        .filter_map(|d| helmwasm::yaml::parse_values(d, std::path::Path::new("render")).ok())
        .find(|d| d["kind"] == kind && d["metadata"]["name"] == name)
        .and_then(|d| {
            d["spec"]["template"]["metadata"]["annotations"][helmwasm::rollout::ANNOTATION]
                .as_str()
                .map(str::to_owned)
        })
}

/// A new database password (in an emitted Secret) changes the pod templates of the scheduler
/// and PgBouncer, so `helm upgrade` rolls them; the annotation is a keyed digest.
#[test]
fn rotating_the_database_password_rolls_the_pods() {
    tool("helm");
    let dir = example_with_fixture_chart();
    let render = || {
        let run = helmwasm(dir.path(), &["template", "-e", "prod", "--strict"]);
        assert_eq!(run.code, 0, "{}", run.stderr);
        run.stdout
    };
    let before = render();
    let scheduler = pod_annotation(&before, "Deployment", "airflow-scheduler")
        .expect("the scheduler's pod template carries the secret digest");
    assert_eq!(scheduler.len(), 64);
    assert!(scheduler.chars().all(|c| c.is_ascii_hexdigit()));
    assert_eq!(
        pod_annotation(&before, "Deployment", "airflow-pgbouncer").as_ref(),
        Some(&scheduler)
    );
    assert_eq!(render(), before, "the same inputs, the same digest");
    let password = dir.path().join("credentials/db-password");
    std::fs::write(&password, "a-new-dummy-password-42\n").unwrap();
    let after = render();
    let rotated = pod_annotation(&after, "Deployment", "airflow-scheduler").unwrap();
    assert_ne!(rotated, scheduler, "a new password rolls the scheduler");
    assert_eq!(
        pod_annotation(&after, "Deployment", "airflow-pgbouncer"),
        Some(rotated)
    );
}
