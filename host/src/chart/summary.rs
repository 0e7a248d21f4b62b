//! What helmwasm reads of a packaged chart, kept once per machine: `charts/sha256-<digest>.
//! summary.json` beside the archives, keyed by the archive's SHA-256. A later run reads this
//! one JSON file (the metadata, the default values, the schema and the template keys; about a
//! millisecond for Airflow's) instead of unpacking the archive, parsing its `values.yaml` with
//! the YAML reader and its `values.schema.json` (~12 ms).
//!
//! The same checks run on what it holds as on a fresh read (the chart's name and version
//! against the request). A summary that does not parse, or is of another format, is ignored
//! and written again; writes are atomic.

use super::cache::ChartCache;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::collections::BTreeSet;
use std::path::PathBuf;

/// Bumped when what a summary holds changes: older ones are read again from the archive.
const FORMAT: u32 = 1;

/// A chart's files as helmwasm uses them: what [`super::load`] parses out of the archive.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Parsed {
    pub name: String,
    pub version: String,
    pub app_version: Option<String>,
    pub home: Option<String>,
    pub sources: Vec<String>,
    pub defaults: Map<String, Value>,
    pub schema: Option<Value>,
    pub template_keys: BTreeSet<String>,
}

#[derive(Serialize, Deserialize)]
struct Summary {
    format: u32,
    chart: Parsed,
}

fn path(cache: &ChartCache, digest: &str) -> PathBuf {
    cache.dir().join(format!("sha256-{digest}.summary.json"))
}

/// The summary of the archive with this digest, when one of this format is there.
pub fn read(cache: &ChartCache, digest: &str) -> Option<Parsed> {
    let bytes = std::fs::read(path(cache, digest)).ok()?;
    let s: Summary = serde_json::from_slice(&bytes).ok()?;
    (s.format == FORMAT).then_some(s.chart)
}

/// Keep `parsed` for the archive with this digest. A cache that cannot be written costs only
/// the next run's unpacking.
pub fn write(cache: &ChartCache, digest: &str, parsed: &Parsed) {
    let summary = Summary {
        format: FORMAT,
        chart: parsed.clone(),
    };
    if let Ok(bytes) = serde_json::to_vec(&summary) {
        let _ = crate::store::write_atomic(&path(cache, digest), &bytes);
    }
}

#[cfg(test)]
mod tests {
    use super::super::{Resolution, Resolver, Source, archive::tests::tgz};
    use super::*;

    struct NoNetwork;
    impl crate::chart::repo::Fetch for NoNetwork {
        fn get(&self, url: &str) -> Result<Vec<u8>, String> {
            Err(format!("no network in this test ({url})"))
        }
    }

    fn resolve(cache_dir: &std::path::Path, archive: &std::path::Path) -> super::super::Chart {
        let resolver = Resolver {
            cache: ChartCache::new(cache_dir),
            offline: true,
            fetch: &NoNetwork,
            helm: None,
        };
        match resolver
            .resolve(&Source::Archive(archive.to_path_buf(), None))
            .unwrap()
        {
            Resolution::Resolved(c) => *c,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn an_archive_is_read_once_then_from_its_summary() {
        let dir = tempfile::tempdir().unwrap();
        let archive = dir.path().join("c-1.0.0.tgz");
        std::fs::write(
            &archive,
            tgz(&[
                (
                    "c/Chart.yaml",
                    "name: c\nversion: 1.0.0\nappVersion: \"2.0\"\n",
                ),
                ("c/values.yaml", "a: 1\nb: {c: [x, 2.5]}\n"),
                ("c/values.schema.json", r#"{"type": "object"}"#),
                ("c/templates/s.yaml", "        key: connection\n"),
            ]),
        )
        .unwrap();
        let cache = dir.path().join("cache");
        let first = resolve(&cache, &archive);
        let digest = first.digest.clone().unwrap();
        let file = path(&ChartCache::new(&cache), &digest);
        assert!(file.is_file(), "the summary is kept");
        // The same chart from the summary as from the archive.
        let second = resolve(&cache, &archive);
        assert_eq!(second, first);
        assert_eq!(second.defaults["b"]["c"][1], 2.5);
        assert!(second.template_keys.contains("connection"));
        // It is what the second run read: a changed summary shows.
        let text = std::fs::read_to_string(&file).unwrap();
        std::fs::write(&file, text.replace("\"a\":1", "\"a\":7")).unwrap();
        assert_eq!(resolve(&cache, &archive).defaults["a"], 7);
        // A damaged one is ignored, and written again from the archive.
        std::fs::write(&file, "{not json").unwrap();
        assert_eq!(resolve(&cache, &archive), first);
        assert!(read(&ChartCache::new(&cache), &digest).is_some());
        // Another format is read again from the archive too.
        let text = std::fs::read_to_string(&file).unwrap();
        std::fs::write(&file, text.replace("\"format\":1", "\"format\":0")).unwrap();
        assert_eq!(resolve(&cache, &archive), first);
    }
}
