//! The chart as an input: local folders and archives, a real chart repository served on
//! 127.0.0.1 (fetch, digest check, cache, offline reuse), the full render with the real helm,
//! and the chart-agnostic checks on the rendered manifests, with a small chart of our own
//! (`tests/charts/refs`) whose pods read Secrets and ConfigMaps by names taken from values.

use crate::support::{fixture, helmwasm, helmwasm_with, project, root, test_plugins, tool};
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

/// The pipeline lines that declare the chart's two outside objects.
const LISTED: &str = "  existingSecrets: [app-credentials]\n  existingConfigMaps: [app-settings]\n";

fn refs_chart() -> String {
    root().join("tests/charts/refs").display().to_string()
}

/// A pipeline with one release of the refs chart, extra release fields and steps (YAML).
fn refs_pipeline(release_extra: &str) -> String {
    format!(
        "releases:\n- name: demo\n  namespace: apps\n  chart: {}\n{release_extra}",
        refs_chart()
    )
}

/// Exit 1 with every needle on stderr.
fn fails_with(run: &crate::support::Run, needles: &[&str]) {
    assert_eq!(run.code, 1, "{}", run.stderr);
    for needle in needles {
        assert!(
            run.stderr.contains(needle),
            "missing {needle:?} in:\n{}",
            run.stderr
        );
    }
}

fn template(dir: &std::path::Path, extra: &[&str]) -> crate::support::Run {
    let plugins = test_plugins().display().to_string();
    let mut args = vec!["template", "--strict", "--plugin-dir", &plugins];
    args.extend_from_slice(extra);
    helmwasm(dir, &args)
}

#[test]
fn dangling_references_in_an_unknown_chart_fail_with_names_and_paths() {
    tool("helm");
    let dir = project(&refs_pipeline(""));
    let run = template(dir.path(), &[]);
    assert!(
        run.stdout.is_empty(),
        "nothing printed on failure: {}",
        run.stdout
    );
    fails_with(
        &run,
        &[
            "release `demo` does not render cleanly: 2 checks on the rendered manifests failed",
            "Deployment `demo-app` container `app` (spec.template.spec.containers[0].env[0].valueFrom.secretKeyRef): Secret `app-credentials` is not in the render",
            "list it under `existingSecrets` of the release",
            "Deployment `demo-app` container `app` (spec.template.spec.containers[0].envFrom[0].configMapRef): ConfigMap `app-settings` is not in the render",
            "`existingConfigMaps`",
        ],
    );
}

