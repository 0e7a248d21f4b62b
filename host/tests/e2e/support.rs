//! Shared helpers: paths, building the test plugins once, running the binary.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

/// `../shared/fixtures/NAME` beside the checkout.
pub fn fixture(rel: &str) -> PathBuf {
    let p = root().join("..").join("shared").join("fixtures").join(rel);
    assert!(
        p.exists(),
        "missing shared fixture {} (the tests expect ../shared beside the checkout)",
        p.display()
    );
    p
}

/// Compile cache shared by all test runs (safe to delete).
pub fn cache_dir() -> PathBuf {
    root().join("target").join("test-cache")
}

/// Every golden case folder under `tests/cases/`, sorted (at least ten, or the checkout is
/// incomplete).
pub fn golden_dirs() -> Vec<PathBuf> {
    let cases = root().join("tests").join("cases");
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(&cases)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    assert!(
        dirs.len() >= 10,
        "expected the golden cases under {}",
        cases.display()
    );
    dirs
}

/// A golden case's arguments: its `cmd` file (one per line; default `template`), with
/// `{test_plugins}` the folder of the built test plugins.
pub fn golden_args(dir: &Path) -> Vec<String> {
    let plugins = test_plugins().to_string_lossy().into_owned();
    let cmd = std::fs::read_to_string(dir.join("cmd")).unwrap_or_else(|_| "template\n".into());
    cmd.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| l.trim().replace("{test_plugins}", &plugins))
        .collect()
}

/// Build the test-only plugins under `tests/plugins/` for wasm32-wasip2 (once per test
/// run, in their own target dir) and return the folder holding their `.wasm` files.
pub fn test_plugins() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let target = root().join("target").join("test-plugins");
        let mut cmd = cargo();
        cmd.current_dir(root())
            .args([
                "build",
                "--release",
                "--target",
                "wasm32-wasip2",
                "--target-dir",
            ])
            .arg(&target)
            .args([
                "-p",
                "misbehave",
                "-p",
                "pause-dags",
                "-p",
                "hostile-raw",
                "-p",
                "wrong-wit",
                "-p",
                "extra-import",
                "-p",
                "emit-objects",
                "-p",
                "sleepy-metadata",
                "-p",
                "evil-metadata",
                "-p",
                "evil-name",
                "-p",
                "big-schema",
                "-p",
                "post-render-probe",
                "-p",
                "no-latest",
            ]);
        run_cargo(cmd, "the test plugins");
        // Only the loadable plugins go in the folder the tests pass as --plugin-dir; the
        // broken artifacts are used one by one.
        let built = target.join("wasm32-wasip2").join("release");
        let loadable = target.join("loadable");
        std::fs::create_dir_all(&loadable).unwrap();
        for name in [
            "misbehave",
            "pause_dags",
            "hostile_raw",
            "emit_objects",
            "post_render_probe",
            "no_latest",
        ] {
            copy_if_changed(
                &built.join(format!("{name}.wasm")),
                &loadable.join(format!("{name}.wasm")),
            );
        }
        // Compile every plugin into the shared cache once, so that timing assertions measure
        // the plugin calls, not a cold compile.
        let warm = Command::new(env!("CARGO_BIN_EXE_helmwasm"))
            .args(["plugins", "list", "--plugin-dir"])
            .arg(&loadable)
            .env("HELMWASM_CACHE_DIR", cache_dir())
            .output()
            .expect("cannot run helmwasm");
        assert!(
            warm.status.success(),
            "{}",
            String::from_utf8_lossy(&warm.stderr)
        );
        loadable
    })
}

/// A built test artifact (loadable or not) by crate name.
pub fn test_artifact(name: &str) -> PathBuf {
    test_plugins();
    root()
        .join("target/test-plugins/wasm32-wasip2/release")
        .join(format!("{}.wasm", name.replace('-', "_")))
}

/// Build `tests/external-plugin` (a `helmwasm:plugin@0.1.0` component) the way an
/// organisation would in its own repository: the crate is copied out of the workspace (into
/// `target/external-plugin`), the WIT files are vendored into its `wit/` folder, and it is
/// built with its own lock file. Returns the `.wasm` path. Nothing of the host is involved.
pub fn external_plugin() -> &'static Path {
    static WASM: OnceLock<PathBuf> = OnceLock::new();
    WASM.get_or_init(|| build_external("external-plugin", "v0.1.0", "raw_annotations"))
}

