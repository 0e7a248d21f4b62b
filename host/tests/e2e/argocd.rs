//! The Argo CD config management plugin contract: `helmwasm argocd generate` run as the CMP
//! server runs it (the app's folder as working directory, Argo CD's environment, no TTY,
//! stdin closed): manifests only on stdout, the parameters honoured, KUBE_VERSION and
//! KUBE_API_VERSIONS reaching helm, Secret data real on stdout and never on stderr, exit
//! codes as `template`. The sidecar recipe's warm-up command leaves nothing to compile.

/// The example as an Argo CD application: its folder holds the packaged chart too (a run is
/// confined to the repository it renders; here the app's folder is the repository).
fn example_with_fixture_chart() -> tempfile::TempDir {
    let version = crate::full_render::example_version();
    let dir = crate::full_render::example_with_chart(&version);
    let name = format!("airflow-{version}.tgz");
    let fixture = crate::support::fixture(&format!("airflow-chart/{name}"));
    std::fs::copy(&fixture, dir.path().join(&name)).unwrap();
    let pipeline = dir.path().join("helmwasm.yaml");
    let text = std::fs::read_to_string(&pipeline).unwrap().replace(
        &format!("    chart: {}\n", fixture.display()),
        &format!("    chart: ./{name}\n"),
    );
    assert!(text.contains(&format!("    chart: ./{name}\n")));
    std::fs::write(&pipeline, text).unwrap();
    dir
}
use crate::support::{project, root, tool};
use serde_json::Value;
use std::path::Path;
use std::process::{Command, Stdio};

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

/// The generate command as Argo CD's CMP server runs it: a clean environment with Argo CD's
/// variables, `cwd` the application's folder, stdin closed, stdout and stderr pipes.
fn generate(cwd: &Path, cache: &Path, parameters: &str, extra: &[(&str, &str)]) -> Run {
    generate_with(cwd, cache, parameters, extra, &shipped_command())
}

/// The `generate` command's arguments as `deploy/argocd/plugin.yaml` ships them.
fn shipped_command() -> Vec<String> {
    let text =
        std::fs::read_to_string(crate::support::root().join("deploy/argocd/plugin.yaml")).unwrap();
    let plugin = helmwasm::yaml::parse_values(&text, Path::new("plugin.yaml")).unwrap();
    let command: Vec<String> = plugin["spec"]["generate"]["command"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap().to_owned())
        .collect();
    assert_eq!(command[..3], ["helmwasm", "argocd", "generate"]);
    command[1..].to_vec()
}

/// [`generate`] with other arguments (`argocd generate …`).
fn generate_with(
    cwd: &Path,
    cache: &Path,
    parameters: &str,
    extra: &[(&str, &str)],
    args: &[String],
) -> Run {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_helmwasm"));
    cmd.current_dir(cwd)
        .args(args)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", cache)
        .env("HELMWASM_CACHE_DIR", cache)
        .env("HELMWASM_HELM", tool("helm"))
        .env("HELMWASM_OFFLINE", "1")
        .env("ARGOCD_APP_NAME", "airflow-prod")
        .env("ARGOCD_APP_NAMESPACE", "airflow")
        .env("ARGOCD_APP_REVISION", "0123456789abcdef")
        .env("ARGOCD_APP_SOURCE_PATH", ".")
        .env(
            "ARGOCD_APP_SOURCE_REPO_URL",
            "https://git.example.com/org/deploy.git",
        )
        .env("ARGOCD_APP_SOURCE_TARGET_REVISION", "main")
        .env("KUBE_VERSION", "1.29.4")
        .env("KUBE_API_VERSIONS", "v1,apps/v1,batch/v1,example.com/v1")
        .env("ARGOCD_APP_PARAMETERS", parameters)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in extra {
        cmd.env(k, v);
    }
    let out = cmd.output().expect("cannot run helmwasm");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8(out.stdout).unwrap(),
        stderr: String::from_utf8(out.stderr).unwrap(),
    }
}

/// Every document of a stream, read by Python's yaml; each must be a Kubernetes object.
fn kubernetes_objects(stream: &str) -> Vec<Value> {
    let (code, out, err) = crate::support::python(
        "import json, sys, yaml\ndocs = list(yaml.safe_load_all(sys.stdin))\nbad = [d for d in docs if not (isinstance(d, dict) and d.get('apiVersion') and d.get('kind') and (d.get('metadata') or {}).get('name'))]\nassert not bad, bad[:1]\nprint(json.dumps(docs))",
        &[],
        stream,
    );
    assert_eq!(
        code, 0,
        "stdout holds something that is not a Kubernetes object: {err}"
    );
    serde_json::from_str(&out).unwrap()
}

