//! What a plugin can do while staying inside its limits, and why it does not hurt: hangs in
//! host calls, host memory, floods, terminal escapes, what a step may emit, randomness,
//! metadata. Memory is proven with the peak RSS the process under test reports
//! (`HELMWASM_REPORT_PEAK_RSS=1`); the deadline itself, with a hand-driven epoch (no wall
//! clock), is the runtime crate's test (`host/crates/runtime/tests/sandbox.rs`).

use crate::support::{
    WATCHDOG, cache_dir, helmwasm, helmwasm_with, peak_rss, pipeline, project, run_misbehave,
    test_artifact, test_plugin, test_plugins,
};

fn no_raw_controls(text: &str) {
    for (byte, name) in [(0x1b, "ESC"), (0x07, "BEL"), (b'\r', "CR")] {
        assert!(
            !text.as_bytes().contains(&byte),
            "a raw {name} reached the terminal:\n{text}"
        );
    }
    for c in ['\u{202e}', '\u{200b}', '\u{2067}', '\u{2069}'] {
        assert!(
            !text.contains(c),
            "a raw U+{:04X} reached the output:\n{text}",
            c as u32
        );
    }
    assert!(
        !text
            .lines()
            .any(|l| l.starts_with("error: release `airflow` failed")),
        "a plugin forged a line:\n{text}"
    );
}

#[test]
fn sleeping_uses_the_time_budget_without_taking_time() {
    // Sleeps are virtual: a plugin may sleep most of its budget and succeed, and sleeping
    // past it fails at once (no real hour, no hang), in `run` and with a loop of short sleeps.
    let (run, _d) = run_misbehave("mode: sleep-for, iterations: 1900", "");
    assert_eq!(run.code, 0, "{}", run.stderr);
    for (with, limits) in [
        ("mode: sleep-for, iterations: 2100", ""),
        ("mode: sleep", ""),
        ("mode: sleep-loop", "    limits: {timeout: 500ms}\n"),
    ] {
        let (run, _d) = run_misbehave(with, limits);
        assert_eq!(run.code, 1, "{with}: {}", run.stderr);
        assert!(
            run.stderr.contains("ran past its time limit"),
            "{with}: {}",
            run.stderr
        );
        assert!(run.elapsed < WATCHDOG, "{with}: {:?}", run.elapsed);
    }
}

#[test]
fn a_metadata_call_that_hangs_fails_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(
        test_artifact("sleepy-metadata"),
        dir.path().join("sleepy.wasm"),
    )
    .unwrap();
    let run = helmwasm(dir.path(), &["plugins", "list", "--plugin-dir", "."]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr.contains("cannot load plugin ./sleepy.wasm")
            && run
                .stderr
                .contains("`metadata()` failed: the plugin ran past its time limit of 1s"),
        "{}",
        run.stderr
    );
    assert!(run.elapsed < WATCHDOG);
}

