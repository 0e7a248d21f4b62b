//! Parallel releases (`--concurrency`) and the cold start: the output of a parallel run is
//! byte for byte the serial one, failures included; a run compiles only the plugins it uses;
//! `plugins precompile` leaves nothing for the next run to compile; a values file, secret
//! file or chart that many releases share is read once per run.

use crate::full_render::example_with_fixture_chart;
use crate::support::{Run, helmwasm_with};
use std::collections::BTreeSet;
use std::path::Path;

/// The example (chart from the fixtures) with its release repeated `n` times, each in its own
/// namespace; `edit(i, block)` may change release `i`'s block.
fn many_releases(n: usize, edit: impl Fn(usize, String) -> String) -> tempfile::TempDir {
    let dir = example_with_fixture_chart();
    let path = dir.path().join("helmwasm.yaml");
    let text = std::fs::read_to_string(&path).unwrap();
    let (head, block) = text.split_once("releases:\n").unwrap();
    assert!(block.starts_with("  - name: airflow\n    namespace: airflow\n"));
    let mut out = format!("{head}releases:\n");
    for i in 0..n {
        let b = block.replacen(
            "  - name: airflow\n    namespace: airflow\n",
            &format!("  - name: airflow-{i}\n    namespace: team-{i}\n"),
            1,
        );
        out.push_str(&edit(i, b));
    }
    std::fs::write(&path, out).unwrap();
    dir
}

fn run(dir: &Path, args: &[&str], cache: &Path) -> Run {
    helmwasm_with(
        dir,
        args,
        &[
            ("HELMWASM_OFFLINE", "1"),
            ("HELMWASM_CACHE_DIR", cache.to_str().unwrap()),
        ],
    )
}

fn shared_cache() -> std::path::PathBuf {
    crate::support::cache_dir()
}

#[test]
fn parallel_releases_render_exactly_what_a_serial_run_renders() {
    let dir = many_releases(6, |_, b| b);
    let args = |n: &'static str| ["template", "-e", "prod", "--strict", "--concurrency", n];
    let serial = run(dir.path(), &args("1"), &shared_cache());
    assert_eq!(serial.code, 0, "{}", serial.stderr);
    // Six full renders, each with its own Secrets and the chart's objects.
    assert_eq!(
        serial
            .stdout
            .matches("# Source: airflow/templates/")
            .count()
            % 6,
        0
    );
    for i in 0..6 {
        assert!(
            serial.stdout.contains(&format!("namespace: team-{i}\n")),
            "release {i}"
        );
    }
    for n in ["2", "3"] {
        let parallel = run(dir.path(), &args(n), &shared_cache());
        assert_eq!(parallel.code, 0, "{}", parallel.stderr);
        assert!(
            parallel.stdout == serial.stdout,
            "--concurrency {n}: stdout differs"
        );
        assert_eq!(parallel.stderr, serial.stderr, "--concurrency {n}");
    }
}

#[test]
fn the_first_failure_is_reported_as_a_serial_run_reports_it() {
    // Release 4 fails at its last step; release 1 at its first step (so in a parallel run it
    // fails first in time) and release 2 later. A serial run stops at release 1.
    let dir = many_releases(6, |i, b| match i {
        1 => b.replacen(
            "          executor: CeleryExecutor\n",
            "          executor: Sequential\n",
            2,
        ),
        2 => b.replacen("          port: 5432\n", "          port: \"x\"\n", 1),
        4 => b.replacen(
            "          onMissing: fill\n",
            "          onMissing: guess\n",
            1,
        ),
        _ => b,
    });
    for keep_going in [false, true] {
        let with = |n: &'static str| {
            let mut a = vec!["template", "-e", "prod", "--concurrency", n];
            if keep_going {
                a.push("--keep-going");
            }
            a
        };
        let serial = run(dir.path(), &with("1"), &shared_cache());
        assert_eq!(serial.code, 1, "{}", serial.stderr);
        assert!(
            serial.stderr.contains("release `airflow-1`"),
            "{}",
            serial.stderr
        );
        assert_eq!(
            serial.stderr.contains("airflow-2"),
            keep_going,
            "{}",
            serial.stderr
        );
        assert_eq!(
            serial.stderr.contains("airflow-4"),
            keep_going,
            "{}",
            serial.stderr
        );
        // With --keep-going the releases that rendered are printed, and only those (each
        // one's section printed by the thread that rendered it, in pipeline order).
        let printed: Vec<usize> = (0..6)
            .filter(|i| {
                serial
                    .stdout
                    .contains(&format!("# Source: airflow-{i}/manifests.yaml\n"))
            })
            .collect();
        assert_eq!(
            printed,
            if keep_going { vec![0, 3, 5] } else { vec![] },
            "{}",
            serial.stdout
        );
        for n in ["2", "4"] {
            let parallel = run(dir.path(), &with(n), &shared_cache());
            assert_eq!(parallel.code, serial.code);
            assert!(
                parallel.stdout == serial.stdout,
                "--concurrency {n}: stdout differs"
            );
            assert_eq!(parallel.stderr, serial.stderr, "--concurrency {n}");
        }
    }
}

