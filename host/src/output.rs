//! Printing and writing the render.
//!
//! The stream form follows `helm template`: every YAML document starts with `---` and a
//! `# Source:` comment. Per release, when helm rendered the chart: the chart's documents as
//! helm printed them (`# Source: CHART/templates/…`), then each emitted manifest in step order
//! (`# Source: RELEASE/manifests.yaml`): only Kubernetes objects, ready for `kubectl apply` or a
//! GitOps engine. When the chart was not rendered, the stream starts with a `# helmwasm: chart
//! not rendered …` comment per such release, and the release's section holds its final
//! values (`# Source: RELEASE/values.yaml`) and the emitted manifests. Each release's section
//! is a string of its own ([`section`]), printed on the thread that rendered the release, and
//! [`join`] puts the stream together; the same bytes at any `--concurrency`.
//!
//! The directory form writes `DIR/RELEASE/values.yaml` (the final values),
//! `DIR/RELEASE/manifests.yaml` (the emitted objects) and `DIR/RELEASE/chart.yaml` (the chart's
//! render, or a comment saying why there is none); every file is staged as a temp file beside
//! its target and renamed into place only after all of them were written, so a failed run
//! leaves the previous render untouched. Manifests (which hold Secrets) are written with mode
//! 0600.

use crate::redact::{MARKER, Redactor};
use crate::render::{ChartDocument, Manifest, ReleaseRender, Render};
use crate::yaml;
use anyhow::{Context, Result};
use std::fmt::Write as _;
use std::io::Write;
use std::path::{Path, PathBuf};

/// How Secret objects appear in a printed stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SecretData {
    /// Every `data` / `stringData` value replaced by the redaction marker.
    Masked,
    /// As rendered (`--show-secrets`, files, Argo CD).
    Shown,
}

/// The whole render as one multi-document YAML stream; each release's section is printed on
/// up to `threads` threads (same bytes as one).
pub fn to_stream(render: &Render, threads: usize) -> String {
    let sections =
        crate::parallel::map(&render.releases, threads, |r| section(r, SecretData::Shown));
    parts(render, sections).concat()
}

/// The stream of `render` in parts, from its releases' sections (one per release, in order,
/// from [`section`]): the skipped-chart comments first, then the sections. Written one after
/// the other, they are the stream (500 releases make 3.5 MB, not copied into one string).
pub fn parts(render: &Render, sections: Vec<String>) -> Vec<String> {
    debug_assert_eq!(render.releases.len(), sections.len());
    let mut comments = String::new();
    for r in &render.releases {
        if let Some(s) = &r.skipped {
            comments.push_str(&skip_comment(&r.name, &s.reason));
        }
    }
    let mut parts = Vec::with_capacity(sections.len() + 1);
    if !comments.is_empty() {
        parts.push(comments);
    }
    parts.extend(sections);
    parts
}

/// One release's part of the stream. The pipeline prints it on the thread that rendered the
/// release when the verb asks ([`crate::pipeline::Options::sections`]).
pub fn section(r: &ReleaseRender, data: SecretData) -> String {
    let mut out = String::new();
    push_section(&mut out, r, data == SecretData::Masked);
    out
}

/// One release's documents: the chart's (or its values when the chart was not rendered), then
/// its emitted manifests.
fn push_section(out: &mut String, r: &ReleaseRender, mask: bool) {
    match &r.chart {
        Some(chart) => {
            for d in &chart.documents {
                push_chart_doc(out, d, mask);
            }
        }
        None => push_values_doc(out, r),
    }
    push_manifests_docs(out, r, mask);
}

/// One line, so nobody takes half a render for a whole one.
fn skip_comment(release: &str, reason: &str) -> String {
    format!(
        "# helmwasm: chart not rendered for release `{release}` (values and emitted manifests only): {}\n",
        reason.replace(['\n', '\r'], " ")
    )
}

fn push_chart_doc(out: &mut String, d: &ChartDocument, mask: bool) {
    out.push_str("---\n");
    if mask && d.object["kind"] == "Secret" {
        if !d.source.is_empty() {
            out.push_str("# Source: ");
            out.push_str(&d.source);
            out.push('\n');
        }
        yaml::write_document(out, &masked(&d.object));
    } else {
        out.push_str(&d.text);
    }
}

/// A Secret with every `data` / `stringData` value replaced by the redaction marker.
pub fn masked(object: &serde_json::Value) -> serde_json::Value {
    let mut o = object.clone();
    for field in ["data", "stringData"] {
        if let Some(map) = o.get_mut(field).and_then(|v| v.as_object_mut()) {
            for v in map.values_mut() {
                *v = serde_json::Value::String(MARKER.to_owned());
            }
        }
    }
    o
}

fn push_values_doc(out: &mut String, r: &ReleaseRender) {
    out.push_str("---\n# Source: ");
    out.push_str(&r.name);
    out.push_str("/values.yaml\n");
    yaml::write_document(out, &r.values);
}

fn push_manifests_docs(out: &mut String, r: &ReleaseRender, mask: bool) {
    for m in &r.manifests {
        push_manifest_doc(out, &r.name, m, mask);
    }
}

fn push_manifest_doc(out: &mut String, release: &str, m: &Manifest, mask: bool) {
    let stage = match m.kind {
        crate::plan::StepKind::Values => "",
        crate::plan::StepKind::PostRender => "post-render ",
    };
    let _ = write!(
        out,
        "---\n# Source: {release}/manifests.yaml\n# Step: {stage}{} ({})\n",
        m.step, m.plugin
    );
    if mask && m.object["kind"] == "Secret" {
        yaml::write_document(out, &masked(&m.object));
    } else {
        yaml::write_document(out, &m.object);
    }
}

