//! The render cache against the real helm, seen from outside: a helm wrapper logs every
//! `helm template` it is asked for, so a hit (no line) and a miss (a line) are counted, not
//! guessed.
//!
//! - Each input of the key, changed alone, is a miss; and with that input left out of the
//!   key (the test hook `HELMWASM_TEST_OMIT_FROM_RENDER_KEY`) the same change is a hit, so each
//!   mutation test is shown to fail when its input is missing from the key.
//! - On the example (the real chart, `--strict`): hit and miss print the same bytes; files and
//!   folders are private and not named by a plain hash; a damaged entry is re-rendered, never
//!   used; the size bound holds; `--no-cache` and `--no-render-cache` run helm every time;
//!   `cache info` and `cache prune` show and trim it.

use crate::full_render::example_with_fixture_chart;
use crate::support::{Run, helmwasm_with, tool};
use std::path::{Path, PathBuf};

/// A helm that appends a line to `log` for each `helm template`, then runs the real helm.
/// `extra` changes its bytes (another helm binary, to the cache).
fn wrapper(dir: &Path, extra: &str) -> PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let path = dir.join("helm");
    let text = format!(
        "#!/bin/sh\n# {extra}\nif [ \"$1\" = template ]; then echo template >> '{}'; fi\nexec '{}' \"$@\"\n",
        dir.join("log").display(),
        tool("helm").display()
    );
    std::fs::write(&path, text).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    path
}

/// How many `helm template` runs the wrapper in `dir` has seen.
fn helm_runs(dir: &Path) -> usize {
    std::fs::read_to_string(dir.join("log"))
        .map(|t| t.lines().count())
        .unwrap_or(0)
}

struct Bench {
    /// The wrapper's folder.
    helm_dir: tempfile::TempDir,
    cache: tempfile::TempDir,
}

impl Bench {
    fn new() -> Bench {
        let helm_dir = tempfile::tempdir().unwrap();
        wrapper(helm_dir.path(), "");
        Bench {
            helm_dir,
            cache: tempfile::tempdir().unwrap(),
        }
    }

    /// `helmwasm ARGS` with this bench's helm and cache folder, the render cache on, and
    /// `env` (an empty value removes a variable).
    fn run(&self, cwd: &Path, args: &[&str], env: &[(&str, &str)]) -> Run {
        let helm = self.helm_dir.path().join("helm");
        let mut all = vec![
            ("HELMWASM_CACHE_DIR", self.cache.path().to_str().unwrap()),
            ("HELMWASM_HELM", helm.to_str().unwrap()),
            ("HELMWASM_OFFLINE", "1"),
            ("HELMWASM_NO_RENDER_CACHE", ""),
            ("HELMWASM_TEST_OMIT_FROM_RENDER_KEY", ""),
        ];
        all.extend_from_slice(env);
        helmwasm_with(cwd, args, &all)
    }

    fn runs(&self) -> usize {
        helm_runs(self.helm_dir.path())
    }

    /// Run, expect success, and say whether helm ran (a miss).
    fn missed(&self, cwd: &Path, args: &[&str], env: &[(&str, &str)]) -> (bool, Run) {
        let before = self.runs();
        let run = self.run(cwd, args, env);
        assert_eq!(run.code, 0, "{args:?}: {}", run.stderr);
        let after = self.runs();
        assert!(after - before <= 1, "one release, one helm run at most");
        (after > before, run)
    }

    fn renders(&self) -> PathBuf {
        self.cache.path().join("renders")
    }

    fn entries(&self) -> Vec<PathBuf> {
        let mut e: Vec<PathBuf> = std::fs::read_dir(self.renders())
            .map(|d| {
                d.flatten()
                    .map(|e| e.path())
                    .filter(|p| p.extension().is_some_and(|x| x == "render"))
                    .collect()
            })
            .unwrap_or_default();
        e.sort();
        e
    }
}

