//! On-disk cache of compiled components.
//!
//! Compiling a component with Cranelift costs up to seconds; loading a precompiled one costs
//! milliseconds. Entries are keyed by the SHA-256 of the component bytes and a hash of the
//! engine's configuration and wasmtime version, so a change to either misses instead of
//! loading stale code. Entries are written atomically (temp file then rename); a corrupt or
//! incompatible entry is recompiled and replaced. Deleting the folder is always safe.
//!
//! The folder must be trusted like the helmwasm binary itself: a precompiled artifact is
//! native code. It is created with mode 0700.

use anyhow::Result;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::path::{Path, PathBuf};
use wasmtime::Engine;
use wasmtime::component::Component;

pub struct CompileCache {
    dir: PathBuf,
    engine_key: String,
}

impl CompileCache {
    pub fn new(dir: PathBuf, engine: &Engine) -> Self {
        let mut h = DefaultHasher::new();
        engine.precompile_compatibility_hash().hash(&mut h);
        env!("CARGO_PKG_VERSION").hash(&mut h);
        CompileCache {
            dir,
            engine_key: format!("{:016x}", h.finish()),
        }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The compiled component for the bytes with SHA-256 `hex`, from the cache when possible.
    pub fn get_or_compile(&self, engine: &Engine, bytes: &[u8], hex: &str) -> Result<Component> {
        let path = self.dir.join(format!("{hex}-{}.cwasm", self.engine_key));
        if path.exists() {
            // SAFETY: entries are written only by `store` below from `Component::serialize`
            // output of an engine with the same compatibility hash; the folder is as trusted
            // as the binary (module docs).
            if let Ok(c) = unsafe { Component::deserialize_file(engine, &path) } {
                return Ok(c);
            }
        }
        let component = compile(engine, bytes)?;
        // A cache that cannot be written only costs time on the next run.
        let _ = self.store(&path, &component);
        Ok(component)
    }

    /// The component whose compiled code (for this engine) is `code`, as [`Self::get_or_compile`]
    /// gives it, without compiling: loaded from the cache entry when there (mapped from the
    /// file, not copied), else from `code`, which is then stored as the entry so later runs map
    /// it. Errs when wasmtime refuses `code` (compiled for another engine).
    pub fn get_or_insert(&self, engine: &Engine, hex: &str, code: &[u8]) -> Result<Component> {
        let path = self.dir.join(format!("{hex}-{}.cwasm", self.engine_key));
        if path.exists() {
            // SAFETY: as in `get_or_compile`.
            if let Ok(c) = unsafe { Component::deserialize_file(engine, &path) } {
                return Ok(c);
            }
        }
        // SAFETY: the caller's `code` is precompiled output it trusts (the built-ins' code
        // embedded by helmwasm's build script); wasmtime checks it fits this engine.
        let component =
            unsafe { Component::deserialize(engine, code) }.map_err(anyhow::Error::from)?;
        // A cache that cannot be written only costs time on the next run.
        let _ = self.write(&path, code);
        Ok(component)
    }

    fn store(&self, path: &Path, component: &Component) -> Result<()> {
        let bytes = component.serialize().map_err(anyhow::Error::from)?;
        self.write(path, &bytes)
    }

    /// Atomically, in a private folder (the one way every cache file is written).
    fn write(&self, path: &Path, bytes: &[u8]) -> Result<()> {
        helmwasm_base::store::write_atomic(path, bytes).map_err(anyhow::Error::msg)
    }

    fn meta_path(&self, hex: &str) -> PathBuf {
        self.dir
            .join(format!("{hex}-{}.meta.json", self.engine_key))
    }

    /// The `metadata()` result stored for the component with SHA-256 `hex` (JSON text).
    pub fn metadata(&self, hex: &str) -> Option<String> {
        std::fs::read_to_string(self.meta_path(hex)).ok()
    }

    /// Remember a component's `metadata()` result beside its compiled code.
    pub fn store_metadata(&self, hex: &str, json: &str) {
        // A cache that cannot be written only costs time on the next run.
        let _ = self.write(&self.meta_path(hex), json.as_bytes());
    }
}

/// The SHA-256 of a component, in hex: its cache key.
pub use helmwasm_base::store::sha256_hex as digest;

pub fn compile(engine: &Engine, bytes: &[u8]) -> Result<Component> {
    Component::new(engine, bytes).map_err(anyhow::Error::from)
}

/// A warning when an existing cache folder is open to its group or to others: it holds native
/// code helmwasm runs, so it must be as private as the binary.
pub fn open_to_others(dir: &Path) -> Option<String> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir).ok()?.permissions().mode();
        if mode & 0o077 != 0 {
            return Some(format!(
                "the cache folder {} is open to its group or others (mode {:o}): it holds native code helmwasm runs; `chmod 700` it",
                helmwasm_base::term::line(&dir.display().to_string()),
                mode & 0o777
            ));
        }
    }
    #[cfg(not(unix))]
    let _ = dir;
    None
}

/// The platform cache folder (`~/.cache/helmwasm` on Linux), when neither `--cache-dir` nor
/// `HELMWASM_CACHE_DIR` (the same option, through clap) names one.
pub fn default_dir() -> Option<PathBuf> {
    dirs::cache_dir().map(|d| d.join("helmwasm"))
}
