//! Failure isolation and determinism: one failing release stops the run (or, with
//! `--keep-going`, only itself), `--output-dir` is untouched whenever anything failed, and
//! renders are byte-identical run after run, whatever order a plugin folder lists its files in.

use crate::support::{helmwasm, project, root, test_plugin, test_plugins};

fn three_releases() -> String {
    let release = |name: &str, mode: &str| {
        format!(
            "  - name: {name}\n    namespace: airflow\n    chart: apache-airflow/airflow\n    version: 1.19.0\n    steps:\n      - plugin: misbehave\n        with: {{mode: {mode}}}\n"
        )
    };
    format!(
        "releases:\n{}{}{}",
        release("first", "log"),
        release("broken", "trap"),
        release("last", "log")
    )
}

#[test]
fn without_keep_going_the_run_stops_at_the_first_failed_release() {
    let dir = project(&three_releases());
    let plugins = test_plugins().to_str().unwrap().to_owned();
    let run = helmwasm(dir.path(), &["template", "--plugin-dir", &plugins]);
    assert_eq!(run.code, 1);
    assert!(run.stdout.is_empty(), "{}", run.stdout);
    assert!(
        run.stderr
            .contains("[release `first` step 1 (`misbehave`)] warn"),
        "{}",
        run.stderr
    );
    assert!(
        !run.stderr.contains("release `last`"),
        "the run went on: {}",
        run.stderr
    );
    assert!(run.stderr.ends_with("error: release `broken` step 1 (`misbehave`) failed\n  caused by: the plugin crashed: wasm trap: wasm `unreachable` instruction executed\n"), "{}", run.stderr);
}

