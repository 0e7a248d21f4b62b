//! `helmwasm inputs`: the local files each release is made from, as Argo CD's
//! `manifest-generate-paths` value, as a list with each release's fingerprint, and as JSON.

use crate::support::{copy_dir, root};

fn write(path: &std::path::Path, text: &str) {
    std::fs::write(path, text).unwrap();
}

/// `inputs` prints the set `preview` watches: as Argo CD's annotation value, as a list with
/// the fingerprint, which a values edit changes and a secret file's edit does not.
#[test]
fn inputs_prints_the_files_each_release_is_made_from() {
    let run = crate::support::helmwasm(
        &root(),
        &[
            "inputs",
            "-f",
            "examples/airflow-eks/helmwasm.yaml",
            "-e",
            "prod",
            "--output",
            "argocd",
        ],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        run.stdout,
        "credentials/admin-password;credentials/db-password;credentials/git-ssh-key;credentials/random-seed;helmwasm.yaml;values/airflow.yaml;values/prod.yaml\n"
    );
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&root().join("examples/airflow-eks"), dir.path());
    let list = || {
        let run =
            crate::support::helmwasm(dir.path(), &["inputs", "-f", "helmwasm.yaml", "-e", "prod"]);
        assert_eq!(run.code, 0, "{}", run.stderr);
        run.stdout
    };
    let first = list();
    let lines: Vec<&str> = first.lines().collect();
    assert!(lines[0].starts_with("# airflow sha256:"), "{first}");
    assert_eq!(
        lines[1..],
        [
            "credentials/admin-password",
            "credentials/db-password",
            "credentials/git-ssh-key",
            "credentials/random-seed",
            "helmwasm.yaml",
            "values/airflow.yaml",
            "values/prod.yaml"
        ]
    );
    write(
        &dir.path().join("credentials/db-password"),
        "rotated-password-value",
    );
    assert_eq!(
        list(),
        first,
        "a secret's content is not in the fingerprint"
    );
    let prod = dir.path().join("values/prod.yaml");
    let text = std::fs::read_to_string(&prod).unwrap();
    write(&prod, &text.replace("replicas: 2", "replicas: 3"));
    assert_ne!(list(), first, "a values edit changes the fingerprint");
    // Without prod, its values file is not an input.
    let run =
        crate::support::helmwasm(dir.path(), &["inputs", "-f", "helmwasm.yaml", "-o", "json"]);
    let json: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let files = json["releases"][0]["files"].as_array().unwrap();
    assert!(
        files.iter().all(|f| f["path"] != "values/prod.yaml"),
        "{files:?}"
    );
    assert!(
        files
            .iter()
            .any(|f| f["path"] == "credentials/db-password" && f["secret"] == true)
    );
}
