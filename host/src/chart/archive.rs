//! Reading the files helmwasm needs from a chart: `Chart.yaml`, `values.yaml` and
//! `values.schema.json`, from a packaged chart (`.tgz`) or a chart folder, and the data keys its
//! templates read from Secrets and ConfigMaps ([`template_keys`]).
//!
//! Archives come from the network: nothing is extracted to disk (helm gets the archive
//! itself), only the top-level chart's three files are read, and the amount read is capped so
//! a compression bomb cannot exhaust memory.

use flate2::read::GzDecoder;
use std::collections::BTreeSet;
use std::io::Read;
use std::path::Path;

/// Cap on the bytes decompressed while scanning one archive.
const MAX_UNPACKED: u64 = 256 << 20;
/// Cap on one file read from a chart.
const MAX_FILE: u64 = 32 << 20;

/// The chart files helmwasm reads (as text).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ChartFiles {
    pub chart_yaml: String,
    pub values_yaml: Option<String>,
    pub schema_json: Option<String>,
    /// The keys the top-level chart's `templates/` read by name: every `key:` (a
    /// `secretKeyRef` / `configMapKeyRef`) and `subPath:` with a literal value.
    pub template_keys: BTreeSet<String>,
}

/// The literal `key:` and `subPath:` values of a template (`key: connection`,
/// `subPath: "gitSshKey"`); templated ones (`key: {{ … }}`) are skipped.
pub fn template_keys(text: &str, into: &mut BTreeSet<String>) {
    for line in text.lines() {
        let line = line.trim_start().trim_start_matches("- ");
        let Some(rest) = line
            .strip_prefix("key:")
            .or_else(|| line.strip_prefix("subPath:"))
        else {
            continue;
        };
        let value = rest.trim().trim_matches(['"', '\'']);
        if !value.is_empty()
            && value
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
        {
            into.insert(value.to_owned());
        }
    }
}

/// Whether `file` (a path inside the chart's top folder) is one of the top-level chart's
/// templates (not a subchart's under `charts/`).
fn is_template(file: &str) -> bool {
    file.starts_with("templates/")
        && (file.ends_with(".yaml") || file.ends_with(".tpl") || file.ends_with(".yml"))
}

/// Read the top-level chart's files from a packaged chart.
pub fn read_archive(bytes: &[u8]) -> Result<ChartFiles, String> {
    let gz = GzDecoder::new(bytes).take(MAX_UNPACKED);
    let mut archive = tar::Archive::new(gz);
    let mut files = ChartFiles::default();
    let mut chart_yaml = None;
    let mut top: Option<String> = None;
    let entries = archive
        .entries()
        .map_err(|e| format!("not a chart archive (.tgz): {e}"))?;
    for entry in entries {
        let mut entry = entry.map_err(|e| format!("not a readable chart archive: {e}"))?;
        let path = entry
            .path()
            .map_err(|e| format!("not a readable chart archive: {e}"))?
            .to_string_lossy()
            .into_owned();
        let mut parts = path.splitn(2, '/');
        let (Some(dir), Some(file)) = (parts.next(), parts.next()) else {
            continue;
        };
        let template = is_template(file);
        if !template && !matches!(file, "Chart.yaml" | "values.yaml" | "values.schema.json") {
            continue;
        }
        match &top {
            Some(t) if t != dir => {
                return Err(format!(
                    "the archive holds more than one chart (`{t}/` and `{dir}/`)"
                ));
            }
            _ => top = Some(dir.to_owned()),
        }
        if entry.size() > MAX_FILE {
            return Err(format!("`{path}` is larger than {} MiB", MAX_FILE >> 20));
        }
        let mut text = String::new();
        (&mut entry)
            .take(MAX_FILE)
            .read_to_string(&mut text)
            .map_err(|e| format!("cannot read `{path}` from the archive: {e}"))?;
        match file {
            _ if template => template_keys(&text, &mut files.template_keys),
            "Chart.yaml" => chart_yaml = Some(text),
            "values.yaml" => files.values_yaml = Some(text),
            _ => files.schema_json = Some(text),
        }
    }
    files.chart_yaml =
        chart_yaml.ok_or("the archive has no `Chart.yaml` at its top level: not a Helm chart")?;
    Ok(files)
}

