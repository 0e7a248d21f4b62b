//! The chart cache: packaged charts stored by content (`charts/sha256-<hex>.tgz`) beside the
//! compile cache, plus one small ref file per resolved request (repository URL, chart name
//! and requested version → digest and version), so a cached chart needs no network.
//!
//! Every read re-hashes the archive: a damaged or altered file is ignored (and fetched again),
//! never used. Writes are atomic (temp file, then rename).

use std::path::{Path, PathBuf};

pub struct ChartCache {
    dir: PathBuf,
}

/// What a ref file records.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CachedRef {
    pub version: String,
    pub digest: String,
}

pub use crate::store::sha256_hex;
use crate::store::write_atomic;

impl ChartCache {
    /// `dir` is the cache folder; charts go into `dir/charts`.
    pub fn new(dir: &Path) -> Self {
        ChartCache {
            dir: dir.join("charts"),
        }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub fn blob_path(&self, digest: &str) -> PathBuf {
        self.dir.join(format!("sha256-{digest}.tgz"))
    }

    fn ref_path(&self, key: &[&str]) -> PathBuf {
        self.dir
            .join("refs")
            .join(sha256_hex(key.join("\0").as_bytes()))
    }

    /// The archive with this digest, if cached and intact.
    pub fn blob(&self, digest: &str) -> Option<(PathBuf, Vec<u8>)> {
        let path = self.blob_path(digest);
        let bytes = std::fs::read(&path).ok()?;
        (sha256_hex(&bytes) == digest).then_some((path, bytes))
    }

    /// Store an archive by content; returns its digest and path.
    pub fn put_blob(&self, bytes: &[u8]) -> Result<(String, PathBuf), String> {
        let digest = sha256_hex(bytes);
        let path = self.blob_path(&digest);
        if self.blob(&digest).is_none() {
            write_atomic(&path, bytes)?;
        }
        Ok((digest, path))
    }

    pub fn get_ref(&self, key: &[&str]) -> Option<CachedRef> {
        let text = std::fs::read_to_string(self.ref_path(key)).ok()?;
        let mut lines = text.lines();
        let version = lines.next()?.to_owned();
        let digest = lines.next()?.to_owned();
        (digest.len() == 64 && digest.chars().all(|c| c.is_ascii_hexdigit()))
            .then_some(CachedRef { version, digest })
    }

    pub fn put_ref(&self, key: &[&str], r: &CachedRef) -> Result<(), String> {
        write_atomic(
            &self.ref_path(key),
            format!("{}\n{}\n", r.version, r.digest).as_bytes(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blobs_are_content_addressed_and_verified() {
        let dir = tempfile::tempdir().unwrap();
        let cache = ChartCache::new(dir.path());
        let (digest, path) = cache.put_blob(b"chart bytes").unwrap();
        assert_eq!(digest, sha256_hex(b"chart bytes"));
        assert_eq!(cache.blob(&digest).unwrap().1, b"chart bytes");
        std::fs::write(&path, b"tampered").unwrap();
        assert!(
            cache.blob(&digest).is_none(),
            "a damaged archive is never used"
        );
        let key = ["https://r", "c", "1.0.0"];
        assert_eq!(cache.get_ref(&key), None);
        let r = CachedRef {
            version: "1.0.0".into(),
            digest,
        };
        cache.put_ref(&key, &r).unwrap();
        assert_eq!(cache.get_ref(&key), Some(r));
    }
}
