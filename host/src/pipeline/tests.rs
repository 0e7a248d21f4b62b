//! One release's stages with a fake helm: the values helm is given are the final ones, helm's
//! render is checked, a failed values check stops the running `helm template`, and each failure
//! has its diagnostic code. (The real helm is the end-to-end tests' oracle.)

use super::*;
use crate::chart::repo::Fetch;
use crate::helm::{Rendering, TemplateRequest};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

/// `helm template` that prints `output` (or fails with it), remembering the values it got and
/// whether its render was stopped unwaited.
struct FakeHelm {
    output: Result<String, String>,
    values: Mutex<Vec<String>>,
    started: AtomicUsize,
    stopped: Arc<AtomicBool>,
}

impl FakeHelm {
    fn new(output: Result<&str, &str>) -> FakeHelm {
        FakeHelm {
            output: output.map(str::to_owned).map_err(str::to_owned),
            values: Mutex::new(Vec::new()),
            started: AtomicUsize::new(0),
            stopped: Arc::new(AtomicBool::new(false)),
        }
    }
}

impl Helm for FakeHelm {
    fn pull_oci(&self, _: &str, _: &str) -> Result<Vec<u8>, String> {
        Err("the fake helm pulls nothing".into())
    }

    fn describe(&self) -> String {
        "fake helm".into()
    }

    fn start_template(&self, req: &TemplateRequest) -> Result<Box<dyn Rendering>, String> {
        self.started.fetch_add(1, Ordering::SeqCst);
        self.values.lock().unwrap().push(req.values_yaml.to_owned());
        Ok(Box::new(FakeRendering {
            output: self.output.clone(),
            waited: false,
            stopped: self.stopped.clone(),
        }))
    }
}

struct FakeRendering {
    output: Result<String, String>,
    waited: bool,
    stopped: Arc<AtomicBool>,
}

impl Rendering for FakeRendering {
    fn wait(mut self: Box<Self>) -> Result<String, String> {
        self.waited = true;
        self.output.clone()
    }
}

impl Drop for FakeRendering {
    fn drop(&mut self) {
        if !self.waited {
            self.stopped.store(true, Ordering::SeqCst);
        }
    }
}

struct NoNetwork;

impl Fetch for NoNetwork {
    fn get(&self, url: &str) -> Result<Vec<u8>, String> {
        Err(format!("no network in the unit tests ({url})"))
    }
}

/// A folder with a local chart (`chart/`: a schema saying `replicas` is an integer) and a
/// pipeline whose one release sets `replicas` to `replicas`.
fn project(replicas: &str) -> tempfile::TempDir {
    project_with(replicas, "")
}

/// [`project`] with more of the release (`steps:`, `postRender:`, indented by 2).
fn project_with(replicas: &str, more: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let chart = dir.path().join("chart");
    std::fs::create_dir_all(chart.join("templates")).unwrap();
    std::fs::write(
        chart.join("Chart.yaml"),
        "apiVersion: v2\nname: demo\nversion: 0.1.0\n",
    )
    .unwrap();
    std::fs::write(chart.join("values.yaml"), "replicas: 1\n").unwrap();
    std::fs::write(
        chart.join("values.schema.json"),
        r#"{"type": "object", "properties": {"replicas": {"type": "integer"}}}"#,
    )
    .unwrap();
    std::fs::write(
        dir.path().join("helmwasm.yaml"),
        format!(
            "releases:\n- name: demo\n  namespace: ns\n  chart: ./chart\n  values:\n  - {{replicas: {replicas}}}\n{more}"
        ),
    )
    .unwrap();
    dir
}

/// Run the pipeline of `dir` with `helm`.
#[allow(clippy::result_large_err)]
fn run_with(dir: &tempfile::TempDir, helm: &FakeHelm) -> Result<Outcome, Failure> {
    let cache = tempfile::tempdir().unwrap();
    let runtime = crate::runtime::Starting::spawn(None, || {});
    let ctx = Context {
        runtime: &runtime,
        cache_dir: cache.path(),
        fetch: &NoNetwork,
        progress: false,
        helm: Some(helm),
        renders: None,
    };
    let opts = Options {
        file: dir.path().join("helmwasm.yaml"),
        offline: true,
        concurrency: 1,
        ..Options::default()
    };
    run(&opts, &ctx, &mut Redactor::default(), &mut |_, _| {})
}

const DEPLOYMENT: &str = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: demo\n  namespace: ns\nspec:\n  template:\n    spec:\n      containers:\n      - name: app\n        image: app:1\n";