#[test]
fn host_memory_stays_bounded_by_the_limits() {
    // 100,000 log lines of 1 MiB: each line is cut to 4 KiB as it arrives.
    let (run, _d) = run_misbehave("mode: big-logs", "    limits: {timeout: 30s}\n");
    let peak = peak_rss(&run);
    assert!(peak < 300 << 20, "100,000 logs of 1 MiB: {peak} bytes");
    // Four steps, each returning about 15 MiB of small manifests.
    let step = |i: usize| {
        format!(
            "  - plugin: misbehave\n    with: {{mode: many-manifests, iterations: 50000, port: 200, secret: s{i}}}\n    limits: {{memory: 256Mi, timeout: 60s}}\n"
        )
    };
    let dir = project(&pipeline(&(0..4).map(step).collect::<String>()));
    let plugins = test_plugins().to_str().unwrap().to_owned();
    let run = helmwasm_with(
        dir.path(),
        &["template", "--plugin-dir", &plugins, "--output-dir", "out"],
        &[("HELMWASM_OFFLINE", "1"), ("HELMWASM_REPORT_PEAK_RSS", "1")],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let manifests = std::fs::metadata(dir.path().join("out/airflow/manifests.yaml"))
        .unwrap()
        .len();
    assert!(
        manifests > 4 * (12 << 20),
        "about 15 MiB a step: {manifests} bytes written"
    );
    let peak = peak_rss(&run);
    assert!(
        peak < 1 << 30,
        "four steps of 15 MiB of manifests: {peak} bytes"
    );
    // More maps and lists than the host will parse for one step: refused before parsing.
    let (run, _d) = run_misbehave(
        "mode: many-manifests, iterations: 150000",
        "    limits: {memory: 256Mi, timeout: 60s}\n",
    );
    assert_eq!(run.code, 1);
    assert!(
        run.stderr
            .contains("maps and lists in its values and manifests, past the limit of 200000"),
        "{}",
        run.stderr
    );
}

#[test]
fn floods_of_diagnostics_and_errors_stay_small_on_stderr() {
    let (run, _d) = run_misbehave("mode: many-diagnostics", "");
    assert_eq!(run.code, 0, "{}", run.stderr);
    // At most 1,000 diagnostics or 64 KiB of their text per call, plus each line's tag.
    assert!(
        run.stderr.len() < 192 << 10,
        "{} bytes on stderr",
        run.stderr.len()
    );
    assert!(
        run.stderr.contains(
            "more diagnostics dropped (0 of them errors; the limit is 1000 or 64 KiB per call)"
        ),
        "{}",
        &run.stderr[run.stderr.len().saturating_sub(300)..]
    );
    let (run, _d) = run_misbehave("mode: huge-error", "");
    assert_eq!(run.code, 1);
    assert!(
        run.stderr.len() < 1 << 20,
        "{} bytes on stderr",
        run.stderr.len()
    );
}

#[test]
fn plugin_text_cannot_drive_the_terminal() {
    for extra in ["", ", iterations: 1"] {
        for verbose in [false, true] {
            let dir = project(&pipeline(&format!(
                "  - plugin: misbehave\n    with: {{mode: control-chars{extra}}}\n"
            )));
            let plugins = test_plugins().to_str().unwrap().to_owned();
            let mut args = vec!["template", "--plugin-dir", plugins.as_str()];
            if verbose {
                args.push("-vv");
            }
            let run = helmwasm(dir.path(), &args);
            assert!(
                run.stderr.contains("bell\\x07 esc\\x1b[31mred"),
                "{}",
                run.stderr
            );
            no_raw_controls(&run.stderr);
            no_raw_controls(&run.stdout);
            if extra.is_empty() {
                // In the values on stdout, escaped as YAML reads them back.
                assert!(
                    run.stdout.contains(
                        "trojan: \"admin\\u202eexe.txt \\u200bx \\u2067y\\u2069 \\u202e\""
                    ),
                    "{}",
                    run.stdout
                );
            }
        }
    }
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(test_artifact("evil-metadata"), dir.path().join("evil.wasm")).unwrap();
    let list = helmwasm(dir.path(), &["plugins", "list", "--plugin-dir", "."]);
    assert_eq!(list.code, 0, "{}", list.stderr);
    assert!(list.stdout.contains("innocent\\x1b[2J"), "{}", list.stdout);
    no_raw_controls(&list.stdout);
    std::fs::remove_file(dir.path().join("evil.wasm")).unwrap();
    std::fs::copy(test_artifact("evil-name"), dir.path().join("name.wasm")).unwrap();
    let refused = helmwasm(dir.path(), &["plugins", "list", "--plugin-dir", "."]);
    assert_eq!(refused.code, 1);
    assert!(
        refused
            .stderr
            .contains("plugin name `evil\\x1b[31mname\\nerror: forged` is invalid"),
        "{}",
        refused.stderr
    );
    no_raw_controls(&refused.stderr);
}

fn emit(objects: &str, allow: &str) -> crate::support::Run {
    let dir = project(&pipeline(&format!(
        "  - plugin: emit-objects\n{allow}    with:\n      objects:\n{objects}"
    )));
    let plugins = test_plugins().to_str().unwrap().to_owned();
    helmwasm(dir.path(), &["template", "--plugin-dir", &plugins])
}

#[test]
fn a_step_emits_only_what_the_pipeline_grants() {
    let crb = "      - {apiVersion: rbac.authorization.k8s.io/v1, kind: ClusterRoleBinding, metadata: {name: all-admin}, roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cluster-admin}, subjects: [{kind: Group, name: 'system:serviceaccounts', apiGroup: rbac.authorization.k8s.io}]}\n";
    let run = emit(crb, "");
    assert_eq!(run.code, 1);
    assert!(
        run.stderr.contains("manifest 1 (ClusterRoleBinding `all-admin`, step 1 `emit-objects`): a step may emit only Secrets and ConfigMaps unless the pipeline grants more"),
        "{}",
        run.stderr
    );
    let run = emit(crb, "    allow: {kinds: [ClusterRoleBinding]}\n");
    assert_eq!(run.code, 1);
    assert!(
        run.stderr.contains("ClusterRoleBinding is cluster-scoped"),
        "{}",
        run.stderr
    );
    let run = emit(
        crb,
        "    allow: {kinds: [ClusterRoleBinding], clusterScoped: true}\n",
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.contains("kind: ClusterRoleBinding"));
    let run = emit(
        "      - {apiVersion: v1, kind: Secret, metadata: {name: s, namespace: kube-system}, stringData: {a: b}}\n",
        "",
    );
    assert_eq!(run.code, 1);
    assert!(
        run.stderr
            .contains("outside the release namespace `airflow`"),
        "{}",
        run.stderr
    );
    let run = emit(
        "      - {apiVersion: v1, kind: Namespace, metadata: {name: other}}\n",
        "",
    );
    assert_eq!(run.code, 1);
    let run = emit(
        "      - {apiVersion: v1, kind: Secret, metadata: {name: s}, data: {password: 'not base64!'}}\n",
        "",
    );
    assert_eq!(run.code, 1);
    assert!(
        run.stderr
            .contains("is a Secret whose `data.password` is not base64"),
        "{}",
        run.stderr
    );
}

fn secure_random(seed: Option<&str>) -> crate::support::Run {
    let head = if seed.is_some() {
        "randomSeed: ref+env://TEST_SEED\n"
    } else {
        ""
    };
    let dir = project(&format!(
        "{head}{}",
        pipeline("  - plugin: misbehave\n    with: {mode: secure-random}\n")
    ));
    let plugins = test_plugins().to_str().unwrap().to_owned();
    helmwasm_with(
        dir.path(),
        &["template", "--plugin-dir", &plugins],
        &[("HELMWASM_OFFLINE", "1"), ("TEST_SEED", seed.unwrap_or(""))],
    )
}

#[test]
fn secure_randomness_comes_from_the_pipeline_seed() {
    let run = secure_random(None);
    assert_eq!(run.code, 1);
    assert!(
        run.stderr
            .contains("asked for secure random bytes, and the pipeline sets no `randomSeed`"),
        "{}",
        run.stderr
    );
    let a = secure_random(Some("first-seed-0123456789abcdef"));
    let b = secure_random(Some("first-seed-0123456789abcdef"));
    let c = secure_random(Some("other-seed-0123456789abcdef"));
    assert_eq!(a.code, 0, "{}", a.stderr);
    let bytes = |r: &crate::support::Run| {
        r.stdout
            .lines()
            .find_map(|l| l.trim().strip_prefix("secureRandom: "))
            .map(str::to_owned)
            .expect("the plugin's bytes")
    };
    assert_eq!(bytes(&a), bytes(&b), "same seed, same bytes");
    assert_ne!(bytes(&a), bytes(&c), "another seed, other bytes");
    assert_eq!(bytes(&a).len(), 64);
    let short = secure_random(Some("short"));
    assert_eq!(short.code, 1);
    assert!(
        short
            .stderr
            .contains("randomSeed: the seed has 5 characters"),
        "{}",
        short.stderr
    );
}

#[test]
fn metadata_is_read_once_per_component_and_cached() {
    let cache = tempfile::tempdir().unwrap();
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(test_plugin("pause-dags"), dir.path().join("p.wasm")).unwrap();
    let env = [("HELMWASM_CACHE_DIR", cache.path().to_str().unwrap())];
    let first = helmwasm_with(dir.path(), &["plugins", "list", "--plugin-dir", "."], &env);
    assert_eq!(first.code, 0, "{}", first.stderr);
    let meta: Vec<_> = std::fs::read_dir(cache.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_string_lossy().ends_with(".meta.json"))
        .collect();
    assert!(!meta.is_empty(), "metadata stored beside the compiled code");
    // Proof that the next run reads the cache instead of calling metadata(): an edited entry
    // is what it shows. (The cache is trusted like the binary; see SECURITY.md.)
    for m in &meta {
        let text = std::fs::read_to_string(m).unwrap();
        std::fs::write(
            m,
            text.replace("Pause new DAGs at creation", "FROM THE CACHE"),
        )
        .unwrap();
    }
    let second = helmwasm_with(dir.path(), &["plugins", "list", "--plugin-dir", "."], &env);
    assert!(
        second.stdout.contains("FROM THE CACHE"),
        "{}",
        second.stdout
    );
    let _ = cache_dir();
}

#[test]
fn exit_is_one_clear_line() {
    let (run, _d) = run_misbehave("mode: exit", "");
    assert_eq!(run.code, 1);
    assert!(
        run.stderr.contains(
            "caused by: the plugin exited (WASI exit, status 1) instead of returning a response"
        ),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains("backtrace"), "{}", run.stderr);
}

#[test]
fn output_limits_past_what_the_runtime_copies_are_refused() {
    let dir = project(&pipeline(
        "  - plugin: pause-dags\n    limits: {output: 2Gi}\n",
    ));
    let run = helmwasm(dir.path(), &["template"]);
    assert_eq!(run.code, 1);
    assert!(
        run.stderr
            .contains("releases[0].steps[0].limits.output: may be at most 1Gi"),
        "{}",
        run.stderr
    );
}

#[test]
fn redaction_covers_templates_panics_and_warns_about_short_secrets() {
    // A value a `.hbs` template reads with `env` is a secret of the run.
    let dir = project(&pipeline("").replace("  steps:\n", "  values: [values.yaml.hbs]\n"));
    std::fs::write(
        dir.path().join("values.yaml.hbs"),
        "token: {{env \"HBS_TOKEN\"}}\n",
    )
    .unwrap();
    let env = [
        ("HELMWASM_OFFLINE", "1"),
        ("HBS_TOKEN", "hbs-secret-value-42"),
    ];
    let run = helmwasm_with(dir.path(), &["template"], &env);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.contains("token: <redacted>"), "{}", run.stdout);
    assert!(!run.stdout.contains("hbs-secret-value-42"));
    // A host panic's message goes through the redactor, and the default hook prints nothing.
    let run = helmwasm_with(
        dir.path(),
        &["template"],
        &[
            ("HELMWASM_OFFLINE", "1"),
            ("HBS_TOKEN", "hbs-secret-value-42"),
            ("HELMWASM_DEBUG_PANIC_WITH", "boom hbs-secret-value-42"),
        ],
    );
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains("helmwasm panicked: boom <redacted>"),
        "{}",
        run.stderr
    );
    assert!(
        !run.stderr.contains("hbs-secret-value-42") && !run.stderr.contains("panicked at"),
        "{}",
        run.stderr
    );
    // A short secret is masked everywhere its characters appear: said once, without the value.
    let dir = project(&pipeline("").replace(
        "  steps:\n",
        "  values:\n  - {branch: ref+env://SHORT, note: mainline}\n",
    ));
    let run = helmwasm_with(
        dir.path(),
        &["template"],
        &[("HELMWASM_OFFLINE", "1"), ("SHORT", "main")],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stderr.contains("warning: `ref+env://SHORT` resolved to a secret of only 4 characters: it is masked as `<redacted>` wherever those characters appear"),
        "{}",
        run.stderr
    );
    assert!(
        run.stdout.contains("note: <redacted>line"),
        "{}",
        run.stdout
    );
    assert!(!run.stderr.contains("main"), "{}", run.stderr);
}