/// The plugin names whose metadata a cache folder holds.
fn cached_names(cache: &Path) -> BTreeSet<String> {
    std::fs::read_dir(cache)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_string_lossy().ends_with(".meta.json"))
        .map(|p| {
            let v: serde_json::Value =
                serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap();
            v["name"].as_str().unwrap().to_owned()
        })
        .collect()
}

/// Every file of a folder with its length and modification time (its sub-folders, `charts/`
/// and `helm/`, hold what a render caches besides compiled plugins).
fn listing(dir: &Path) -> Vec<(String, u64, std::time::SystemTime)> {
    let mut out: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .filter(|e| e.as_ref().unwrap().path().is_file())
        .map(|e| {
            let e = e.unwrap();
            let m = e.metadata().unwrap();
            (
                e.file_name().to_string_lossy().into_owned(),
                m.len(),
                m.modified().unwrap(),
            )
        })
        .collect();
    out.sort();
    out
}

#[test]
fn a_run_loads_only_the_plugins_its_releases_use_and_compiles_no_built_in() {
    let dir = example_with_fixture_chart();
    let cache = tempfile::tempdir().unwrap();
    let dev = run(dir.path(), &["template", "-e", "dev"], cache.path());
    assert_eq!(dev.code, 0, "{}", dev.stderr);
    let used: BTreeSet<String> = [
        "celery-workers",
        "pgbouncer",
        "logs-persistence",
        "git-sync",
        "airflow-database",
        "airflow-keys",
        "airflow-ui",
        "resources-policy",
        "container-resources",
    ]
    .map(String::from)
    .into();
    assert_eq!(cached_names(cache.path()), used);
    let cwasm = |c: &Path| {
        std::fs::read_dir(c)
            .unwrap()
            .filter(|e| {
                e.as_ref()
                    .unwrap()
                    .path()
                    .extension()
                    .is_some_and(|x| x == "cwasm")
            })
            .count()
    };
    // The built-ins' code came precompiled with the binary (host/build.rs): a first run on
    // an empty cache compiles none of them; it copies the code of those it uses into the
    // cache (so later runs map it) and records their metadata.
    let embedded: BTreeSet<&[u8]> = helmwasm::builtin::PLUGINS
        .iter()
        .map(|b| {
            b.precompiled.expect(
                "build.rs precompiles the built-ins (unless cross-compiling or HELMWASM_NO_PRECOMPILE is set)",
            )
        })
        .collect();
    let copied = |c: &Path| {
        std::fs::read_dir(c)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|x| x == "cwasm"))
            .all(|p| embedded.contains(std::fs::read(p).unwrap().as_slice()))
    };
    assert_eq!(cwasm(cache.path()), used.len());
    assert!(
        copied(cache.path()),
        "a cached built-in is not the embedded code"
    );
    // prod adds two steps' plugins, and only those.
    let prod = run(dir.path(), &["template", "-e", "prod"], cache.path());
    assert_eq!(prod.code, 0, "{}", prod.stderr);
    let mut more = used.clone();
    more.extend(["keda-autoscaling", "airflow-gitops"].map(String::from));
    assert_eq!(cached_names(cache.path()), more);
    assert_eq!(cwasm(cache.path()), more.len());
    assert!(
        copied(cache.path()),
        "a cached built-in is not the embedded code"
    );
    // An unknown plugin still gets its did-you-mean from the names of plugins never compiled.
    let text = std::fs::read_to_string(dir.path().join("helmwasm.yaml")).unwrap();
    std::fs::write(
        dir.path().join("helmwasm.yaml"),
        text.replacen("- plugin: pgbouncer\n", "- plugin: pod-securty\n", 1),
    )
    .unwrap();
    let typo = run(dir.path(), &["template", "-e", "prod"], cache.path());
    assert_eq!(typo.code, 1);
    assert!(
        typo.stderr
            .contains("unknown plugin `pod-securty`; did you mean `pod-security`?"),
        "{}",
        typo.stderr
    );
}