/// `chart.yaml` of the directory form.
fn chart_file(r: &ReleaseRender) -> String {
    match (&r.chart, &r.skipped) {
        (Some(chart), _) => chart.documents.iter().fold(String::new(), |mut out, d| {
            push_chart_doc(&mut out, d, false);
            out
        }),
        (None, Some(s)) => skip_comment(&r.name, &s.reason),
        (None, None) => skip_comment(&r.name, "no chart"),
    }
}

/// Write `DIR/RELEASE/values.yaml`, `manifests.yaml` and `chart.yaml` for every release.
pub fn write_dir(render: &Render, dir: &Path, redactor: &Redactor) -> Result<Vec<PathBuf>> {
    let mut staged = Vec::new();
    for r in &render.releases {
        let rel_dir = dir.join(&r.name);
        std::fs::create_dir_all(&rel_dir)
            .with_context(|| format!("cannot create {}", rel_dir.display()))?;
        // values.yaml is plain values, ready for `helm install -f`; private if it holds a secret.
        let values = yaml::to_string(&r.values);
        let mode = if redactor.contains_secret(&values) {
            0o600
        } else {
            0o644
        };
        staged.push(stage(
            &rel_dir.join("values.yaml"),
            values.as_bytes(),
            mode,
        )?);
        staged.push(stage(
            &rel_dir.join("manifests.yaml"),
            {
                let mut text = String::new();
                push_manifests_docs(&mut text, r, false);
                text
            }
            .as_bytes(),
            0o600,
        )?);
        staged.push(stage(
            &rel_dir.join("chart.yaml"),
            chart_file(r).as_bytes(),
            0o600,
        )?);
    }
    persist(staged)
}

/// Write files (path, text), all staged before any is renamed into place; each one private
/// (0600) when it holds a secret or a Secret object. Folders are created.
pub fn write_files(files: &[(PathBuf, String)], redactor: &Redactor) -> Result<Vec<PathBuf>> {
    let mut staged = Vec::with_capacity(files.len());
    for (path, text) in files {
        let dir = match path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p,
            _ => Path::new("."),
        };
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
        // Private when it holds a known secret or a Secret object (base64 data hides a secret
        // from the redactor).
        let mode = if redactor.contains_secret(text) || text.lines().any(|l| l == "kind: Secret") {
            0o600
        } else {
            0o644
        };
        staged.push(stage(
            &dir.join(path.file_name().unwrap_or_default()),
            text.as_bytes(),
            mode,
        )?);
    }
    persist(staged)
}

/// Rename every staged file into place, in order.
fn persist(staged: Vec<(tempfile::NamedTempFile, PathBuf)>) -> Result<Vec<PathBuf>> {
    let mut written = Vec::with_capacity(staged.len());
    for (tmp, target) in staged {
        tmp.persist(&target)
            .with_context(|| format!("cannot write {}", target.display()))?;
        written.push(target);
    }
    Ok(written)
}

fn stage(target: &Path, bytes: &[u8], mode: u32) -> Result<(tempfile::NamedTempFile, PathBuf)> {
    let dir = target.parent().expect("target has a parent");
    let mut tmp = tempfile::Builder::new()
        .prefix(".helmwasm-")
        .tempfile_in(dir)
        .with_context(|| format!("cannot create a temp file in {}", dir.display()))?;
    tmp.write_all(bytes)
        .and_then(|_| tmp.as_file().sync_all())
        .with_context(|| format!("cannot write {}", target.display()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(tmp.path(), std::fs::Permissions::from_mode(mode))?;
    }
    #[cfg(not(unix))]
    let _ = mode;
    Ok((tmp, target.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn render() -> Render {
        Render {
            releases: vec![ReleaseRender {
                name: "airflow".into(),
                namespace: "airflow".into(),
                values: json!({"postgresql": {"enabled": false}}),
                manifests: vec![Manifest {
                    kind: crate::plan::StepKind::Values,
                    step: 1,
                    plugin: "p".into(),
                    object: json!({"kind": "Secret", "apiVersion": "v1", "metadata": {"name": "s"}}),
                }],
                provenance: Default::default(),
                chart: None,
                skipped: None,
                trace: None,
            }],
        }
    }

    #[test]
    fn stream_has_helm_style_sources() {
        assert_eq!(
            to_stream(&render(), 1),
            "---\n# Source: airflow/values.yaml\npostgresql:\n  enabled: false\n\
             ---\n# Source: airflow/manifests.yaml\n# Step: 1 (p)\napiVersion: v1\nkind: Secret\nmetadata:\n  name: s\n"
        );
    }

    #[test]
    fn dir_output_replaces_files_and_protects_manifests() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("airflow")).unwrap();
        std::fs::write(dir.path().join("airflow/values.yaml"), "old").unwrap();
        let written = write_dir(&render(), dir.path(), &Redactor::default()).unwrap();
        assert_eq!(written.len(), 3);
        assert_eq!(
            std::fs::read_to_string(dir.path().join("airflow/values.yaml")).unwrap(),
            "postgresql:\n  enabled: false\n"
        );
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join("airflow/manifests.yaml"))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let leftovers: Vec<_> = std::fs::read_dir(dir.path().join("airflow"))
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .filter(|n| n.to_string_lossy().starts_with(".helmwasm-"))
            .collect();
        assert!(leftovers.is_empty());
    }
}
