//! The `helm` binary, behind the small [`Helm`] trait (a fake stands in for it in unit
//! tests). helmwasm never renders Go templates itself: the full render is `helm template`.
//!
//! - Found with `--helm PATH`, else `HELMWASM_HELM`, else `helm` on `PATH`; Helm 3 and 4 are
//!   supported.
//! - Values reach helm through a private temp file (mode 0600, removed afterwards), never on
//!   the command line.
//! - The user's helm configuration is only read (OCI registry logins), never changed.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// One `helm template` call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateRequest<'a> {
    pub release: &'a str,
    pub namespace: &'a str,
    /// A packaged chart or chart folder.
    pub chart: &'a Path,
    /// The final values, as YAML.
    pub values_yaml: &'a str,
    /// The target cluster, when known (`--kube-version`, `--api-versions`).
    pub capabilities: &'a Capabilities,
}

/// What a chart may ask of the target cluster (`.Capabilities`), as Argo CD passes them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Capabilities {
    /// `--kube-version`, e.g. `1.29.0`.
    pub kube_version: Option<String>,
    /// `--api-versions`, e.g. `monitoring.coreos.com/v1`.
    pub api_versions: Vec<String>,
}

pub trait Helm {
    /// `helm template` with the request's values: helm's stdout, or its error message.
    fn template(&self, req: &TemplateRequest) -> Result<String, String>;
    /// `helm pull oci://…`: the packaged chart's bytes.
    fn pull_oci(&self, reference: &str, version: &str) -> Result<Vec<u8>, String>;
    /// What to call it in messages (`helm v4.1.4 (/usr/bin/helm)`).
    fn describe(&self) -> String;
}

/// The real binary.
#[derive(Debug, Clone)]
pub struct HelmBinary {
    pub path: PathBuf,
    pub version: semver::Version,
}

/// Find helm: `explicit` (`--helm`), then `HELMWASM_HELM`, then `PATH`. An explicit path that
/// does not work is an error; no helm on `PATH` is `Ok(None)` (the full render is skipped).
pub fn locate(explicit: Option<&Path>) -> Result<Option<HelmBinary>, String> {
    let from_env = std::env::var_os("HELMWASM_HELM")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from);
    if let Some((path, origin)) = explicit
        .map(|p| (p.to_path_buf(), "--helm"))
        .or(from_env.map(|p| (p, "HELMWASM_HELM")))
    {
        return probe(&path)
            .map(Some)
            .map_err(|e| format!("{origin} {}: {e}", path.display()));
    }
    match find_on_path("helm") {
        Some(path) => probe(&path)
            .map(Some)
            .map_err(|e| format!("helm on PATH ({}): {e}", path.display())),
        None => Ok(None),
    }
}

fn find_on_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .map(|d| d.join(name))
        .find(|p| is_executable(p))
}

fn is_executable(p: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        p.metadata()
            .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
    }
    #[cfg(not(unix))]
    p.is_file()
}

/// Run `helm version` and accept Helm 3 and 4.
fn probe(path: &Path) -> Result<HelmBinary, String> {
    let out = Command::new(path)
        .args(["version", "--template", "{{.Version}}"])
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run it: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "`helm version` failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    let text = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    let version = semver::Version::parse(text.trim_start_matches('v')).map_err(|_| {
        format!(
            "`helm version` printed `{}`, not a version",
            text.escape_debug()
        )
    })?;
    if !(3..=4).contains(&version.major) {
        return Err(format!(
            "helm {text} is not supported (helmwasm needs Helm 3 or 4)"
        ));
    }
    Ok(HelmBinary {
        path: path.to_path_buf(),
        version,
    })
}

impl Helm for HelmBinary {
    fn template(&self, req: &TemplateRequest) -> Result<String, String> {
        // tempfile creates the file with mode 0600 and removes it when dropped.
        let mut values = tempfile::Builder::new()
            .prefix(".helmwasm-values-")
            .suffix(".yaml")
            .tempfile()
            .map_err(|e| format!("cannot create a temp file for the values: {e}"))?;
        values
            .write_all(req.values_yaml.as_bytes())
            .and_then(|_| values.flush())
            .map_err(|e| format!("cannot write the values temp file: {e}"))?;
        let out = Command::new(&self.path)
            .arg("template")
            .arg(req.release)
            .arg(req.chart)
            .args(["--namespace", req.namespace, "--include-crds", "--values"])
            .arg(values.path())
            .args(
                req.capabilities
                    .kube_version
                    .iter()
                    .flat_map(|v| ["--kube-version", v.as_str()]),
            )
            .args(
                req.capabilities
                    .api_versions
                    .iter()
                    .flat_map(|v| ["--api-versions", v.as_str()]),
            )
            .stdin(Stdio::null())
            .output()
            .map_err(|e| format!("cannot run {}: {e}", self.path.display()))?;
        if out.status.success() {
            String::from_utf8(out.stdout)
                .map_err(|_| "helm printed output that is not UTF-8".to_owned())
        } else {
            Err(String::from_utf8_lossy(&out.stderr).trim().to_owned())
        }
    }