#[test]
fn plugins_precompile_leaves_a_fresh_cache_warm_for_the_first_run() {
    let dir = example_with_fixture_chart();
    let cache = tempfile::tempdir().unwrap();
    let plugins = crate::support::test_plugins();
    let pre = run(
        dir.path(),
        &[
            "plugins",
            "precompile",
            "--plugin-dir",
            plugins.to_str().unwrap(),
        ],
        cache.path(),
    );
    assert_eq!(pre.code, 0, "{}", pre.stderr);
    let names = cached_names(cache.path());
    let builtins: BTreeSet<&str> = [
        "airflow-database",
        "airflow-gitops",
        "airflow-keys",
        "airflow-ui",
        "celery-workers",
        "container-resources",
        "git-sync",
        "keda-autoscaling",
        "labels",
        "logs-persistence",
        "pgbouncer",
        "pod-security",
        "resources-policy",
    ]
    .into();
    for b in &builtins {
        assert!(names.contains(*b), "{b} not precompiled");
    }
    assert!(names.contains("pause-dags"), "{names:?}");
    assert_eq!(
        pre.stderr,
        format!(
            "{} plugins ready in {}\n",
            names.len(),
            cache.path().display()
        )
    );
    let before = listing(cache.path());
    for env in ["dev", "prod"] {
        let r = run(dir.path(), &["template", "-e", env], cache.path());
        assert_eq!(r.code, 0, "{}", r.stderr);
    }
    assert_eq!(
        listing(cache.path()),
        before,
        "a run after precompile compiled something"
    );
    // Without a cache there is nowhere to put them.
    let none = run(
        dir.path(),
        &["--no-cache", "plugins", "precompile"],
        cache.path(),
    );
    assert_eq!(none.code, 1);
    assert!(
        none.stderr.contains("--no-cache leaves nowhere"),
        "{}",
        none.stderr
    );
}

#[test]
fn concurrency_must_be_a_positive_number() {
    let dir = example_with_fixture_chart();
    let zero = run(
        dir.path(),
        &["template", "--concurrency", "0"],
        &shared_cache(),
    );
    assert_eq!(zero.code, 1, "{}", zero.stderr);
    assert!(zero.stderr.contains("--concurrency"), "{}", zero.stderr);
    let bad = helmwasm_with(
        dir.path(),
        &["template"],
        &[
            ("HELMWASM_OFFLINE", "1"),
            ("HELMWASM_CONCURRENCY", "many\u{1b}[31m"),
        ],
    );
    assert_eq!(bad.code, 1, "{}", bad.stderr);
    assert!(
        bad.stderr.contains(
            "--concurrency (or HELMWASM_CONCURRENCY) is `many\\x1b[31m`: it must be a whole number"
        ),
        "{}",
        bad.stderr
    );
}