/// Map keys and list items are bounded per step, not only maps and lists: one map of 1.2
/// million keys (588 MiB for one step before) is refused before it is parsed; just under the
/// bound, the host's memory is what SECURITY.md says (measured here, bounded generously).
#[test]
fn values_held_for_a_step_are_bounded_by_keys() {
    let limits = "    limits: {memory: 512Mi, timeout: 60s, output: 64Mi}\n";
    let (run, _d) = run_misbehave("mode: many-keys", limits);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr.contains(
            "map keys and list items in its values and manifests, past the limit of 400000 per step"
        ),
        "{}",
        run.stderr
    );
    let dir = project(&pipeline(&format!(
        "  - plugin: misbehave\n    with: {{mode: many-keys, iterations: 390000}}\n{limits}"
    )));
    let plugins = test_plugins().to_str().unwrap().to_owned();
    let run = helmwasm_with(
        dir.path(),
        &["template", "--plugin-dir", &plugins, "--output-dir", "out"],
        &[("HELMWASM_OFFLINE", "1"), ("HELMWASM_REPORT_PEAK_RSS", "1")],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let peak = peak_rss(&run);
    eprintln!("390,000 keys in one step: peak RSS {} MiB", peak >> 20);
    assert!(peak < 1 << 30, "{peak} bytes");
}

