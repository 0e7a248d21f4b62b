//! The review verbs on real pipelines: `diff` (against a folder and a git revision), `lint`
//! (SARIF checked against the OASIS schema, GitHub annotations, secrets only checked for
//! shape), `explain`, `write-values`, `completion`, and `plugin new` built and used.

use crate::full_render::example_with_fixture_chart;
use crate::support::{
    cargo, git, helmwasm, helmwasm_with, pipeline, project, root, run_cargo, test_plugins, tool,
};
use serde_json::Value;
use std::process::Command;

/// Every value under `data` / `stringData` of every Secret in a YAML stream (as helm and
/// helmwasm print them: two-space indented `key: value` lines).
fn secret_values(stream: &str) -> Vec<String> {
    let mut out = Vec::new();
    for doc in stream.split("\n---\n") {
        if !doc.lines().any(|l| l == "kind: Secret") {
            continue;
        }
        let mut in_data = false;
        for line in doc.lines() {
            if line == "data:" || line == "stringData:" {
                in_data = true;
                continue;
            }
            if !line.starts_with("  ") {
                in_data = false;
            }
            if in_data
                && !line.starts_with("   ")
                && let Some((_, v)) = line.trim_start().split_once(": ")
            {
                let v = v.trim_matches(|c| c == '"' || c == '\'');
                if v.len() >= 8 && !v.starts_with('<') && !v.starts_with('|') {
                    out.push(v.to_owned());
                }
            }
        }
    }
    out
}

