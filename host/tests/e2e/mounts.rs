//! Keys read through `volumeMounts[].subPath`, in the full render through real helm: the
//! Airflow chart mounts git-sync's SSH key as `subPath: gitSshKey` from the Secret
//! `dags.gitSync.sshKeySecret` names. A Secret with another key renders with exit 0 in helm and
//! the pods fail at start; helmwasm fails naming the key, the mount path and the workloads.
//! The chart's own `pod_template_file.yaml` mount, absent for the Celery executor, stays quiet.

use crate::full_render::example_with_fixture_chart;
use crate::support::{helmwasm, tool};

/// The example in full without its git-sync step, git-sync set in the values instead with
/// its key in an `extraSecrets` Secret whose data key is `key`.
fn example_with_ssh_secret_key(key: &str) -> tempfile::TempDir {
    let dir = example_with_fixture_chart();
    let file = dir.path().join("helmwasm.yaml");
    let text = std::fs::read_to_string(&file).unwrap();
    let start = text
        .find("      - plugin: git-sync\n")
        .expect("the git-sync step");
    let end = start
        + text[start..]
            .find("      # Metadata DB")
            .expect("the step after it");
    std::fs::write(&file, format!("{}{}", &text[..start], &text[end..])).unwrap();
    let values = dir.path().join("values/airflow.yaml");
    let mut v = std::fs::read_to_string(&values).unwrap();
    v.push_str(&format!(
        "dags:\n  gitSync:\n    enabled: true\n    repo: git@github.com:example/airflow-dags.git\n    branch: main\n    subPath: dags\n    sshKeySecret: airflow-ssh\n    knownHosts: github.com ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl\nextraSecrets:\n  airflow-ssh:\n    data: |\n      {key}: LS0tLS1CRUdJTiBPUEVOU1NIIFBSSVZBVEUgS0VZLS0tLS0K\n"
    ));
    std::fs::write(&values, v).unwrap();
    dir
}

#[test]
fn a_git_ssh_key_secret_without_git_ssh_key_fails_the_full_render() {
    tool("helm");
    let dir = example_with_ssh_secret_key("sshKey");
    let run = helmwasm(dir.path(), &["template", "--strict", "-e", "prod"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    for expected in [
        "Secret `airflow-ssh` has no key `gitSshKey` (keys: `sshKey`)",
        "the kubelet mounts an empty folder at `/etc/git-secret/ssh` instead (volume `git-sync-ssh-key`, `subPath: gitSshKey`); the chart reads that file, so the container fails",
        "Deployment `airflow-dag-processor` container `git-sync`",
        "Deployment `airflow-worker` container `git-sync-init`",
        "StatefulSet `airflow-triggerer` container `git-sync`",
    ] {
        assert!(
            run.stderr.contains(expected),
            "no `{expected}` in:\n{}",
            run.stderr
        );
    }
    assert!(!run.stderr.contains("pod_template_file"), "{}", run.stderr);
    // lint says the same, as the error HW0307.
    let lint = helmwasm(dir.path(), &["lint", "-e", "prod", "-o", "json"]);
    assert_eq!(lint.code, 1, "{}", lint.stdout);
    let doc: serde_json::Value = serde_json::from_str(&lint.stdout).unwrap();
    let found = doc["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["code"] == "HW0307")
        .unwrap_or_else(|| panic!("no HW0307 in {}", lint.stdout));
    assert_eq!(found["severity"], "error", "{found}");
    // A misspelt key: the same error, with the suggestion.
    let dir = example_with_ssh_secret_key("gitSshkey");
    let run = helmwasm(dir.path(), &["template", "--strict", "-e", "prod"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("has no key `gitSshKey` (keys: `gitSshkey`); did you mean `gitSshkey`?"),
        "{}",
        run.stderr
    );
    // The key the chart reads: the render passes, and the chart's pod_template_file.yaml
    // mount (not in the ConfigMap for the Celery executor) says nothing.
    let dir = example_with_ssh_secret_key("gitSshKey");
    let run = helmwasm(dir.path(), &["template", "--strict", "-e", "prod"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(!run.stderr.contains("HW0307"), "{}", run.stderr);
    assert!(!run.stderr.contains("has no key"), "{}", run.stderr);
}
