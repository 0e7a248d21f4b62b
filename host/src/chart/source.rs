//! Where a release's chart comes from, as written in the pipeline file: `REPO/NAME` with a
//! declared repository, `oci://…`, a chart folder or a packaged `.tgz` (paths relative to the
//! pipeline file, as Helm takes them relative to the working directory).

use crate::spec::RepositorySpec;
use std::fmt;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// A chart in a classic HTTP repository (`index.yaml` plus archives).
    Repo {
        repo: String,
        url: String,
        name: String,
        version: String,
    },
    /// A chart in an OCI registry, e.g. `oci://registry.example.com/charts/airflow`.
    Oci { reference: String, version: String },
    /// `REPO/NAME` whose repository is not declared under `repositories:`.
    Undeclared {
        repo: String,
        name: String,
        version: Option<String>,
    },
    /// A chart folder (holding `Chart.yaml`), and the version it must have, if given.
    Dir(PathBuf, Option<String>),
    /// A packaged chart (`.tgz`), and the version it must have, if given.
    Archive(PathBuf, Option<String>),
}

impl Source {
    /// Classify `chart` (with the release's `version`). `base` is the pipeline file's folder.
    /// The error is the message for `releases[i].version` or `releases[i].chart`.
    pub fn classify(
        chart: &str,
        version: Option<&str>,
        repositories: &[RepositorySpec],
        base: &Path,
    ) -> Result<Source, (&'static str, String)> {
        if let Some(v) = version {
            super::version::Wanted::parse(v).map_err(|e| ("version", e))?;
        }
        let need_version = |what: &str| {
            version.map(str::to_owned).ok_or((
                "version",
                format!("`{chart}` is {what}: set `version` (an exact version such as `1.19.0`, or a range such as `~1.19.0`)"),
            ))
        };
        if chart.starts_with("oci://") {
            return Ok(Source::Oci {
                reference: chart.trim_end_matches('/').to_owned(),
                version: need_version("an OCI chart")?,
            });
        }
        let local = chart.starts_with("./")
            || chart.starts_with("../")
            || chart.starts_with('/')
            || chart.ends_with(".tgz")
            || chart.ends_with(".tar.gz")
            || crate::paths::join(base, chart).is_dir();
        if local {
            let path = crate::paths::join(base, chart);
            if !path.exists() {
                return Err((
                    "chart",
                    format!(
                        "chart `{chart}` names no file or folder ({} does not exist)",
                        path.display()
                    ),
                ));
            }
            let version = version.map(str::to_owned);
            return Ok(if path.is_dir() {
                Source::Dir(path, version)
            } else {
                Source::Archive(path, version)
            });
        }
        let Some((repo, name)) = chart
            .split_once('/')
            .filter(|(r, n)| !r.is_empty() && !n.is_empty() && !n.contains('/'))
        else {
            return Err((
                "chart",
                format!(
                    "`{chart}` is not a chart: use `REPO/NAME` (with the repository under `repositories:`), `oci://…`, or a path to a chart folder or `.tgz` (start it with `./`)"
                ),
            ));
        };
        match repositories.iter().find(|r| r.name == repo) {
            Some(r) if r.url.starts_with("oci://") => Ok(Source::Oci {
                reference: format!("{}/{name}", r.url.trim_end_matches('/')),
                version: need_version("an OCI chart")?,
            }),
            Some(r) => Ok(Source::Repo {
                repo: repo.to_owned(),
                url: r.url.trim_end_matches('/').to_owned(),
                name: name.to_owned(),
                version: need_version("a repository chart")?,
            }),
            None => Ok(Source::Undeclared {
                repo: repo.to_owned(),
                name: name.to_owned(),
                version: version.map(str::to_owned),
            }),
        }
    }

    /// The version the pipeline asks for (a local chart without `version` accepts any).
    pub fn wanted_version(&self) -> Option<&str> {
        match self {
            Source::Repo { version, .. } | Source::Oci { version, .. } => Some(version),
            Source::Undeclared { version, .. }
            | Source::Dir(_, version)
            | Source::Archive(_, version) => version.as_deref(),
        }
    }
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::Repo {
                repo,
                url,
                name,
                version,
            } => write!(f, "{repo}/{name} {version} from {url}"),
            Source::Oci { reference, version } => write!(f, "{reference} {version}"),
            Source::Undeclared {
                repo,
                name,
                version,
            } => match version {
                Some(v) => write!(f, "{repo}/{name} {v}"),
                None => write!(f, "{repo}/{name}"),
            },
            Source::Dir(p, _) | Source::Archive(p, _) => write!(f, "{}", p.display()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn repos() -> Vec<RepositorySpec> {
        vec![
            RepositorySpec {
                name: "apache-airflow".into(),
                url: "https://airflow.apache.org/".into(),
            },
            RepositorySpec {
                name: "ghcr".into(),
                url: "oci://ghcr.io/org/charts".into(),
            },
        ]
    }

    #[test]
    fn classifies_every_form() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("mychart")).unwrap();
        std::fs::write(dir.path().join("c-1.0.0.tgz"), b"x").unwrap();
        let c = |chart: &str, v: Option<&str>| Source::classify(chart, v, &repos(), dir.path());
        assert_eq!(
            c("apache-airflow/airflow", Some("1.19.0")).unwrap(),
            Source::Repo {
                repo: "apache-airflow".into(),
                url: "https://airflow.apache.org".into(),
                name: "airflow".into(),
                version: "1.19.0".into()
            }
        );
        assert_eq!(
            c("ghcr/airflow", Some("1.0.0")).unwrap(),
            Source::Oci {
                reference: "oci://ghcr.io/org/charts/airflow".into(),
                version: "1.0.0".into()
            }
        );
        assert!(matches!(
            c("oci://r/x", Some("1.0.0")).unwrap(),
            Source::Oci { .. }
        ));
        assert_eq!(
            c("mychart", None).unwrap(),
            Source::Dir(dir.path().join("mychart"), None)
        );
        assert_eq!(
            c("./c-1.0.0.tgz", Some("1.0.0")).unwrap(),
            Source::Archive(dir.path().join("./c-1.0.0.tgz"), Some("1.0.0".into()))
        );
        assert!(matches!(
            c("other/x", None).unwrap(),
            Source::Undeclared { .. }
        ));
        assert_eq!(c("apache-airflow/airflow", None).unwrap_err().0, "version");
        // A version that is neither exact nor a range says so, for every kind of chart.
        for chart in ["apache-airflow/airflow", "oci://r/x", "mychart"] {
            let (field, message) = c(chart, Some("1.19")).unwrap_err();
            assert_eq!(field, "version");
            assert!(
                message.contains("neither an exact version nor a range"),
                "{message}"
            );
        }
        assert_eq!(c("./missing", None).unwrap_err().0, "chart");
        assert_eq!(c("a/b/c", None).unwrap_err().0, "chart");
    }
}
