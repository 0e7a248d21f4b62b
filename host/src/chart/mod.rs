//! The chart as an input: resolve a release's [`Source`] to a packaged chart or chart folder
//! on disk, with its name, version and appVersion read from its own `Chart.yaml`, its default
//! values and its `values.schema.json`.
//!
//! - [`source`]: what the pipeline file names (`REPO/NAME`, `oci://…`, folder, `.tgz`).
//! - [`repo`]: classic HTTP repositories (`index.yaml`, digest check), over [`repo::Fetch`].
//! - [`cache`]: the content-addressed chart cache beside the compile cache.
//! - [`archive`]: reading `Chart.yaml`, `values.yaml` and `values.schema.json`.
//! - `summary`: what those hold, kept per archive digest so a later run reads one JSON file.
//!
//! A chart that cannot be had right now (not cached, and the network or helm is missing) is
//! [`Resolution::Unavailable`] with the reason and what to do: the caller decides whether that
//! is an error (`--strict`). A chart that is wrong (a digest mismatch, another version than
//! asked for, a missing local path, no such version in the index) is an error.

pub mod archive;
pub mod cache;
pub mod prune;
pub mod repo;
mod schema;
pub use schema::{Validator, ValuesSchema};
pub mod source;
mod summary;
pub mod version;

pub use source::Source;

use crate::helm::Helm;
use crate::yaml;
use anyhow::{Result, anyhow, bail};
use archive::ChartFiles;
use cache::{CachedRef, ChartCache};
use repo::Fetch;
use serde_json::{Map, Value};
use std::path::{Path, PathBuf};

/// A resolved chart.
#[derive(Debug, Clone, PartialEq)]
pub struct Chart {
    /// From `Chart.yaml`.
    pub name: String,
    pub version: String,
    pub app_version: Option<String>,
    pub home: Option<String>,
    pub sources: Vec<String>,
    /// The archive or folder helm renders.
    pub path: PathBuf,
    /// Where it came from, for messages (`apache-airflow/airflow 1.19.0 from https://…`).
    pub origin: String,
    /// The archive's SHA-256, or for a chart folder `folder-sha256:HEX` over its files
    /// ([`archive::folder_digest`]): the render cache's key for the chart. `None` for a folder
    /// that cannot be hashed whole (its renders are not cached).
    pub digest: Option<String>,
    /// `values.yaml`.
    pub defaults: Map<String, Value>,
    /// `values.schema.json`, if the chart has one.
    pub schema: Option<ValuesSchema>,
    /// The data keys its templates read from Secrets and ConfigMaps by name
    /// ([`archive::template_keys`]).
    pub template_keys: std::collections::BTreeSet<String>,
}

/// A chart folder or packaged chart (`.tgz`) on disk, read as a release's local `chart:` is
/// (tools and tests that look at a chart without a pipeline).
pub fn read_local(path: &Path) -> Result<Chart> {
    if path.is_dir() {
        let files = archive::read_dir(path).map_err(|e| anyhow!(e))?;
        let source = Source::Dir(path.to_path_buf(), None);
        return load(
            files,
            path.to_path_buf(),
            path.display().to_string(),
            archive::folder_digest(path),
            &source,
        );
    }
    let bytes =
        std::fs::read(path).map_err(|e| anyhow!("cannot read chart {}: {e}", path.display()))?;
    let files = archive::read_archive(&bytes).map_err(|e| anyhow!("{}: {e}", path.display()))?;
    let source = Source::Archive(path.to_path_buf(), None);
    let digest = cache::sha256_hex(&bytes);
    load(
        files,
        path.to_path_buf(),
        path.display().to_string(),
        Some(digest),
        &source,
    )
}

/// The outcome of resolving a chart.
#[derive(Debug, Clone, PartialEq)]
pub enum Resolution {
    Resolved(Box<Chart>),
    /// The chart cannot be had now: why, and how to get it.
    Unavailable {
        reason: String,
        hint: String,
    },
}

pub struct Resolver<'a> {
    pub cache: ChartCache,
    /// Never use the network (`--offline`): only cached and local charts resolve.
    pub offline: bool,
    pub fetch: &'a dyn Fetch,
    /// Needed only to pull `oci://` charts.
    pub helm: Option<&'a dyn Helm>,
}

