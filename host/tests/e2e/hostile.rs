//! The hostile-plugin suite: plugins that try to read files, env or the network, hang,
//! exhaust memory, flood output or return garbage, and artifacts that are not valid plugins.
//! Each ends in a clear error (or a truncation warning for floods) naming plugin, release and
//! step. The limits themselves are proven without wall clocks in `hardening`; here a
//! generous watchdog guards against hangs.

use crate::support::WATCHDOG;
use crate::support::{
    cache_dir, helmwasm, pipeline, project, run_misbehave, test_artifact, test_plugins,
};
use std::time::Duration;

struct Case {
    mode: &'static str,
    extra: &'static str,
    limits: &'static str,
    timeout: Duration,
}

fn run_mode(case: &Case) -> crate::support::Run {
    let (run, dir) = run_misbehave(&format!("mode: {}{}", case.mode, case.extra), case.limits);
    if run.code != 0 {
        assert!(
            !dir.path().join("out").exists(),
            "{}: a failed run wrote output",
            case.mode
        );
    }
    // The limit itself is proven without a wall clock (`hardening::the_deadline_*`); this
    // is only a generous watchdog against a hang.
    assert!(
        run.elapsed < case.timeout + WATCHDOG,
        "{} took {:?}",
        case.mode,
        run.elapsed
    );
    run
}

fn fails_with(
    mode: &'static str,
    extra: &'static str,
    limits: &'static str,
    timeout_s: u64,
    cause: &str,
) -> crate::support::Run {
    let run = run_mode(&Case {
        mode,
        extra,
        limits,
        timeout: Duration::from_secs(timeout_s),
    });
    assert_eq!(run.code, 1, "{mode}: {}", run.stderr);
    assert!(
        run.stderr
            .contains("error: release `airflow` step 1 (`misbehave`) failed\n  caused by: "),
        "{mode}: {}",
        run.stderr
    );
    assert!(
        run.stderr.contains(cause),
        "{mode}: expected {cause:?} in {}",
        run.stderr
    );
    assert!(
        !run.stdout.contains("escaped"),
        "{mode}: sandbox escape: {}",
        run.stdout
    );
    run
}

/// The process under test stayed under 1 GiB.
fn under_a_gibibyte(run: &crate::support::Run) {
    let peak = crate::support::peak_rss(run);
    assert!(peak < 1 << 30, "helmwasm used {peak} bytes");
}

#[test]
fn no_files() {
    fails_with("read-file", "", "", 2, "cannot read /etc/passwd");
    fails_with("write-file", "", "", 2, "cannot write /tmp/helmwasm-escape");
    assert!(!std::path::Path::new("/tmp/helmwasm-escape").exists());
}

#[test]
fn no_environment() {
    fails_with(
        "read-env",
        "",
        "",
        2,
        "no environment: $HOME is not set and there are no variables",
    );
}

#[test]
fn no_network() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let port = listener.local_addr().unwrap().port();
    let extra: &'static str = Box::leak(format!(", port: {port}").into_boxed_str());
    fails_with(
        "tcp",
        extra,
        "",
        2,
        &format!("cannot connect to 127.0.0.1:{port}"),
    );
    assert!(
        matches!(listener.accept(), Err(e) if e.kind() == std::io::ErrorKind::WouldBlock),
        "the plugin reached the listener"
    );
    fails_with("dns", "", "", 2, "cannot resolve localhost");
}

#[test]
fn clocks_and_randomness_cannot_make_renders_differ() {
    let steps = "  - plugin: misbehave\n    with: {mode: clock-random}\n";
    let dir = project(&pipeline(steps));
    let plugins = test_plugins().to_str().unwrap().to_owned();
    let first = helmwasm(dir.path(), &["template", "--plugin-dir", &plugins]);
    assert_eq!(first.code, 0, "{}", first.stderr);
    assert!(
        first.stdout.contains("wallClockNanos: \"0\""),
        "the wall clock is frozen at the epoch:\n{}",
        first.stdout
    );
    std::thread::sleep(Duration::from_millis(20));
    let second = helmwasm(dir.path(), &["template", "--plugin-dir", &plugins]);
    assert_eq!(first.stdout, second.stdout);
}

#[test]
fn output_floods_are_truncated_with_a_warning() {
    for (mode, stream) in [("flood-stdout", "stdout"), ("flood-stderr", "stderr")] {
        let run = run_mode(&Case {
            mode,
            extra: "",
            limits: "    limits: {timeout: 10s}\n",
            timeout: Duration::from_secs(10),
        });
        assert_eq!(run.code, 0, "{mode}: {}", run.stderr);
        let expected = format!(
            "warning: release `airflow` step 1 (`misbehave`): dropped 104792064 bytes of {stream} past the first 65536 (the capture limit)"
        );
        assert!(run.stderr.contains(&expected), "{mode}: {}", run.stderr);
        assert!(
            run.stderr.len() < 4096,
            "{mode}: the flood reached the terminal"
        );
    }
}