/// A secret resolved from `ref+file` appears in no form Helm's template functions or
/// helmwasm's writers give it, in any output: `template`, `diff`, `lint` (every format),
/// `explain`, and helm's `fail` message. The chart (`tests/charts/secret-forms`) prints it
/// base64-encoded inside `usr:`, `user:` and `login:` (the three alignments), `urlquery`'d,
/// `toYaml`'d, `toJson`'d and `quote`d.
#[test]
fn a_secret_is_redacted_in_every_form_helm_gives_it() {
    use base64::Engine as _;
    crate::support::tool("helm");
    for secret in [
        "S3cr3t pw/+:x",
        "a\"b\\c\td\u{7f}e\u{2028}f<&>long-one",
        "correct horse battery staple and a very long passphrase that goes on and on past eighty columns",
    ] {
        let dir = project(&format!(
            "releases:\n- name: r\n  namespace: forms\n  chart: {}\n  values:\n  - pw: ref+file://pw\n",
            crate::support::root()
                .join("tests/charts/secret-forms")
                .display()
        ));
        std::fs::write(dir.path().join("pw"), secret).unwrap();
        let b64 = |s: &str| base64::engine::general_purpose::STANDARD.encode(s);
        // What must not appear: the secret, and each encoding's part that holds only it.
        let mut leaks = vec![secret.to_owned()];
        // Any part of a long one (`toYaml` folds it across two lines).
        if secret.len() > 40 {
            leaks.push(secret[10..30].to_owned());
        }
        for prefix in ["usr:", "user:", "login:"] {
            let e = b64(&format!("{prefix}{secret}"));
            leaks.push(e[8..e.len() - 4].to_owned());
        }
        let query: String = secret
            .bytes()
            .map(|b| match b {
                b' ' => "+".to_owned(),
                b if b.is_ascii_alphanumeric() || b"-._~".contains(&b) => (b as char).to_string(),
                b => format!("%{b:02X}"),
            })
            .collect();
        leaks.push(query);
        let json = serde_json::to_string(secret).unwrap();
        leaks.push(json[1..json.len() - 1].to_owned());
        let empty = tempfile::tempdir().unwrap();
        let against = empty.path().to_str().unwrap();
        let runs = [
            helmwasm(dir.path(), &["template"]),
            helmwasm(dir.path(), &["diff", "--against", against]),
            helmwasm(dir.path(), &["lint", "--resolve-secrets"]),
            helmwasm(dir.path(), &["lint", "--resolve-secrets", "-o", "json"]),
            helmwasm(dir.path(), &["lint", "--resolve-secrets", "-o", "sarif"]),
            helmwasm(dir.path(), &["lint", "--resolve-secrets", "-o", "github"]),
            helmwasm(dir.path(), &["explain", "pw"]),
            helmwasm(dir.path(), &["template", "--set", "fail=true"]),
            helmwasm(
                dir.path(),
                &[
                    "lint",
                    "--resolve-secrets",
                    "--set",
                    "fail=true",
                    "-o",
                    "json",
                ],
            ),
        ];
        assert_eq!(runs[0].code, 0, "{}", runs[0].stderr);
        assert!(runs[0].stdout.contains("basic-1:"), "{}", runs[0].stdout);
        assert_eq!(
            runs[7].code, 1,
            "the chart fails on request: {}",
            runs[7].stderr
        );
        assert!(
            runs[7]
                .stderr
                .contains("the password <redacted> was refused"),
            "{}",
            runs[7].stderr
        );
        for (i, run) in runs.iter().enumerate() {
            for leak in &leaks {
                assert!(
                    !run.stdout.contains(leak.as_str()) && !run.stderr.contains(leak.as_str()),
                    "run {i}: {leak:?} leaked:\n{}\n{}",
                    run.stdout,
                    run.stderr
                );
            }
        }
    }
}

