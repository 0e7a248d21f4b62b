//! The render cache: `helm template`'s output kept by a key that covers every input that can
//! change it ([`RenderKey`]), so an unchanged release does not run helm again. [`CachedHelm`]
//! puts it in front of a [`Helm`]: a hit is the stored output (post-render steps and checks
//! still run on it), a miss runs helm and stores what it printed (never an error).
//!
//! Cached renders can hold secrets (a chart renders its Secrets from the values). So:
//! - the folder is `renders/` in the cache folder, mode 0700, and every file is 0600;
//! - a file's name is an HMAC-SHA256 of the key under a secret local to the cache (`renders/
//!   key`, 32 random bytes, 0600), never a plain hash of the values: a name cannot be used to
//!   test a guessed password;
//! - each entry carries the SHA-256 of its payload; a corrupted or truncated one is removed
//!   and reported as a miss, never used;
//! - the folder is bounded in bytes, the least recently used entries going first (a hit
//!   refreshes an entry's time).

use crate::helm::{Helm, Ready, Rendering, TemplateRequest};
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;
use std::path::{Path, PathBuf};

/// The first line of every entry.
const MAGIC: &[u8] = b"helmwasm-render-v1\n";

/// Everything that can change what `helm template` prints.
#[derive(Debug, Clone, PartialEq)]
pub struct RenderKey<'a> {
    /// The chart archive's SHA-256, or a digest of a chart folder's files.
    pub chart: &'a str,
    /// The final values: the file helm reads, written by our deterministic YAML writer from
    /// maps with sorted keys (the canonical form).
    pub values: &'a str,
    pub release: &'a str,
    pub namespace: &'a str,
    /// helm's version and the SHA-256 of its binary.
    pub helm: &'a str,
    pub kube_version: Option<&'a str>,
    pub api_versions: &'a [String],
    /// Every other flag given to helm, in order.
    pub flags: &'a [&'a str],
}

impl RenderKey<'_> {
    /// One unambiguous byte string of every field (each length-prefixed).
    fn bytes(&self) -> Vec<u8> {
        let mut out = Vec::new();
        let mut field = |b: &[u8]| {
            out.extend_from_slice(&(b.len() as u64).to_be_bytes());
            out.extend_from_slice(b);
        };
        field(self.chart.as_bytes());
        field(self.values.as_bytes());
        field(self.release.as_bytes());
        field(self.namespace.as_bytes());
        field(self.helm.as_bytes());
        match self.kube_version {
            Some(v) => field(format!("1{v}").as_bytes()),
            None => field(b"0"),
        }
        field(&(self.api_versions.len() as u64).to_be_bytes());
        for a in self.api_versions {
            field(a.as_bytes());
        }
        field(&(self.flags.len() as u64).to_be_bytes());
        for f in self.flags {
            field(f.as_bytes());
        }
        out
    }
}

#[derive(Clone)]
pub struct RenderCache {
    dir: PathBuf,
    secret: [u8; 32],
    max_bytes: u64,
}

/// What `cache info` shows of the render cache.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Usage {
    pub entries: usize,
    pub bytes: u64,
}

impl RenderCache {
    /// The render cache in `cache_dir` (`renders/`, created private), holding at most
    /// `max_bytes` of entries.
    pub fn open(cache_dir: &Path, max_bytes: u64) -> std::io::Result<RenderCache> {
        let dir = cache_dir.join("renders");
        crate::store::create_private_dir(&dir)?;
        let key_file = dir.join("key");
        let secret = match std::fs::read(&key_file) {
            Ok(k) if k.len() == 32 => k,
            _ => {
                let mut k = vec![0u8; 32];
                getrandom::fill(&mut k).map_err(std::io::Error::other)?;
                crate::store::write_atomic(&key_file, &k).map_err(std::io::Error::other)?;
                k
            }
        };
        Ok(RenderCache {
            dir,
            secret: secret.try_into().expect("32 bytes"),
            max_bytes,
        })
    }

    /// The entry's file name: the key's HMAC under this cache's secret, in hex.
    pub fn name(&self, key: &RenderKey) -> String {
        let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(&self.secret)
            .expect("HMAC takes any key length");
        mac.update(&key.bytes());
        crate::store::hex(&mac.finalize().into_bytes())
    }

    #[cfg(test)]
    fn path(&self, key: &RenderKey) -> PathBuf {
        self.entry_path(&self.name(key))
    }

