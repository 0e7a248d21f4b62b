//! Secrets stay secret: a canary secret fed through env and file references must not appear —
//! raw, base64 or percent-encoded — in stdout or stderr of any CLI path unless
//! `--show-secrets` was asked for.

use crate::support::{cache_dir, fixture, pipeline, project, test_plugins};
use base64::Engine as _;
use std::path::Path;
use std::process::Command;

const CANARY: &str = "CANARY-s3cr3t@x/y?z#1%";
const URL: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

fn forms() -> Vec<String> {
    let b64 = base64::engine::general_purpose::STANDARD;
    let pct = percent_encoding::utf8_percent_encode(CANARY, percent_encoding::NON_ALPHANUMERIC)
        .to_string();
    let url = percent_encoding::utf8_percent_encode(CANARY, URL).to_string();
    vec![
        CANARY.to_owned(),
        b64.encode(CANARY),
        b64.encode(CANARY).trim_end_matches('=').to_owned(),
        pct,
        url,
    ]
}

/// The canary as a whole file, inside a YAML file, and as a line of an SSH key.
fn write_canary_files(dir: &Path) {
    std::fs::write(dir.join("canary.txt"), format!("{CANARY}\n")).unwrap();
    std::fs::write(
        dir.join("canary.yaml"),
        format!("db:\n  password: \"{CANARY}\"\n"),
    )
    .unwrap();
    std::fs::write(
        dir.join("key"),
        format!(
            "-----BEGIN OPENSSH PRIVATE KEY-----\n{}\n-----END OPENSSH PRIVATE KEY-----\n",
            CANARY.replace(['@', '/', '?', '#', '%'], "A")
        ),
    )
    .unwrap();
}

struct Out {
    code: i32,
    stdout: String,
    stderr: String,
}

/// Run with the canary in `HW_CANARY` and in the file `canary.txt` of the project.
fn run(dir: &Path, args: &[&str]) -> Out {
    write_canary_files(dir);
    let out = Command::new(env!("CARGO_BIN_EXE_helmwasm"))
        .env("HELMWASM_OFFLINE", "1")
        .current_dir(dir)
        .args(args)
        .env("HELMWASM_CACHE_DIR", cache_dir())
        .env("HW_CANARY", CANARY)
        .output()
        .unwrap();
    Out {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into(),
        stderr: String::from_utf8_lossy(&out.stderr).into(),
    }
}

fn assert_no_leak(what: &str, out: &Out) {
    let mut forms = forms();
    forms.push(CANARY.replace(['@', '/', '?', '#', '%'], "A")); // the key line
    for form in forms {
        assert!(
            !out.stdout.contains(&form),
            "{what}: stdout leaks {form:?}:\n{}",
            out.stdout
        );
        assert!(
            !out.stderr.contains(&form),
            "{what}: stderr leaks {form:?}:\n{}",
            out.stderr
        );
    }
}

const DB_STEP: &str = "  - plugin: airflow-database\n    with: {host: db, database: airflow, user: airflow, password: ref+env://HW_CANARY}\n  - plugin: git-sync\n    with:\n      repo: git@github.com:example/dags.git\n      ssh: {privateKey: ref+file://key, knownHosts: github.com ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl}\n";

fn with_values(steps: &str, values: &str) -> String {
    pipeline(steps).replace("  steps:\n", &format!("  values:\n{values}  steps:\n"))
}

#[test]
fn a_successful_template_shows_no_secret_unless_asked() {
    let text = with_values(
        DB_STEP,
        "  - {createUserJob: {defaultUser: {password: ref+file://canary.yaml#/db/password}}}\n",
    );
    let dir = project(&text);
    for args in [&["template"][..], &["template", "-v"], &["template", "-vv"]] {
        let out = run(dir.path(), args);
        assert_eq!(out.code, 0, "{}", out.stderr);
        assert!(
            out.stdout.contains("password: \"<redacted>\""),
            "{}",
            out.stdout
        );
        assert!(
            out.stdout.contains("connection: \"<redacted>\""),
            "{}",
            out.stdout
        );
        assert_no_leak(&format!("{args:?}"), &out);
    }
    // The positive control: the same run with --show-secrets does show it, and says so once.
    let shown = run(dir.path(), &["template", "--show-secrets"]);
    assert!(shown.stdout.contains(CANARY), "{}", shown.stdout);
    assert_eq!(
        shown.stderr.matches("--show-secrets").count(),
        1,
        "{}",
        shown.stderr
    );
}