/// [`external_plugin`] for `tests/external-plugin-v2`, a `helmwasm:plugin@0.2.0` post-render
/// plugin built the same way from `wit/v0.2.0`.
pub fn external_plugin_v2() -> &'static Path {
    static WASM: OnceLock<PathBuf> = OnceLock::new();
    WASM.get_or_init(|| build_external("external-plugin-v2", "v0.2.0", "raw_stamp"))
}

fn build_external(folder: &str, wit: &str, artifact: &str) -> PathBuf {
    let src = root().join("tests").join(folder);
    let dst = root().join("target").join(folder);
    std::fs::create_dir_all(dst.join("src")).unwrap();
    std::fs::create_dir_all(dst.join("wit")).unwrap();
    for file in ["Cargo.toml", "Cargo.lock", "src/lib.rs"] {
        copy_if_changed(&src.join(file), &dst.join(file));
    }
    copy_if_changed(
        &root().join("wit").join(wit).join("plugin.wit"),
        &dst.join("wit/plugin.wit"),
    );
    let mut cmd = cargo();
    cmd.current_dir(&dst).args([
        "build",
        "--locked",
        "--release",
        "--target",
        "wasm32-wasip2",
    ]);
    run_cargo(cmd, folder);
    dst.join(format!("target/wasm32-wasip2/release/{artifact}.wasm"))
}

/// Copy the files and folders under `from` into `to` (which exists).
pub fn copy_dir(from: &Path, to: &Path) {
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let target = to.join(e.file_name());
        let kind = e.file_type().unwrap();
        if kind.is_dir() {
            std::fs::create_dir_all(&target).unwrap();
            copy_dir(&e.path(), &target);
        } else if kind.is_file() {
            std::fs::copy(e.path(), &target).unwrap();
        }
    }
}

/// Copy without touching the target's mtime when the bytes are the same (keeps cargo's
/// incremental build valid across test runs).
fn copy_if_changed(from: &Path, to: &Path) {
    let bytes = std::fs::read(from).unwrap();
    if std::fs::read(to).ok().as_deref() != Some(&bytes[..]) {
        std::fs::write(to, bytes).unwrap();
    }
}

#[path = "../../../tests/support/cargo.rs"]
mod nested;
pub use nested::{cargo, run_cargo};

/// A test plugin's `.wasm` path by crate name.
pub fn test_plugin(name: &str) -> PathBuf {
    test_plugins().join(format!("{}.wasm", name.replace('-', "_")))
}

/// The one generous watchdog of an end-to-end run: long enough for a loaded CI machine,
/// short enough that a hang fails the test instead of the CI job.
pub const WATCHDOG: std::time::Duration = std::time::Duration::from_secs(60);

/// The peak RSS the binary reported (`HELMWASM_REPORT_PEAK_RSS=1`), in bytes.
pub fn peak_rss(run: &Run) -> u64 {
    run.stderr
        .lines()
        .find_map(|l| l.strip_prefix("helmwasm: peak RSS "))
        .and_then(|v| v.trim_end_matches(" KiB").parse::<u64>().ok())
        .map(|kib| kib * 1024)
        .unwrap_or_else(|| panic!("no peak RSS reported:\n{}", run.stderr))
}

pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
    pub elapsed: std::time::Duration,
}

/// A tool the tests need (`helm`, `helm3`, `kubectl`): from `$HELMWASM_TEST_TOOLS` if set,
/// else `target/tools/bin` (where `tests/setup` installs them), else `PATH`. A missing tool
/// fails the test that needs it, with how to get it: it never passes vacuously.
pub fn tool(name: &str) -> PathBuf {
    find_tool(name).unwrap_or_else(|| match name {
        "ssh-keygen" => panic!("`ssh-keygen` is not installed: install OpenSSH's client (Debian/Ubuntu: `apt-get install openssh-client`); `bash tests/setup` checks for it"),
        _ => panic!("`{name}` is not installed: run `bash tests/tools/get-helm.sh` (installs helm and kubectl into target/tools/bin), or use the README's test command `bash tests/setup && cargo test --locked --workspace`"),
    })
}

fn find_tool(name: &str) -> Option<PathBuf> {
    let dirs = std::env::var_os("HELMWASM_TEST_TOOLS")
        .map(PathBuf::from)
        .into_iter()
        .chain([root().join("target/tools/bin")])
        .chain(
            std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default())
                .collect::<Vec<_>>(),
        );
    dirs.map(|d| d.join(name)).find(|p| p.is_file())
}