/// The cache folder is private whoever creates it first: a run with `--no-cache` that only
/// caches a chart creates it 0700 too (it used to keep the umask, and compiled plugin code
/// later went into it). An existing folder open to others gets a warning.
#[test]
fn the_cache_folder_is_private_whoever_creates_it() {
    use std::os::unix::fs::PermissionsExt;
    crate::support::tool("helm");
    let (_repo, dir, tmp) = crate::charts::repo_project("1.19.0");
    let cache = tmp.path().join("new").join("cache");
    let cache_s = cache.to_str().unwrap().to_owned();
    let env = [
        ("HELMWASM_CACHE_DIR", cache_s.as_str()),
        ("HELMWASM_OFFLINE", ""),
    ];
    let run = helmwasm_with(dir.path(), &["template", "--no-cache"], &env);
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert!(
        cache.join("charts").exists(),
        "the chart was cached: {}",
        run.stderr
    );
    assert_eq!(mode(&cache), 0o700);
    assert_eq!(mode(&cache.join("charts")), 0o700);
    assert!(
        !run.stderr.contains("is open to its group or others"),
        "{}",
        run.stderr
    );
    std::fs::set_permissions(&cache, std::fs::Permissions::from_mode(0o755)).unwrap();
    let again = helmwasm_with(dir.path(), &["template", "--no-cache"], &env);
    assert!(
        again.stderr.contains(&format!("warning: the cache folder {cache_s} is open to its group or others (mode 755): it holds native code helmwasm runs; `chmod 700` it")),
        "{}",
        again.stderr
    );
}

