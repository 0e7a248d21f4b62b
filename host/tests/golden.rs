//! Golden transcripts, one test per case: every folder under `tests/cases/` holds a pipeline,
//! optionally a `cmd` file (arguments, one per line; default `template`), and `expected.out`:
//! the exit code, stdout and stderr of running the binary there. `BLESS=1` rewrites them.
//! `{test_plugins}` in `cmd` is the folder of the built test plugins; it is written back as the
//! same placeholder in the transcript.
//!
//! Each case is a test named by its folder (a libtest-mimic harness), so
//! `cargo test --test golden -- mistake-tab-indentation` runs one, and a failure names it.

#[allow(dead_code)]
#[path = "e2e/support.rs"]
mod support;

use libtest_mimic::{Arguments, Failed, Trial};
use std::path::Path;
use support::{golden_args, golden_dirs, helmwasm, test_plugins};

fn main() {
    let args = Arguments::from_args();
    let mut trials: Vec<Trial> = golden_dirs()
        .into_iter()
        .map(|dir| {
            let name = dir.file_name().unwrap().to_string_lossy().into_owned();
            Trial::test(name, move || check(&dir))
        })
        .collect();
    trials.push(Trial::test(
        "the_verdict_suggests_bless_only_for_cases_that_exited_as_expected",
        verdict_test,
    ));
    libtest_mimic::run(&args, trials).exit();
}

/// Run one case; with `BLESS`, write its transcript instead.
fn check(dir: &Path) -> Result<(), Failed> {
    let actual = transcript(dir);
    let expected_path = dir.join("expected.out");
    if std::env::var_os("BLESS").is_some() {
        std::fs::write(&expected_path, &actual).map_err(|e| Failed::from(e.to_string()))?;
        return Ok(());
    }
    let expected = std::fs::read_to_string(&expected_path).unwrap_or_default();
    verdict(&dir.display().to_string(), &expected, &actual).map_err(Failed::from)
}

/// The `exit:` line of a transcript.
fn exit_code(transcript: &str) -> Option<&str> {
    transcript.lines().find_map(|l| l.strip_prefix("exit: "))
}

/// What to tell whoever broke a golden case: `BLESS=1` is suggested only for a case that ended
/// as it was meant to (same exit code) with other output; a case whose exit code changed (a
/// render that now fails, an error that no longer happens) needs its cause fixed, and blessing
/// it would write the failure into the golden file.
fn verdict(dir: &str, expected: &str, actual: &str) -> Result<(), String> {
    if expected == actual {
        return Ok(());
    }
    let show = format!("--- {dir}\n=== expected\n{expected}\n=== actual\n{actual}");
    Err(if exit_code(expected) != exit_code(actual) {
        format!(
            "the golden case changed exit code: fix the cause (a missing tool or fixture, a new error), do not bless it:\n{show}"
        )
    } else {
        format!(
            "the golden case exited as expected with different output: once you have checked the diff, BLESS=1 rewrites it:\n{show}"
        )
    })
}

fn verdict_test() -> Result<(), Failed> {
    let broken = verdict(
        "ok-render",
        "$ helmwasm template\nexit: 0\n--- stdout\nx\n--- stderr\n",
        "$ helmwasm template\nexit: 1\n--- stdout\n--- stderr\nerror: missing shared fixture\n",
    )
    .unwrap_err();
    if !broken.starts_with("the golden case changed exit code: fix the cause")
        || broken.contains("BLESS")
    {
        return Err(broken.into());
    }
    let changed = verdict(
        "ok-render",
        "$ helmwasm template\nexit: 0\n--- stdout\nx\n--- stderr\n",
        "$ helmwasm template\nexit: 0\n--- stdout\ny\n--- stderr\n",
    )
    .unwrap_err();
    if !changed.starts_with(
        "the golden case exited as expected with different output: once you have checked the diff, BLESS=1 rewrites it",
    ) {
        return Err(changed.into());
    }
    if verdict("same", "a", "a").is_err() {
        return Err("equal transcripts must pass".into());
    }
    Ok(())
}

fn transcript(dir: &Path) -> String {
    let plugins = test_plugins().to_string_lossy().into_owned();
    let args = golden_args(dir);
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