/// A chart folder whose one template shows every input of the key but the chart itself
/// (release, namespace, values, `--kube-version`, `--api-versions`), and a pipeline with no
/// steps that renders it: a change to one input changes nothing else.
fn small_project() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let chart = dir.path().join("chart");
    std::fs::create_dir_all(chart.join("templates")).unwrap();
    std::fs::write(
        chart.join("Chart.yaml"),
        "apiVersion: v2\nname: small\nversion: 0.1.0\n",
    )
    .unwrap();
    std::fs::write(chart.join("values.yaml"), "greeting: hello\n").unwrap();
    std::fs::write(
        chart.join("templates/cm.yaml"),
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}-cm\n  namespace: {{ .Release.Namespace }}\ndata:\n  greeting: {{ .Values.greeting | quote }}\n  kube: {{ .Capabilities.KubeVersion.Version | quote }}\n  example: {{ .Capabilities.APIVersions.Has \"example.com/v1\" | quote }}\n",
    )
    .unwrap();
    std::fs::write(dir.path().join("values.yaml"), "greeting: hello\n").unwrap();
    write_pipeline(dir.path(), "r", "ns");
    dir
}

fn write_pipeline(dir: &Path, release: &str, namespace: &str) {
    std::fs::write(
        dir.join("helmwasm.yaml"),
        format!(
            "releases:\n  - name: {release}\n    namespace: {namespace}\n    chart: ./chart\n    values:\n      - values.yaml\n"
        ),
    )
    .unwrap();
}

/// One input of the key: how to change it alone, and how to undo that.
struct Mutation {
    field: &'static str,
    apply: fn(&Path, &Bench),
    undo: fn(&Path, &Bench),
    /// `template`'s arguments while the change is applied (else [`BASE`]'s).
    args: &'static [&'static str],
}

/// `template`'s arguments unchanged.
const BASE: &[&str] = &[
    "template",
    "--strict",
    "--kube-version",
    "1.30.0",
    "--api-versions",
    "base.example/v1",
];

const MUTATIONS: &[Mutation] = &[
    Mutation {
        field: "chart",
        // A file helmwasm never reads and the template does not show: only the folder's
        // digest sees it.
        apply: |d, _| std::fs::write(d.join("chart/README.md"), "changed\n").unwrap(),
        undo: |d, _| std::fs::remove_file(d.join("chart/README.md")).unwrap(),
        args: BASE,
    },
    Mutation {
        field: "values",
        apply: |d, _| std::fs::write(d.join("values.yaml"), "greeting: bye\n").unwrap(),
        undo: |d, _| std::fs::write(d.join("values.yaml"), "greeting: hello\n").unwrap(),
        args: BASE,
    },
    Mutation {
        field: "release",
        apply: |d, _| write_pipeline(d, "r2", "ns"),
        undo: |d, _| write_pipeline(d, "r", "ns"),
        args: BASE,
    },
    Mutation {
        field: "namespace",
        apply: |d, _| write_pipeline(d, "r", "ns2"),
        undo: |d, _| write_pipeline(d, "r", "ns"),
        args: BASE,
    },
    Mutation {
        field: "helm",
        // Another helm binary (other bytes) of the same version.
        apply: |_, b| {
            wrapper(b.helm_dir.path(), "another build");
        },
        undo: |_, b| {
            wrapper(b.helm_dir.path(), "");
        },
        args: BASE,
    },
    Mutation {
        field: "kube_version",
        apply: |_, _| {},
        undo: |_, _| {},
        args: &[
            "template",
            "--strict",
            "--kube-version",
            "1.31.0",
            "--api-versions",
            "base.example/v1",
        ],
    },
    Mutation {
        field: "api_versions",
        apply: |_, _| {},
        undo: |_, _| {},
        args: &[
            "template",
            "--strict",
            "--kube-version",
            "1.30.0",
            "--api-versions",
            "example.com/v1",
        ],
    },
];