/// helm's own resources are bounded: a template that builds a huge string stops at the memory
/// bound and the error says so (it used to pass 4 GiB and report an empty cause), and a helm
/// that hangs is stopped at the time bound.
#[test]
fn helm_is_held_to_its_memory_and_time_bounds() {
    use std::os::unix::fs::PermissionsExt;
    crate::support::tool("helm");
    let dir = project(&format!(
        "releases:\n- name: h\n  namespace: h\n  chart: {}\n",
        crate::support::root()
            .join("tests/charts/huge-string")
            .display()
    ));
    let run = helmwasm_with(
        dir.path(),
        &["template", "--helm-memory", "1Gi"],
        &[("HELMWASM_REPORT_PEAK_RSS", "1")],
    );
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr.contains("helm ran out of memory under its limit of 1Gi (raise it with --helm-memory); its last line: fatal error: "),
        "{}",
        run.stderr
    );
    assert!(run.elapsed < crate::support::WATCHDOG);
    // A helm that hangs: stopped at `--helm-timeout`.
    let bin = tempfile::tempdir().unwrap();
    let helm = bin.path().join("helm");
    std::fs::write(
        &helm,
        "#!/bin/sh\ncase \"$1\" in\n  version) echo v3.15.0 ;;\n  template) echo 'rendering…' >&2; exec sleep 30 ;;\nesac\n",
    )
    .unwrap();
    std::fs::set_permissions(&helm, std::fs::Permissions::from_mode(0o755)).unwrap();
    let run = helmwasm(
        dir.path(),
        &[
            "template",
            "--helm",
            helm.to_str().unwrap(),
            "--helm-timeout",
            "1s",
        ],
    );
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr.contains("helm ran past its time limit of 1s and was stopped (raise it with --helm-timeout); its last line: rendering…"),
        "{}",
        run.stderr
    );
    assert!(
        run.elapsed < std::time::Duration::from_secs(20),
        "{:?}",
        run.elapsed
    );
}