#[test]
fn hangs_recursion_and_memory_bombs_are_stopped() {
    fails_with(
        "loop",
        "",
        "    limits: {timeout: 1s}\n",
        1,
        "the plugin ran past its time limit of 1s and was stopped",
    );
    fails_with("recurse", "", "", 2, "stack overflow");
    fails_with("alloc", "", "", 2, "past its limit of 64Mi");
    // 2 GiB asked for by a step allowed 256Mi: stopped at the cap.
    let run = fails_with(
        "alloc",
        "",
        "    limits: {memory: 256Mi}\n",
        2,
        "past its limit of 256Mi",
    );
    under_a_gibibyte(&run);
}

#[test]
fn oversized_and_malformed_responses_are_rejected() {
    let run = fails_with(
        "big-output",
        "",
        // Building 100 MB of JSON takes a while on a busy machine: the property is the
        // output cap, so the time limit is generous.
        "    limits: {memory: 512Mi, timeout: 10s}\n",
        10,
        "more than its output limit of 16Mi allows (values, manifests and diagnostics together; a step can raise it with `limits.output`)",
    );
    under_a_gibibyte(&run);
    fails_with("bad-manifest", "", "", 2, "manifest 1 has no `kind`");
    let plugins = test_plugins().to_str().unwrap().to_owned();
    for (mode, cause) in [
        (
            "invalid-json",
            "the plugin returned values that are not JSON",
        ),
        (
            "not-object",
            "the plugin returned values that are not a map",
        ),
        ("manifest-not-object", "manifest 1 is not a JSON object"),
    ] {
        let dir = project(&pipeline(&format!(
            "  - plugin: hostile-raw\n    with: {{mode: {mode}}}\n"
        )));
        let run = helmwasm(dir.path(), &["template", "--plugin-dir", &plugins]);
        assert_eq!(run.code, 1, "{mode}");
        assert!(
            run.stderr.starts_with(
                "error: release `airflow` step 1 (`hostile-raw`) failed\n  caused by: "
            ),
            "{mode}: {}",
            run.stderr
        );
        assert!(run.stderr.contains(cause), "{mode}: {}", run.stderr);
    }
}

#[test]
fn panics_traps_and_log_floods() {
    fails_with("panic", "", "", 2, "misbehave was asked to panic");
    fails_with("trap", "", "", 2, "wasm `unreachable` instruction executed");
    let run = run_mode(&Case {
        mode: "log-flood",
        extra: "",
        limits: "    limits: {timeout: 20s}\n",
        timeout: Duration::from_secs(20),
    });
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("dropped 999000 more log lines (the limit is 1000 per call)"),
        "{}",
        run.stderr
    );
}

#[test]
fn artifacts_that_are_not_plugins_are_refused_by_file_name() {
    let cases: [(&str, Vec<u8>, &str); 5] = [
        (
            "wrong-wit.wasm",
            std::fs::read(test_artifact("wrong-wit")).unwrap(),
            "does not export a supported world (helmwasm:plugin@0.2.0 or helmwasm:plugin@0.1.0",
        ),
        (
            "extra-import.wasm",
            std::fs::read(test_artifact("extra-import")).unwrap(),
            "imports something the host does not provide",
        ),
        (
            "core.wasm",
            b"\0asm\x01\0\0\0".to_vec(),
            "a core WebAssembly module, not a component",
        ),
        (
            "truncated.wasm",
            std::fs::read(test_artifact("pause-dags")).unwrap()[..4096].to_vec(),
            "failed to parse",
        ),
        (
            "notes.wasm",
            b"this is not wasm".to_vec(),
            "not a WebAssembly file",
        ),
    ];
    for (name, bytes, cause) in cases {
        let dir = project(&pipeline("  - plugin: airflow-database\n"));
        std::fs::create_dir(dir.path().join("p")).unwrap();
        std::fs::write(dir.path().join("p").join(name), bytes).unwrap();
        let run = helmwasm(dir.path(), &["template", "--plugin-dir", "p"]);
        assert_eq!(run.code, 1, "{name}: {}", run.stderr);
        assert!(
            run.stderr
                .starts_with(&format!("error: cannot load plugin p/{name}\n")),
            "{name}: {}",
            run.stderr
        );
        assert!(run.stderr.contains(cause), "{name}: {}", run.stderr);
        let _ = cache_dir();
    }
}