/// Read a chart folder's files.
pub fn read_dir(dir: &Path) -> Result<ChartFiles, String> {
    let read = |name: &str| -> Result<Option<String>, String> {
        let path = dir.join(name);
        match std::fs::read_to_string(&path) {
            Ok(t) => Ok(Some(t)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(format!("cannot read {}: {e}", path.display())),
        }
    };
    Ok(ChartFiles {
        chart_yaml: read("Chart.yaml")?.ok_or_else(|| {
            format!(
                "{} has no Chart.yaml: not a Helm chart folder",
                dir.display()
            )
        })?,
        values_yaml: read("values.yaml")?,
        schema_json: read("values.schema.json")?,
        template_keys: read_template_keys(&dir.join("templates"))?,
    })
}

/// A SHA-256 over every file under a chart folder (each one's path relative to it, and its
/// bytes), what the render cache keys a folder chart by: helm reads the whole folder
/// (templates, subcharts, files `.Files` serves), so any change is a new key. Symlinks are
/// followed as helm follows them. `None` (the render is not cached) when the folder cannot
/// be read whole, is deeper than 64 levels (a symlink loop) or holds more than 256 MiB.
pub fn folder_digest(dir: &Path) -> Option<String> {
    use sha2::Digest;
    let mut files = Vec::new();
    let mut stack = vec![(dir.to_path_buf(), String::new(), 0usize)];
    while let Some((d, prefix, depth)) = stack.pop() {
        if depth > 64 {
            return None;
        }
        for entry in std::fs::read_dir(&d).ok()? {
            let entry = entry.ok()?;
            let name = entry.file_name().to_str()?.to_owned();
            let rel = format!("{prefix}{name}");
            let meta = std::fs::metadata(entry.path()).ok()?;
            if meta.is_dir() {
                stack.push((entry.path(), format!("{rel}/"), depth + 1));
            } else {
                files.push((rel, entry.path(), meta.len()));
            }
        }
    }
    files.sort();
    let mut total = 0u64;
    let mut hash = sha2::Sha256::new();
    for (rel, path, len) in files {
        total += len;
        if total > MAX_UNPACKED {
            return None;
        }
        let bytes = std::fs::read(path).ok()?;
        hash.update((rel.len() as u64).to_be_bytes());
        hash.update(rel.as_bytes());
        hash.update((bytes.len() as u64).to_be_bytes());
        hash.update(&bytes);
    }
    Some(format!(
        "folder-sha256:{}",
        crate::store::hex(&hash.finalize())
    ))
}

/// [`template_keys`] of every template under a chart folder's `templates/` (sorted walk).
fn read_template_keys(dir: &Path) -> Result<BTreeSet<String>, String> {
    let mut keys = BTreeSet::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let entries = match std::fs::read_dir(&d) {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => return Err(format!("cannot read {}: {e}", d.display())),
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if let Some(name) = path
                .to_str()
                .filter(|n| n.ends_with(".yaml") || n.ends_with(".tpl") || n.ends_with(".yml"))
                && let Ok(meta) = std::fs::metadata(name)
                && meta.len() <= MAX_FILE
                && let Ok(text) = std::fs::read_to_string(&path)
            {
                template_keys(&text, &mut keys);
            }
        }
    }
    Ok(keys)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A packaged chart in memory: `(path, content)` entries.
    pub fn tgz(entries: &[(&str, &str)]) -> Vec<u8> {
        let mut builder = tar::Builder::new(flate2::write::GzEncoder::new(
            Vec::new(),
            flate2::Compression::default(),
        ));
        for (path, content) in entries {
            let mut header = tar::Header::new_gnu();
            header.set_size(content.len() as u64);
            header.set_mode(0o644);
            header.set_cksum();
            builder
                .append_data(&mut header, path, content.as_bytes())
                .unwrap();
        }
        builder.into_inner().unwrap().finish().unwrap()
    }

    #[test]
    fn reads_the_top_level_files_only() {
        let bytes = tgz(&[
            ("c/Chart.yaml", "name: c\nversion: 1.0.0\n"),
            ("c/values.yaml", "a: 1\n"),
            ("c/charts/sub/Chart.yaml", "name: sub\n"),
            ("c/templates/x.yaml", "kind: X\n"),
        ]);
        let f = read_archive(&bytes).unwrap();
        assert_eq!(f.chart_yaml, "name: c\nversion: 1.0.0\n");
        assert_eq!(f.values_yaml.as_deref(), Some("a: 1\n"));
        assert_eq!(f.schema_json, None);
    }

    #[test]
    fn a_folder_digest_changes_with_any_file_and_only_then() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir_all(root.join("charts/sub/templates")).unwrap();
        std::fs::write(root.join("Chart.yaml"), "name: c\nversion: 1.0.0\n").unwrap();
        std::fs::write(root.join("charts/sub/templates/a.yaml"), "kind: A\n").unwrap();
        let first = folder_digest(root).unwrap();
        assert!(first.starts_with("folder-sha256:"), "{first}");
        assert_eq!(folder_digest(root).unwrap(), first, "stable");
        // A subchart's template (helm renders it; helmwasm never reads it otherwise).
        std::fs::write(root.join("charts/sub/templates/a.yaml"), "kind: B\n").unwrap();
        let second = folder_digest(root).unwrap();
        assert_ne!(second, first);
        // The same bytes under another name.
        std::fs::rename(
            root.join("charts/sub/templates/a.yaml"),
            root.join("charts/sub/templates/b.yaml"),
        )
        .unwrap();
        assert_ne!(folder_digest(root).unwrap(), second);
        // A new empty file.
        std::fs::write(root.join("NOTES.txt"), "").unwrap();
        assert_ne!(folder_digest(root).unwrap(), second);
    }

    #[test]
    fn rejects_what_is_not_a_chart() {
        assert!(read_archive(b"not gzip").is_err());
        assert!(
            read_archive(&tgz(&[("c/values.yaml", "a: 1\n")]))
                .unwrap_err()
                .contains("no `Chart.yaml`")
        );
        assert!(
            read_archive(&tgz(&[("a/Chart.yaml", "x"), ("b/Chart.yaml", "y")]))
                .unwrap_err()
                .contains("more than one chart")
        );
    }
}
