//! The sandbox through the runtime's own API, with no pipeline around it: each limit ends a
//! call with the error that names it, the plugin sees no files, environment, network or real
//! clock, and the deadline counts epoch ticks (driven by hand here), not wall time.
//!
//! The plugin is `tests/plugins/misbehave`, built once per run for wasm32-wasip2 into the
//! target folder the host's tests build the test plugins in (`target/test-plugins`): the same
//! artifact, built by whichever comes first.

use helmwasm_runtime::sandbox::STDIO_CAPTURE;
use helmwasm_runtime::{CallError, Limits, Plugin, PluginError, ReleaseContext, Request, Runtime};
use helmwasm_runtime::{Response, TICK};
use std::path::{Path, PathBuf};
use std::sync::{OnceLock, mpsc};
use std::time::Duration;

#[path = "../../../../tests/support/cargo.rs"]
mod nested;

/// A hang fails the test instead of the CI job.
const WATCHDOG: Duration = Duration::from_secs(60);

/// `tests/plugins/misbehave`'s component, built once (a nested cargo, without the outer
/// build's flags and target folder).
fn misbehave() -> &'static [u8] {
    static BYTES: OnceLock<Vec<u8>> = OnceLock::new();
    BYTES.get_or_init(|| {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../..");
        let target = root.join("target").join("test-plugins");
        let mut cmd = nested::cargo();
        cmd.current_dir(&root)
            .args(["build", "--release", "--target", "wasm32-wasip2"])
            .arg("--target-dir")
            .arg(&target)
            .args(["-p", "misbehave"]);
        nested::run_cargo(cmd, "tests/plugins/misbehave");
        let wasm: PathBuf = target.join("wasm32-wasip2/release/misbehave.wasm");
        std::fs::read(&wasm).unwrap_or_else(|e| panic!("{}: {e}", wasm.display()))
    })
}

fn request(config: &str) -> Request {
    Request {
        release: ReleaseContext {
            name: "r".into(),
            namespace: "ns".into(),
            chart: "c".into(),
            chart_version: "1.0.0".into(),
            environment: "default".into(),
        },
        values: r#"{"a":1}"#.into(),
        environment_values: "{}".into(),
        config: config.into(),
    }
}