#[test]
fn with_keep_going_the_other_releases_render_and_the_exit_code_is_still_1() {
    let dir = project(&three_releases());
    let plugins = test_plugins().to_str().unwrap().to_owned();
    let run = helmwasm(
        dir.path(),
        &["template", "--keep-going", "--plugin-dir", &plugins],
    );
    assert_eq!(run.code, 1);
    assert!(
        run.stdout.contains("# Source: first/values.yaml"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("# Source: last/values.yaml"),
        "{}",
        run.stdout
    );
    assert!(!run.stdout.contains("broken/"), "{}", run.stdout);
    assert!(
        run.stderr
            .contains("error: release `broken` step 1 (`misbehave`) failed"),
        "{}",
        run.stderr
    );
}

#[test]
fn output_dir_is_left_exactly_as_it_was_when_anything_failed() {
    let dir = project(&three_releases());
    let out = dir.path().join("out");
    std::fs::create_dir_all(out.join("first")).unwrap();
    std::fs::write(out.join("first/values.yaml"), "previous: render\n").unwrap();
    let plugins = test_plugins().to_str().unwrap().to_owned();
    for extra in [&[][..], &["--keep-going"][..]] {
        let mut args = vec![
            "template",
            "--output-dir",
            "out",
            "--plugin-dir",
            plugins.as_str(),
        ];
        args.extend_from_slice(extra);
        let run = helmwasm(dir.path(), &args);
        assert_eq!(run.code, 1, "{extra:?}");
        assert!(
            run.stderr
                .contains("note: nothing was written to out: 1 release(s) failed"),
            "{extra:?}: {}",
            run.stderr
        );
        assert_eq!(
            std::fs::read_to_string(out.join("first/values.yaml")).unwrap(),
            "previous: render\n"
        );
        let entries: Vec<_> = std::fs::read_dir(&out)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(entries, ["first"], "{extra:?}");
    }
}

#[test]
fn twenty_renders_are_byte_identical() {
    let example = root().join("examples/airflow-eks");
    let first = helmwasm(&example, &["template", "-e", "prod", "--show-secrets"]);
    assert_eq!(first.code, 0, "{}", first.stderr);
    for i in 1..20 {
        let again = helmwasm(&example, &["template", "-e", "prod", "--show-secrets"]);
        assert!(again.stdout == first.stdout, "render {i} differs");
    }
}

#[test]
fn plugin_folder_order_does_not_change_the_output() {
    let text = "releases:\n  - name: a\n    namespace: ns\n    chart: repo/c\n    version: 1.0.0\n    steps:\n      - plugin: pause-dags\n      - plugin: misbehave\n        with: {mode: clock-random}\n";
    let mut outputs = Vec::new();
    for names in [["a.wasm", "b.wasm"], ["z.wasm", "m.wasm"]] {
        let dir = project(text);
        std::fs::create_dir(dir.path().join("p")).unwrap();
        // Created in opposite orders and with names that sort differently.
        std::fs::copy(
            test_plugin("misbehave"),
            dir.path().join("p").join(names[1]),
        )
        .unwrap();
        std::fs::copy(
            test_plugin("pause-dags"),
            dir.path().join("p").join(names[0]),
        )
        .unwrap();
        let run = helmwasm(dir.path(), &["template", "--plugin-dir", "p"]);
        assert_eq!(run.code, 0, "{}", run.stderr);
        outputs.push(run.stdout);
    }
    assert_eq!(outputs[0], outputs[1]);
}

#[test]
fn a_corrupt_or_deleted_compile_cache_is_rebuilt() {
    let example = root().join("examples/airflow-eks");
    let cache = tempfile::tempdir().unwrap();
    let run = |cache: &std::path::Path| {
        std::process::Command::new(env!("CARGO_BIN_EXE_helmwasm"))
            .env("HELMWASM_OFFLINE", "1")
            .current_dir(&example)
            .args(["template", "--show-secrets", "--cache-dir"])
            .arg(cache)
            .output()
            .unwrap()
    };
    let first = run(cache.path());
    assert!(first.status.success());
    let entries: Vec<_> = std::fs::read_dir(cache.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert!(!entries.is_empty(), "the cache was not written");
    for e in &entries {
        std::fs::write(e, b"garbage").unwrap();
    }
    let corrupt = run(cache.path());
    assert!(
        corrupt.status.success(),
        "{}",
        String::from_utf8_lossy(&corrupt.stderr)
    );
    assert_eq!(corrupt.stdout, first.stdout);
    std::fs::remove_dir_all(cache.path()).unwrap();
    let deleted = run(cache.path());
    assert!(deleted.status.success());
    assert_eq!(deleted.stdout, first.stdout);
}

/// Instances come from a pool whose memory is reset in place between calls (kept resident, not
/// handed back to the kernel): no call may see what an earlier one left in memory, in the same
/// release or another, with one thread or several. The `remember` mode searches its whole
/// linear memory for the mark earlier calls leave (in a static and on the heap) and checks
/// that its search finds its own.
#[test]
fn no_call_sees_what_an_earlier_call_left_in_memory() {
    let release = |name: &str| {
        let step = "      - plugin: misbehave\n        with: {mode: remember, secret: left-behind-by-an-earlier-call}\n";
        format!(
            "  - name: {name}\n    namespace: airflow\n    chart: apache-airflow/airflow\n    version: 1.19.0\n    steps:\n{}",
            step.repeat(3)
        )
    };
    let text = format!(
        "releases:\n{}{}{}",
        release("a"),
        release("b"),
        release("c")
    );
    let dir = project(&text);
    let plugins = test_plugins().to_str().unwrap().to_owned();
    for threads in ["1", "2"] {
        let run = helmwasm(
            dir.path(),
            &[
                "template",
                "--plugin-dir",
                &plugins,
                "--concurrency",
                threads,
            ],
        );
        assert_eq!(run.code, 0, "{}", run.stderr);
        assert_eq!(
            run.stdout.matches("sawOwnMark: true").count(),
            3,
            "the search finds a mark (one line per release; later steps keep it): {}",
            run.stdout
        );
        assert!(
            !run.stdout.contains("leaked"),
            "a call saw an earlier call's memory ({threads} threads): {}",
            run.stdout
        );
    }
}