impl Resolver<'_> {
    pub fn resolve(&self, source: &Source) -> Result<Resolution> {
        match source {
            Source::Dir(dir, _) => {
                crate::paths::check_readable(dir, "chart folder").map_err(|e| anyhow!(e))?;
                let files = archive::read_dir(dir).map_err(|e| anyhow!(e))?;
                let digest = archive::folder_digest(dir);
                load(
                    files,
                    dir.clone(),
                    dir.display().to_string(),
                    digest,
                    source,
                )
                .map(resolved)
            }
            Source::Archive(path, _) => {
                crate::paths::check_readable(path, "chart archive").map_err(|e| anyhow!(e))?;
                let bytes = std::fs::read(path)
                    .map_err(|e| anyhow!("cannot read chart {}: {e}", path.display()))?;
                let digest = cache::sha256_hex(&bytes);
                load_archive(
                    &self.cache,
                    &bytes,
                    &digest,
                    path.clone(),
                    path.display().to_string(),
                    source,
                )
                .map(resolved)
            }
            Source::Undeclared { repo, name, .. } => Ok(Resolution::Unavailable {
                reason: format!("repository `{repo}` of chart `{repo}/{name}` is not declared"),
                hint: format!(
                    "declare it under `repositories:` (`- {{name: {repo}, url: https://…}}`), or point `chart:` at a chart folder or `.tgz`"
                ),
            }),
            Source::Repo {
                url, name, version, ..
            } => self.fetch_repo(source, url, name, version),
            Source::Oci { reference, version } => self.pull_oci(source, reference, version),
        }
    }

    fn cached(&self, key: &[&str], source: &Source) -> Result<Option<Resolution>> {
        let Some(r) = self.cache.get_ref(key) else {
            return Ok(None);
        };
        let Some((path, bytes)) = self.cache.blob(&r.digest) else {
            return Ok(None);
        };
        load_archive(
            &self.cache,
            &bytes,
            &r.digest,
            path,
            format!("{source} (cached)"),
            source,
        )
        .map(|c| Some(resolved(c)))
    }

    fn fetch_repo(
        &self,
        source: &Source,
        url: &str,
        name: &str,
        version: &str,
    ) -> Result<Resolution> {
        let key = [url, name, version];
        if (repo::is_exact(version) || self.offline)
            && let Some(r) = self.cached(&key, source)?
        {
            return Ok(r);
        }
        if self.offline {
            return Ok(unavailable_offline(source));
        }
        let index_url = format!("{url}/index.yaml");
        let index = match self.fetch.get(&index_url) {
            Ok(bytes) => {
                String::from_utf8(bytes).map_err(|_| anyhow!("{index_url} is not UTF-8 text"))?
            }
            Err(e) => {
                if let Some(r) = self.cached(&key, source)? {
                    return Ok(r);
                }
                return Ok(unavailable_network(source, &e));
            }
        };
        let entries = repo::entries(&index, name, url).map_err(|e| anyhow!(e))?;
        let Some(entry) = repo::select(&entries, version) else {
            bail!(
                "chart `{name}` {} is not in the repository {url} ({})",
                if repo::is_exact(version) {
                    format!("version `{version}`")
                } else {
                    format!("has no version in the range `{version}`, and")
                },
                repo::versions_it_has(&entries, name)
            );
        };
        let archive_url = repo::absolute(url, &entry.url);
        let bytes = match self.fetch.get(&archive_url) {
            Ok(b) => b,
            Err(e) => return Ok(unavailable_network(source, &e)),
        };
        let digest = cache::sha256_hex(&bytes);
        if let Some(expected) = &entry.digest
            && *expected != digest
        {
            bail!(
                "{archive_url}: the archive's SHA-256 is {digest}, but the repository index says {expected}; the chart was not used (a tampered or corrupted download)"
            );
        }
        self.store(&key, source, &archive_url, &bytes)
    }

    /// Check a downloaded archive, then cache it by content with a ref for `key`: a wrong
    /// chart never enters the cache.
    fn store(
        &self,
        key: &[&str],
        source: &Source,
        origin: &str,
        bytes: &[u8],
    ) -> Result<Resolution> {
        let files = archive::read_archive(bytes).map_err(|e| anyhow!("{origin}: {e}"))?;
        let digest = cache::sha256_hex(bytes);
        let chart = load(
            files,
            PathBuf::new(),
            source.to_string(),
            Some(digest.clone()),
            source,
        )?;
        let (_, path) = self.cache.put_blob(bytes).map_err(|e| anyhow!(e))?;
        let r = CachedRef {
            version: chart.version.clone(),
            digest,
        };
        self.cache.put_ref(key, &r).map_err(|e| anyhow!(e))?;
        Ok(resolved(Chart { path, ..chart }))
    }

    fn pull_oci(&self, source: &Source, reference: &str, version: &str) -> Result<Resolution> {
        let key = ["oci", reference, version];
        if let Some(r) = self.cached(&key, source)? {
            return Ok(r);
        }
        if self.offline {
            return Ok(unavailable_offline(source));
        }
        let Some(helm) = self.helm else {
            return Ok(Resolution::Unavailable {
                reason: format!(
                    "{source} is an OCI chart, and pulling it needs helm, which was not found"
                ),
                hint: "install helm (3.8 or later) or pass `--helm PATH`".into(),
            });
        };
        let bytes = match helm.pull_oci(reference, version) {
            Ok(b) => b,
            Err(e) => return Ok(unavailable_network(source, &e)),
        };
        self.store(&key, source, reference, &bytes)
    }
}