/// A 1 MiB text of one big string copied by aliases (few nodes, gigabytes once expanded).
fn string_bomb(head: &str) -> String {
    let big = "x".repeat(1 << 20);
    let mut text = format!("{head}bomb: &a \"{big}\"\ncopies: [");
    for _ in 0..10_000 {
        text.push_str("*a, ");
    }
    text.push_str("]\n");
    text
}

/// String bombs fail small and fast, naming the file: a chart repository's `index.yaml` on
/// 127.0.0.1 and a values file (both once drove the process past 4 GiB).
#[test]
fn string_bombs_fail_small_naming_the_file() {
    let repo = crate::charts::Repo::start();
    repo.files.lock().unwrap().insert(
        "/index.yaml".into(),
        string_bomb("apiVersion: v1\nentries: {}\n").into_bytes(),
    );
    let dir = project(&crate::charts::airflow_from(&repo.url, "1.19.0"));
    let cache = tempfile::tempdir().unwrap();
    let run = helmwasm_with(
        dir.path(),
        &["template"],
        &[
            ("HELMWASM_CACHE_DIR", cache.path().to_str().unwrap()),
            ("HELMWASM_OFFLINE", ""),
            ("HELMWASM_REPORT_PEAK_RSS", "1"),
        ],
    );
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr.contains("index.yaml:")
            && run
                .stderr
                .contains("expands to more than 4.2Mi through aliases"),
        "{}",
        run.stderr
    );
    let peak = crate::support::peak_rss(&run);
    assert!(peak < 300 << 20, "peak RSS {} MiB", peak >> 20);
    assert!(run.elapsed < crate::support::WATCHDOG);
    // A values file.
    let dir = project(
        "releases:\n- name: a\n  namespace: a\n  chart: x/y\n  version: 1.0.0\n  values: [bomb.yaml]\n",
    );
    std::fs::write(dir.path().join("bomb.yaml"), string_bomb("")).unwrap();
    let run = helmwasm_with(
        dir.path(),
        &["template"],
        &[("HELMWASM_REPORT_PEAK_RSS", "1")],
    );
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr.contains("bomb.yaml:2:")
            && run
                .stderr
                .contains("expands to more than 16.6Mi through aliases"),
        "{}",
        run.stderr
    );
    let peak = crate::support::peak_rss(&run);
    assert!(peak < 300 << 20, "peak RSS {} MiB", peak >> 20);
}
