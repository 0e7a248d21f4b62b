//! The sandbox limits: a plugin that loops, hoards memory, traps, panics or recurses fails
//! its step with a clear error naming release, step and plugin — exit 1, quickly, and with
//! nothing written.

use crate::support::{helmwasm, pipeline, project, run_misbehave, test_plugins};

fn assert_contained(mode: &str, limits: &str, cause: &str) {
    let (run, dir) = run_misbehave(&format!("mode: {mode}"), limits);
    assert_eq!(run.code, 1, "mode {mode}: {}", run.stderr);
    assert!(
        run.stderr
            .contains("error: release `airflow` step 1 (`misbehave`) failed\n  caused by: "),
        "mode {mode}: {}",
        run.stderr
    );
    assert!(
        run.stderr.contains(cause),
        "mode {mode}: expected {cause:?} in\n{}",
        run.stderr
    );
    assert!(run.stdout.is_empty());
    assert!(
        !dir.path().join("out").exists(),
        "mode {mode}: a failed run wrote output"
    );
    // Containment, not performance: the step limit plus process start-up, far from a hang.
    assert!(
        run.elapsed < crate::support::WATCHDOG,
        "mode {mode} took {:?}",
        run.elapsed
    );
}

#[test]
fn infinite_loop_hits_the_time_limit() {
    assert_contained(
        "loop",
        "    limits: {timeout: 500ms}\n",
        "the plugin ran past its time limit of 500ms and was stopped",
    );
}

#[test]
fn infinite_loop_hits_the_default_time_limit() {
    assert_contained(
        "loop",
        "",
        "the plugin ran past its time limit of 2s and was stopped",
    );
}

#[test]
fn memory_hoarding_hits_the_memory_limit() {
    assert_contained("alloc", "", "past its limit of 64Mi");
    assert_contained(
        "alloc",
        "    limits: {memory: 16Mi}\n",
        "past its limit of 16Mi",
    );
}

#[test]
fn trap_is_reported() {
    assert_contained(
        "trap",
        "",
        "the plugin crashed: wasm trap: wasm `unreachable` instruction executed",
    );
}

#[test]
fn panic_message_reaches_the_user() {
    assert_contained("panic", "", "misbehave was asked to panic");
}

#[test]
fn runaway_recursion_is_contained() {
    assert_contained("recurse", "", "stack overflow");
}

#[test]
fn plugin_errors_and_bad_output_fail_the_step() {
    assert_contained("plugin-error", "", "invalid values: `executor` must be set");
    assert_contained("bad-manifest", "", "manifest 1 has no `kind`");
    assert_contained(
        "error-diagnostic",
        "",
        "the plugin reported 1 error:\n  - executor: this cannot work",
    );
}

#[test]
fn output_limit_is_enforced() {
    assert_contained(
        "ok",
        "    limits: {output: 1}\n",
        "past the output limit of 1 bytes",
    );
}

#[test]
fn plugin_logs_and_warnings_are_tagged_on_stderr() {
    let (run, _dir) = run_misbehave("mode: log", "");
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        run.stderr.lines().next(),
        Some("[release `airflow` step 1 (`misbehave`)] warn: this is a warning")
    );
    let plugins = test_plugins().to_str().unwrap().to_owned();
    let dir = project(&pipeline("  - plugin: misbehave\n    with: {mode: log}\n"));
    let verbose = helmwasm(dir.path(), &["template", "-v", "--plugin-dir", &plugins]);
    assert!(
        verbose.stderr.contains("info: hello from misbehave"),
        "{}",
        verbose.stderr
    );
    assert!(
        verbose.stderr.contains("stdout:\n    printed to stdout"),
        "{}",
        verbose.stderr
    );
}

/// `helmwasm ARGS` under an address-space limit of 16 GB (`ulimit -v 16000000`), as some CI
/// runners, containers and valgrind set: the instance pool's up-front reservation fails there.
fn under_address_space_limit(cwd: &std::path::Path, args: &[&str]) -> crate::support::Run {
    let started = std::time::Instant::now();
    let mut cmd = std::process::Command::new("bash");
    cmd.current_dir(cwd)
        .arg("-c")
        .arg("ulimit -v 16000000 && exec \"$0\" \"$@\"")
        .arg(env!("CARGO_BIN_EXE_helmwasm"))
        .args(args)
        .env("HELMWASM_CACHE_DIR", crate::support::cache_dir())
        .env("HELMWASM_HELM", crate::support::tool("helm"))
        .env_remove("HELMWASM_OFFLINE");
    let out = cmd.output().unwrap();
    crate::support::Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8(out.stdout).unwrap(),
        stderr: String::from_utf8(out.stderr).unwrap(),
        elapsed: started.elapsed(),
    }
}

/// Under `ulimit -v 16000000` helmwasm starts without its instance pool (it used to fail with
/// "cannot create the wasm engine"), says so with `-v`, renders the example in full through
/// real helm, and still holds a plugin to its memory limit.
#[test]
fn it_runs_under_an_address_space_limit() {
    let dir = crate::full_render::example_with_fixture_chart();
    let run = under_address_space_limit(dir.path(), &["template", "-e", "prod", "--strict", "-v"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.contains("kind: ScaledObject"));
    assert!(
        run.stderr
            .contains("info: the wasm instance pool could not be reserved ("),
        "{}",
        run.stderr
    );
    let quiet = under_address_space_limit(dir.path(), &["template", "-e", "prod", "--strict"]);
    assert_eq!(quiet.stdout, run.stdout, "the same render");
    assert!(quiet.stderr.is_empty(), "{}", quiet.stderr);
    // The per-call memory limit is the store's: it holds without the pool.
    let (_, misbehave) = crate::support::run_misbehave("mode: ok", "");
    std::fs::write(
        misbehave.path().join("helmwasm.yaml"),
        crate::support::pipeline(
            "  - plugin: misbehave\n    with: {mode: alloc}\n    limits: {memory: 32Mi}\n",
        ),
    )
    .unwrap();
    let plugins = crate::support::test_plugins().to_str().unwrap().to_owned();
    let run = under_address_space_limit(
        misbehave.path(),
        &["template", "--offline", "--plugin-dir", &plugins],
    );
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr.contains("past its limit of 32"),
        "{}",
        run.stderr
    );
}
