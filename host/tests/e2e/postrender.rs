//! Post-render steps on real renders (the real helm): the built-in post-renderers on a chart
//! of every workload kind, a 0.1.0 and a 0.2.0 component in one pipeline, the grant a
//! post-renderer is held to, its limits, and helmwasm as a Helm 4 plugin (`helm template
//! --post-renderer helmwasm`, `helm wasm …`) and as Helm 3's `--post-renderer PATH`.

use crate::full_render::example_with_fixture_chart;
use crate::support::{
    cache_dir, external_plugin, external_plugin_v2, fixture, helmwasm, project, root, test_plugins,
    tool,
};
use serde_json::Value;
use std::path::Path;
use std::process::Command;

fn workloads_chart() -> String {
    root().join("tests/charts/workloads").display().to_string()
}

/// A pipeline of one release `t` of the workloads chart with the given `postRender` block.
fn pipeline(post_render: &str, values: &str) -> String {
    format!(
        "releases:\n- name: t\n  namespace: apps\n  chart: {}\n  values:\n  - {values}\n  postRender:\n{post_render}",
        workloads_chart()
    )
}

/// The objects of a YAML stream (comments and `---` dropped), by Python's yaml (an
/// independent reader).
fn objects(stream: &str) -> Vec<Value> {
    let (code, out, err) = crate::support::python(
        "import json, sys, yaml\nprint(json.dumps([d for d in yaml.safe_load_all(sys.stdin) if d]))",
        &[],
        stream,
    );
    assert_eq!(
        code, 0,
        "python3 with PyYAML (tests/setup installs it): {err}"
    );
    serde_json::from_str(&out).unwrap()
}

/// Every container and init container of every workload: (object name, container).
fn containers(objects: &[Value]) -> Vec<(String, Value)> {
    let mut out = Vec::new();
    for o in objects {
        let spec = match o["kind"].as_str().unwrap_or_default() {
            "Pod" => &o["spec"],
            "CronJob" => &o["spec"]["jobTemplate"]["spec"]["template"]["spec"],
            "Deployment" | "StatefulSet" | "DaemonSet" | "ReplicaSet" | "Job" => {
                &o["spec"]["template"]["spec"]
            }
            _ => continue,
        };
        for list in ["containers", "initContainers"] {
            for c in spec[list].as_array().into_iter().flatten() {
                out.push((
                    o["metadata"]["name"].as_str().unwrap().to_owned(),
                    c.clone(),
                ));
            }
        }
    }
    out
}

