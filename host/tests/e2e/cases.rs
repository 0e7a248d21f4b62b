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
            failures.push(format!(
                "--- {}\n=== expected\n{expected}\n=== actual\n{actual}",
                dir.display()
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} golden case(s) differ (BLESS=1 rewrites):\n{}",
        failures.len(),
        failures.join("\n")
    );
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
