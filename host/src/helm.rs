//! The `helm` binary (the chart resolver sees it through the small [`Helm`] trait). helmwasm
//! never renders Go templates itself: the full render is `helm template`.
//!
//! - Found with `--helm PATH` (or `HELMWASM_HELM`), else `helm` on `PATH`; Helm 3 and 4 are
//!   supported.
//! - Values reach helm through a private temp file (mode 0600, removed afterwards), never on
//!   the command line.
//! - The user's helm configuration is only read (OCI registry logins), never changed.
//! - `helm template` can run in the background ([`Helm::start_template`]) while the
//!   pipeline checks the values it was given; dropped unwaited, it is killed and reaped.

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
    /// The chart's digest (`Chart::digest`: the render cache's key for it).
    pub chart_digest: Option<&'a str>,
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

/// What the pipeline asks of helm: the chart resolver pulls OCI charts, and each release's
/// stages start `helm template` while the values are checked. The real binary is
/// [`HelmBinary`]; the pipeline's unit tests give a fake.
pub trait Helm: Sync {
    /// `helm pull oci://…`: the packaged chart's bytes.
    fn pull_oci(&self, reference: &str, version: &str) -> Result<Vec<u8>, String>;
    /// What to call it in messages (`helm v4.1.4 (/usr/bin/helm)`).
    fn describe(&self) -> String;
    /// Start `helm template`; [`Rendering::wait`] takes its output. Dropped unwaited, the
    /// render is stopped.
    fn start_template(&self, req: &TemplateRequest) -> Result<Box<dyn Rendering>, String>;
    /// What identifies this helm's output for the render cache (its version and the SHA-256
    /// of its binary); `None` when unknown, and then its renders are not cached.
    fn identity(&self) -> Option<String> {
        None
    }
}

/// The flags [`HelmBinary::spawn_template`] passes besides the release, chart, namespace,
/// values file and capabilities.
pub const TEMPLATE_FLAGS: &[&str] = &["--include-crds"];

/// A render that is already done (a render cache hit, a test's fake).
pub struct Ready(pub Result<String, String>);

impl Rendering for Ready {
    fn wait(self: Box<Self>) -> Result<String, String> {
        self.0
    }
}

/// A `helm template` under way.
pub trait Rendering: Send {
    /// helm's stdout, or its error message.
    fn wait(self: Box<Self>) -> Result<String, String>;
}

/// The real binary.
#[derive(Debug, Clone)]
pub struct HelmBinary {
    pub path: PathBuf,
    pub version: semver::Version,
    /// The SHA-256 of the binary (hex), when located with a cache folder: the render cache's
    /// key for helm. Hashed once per binary (path, size, modification time, inode).
    pub digest: Option<String>,
    /// What one `helm template` may take ([`Bounds`]).
    pub bounds: Bounds,
}

/// The memory and time one `helm template` child may take: its address space (`RLIMIT_AS`,
/// so a chart that builds a huge string fails in helm instead of taking the machine) and its
/// wall time (it is stopped past it). `--helm-memory` and `--helm-timeout` raise them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bounds {
    pub memory: u64,
    pub timeout: std::time::Duration,
}

impl Default for Bounds {
    fn default() -> Self {
        Bounds {
            memory: 4 << 30,
            timeout: std::time::Duration::from_secs(300),
        }
    }
}

/// Find helm: `explicit` (`--helm`, or `HELMWASM_HELM` through clap), then `PATH`. An explicit path that
/// does not work is an error; no helm on `PATH` is `Ok(None)` (the full render is skipped).
/// With `cache`, a binary's version is remembered there, keyed by its path, size, modification
/// time and inode, so `helm version` (tens of milliseconds) runs once per helm binary.
pub fn locate(explicit: Option<&Path>, cache: Option<&Path>) -> Result<Option<HelmBinary>, String> {
    let probe = |path: &Path| probe_cached(path, cache);
    if let Some(path) = explicit {
        return probe(path)
            .map(Some)
            .map_err(|e| format!("--helm (or HELMWASM_HELM) {}: {e}", path.display()));
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

/// [`probe`] through the version cache: `CACHE/helm/<key>` holds the version of a binary
/// that passed the probe and the SHA-256 of its bytes, one per line.
fn probe_cached(path: &Path, cache: Option<&Path>) -> Result<HelmBinary, String> {
    let entry = cache.and_then(|dir| Some(dir.join("helm").join(version_key(path)?)));
    if let Some((version, digest)) = entry
        .as_ref()
        .and_then(|e| std::fs::read_to_string(e).ok())
        .and_then(|t| {
            let mut lines = t.lines();
            let version = semver::Version::parse(lines.next()?.trim()).ok()?;
            let digest = lines.next()?.trim().to_owned();
            (digest.len() == 64 && digest.bytes().all(|b| b.is_ascii_hexdigit()))
                .then_some((version, digest))
        })
        .filter(|(v, _)| (3..=4).contains(&v.major))
    {
        return Ok(HelmBinary {
            path: path.to_path_buf(),
            version,
            digest: Some(digest),
            bounds: Bounds::default(),
        });
    }
    let mut found = probe(path)?;
    if let Some(entry) = entry {
        found.digest = std::fs::read(path)
            .ok()
            .map(|b| crate::store::sha256_hex(&b));
        if let Some(digest) = &found.digest {
            // A cache that cannot be written only costs the probe next time.
            let _ = crate::store::write_atomic(
                &entry,
                format!("{}\n{digest}\n", found.version).as_bytes(),
            );
        }
    }
    Ok(found)
}

/// What identifies one helm binary: its resolved path, size, modification time and inode.
fn version_key(path: &Path) -> Option<String> {
    let real = std::fs::canonicalize(path).ok()?;
    let m = std::fs::metadata(&real).ok()?;
    let modified = m
        .modified()
        .ok()?
        .duration_since(std::time::UNIX_EPOCH)
        .ok()?;
    #[cfg(unix)]
    let inode = std::os::unix::fs::MetadataExt::ino(&m);
    #[cfg(not(unix))]
    let inode = 0u64;
    let id = format!(
        "{}\0{}\0{}\0{}",
        real.display(),
        m.len(),
        modified.as_nanos(),
        inode
    );
    Some(crate::store::sha256_hex(id.as_bytes())[..32].to_owned())
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
        digest: None,
        bounds: Bounds::default(),
    })
}