    fn pull_oci(&self, reference: &str, version: &str) -> Result<Vec<u8>, String> {
        let dir = tempfile::tempdir().map_err(|e| format!("cannot create a temp folder: {e}"))?;
        let mut cmd = Command::new(&self.path);
        cmd.args(["pull", reference, "--version", version, "--destination"])
            .arg(dir.path())
            .stdin(Stdio::null());
        // A registry on this machine (a local mirror, a test) usually speaks plain HTTP.
        if is_loopback_oci(reference) {
            cmd.arg("--plain-http");
        }
        let out = cmd
            .output()
            .map_err(|e| format!("cannot run {}: {e}", self.path.display()))?;
        if !out.status.success() {
            return Err(format!(
                "helm pull: {}",
                String::from_utf8_lossy(&out.stderr).trim()
            ));
        }
        let file = std::fs::read_dir(dir.path())
            .map_err(|e| e.to_string())?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .find(|p| p.extension().is_some_and(|x| x == "tgz"))
            .ok_or("helm pull wrote no .tgz")?;
        std::fs::read(&file).map_err(|e| e.to_string())
    }

    fn describe(&self) -> String {
        format!("helm v{} ({})", self.version, self.path.display())
    }
}

/// `oci://127.0.0.1…`, `oci://localhost…` or `oci://[::1]…`.
pub fn is_loopback_oci(reference: &str) -> bool {
    let host = reference
        .trim_start_matches("oci://")
        .split('/')
        .next()
        .unwrap_or_default();
    let host = host.rsplit_once(':').map_or(host, |(h, port)| {
        if port.chars().all(|c| c.is_ascii_digit()) {
            h
        } else {
            host
        }
    });
    matches!(host, "localhost" | "127.0.0.1" | "[::1]")
}

/// One document of helm's output: its `# Source:` and its text (without the `---` line).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Document {
    /// `airflow/templates/scheduler/scheduler-deployment.yaml`, or empty if helm gave none.
    pub source: String,
    /// The document as helm printed it, comment lines included, ending in a newline.
    pub text: String,
}

/// Split `helm template` output into its documents, dropping empty ones.
pub fn split_documents(output: &str) -> Vec<Document> {
    let mut docs = Vec::new();
    let mut current = String::new();
    let flush = |current: &mut String, docs: &mut Vec<Document>| {
        let text = std::mem::take(current);
        let has_content = text
            .lines()
            .any(|l| !l.trim().is_empty() && !l.trim_start().starts_with('#'));
        if has_content {
            let source = text
                .lines()
                .find_map(|l| l.strip_prefix("# Source: "))
                .unwrap_or_default()
                .trim()
                .to_owned();
            docs.push(Document { source, text });
        }
    };
    for line in output.split_inclusive('\n') {
        if line.trim_end() == "---" {
            flush(&mut current, &mut docs);
        } else {
            current.push_str(line);
        }
    }
    if !current.is_empty() && !current.ends_with('\n') {
        current.push('\n');
    }
    flush(&mut current, &mut docs);
    docs
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_registries_use_plain_http() {
        assert!(is_loopback_oci("oci://127.0.0.1:5000/charts/airflow"));
        assert!(is_loopback_oci("oci://localhost/charts/airflow"));
        assert!(is_loopback_oci("oci://[::1]:5000/c"));
        assert!(!is_loopback_oci("oci://ghcr.io/org/charts/airflow"));
        assert!(!is_loopback_oci("oci://127.0.0.1.example.com/c"));
    }

    #[test]
    fn splits_helm_output() {
        let out = "---\n# Source: c/templates/a.yaml\nkind: A\n---\n# Source: c/templates/empty.yaml\n---\n# Source: c/templates/b.yaml\nkind: B\nx: |\n  ---\n";
        let docs = split_documents(out);
        assert_eq!(docs.len(), 2);
        assert_eq!(docs[0].source, "c/templates/a.yaml");
        assert_eq!(docs[0].text, "# Source: c/templates/a.yaml\nkind: A\n");
        assert_eq!(docs[1].source, "c/templates/b.yaml");
        assert!(
            docs[1].text.ends_with("x: |\n  ---\n"),
            "an indented `---` is content"
        );
    }
}