#[test]
fn each_input_of_the_key_changed_alone_is_a_miss_and_the_test_fails_without_it() {
    let project = small_project();
    let d = project.path();
    let base = BASE;
    for m in MUTATIONS {
        let bench = Bench::new();
        let args = m.args;
        let omit = [("HELMWASM_TEST_OMIT_FROM_RENDER_KEY", m.field)];
        // With the input left out of the key, its change is (wrongly) a hit: the check below
        // would fail.
        let (miss, stale) = bench.missed(d, base, &omit);
        assert!(miss, "{}: the first render runs helm", m.field);
        (m.apply)(d, &bench);
        let (miss, _) = bench.missed(d, args, &omit);
        assert!(
            !miss,
            "{}: left out of the key, its change should go unseen (a hit)",
            m.field
        );
        (m.undo)(d, &bench);
        // With the whole key: the same input unchanged is a hit, changed alone a miss.
        let (miss, first) = bench.missed(d, base, &[]);
        assert!(miss, "{}", m.field);
        assert_eq!(first.stdout, stale.stdout, "{}", m.field);
        let (miss, hit) = bench.missed(d, base, &[]);
        assert!(!miss, "{}: an unchanged release is a hit", m.field);
        assert_eq!(
            hit.stdout, first.stdout,
            "{}: a hit prints the miss's bytes",
            m.field
        );
        (m.apply)(d, &bench);
        let (miss, changed) = bench.missed(d, args, &[]);
        assert!(miss, "{}: changed alone, it must be a miss", m.field);
        if m.field != "chart" && m.field != "helm" {
            assert_ne!(
                changed.stdout, first.stdout,
                "{}: helm saw the change",
                m.field
            );
        }
        (m.undo)(d, &bench);
    }
}

/// The example at the chart version it pins, in full (`--strict`), with the render cache.
fn example_args(dir: &Path) -> Vec<String> {
    vec![
        "template".into(),
        "-f".into(),
        dir.join("helmwasm.yaml").display().to_string(),
        "-e".into(),
        "prod".into(),
        "--strict".into(),
    ]
}

#[test]
fn the_example_hits_with_the_same_bytes_and_keeps_its_entries_private() {
    use std::os::unix::fs::PermissionsExt;
    let example = example_with_fixture_chart();
    let bench = Bench::new();
    let args = example_args(example.path());
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let (miss, first) = bench.missed(example.path(), &args, &[]);
    assert!(miss);
    let (miss, second) = bench.missed(example.path(), &args, &[]);
    assert!(!miss, "the unchanged example is a hit");
    assert_eq!(
        second.stdout, first.stdout,
        "hit and miss print the same bytes"
    );
    assert_eq!(second.stderr, first.stderr, "and say the same");
    assert!(
        first.stdout.contains("kind: StatefulSet"),
        "the chart was rendered"
    );

    // Private, and not named by a plain hash of anything the render is made from.
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&bench.renders()), 0o700);
    let entries = bench.entries();
    assert_eq!(entries.len(), 1);
    let mut files: Vec<PathBuf> = entries.clone();
    files.push(bench.renders().join("key"));
    for f in &files {
        assert_eq!(mode(f), 0o600, "{}", f.display());
    }
    let name = entries[0].file_stem().unwrap().to_str().unwrap().to_owned();
    for input in ["values/airflow.yaml", "values/prod.yaml", "helmwasm.yaml"] {
        let bytes = std::fs::read(example.path().join(input)).unwrap();
        assert!(!name.contains(&hex_sha256(&bytes)), "{input}");
    }
    // The entry holds the render: the chart's Secrets would be in it, so it is never a
    // file another user can read (checked above), and the output the user sees is redacted
    // just the same on a hit.
    let stored = std::fs::read_to_string(&entries[0]).unwrap();
    assert!(stored.starts_with("helmwasm-render-v1\n"));
    assert!(stored.contains("kind: StatefulSet"));
}

