//! Parallel releases (`--concurrency`) and the cold start: the output of a parallel run is
//! byte for byte the serial one, failures included; a run compiles only the plugins it uses;
//! `plugins precompile` leaves nothing for the next run to compile.

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
        bad.stderr
            .contains("HELMWASM_CONCURRENCY is `many\\x1b[31m`: it must be a whole number"),
        "{}",
        bad.stderr
    );
}