/// Runs helmwasm in `dir` and returns its exit code, stderr, and the bytes it read with
/// `read(2)` and kin (`rchar` of `/proc/PID/io`), taken once it has exited and before it is
/// reaped. Output goes to files: a full pipe would keep it from exiting.
#[cfg(target_os = "linux")]
fn run_counting_reads(dir: &Path, args: &[&str]) -> (i32, String, u64) {
    let out = tempfile::tempfile().unwrap();
    let err = tempfile::NamedTempFile::new().unwrap();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_helmwasm"))
        .current_dir(dir)
        .args(args)
        .env("HELMWASM_CACHE_DIR", shared_cache())
        .env("HELMWASM_OFFLINE", "1")
        // No helm: the chart is resolved (read, its schema applied) but not rendered, so
        // helmwasm is the only reader of the archive.
        .env("PATH", "/usr/bin:/bin")
        .env_remove("HELMWASM_HELM")
        .stdout(out)
        .stderr(err.reopen().unwrap())
        .spawn()
        .unwrap();
    let stat = format!("/proc/{}/stat", child.id());
    let started = std::time::Instant::now();
    loop {
        let text = std::fs::read_to_string(&stat).unwrap();
        let state = text.rsplit_once(") ").unwrap().1.split(' ').next().unwrap();
        if state == "Z" {
            break;
        }
        assert!(started.elapsed().as_secs() < 300, "helmwasm did not exit");
        std::thread::sleep(std::time::Duration::from_millis(2));
    }
    let io = std::fs::read_to_string(format!("/proc/{}/io", child.id())).unwrap();
    let rchar = io
        .lines()
        .find_map(|l| l.strip_prefix("rchar: "))
        .unwrap()
        .parse()
        .unwrap();
    let code = child.wait().unwrap().code().unwrap_or(-1);
    (code, std::fs::read_to_string(err.path()).unwrap(), rchar)
}

#[test]
#[cfg(target_os = "linux")]
fn files_shared_by_many_releases_are_read_once_per_run() {
    // A values file, a secret file and a chart archive that every release uses are each read
    // once per run, however many releases there are and on however many threads: 12
    // releases read what 1 does, give or take the longer pipeline file.
    let dir = tempfile::tempdir().unwrap();
    let chart = crate::support::fixture("airflow-chart/airflow-1.19.0.tgz");
    std::fs::copy(&chart, dir.path().join("airflow.tgz")).unwrap();
    let mut values = String::from("executor: CeleryExecutor\n");
    while values.len() < 1 << 20 {
        values
            .push_str("# padding: a comment line that only makes this file long enough to count\n");
    }
    std::fs::write(dir.path().join("shared.yaml"), &values).unwrap();
    std::fs::write(dir.path().join("secret.txt"), "s3cr3t-".repeat(64 << 10)).unwrap();
    let sizes = ["airflow.tgz", "shared.yaml", "secret.txt"]
        .map(|f| std::fs::metadata(dir.path().join(f)).unwrap().len());
    let smallest = *sizes.iter().min().unwrap();
    let mut reads = Vec::new();
    for n in [1, 12] {
        let mut text = String::from("releases:\n");
        for i in 0..n {
            text.push_str(&format!(
                "  - name: r{i}\n    namespace: team-{i}\n    chart: ./airflow.tgz\n    values:\n      - shared.yaml\n      - webserverSecretKey: ref+file://secret.txt\n"
            ));
        }
        std::fs::write(dir.path().join("helmwasm.yaml"), text).unwrap();
        let (code, stderr, rchar) =
            run_counting_reads(dir.path(), &["template", "--concurrency", "3"]);
        assert_eq!(code, 0, "{n} release(s): {stderr}");
        // Each release's chart was resolved, then not rendered for want of helm.
        assert_eq!(
            stderr.matches("helm was not found on PATH").count(),
            n,
            "{n} release(s): {stderr}"
        );
        reads.push(rchar);
    }
    assert!(
        reads[0] >= sizes.iter().sum::<u64>(),
        "one release reads every file once: {reads:?} bytes read, files {sizes:?}"
    );
    assert!(
        reads[1] < reads[0] + smallest,
        "12 releases read {} bytes, 1 release {}: more than a shared file's {smallest} more, so one was read again",
        reads[1],
        reads[0]
    );
}