fn hex_sha256(bytes: &[u8]) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[test]
fn a_damaged_entry_is_rendered_again_never_used() {
    let example = example_with_fixture_chart();
    let bench = Bench::new();
    let args = example_args(example.path());
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let (_, good) = bench.missed(example.path(), &args, &[]);
    let entry = bench.entries().pop().unwrap();
    type Damage = fn(&mut Vec<u8>);
    let damages: [(&str, Damage); 3] = [
        ("a flipped byte in the render", |b| {
            let at = b.len() - 40;
            b[at] ^= 0x20;
        }),
        ("a truncated entry", |b| b.truncate(b.len() / 2)),
        ("a header only", |b| b.truncate(19)),
    ];
    for (what, damage) in damages {
        let mut bytes = std::fs::read(&entry).unwrap();
        damage(&mut bytes);
        std::fs::write(&entry, &bytes).unwrap();
        let (miss, again) = bench.missed(example.path(), &args, &[]);
        assert!(miss, "{what}: helm runs again");
        assert_eq!(
            again.stdout, good.stdout,
            "{what}: the output is helm's, not the damage"
        );
        let (miss, _) = bench.missed(example.path(), &args, &[]);
        assert!(!miss, "{what}: the entry was written again");
    }
}

#[test]
fn the_switches_bypass_it_and_the_bound_holds() {
    let project = small_project();
    let d = project.path();
    let bench = Bench::new();
    let args: &[&str] = &["template", "--strict"];
    // --no-cache and --no-render-cache: helm runs every time, and nothing is written.
    for flag in ["--no-cache", "--no-render-cache"] {
        let with: Vec<&str> = [flag].iter().chain(args).copied().collect();
        for _ in 0..2 {
            let (miss, _) = bench.missed(d, &with, &[]);
            assert!(miss, "{flag}");
        }
        assert!(bench.entries().is_empty(), "{flag} wrote nothing");
    }
    let (miss, _) = bench.missed(d, args, &[("HELMWASM_NO_RENDER_CACHE", "1")]);
    assert!(miss, "HELMWASM_NO_RENDER_CACHE=1");
    assert!(bench.entries().is_empty());

    // The bound: three different renders in a cache that holds about one.
    let (_, _) = bench.missed(d, args, &[]);
    let one = std::fs::metadata(&bench.entries()[0]).unwrap().len();
    let bound = (one + one / 2).to_string();
    for greeting in ["a", "b", "c"] {
        std::fs::write(d.join("values.yaml"), format!("greeting: {greeting}\n")).unwrap();
        let with = [
            "--render-cache-size",
            bound.as_str(),
            "template",
            "--strict",
        ];
        let (miss, _) = bench.missed(d, &with, &[]);
        assert!(miss);
        let total: u64 = bench
            .entries()
            .iter()
            .map(|e| std::fs::metadata(e).unwrap().len())
            .sum();
        assert!(total <= one + one / 2, "{total} bytes over the bound");
        assert_eq!(bench.entries().len(), 1, "the newest entry stays");
    }
    // The newest (`c`) is the one kept: a hit.
    let (miss, _) = bench.missed(d, args, &[]);
    assert!(!miss);
}

