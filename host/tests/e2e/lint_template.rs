//! `lint` agrees with `template`: over every golden case (`tests/cases/`) and the example
//! rendered in full with the fixture charts, lint reports an error (exit 1) exactly when
//! `template` fails. Each pipeline runs twice: as written, and with its credentials (every
//! string under a credential key: `password`, `privateKey`, `fernetKey`, `randomSeed`, …)
//! turned into `ref+env://` references, which `template` resolves and lint replaces with
//! placeholders; without that, only the example would hold a reference and the test would
//! prove nothing about placeholders.
//!
//! [`NEEDS_THE_SECRET`] lists the runs where the failure truly needs a secret's value, which
//! lint does not have (docs/diagnostics.md, HW0204, says the same).

use crate::full_render::example_with_fixture_chart;
use crate::support::{golden_args, golden_dirs, helmwasm_with};
use serde_json::Value;
use std::path::{Path, PathBuf};

/// Cases that are not a pipeline run: nothing to compare.
const NOT_A_PIPELINE: &[(&str, &str)] = &[
    ("cli-usage-error", "an unknown option: clap's usage error"),
    ("help-template-option-order", "`--help` prints help"),
];

/// Runs where `template` fails on a secret's value, which lint, given placeholders, cannot
/// see: (case, variant, why).
const NEEDS_THE_SECRET: &[(&str, &str, &str)] = &[(
    "mistake-loadbalancer-weak-password",
    "with references",
    "the admin password is judged by its value (HW0311), which lint, given a placeholder, does not have",
)];

/// One pipeline run: a folder, the `template` arguments, and the pipeline file they read.
struct Subject {
    name: String,
    cwd: PathBuf,
    args: Vec<String>,
    pipeline: PathBuf,
    /// Keeps a temporary copy alive.
    _keep: Option<tempfile::TempDir>,
}