fn resolved(chart: Chart) -> Resolution {
    Resolution::Resolved(Box::new(chart))
}

fn unavailable_offline(source: &Source) -> Resolution {
    Resolution::Unavailable {
        reason: format!(
            "chart {source} is not in the chart cache, and --offline forbids fetching it"
        ),
        hint: "run once without --offline to cache it".into(),
    }
}

fn unavailable_network(source: &Source, error: &str) -> Resolution {
    Resolution::Unavailable {
        reason: format!("chart {source} is not cached and cannot be fetched ({error})"),
        hint: "run once with network access to cache it, or point `chart:` at a local `.tgz`"
            .into(),
    }
}

/// Read a chart's files into a [`Chart`], checking its name and version against the request.
fn load(
    files: ChartFiles,
    path: PathBuf,
    origin: String,
    digest: Option<String>,
    source: &Source,
) -> Result<Chart> {
    let parsed = parse(files, &origin)?;
    finish(parsed, path, origin, digest, source)
}

/// A packaged chart's [`Chart`]: from its summary when this machine has read it before
/// ([`summary`]), else from the archive (and the summary kept).
fn load_archive(
    cache: &ChartCache,
    bytes: &[u8],
    digest: &str,
    path: PathBuf,
    origin: String,
    source: &Source,
) -> Result<Chart> {
    let parsed = match summary::read(cache, digest) {
        Some(p) => p,
        None => {
            let files = archive::read_archive(bytes).map_err(|e| anyhow!("{origin}: {e}"))?;
            let parsed = parse(files, &origin)?;
            summary::write(cache, digest, &parsed);
            parsed
        }
    };
    finish(parsed, path, origin, Some(digest.to_owned()), source)
}

/// The chart's files parsed: `Chart.yaml`'s fields, the defaults, the schema document.
fn parse(files: ChartFiles, origin: &str) -> Result<summary::Parsed> {
    let label = Path::new("Chart.yaml");
    let meta = yaml::parse_values_remote(&files.chart_yaml, label)
        .map_err(|e| anyhow!("{origin}: {e}"))?;
    let field = |k: &str| {
        meta[k]
            .as_str()
            .map(str::to_owned)
            .or_else(|| meta[k].as_f64().map(|f| f.to_string()))
    };
    let name = field("name").ok_or_else(|| anyhow!("{origin}: Chart.yaml has no `name`"))?;
    let version =
        field("version").ok_or_else(|| anyhow!("{origin}: Chart.yaml has no `version`"))?;
    let defaults = match files.values_yaml.as_deref() {
        Some(text) if !text.trim().is_empty() => {
            match yaml::parse_values_remote(text, Path::new("values.yaml")) {
                Ok(Value::Object(m)) => m,
                Ok(_) => Map::new(),
                Err(e) => bail!("{origin}: the chart's {e}"),
            }
        }
        _ => Map::new(),
    };
    let schema = files
        .schema_json
        .as_deref()
        .map(|t| {
            serde_json::from_str::<Value>(t)
                .map_err(|e| anyhow!("{origin}: values.schema.json is not JSON: {e}"))
        })
        .transpose()?;
    Ok(summary::Parsed {
        app_version: field("appVersion"),
        home: field("home"),
        sources: meta["sources"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|s| s.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default(),
        name,
        version,
        defaults,
        schema,
        template_keys: files.template_keys,
    })
}

/// The [`Chart`] of parsed files, its name and version checked against the request.
fn finish(
    parsed: summary::Parsed,
    path: PathBuf,
    origin: String,
    digest: Option<String>,
    source: &Source,
) -> Result<Chart> {
    let summary::Parsed {
        name,
        version,
        app_version,
        home,
        sources,
        defaults,
        schema,
        template_keys,
    } = parsed;
    let wanted_name = match source {
        Source::Repo { name, .. } => Some(name.as_str()),
        Source::Oci { reference, .. } => reference.rsplit('/').next(),
        _ => None,
    };
    if let Some(w) = wanted_name.filter(|w| *w != name) {
        bail!("{origin}: the archive holds chart `{name}`, not `{w}`");
    }
    if let Some(wanted) = source.wanted_version() {
        let same = wanted.trim_start_matches('v') == version.trim_start_matches('v');
        let matches = version::Wanted::parse(wanted).is_ok_and(|w| w.matches(&version));
        if !same && !matches {
            bail!(
                "{origin}: the chart's Chart.yaml says version `{version}`, but the release asks for `{wanted}`"
            );
        }
    }
    Ok(Chart {
        app_version,
        home,
        sources,
        name,
        version,
        path,
        origin,
        digest,
        defaults,
        schema: schema.map(ValuesSchema::new),
        template_keys,
    })
}