#[test]
fn cache_info_shows_every_cache_and_prune_trims_them() {
    let project = small_project();
    let d = project.path();
    let bench = Bench::new();
    bench.missed(d, &["template", "--strict"], &[]);
    let info = bench.run(d, &["cache", "info", "-o", "json"], &[]);
    assert_eq!(info.code, 0, "{}", info.stderr);
    let doc: serde_json::Value = serde_json::from_str(&info.stdout).unwrap();
    let cache = |name: &str| {
        doc["caches"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["name"] == name)
            .unwrap_or_else(|| panic!("{name} in {doc}"))
            .clone()
    };
    assert_eq!(cache("renders")["entries"], 1);
    assert_eq!(cache("renders")["max_bytes"], 512u64 << 20);
    assert_eq!(
        cache("renders")["skipped_by"],
        serde_json::json!(["--no-cache", "--no-render-cache"])
    );
    assert_eq!(
        cache("compiled")["skipped_by"],
        serde_json::json!(["--no-cache"])
    );
    assert!(cache("helm")["entries"].as_u64().unwrap() >= 1);
    assert!(cache("renders")["bytes"].as_u64().unwrap() > 0);
    let text = bench.run(d, &["cache", "info"], &[]);
    assert!(
        text.stdout.lines().any(|l| l.starts_with("renders ")
            && l.contains(" 1 entry ")
            && l.contains("of at most 512Mi")),
        "{}",
        text.stdout
    );

    // --older-than keeps what is newer; --renders touches the renders only.
    let kept = bench.run(
        d,
        &["cache", "prune", "--renders", "--older-than", "1h"],
        &[],
    );
    assert_eq!(
        kept.stdout, "renders: removed 0 entries (0 bytes)\n",
        "{}",
        kept.stderr
    );
    let pruned = bench.run(d, &["cache", "prune", "--renders"], &[]);
    assert!(
        pruned.stdout.starts_with("renders: removed 1 entry ("),
        "{}",
        pruned.stdout
    );
    assert!(bench.entries().is_empty());
    assert!(
        bench
            .cache
            .path()
            .join("helm")
            .read_dir()
            .unwrap()
            .next()
            .is_some()
    );
    let (miss, _) = bench.missed(d, &["template", "--strict"], &[]);
    assert!(miss, "pruned: helm runs again");
    // Everything.
    let all = bench.run(d, &["cache", "prune"], &[]);
    for name in ["compiled", "charts", "renders", "helm"] {
        assert!(
            all.stdout.contains(&format!("{name}: removed ")),
            "{}",
            all.stdout
        );
    }
    assert!(bench.entries().is_empty());
}

/// Misses still run helm in parallel with the cache in front (item 3): two releases, each
/// `helm template` held 2 s by the wrapper, `--concurrency 2`: the two runs overlap. Then
/// both are hits.
#[test]
fn misses_run_helm_at_once_and_then_both_hit() {
    use std::os::unix::fs::PermissionsExt;
    let project = small_project();
    let d = project.path();
    std::fs::write(
        d.join("helmwasm.yaml"),
        "releases:\n  - name: one\n    namespace: ns\n    chart: ./chart\n  - name: two\n    namespace: ns\n    chart: ./chart\n",
    )
    .unwrap();
    let bench = Bench::new();
    let log = bench.helm_dir.path().join("times");
    let helm = bench.helm_dir.path().join("helm");
    std::fs::write(
        &helm,
        format!(
            "#!/bin/sh\nif [ \"$1\" = template ]; then\n  echo \"start $(date +%s%N)\" >> '{log}'\n  sleep 2\n  '{real}' \"$@\"; s=$?\n  echo \"end $(date +%s%N)\" >> '{log}'\n  exit $s\nfi\nexec '{real}' \"$@\"\n",
            log = log.display(),
            real = tool("helm").display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&helm, std::fs::Permissions::from_mode(0o755)).unwrap();
    let times = || -> (Vec<u128>, Vec<u128>) {
        let text = std::fs::read_to_string(&log).unwrap_or_default();
        let of = |what: &str| {
            text.lines()
                .filter_map(|l| l.strip_prefix(what))
                .map(|n| n.trim().parse().unwrap())
                .collect()
        };
        (of("start "), of("end "))
    };
    let run = bench.run(d, &["template", "--strict", "--concurrency", "2"], &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let (starts, ends) = times();
    assert_eq!((starts.len(), ends.len()), (2, 2), "two misses");
    assert!(
        starts.iter().max() < ends.iter().min(),
        "the second helm started before the first ended: {starts:?} {ends:?}"
    );
    let again = bench.run(d, &["template", "--strict", "--concurrency", "2"], &[]);
    assert_eq!(again.stdout, run.stdout);
    assert_eq!(times().0.len(), 2, "both hits: no helm run");
}
