//! `examples/ci/github-actions.yml`: parsed (by Python's yaml, an independent reader), and
//! the shell steps that run helmwasm executed as the runner would (`bash -eo pipefail`)
//! against the example in a git repository whose `origin/main` is the unchanged pipeline.
//! The steps that install helm and helmwasm need the network and are not run here.

use crate::full_render::example_with_fixture_chart;
use crate::support::{git, root, tool};
use serde_json::Value;
use std::process::Command;

fn workflow() -> Value {
    let out = crate::support::python3()
        .args([
            "-c",
            "import json, sys, yaml\nprint(json.dumps(yaml.safe_load(open(sys.argv[1])), default=str))",
        ])
        .arg(root().join("examples/ci/github-actions.yml"))
        .output()
        .expect("python3 with PyYAML");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn the_ci_workflow_parses_and_its_helmwasm_steps_run_against_the_example() {
    tool("helm");
    let wf = workflow();
    assert_eq!(wf["permissions"]["security-events"], "write");
    let steps = wf["jobs"]["review"]["steps"].as_array().unwrap();
    let named = |name: &str| {
        steps
            .iter()
            .find(|s| s["name"] == name)
            .unwrap_or_else(|| panic!("no step `{name}`"))
    };
    assert!(
        steps
            .iter()
            .any(|s| s["uses"] == "github/codeql-action/upload-sarif@v3"
                && s["with"]["sarif_file"] == "helmwasm.sarif")
    );
    assert!(steps.iter().any(|s| s["uses"] == "actions/cache@v4"));
    assert!(
        steps
            .iter()
            .any(|s| s["uses"] == "actions/checkout@v4" && s["with"]["fetch-depth"] == 0)
    );

    // A repository holding the example (chart: the packaged fixture), `origin/main` at the
    // committed pipeline, then a change in the working tree, as in a pull request.
    let example = example_with_fixture_chart();
    let repo = tempfile::tempdir().unwrap();
    let pipeline_dir = repo.path().join("examples/airflow-eks");
    std::fs::create_dir_all(&pipeline_dir).unwrap();
    crate::support::copy_dir(example.path(), &pipeline_dir);
    git(repo.path(), &["init", "-q", "-b", "main"]);
    git(repo.path(), &["add", "."]);
    git(repo.path(), &["commit", "-qm", "base"]);
    git(
        repo.path(),
        &["update-ref", "refs/remotes/origin/main", "HEAD"],
    );
    let prod = pipeline_dir.join("values/prod.yaml");
    let text = std::fs::read_to_string(&prod).unwrap();
    std::fs::write(&prod, text.replace("replicas: 2", "replicas: 3")).unwrap();

    let bin = tempfile::tempdir().unwrap();
    #[cfg(unix)]
    std::os::unix::fs::symlink(env!("CARGO_BIN_EXE_helmwasm"), bin.path().join("helmwasm"))
        .unwrap();
    let summary = repo.path().join("summary.md");
    // A cache folder of its own, as a runner's: the render cache fills it, and the last step
    // must empty the render cache before the job's end saves the folder.
    let cache = tempfile::tempdir().unwrap();
    let run_step = |name: &str| {
        let script = named(name)["run"].as_str().unwrap().to_owned();
        let out = Command::new("bash")
            .args(["--noprofile", "--norc", "-eo", "pipefail", "-c", &script])
            .current_dir(repo.path())
            .env(
                "PATH",
                format!(
                    "{}:{}",
                    bin.path().display(),
                    std::env::var("PATH").unwrap_or_default()
                ),
            )
            .env("PIPELINE", wf["env"]["PIPELINE"].as_str().unwrap())
            .env("ENVIRONMENT", wf["env"]["ENVIRONMENT"].as_str().unwrap())
            .env("HELMWASM_CACHE_DIR", cache.path())
            .env("HELMWASM_HELM", tool("helm"))
            .env("HELMWASM_OFFLINE", "1")
            .env("GITHUB_BASE_REF", "main")
            .env("GITHUB_STEP_SUMMARY", &summary)
            .stdin(std::process::Stdio::null())
            .output()
            .unwrap();
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let (code, stdout, stderr) = run_step("Lint");
    assert_eq!(code, 0, "{stdout}{stderr}");
    let sarif: Value =
        serde_json::from_str(&std::fs::read_to_string(repo.path().join("helmwasm.sarif")).unwrap())
            .unwrap();
    assert_eq!(sarif["version"], "2.1.0");
    let (code, stdout, stderr) = run_step("Diff against the target branch");
    assert_eq!(code, 0, "{stdout}{stderr}");
    let summary = std::fs::read_to_string(&summary).unwrap();
    assert!(
        summary.starts_with("### helmwasm diff (prod)\n```diff\n"),
        "{summary}"
    );
    assert!(summary.contains("+   replicas: 3"), "{summary}");
    assert!(summary.contains("Summary: 0 added, "), "{summary}");
    let (code, stdout, stderr) = run_step("Render");
    assert_eq!(code, 0, "{stdout}{stderr}");
    let render = std::fs::read_to_string(repo.path().join("render.yaml")).unwrap();
    assert!(render.contains("<redacted>"));
    let password = std::fs::read_to_string(pipeline_dir.join("credentials/db-password")).unwrap();
    assert!(
        !render.contains(password.trim()),
        "the artifact holds a secret"
    );
    let renders = || {
        std::fs::read_dir(cache.path().join("renders"))
            .unwrap()
            .flatten()
            .filter(|e| e.path().extension().is_some_and(|x| x == "render"))
            .count()
    };
    assert!(
        renders() >= 1,
        "the steps rendered through the render cache"
    );
    let drop_step = named("Drop cached renders");
    assert_eq!(drop_step["if"], "always()");
    let (code, stdout, stderr) = run_step("Drop cached renders");
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert_eq!(renders(), 0, "{stdout}");
}