#[test]
fn helm_gets_the_final_values_and_its_render_joins_the_release() {
    let helm = FakeHelm::new(Ok(DEPLOYMENT));
    let outcome = run_with(&project("2"), &helm).unwrap_or_else(|f| panic!("{:#}", f.error));
    assert!(outcome.failures.is_empty());
    assert_eq!(helm.started.load(Ordering::SeqCst), 1);
    assert!(
        helm.values.lock().unwrap()[0].contains("replicas: 2"),
        "{:?}",
        helm.values
    );
    assert!(
        !helm.stopped.load(Ordering::SeqCst),
        "waited for, not stopped"
    );
    let chart = outcome.render.releases[0].chart.as_ref().expect("rendered");
    assert_eq!(chart.documents.len(), 1);
    assert_eq!(chart.documents[0].object["kind"], "Deployment");
}

#[test]
fn a_failed_values_check_stops_the_running_helm_and_is_the_error() {
    let helm = FakeHelm::new(Ok(DEPLOYMENT));
    let failure = run_with(&project("two"), &helm)
        .map(|o| o.failures.into_iter().next().expect("a failure"))
        .unwrap_or_else(|f| f);
    assert_eq!(failure.code.id, "HW0301", "{:#}", failure.error);
    assert_eq!(
        helm.started.load(Ordering::SeqCst),
        1,
        "helm ran beside the check"
    );
    assert!(helm.stopped.load(Ordering::SeqCst), "and was stopped");
}

#[test]
fn a_failing_helm_is_helm_template_failed_naming_it() {
    let helm = FakeHelm::new(Err("Error: template: demo/templates/x.yaml:1: boom"));
    let failure = run_with(&project("2"), &helm)
        .map(|o| o.failures.into_iter().next().expect("a failure"))
        .unwrap_or_else(|f| f);
    assert_eq!(failure.code.id, "HW0403");
    let message = format!("{:#}", failure.error);
    assert!(
        message.contains("`helm template` of chart demo 0.1.0 failed (fake helm)")
            && message.contains("boom"),
        "{message}"
    );
}

#[test]
fn the_render_checks_see_helms_manifests() {
    let with_ref = format!(
        "{DEPLOYMENT}        env:\n        - name: P\n          valueFrom:\n            secretKeyRef: {{name: nowhere, key: password}}\n"
    );
    let helm = FakeHelm::new(Ok(&with_ref));
    let failure = run_with(&project("2"), &helm)
        .map(|o| o.failures.into_iter().next().expect("a failure"))
        .unwrap_or_else(|f| f);
    // A failed check phase carries each problem with its own code.
    assert!(
        failure.problems.iter().any(|p| p.code.id == "HW0103"
            && p.message.contains("Secret `nowhere` is not in the render")),
        "{:?}",
        failure.problems
    );
}

/// The first failure of a run, whether it stopped the run or not.
fn first_failure(result: Result<Outcome, Failure>) -> Failure {
    result
        .map(|o| o.failures.into_iter().next().expect("a failure"))
        .unwrap_or_else(|f| f)
}

#[test]
fn a_step_failure_has_the_code_of_its_kind_and_its_place() {
    // A plugin that is not there, as a values step and as a post-render step.
    for (more, path) in [
        (
            "  steps:\n  - plugin: no-such-plugin\n",
            "releases[0].steps[0]",
        ),
        (
            "  postRender:\n  - plugin: no-such-plugin\n",
            "releases[0].postRender[0]",
        ),
    ] {
        let helm = FakeHelm::new(Ok(DEPLOYMENT));
        let f = first_failure(run_with(&project_with("2", more), &helm));
        assert_eq!(f.code.id, "HW0106", "{:#}", f.error);
        assert_eq!(f.step, Some((1, "no-such-plugin".to_owned())));
        assert_eq!(f.step_path.as_deref(), Some(path));
    }
    // A built-in that refuses the chart: the step ran and failed.
    let helm = FakeHelm::new(Ok(DEPLOYMENT));
    let f = first_failure(run_with(
        &project_with("2", "  steps:\n  - plugin: celery-workers\n"),
        &helm,
    ));
    assert_eq!(f.code.id, "HW0201", "{:#}", f.error);
    assert_eq!(f.step_path.as_deref(), Some("releases[0].steps[0]"));
    assert!(
        format!("{:#}", f.error).starts_with("release `demo` step 1 (`celery-workers`) failed")
    );
    assert_eq!(helm.started.load(Ordering::SeqCst), 0, "helm never started");
}
