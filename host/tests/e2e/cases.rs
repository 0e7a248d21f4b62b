//! Golden transcripts: every folder under `tests/cases/` holds a pipeline, optionally a
//! `cmd` file (arguments, one per line; default `template`), and `expected.out`: the exit
//! code, stdout and stderr of running the binary there. `BLESS=1` rewrites them.
//! `{test_plugins}` in `cmd` is the folder of the built test plugins; it is written back as
//! the same placeholder in the transcript.

use crate::support::{helmwasm, root, test_plugins};
use std::path::Path;

#[test]
fn golden_cases() {
    let cases = root().join("tests").join("cases");
    let mut dirs: Vec<_> = std::fs::read_dir(&cases)
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
    let bless = std::env::var_os("BLESS").is_some();
    let mut failures = Vec::new();
    for dir in &dirs {
        let actual = transcript(dir);
        let expected_path = dir.join("expected.out");
        if bless {
            std::fs::write(&expected_path, &actual).unwrap();
            continue;
        }
        let expected = std::fs::read_to_string(&expected_path).unwrap_or_default();
        if expected != actual {
            failures.push(Differs {
                dir: dir.display().to_string(),
                expected,
                actual,
            });
        }
    }
    assert!(failures.is_empty(), "{}", report(&failures));
}

/// A golden case whose transcript changed.
struct Differs {
    dir: String,
    expected: String,
    actual: String,
}

/// The `exit:` line of a transcript.
fn exit_code(transcript: &str) -> Option<&str> {
    transcript.lines().find_map(|l| l.strip_prefix("exit: "))
}

/// What to tell whoever broke the goldens: `BLESS=1` is suggested only for cases that ended as
/// they were meant to (same exit code) with other output; a case whose exit code changed (a
/// render that now fails, an error that no longer happens) needs its cause fixed, and blessing
/// it would write the failure into the golden file.
fn report(failures: &[Differs]) -> String {
    let (exit_changed, output_changed): (Vec<&Differs>, Vec<&Differs>) = failures
        .iter()
        .partition(|d| exit_code(&d.expected) != exit_code(&d.actual));
    let show = |d: &Differs| {
        format!(
            "--- {}\n=== expected\n{}\n=== actual\n{}",
            d.dir, d.expected, d.actual
        )
    };
    let mut out = Vec::new();
    if !exit_changed.is_empty() {
        out.push(format!(
            "{} golden case(s) changed exit code: fix the cause (a missing tool or fixture, a new error), do not bless these:",
            exit_changed.len()
        ));
        out.extend(exit_changed.iter().map(|d| show(d)));
    }
    if !output_changed.is_empty() {
        out.push(format!(
            "{} golden case(s) exited as expected with different output: once you have checked each diff, BLESS=1 rewrites them:",
            output_changed.len()
        ));
        out.extend(output_changed.iter().map(|d| show(d)));
    }
    out.join("\n")
}

#[test]
fn the_report_suggests_bless_only_for_cases_that_exited_as_expected() {
    let case = |dir: &str, expected: &str, actual: &str| Differs {
        dir: dir.into(),
        expected: expected.into(),
        actual: actual.into(),
    };
    let broken = report(&[case(
        "ok-render",
        "$ helmwasm template\nexit: 0\n--- stdout\nx\n--- stderr\n",
        "$ helmwasm template\nexit: 1\n--- stdout\n--- stderr\nerror: missing shared fixture\n",
    )]);
    assert!(
        broken.starts_with("1 golden case(s) changed exit code: fix the cause"),
        "{broken}"
    );
    assert!(!broken.contains("BLESS"), "{broken}");
    let changed = report(&[case(
        "ok-render",
        "$ helmwasm template\nexit: 0\n--- stdout\nx\n--- stderr\n",
        "$ helmwasm template\nexit: 0\n--- stdout\ny\n--- stderr\n",
    )]);
    assert!(changed.starts_with("1 golden case(s) exited as expected with different output: once you have checked each diff, BLESS=1 rewrites them"), "{changed}");
}

fn transcript(dir: &Path) -> String {
    let plugins = test_plugins().to_string_lossy().into_owned();
    let cmd = std::fs::read_to_string(dir.join("cmd")).unwrap_or_else(|_| "template\n".into());
    let args: Vec<String> = cmd
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| l.trim().replace("{test_plugins}", &plugins))
        .collect();
    let arg_refs: Vec<&str> = args.iter().map(String::as_str).collect();
    let run = helmwasm(dir, &arg_refs);
    let unplace = |s: &str| s.replace(&plugins, "{test_plugins}");
    format!(
        "$ helmwasm {}\nexit: {}\n--- stdout\n{}--- stderr\n{}",
        unplace(&args.join(" ")),
        run.code,
        unplace(&run.stdout),
        unplace(&run.stderr)
    )
}

#[test]
fn renders_are_byte_identical_across_runs() {
    let dir = root().join("examples").join("airflow-eks");
    let first = helmwasm(&dir, &["template"]);
    assert_eq!(first.code, 0, "{}", first.stderr);
    for _ in 0..2 {
        let again = helmwasm(&dir, &["template"]);
        assert_eq!(again.stdout, first.stdout);
    }
    // A cold compile cache must not change a byte either.
    let cold = tempfile::tempdir().unwrap();
    let out = helmwasm(
        &dir,
        &["template", "--cache-dir", cold.path().to_str().unwrap()],
    );
    assert_eq!(out.stdout, first.stdout);
}