#[test]
fn objects_created_outside_pass_when_listed() {
    tool("helm");
    let dir = project(&refs_pipeline(LISTED));
    let run = template(dir.path(), &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout
            .contains("# Source: refs/templates/deployment.yaml"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("kind: CronJob"));
    assert!(
        !run.stdout.contains("# Source: demo/values.yaml"),
        "a full render holds only objects"
    );
    assert!(!run.stdout.contains("chart not rendered"));
    assert!(!run.stderr.contains("note:"), "{}", run.stderr);
}

#[test]
fn emitted_objects_satisfy_references_and_their_keys_are_checked() {
    tool("helm");
    let emit = |key: &str| {
        refs_pipeline(&format!(
            "  existingConfigMaps: [app-settings]\n  steps:\n  - plugin: emit-objects\n    with:\n      objects:\n      - {{apiVersion: v1, kind: Secret, metadata: {{name: app-credentials}}, stringData: {{{key}: x}}}}\n"
        ))
    };
    let ok = project(&emit("password"));
    let run = template(ok.path(), &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let typo = project(&emit("pasword"));
    let run = template(typo.path(), &[]);
    fails_with(
        &run,
        &[
            "Secret `app-credentials` has no key `password` (keys: `pasword`); did you mean `pasword`?",
        ],
    );
}

#[test]
fn every_reference_form_is_checked_and_optional_ones_may_dangle() {
    tool("helm");
    let dir = project(&refs_pipeline(LISTED));
    let run = template(
        dir.path(),
        &[
            "--set",
            "pullSecret=registry-creds,projectedSecret=tls-bundel,cronKey=tokn",
        ],
    );
    fails_with(
        &run,
        &[
            "(spec.template.spec.imagePullSecrets[0]): Secret `registry-creds` is not in the render",
            "(spec.template.spec.volumes[1].projected.sources[0].secret): Secret `tls-bundel` is not in the render",
            "CronJob `demo-cleanup` container `cleanup` (spec.jobTemplate.spec.template.spec.containers[0].env[0].valueFrom.secretKeyRef): Secret `demo-generated` has no key `tokn` (keys: `token`); did you mean `token`?",
        ],
    );
    let optional = template(dir.path(), &["--set", "optionalSecret=maybe-later"]);
    assert_eq!(optional.code, 0, "{}", optional.stderr);
}

#[test]
fn near_miss_names_get_a_suggestion() {
    tool("helm");
    let dir = project(&refs_pipeline(LISTED));
    let run = template(dir.path(), &["--set", "secretName=app-credential"]);
    assert_eq!(run.code, 1);
    assert!(
        run.stderr.contains(
            "Secret `app-credential` is not in the render (the render reads key `password` from it): did you mean `app-credentials`?"
        ),
        "{}",
        run.stderr
    );
}

#[test]
fn emitted_objects_stay_in_the_release_namespace_unless_allowed() {
    tool("helm");
    let step = |allowed: &str| {
        refs_pipeline(&format!(
            "{LISTED}  steps:\n  - plugin: emit-objects\n{allowed}    with:\n      objects:\n      - {{apiVersion: v1, kind: ConfigMap, metadata: {{name: cluster-settings, namespace: kube-system}}, data: {{a: b}}}}\n"
        ))
    };
    let dir = project(&step(""));
    let run = template(dir.path(), &[]);
    fails_with(
        &run,
        &[
            "manifest 1 (ConfigMap `cluster-settings`, step 1 `emit-objects`): is emitted into namespace `kube-system`, outside the release namespace `apps`; grant it with `allow: {namespaces: [kube-system]}` on step 1",
        ],
    );
    let dir = project(&step("    allow: {namespaces: [kube-system]}\n"));
    let run = template(dir.path(), &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
}

#[test]
fn an_emitted_object_may_not_shadow_a_chart_object() {
    tool("helm");
    let dir = project(&refs_pipeline(&format!(
        "{LISTED}{}",
        "  steps:\n  - plugin: emit-objects\n    with:\n      objects:\n      - {apiVersion: v1, kind: ConfigMap, metadata: {name: demo-own}, data: {settings.ini: x}}\n"
    )));
    let run = template(dir.path(), &[]);
    fails_with(
        &run,
        &[
            "ConfigMap `demo-own`, step 1 `emit-objects`): the chart renders a ConfigMap with the same name (refs/templates/own.yaml)",
        ],
    );
}

#[test]
fn helm_errors_pass_through_named_and_redacted() {
    tool("helm");
    let dir = project(&refs_pipeline(&format!(
        "{LISTED}{}",
        "  values:\n  - failWith: ref+env://FAIL_SECRET\n"
    )));
    let plugins = test_plugins().display().to_string();
    let run = helmwasm_with(
        dir.path(),
        &["template", "--plugin-dir", &plugins],
        &[
            ("HELMWASM_OFFLINE", "1"),
            ("FAIL_SECRET", "hunter2-very-secret"),
        ],
    );
    assert_eq!(run.code, 1);
    assert!(
        run.stderr
            .contains("release `demo`: `helm template` of chart refs 0.3.0 failed"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("<redacted>"), "{}", run.stderr);
    assert!(
        !run.stderr.contains("hunter2"),
        "the secret leaked: {}",
        run.stderr
    );
    // The chart's own schema (read from the packaged chart) is checked before helm runs,
    // with values paths.
    let dir = project(&format!(
        "releases:\n- name: airflow\n  namespace: airflow\n  chart: {}\n",
        fixture("airflow-chart/airflow-1.19.0.tgz").display()
    ));
    let run = template(dir.path(), &["--set", "workers.keda.enabled=sometimes"]);
    fails_with(&run, &["values.schema.json of chart"]);
    assert!(
        run.stderr.contains("workers.keda.enabled: "),
        "{}",
        run.stderr
    );
}

#[test]
fn the_chart_yaml_version_must_match() {
    let dir = project(&refs_pipeline("  version: 0.2.0\n"));
    let run = helmwasm(dir.path(), &["template"]);
    fails_with(
        &run,
        &["the chart's Chart.yaml says version `0.3.0`, but the release asks for `0.2.0`"],
    );
}

#[test]
fn invalid_existing_names_are_rejected_with_their_path() {
    let dir = project(&refs_pipeline("  existingSecrets: [prod_database]\n"));
    let run = helmwasm(dir.path(), &["template"]);
    fails_with(
        &run,
        &[
            "releases[0].existingSecrets[0]: `prod_database` is not a valid object name",
            "did you mean `prod-database`?",
        ],
    );
}

#[test]
fn without_helm_the_values_render_says_what_it_skipped_and_strict_fails() {
    let dir = project(&refs_pipeline(""));
    let empty = tempfile::tempdir().unwrap();
    let env = [
        ("HELMWASM_HELM", ""),
        ("PATH", empty.path().to_str().unwrap()),
        ("HELMWASM_OFFLINE", "1"),
    ];
    let run = helmwasm_with(dir.path(), &["template"], &env);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.starts_with("# helmwasm: chart not rendered for release `demo` (values and emitted manifests only): helm was not found on PATH\n"), "{}", run.stdout);
    assert!(run.stdout.contains("# Source: demo/values.yaml"));
    let notes: Vec<&str> = run
        .stderr
        .lines()
        .filter(|l| l.starts_with("note:"))
        .collect();
    assert_eq!(
        notes.len(),
        1,
        "one line on what was skipped: {}",
        run.stderr
    );
    assert!(notes[0].contains("install Helm 3 or 4"), "{}", notes[0]);
    let strict = helmwasm_with(dir.path(), &["template", "--strict"], &env);
    assert_eq!(strict.code, 1);
    assert!(
        strict
            .stderr
            .contains("the chart was not rendered (--strict): helm was not found on PATH"),
        "{}",
        strict.stderr
    );
    assert!(strict.stdout.is_empty());
}

/// A chart repository on 127.0.0.1: serves files from a map, counts requests, stops on drop.
pub struct Repo {
    pub url: String,
    requests: Arc<AtomicUsize>,
    pub files: Arc<Mutex<BTreeMap<String, Vec<u8>>>>,
    stop: Arc<AtomicBool>,
}

impl Repo {
    /// How many requests the repository has answered.
    pub fn requests(&self) -> usize {
        self.requests.load(Ordering::SeqCst)
    }

    pub fn start() -> Repo {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let requests = Arc::new(AtomicUsize::new(0));
        let files: Arc<Mutex<BTreeMap<String, Vec<u8>>>> = Arc::default();
        let stop = Arc::new(AtomicBool::new(false));
        let (r, f, s) = (requests.clone(), files.clone(), stop.clone());
        std::thread::spawn(move || {
            // Bounded: the thread ends when the Repo is dropped, or after 10 minutes.
            let deadline = std::time::Instant::now() + std::time::Duration::from_secs(600);
            while !s.load(Ordering::SeqCst) && std::time::Instant::now() < deadline {
                let Ok((mut stream, _)) = listener.accept() else {
                    std::thread::sleep(std::time::Duration::from_millis(5));
                    continue;
                };
                stream.set_nonblocking(false).unwrap();
                let mut line = String::new();
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                if reader.read_line(&mut line).is_err() {
                    continue;
                }
                loop {
                    let mut header = String::new();
                    if reader.read_line(&mut header).map_or(true, |n| n == 0)
                        || header.trim().is_empty()
                    {
                        break;
                    }
                }
                r.fetch_add(1, Ordering::SeqCst);
                let mut words = line.split_whitespace();
                let head = words.next() == Some("HEAD");
                let path = words.next().unwrap_or("/").to_owned();
                let body = f.lock().unwrap().get(&path).cloned();
                let (status, body) = match body {
                    Some(b) => ("200 OK", b),
                    None => ("404 Not Found", b"not found".to_vec()),
                };
                // What an OCI registry adds: the media type of manifests and every body's digest.
                let content_type = if path.contains("/manifests/") {
                    "application/vnd.oci.image.manifest.v1+json"
                } else {
                    "application/octet-stream"
                };
                let _ = write!(
                    stream,
                    "HTTP/1.1 {status}\r\nContent-Length: {}\r\nContent-Type: {content_type}\r\nDocker-Content-Digest: sha256:{}\r\nConnection: close\r\n\r\n",
                    body.len(),
                    helmwasm::chart::cache::sha256_hex(&body)
                );
                if !head {
                    let _ = stream.write_all(&body);
                }
            }
        });
        Repo {
            url,
            requests,
            files,
            stop,
        }
    }

    /// Serve the fixture chart 1.19.0 with an index written by the real `helm repo index`.
    pub fn serve_airflow_chart(&self) {
        self.serve_airflow_charts(&["1.19.0"]);
    }

    /// Serve the fixture charts of `versions` with an index written by `helm repo index`.
    pub fn serve_airflow_charts(&self, versions: &[&str]) {
        let dir = tempfile::tempdir().unwrap();
        let mut archives = Vec::new();
        for version in versions {
            let name = format!("airflow-{version}.tgz");
            let tgz = std::fs::read(fixture(&format!("airflow-chart/{name}"))).unwrap();
            std::fs::write(dir.path().join(&name), &tgz).unwrap();
            archives.push((name, tgz));
        }
        let out = std::process::Command::new(tool("helm"))
            .args(["repo", "index"])
            .arg(dir.path())
            .args(["--url", &format!("{}/charts", self.url)])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let index = std::fs::read(dir.path().join("index.yaml")).unwrap();
        let mut files = self.files.lock().unwrap();
        files.insert("/index.yaml".into(), index);
        for (name, tgz) in archives {
            files.insert(format!("/charts/{name}"), tgz);
        }
    }
}

impl Repo {
    /// Serve the fixture chart as an OCI artifact (`/v2/charts/airflow`, tag 1.19.0), the way
    /// `helm push` stores it: a manifest, a config blob and one chart layer.
    fn serve_oci_chart(&self) {
        let tgz = std::fs::read(fixture("airflow-chart/airflow-1.19.0.tgz")).unwrap();
        let config =
            br#"{"apiVersion":"v2","name":"airflow","version":"1.19.0","appVersion":"3.1.7"}"#
                .to_vec();
        let digest = |b: &[u8]| format!("sha256:{}", helmwasm::chart::cache::sha256_hex(b));
        let manifest = format!(
            r#"{{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{{"mediaType":"application/vnd.cncf.helm.config.v1+json","digest":"{}","size":{}}},"layers":[{{"mediaType":"application/vnd.cncf.helm.chart.content.v1.tar+gzip","digest":"{}","size":{}}}]}}"#,
            digest(&config),
            config.len(),
            digest(&tgz),
            tgz.len()
        );
        let mut files = self.files.lock().unwrap();
        files.insert("/v2/".into(), b"{}".to_vec());
        files.insert(
            format!("/v2/charts/airflow/blobs/{}", digest(&config)),
            config.clone(),
        );
        files.insert(
            format!("/v2/charts/airflow/blobs/{}", digest(&tgz)),
            tgz.clone(),
        );
        files.insert(
            format!(
                "/v2/charts/airflow/manifests/{}",
                digest(manifest.as_bytes())
            ),
            manifest.clone().into_bytes(),
        );
        files.insert(
            "/v2/charts/airflow/manifests/1.19.0".into(),
            manifest.into_bytes(),
        );
    }
}

impl Drop for Repo {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
    }
}

/// A repository serving the fixture chart, a pipeline asking it for `version`, an empty cache.
pub fn repo_project(version: &str) -> (Repo, tempfile::TempDir, tempfile::TempDir) {
    let repo = Repo::start();
    repo.serve_airflow_chart();
    let dir = project(&airflow_from(&repo.url, version));
    (repo, dir, tempfile::tempdir().unwrap())
}

pub fn airflow_from(url: &str, version: &str) -> String {
    format!(
        "repositories:\n- name: local\n  url: {url}\nreleases:\n- name: airflow\n  namespace: airflow\n  chart: local/airflow\n  version: \"{version}\"\n  values:\n  - postgresql: {{enabled: false}}\n"
    )
}

#[test]
fn a_repository_chart_is_fetched_verified_cached_and_reused_offline() {
    tool("helm");
    let (repo, dir, cache) = repo_project("1.19.0");
    let cache_s = cache.path().to_str().unwrap();
    let online = [("HELMWASM_CACHE_DIR", cache_s), ("HELMWASM_OFFLINE", "")];
    let first = helmwasm_with(dir.path(), &["template", "--strict"], &online);
    assert_eq!(first.code, 0, "{}", first.stderr);
    assert_eq!(
        repo.requests.load(Ordering::SeqCst),
        2,
        "index.yaml and the archive"
    );
    assert!(
        first
            .stdout
            .contains("# Source: airflow/templates/scheduler/scheduler-deployment.yaml")
    );
    let cached: Vec<_> = std::fs::read_dir(cache.path().join("charts"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    let digest = helmwasm::chart::cache::sha256_hex(
        &std::fs::read(fixture("airflow-chart/airflow-1.19.0.tgz")).unwrap(),
    );
    assert!(
        cached.contains(&format!("sha256-{digest}.tgz")),
        "content-addressed by the archive's SHA-256: {cached:?}"
    );
    // The repository goes away: the cached chart renders the same, without asking it.
    drop(repo);
    let offline = [("HELMWASM_CACHE_DIR", cache_s), ("HELMWASM_OFFLINE", "1")];
    let second = helmwasm_with(dir.path(), &["template", "--strict"], &offline);
    assert_eq!(second.code, 0, "{}", second.stderr);
    assert_eq!(normalise(&second.stdout), normalise(&first.stdout));
    // An exact version is served from the cache even when online.
    let third = helmwasm_with(dir.path(), &["template", "--strict"], &online);
    assert_eq!(third.code, 0, "{}", third.stderr);
}

#[test]
fn offline_with_an_empty_cache_skips_and_strict_fails() {
    let (repo, dir, cache) = repo_project("1.19.0");
    let env = [
        ("HELMWASM_CACHE_DIR", cache.path().to_str().unwrap()),
        ("HELMWASM_OFFLINE", "1"),
    ];
    let run = helmwasm_with(dir.path(), &["template"], &env);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout
            .starts_with("# helmwasm: chart not rendered for release `airflow`"),
        "{}",
        run.stdout
    );
    assert!(
        run.stderr
            .contains("is not in the chart cache, and --offline forbids fetching it"),
        "{}",
        run.stderr
    );
    let strict = helmwasm_with(dir.path(), &["template", "--strict"], &env);
    assert_eq!(strict.code, 1);
    assert_eq!(
        repo.requests.load(Ordering::SeqCst),
        0,
        "--offline never reaches the network"
    );
}

#[test]
fn a_digest_mismatch_is_refused_and_nothing_is_cached() {
    tool("helm");
    let repo = Repo::start();
    repo.serve_airflow_chart();
    {
        let mut files = repo.files.lock().unwrap();
        let index = String::from_utf8(files["/index.yaml"].clone()).unwrap();
        let digest = helmwasm::chart::cache::sha256_hex(
            &std::fs::read(fixture("airflow-chart/airflow-1.19.0.tgz")).unwrap(),
        );
        let tampered = index.replace(&digest, &"f".repeat(64));
        assert_ne!(
            tampered, index,
            "helm repo index wrote the archive's digest"
        );
        files.insert("/index.yaml".into(), tampered.into_bytes());
    }
    let dir = project(&airflow_from(&repo.url, "1.19.0"));
    let cache = tempfile::tempdir().unwrap();
    let env = [
        ("HELMWASM_CACHE_DIR", cache.path().to_str().unwrap()),
        ("HELMWASM_OFFLINE", ""),
    ];
    let run = helmwasm_with(dir.path(), &["template"], &env);
    fails_with(&run, &["but the repository index says ffff"]);
    assert!(
        !cache.path().join("charts").exists()
            || std::fs::read_dir(cache.path().join("charts"))
                .unwrap()
                .all(|e| !e.unwrap().file_name().to_string_lossy().ends_with(".tgz"))
    );
}

#[test]
fn versions_not_in_the_index_are_an_error_listing_the_ones_there() {
    let (repo, dir, cache) = repo_project("1.91.0");
    let env = [
        ("HELMWASM_CACHE_DIR", cache.path().to_str().unwrap()),
        ("HELMWASM_OFFLINE", ""),
    ];
    let run = helmwasm_with(dir.path(), &["template"], &env);
    assert_eq!(run.code, 1);
    assert!(
        run.stderr
            .contains("chart `airflow` version `1.91.0` is not in the repository"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("(it has 1.19.0)"), "{}", run.stderr);
    // A range picks the newest match.
    let dir = project(&airflow_from(&repo.url, "~1.19"));
    let run = helmwasm_with(dir.path(), &["template", "--strict"], &env);
    assert_eq!(run.code, 0, "{}", run.stderr);
}

/// The chart generates a JWT secret with `randAlphaNum` on every render, and the pod templates
/// carry its checksum; for the test pipelines here, which do not run the `airflow-keys` step,
/// comparisons replace just those checksums. Secret data itself is redacted in the stream.
pub fn normalise(stream: &str) -> String {
    stream
        .lines()
        .map(|l| match l.split_once("checksum/jwt-secret: ") {
            Some((head, _)) => format!("{head}checksum/jwt-secret: <generated by the chart>"),
            None => l.to_owned(),
        })
        .collect::<Vec<_>>()
        .join("\n")
        + "\n"
}

#[test]
fn without_helm_the_airflow_secret_table_still_checks_the_values() {
    let chart = fixture("airflow-chart/airflow-1.19.0.tgz");
    let text = format!(
        "releases:\n- name: airflow\n  namespace: airflow\n  chart: {}\n  values:\n  - postgresql: {{enabled: false}}\n    data: {{metadataSecretName: prod-mydatabase}}\n",
        chart.display()
    );
    let dir = project(&text);
    let empty = tempfile::tempdir().unwrap();
    let env = [
        ("HELMWASM_HELM", ""),
        ("PATH", empty.path().to_str().unwrap()),
        ("HELMWASM_OFFLINE", "1"),
    ];
    let run = helmwasm_with(dir.path(), &["template"], &env);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr.contains(
            "data.metadataSecretName: references Secret `prod-mydatabase`, which no step emits"
        ),
        "{}",
        run.stderr
    );
    let listed = project(&text.replace(
        "  values:\n",
        "  existingSecrets: [prod-mydatabase]\n  values:\n",
    ));
    let run = helmwasm_with(listed.path(), &["template"], &env);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stderr.contains("helm was not found on PATH"),
        "{}",
        run.stderr
    );
}

#[test]
fn helm_3_and_helm_4_give_the_same_render() {
    let (helm4, helm3) = (tool("helm"), tool("helm3"));
    let dir = project(&refs_pipeline(LISTED));
    let mut outputs = Vec::new();
    for helm in [&helm4, &helm3] {
        let run = template(dir.path(), &["--helm", helm.to_str().unwrap()]);
        assert_eq!(run.code, 0, "{}: {}", helm.display(), run.stderr);
        outputs.push(run.stdout);
    }
    assert_eq!(outputs[0], outputs[1]);
    // The Airflow example renders with Helm 3 as well, every reference resolving.
    let example = crate::full_render::example_with_fixture_chart();
    let run = helmwasm(
        example.path(),
        &[
            "template",
            "-e",
            "prod",
            "--strict",
            "--helm",
            helm3.to_str().unwrap(),
        ],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.contains("kind: Deployment"));
}

/// helm renders while the final values are checked: when the check fails, helm is stopped,
/// not waited for, and the check's error is the one reported.
#[test]
fn helm_is_stopped_when_the_final_values_fail_their_check() {
    use std::os::unix::fs::PermissionsExt;
    let bin = tempfile::tempdir().unwrap();
    let helm = bin.path().join("helm");
    std::fs::write(
        &helm,
        format!(
            "#!/bin/sh\ncase \"$1\" in\n  version) echo v3.15.0 ;;\n  template) echo $$ > '{dir}/started'; sleep 15; echo done > '{dir}/finished' ;;\nesac\n",
            dir = bin.path().display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&helm, std::fs::Permissions::from_mode(0o755)).unwrap();
    let dir = project(&format!(
        "releases:\n- name: airflow\n  namespace: airflow\n  chart: {}\n",
        fixture("airflow-chart/airflow-1.19.0.tgz").display()
    ));
    let run = helmwasm(
        dir.path(),
        &[
            "template",
            "--helm",
            helm.to_str().unwrap(),
            "--set",
            "workers.keda.enabled=sometimes",
        ],
    );
    fails_with(
        &run,
        &["values.schema.json of chart", "workers.keda.enabled: "],
    );
    assert!(
        !bin.path().join("finished").exists(),
        "helmwasm waited for helm to finish"
    );
    // Killed and reaped, if it got as far as writing its pid.
    let pid = std::fs::read_to_string(bin.path().join("started")).unwrap_or_default();
    if !pid.trim().is_empty() {
        assert!(
            !std::path::Path::new(&format!("/proc/{}", pid.trim())).exists(),
            "helm (pid {}) still runs",
            pid.trim()
        );
    }
}

#[test]
fn an_explicit_helm_that_does_not_work_is_an_error() {
    let dir = project(&refs_pipeline(""));
    let run = helmwasm(dir.path(), &["template", "--helm", "/nonexistent/helm"]);
    fails_with(
        &run,
        &["--helm (or HELMWASM_HELM) /nonexistent/helm: cannot run it"],
    );
}

#[test]
fn an_oci_chart_is_pulled_with_helm_cached_and_reused_offline() {
    tool("helm");
    let repo = Repo::start();
    repo.serve_oci_chart();
    let reference = format!(
        "oci://{}/charts/airflow",
        repo.url.trim_start_matches("http://")
    );
    let dir = project(&format!(
        "releases:\n- name: airflow\n  namespace: airflow\n  chart: {reference}\n  version: 1.19.0\n  values:\n  - postgresql: {{enabled: false}}\n"
    ));
    let cache = tempfile::tempdir().unwrap();
    let cache_s = cache.path().to_str().unwrap();
    let online = [("HELMWASM_CACHE_DIR", cache_s), ("HELMWASM_OFFLINE", "")];
    let first = helmwasm_with(dir.path(), &["template", "--strict"], &online);
    assert_eq!(first.code, 0, "{}", first.stderr);
    assert!(repo.requests.load(Ordering::SeqCst) > 0);
    assert!(
        first
            .stdout
            .contains("# Source: airflow/templates/scheduler/scheduler-deployment.yaml")
    );
    drop(repo);
    let offline = [("HELMWASM_CACHE_DIR", cache_s), ("HELMWASM_OFFLINE", "1")];
    let second = helmwasm_with(dir.path(), &["template", "--strict"], &offline);
    assert_eq!(second.code, 0, "{}", second.stderr);
    assert_eq!(normalise(&second.stdout), normalise(&first.stdout));
}