#[test]
fn diff_of_the_full_render_names_the_changed_secret_key_and_shows_no_secret() {
    tool("helm");
    let dir = example_with_fixture_chart();
    let d = dir.path();
    let run = helmwasm(
        d,
        &[
            "template",
            "-e",
            "prod",
            "--strict",
            "--output-dir",
            "before",
        ],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let diff = |extra: &[&str]| {
        let mut args = vec![
            "diff",
            "-e",
            "prod",
            "--strict",
            "--against",
            "before",
            "--detailed-exitcode",
        ];
        args.extend_from_slice(extra);
        helmwasm(d, &args)
    };
    let same = diff(&[]);
    assert_eq!(same.code, 0, "{}", same.stderr);
    assert_eq!(same.stdout, "Summary: 0 added, 0 changed, 0 removed\n");

    let old_password = std::fs::read_to_string(d.join("credentials/db-password")).unwrap();
    let new_password = "rotated-dummy-password-7f3a";
    std::fs::write(
        d.join("credentials/db-password"),
        format!("{new_password}\n"),
    )
    .unwrap();
    let changed = diff(&[]);
    assert_eq!(changed.code, 2, "changes exit 2:\n{}", changed.stderr);
    let out = &changed.stdout;
    assert!(
        out.contains("airflow, airflow-metadata-db, Secret (v1) has changed:\n"),
        "{out}"
    );
    assert!(
        out.contains("  Secret data keys changed: `connection`\n"),
        "{out}"
    );
    assert!(out.contains("<redacted: old value>") && out.contains("<redacted: new value>"));
    assert!(
        out.contains("Deployment (apps/v1) has changed:"),
        "the pods roll (secret digest): {out}"
    );
    assert!(
        out.ends_with(" removed\n") && out.contains("Summary: 0 added, "),
        "{out}"
    );
    // No secret of either side: not the passwords, not any Secret's data.
    let mut secrets = vec![old_password.trim().to_owned(), new_password.to_owned()];
    for file in ["manifests.yaml", "chart.yaml"] {
        secrets.extend(secret_values(
            &std::fs::read_to_string(d.join("before/airflow").join(file)).unwrap(),
        ));
    }
    let now = helmwasm(d, &["template", "-e", "prod", "--strict", "--show-secrets"]);
    secrets.extend(secret_values(&now.stdout));
    assert!(secrets.len() > 20, "{} secret values found", secrets.len());
    let with_show_secrets = diff(&["--show-secrets"]);
    assert_eq!(with_show_secrets.code, 2);
    for run in [&changed, &with_show_secrets] {
        for s in &secrets {
            assert!(
                !run.stdout.contains(s.as_str()) && !run.stderr.contains(s.as_str()),
                "a secret value ({} chars) is in the diff",
                s.len()
            );
        }
    }
    // Only both flags show Secret data.
    let values = diff(&["--show-secrets", "--show-secret-values"]);
    assert_eq!(values.code, 2);
    assert!(secrets.iter().any(|s| values.stdout.contains(s.as_str())));
    // --show-secret-values alone is refused.
    assert_eq!(diff(&["--show-secret-values"]).code, 1);
}

#[test]
fn diff_against_a_revision_renders_it_from_a_temporary_worktree() {
    let dir = project(&format!(
        "{}  - plugin: airflow-database\n    with: {{host: h, database: d, user: u, password: ref+file://pw, sslmode: require}}\n  values:\n  - values.yaml\n",
        pipeline("")
    ));
    let d = dir.path();
    std::fs::write(d.join("pw"), "first-dummy-password\n").unwrap();
    std::fs::write(
        d.join("values.yaml"),
        "config:\n  core:\n    parallelism: 32\n",
    )
    .unwrap();
    git(d, &["init", "-q"]);
    git(d, &["add", "."]);
    git(d, &["commit", "-qm", "one"]);
    let run = helmwasm(d, &["diff", "--against-rev", "HEAD", "--detailed-exitcode"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout
            .ends_with("Summary: 0 added, 0 changed, 0 removed\n")
    );

    std::fs::write(
        d.join("values.yaml"),
        "config:\n  core:\n    parallelism: 64\n",
    )
    .unwrap();
    std::fs::write(d.join("pw"), "second-dummy-password\n").unwrap();
    let run = helmwasm(
        d,
        &[
            "diff",
            "--against-rev",
            "HEAD",
            "--detailed-exitcode",
            "-C",
            "0",
        ],
    );
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stdout
            .contains("airflow, airflow, Values (helmwasm) has changed:\n"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains("@@ -3 +3 @@\n-     parallelism: 32\n+     parallelism: 64\n"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains("Secret data keys changed: `connection`"),
        "{}",
        run.stdout
    );
    assert!(!run.stdout.contains("dummy-password"), "{}", run.stdout);
    // The worktree is gone, and the repository's own files are untouched.
    assert_eq!(git(d, &["worktree", "list"]).lines().count(), 1);
    assert_eq!(
        git(d, &["status", "--porcelain"]),
        " M pw\n M values.yaml\n"
    );

    // Colour only when asked for (the tests' stdout is not a terminal), and NO_COLOR wins over
    // auto but not over an explicit --color always.
    assert!(!run.stdout.contains('\x1b'));
    let coloured = helmwasm(d, &["diff", "--against-rev", "HEAD", "--color", "always"]);
    assert!(
        coloured.stdout.contains("\x1b[32m+     parallelism: 64"),
        "{}",
        coloured.stdout
    );
    let no_color = helmwasm_with(
        d,
        &["diff", "--against-rev", "HEAD"],
        &[("NO_COLOR", "1"), ("HELMWASM_OFFLINE", "1")],
    );
    assert!(!no_color.stdout.contains('\x1b') && no_color.code == 0);

    let bad = helmwasm(d, &["diff", "--against-rev", "no-such-rev"]);
    assert_eq!(bad.code, 1);
    assert!(
        bad.stderr.contains("`no-such-rev` is not a revision"),
        "{}",
        bad.stderr
    );
}

fn case(name: &str) -> std::path::PathBuf {
    root().join("tests/cases").join(name)
}

#[test]
fn lint_sarif_validates_against_the_sarif_2_1_0_schema() {
    let schema_file = root().join("target/tools/sarif-schema-2.1.0.json");
    let text = std::fs::read_to_string(&schema_file).unwrap_or_else(|_| {
        panic!(
            "missing {}: run `bash tests/tools/get-sarif-schema.sh` (the README's test command does)",
            schema_file.display()
        )
    });
    let schema: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(
        schema["$id"],
        "https://raw.githubusercontent.com/oasis-tcs/sarif-spec/master/Schemata/sarif-schema-2.1.0.json"
    );
    for (name, code) in [
        ("rule-warnings-keda-executor-sslmode", 1),
        ("mistake-schema-violation", 1),
        ("bad-input-yaml-syntax", 1),
        ("rule-ok-logs-on-efs", 0),
    ] {
        let run = helmwasm(&case(name), &["lint", "--output", "sarif"]);
        assert_eq!(run.code, code, "{name}: {}", run.stderr);
        let log: Value = serde_json::from_str(&run.stdout).expect("SARIF is JSON");
        // Python's jsonschema (installed by tests/setup) is the validator: it checks the
        // schema itself against draft-07, then the log against the schema.
        let check = crate::support::python3()
            .args([
                "-c",
                "import json, sys, jsonschema\nschema = json.load(open(sys.argv[1]))\njsonschema.Draft7Validator.check_schema(schema)\nerrors = [f'{list(e.absolute_path)}: {e.message}' for e in jsonschema.Draft7Validator(schema).iter_errors(json.load(sys.stdin))]\nprint('\\n'.join(errors))\nsys.exit(1 if errors else 0)",
            ])
            .arg(&schema_file)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("python3 is installed (tests/setup)");
        use std::io::Write as _;
        let mut child = check;
        child
            .stdin
            .take()
            .unwrap()
            .write_all(run.stdout.as_bytes())
            .unwrap();
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "{name}: the SARIF log does not validate:\n{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(log["version"], "2.1.0");
        let results = log["runs"][0]["results"].as_array().unwrap();
        if code == 1 {
            assert!(results.iter().any(|r| r["level"] == "error"), "{name}");
            assert!(
                results.iter().all(|r| {
                    r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"].is_string()
                }),
                "{name}: every result has a file"
            );
        }
        let rules = log["runs"][0]["tool"]["driver"]["rules"]
            .as_array()
            .unwrap();
        for r in results {
            let i = r["ruleIndex"].as_u64().unwrap() as usize;
            assert_eq!(rules[i]["id"], r["ruleId"]);
        }
    }
}

#[test]
fn lint_github_annotations_carry_file_and_line() {
    let run = helmwasm(
        &case("mistake-loadbalancer-default-password"),
        &["lint", "--output", "github"],
    );
    assert_eq!(run.code, 1, "{}", run.stderr);
    let line = run
        .stdout
        .lines()
        .find(|l| l.contains("HW0311"))
        .expect("the exposed password is an annotation");
    assert!(
        line.starts_with("::error file=helmwasm.yaml,line=7,title=HW0311 weak-admin-password::release `airflow` step 1 (`airflow-ui`): "),
        "{line}"
    );
    // A values-file key is annotated at its own line.
    let run = helmwasm(
        &case("rule-warnings-keda-executor-sslmode"),
        &["lint", "-o", "github"],
    );
    assert!(
        run.stdout.lines().any(|l| l.starts_with(
            "::error file=helmwasm.yaml,line=10,title=HW0315 logs-on-block-storage::"
        )),
        "{}",
        run.stdout
    );
    let run = helmwasm(&case("values-duplicate-key"), &["lint", "-o", "github"]);
    assert!(
        run.stdout
            .starts_with("::error file=values.yaml,line=4,col=1,title=HW0102 invalid-values::"),
        "{}",
        run.stdout
    );
}

#[test]
fn lint_json_is_the_documented_schema() {
    let run = helmwasm(
        &case("rule-warnings-keda-executor-sslmode"),
        &["lint", "-o", "json"],
    );
    assert_eq!(run.code, 1);
    let doc: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(doc["version"], 1);
    let ds = doc["diagnostics"].as_array().unwrap();
    // The fields the committed docs/diagnostics.md documents (its JSON output table).
    let reference = std::fs::read_to_string(root().join("docs/diagnostics.md")).unwrap();
    let section = reference
        .split("## JSON output")
        .nth(1)
        .and_then(|s| s.split("\n## ").next())
        .expect("docs/diagnostics.md has a JSON output section");
    let mut documented: Vec<&str> = section
        .lines()
        .filter(|l| l.starts_with("| `"))
        .flat_map(|l| {
            l.split('|')
                .nth(1)
                .unwrap_or("")
                .split('`')
                .skip(1)
                .step_by(2)
        })
        .collect();
    documented.sort();
    assert_eq!(documented.len(), 12, "{documented:?}");
    for d in ds {
        let mut keys: Vec<&str> = d.as_object().unwrap().keys().map(String::as_str).collect();
        keys.sort();
        assert_eq!(keys, documented);
    }
    let executor = ds.iter().find(|d| d["code"] == "HW0316").unwrap();
    assert_eq!(executor["severity"], "warning");
    assert_eq!(executor["step"], 1);
    assert_eq!(executor["stage"], "values");
    assert_eq!(executor["plugin"], "celery-workers");
    assert_eq!(executor["path"], "executor");
    assert_eq!(
        doc["summary"]["errors"],
        ds.iter().filter(|d| d["severity"] == "error").count()
    );
}

/// A fork's pull request has no credentials: lint checks references for shape only.
#[test]
fn lint_passes_with_an_unset_env_reference_and_template_does_not() {
    let var = "HELMWASM_TEST_LINT_UNSET_PASSWORD";
    let dir = project(&pipeline(&format!(
        "  - plugin: airflow-database\n    with: {{host: db.example.com, database: d, user: u, password: ref+env://{var}, sslmode: require}}\n"
    )));
    let lint = helmwasm_with(
        dir.path(),
        &["lint"],
        &[(var, ""), ("HELMWASM_OFFLINE", "1")],
    );
    assert_eq!(lint.code, 0, "{}\n{}", lint.stdout, lint.stderr);
    // The warnings: the chart not rendered, and the chart's default admin password on the
    // cluster-internal UI (HW0311).
    assert!(
        lint.stdout
            .ends_with("lint: 0 errors, 2 warnings, 0 notes\n"),
        "{}",
        lint.stdout
    );
    assert!(
        lint.stdout.contains("warning[HW0311 weak-admin-password]"),
        "{}",
        lint.stdout
    );
    assert!(
        lint.stdout.contains("HW0401 chart-not-rendered"),
        "{}",
        lint.stdout
    );
    let strict = helmwasm_with(
        dir.path(),
        &["lint", "--fail-on", "warning"],
        &[(var, ""), ("HELMWASM_OFFLINE", "1")],
    );
    assert_eq!(strict.code, 1, "--fail-on warning fails on the warning");
    let template = helmwasm_with(
        dir.path(),
        &["template"],
        &[(var, ""), ("HELMWASM_OFFLINE", "1")],
    );
    assert_eq!(template.code, 1);
    assert!(
        template
            .stderr
            .contains(&format!("environment variable `{var}` is not set"))
    );
    let resolved = helmwasm_with(
        dir.path(),
        &["lint", "--resolve-secrets", "-o", "json"],
        &[(var, ""), ("HELMWASM_OFFLINE", "1")],
    );
    assert_eq!(resolved.code, 1);
    assert!(
        resolved.stdout.contains("\"code\":\"HW0104\""),
        "{}",
        resolved.stdout
    );
    // A malformed reference fails lint too.
    std::fs::write(
        dir.path().join("helmwasm.yaml"),
        pipeline("  - plugin: airflow-database\n    with: {host: h, database: d, user: u, password: ref+vault://x, sslmode: require}\n"),
    )
    .unwrap();
    let bad = helmwasm(dir.path(), &["lint", "-o", "github"]);
    assert_eq!(bad.code, 1);
    assert!(
        bad.stdout.contains("HW0104 unresolved-secret-reference"),
        "{}",
        bad.stdout
    );
}

#[test]
fn lint_goes_on_without_a_step_that_failed_on_a_placeholder() {
    // A step that takes a token no placeholder shape fits: HW0204, and the release goes on
    // without it: the later step runs (its warning shows), and what the checks find is a
    // warning.
    let plugins = test_plugins().to_str().unwrap();
    let text = |token: &str| {
        format!(
            "{}  - plugin: misbehave\n    with: {{mode: needs-token, secret: {token}}}\n  - plugin: celery-workers\n    with: {{executor: CeleryExecutor}}\n  values:\n  - {{executor: KubernetesExecutor, logs: {{persistence: {{enabled: true, storageClassName: gp3}}}}}}\n",
            pipeline("")
        )
    };
    let lint = ["lint", "-o", "json", "--plugin-dir", plugins];
    let dir = project(&text("ref+file://key"));
    let run = helmwasm(dir.path(), &lint);
    assert_eq!(run.code, 0, "{}", run.stdout);
    let doc: Value = serde_json::from_str(&run.stdout).unwrap();
    let codes: Vec<&str> = doc["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["code"].as_str().unwrap())
        .collect();
    assert!(codes.contains(&"HW0204"), "{codes:?}");
    assert!(
        codes.contains(&"HW0316"),
        "the step after it ran: {codes:?}"
    );
    let logs = doc["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["code"] == "HW0315")
        .expect("the checks ran");
    assert_eq!(logs["severity"], "warning");
    assert!(
        logs["message"]
            .as_str()
            .unwrap()
            .contains("step 1 (`misbehave`) did not run for want of secrets"),
        "{logs}"
    );
    assert_eq!(doc["summary"]["errors"], 0);
    // The same mistake written out is the step's own error, and the checks' errors stay errors.
    std::fs::write(dir.path().join("helmwasm.yaml"), text("not-a-token")).unwrap();
    let run = helmwasm(dir.path(), &lint);
    assert_eq!(run.code, 1, "{}", run.stdout);
    assert!(run.stdout.contains("\"code\":\"HW0201\""), "{}", run.stdout);
    assert!(
        !run.stdout.contains("\"code\":\"HW0204\""),
        "{}",
        run.stdout
    );
    // template never goes on without a step.
    std::fs::write(dir.path().join("key"), "not a token either\n").unwrap();
    std::fs::write(dir.path().join("helmwasm.yaml"), text("ref+file://key")).unwrap();
    assert_eq!(
        helmwasm(dir.path(), &["template", "--plugin-dir", plugins]).code,
        1
    );
}

#[test]
fn lint_tells_a_placeholder_failure_from_the_steps_own_by_reshaping() {
    // git-sync takes lint's placeholder for a key only in the shape of a key file: lint runs it
    // again so, and goes on with that run; its check errors stay errors.
    let text = |key: &str, known_hosts: &str| {
        format!(
            "{}  - plugin: git-sync\n    with: {{repo: 'git@github.com:o/r.git', ssh: {{privateKey: {key}, knownHosts: '{known_hosts} ssh-ed25519 AAAA'}}}}\n  values:\n  - {{logs: {{persistence: {{enabled: true, storageClassName: gp3}}}}}}\n",
            pipeline("")
        )
    };
    let dir = project(&text("ref+file://key", "github.com"));
    let run = helmwasm(dir.path(), &["lint", "-v"]);
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    assert!(run.stdout.contains("HW0315"), "{}", run.stdout);
    assert!(!run.stdout.contains("HW0204"), "{}", run.stdout);
    assert!(
        run.stderr
            .contains("failed on lint's secret placeholders and passed with them shaped as an OpenSSH private key"),
        "{}",
        run.stderr
    );
    // Past the key, the step's own mistake (known hosts of another host) is the step's
    // error, as in template, and names no placeholder.
    std::fs::write(
        dir.path().join("helmwasm.yaml"),
        text("ref+file://key", "gitlab.com"),
    )
    .unwrap();
    let run = helmwasm(dir.path(), &["lint"]);
    assert_eq!(run.code, 1, "{}", run.stdout);
    assert!(run.stdout.contains("HW0201"), "{}", run.stdout);
    assert!(
        run.stdout
            .contains("`ssh.knownHosts` has no key for `github.com`"),
        "{}",
        run.stdout
    );
    assert!(!run.stdout.contains("placeholder"), "{}", run.stdout);
}

#[test]
fn explain_names_the_chart_default_and_the_step_that_changed_it() {
    tool("helm");
    // Chart 1.19, where the step writes `workers.keda.enabled`, a key with a chart default.
    let dir = crate::full_render::example_with_chart("1.19.0");
    let run = helmwasm(
        dir.path(),
        &["explain", "workers.keda.enabled", "-e", "prod"],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let step = std::fs::read_to_string(dir.path().join("helmwasm.yaml"))
        .unwrap()
        .split("\n      - plugin: ")
        .skip(1)
        .position(|s| s.starts_with("keda-autoscaling"))
        .unwrap()
        + 1;
    assert_eq!(
        run.stdout,
        format!(
            "release `airflow`: workers.keda.enabled\n   1. chart default (airflow 1.19.0)  false\n   2. step {step} (keda-autoscaling)       true\n  final (chart defaults coalesced): true\n  schema type: boolean\n  schema description: Allow KEDA autoscaling.\n"
        )
    );
    let run = helmwasm(dir.path(), &["explain", "scheduler.replicas", "-e", "prod"]);
    assert!(
        run.stdout
            .contains("   2. environment values values/prod.yaml:3  2\n"),
        "{}",
        run.stdout
    );
    // A secret is redacted at every point.
    let run = helmwasm(dir.path(), &["explain", "--all", "-e", "prod"]);
    assert_eq!(run.code, 0);
    assert!(run.stdout.contains("PATH") && run.stdout.contains("SET BY"));
    let password = std::fs::read_to_string(dir.path().join("credentials/admin-password")).unwrap();
    assert!(!run.stdout.contains(password.trim()));
}

#[test]
fn write_values_writes_each_release_values_only() {
    let dir = project(&pipeline(
        "  - plugin: airflow-database\n    with: {host: h, database: d, user: u, password: pw-dummy-123456, sslmode: require}\n",
    ));
    let run = helmwasm(
        dir.path(),
        &[
            "write-values",
            "--output-file-template",
            "out/{{environment}}/{{release}}.yaml",
        ],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stderr.ends_with("wrote out/default/airflow.yaml\n"),
        "{}",
        run.stderr
    );
    let values = std::fs::read_to_string(dir.path().join("out/default/airflow.yaml")).unwrap();
    let template = helmwasm(dir.path(), &["template", "--output-dir", "t"]);
    assert_eq!(template.code, 0);
    assert_eq!(
        values,
        std::fs::read_to_string(dir.path().join("t/airflow/values.yaml")).unwrap()
    );
    let run = helmwasm(dir.path(), &["write-values", "--output-dir", "flat"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(dir.path().join("flat/airflow.yaml").is_file());
    assert_eq!(
        std::fs::read_dir(dir.path().join("flat")).unwrap().count(),
        1
    );
}

#[test]
fn completion_scripts_name_the_verbs() {
    let dir = tempfile::tempdir().unwrap();
    for shell in ["bash", "zsh", "fish"] {
        let run = helmwasm(dir.path(), &["completion", shell]);
        assert_eq!(run.code, 0, "{}", run.stderr);
        for verb in ["template", "diff", "lint", "explain", "write-values"] {
            assert!(run.stdout.contains(verb), "{shell}: {verb}");
        }
    }
    let bash = helmwasm(dir.path(), &["completion", "bash"]);
    let check = Command::new("bash")
        .arg("-n")
        .arg("-c")
        .arg(&bash.stdout)
        .output()
        .unwrap();
    assert!(
        check.status.success(),
        "bash -n: {}",
        String::from_utf8_lossy(&check.stderr)
    );
}

/// `plugin new` writes a crate that builds as-is: its unit test passes natively, it builds
/// for wasm32-wasip2, and a pipeline uses it.
#[test]
fn plugin_new_builds_and_runs_in_a_pipeline() {
    let work = root().join("target/plugin-new");
    let dir = work.join("org-pause");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&work).unwrap();
    let sdk = root().join("plugins/sdk");
    let run = helmwasm(
        &work,
        &[
            "plugin",
            "new",
            "org-pause",
            "--sdk-path",
            sdk.to_str().unwrap(),
        ],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout
            .starts_with("created plugin `org-pause` in org-pause\n"),
        "{}",
        run.stdout
    );
    for f in [
        "Cargo.toml",
        ".cargo/config.toml",
        "src/lib.rs",
        "README.md",
    ] {
        assert!(dir.join(f).is_file(), "{f}");
    }
    // Its own lock file, shared build folder (so reruns are incremental).
    let target = work.join("target");
    let mut test = cargo();
    test.current_dir(&dir)
        .args(["test", "--quiet", "--target-dir"])
        .arg(&target);
    run_cargo(test, "the scaffold's unit test");
    let mut build = cargo();
    build
        .current_dir(&dir)
        .args([
            "build",
            "--release",
            "--target",
            "wasm32-wasip2",
            "--target-dir",
        ])
        .arg(&target);
    run_cargo(build, "the scaffold");
    let plugins = work.join("plugins");
    std::fs::create_dir_all(&plugins).unwrap();
    std::fs::copy(
        target.join("wasm32-wasip2/release/org_pause.wasm"),
        plugins.join("org_pause.wasm"),
    )
    .unwrap();
    let project = project(&pipeline(
        "  - plugin: org-pause\n    with: {paused: false}\n",
    ));
    let run = helmwasm(
        project.path(),
        &["template", "--plugin-dir", plugins.to_str().unwrap()],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout
            .contains("config:\n  core:\n    dags_are_paused_at_creation: false\n"),
        "{}",
        run.stdout
    );
    // An existing folder is never overwritten.
    let again = helmwasm(&work, &["plugin", "new", "org-pause"]);
    assert_eq!(again.code, 1);
    assert!(
        again.stderr.contains("exists and is not empty"),
        "{}",
        again.stderr
    );
    let bad = helmwasm(&work, &["plugin", "new", "Org_Pause"]);
    assert_eq!(bad.code, 1);
}