impl HelmBinary {
    /// `helm template` with the request's values, started in the background:
    /// [`Template::wait`] gives helm's stdout or its error message, and a [`Template`]
    /// dropped unwaited stops helm. The pipeline starts helm while it checks the final
    /// values, and stops it when they fail.
    pub fn spawn_template(&self, req: &TemplateRequest) -> Result<Template, String> {
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
        let mut command = Command::new(&self.path);
        limit_memory(&mut command, self.bounds.memory);
        let mut child = command
            .arg("template")
            .arg(req.release)
            .arg(req.chart)
            .args(["--namespace", req.namespace])
            .args(TEMPLATE_FLAGS)
            .arg("--values")
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
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| format!("cannot run {}: {e}", self.path.display()))?;
        // Both pipes drained as helm writes (a chart's render is far beyond a pipe's buffer).
        let stdout = drain(child.stdout.take());
        let stderr = drain(child.stderr.take());
        Ok(Template {
            child,
            pipes: Some((stdout, stderr)),
            _values: values,
            path: self.path.clone(),
            bounds: self.bounds,
        })
    }
}

/// The child's address space capped at `bytes` (Unix: `setrlimit(RLIMIT_AS)` between fork and
/// exec).
fn limit_memory(command: &mut Command, bytes: u64) {
    #[cfg(unix)]
    {
        use std::os::unix::process::CommandExt;
        let limit = libc::rlimit {
            rlim_cur: bytes as libc::rlim_t,
            rlim_max: bytes as libc::rlim_t,
        };
        // SAFETY: between fork and exec only `setrlimit`, which is async-signal-safe, runs,
        // on a value copied in beforehand; nothing is allocated.
        unsafe {
            command.pre_exec(move || {
                if libc::setrlimit(libc::RLIMIT_AS, &limit) == 0 {
                    Ok(())
                } else {
                    Err(std::io::Error::last_os_error())
                }
            });
        }
    }
    #[cfg(not(unix))]
    let _ = (command, bytes);
}

type Drained = std::thread::JoinHandle<std::io::Result<Vec<u8>>>;

/// Everything `pipe` gives until it closes, read on a thread of its own.
fn drain(pipe: Option<impl std::io::Read + Send + 'static>) -> Drained {
    std::thread::spawn(move || {
        let mut bytes = Vec::new();
        if let Some(mut p) = pipe {
            p.read_to_end(&mut bytes)?;
        }
        Ok(bytes)
    })
}

/// A `helm template` under way ([`HelmBinary::spawn_template`]).
pub struct Template {
    child: std::process::Child,
    /// stdout and stderr, read on their own threads; taken by `wait`.
    pipes: Option<(Drained, Drained)>,
    /// Removed when helm is done with it.
    _values: tempfile::NamedTempFile,
    path: PathBuf,
    bounds: Bounds,
}