/// Run the binary in `cwd` with the shared compile cache, offline (no test reaches the
/// network), with the test helm when there is one, and without the render cache (the tests
/// share a cache folder: one test's render must not be another's hit; `render_cache.rs`
/// turns it on in folders of its own).
pub fn helmwasm(cwd: &Path, args: &[&str]) -> Run {
    helmwasm_with(cwd, args, &[("HELMWASM_OFFLINE", "1")])
}

/// Like [`helmwasm`], with more environment variables (an empty value removes one).
pub fn helmwasm_with(cwd: &Path, args: &[&str], env: &[(&str, &str)]) -> Run {
    let started = std::time::Instant::now();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_helmwasm"));
    cmd.current_dir(cwd)
        .args(args)
        .env("HELMWASM_CACHE_DIR", cache_dir())
        .env_remove("HELMWASM_HELM")
        .env_remove("HELMWASM_OFFLINE")
        .env("HELMWASM_NO_RENDER_CACHE", "1");
    if let Some(helm) = find_tool("helm") {
        cmd.env("HELMWASM_HELM", helm);
    }
    for (k, v) in env {
        if v.is_empty() {
            cmd.env_remove(k);
        } else {
            cmd.env(k, v);
        }
    }
    let out = cmd.output().expect("cannot run helmwasm");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8(out.stdout).expect("stdout is UTF-8"),
        stderr: String::from_utf8(out.stderr).expect("stderr is UTF-8"),
        elapsed: started.elapsed(),
    }
}

/// A minimal pipeline with one release and the given steps block (YAML, indented by 2).
pub fn pipeline(steps: &str) -> String {
    format!(
        "releases:\n- name: airflow\n  namespace: airflow\n  chart: apache-airflow/airflow\n  version: 1.19.0\n  steps:\n{steps}"
    )
}

/// A temp folder holding `helmwasm.yaml` with `text`.
pub fn project(text: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("helmwasm.yaml"), text).unwrap();
    dir
}

/// Run `template --output-dir out` on a one-step pipeline of the `misbehave` test plugin.
/// `with` is the inside of its config map (e.g. `mode: loop`); `limits` is a YAML line for the
/// step's `limits` (or empty). Returns the run and the project folder (to inspect `out`).
pub fn run_misbehave(with: &str, limits: &str) -> (Run, tempfile::TempDir) {
    let dir = project(&pipeline(&format!(
        "  - plugin: misbehave\n    with: {{{with}}}\n{limits}"
    )));
    let plugins = test_plugins().to_str().unwrap().to_owned();
    let run = helmwasm_with(
        dir.path(),
        &["template", "--plugin-dir", &plugins, "--output-dir", "out"],
        &[("HELMWASM_OFFLINE", "1"), ("HELMWASM_REPORT_PEAK_RSS", "1")],
    );
    (run, dir)
}

/// Run git in `dir` with a fixed identity; its stdout (the test fails on a git error).
pub fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .current_dir(dir)
        .args(args)
        .env("GIT_AUTHOR_NAME", "t")
        .env("GIT_AUTHOR_EMAIL", "t@example.invalid")
        .env("GIT_COMMITTER_NAME", "t")
        .env("GIT_COMMITTER_EMAIL", "t@example.invalid")
        .output()
        .expect("git is installed");
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// The tests' Python: the project-local venv `bash tests/setup` makes (target/tools/venv,
/// with jsonschema, PyYAML, cryptography and moto). Missing, it is an error, never a skip.
pub fn python3() -> Command {
    let venv = root().join("target/tools/venv/bin/python3");
    assert!(
        venv.exists(),
        "missing {}: run `bash tests/setup` (it creates the tests' Python environment)",
        venv.display()
    );
    Command::new(venv)
}

/// Run a Python snippet with `input` on stdin: (exit code, stdout, stderr). The independent
/// checkers of the tests (PyYAML, jsonschema) run this way.
pub fn python(code: &str, args: &[&std::ffi::OsStr], input: &str) -> (i32, String, String) {
    use std::io::Write as _;
    let mut child = python3()
        .arg("-c")
        .arg(code)
        .args(args)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("python3 (tests/setup installs its packages)");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}