/// Warm a fresh cache as the sidecar image does at build time (`helmwasm plugins
/// precompile`), and return the set of files in it.
fn warm(cache: &Path) -> Vec<String> {
    let dockerfile =
        std::fs::read_to_string(crate::support::root().join("deploy/argocd/Dockerfile")).unwrap();
    assert!(dockerfile.contains("helmwasm plugins precompile"));
    let out = Command::new(env!("CARGO_BIN_EXE_helmwasm"))
        .args(["plugins", "precompile"])
        .env("HELMWASM_CACHE_DIR", cache)
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(
        !cache.join("renders").exists(),
        "the image bakes in no render cache (renders hold Secrets, under a key of their own)"
    );
    files(cache)
}

fn files(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            if p.file_name()
                .is_some_and(|n| n == "charts" || n == "helm" || n == "renders")
            {
                // The chart cache, helm's probed version and the render cache are filled by
                // the first render, by design; compiled plugins are not.
                continue;
            }
            out.extend(files(&p));
        } else {
            out.push(p.strip_prefix(dir).unwrap_or(&p).display().to_string());
        }
    }
    out.sort();
    out
}

#[test]
fn the_cmp_generate_contract_holds_on_the_example() {
    tool("helm");
    let dir = example_with_fixture_chart();
    let cache = tempfile::tempdir().unwrap();
    let warmed = warm(cache.path());
    assert!(warmed.len() > 10, "{warmed:?}");
    let params = r#"[{"name":"environment","string":"prod"},{"name":"set","map":{"config.core.parallelism":"64"}}]"#;
    let started = std::time::Instant::now();
    let run = generate(
        dir.path(),
        cache.path(),
        params,
        &[("ARGOCD_ENV_HELMWASM_ENVIRONMENT", "dev")],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    // The one generous watchdog (60 s), well under Argo CD's 90 s per command; speed is
    // measured in the benchmarks, not here.
    assert!(started.elapsed() < crate::support::WATCHDOG);
    assert_eq!(
        files(cache.path()),
        warmed,
        "the warmed cache held every compiled plugin: generate compiled nothing"
    );
    let objects = kubernetes_objects(&run.stdout);
    assert!(objects.len() > 20);
    // The parameters (over the plugin env's `dev`): prod (the airflow-gitops step ran: no Helm
    // hooks) and --set.
    assert!(!run.stdout.contains("helm.sh/hook"));
    let config = objects
        .iter()
        .find(|o| o["kind"] == "ConfigMap" && o["metadata"]["name"] == "airflow-config")
        .expect("the chart's airflow-config");
    assert!(
        config["data"]["airflow.cfg"]
            .as_str()
            .unwrap()
            .contains("parallelism = 64"),
        "the set parameter reached the chart"
    );
    // Secret data is real (Argo CD applies it) and stays off stderr.
    let password = std::fs::read_to_string(dir.path().join("credentials/db-password")).unwrap();
    let secret = objects
        .iter()
        .find(|o| o["kind"] == "Secret" && o["metadata"]["name"] == "airflow-metadata-db")
        .unwrap();
    use base64::Engine as _;
    let connection = base64::engine::general_purpose::STANDARD
        .decode(secret["data"]["connection"].as_str().unwrap())
        .unwrap();
    // The URL carries the password percent-encoded (RFC 3986 unreserved characters kept).
    let encoded: String = password
        .trim()
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    let connection = String::from_utf8(connection).unwrap();
    assert!(
        connection.contains(&format!(":{encoded}@")),
        "the password is not in the connection URL ({} bytes)",
        connection.len()
    );
    assert!(!run.stderr.contains(password.trim()), "{}", run.stderr);
    // A wrong parameter: exit 1, nothing on stdout, one clear error on stderr.
    let bad = generate(
        dir.path(),
        cache.path(),
        r#"[{"name":"enviroment","string":"prod"}]"#,
        &[],
    );
    assert_eq!(bad.code, 1);
    assert!(bad.stdout.is_empty());
    assert!(
        bad.stderr.starts_with("error: unknown parameter `enviroment` (the helmwasm plugin takes: environment, selectors, set, set-string, file)"),
        "{}",
        bad.stderr
    );
    // Without parameters, the application's plugin env picks the environment: dev keeps the
    // chart's Helm hooks.
    let by_env = generate(
        dir.path(),
        cache.path(),
        "[]",
        &[("ARGOCD_ENV_HELMWASM_ENVIRONMENT", "dev")],
    );
    assert_eq!(by_env.code, 0, "{}", by_env.stderr);
    assert!(by_env.stdout.contains("helm.sh/hook"));
    // A skipped chart is an error under Argo CD (strict): no helm.
    let no_helm = generate(
        dir.path(),
        cache.path(),
        "[]",
        &[("HELMWASM_HELM", "/nonexistent/helm")],
    );
    assert_eq!(no_helm.code, 1, "{}", no_helm.stdout);
    assert!(no_helm.stdout.is_empty());
}

#[test]
fn kube_version_and_api_versions_reach_helm() {
    tool("helm");
    // The chart inside the application's repository (a run is confined to it).
    let dir = project("releases:\n- name: t\n  namespace: apps\n  chart: ./workloads\n");
    let status = Command::new("cp")
        .arg("-r")
        .arg(root().join("tests/charts/workloads"))
        .arg(dir.path())
        .status()
        .unwrap();
    assert!(status.success());
    let cache = tempfile::tempdir().unwrap();
    let run = generate(dir.path(), cache.path(), "[]", &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let objects = kubernetes_objects(&run.stdout);
    let caps = objects
        .iter()
        .find(|o| o["metadata"]["name"] == "t-capabilities")
        .unwrap();
    assert_eq!(caps["data"]["kubeVersion"], "v1.29.4");
    assert_eq!(caps["data"]["hasExampleApi"], "true");
    // `template` takes the same as flags.
    let run = crate::support::helmwasm(
        dir.path(),
        &[
            "template",
            "--kube-version",
            "1.30.1",
            "--api-versions",
            "example.com/v1",
        ],
    );
    assert!(
        run.stdout.contains("kubeVersion: \"v1.30.1\"")
            || run.stdout.contains("kubeVersion: v1.30.1"),
        "{}",
        run.stdout
    );
}

#[test]
fn the_plugin_config_announces_the_parameters_generate_reads() {
    let text = std::fs::read_to_string(root().join("deploy/argocd/plugin.yaml")).unwrap();
    let plugin = helmwasm::yaml::parse_values(&text, Path::new("plugin.yaml")).unwrap();
    assert_eq!(plugin["kind"], "ConfigManagementPlugin");
    assert_eq!(plugin["apiVersion"], "argoproj.io/v1alpha1");
    assert_eq!(plugin["spec"]["discover"]["fileName"], "./helmwasm.yaml");
    assert_eq!(
        plugin["spec"]["generate"]["command"],
        serde_json::json!(["helmwasm", "argocd", "generate", "--allow-file-dir", "."]),
        "the app's own files only: no environment variable, no AWS secret of the sidecar's"
    );
    let announced: Vec<&str> = plugin["spec"]["parameters"]["static"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        announced,
        ["environment", "selectors", "set", "set-string", "file"]
    );
}

/// The Application's author is not trusted with the sidecar: `file` stays in the app's folder,
/// `set` values are literals, and the pipeline's own references resolve only from what the
/// operator allows. Nothing of a refused target reaches stdout or stderr.
#[test]
fn generate_is_confined_to_the_application() {
    tool("helm");
    let dir = example_with_fixture_chart();
    let cache = tempfile::tempdir().unwrap();
    // A file outside the app's folder, holding a marker that must never be printed.
    let outside = tempfile::tempdir().unwrap();
    let marker = "OTHER-TEAM-MARKER-7f3a";
    std::fs::write(
        outside.path().join("helmwasm.yaml"),
        format!("releases: {marker}\n"),
    )
    .unwrap();
    std::os::unix::fs::symlink(
        outside.path().join("helmwasm.yaml"),
        dir.path().join("link.yaml"),
    )
    .unwrap();
    let escape = format!(
        "../{}/helmwasm.yaml",
        outside.path().file_name().unwrap().to_str().unwrap()
    );
    // Relative from the app's folder: both temp folders share a parent.
    assert_eq!(outside.path().parent(), dir.path().parent());
    let refused = |run: &Run, want: &str| {
        assert_eq!(run.code, 1, "{}", run.stderr);
        assert!(run.stdout.is_empty(), "{}", run.stdout);
        assert!(run.stderr.contains(want), "{want}\n{}", run.stderr);
        assert!(
            !run.stderr.contains(marker) && !run.stderr.contains("root:x:"),
            "{}",
            run.stderr
        );
    };
    for (file, want) in [
        (escape.as_str(), "it leaves the application's folder (`..`)"),
        (
            "/etc/passwd",
            "it must name a file inside the application's folder (a relative path)",
        ),
        (
            "link.yaml",
            "it leads out of the application's folder (a symlink)",
        ),
    ] {
        let params = format!(r#"[{{"name":"file","string":"{file}"}}]"#);
        let run = generate(dir.path(), cache.path(), &params, &[]);
        refused(
            &run,
            &format!("parameter `file` `{file}` is refused: {want}"),
        );
        let run = generate(
            dir.path(),
            cache.path(),
            "[]",
            &[("ARGOCD_ENV_HELMWASM_FILE", file)],
        );
        refused(
            &run,
            &format!("ARGOCD_ENV_HELMWASM_FILE `{file}` is refused: {want}"),
        );
    }
    // A `set` value that is a reference to the sidecar's environment.
    let home = cache.path().display().to_string();
    let run = generate(
        dir.path(),
        cache.path(),
        r#"[{"name":"environment","string":"prod"},{"name":"set","map":{"a":"ref+env://HOME"}}]"#,
        &[],
    );
    refused(&run, "the value of `a` looks like a secret reference");
    assert!(!run.stderr.contains(&home));
    // The pipeline's own reference to the sidecar's environment: refused unless allowed.
    let text = std::fs::read_to_string(dir.path().join("helmwasm.yaml")).unwrap();
    let text = text.replace(
        "password: ref+file://credentials/db-password",
        "password: ref+env://SIDECAR_DB_PASSWORD",
    );
    std::fs::write(dir.path().join("helmwasm.yaml"), &text).unwrap();
    let sidecar = [("SIDECAR_DB_PASSWORD", "sidecar-only-secret-91c2")];
    let run = generate(dir.path(), cache.path(), "[]", &sidecar);
    refused(
        &run,
        "`ref+env://SIDECAR_DB_PASSWORD`: not allowed here: the environment variable is not allowed; references resolve only from what the operator allows (environment variables: none)",
    );
    assert!(!run.stderr.contains("sidecar-only-secret-91c2"));
    let mut allowed = shipped_command();
    allowed.extend(["--allow-env".to_owned(), "SIDECAR_*".to_owned()]);
    let run = generate_with(dir.path(), cache.path(), "[]", &sidecar, &allowed);
    assert_eq!(run.code, 0, "{}", run.stderr);
    // A reference to a file outside the allowed folder (the app's own): refused too.
    let text = text.replace(
        "randomSeed: ref+file://credentials/random-seed",
        &format!(
            "randomSeed: ref+file://{}",
            outside.path().join("helmwasm.yaml").display()
        ),
    );
    std::fs::write(dir.path().join("helmwasm.yaml"), &text).unwrap();
    let run = generate_with(dir.path(), cache.path(), "[]", &sidecar, &allowed);
    refused(
        &run,
        "not allowed here: the file is not inside an allowed folder (symlinks resolved)",
    );
    // Nor anything else outside the repository: a values file, and a values template's `env`
    // of the sidecar's environment.
    let text = std::fs::read_to_string(dir.path().join("helmwasm.yaml")).unwrap();
    let outside_values = text.replace(
        "      - values/airflow.yaml\n",
        &format!(
            "      - {}\n",
            outside.path().join("helmwasm.yaml").display()
        ),
    );
    assert_ne!(outside_values, text);
    std::fs::write(dir.path().join("helmwasm.yaml"), &outside_values).unwrap();
    let run = generate_with(dir.path(), cache.path(), "[]", &sidecar, &allowed);
    refused(&run, "values file");
    refused(
        &run,
        "is refused: it is not a file inside the application's folder",
    );
    std::fs::write(
        dir.path().join("values/leak.yaml.hbs"),
        "leak: {{env \"HOST_TOKEN\"}}\n",
    )
    .unwrap();
    let templated = text.replace(
        "      - values/airflow.yaml\n",
        "      - values/airflow.yaml\n      - values/leak.yaml.hbs\n",
    );
    std::fs::write(dir.path().join("helmwasm.yaml"), &templated).unwrap();
    let env = [
        ("HOST_TOKEN", "host-token-5d1e"),
        ("SIDECAR_DB_PASSWORD", "x"),
    ];
    let run = generate_with(dir.path(), cache.path(), "[]", &env, &allowed);
    refused(
        &run,
        "`HOST_TOKEN` is not an environment variable this run may read",
    );
    assert!(!run.stderr.contains("host-token-5d1e"));
}