    fn entry_path(&self, name: &str) -> PathBuf {
        self.dir.join(format!("{name}.render"))
    }

    /// The cached output for `key`, when there is an intact one (its time is refreshed).
    pub fn get(&self, key: &RenderKey) -> Option<Vec<u8>> {
        self.get_named(&self.name(key))
    }

    fn get_named(&self, name: &str) -> Option<Vec<u8>> {
        let path = self.entry_path(name);
        let bytes = std::fs::read(&path).ok()?;
        match payload(&bytes) {
            Some(p) => {
                let _ = std::fs::File::options()
                    .append(true)
                    .open(&path)
                    .and_then(|f| f.set_modified(std::time::SystemTime::now()));
                Some(p.to_vec())
            }
            None => {
                // Corrupted or truncated: never used, and gone.
                let _ = std::fs::remove_file(&path);
                None
            }
        }
    }

    /// Keep `output` for `key` (atomically, 0600), then trim the folder to its bound.
    pub fn put(&self, key: &RenderKey, output: &[u8]) -> Result<(), String> {
        self.put_named(&self.name(key), output)?;
        self.evict();
        Ok(())
    }

    /// Keep `output` under `name`, without trimming (a run trims once, at its end).
    fn put_named(&self, name: &str, output: &[u8]) -> Result<(), String> {
        let mut entry = MAGIC.to_vec();
        entry.extend_from_slice(crate::store::sha256_hex(output).as_bytes());
        entry.push(b'\n');
        entry.extend_from_slice(output);
        crate::store::write_atomic(&self.entry_path(name), &entry)
    }

    /// Remove the least recently used entries until the folder holds at most the bound.
    pub fn evict(&self) {
        let mut entries = self.entries();
        let mut total: u64 = entries.iter().map(|e| e.2).sum();
        entries.sort_by_key(|e| e.1);
        for (path, _, size) in entries {
            if total <= self.max_bytes {
                break;
            }
            if std::fs::remove_file(&path).is_ok() {
                total -= size;
            }
        }
    }

    pub fn usage(&self) -> Usage {
        let entries = self.entries();
        Usage {
            entries: entries.len(),
            bytes: entries.iter().map(|e| e.2).sum(),
        }
    }

    /// Every entry: path, last use, size.
    fn entries(&self) -> Vec<(PathBuf, std::time::SystemTime, u64)> {
        let Ok(dir) = std::fs::read_dir(&self.dir) else {
            return Vec::new();
        };
        dir.flatten()
            .filter(|e| e.path().extension().is_some_and(|x| x == "render"))
            .filter_map(|e| {
                let m = e.metadata().ok()?;
                Some((e.path(), m.modified().ok()?, m.len()))
            })
            .collect()
    }
}

/// A [`Helm`] with the render cache in front of its `helm template`. The cache is trimmed to
/// its bound once, when this is dropped (the end of a run), not after every store: a run of
/// 500 releases lists the folder once.
pub struct CachedHelm<'a> {
    helm: &'a dyn Helm,
    cache: RenderCache,
    /// The helm's [`Helm::identity`], asked once.
    identity: String,
    /// Set when a render was stored.
    stored: std::sync::Arc<std::sync::atomic::AtomicBool>,
}

impl Drop for CachedHelm<'_> {
    fn drop(&mut self) {
        if self.stored.load(std::sync::atomic::Ordering::Relaxed) {
            self.cache.evict();
        }
    }
}

/// Where the render cache lives and its bound: opened (its folder and key created) only when
/// a run has a helm to put it in front of.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    pub cache_dir: PathBuf,
    pub max_bytes: u64,
}

