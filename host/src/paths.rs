//! Paths as users see them. A file a pipeline names is relative to the pipeline's folder; the
//! host joins the two and cleans the result lexically (`examples/x/../../common/a` becomes
//! `../common/a`), the way helmfile's `filepath.Join` does, so every message, `explain` row and
//! cache key shows one short, stable spelling of each file. Cleaning is lexical, as Go's is: a
//! `..` after a symbolic link to a folder goes back up the path as written, not the link's
//! target.

use std::path::{Path, PathBuf};

/// Where a run may read files from and which environment variables its templates may read,
/// when the pipeline is not trusted with the machine (`argocd generate`: an Application's
/// repository must not read the sidecar's files or environment through a values file path, a
/// schema path, a local chart path or a values template's `env`). Set once per process.
#[derive(Debug)]
pub struct Confinement {
    /// The canonical folder every file must be in (the application's).
    pub root: PathBuf,
    /// Environment variables a values template may read (`NAME` or `PREFIX*`).
    pub env: Vec<String>,
}

static CONFINED: std::sync::OnceLock<Confinement> = std::sync::OnceLock::new();

/// Confine this process's reads to `c` (once; a second call changes nothing).
pub fn confine(c: Confinement) {
    let _ = CONFINED.set(c);
}

/// Whether `path` may be read: always, unless the process is confined, and then only inside
/// its folder (symlinks resolved). The error names the path, never what it holds.
pub fn check_readable(path: &Path, what: &str) -> Result<(), String> {
    let Some(c) = CONFINED.get() else {
        return Ok(());
    };
    match std::fs::canonicalize(path) {
        Ok(real) if real.starts_with(&c.root) => Ok(()),
        _ => Err(format!(
            "{what} {} is refused: it is not a file inside the application's folder (symlinks resolved)",
            crate::term::line(&path.display().to_string())
        )),
    }
}

/// Whether a values template may read the environment variable `name`.
pub fn env_readable(name: &str) -> bool {
    CONFINED.get().is_none_or(|c| {
        c.env.iter().any(|a| match a.strip_suffix('*') {
            Some(prefix) => name.starts_with(prefix),
            None => a == name,
        })
    })
}

/// `base` joined with `rel` (an absolute `rel` replaces `base`), cleaned.
pub fn join(base: &Path, rel: impl AsRef<Path>) -> PathBuf {
    clean(&base.join(rel))
}

/// `path` cleaned lexically: no `.` parts, each `name/..` pair removed, `.` for nothing.
pub fn clean(path: &Path) -> PathBuf {
    path_clean::clean(path)
}

/// The folder holding `file` (`.` for a bare file name), cleaned.
pub fn folder(file: &Path) -> PathBuf {
    clean(file.parent().unwrap_or(Path::new(".")))
}

/// A file's folder, `.` for a bare name.
pub fn parent(path: &Path) -> &Path {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn joins_and_cleans_like_go() {
        let cases = [
            (
                "examples/airflow-eks",
                "../../../common/f.yaml",
                "../common/f.yaml",
            ),
            (
                "tests/cases/x",
                "../../../../charts/a.tgz",
                "../charts/a.tgz",
            ),
            ("", "values/prod.yaml", "values/prod.yaml"),
            (".", "./values/../values/prod.yaml", "values/prod.yaml"),
            ("a/b", "/abs/./c", "/abs/c"),
            ("/", "../x", "/x"),
            ("a", "..", "."),
        ];
        for (base, rel, want) in cases {
            assert_eq!(
                join(Path::new(base), rel),
                PathBuf::from(want),
                "{base} + {rel}"
            );
        }
        assert_eq!(folder(Path::new("helmwasm.yaml")), PathBuf::from("."));
        assert_eq!(
            folder(Path::new("./a/../b/helmwasm.yaml")),
            PathBuf::from("b")
        );
    }
}