#[test]
fn lint_reports_an_error_exactly_when_template_fails() {
    let mut subjects = golden_subjects();
    let full = example_with_fixture_chart();
    for env in ["default", "dev", "prod"] {
        subjects.push(Subject {
            name: format!("example-full-render-{env}"),
            cwd: full.path().to_owned(),
            args: vec![
                "template".into(),
                "--strict".into(),
                "-e".into(),
                env.into(),
            ],
            pipeline: full.path().join("helmwasm.yaml"),
            _keep: None,
        });
    }
    // The example in full with a name the chart's templates reject (issue 30's case).
    let bad = example_with_fixture_chart();
    let file = bad.path().join("helmwasm.yaml");
    let text = std::fs::read_to_string(&file).unwrap();
    let patched = text.replace(
        "metadataSecretName: airflow-metadata-db",
        "metadataSecretName: Airflow_Meta",
    );
    assert_ne!(patched, text, "the example names its metadata Secret");
    std::fs::write(&file, patched).unwrap();
    subjects.push(Subject {
        name: "example-full-render-invalid-secret-name".into(),
        cwd: bad.path().to_owned(),
        args: vec![
            "template".into(),
            "--strict".into(),
            "-e".into(),
            "prod".into(),
        ],
        pipeline: file,
        _keep: None,
    });
    assert!(subjects.len() > 80, "{} subjects", subjects.len());

    let results: Vec<Vec<String>> = std::thread::scope(|s| {
        let chunks: Vec<&[Subject]> = subjects.chunks(subjects.len().div_ceil(3)).collect();
        let handles: Vec<_> = chunks
            .into_iter()
            .map(|chunk| s.spawn(move || chunk.iter().flat_map(compare).collect::<Vec<_>>()))
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let (mismatches, referenced): (Vec<String>, Vec<String>) = results
        .into_iter()
        .flatten()
        .partition(|r| !r.starts_with("referenced:"));
    assert!(
        mismatches.is_empty(),
        "lint and template disagree:\n{}",
        mismatches.join("\n\n")
    );
    // The test means something only if placeholders reached the steps: every pipeline that
    // holds a credential (the examples, the database, git and UI cases) ran with references.
    assert!(
        referenced.len() >= 14,
        "only {} runs had credentials turned into references: {referenced:?}",
        referenced.len()
    );
}

/// The golden cases that run a pipeline with `template`.
fn golden_subjects() -> Vec<Subject> {
    let mut subjects = Vec::new();
    for dir in golden_dirs() {
        let name = dir.file_name().unwrap().to_string_lossy().into_owned();
        if NOT_A_PIPELINE.iter().any(|(n, _)| *n == name) {
            continue;
        }
        let args = golden_args(&dir);
        assert_eq!(
            args[0], "template",
            "{name}: a golden case that is not `template`"
        );
        let file = args
            .iter()
            .position(|a| a == "-f")
            .map_or("helmwasm.yaml", |i| args[i + 1].as_str());
        subjects.push(Subject {
            pipeline: dir.join(file),
            cwd: dir,
            name,
            args,
            _keep: None,
        });
    }
    subjects
}

/// Both variants of one subject: a line per disagreement, and `referenced:` for a run with
/// credentials turned into references.
fn compare(subject: &Subject) -> Vec<String> {
    let mut out = Vec::new();
    out.extend(disagreement(
        subject,
        "as written",
        &subject.cwd,
        &subject.args,
        &[],
    ));
    if let Some((copy, cwd, args, env)) = with_references(subject) {
        let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        out.push(format!("referenced: {}", subject.name));
        out.extend(disagreement(subject, "with references", &cwd, &args, &env));
        drop(copy);
    }
    out
}

fn disagreement(
    subject: &Subject,
    variant: &str,
    cwd: &Path,
    args: &[String],
    env: &[(&str, &str)],
) -> Option<String> {
    let mut env = env.to_vec();
    env.push(("HELMWASM_OFFLINE", "1"));
    let template: Vec<&str> = args.iter().map(String::as_str).collect();
    // `--show-secrets` is how template prints, not what it checks.
    let mut lint: Vec<&str> = template
        .iter()
        .copied()
        .filter(|a| *a != "--show-secrets")
        .collect();
    lint[0] = "lint";
    let t = helmwasm_with(cwd, &template, &env);
    let l = helmwasm_with(cwd, &lint, &env);
    assert!(
        t.code == 0 || t.code == 1,
        "{}: template exit {}: {}",
        subject.name,
        t.code,
        t.stderr
    );
    let template_failed = t.code != 0;
    let lint_failed = l.code != 0;
    let excused = NEEDS_THE_SECRET
        .iter()
        .any(|(n, v, _)| *n == subject.name && *v == variant);
    (template_failed != lint_failed && !excused).then(|| {
        format!(
            "{} ({variant}): template exit {}, lint exit {}\n--- template stderr\n{}--- lint stdout\n{}--- lint stderr\n{}",
            subject.name, t.code, l.code, t.stderr, l.stdout, l.stderr
        )
    })
}

/// Keys whose string values are credentials.
fn is_credential(key: &str) -> bool {
    let k = key.to_ascii_lowercase();
    !k.ends_with("secretname")
        && (k.contains("password")
            || [
                "privatekey",
                "fernetkey",
                "apisecretkey",
                "webserversecretkey",
                "jwtsecret",
                "randomseed",
                "token",
            ]
            .contains(&k.as_str()))
}

/// A copy of the subject's pipeline folder whose credentials are `ref+env://` references: the
/// copy, the folder and arguments to run in, and the variables that hold the credentials.
/// None when the pipeline does not parse or holds no credential.
#[allow(clippy::type_complexity)]
fn with_references(
    subject: &Subject,
) -> Option<(
    tempfile::TempDir,
    PathBuf,
    Vec<String>,
    Vec<(String, String)>,
)> {
    let text = std::fs::read_to_string(&subject.pipeline).ok()?;
    let mut doc = helmwasm::yaml::parse_values(&text, &subject.pipeline).ok()?;
    let mut env = Vec::new();
    referenced(&mut doc, None, &mut env);
    if env.is_empty() {
        return None;
    }
    let copy = tempfile::tempdir().unwrap();
    let src = subject.pipeline.parent().unwrap();
    crate::support::copy_dir(src, copy.path());
    let file = copy.path().join(subject.pipeline.file_name().unwrap());
    std::fs::write(&file, helmwasm::yaml::to_string(&doc)).unwrap();
    let mut args = subject.args.clone();
    if let Some(i) = args.iter().position(|a| a == "-f") {
        args[i + 1] = file.to_string_lossy().into_owned();
    }
    let cwd = copy.path().to_owned();
    Some((copy, cwd, args, env))
}

fn referenced(v: &mut Value, key: Option<&str>, env: &mut Vec<(String, String)>) {
    match v {
        Value::String(s) if key.is_some_and(is_credential) && !s.starts_with("ref+") => {
            let name = format!("HELMWASM_LINT_DIFF_{}", env.len());
            env.push((name.clone(), std::mem::take(s)));
            *s = format!("ref+env://{name}");
        }
        Value::Object(map) => {
            for (k, v) in map.iter_mut() {
                referenced(v, Some(k.as_str()), env);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|i| referenced(i, key, env)),
        _ => {}
    }
}