impl<'a> CachedHelm<'a> {
    /// The cache of `settings` in front of `helm`; `None` when helm cannot say what it is (no
    /// digest) or the cache cannot be opened (a read-only folder): then nothing is cached.
    pub fn open(helm: &'a dyn Helm, settings: &Settings) -> Option<CachedHelm<'a>> {
        let identity = helm.identity()?;
        let cache = RenderCache::open(&settings.cache_dir, settings.max_bytes).ok()?;
        Some(Self::with(helm, cache, identity))
    }

    /// `None` when `helm` cannot say what it is (no digest): then nothing is cached.
    pub fn new(helm: &'a dyn Helm, cache: RenderCache) -> Option<CachedHelm<'a>> {
        let identity = helm.identity()?;
        Some(Self::with(helm, cache, identity))
    }

    fn with(helm: &'a dyn Helm, cache: RenderCache, identity: String) -> CachedHelm<'a> {
        CachedHelm {
            helm,
            cache,
            identity,
            stored: Default::default(),
        }
    }
}

impl Helm for CachedHelm<'_> {
    fn pull_oci(&self, reference: &str, version: &str) -> Result<Vec<u8>, String> {
        self.helm.pull_oci(reference, version)
    }

    fn describe(&self) -> String {
        self.helm.describe()
    }

    fn identity(&self) -> Option<String> {
        Some(self.identity.clone())
    }

    /// A hit is the stored output, helm not run; a miss starts helm and stores its output
    /// when it succeeds. A chart without a digest (a folder that cannot be hashed whole) is
    /// never cached.
    fn start_template(&self, req: &TemplateRequest) -> Result<Box<dyn Rendering>, String> {
        let Some(chart) = req.chart_digest else {
            return self.helm.start_template(req);
        };
        let mut key = RenderKey {
            chart,
            values: req.values_yaml,
            release: req.release,
            namespace: req.namespace,
            helm: &self.identity,
            kube_version: req.capabilities.kube_version.as_deref(),
            api_versions: &req.capabilities.api_versions,
            flags: crate::helm::TEMPLATE_FLAGS,
        };
        if let Some(field) = crate::hooks::omit_from_render_key() {
            key.omit(&field);
        }
        let name = self.cache.name(&key);
        if let Some(out) = self
            .cache
            .get_named(&name)
            .and_then(|b| String::from_utf8(b).ok())
        {
            return Ok(Box::new(Ready(Ok(out))));
        }
        let started = self.helm.start_template(req)?;
        Ok(Box::new(Storing {
            started,
            cache: self.cache.clone(),
            name,
            stored: self.stored.clone(),
        }))
    }
}

/// A miss: helm under way, its output stored when it succeeds.
struct Storing {
    started: Box<dyn Rendering>,
    cache: RenderCache,
    name: String,
    stored: std::sync::Arc<std::sync::atomic::AtomicBool>,
}

impl Rendering for Storing {
    fn wait(self: Box<Self>) -> Result<String, String> {
        let out = self.started.wait()?;
        // A cache that cannot be written (a full disk) costs only the next run's helm.
        if self.cache.put_named(&self.name, out.as_bytes()).is_ok() {
            self.stored
                .store(true, std::sync::atomic::Ordering::Relaxed);
        }
        Ok(out)
    }
}

impl RenderKey<'_> {
    /// The key without `field` (the test hook that proves the mutation tests can fail).
    fn omit(&mut self, field: &str) {
        match field {
            "chart" => self.chart = "",
            "values" => self.values = "",
            "release" => self.release = "",
            "namespace" => self.namespace = "",
            "helm" => self.helm = "",
            "kube_version" => self.kube_version = None,
            "api_versions" => self.api_versions = &[],
            "flags" => self.flags = &[],
            _ => {}
        }
    }
}

/// An entry's payload, when its header and digest hold.
fn payload(entry: &[u8]) -> Option<&[u8]> {
    let rest = entry.strip_prefix(MAGIC)?;
    let (digest, payload) = (rest.get(..64)?, rest.get(65..)?);
    (rest.get(64) == Some(&b'\n') && digest == crate::store::sha256_hex(payload).as_bytes())
        .then_some(payload)
}

#[cfg(test)]
mod tests {
    use super::*;
    fn key<'a>(values: &'a str, strings: &'a [String]) -> RenderKey<'a> {
        RenderKey {
            chart: "c0ffee",
            values,
            release: "airflow",
            namespace: "airflow",
            helm: "v4.1.4 abc",
            kube_version: None,
            api_versions: strings,
            flags: &[],
        }
    }