#[test]
fn output_dir_writes_real_data_privately_and_prints_none() {
    let text = with_values(
        DB_STEP,
        "  - {createUserJob: {defaultUser: {password: ref+env://HW_CANARY}}}\n",
    );
    let dir = project(&text);
    let out = run(dir.path(), &["template", "--output-dir", "out"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_no_leak("--output-dir", &out);
    let values = std::fs::read_to_string(dir.path().join("out/airflow/values.yaml")).unwrap();
    assert!(
        values.contains(CANARY),
        "the written values are the real ones"
    );
    #[cfg(unix)]
    for file in ["values.yaml", "manifests.yaml"] {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir.path().join("out/airflow").join(file))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600, "{file}");
    }
}

#[test]
fn a_plugin_that_logs_prints_and_panics_with_its_config_leaks_nothing() {
    let plugins = test_plugins().to_str().unwrap().to_owned();
    for secret in ["ref+env://HW_CANARY", "ref+file://canary.txt"] {
        for panic in [false, true] {
            let steps =
                format!("  - plugin: misbehave\n    with: {{mode: leak, secret: {secret}}}\n");
            let dir = project(&pipeline(&steps));
            if panic {
                std::fs::write(
                    dir.path().join("helmwasm.yaml"),
                    pipeline(&steps.replace("HW_CANARY", "HW_PANIC")),
                )
                .unwrap();
            }
            let mut cmd = vec!["template", "-vv", "--plugin-dir", plugins.as_str()];
            let out = if panic {
                // A secret containing "panic" makes the plugin panic with its config.
                write_canary_files(dir.path());
                let o = Command::new(env!("CARGO_BIN_EXE_helmwasm"))
                    .env("HELMWASM_OFFLINE", "1")
                    .current_dir(dir.path())
                    .args(&cmd)
                    .env("HELMWASM_CACHE_DIR", cache_dir())
                    .env("HW_PANIC", format!("{CANARY}-panic"))
                    .output()
                    .unwrap();
                Out {
                    code: o.status.code().unwrap(),
                    stdout: String::from_utf8_lossy(&o.stdout).into(),
                    stderr: String::from_utf8_lossy(&o.stderr).into(),
                }
            } else {
                cmd.truncate(4);
                run(dir.path(), &cmd)
            };
            if panic && secret.contains("env") {
                assert_eq!(out.code, 1, "{}", out.stderr);
                assert!(out.stderr.contains("panicking with"), "{}", out.stderr);
            }
            assert!(out.stderr.contains("my config is"), "{}", out.stderr);
            assert_no_leak(&format!("leak {secret} panic={panic}"), &out);
        }
    }
}

#[test]
fn schema_config_and_plugin_errors_leak_nothing() {
    let chart = fixture("airflow-chart");
    // The chart schema rejects the value and would quote it.
    let text = with_values(
        "  - plugin: celery-workers\n",
        "  - {workers: {keda: {enabled: ref+env://HW_CANARY}}}\n",
    )
    .replace(
        "  values:\n",
        &format!("  schema: {{chartDir: {}}}\n  values:\n", chart.display()),
    );
    let out = run(project(&text).path(), &["template"]);
    assert_eq!(out.code, 1);
    assert!(
        out.stderr
            .contains("workers.keda.enabled: \"<redacted>\" is not of type \"boolean\""),
        "{}",
        out.stderr
    );
    assert_no_leak("schema error", &out);
    // A config schema error on a referenced value.
    let steps = "  - plugin: airflow-database\n    with: {host: db, database: a, user: a, password: a, port: ref+env://HW_CANARY}\n";
    let out = run(project(&pipeline(steps)).path(), &["template"]);
    assert_eq!(out.code, 1);
    assert!(
        out.stderr
            .contains("with.port: value is not of type \"integer\""),
        "{}",
        out.stderr
    );
    assert_no_leak("config error", &out);
    // A plugin error message that quotes the (invalid) value.
    let steps = "  - plugin: airflow-database\n    with: {host: ref+env://HW_CANARY, database: a, user: a, password: a}\n";
    let out = run(project(&pipeline(steps)).path(), &["template"]);
    assert_eq!(out.code, 1);
    assert!(
        out.stderr.contains("`host` must be a bare host name"),
        "{}",
        out.stderr
    );
    assert_no_leak("plugin error", &out);
}

