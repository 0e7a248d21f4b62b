//! Classic HTTP chart repositories: `index.yaml` lists each chart's versions with archive URLs
//! and (usually) a SHA-256 digest; the archive is fetched and checked against it.
//!
//! The user's own helm repository configuration is never read or changed.

use crate::yaml;
use serde_json::Value;
use std::path::Path;
use std::time::Duration;

/// Cap on an index or archive download.
const MAX_DOWNLOAD: u64 = 64 << 20;

/// One chart version in an index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexEntry {
    pub version: String,
    pub url: String,
    pub digest: Option<String>,
}

/// Fetching over HTTP(S), behind a trait so tests can count or refuse requests.
pub trait Fetch: Sync {
    fn get(&self, url: &str) -> Result<Vec<u8>, String>;
}

/// The real client: `ureq` with rustls, bounded time and size.
pub struct Http {
    agent: ureq::Agent,
}

impl Default for Http {
    fn default() -> Self {
        let agent = ureq::Agent::config_builder()
            .timeout_connect(Some(Duration::from_secs(10)))
            .timeout_global(Some(Duration::from_secs(120)))
            .user_agent(concat!("helmwasm/", env!("CARGO_PKG_VERSION")))
            .build()
            .new_agent();
        Http { agent }
    }
}

impl Fetch for Http {
    fn get(&self, url: &str) -> Result<Vec<u8>, String> {
        let response = self
            .agent
            .get(url)
            .call()
            .map_err(|e| format!("GET {url}: {e}"))?;
        response
            .into_body()
            .with_config()
            .limit(MAX_DOWNLOAD)
            .read_to_vec()
            .map_err(|e| format!("GET {url}: {e}"))
    }
}

/// The versions of `name` in an index, as listed.
pub fn entries(index_text: &str, name: &str, url: &str) -> Result<Vec<IndexEntry>, String> {
    let index = yaml::parse_values_remote(index_text, Path::new("index.yaml"))
        .map_err(|e| format!("{url}/index.yaml is not a chart repository index: {e}"))?;
    let list = index["entries"][name]
        .as_array()
        .cloned()
        .unwrap_or_default();
    Ok(list
        .iter()
        .filter_map(|e| {
            Some(IndexEntry {
                version: e["version"].as_str()?.to_owned(),
                url: e["urls"].as_array()?.first()?.as_str()?.to_owned(),
                // A digest that YAML reads as something other than text (an unquoted
                // all-digit value) is kept as written, so it fails the check rather than
                // switching the check off.
                digest: match &e["digest"] {
                    Value::Null => None,
                    Value::String(d) => Some(d.to_ascii_lowercase()).filter(|d| !d.is_empty()),
                    other => Some(other.to_string()),
                },
            })
        })
        .collect())
}

/// The entry for `wanted`: the exact version and no other (an exact version is never read as a
/// range), or the highest version a range such as `~1.19.0` or `>=1.18, <2` accepts
/// (pre-releases only when asked for by name, as Helm). See [`super::version::Wanted`].
pub fn select<'a>(entries: &'a [IndexEntry], wanted: &str) -> Option<&'a IndexEntry> {
    let wanted_t = wanted.trim_start_matches('v');
    if let Some(e) = entries
        .iter()
        .find(|e| e.version.trim_start_matches('v') == wanted_t)
    {
        return Some(e);
    }
    let wanted = super::version::Wanted::parse(wanted).ok()?;
    entries
        .iter()
        .filter_map(|e| {
            Some((
                semver::Version::parse(e.version.trim_start_matches('v')).ok()?,
                e,
            ))
        })
        .filter(|(_, e)| wanted.matches(&e.version))
        .max_by(|a, b| a.0.cmp(&b.0))
        .map(|(_, e)| e)
}

/// What a repository has of a chart, for the message when the wanted version is not there:
/// `versions: 1.21.0, 1.20.0, … (N in all)`, newest first.
pub fn versions_it_has(entries: &[IndexEntry], name: &str) -> String {
    if entries.is_empty() {
        return format!("it has no chart `{name}`");
    }
    let mut versions: Vec<(Option<semver::Version>, &str)> = entries
        .iter()
        .map(|e| {
            (
                semver::Version::parse(e.version.trim_start_matches('v')).ok(),
                e.version.as_str(),
            )
        })
        .collect();
    versions.sort_by(|a, b| b.cmp(a));
    const SHOWN: usize = 12;
    let shown: Vec<&str> = versions.iter().take(SHOWN).map(|(_, v)| *v).collect();
    let more = if versions.len() > SHOWN {
        format!(", … ({} in all)", versions.len())
    } else {
        String::new()
    };
    format!("it has {}{more}", shown.join(", "))
}

/// An archive URL from an index, made absolute against the repository URL.
pub fn absolute(repo_url: &str, url: &str) -> String {
    if url.contains("://") {
        url.to_owned()
    } else {
        format!(
            "{}/{}",
            repo_url.trim_end_matches('/'),
            url.trim_start_matches('/')
        )
    }
}

/// True for an exact version (no range operators): such a request is served from the cache
/// without asking the repository.
pub fn is_exact(version: &str) -> bool {
    super::version::Wanted::parse(version).is_ok_and(|w| w.is_exact())
}

#[cfg(test)]
mod tests {
    use super::*;

    const INDEX: &str = "apiVersion: v1\nentries:\n  airflow:\n  - version: 1.19.0\n    urls: [airflow-1.19.0.tgz]\n    digest: ABC\n  - version: 1.18.0\n    urls: [https://cdn.example/airflow-1.18.0.tgz]\n  - version: 1.20.0-rc1\n    urls: [x.tgz]\n";

    #[test]
    fn exact_versions_ranges_and_urls() {
        let e = entries(INDEX, "airflow", "http://r").unwrap();
        assert_eq!(e.len(), 3);
        assert_eq!(select(&e, "1.19.0").unwrap().digest.as_deref(), Some("abc"));
        let numeric = entries(&INDEX.replace("ABC", "0012"), "airflow", "u").unwrap();
        assert_eq!(
            select(&numeric, "1.19.0").unwrap().digest.as_deref(),
            Some("10")
        );
        assert_eq!(select(&e, "~1.18").unwrap().version, "1.18.0");
        assert_eq!(
            select(&e, ">=1.0.0").unwrap().version,
            "1.19.0",
            "no pre-release unless named"
        );
        assert_eq!(select(&e, "1.20.0-rc1").unwrap().version, "1.20.0-rc1");
        assert!(select(&e, "2.0.0").is_none());
        // An exact version missing from the index is missing, never the newest of a caret range.
        assert!(select(&e, "1.15.0").is_none());
        assert!(select(&e, "1.18.1").is_none());
        assert_eq!(
            versions_it_has(&e, "airflow"),
            "it has 1.20.0-rc1, 1.19.0, 1.18.0"
        );
        assert_eq!(versions_it_has(&[], "airflow"), "it has no chart `airflow`");
        assert_eq!(
            absolute("http://r/", "airflow-1.19.0.tgz"),
            "http://r/airflow-1.19.0.tgz"
        );
        assert_eq!(
            absolute("http://r", "https://cdn.example/a.tgz"),
            "https://cdn.example/a.tgz"
        );
        assert!(entries(INDEX, "other", "http://r").unwrap().is_empty());
        assert!(is_exact("1.19.0") && !is_exact("~1.19.0"));
    }
}