    /// Each input of the key, changed alone, names another entry (a field left out of
    /// `RenderKey::bytes` fails its line here).
    #[test]
    fn every_input_of_the_key_changes_the_entry() {
        let dir = tempfile::tempdir().unwrap();
        let cache = RenderCache::open(dir.path(), 1 << 20).unwrap();
        let values = "a: 1\n";
        let other_values = "a: 2\n";
        let none: Vec<String> = Vec::new();
        let some = vec!["x".to_owned()];
        let base = key(values, &none);
        let variants = [
            (
                "chart",
                RenderKey {
                    chart: "beef",
                    ..base.clone()
                },
            ),
            (
                "values",
                RenderKey {
                    values: other_values,
                    ..base.clone()
                },
            ),
            (
                "release",
                RenderKey {
                    release: "other",
                    ..base.clone()
                },
            ),
            (
                "namespace",
                RenderKey {
                    namespace: "other",
                    ..base.clone()
                },
            ),
            (
                "helm",
                RenderKey {
                    helm: "v4.1.5 abc",
                    ..base.clone()
                },
            ),
            (
                "kube_version",
                RenderKey {
                    kube_version: Some("1.31"),
                    ..base.clone()
                },
            ),
            (
                "api_versions",
                RenderKey {
                    api_versions: &some,
                    ..base.clone()
                },
            ),
            (
                "flags",
                RenderKey {
                    flags: &["--include-crds"],
                    ..base.clone()
                },
            ),
        ];
        let name = cache.name(&base);
        for (what, k) in &variants {
            assert_ne!(cache.name(k), name, "{what} is not in the key");
        }
        // Fields do not run into each other: moving a string between two is another key.
        let a = RenderKey {
            release: "ab",
            namespace: "c",
            ..base.clone()
        };
        let b = RenderKey {
            release: "a",
            namespace: "bc",
            ..base.clone()
        };
        assert_ne!(cache.name(&a), cache.name(&b));
        // The same key, the same name.
        assert_eq!(cache.name(&key(values, &none)), name);
    }

    #[test]
    fn entries_are_private_and_named_by_a_keyed_digest_not_a_hash_of_the_values() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let cache = RenderCache::open(dir.path(), 1 << 20).unwrap();
        let values = "password: hunter2\n";
        let none: Vec<String> = Vec::new();
        let k = key(values, &none);
        cache.put(&k, b"kind: Secret\n").unwrap();
        assert_eq!(cache.get(&k).unwrap(), b"kind: Secret\n");
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        let renders = dir.path().join("renders");
        assert_eq!(mode(&renders), 0o700);
        for e in std::fs::read_dir(&renders).unwrap() {
            let p = e.unwrap().path();
            assert_eq!(mode(&p), 0o600, "{}", p.display());
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            for plain in [
                crate::store::sha256_hex(values.as_bytes()),
                crate::store::sha256_hex(&k.bytes()),
            ] {
                assert!(!name.contains(&plain), "a plain hash in {name}");
            }
        }
        // Another machine's cache (another secret) names the same key otherwise.
        let elsewhere = tempfile::tempdir().unwrap();
        let other = RenderCache::open(elsewhere.path(), 1 << 20).unwrap();
        assert_ne!(other.name(&k), cache.name(&k));
        // The secret stays: a second open names it the same.
        assert_eq!(
            RenderCache::open(dir.path(), 1 << 20).unwrap().name(&k),
            cache.name(&k)
        );
    }

    #[test]
    fn a_corrupted_or_truncated_entry_is_a_miss_and_is_removed() {
        let dir = tempfile::tempdir().unwrap();
        let cache = RenderCache::open(dir.path(), 1 << 20).unwrap();
        let none: Vec<String> = Vec::new();
        let k = key("{}\n", &none);
        let path = cache.path(&k);
        for damage in [
            |b: &mut Vec<u8>| {
                let last = b.len() - 1;
                b[last] ^= 1;
            },
            |b: &mut Vec<u8>| b.truncate(b.len() - 3),
            |b: &mut Vec<u8>| b.truncate(10),
        ] {
            cache.put(&k, b"apiVersion: v1\nkind: ConfigMap\n").unwrap();
            let mut bytes = std::fs::read(&path).unwrap();
            damage(&mut bytes);
            std::fs::write(&path, bytes).unwrap();
            assert_eq!(cache.get(&k), None);
            assert!(!path.exists(), "the damaged entry is removed");
        }
    }