#[test]
fn bad_references_name_the_reference_never_a_value() {
    let cases = [
        (
            "ref+env://HW_NOT_SET",
            "`ref+env://HW_NOT_SET`: environment variable `HW_NOT_SET` is not set",
        ),
        (
            "ref+file://nope.txt",
            "`ref+file://nope.txt`: cannot read nope.txt: no such file",
        ),
        (
            "ref+file://canary.yaml#/db/user",
            "`ref+file://canary.yaml#/db/user`: canary.yaml has no value at `/db/user`",
        ),
        (
            "ref+file://canary.txt#/x",
            "`ref+file://canary.txt#/x`: canary.txt is not valid YAML or JSON",
        ),
        ("ref+vault://x", "unknown reference scheme `vault`"),
    ];
    for (reference, expected) in cases {
        let steps = format!(
            "  - plugin: airflow-database\n    with: {{host: db, database: a, user: a, password: \"{reference}\"}}\n"
        );
        let out = run(project(&pipeline(&steps)).path(), &["template"]);
        assert_eq!(out.code, 1, "{reference}");
        assert!(
            out.stderr.starts_with("error: cannot resolve the secret references of release `airflow` step 1\n  caused by: releases[0].steps[0].with.password: "),
            "{reference}: {}",
            out.stderr
        );
        assert!(out.stderr.contains(expected), "{reference}: {}", out.stderr);
        assert_no_leak(reference, &out);
    }
}

#[test]
fn other_cli_paths_leak_nothing() {
    let dir = project(&pipeline(DB_STEP));
    let paths: [&[&str]; 6] = [
        &["plugins", "list", "-f", "helmwasm.yaml"],
        &["template", "-l", "name=other"],
        &["template", "-e", "staging"],
        &["template", "--bogus"],
        &["template", "-q"],
        &["template", "--no-cache"],
    ];
    for args in paths {
        let out = run(dir.path(), args);
        assert_no_leak(&format!("{args:?}"), &out);
    }
}

#[test]
fn the_example_prints_none_of_its_dummy_secrets() {
    let example = crate::support::root().join("examples/airflow-eks");
    let dummies = [
        "DUMMY-p@ss/word",
        "DUMMY-change-me-admin-password",
        "DUMMY-KEY-FOR-THE-EXAMPLE-NOT-A-REAL-KEY",
    ];
    for env in ["dev", "prod"] {
        let out = Command::new(env!("CARGO_BIN_EXE_helmwasm"))
            .env("HELMWASM_OFFLINE", "1")
            .current_dir(&example)
            .args(["template", "-e", env])
            .env("HELMWASM_CACHE_DIR", cache_dir())
            .output()
            .unwrap();
        assert!(out.status.success());
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        for d in dummies {
            let b64 = base64::engine::general_purpose::STANDARD.encode(d);
            let pct = percent_encoding::utf8_percent_encode(d, URL).to_string();
            for form in [d.to_owned(), b64, pct] {
                assert!(!text.contains(&form), "{env}: {form:?} printed");
            }
        }
    }
}

#[test]
fn references_in_set_are_resolved_once_for_every_release_and_redacted() {
    let release = |name: &str| {
        format!(
            "  - name: {name}\n    namespace: airflow\n    chart: apache-airflow/airflow\n    version: 1.19.0\n"
        )
    };
    let dir = project(&format!("releases:\n{}{}", release("one"), release("two")));
    let args = [
        "template",
        "--set",
        "createUserJob.defaultUser.password=ref+env://HW_CANARY",
    ];
    let out = run(dir.path(), &args);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(
        out.stdout.matches("password: \"<redacted>\"").count(),
        2,
        "{}",
        out.stdout
    );
    assert_no_leak("--set reference", &out);
    let shown = run(dir.path(), &[&args[..], &["--show-secrets"]].concat());
    assert_eq!(shown.stdout.matches(CANARY).count(), 2, "{}", shown.stdout);
}