#[test]
fn built_in_post_renderers_apply_to_every_object_and_container() {
    tool("helm");
    let dir = project(&pipeline(
        "  - plugin: labels\n    with: {labels: {team: data}, annotations: {owner: platform}}\n  - plugin: container-resources\n    with: {defaults: {requests: {cpu: 100m, memory: 128Mi}, limits: {cpu: 200m, memory: 256Mi}}}\n  - plugin: pod-security\n",
        "{}",
    ));
    let run = helmwasm(dir.path(), &["template", "--strict"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let objects = objects(&run.stdout);
    assert_eq!(objects.len(), 6, "{}", run.stdout);
    for o in &objects {
        assert_eq!(o["metadata"]["labels"]["team"], "data", "{o}");
        assert_eq!(o["metadata"]["annotations"]["owner"], "platform", "{o}");
    }
    let all = containers(&objects);
    assert_eq!(all.len(), 4);
    for (name, c) in &all {
        for field in ["requests", "limits"] {
            for key in ["cpu", "memory"] {
                assert!(
                    c["resources"][field][key].is_string(),
                    "{name}/{}: {field}.{key}",
                    c["name"]
                );
            }
        }
        assert_eq!(c["securityContext"]["allowPrivilegeEscalation"], false);
    }
    // What the chart set is kept; the defaults fill the rest.
    let web = &all.iter().find(|(_, c)| c["name"] == "web").unwrap().1;
    assert_eq!(web["resources"]["requests"]["cpu"], "1");
    assert_eq!(
        web["resources"]["limits"]["cpu"], "1",
        "raised to its request"
    );
    assert_eq!(web["securityContext"]["readOnlyRootFilesystem"], false);
    // Unchanged chart documents keep helm's text and `# Source:`; changed ones are printed
    // anew under the same `# Source:`.
    assert!(
        run.stdout
            .contains("# Source: workloads/templates/workloads.yaml\n")
    );
    // The Secret's data is untouched (and shown only with --show-secrets).
    let shown = helmwasm(dir.path(), &["template", "--show-secrets"]);
    assert!(
        shown
            .stdout
            .contains("token: \"Y2hhcnQtbWFkZS1kdW1teS10b2tlbg==\""),
        "{}",
        shown.stdout
    );
    // Deterministic.
    assert_eq!(
        helmwasm(dir.path(), &["template", "--strict"]).stdout,
        run.stdout
    );
}

/// A secret reference in a post-render step's config is resolved as in a values step's, and
/// redacted in the output (it reached the plugin as the reference text before).
#[test]
fn a_post_render_step_config_gets_its_secret_references_resolved() {
    tool("helm");
    let dir = project(&pipeline(
        "  - plugin: labels\n    with: {labels: {team: ref+file://team.txt}}\n",
        "{}",
    ));
    std::fs::write(dir.path().join("team.txt"), "data-platform-team-label\n").unwrap();
    let run = helmwasm(dir.path(), &["template", "--strict"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(!run.stdout.contains("ref+file://"), "{}", run.stdout);
    assert!(!run.stdout.contains("data-platform-team-label"));
    assert!(run.stdout.contains("team: <redacted>"), "{}", run.stdout);
    let shown = helmwasm(dir.path(), &["template", "--strict", "--show-secrets"]);
    assert_eq!(shown.code, 0, "{}", shown.stderr);
    let objects = objects(&shown.stdout);
    assert!(!objects.is_empty());
    for o in &objects {
        assert_eq!(
            o["metadata"]["labels"]["team"], "data-platform-team-label",
            "{o}"
        );
    }
}

#[test]
fn pod_security_refuses_privileged_host_path_and_host_network() {
    tool("helm");
    let dir = project(&pipeline(
        "  - plugin: pod-security\n",
        "{privileged: true}",
    ));
    let run = helmwasm(dir.path(), &["template", "--strict"]);
    assert_eq!(run.code, 1, "{}", run.stdout);
    for needle in [
        "release `t` post-render step 1 (`pod-security`) failed",
        "DaemonSet apps/t-agent /spec/template/spec/hostNetwork",
        "DaemonSet apps/t-agent /spec/template/spec/volumes/0/hostPath",
        "DaemonSet apps/t-agent /spec/template/spec/containers/0/securityContext/privileged",
    ] {
        assert!(
            run.stderr.contains(needle) || run.stderr.contains(&needle.replace("apps/", "")),
            "{needle}:\n{}",
            run.stderr
        );
    }
    // lint names the post-render step, its stage and its line.
    let lint = helmwasm(dir.path(), &["lint", "--strict", "-o", "json"]);
    assert_eq!(lint.code, 1);
    let doc: Value = serde_json::from_str(&lint.stdout).unwrap();
    let d = &doc["diagnostics"][0];
    assert_eq!(
        (d["code"].as_str(), d["stage"].as_str(), d["step"].as_u64()),
        (Some("HW0201"), Some("post-render"), Some(1)),
        "{d}"
    );
    assert_eq!(d["plugin"], "pod-security");
    assert_eq!(d["line"], 8, "the line of postRender[0]: {d}");
    std::fs::write(
        dir.path().join("helmwasm.yaml"),
        pipeline(
            "  - plugin: pod-security\n    with: {exempt: [DaemonSet/t-agent]}\n",
            "{privileged: true}",
        ),
    )
    .unwrap();
    assert_eq!(helmwasm(dir.path(), &["template", "--strict"]).code, 0);
}

fn probe(mode: &str, extra: &str) -> (crate::support::Run, tempfile::TempDir) {
    probe_with(mode, extra, "{}")
}

/// [`probe`] over the workloads chart with `values` (an inline map).
fn probe_with(mode: &str, extra: &str, values: &str) -> (crate::support::Run, tempfile::TempDir) {
    tool("helm");
    let plugins = test_plugins().display().to_string();
    let dir = project(&format!(
        "plugins:\n  dirs: [{plugins}]\n{}",
        pipeline(
            &format!("  - plugin: post-render-probe\n    with: {{mode: {mode}}}\n{extra}"),
            values
        )
    ));
    let run = helmwasm(dir.path(), &["template", "--strict"]);
    (run, dir)
}

#[test]
fn a_post_renderer_is_held_to_its_grant() {
    let (run, _d) = probe("cluster-role-binding", "");
    assert_eq!(run.code, 1);
    assert!(
        run.stderr
            .contains("added ClusterRoleBinding `probe-admin`"),
        "{}",
        run.stderr
    );
    assert!(run.stdout.is_empty());
    let (run, _d) = probe("secret-data", "");
    assert_eq!(run.code, 1);
    assert!(
        run.stderr
            .contains("changed the data of Secret `t-token` (namespace `apps`)"),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains("c3RvbGVu"));
    let (run, _d) = probe("remove-services", "");
    assert_eq!(run.code, 1);
    assert!(
        run.stderr.contains("removed Service `t-web`"),
        "{}",
        run.stderr
    );
    // What the default grant allows, and what the pipeline grants.
    let (run, _d) = probe("config-map", "");
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout.contains(
            "# Source: t/manifests.yaml\n# Step: post-render 1 (post-render-probe)\napiVersion: v1\ndata:\n  k: v\nkind: ConfigMap\n"
        ),
        "{}",
        run.stdout
    );
    let (run, _d) = probe(
        "cluster-role-binding",
        "    allow: {kinds: [ClusterRoleBinding], clusterScoped: true}\n",
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let (run, _d) = probe("remove-services", "    allow: {remove: true}\n");
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(!run.stdout.contains("kind: Service\n"));
}

#[test]
fn a_looping_post_renderer_is_stopped_within_its_limit() {
    let (run, _d) = probe("loop", "    limits: {timeout: 300ms}\n");
    assert_eq!(run.code, 1);
    assert!(
        run.stderr.contains(
            "release `t` post-render step 1 (`post-render-probe`) failed\n  caused by: the plugin ran past its time limit of 300ms and was stopped"
        ),
        "{}",
        run.stderr
    );
}

#[test]
fn a_values_plugin_in_post_render_is_refused_with_where_it_belongs() {
    tool("helm");
    let dir = project(&pipeline("  - plugin: airflow-keys\n", "{}"));
    let run = helmwasm(dir.path(), &["template"]);
    assert_eq!(run.code, 1);
    assert!(
        run.stderr.contains("is not a post-render plugin (its metadata declares: values); list it under `steps`, not `postRender`"),
        "{}",
        run.stderr
    );
}

#[test]
fn a_0_1_0_and_a_0_2_0_component_run_in_one_pipeline() {
    tool("helm");
    let plugins = tempfile::tempdir().unwrap();
    std::fs::copy(
        external_plugin(),
        plugins.path().join("raw_annotations.wasm"),
    )
    .unwrap();
    std::fs::copy(external_plugin_v2(), plugins.path().join("raw_stamp.wasm")).unwrap();
    let text = format!(
        "plugins:\n  dirs: [{}]\n{}  steps:\n  - plugin: raw-annotations\n    with: {{team: data}}\n",
        plugins.path().display(),
        pipeline("  - plugin: raw-stamp\n    with: {by: ci}\n", "{}")
    );
    let dir = project(&text);
    let run = helmwasm(dir.path(), &["template", "--strict", "-v"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    for o in objects(&run.stdout) {
        assert_eq!(
            o["metadata"]["annotations"]["stamp.example.com/by"], "ci",
            "{o}"
        );
    }
    assert!(
        run.stderr
            .contains("[release `t` post-render step 1 (`raw-stamp`)] info: stamping 6 objects"),
        "{}",
        run.stderr
    );
    let list = helmwasm(dir.path(), &["plugins", "list", "-f", "helmwasm.yaml"]);
    assert!(list.stdout.contains("raw-annotations"), "{}", list.stdout);
    assert!(list.stdout.contains("raw-stamp"), "{}", list.stdout);
    // The 0.1.0 values step ran: its annotation is in the values helm got.
    let values = helmwasm(dir.path(), &["write-values", "--output-dir", "v"]);
    assert_eq!(values.code, 0, "{}", values.stderr);
    assert!(
        std::fs::read_to_string(dir.path().join("v/t.yaml"))
            .unwrap()
            .contains("airflowPodAnnotations:\n  team: data\n")
    );
}

/// A Helm home of its own: plugins, config, data and cache in a temp folder.
struct HelmHome {
    dir: tempfile::TempDir,
}

impl HelmHome {
    fn new() -> Self {
        HelmHome {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    fn helm(
        &self,
        name: &str,
        cwd: &Path,
        args: &[&str],
        env: &[(&str, String)],
    ) -> crate::support::Run {
        let h = self.dir.path();
        let mut cmd = Command::new(tool(name));
        cmd.current_dir(cwd)
            .args(args)
            // `helm plugin install` (v4.1) puts plugins under the data home whatever
            // HELM_PLUGINS says; look them up there too.
            .env("HELM_PLUGINS", h.join("data").join("plugins"))
            .env("HELM_CONFIG_HOME", h.join("config"))
            .env("HELM_DATA_HOME", h.join("data"))
            .env("HELM_CACHE_HOME", h.join("cache"))
            .env("HELMWASM_BIN", env!("CARGO_BIN_EXE_helmwasm"))
            .env("HELMWASM_CACHE_DIR", cache_dir())
            .env_remove("HELMWASM_PIPELINE")
            .env_remove("HELMWASM_RELEASE")
            .stdin(std::process::Stdio::null());
        for (k, v) in env {
            cmd.env(k, v);
        }
        let out = cmd.output().expect("cannot run helm");
        crate::support::Run {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8(out.stdout).unwrap(),
            stderr: String::from_utf8(out.stderr).unwrap(),
            elapsed: Default::default(),
        }
    }
}

#[test]
fn helm_4_post_renderer_plugin_applies_the_pipeline_to_the_real_chart() {
    let home = HelmHome::new();
    let plugin = root().join("helm-plugin");
    let install = home.helm(
        "helm",
        root().as_path(),
        &["plugin", "install", plugin.to_str().unwrap()],
        &[],
    );
    assert_eq!(install.code, 0, "{}{}", install.stdout, install.stderr);
    // The example's release, with a labels step, over the packaged Airflow chart.
    let dir = example_with_fixture_chart();
    let text = std::fs::read_to_string(dir.path().join("helmwasm.yaml")).unwrap();
    let patched = text.replacen(
        "    postRender:\n",
        "    postRender:\n      - plugin: labels\n        with: {labels: {team: data-platform}}\n",
        1,
    );
    assert_ne!(patched, text, "the example has a postRender list");
    let text = patched;
    std::fs::write(dir.path().join("helmwasm.yaml"), text).unwrap();
    let chart = fixture("airflow-chart/airflow-1.19.0.tgz");
    let run = home.helm(
        "helm",
        dir.path(),
        &[
            "template",
            "airflow",
            chart.to_str().unwrap(),
            "-n",
            "airflow",
            "--post-renderer",
            "helmwasm",
        ],
        &[],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let objects = objects(&run.stdout);
    assert!(objects.len() > 20, "{} objects", objects.len());
    for o in &objects {
        assert_eq!(
            o["metadata"]["labels"]["team"], "data-platform",
            "{}",
            o["metadata"]["name"]
        );
    }
    // The example's container-resources step ran too: every container has resources.
    for (name, c) in containers(&objects) {
        assert!(
            c["resources"]["limits"]["memory"].is_string(),
            "{name}/{}",
            c["name"]
        );
    }
    // A post-renderer refused by its grant fails helm, with a non-zero exit.
    let plugins = test_plugins().display().to_string();
    std::fs::write(
        dir.path().join("bad.yaml"),
        format!(
            "plugins:\n  dirs: [{plugins}]\n{}",
            pipeline(
                "  - plugin: post-render-probe\n    with: {mode: cluster-role-binding}\n",
                "{}"
            )
        ),
    )
    .unwrap();
    let bad = home.helm(
        "helm",
        dir.path(),
        &[
            "template",
            "t",
            &workloads_chart(),
            "--post-renderer",
            "helmwasm",
        ],
        &[("HELMWASM_PIPELINE", "bad.yaml".to_owned())],
    );
    assert_ne!(bad.code, 0, "{}", bad.stdout);
    assert!(bad.stderr.contains("helmwasm"), "{}", bad.stderr);
    assert!(bad.stdout.is_empty());
}

#[test]
fn helm_3_post_renderer_path_and_helm_wasm_cli_plugin() {
    // Helm 3 takes an executable path.
    let home = HelmHome::new();
    let dir = project(&pipeline(
        "  - plugin: labels\n    with: {labels: {team: three}}\n",
        "{}",
    ));
    let script = root().join("helm-plugin/bin/post-render");
    let run = home.helm(
        "helm3",
        dir.path(),
        &[
            "template",
            "t",
            &workloads_chart(),
            "--post-renderer",
            script.to_str().unwrap(),
        ],
        &[],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    for o in objects(&run.stdout) {
        assert_eq!(o["metadata"]["labels"]["team"], "three");
    }
    // `helm wasm …` runs helmwasm.
    let cli = root().join("helm-plugin/cli");
    let install = home.helm(
        "helm",
        root().as_path(),
        &["plugin", "install", cli.to_str().unwrap()],
        &[],
    );
    assert_eq!(install.code, 0, "{}{}", install.stdout, install.stderr);
    let run = home.helm("helm", dir.path(), &["wasm", "template", "--strict"], &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    for o in objects(&run.stdout) {
        assert_eq!(o["metadata"]["labels"]["team"], "three");
    }
}

/// The README's post-render example plugin (`tests/plugins/no-latest`, the same code).
#[test]
fn the_readme_post_render_example_refuses_latest_images() {
    tool("helm");
    let plugins = test_plugins().display().to_string();
    let text = |image: &str| {
        format!(
            "plugins:\n  dirs: [{plugins}]\n{}",
            pipeline("  - plugin: no-latest\n", &format!("{{image: '{image}'}}"))
        )
    };
    let dir = project(&text("registry.example.com/app:1.0"));
    assert_eq!(helmwasm(dir.path(), &["template", "--strict"]).code, 0);
    std::fs::write(
        dir.path().join("helmwasm.yaml"),
        text("registry.example.com/app:latest"),
    )
    .unwrap();
    let run = helmwasm(dir.path(), &["template", "--strict"]);
    assert_eq!(run.code, 1);
    assert!(
        run.stderr.contains("StatefulSet t-db /spec/template/spec/containers/0/image: pin the image to a version, not `:latest`"),
        "{}",
        run.stderr
    );
}

/// What a post-render step changes is held to the grant, not only what it adds: rebinding the
/// chart's RoleBinding to cluster-admin, or making a container privileged, is refused naming the
/// object and the field; tightening needs no grant; the grant allows it.
#[test]
fn a_post_renderer_needs_a_grant_to_widen_what_the_release_may_do() {
    let run_mode = |mode: &str, allow: &str| probe_with(mode, allow, "{rbac: true}");
    let (run, _d) = run_mode("rebind-admin", "");
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(run.stdout.is_empty());
    for want in [
        "changed RoleBinding `t-view` (namespace `apps`): `subjects` changed: RBAC changes need `allow: {rbac: true}`",
        "changed RoleBinding `t-view` (namespace `apps`): `roleRef` changed: RBAC changes need `allow: {rbac: true}`",
    ] {
        assert!(run.stderr.contains(want), "{want}\n{}", run.stderr);
    }
    let (run, _d) = run_mode("privileged", "");
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr.contains("changed Deployment `t-web` (namespace `apps`): spec.template.spec.containers[web].securityContext.privileged: turned on: a post-render step may only tighten a pod's security without `allow: {podSecurity: true}`"),
        "{}",
        run.stderr
    );
    let (run, _d) = run_mode("harden", "");
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.contains("readOnlyRootFilesystem: true"));
    let (run, _d) = run_mode("rebind-admin", "    allow: {rbac: true}\n");
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.contains("name: cluster-admin"));
    let (run, _d) = run_mode("privileged", "    allow: {podSecurity: true}\n");
    assert_eq!(run.code, 0, "{}", run.stderr);
}

/// The data of a Secret the chart generates is redacted in what a post-render step logs and in
/// the objects it writes elsewhere, like a resolved secret's.
#[test]
fn chart_secret_data_is_redacted_in_what_post_render_shows() {
    let (run, _d) = probe("copy-secrets", "");
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.contains("name: probe-copy"), "{}", run.stdout);
    assert!(
        run.stderr.contains("secret token: "),
        "the step logged: {}",
        run.stderr
    );
    for leak in ["Y2hhcnQtbWFkZS1kdW1teS10b2tlbg", "chart-made-dummy-token"] {
        assert!(
            !run.stdout.contains(leak) && !run.stderr.contains(leak),
            "{leak}:\n{}\n{}",
            run.stdout,
            run.stderr
        );
    }
}

/// The same for the data of a Secret a values step emitted (a key it generated).
#[test]
fn emitted_secret_data_is_redacted_in_what_post_render_shows() {
    tool("helm");
    let plugins = test_plugins().display().to_string();
    // base64 of `step-made-dummy-key-42`.
    let dir = project(&format!(
        "plugins:\n  dirs: [{plugins}]\nreleases:\n- name: t\n  namespace: apps\n  chart: {}\n  steps:\n  - plugin: emit-objects\n    with:\n      objects:\n      - {{apiVersion: v1, kind: Secret, metadata: {{name: step-key, namespace: apps}}, data: {{key: c3RlcC1tYWRlLWR1bW15LWtleS00Mg==}}}}\n  postRender:\n  - plugin: post-render-probe\n    with: {{mode: copy-secrets}}\n",
        workloads_chart()
    ));
    let run = helmwasm(dir.path(), &["template", "--strict"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stderr.contains("secret key: "),
        "the step logged: {}",
        run.stderr
    );
    for leak in ["c3RlcC1tYWRlLWR1bW15LWtleS00Mg", "step-made-dummy-key-42"] {
        assert!(
            !run.stdout.contains(leak) && !run.stderr.contains(leak),
            "{leak}:\n{}\n{}",
            run.stdout,
            run.stderr
        );
    }
}