impl Template {
    /// helm's stdout, or its error message: helm's own, or why it died (its time or memory
    /// bound, a signal) with the last line it wrote.
    pub fn wait(mut self) -> Result<String, String> {
        let cannot = |e: std::io::Error| format!("cannot run {}: {e}", self.path.display());
        let deadline = std::time::Instant::now() + self.bounds.timeout;
        let status = loop {
            if let Some(status) = self.child.try_wait().map_err(cannot)? {
                break Some(status);
            }
            if std::time::Instant::now() >= deadline {
                let _ = self.child.kill();
                let _ = self.child.wait();
                break None;
            }
            std::thread::sleep(std::time::Duration::from_millis(5));
        };
        let (stdout, stderr) = self.pipes.take().expect("waited once");
        let joined = |h: Drained| h.join().unwrap_or_else(|_| Ok(Vec::new()));
        let (stdout, stderr) = (
            joined(stdout).map_err(cannot)?,
            joined(stderr).map_err(cannot)?,
        );
        let stderr = String::from_utf8_lossy(&stderr).trim().to_owned();
        // What helm said of its end: Go's `fatal error:` line (before its stack trace), else
        // its last line.
        let last_line = || {
            stderr
                .lines()
                .find(|l| l.starts_with("fatal error:"))
                .or_else(|| stderr.lines().rev().find(|l| !l.trim().is_empty()))
                .map(|l| format!("; its last line: {}", l.trim()))
                .unwrap_or_default()
        };
        let Some(status) = status else {
            return Err(format!(
                "helm ran past its time limit of {} and was stopped (raise it with --helm-timeout){}",
                humantime::format_duration(self.bounds.timeout),
                last_line()
            ));
        };
        if status.success() {
            return String::from_utf8(stdout)
                .map_err(|_| "helm printed output that is not UTF-8".to_owned());
        }
        let memory = crate::units::ByteSize(self.bounds.memory);
        if stderr.contains("out of memory")
            || stderr.contains("cannot allocate memory")
            || stderr.contains("failed to reserve")
        {
            return Err(format!(
                "helm ran out of memory under its limit of {memory} (raise it with --helm-memory){}",
                last_line()
            ));
        }
        #[cfg(unix)]
        {
            use std::os::unix::process::ExitStatusExt;
            if let Some(signal) = status.signal() {
                return Err(format!(
                    "helm was killed by signal {signal}{} (its memory limit is {memory}){}",
                    match signal {
                        9 => " (SIGKILL: the kernel's out-of-memory killer, or another process)",
                        6 => " (SIGABRT)",
                        11 => " (SIGSEGV)",
                        _ => "",
                    },
                    last_line()
                ));
            }
        }
        if stderr.is_empty() {
            return Err(format!(
                "helm exited with {} and wrote nothing on stderr",
                status
                    .code()
                    .map_or_else(|| "no exit code".to_owned(), |c| format!("code {c}"))
            ));
        }
        Err(stderr)
    }
}

impl Drop for Template {
    fn drop(&mut self) {
        if let Some((stdout, stderr)) = self.pipes.take() {
            // Not waited for: stopped, and reaped, and its pipes' readers ended.
            let _ = self.child.kill();
            let _ = self.child.wait();
            let _ = (stdout.join(), stderr.join());
        }
    }
}

impl Rendering for Template {
    fn wait(self: Box<Self>) -> Result<String, String> {
        Template::wait(*self)
    }
}

impl Helm for HelmBinary {
    fn start_template(&self, req: &TemplateRequest) -> Result<Box<dyn Rendering>, String> {
        self.spawn_template(req)
            .map(|t| Box::new(t) as Box<dyn Rendering>)
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

    fn identity(&self) -> Option<String> {
        let digest = self.digest.as_ref()?;
        Some(format!("helm v{} sha256:{digest}", self.version))
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

    /// A stand-in helm that appends a line to `calls` each time it is asked its version.
    #[cfg(unix)]
    fn counting_helm(dir: &Path, version: &str) -> PathBuf {
        use std::os::unix::fs::PermissionsExt;
        let path = dir.join("helm");
        let calls = dir.join("calls");
        std::fs::write(
            &path,
            format!(
                "#!/bin/sh\necho version >> '{}'\nprintf '{version}'\n",
                calls.display()
            ),
        )
        .unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
        path
    }

    #[cfg(unix)]
    #[test]
    fn the_version_probe_runs_once_per_helm_binary() {
        let dir = tempfile::tempdir().unwrap();
        let cache = dir.path().join("cache");
        let helm = counting_helm(dir.path(), "v3.17.3");
        let calls = || {
            std::fs::read_to_string(dir.path().join("calls"))
                .map(|t| t.lines().count())
                .unwrap_or(0)
        };
        let digest = crate::store::sha256_hex(&std::fs::read(&helm).unwrap());
        for _ in 0..3 {
            let found = locate(Some(&helm), Some(&cache)).unwrap().unwrap();
            assert_eq!(found.version.to_string(), "3.17.3");
            assert_eq!(found.digest.as_deref(), Some(digest.as_str()));
            assert_eq!(
                found.identity().unwrap(),
                format!("helm v3.17.3 sha256:{digest}")
            );
        }
        assert_eq!(calls(), 1, "probed once, then read from the cache");
        // Without a cache, every call probes, and the binary is not hashed (no render cache).
        let found = locate(Some(&helm), None).unwrap().unwrap();
        assert_eq!((found.identity(), found.digest), (None, None));
        assert_eq!(calls(), 2);
        // Another binary at the same path (new size and time) is probed again, and a helm 2
        // is refused whatever the cache held for the old one.
        std::thread::sleep(std::time::Duration::from_millis(20));
        counting_helm(dir.path(), "v2.17.0-with-a-longer-text");
        let err = locate(Some(&helm), Some(&cache)).unwrap_err();
        assert!(err.contains("is not supported"), "{err}");
        assert_eq!(calls(), 3);
    }
}