/// One `run` call of misbehave in `mode`, on a runtime with a real ticker.
fn call(
    rt: &Runtime,
    plugin: &Plugin,
    mode: &str,
    limits: Limits,
    key: Option<[u8; 32]>,
) -> Result<Result<Response, PluginError>, CallError> {
    let config = format!(r#"{{"mode":"{mode}"}}"#);
    rt.run(plugin, limits, &request(&config), key).0
}

fn runtime() -> (Runtime, Plugin) {
    let rt = Runtime::new(None).unwrap();
    let plugin = rt.load(misbehave()).unwrap();
    (rt, plugin)
}

#[test]
fn each_limit_ends_the_call_with_the_error_that_names_it() {
    let (rt, plugin) = runtime();
    let limits = Limits::default();
    let ok = call(&rt, &plugin, "ok", limits, None);
    assert_eq!(ok.unwrap().unwrap().values, r#"{"a":1}"#);

    let r = call(&rt, &plugin, "alloc", limits, None);
    assert!(
        matches!(r, Err(CallError::Memory { limit, .. }) if limit == limits.memory),
        "{r:?}"
    );
    // Rust keeps its stack in linear memory: deep recursion runs off its end, and the trap
    // says what that usually means.
    let r = call(&rt, &plugin, "recurse", limits, None);
    assert!(
        matches!(&r, Err(CallError::Trap { trap, .. }) if trap.contains("stack overflow")),
        "{r:?}"
    );
    // `exit(3)`: WASI 0.2's exit carries success or failure only, so the status is 1.
    let r = call(&rt, &plugin, "exit", limits, None);
    assert!(matches!(r, Err(CallError::Exit { code: 1 })), "{r:?}");
    let r = call(&rt, &plugin, "panic", limits, None);
    match r {
        Err(CallError::Trap { stderr, .. }) => {
            assert!(stderr.contains("misbehave was asked to panic"), "{stderr}")
        }
        other => panic!("{other:?}"),
    }
    // A 100 MiB string, within a memory limit that allows it, past the output limit.
    let big = Limits {
        memory: 512 << 20,
        output: 1 << 20,
        ..limits
    };
    let r = call(&rt, &plugin, "big-output", big, None);
    assert!(
        matches!(r, Err(CallError::OutputTooLarge { limit }) if limit == 1 << 20),
        "{r:?}"
    );
    // Sleeping past the budget fails at once: the clock is virtual.
    let started = std::time::Instant::now();
    let r = call(&rt, &plugin, "sleep", limits, None);
    assert!(matches!(r, Err(CallError::Timeout { .. })), "{r:?}");
    assert!(started.elapsed() < WATCHDOG);
}

#[test]
fn a_plugin_sees_no_files_environment_or_network() {
    let (rt, plugin) = runtime();
    for (mode, refused) in [
        ("read-file", "cannot read /etc/passwd"),
        ("write-file", "cannot write /tmp/helmwasm-escape"),
        ("read-env", "no environment"),
        ("tcp", "cannot connect to 127.0.0.1:80"),
        ("dns", "cannot resolve localhost"),
    ] {
        match call(&rt, &plugin, mode, Limits::default(), None) {
            Ok(Err(PluginError::Internal(m))) => assert!(m.starts_with(refused), "{mode}: {m}"),
            other => panic!("{mode}: {other:?}"),
        }
    }
}

#[test]
fn clocks_and_randomness_are_fixed_unless_keyed() {
    let (rt, plugin) = runtime();
    let observed = |mode: &str, key| {
        call(&rt, &plugin, mode, Limits::default(), key)
            .unwrap()
            .unwrap()
            .values
    };
    // The wall clock and the insecure randomness give the same answer on every call.
    assert_eq!(
        observed("clock-random", None),
        observed("clock-random", None)
    );
    // Secure randomness needs a key: the same key gives the same stream, another key another.
    let r = call(&rt, &plugin, "secure-random", Limits::default(), None);
    assert!(matches!(r, Err(CallError::NoRandomSeed)), "{r:?}");
    let one = observed("secure-random", Some([1; 32]));
    assert_eq!(one, observed("secure-random", Some([1; 32])));
    assert_ne!(one, observed("secure-random", Some([2; 32])));
}

#[test]
fn what_the_host_keeps_of_stdout_is_capped() {
    let (rt, plugin) = runtime();
    let config = r#"{"mode":"flood-stdout"}"#;
    let (r, captured) = rt.run(&plugin, Limits::default(), &request(config), None);
    assert!(r.unwrap().is_ok());
    assert!(
        captured.stdout == "x".repeat(STDIO_CAPTURE),
        "the first 64 KiB kept, not {} bytes",
        captured.stdout.len()
    );
    assert_eq!(
        captured.dropped_stdout,
        (100 << 20) - STDIO_CAPTURE as u64,
        "100 MiB written, the rest dropped"
    );
}

#[test]
fn the_deadline_is_a_number_of_epoch_ticks_not_wall_time() {
    let mut runtime = Runtime::with_manual_epoch(None).unwrap();
    let (started_tx, started) = mpsc::channel();
    let started_tx = std::sync::Mutex::new(started_tx);
    runtime.on_call_start(move || started_tx.lock().unwrap().send(()).unwrap());
    let plugin = runtime.load(misbehave()).unwrap();
    let limits = Limits {
        timeout: 3 * TICK,
        ..Limits::default()
    };
    let (tx, rx) = mpsc::channel();
    let runtime = &runtime;
    std::thread::scope(|s| {
        s.spawn(|| {
            let (result, _) = runtime.run(&plugin, limits, &request(r#"{"mode":"loop"}"#), None);
            tx.send(result.map(|_| ())).unwrap();
        });
        // The call's deadline is set: from here on each tick counts against it.
        started.recv_timeout(WATCHDOG).expect("the call starts");
        runtime.tick();
        runtime.tick();
        // Two of three ticks: the looping plugin must still be running. (A deadline that
        // fired early would have answered by now; a slow machine can only make this pass.)
        assert!(
            rx.recv_timeout(Duration::from_millis(300)).is_err(),
            "stopped before its deadline"
        );
        runtime.tick();
        let result = rx.recv_timeout(WATCHDOG).expect("the third tick stops it");
        assert!(
            matches!(result, Err(CallError::Timeout { .. })),
            "{result:?}"
        );
    });
}