    #[test]
    fn eviction_keeps_the_bound_and_drops_the_least_recently_used_first() {
        let dir = tempfile::tempdir().unwrap();
        // Filled with a roomy bound, then opened with one of three entries' worth.
        let roomy = RenderCache::open(dir.path(), 1 << 20).unwrap();
        let none: Vec<String> = Vec::new();
        let values: Vec<String> = (0..5).map(|i| format!("i: {i}\n")).collect();
        let t0 = std::time::SystemTime::now() - std::time::Duration::from_secs(100);
        for (i, v) in values.iter().enumerate() {
            roomy.put(&key(v, &none), &vec![b'x'; 900]).unwrap();
            // Distinct times, oldest first, whatever the file system's resolution.
            let f = std::fs::File::options()
                .append(true)
                .open(roomy.path(&key(v, &none)))
                .unwrap();
            f.set_modified(t0 + std::time::Duration::from_secs(i as u64))
                .unwrap();
        }
        let cache = RenderCache::open(dir.path(), 3000).unwrap();
        assert_eq!(cache.usage().entries, 5);
        // Entry 0 is used again: it is now the most recent.
        assert!(cache.get(&key(&values[0], &none)).is_some());
        cache.evict();
        let usage = cache.usage();
        assert!(usage.bytes <= 3000, "{usage:?}");
        let kept: Vec<bool> = values
            .iter()
            .map(|v| cache.path(&key(v, &none)).exists())
            .collect();
        assert_eq!(kept, [true, false, false, true, true]);
    }

    /// A helm that counts its renders and prints `out` (or fails with it).
    struct Fake {
        calls: std::sync::atomic::AtomicUsize,
        out: Result<String, String>,
        identity: Option<String>,
    }

    impl Helm for Fake {
        fn pull_oci(&self, _: &str, _: &str) -> Result<Vec<u8>, String> {
            Err("no".into())
        }
        fn describe(&self) -> String {
            "fake helm".into()
        }
        fn identity(&self) -> Option<String> {
            self.identity.clone()
        }
        fn start_template(&self, _: &TemplateRequest) -> Result<Box<dyn Rendering>, String> {
            self.calls.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            Ok(Box::new(Ready(self.out.clone())))
        }
    }

    fn fake(out: Result<&str, &str>) -> Fake {
        Fake {
            calls: Default::default(),
            out: out.map(str::to_owned).map_err(str::to_owned),
            identity: Some("fake v1 sha256:00".into()),
        }
    }

    fn render(helm: &dyn Helm, digest: Option<&str>) -> Result<String, String> {
        let caps = crate::helm::Capabilities::default();
        helm.start_template(&TemplateRequest {
            release: "r",
            namespace: "ns",
            chart: Path::new("chart.tgz"),
            chart_digest: digest,
            values_yaml: "a: 1\n",
            capabilities: &caps,
        })?
        .wait()
    }

    #[test]
    fn a_miss_runs_helm_and_stores_a_hit_does_not_run_it() {
        let dir = tempfile::tempdir().unwrap();
        let helm = fake(Ok("kind: A\n"));
        let cached =
            CachedHelm::new(&helm, RenderCache::open(dir.path(), 1 << 20).unwrap()).unwrap();
        let calls = || helm.calls.load(std::sync::atomic::Ordering::SeqCst);
        assert_eq!(render(&cached, Some("c1")).unwrap(), "kind: A\n");
        assert_eq!(calls(), 1);
        assert_eq!(render(&cached, Some("c1")).unwrap(), "kind: A\n");
        assert_eq!(calls(), 1, "the second render is a hit");
        assert_eq!(render(&cached, Some("c2")).unwrap(), "kind: A\n");
        assert_eq!(calls(), 2, "another chart is a miss");
        // A chart without a digest is never cached.
        render(&cached, None).unwrap();
        render(&cached, None).unwrap();
        assert_eq!(calls(), 4);
    }

    #[test]
    fn a_failed_render_is_not_stored_and_an_unknown_helm_is_not_cached() {
        let dir = tempfile::tempdir().unwrap();
        let helm = fake(Err("boom"));
        let cache = RenderCache::open(dir.path(), 1 << 20).unwrap();
        let cached = CachedHelm::new(&helm, cache.clone()).unwrap();
        assert_eq!(render(&cached, Some("c")).unwrap_err(), "boom");
        assert_eq!(render(&cached, Some("c")).unwrap_err(), "boom");
        assert_eq!(helm.calls.load(std::sync::atomic::Ordering::SeqCst), 2);
        assert_eq!(cache.usage().entries, 0);
        let unknown = Fake {
            identity: None,
            ..fake(Ok(""))
        };
        assert!(CachedHelm::new(&unknown, cache).is_none());
    }
}
