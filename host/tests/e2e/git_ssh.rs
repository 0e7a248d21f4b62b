//! The git-sync SSH key as OpenSSH sees it: `ssh-keygen -y` (which loads a private key and
//! prints its public half) is the oracle. Keys are made by `ssh-keygen` in each test.

use crate::support::{helmwasm, pipeline, project, tool};
use base64::Engine as _;
use std::path::Path;
use std::process::Command;

const KNOWN_HOSTS: &str =
    "github.com ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl";

/// `ssh-keygen -t ed25519` into `dir/name`, with `passphrase` (may be empty).
fn keygen(dir: &Path, name: &str, passphrase: &str) {
    let out = Command::new(tool("ssh-keygen"))
        .args(["-q", "-t", "ed25519", "-C", "test", "-N", passphrase, "-f"])
        .arg(dir.join(name))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// What `ssh-keygen -y` says about a private key file: the public key, or its error.
fn public_half(path: &Path) -> Result<String, String> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).unwrap();
    }
    let out = Command::new(tool("ssh-keygen"))
        .args(["-y", "-P", "", "-f"])
        .arg(path)
        .output()
        .unwrap();
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).trim().to_owned())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).into_owned())
    }
}

fn git_sync_pipeline(key_file: &str) -> String {
    pipeline(&format!(
        "  - plugin: git-sync\n    with:\n      repo: git@github.com:example/dags.git\n      ssh:\n        secretName: dags-ssh\n        privateKey: ref+file://{key_file}\n        knownHosts: {KNOWN_HOSTS}\n"
    ))
}

#[test]
fn a_crlf_key_is_emitted_as_a_key_openssh_loads() {
    let dir = project("");
    keygen(dir.path(), "key", "");
    let key = std::fs::read_to_string(dir.path().join("key")).unwrap();
    let crlf = dir.path().join("key-crlf");
    std::fs::write(&crlf, key.replace('\n', "\r\n")).unwrap();
    assert!(
        public_half(&crlf).is_err(),
        "the oracle refuses the CRLF key itself"
    );
    std::fs::write(
        dir.path().join("helmwasm.yaml"),
        git_sync_pipeline("key-crlf"),
    )
    .unwrap();
    let run = helmwasm(dir.path(), &["template", "--show-secrets"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stderr.contains("had CRLF line ends"), "{}", run.stderr);
    let secret = run
        .stdout
        .split("\n---\n")
        .filter_map(|d| helmwasm::yaml::parse_values(d, Path::new("render")).ok())
        .find(|d| d["kind"] == "Secret" && d["metadata"]["name"] == "dags-ssh")
        .expect("the key Secret");
    let emitted = base64::engine::general_purpose::STANDARD
        .decode(secret["data"]["gitSshKey"].as_str().unwrap())
        .unwrap();
    let out = dir.path().join("emitted");
    std::fs::write(&out, &emitted).unwrap();
    let public = std::fs::read_to_string(dir.path().join("key.pub")).unwrap();
    let expected: Vec<&str> = public.split_whitespace().take(2).collect();
    let got = public_half(&out).expect("ssh-keygen -y loads the emitted key");
    assert_eq!(got.split_whitespace().take(2).collect::<Vec<_>>(), expected);
}

#[test]
fn a_passphrase_protected_key_is_refused() {
    let dir = project("");
    keygen(dir.path(), "key", "a-passphrase");
    assert!(
        public_half(&dir.path().join("key")).is_err(),
        "the oracle needs the passphrase"
    );
    std::fs::write(dir.path().join("helmwasm.yaml"), git_sync_pipeline("key")).unwrap();
    let run = helmwasm(dir.path(), &["template"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr.contains("protected by a passphrase"),
        "{}",
        run.stderr
    );
}
