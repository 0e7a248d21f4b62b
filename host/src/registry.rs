//! Plugin discovery: the built-in plugins plus every `*.wasm` component in the plugin
//! folders, addressed by the name their `metadata()` reports.
//!
//! Loading a plugin compiles it (through the cache), calls `metadata` in the sandbox, checks
//! the name and version, and compiles its config schema. Only the plugins a run uses are
//! compiled, in parallel: the others are known by name (a built-in by its crate name, a
//! plugin file by the metadata cached beside its compiled code). Two plugins with one name is an
//! error naming both; an unknown name suggests the closest known one.

use crate::plan::StepKind;
use crate::runtime::{Limits, Metadata, Plugin, Runtime, Stage};
use anyhow::{Context, Result, anyhow, bail};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::{Path, PathBuf};

/// Where a plugin came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    BuiltIn,
    File(PathBuf),
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::BuiltIn => f.write_str("built-in"),
            Source::File(p) => write!(f, "{}", p.display()),
        }
    }
}

pub struct Registered {
    pub name: String,
    pub version: semver::Version,
    pub description: String,
    pub source: Source,
    /// Compiled only when this run uses the plugin (or lists them all).
    plugin: Option<Plugin>,
    /// The stages its metadata declares (a 0.1.0 component: values only).
    pub stages: Vec<Stage>,
    config_schema: jsonschema::Validator,
}

impl Registered {
    /// The compiled component. Every plugin the plan names is compiled when the registry is
    /// loaded, so a missing one is a bug.
    pub fn plugin(&self) -> Result<&Plugin> {
        self.plugin.as_ref().ok_or_else(|| {
            crate::error::Internal(format!(
                "plugin `{}` was not compiled for this run",
                self.name
            ))
            .into()
        })
    }

    /// An error unless the plugin implements the stage of `kind`, saying where it belongs.
    pub fn check_stage(&self, kind: StepKind) -> Result<()> {
        let (stage, list, other) = match kind {
            StepKind::Values => (Stage::Values, "steps", "postRender"),
            StepKind::PostRender => (Stage::PostRender, "postRender", "steps"),
        };
        if self.stages.contains(&stage) {
            return Ok(());
        }
        Err(anyhow!(
            "plugin `{}` {} is not a {} plugin (its metadata declares: {}); list it under `{other}`, not `{list}`",
            self.name,
            self.version,
            match kind {
                StepKind::Values => "values-step",
                StepKind::PostRender => "post-render",
            },
            stage_names(&self.stages)
        ))
    }

    /// `values, post-render`.
    pub fn stage_list(&self) -> String {
        stage_names(&self.stages)
    }
    /// Check a step config against the plugin's config schema. Each problem is reported with
    /// its path under `prefix`; offending values are never echoed (they may be secrets).
    pub fn check_config(&self, config: &Value, prefix: &str) -> Vec<String> {
        self.config_schema
            .iter_errors(config)
            .map(|e| {
                format!(
                    "{}: {}",
                    crate::values::pointer_path(prefix, &e.instance_path().to_string()),
                    e.masked()
                )
            })
            .collect()
    }
}

/// A plugin compiled into the binary: its crate name (which its `metadata()` name must
/// equal), the SHA-256 of its component and the component (from `helmwasm-builtins`), and
/// its code as `build.rs` precompiled it (none when cross-compiled).
pub struct Builtin {
    pub plugin: helmwasm_builtins::Plugin,
    pub precompiled: Option<&'static [u8]>,
}

/// Which plugins a run compiles.
pub enum Want<'a> {
    /// Every plugin (`plugins list`, `plugins precompile`).
    All,
    /// The plugins these names denote (the steps of the selected releases). The rest are
    /// known by name only: a built-in by its crate name, a plugin file by the metadata the
    /// cache holds for it (a file the cache does not know is compiled to learn its name).
    Named(&'a BTreeSet<String>),
}

impl Want<'_> {
    fn includes(&self, name: &str) -> bool {
        match self {
            Want::All => true,
            Want::Named(names) => names.contains(name),
        }
    }
}

pub struct Registry {
    plugins: BTreeMap<String, Registered>,
    /// Built-ins this run does not use: known by name, never compiled.
    idle: BTreeMap<String, Source>,
}

/// A plugin folder and who named it (for error messages).
pub struct PluginDir {
    pub path: PathBuf,
    pub origin: String,
}

/// A component found, before it is compiled.
struct Found {
    source: Source,
    bytes: std::borrow::Cow<'static, [u8]>,
    digest: String,
    /// A built-in's crate name.
    builtin: Option<&'static str>,
    /// A built-in's code, precompiled when helmwasm was built.
    precompiled: Option<&'static [u8]>,
    /// Its `metadata()`, when the cache holds it.
    cached: Option<Metadata>,
}

impl Found {
    fn needs_compiling(&self, want: &Want) -> bool {
        match (self.builtin, &self.cached) {
            (Some(name), _) => want.includes(name),
            (None, None) => true,
            (None, Some(m)) => want.includes(&m.name),
        }
    }
}

impl Registry {
    /// Find every plugin (built-ins, then each folder's `*.wasm` sorted by name) and compile
    /// the ones `want` names, on up to `threads` threads. Errors are reported in discovery
    /// order, as a serial load would.
    pub fn load(
        runtime: &Runtime,
        builtins: &[Builtin],
        dirs: &[PluginDir],
        want: &Want,
        threads: usize,
    ) -> Result<Registry> {
        let mut found: Vec<Found> = builtins
            .iter()
            .map(|b| Found {
                source: Source::BuiltIn,
                bytes: std::borrow::Cow::Borrowed(b.plugin.bytes),
                digest: b.plugin.digest.to_owned(),
                builtin: Some(b.plugin.name),
                precompiled: b.precompiled,
                cached: want
                    .includes(b.plugin.name)
                    .then(|| runtime.cached_metadata(b.plugin.digest))
                    .flatten(),
            })
            .collect();
        for dir in dirs {
            for path in wasm_files(dir)? {
                let bytes = std::fs::read(&path)
                    .with_context(|| format!("cannot read plugin {}", path.display()))?;
                let digest = crate::runtime::cache::digest(&bytes);
                found.push(Found {
                    cached: runtime.cached_metadata(&digest),
                    source: Source::File(path),
                    bytes: std::borrow::Cow::Owned(bytes),
                    digest,
                    builtin: None,
                    precompiled: None,
                });
            }
        }
        // Cranelift work goes on `threads` threads. Precompiled built-ins only map their code
        // (a tenth of a millisecond each): spreading that over threads cost more in thread
        // start-up and cross-core TLB flushes of each `mprotect` than it saved (a warm run of
        // the example: 13.5 ms with two threads, 12.7 ms with one).
        let compiles = found
            .iter()
            .any(|f| f.precompiled.is_none() && f.needs_compiling(want));
        let threads = if compiles { threads } else { 1 };
        let compiled = crate::parallel::map(&found, threads, |f| {
            f.needs_compiling(want)
                .then(|| compile(runtime, f))
                .transpose()
        });
        let mut reg = Registry {
            plugins: BTreeMap::new(),
            idle: BTreeMap::new(),
        };
        for (f, compiled) in found.into_iter().zip(compiled) {
            let context = |e: anyhow::Error| match (&f.builtin, &f.source) {
                (Some(name), _) => anyhow::Error::new(crate::error::Internal(format!(
                    "built-in plugin `{name}` does not load: {e:#}"
                ))),
                (None, source) => e.context(format!("cannot load plugin {source}")),
            };
            let compiled = compiled.map_err(context)?;
            let (plugin, meta) = match (compiled, f.cached, f.builtin) {
                (Some((plugin, meta)), _, _) => (Some(plugin), meta),
                (None, Some(meta), None) => (None, meta),
                (None, _, Some(name)) => {
                    reg.insert_idle(name, f.source)?;
                    continue;
                }
                (None, None, None) => unreachable!("a file without cached metadata is compiled"),
            };
            if let Some(name) = f.builtin
                && meta.name != name
            {
                return Err(context(anyhow!(
                    "its metadata names it `{}`, not its crate name",
                    meta.name
                )));
            }
            let r = describe(meta, f.source.clone(), plugin).map_err(context)?;
            reg.insert(r)?;
        }
        Ok(reg)
    }

    fn insert_idle(&mut self, name: &str, source: Source) -> Result<()> {
        self.check_unique(name, &source)?;
        self.idle.insert(name.to_owned(), source);
        Ok(())
    }

    fn check_unique(&self, name: &str, source: &Source) -> Result<()> {
        let existing = self
            .plugins
            .get(name)
            .map(|r| &r.source)
            .or_else(|| self.idle.get(name));
        if let Some(existing) = existing {
            bail!(
                "two plugins are named `{name}`: {existing} and {source}; remove one or rename it"
            );
        }
        Ok(())
    }

    fn insert(&mut self, r: Registered) -> Result<()> {
        self.check_unique(&r.name, &r.source)?;
        self.plugins.insert(r.name.clone(), r);
        Ok(())
    }

    /// The plugin called `name`, or an [`UnknownPlugin`] error suggesting the closest known
    /// name.
    pub fn get(&self, name: &str) -> Result<&Registered> {
        if self.idle.contains_key(name) {
            return Err(crate::error::Internal(format!(
                "plugin `{name}` was not compiled for this run"
            ))
            .into());
        }
        self.plugins.get(name).ok_or_else(|| {
            let mut known: Vec<&str> = self
                .plugins
                .keys()
                .chain(self.idle.keys())
                .map(String::as_str)
                .collect();
            known.sort();
            let closest = crate::names::did_you_mean(name, known.iter().copied());
            anyhow::Error::new(UnknownPlugin(match closest {
                Some(k) => format!("unknown plugin `{name}`; did you mean `{k}`?"),
                None => format!(
                    "unknown plugin `{name}`; known plugins: {}",
                    known
                        .iter()
                        .map(|k| format!("`{k}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            }))
        })
    }

    /// Every plugin, sorted by name.
    pub fn iter(&self) -> impl Iterator<Item = &Registered> {
        self.plugins.values()
    }
}

/// The `*.wasm` files of a folder, sorted by name so discovery order never depends on the
/// file system.
fn wasm_files(dir: &PluginDir) -> Result<Vec<PathBuf>> {
    let entries = std::fs::read_dir(&dir.path).with_context(|| {
        format!(
            "cannot read plugin folder {} (from {})",
            dir.path.display(),
            dir.origin
        )
    })?;
    let mut files = Vec::new();
    for entry in entries {
        let path = entry?.path();
        if path.extension().is_some_and(|e| e == "wasm") && path.is_file() {
            files.push(path);
        }
    }
    files.sort();
    Ok(files)
}

/// The limits of a `metadata()` call: it only describes the plugin.
pub const METADATA_LIMITS: Limits = Limits {
    memory: 64 << 20,
    timeout: std::time::Duration::from_secs(1),
    output: MAX_CONFIG_SCHEMA + (64 << 10),
};

/// Cap on a plugin's config schema.
pub const MAX_CONFIG_SCHEMA: u64 = 1 << 20;

fn stage_names(stages: &[Stage]) -> String {
    let names: Vec<&str> = stages
        .iter()
        .map(|s| match s {
            Stage::Values => "values",
            Stage::PostRender => "post-render",
        })
        .collect();
    if names.is_empty() {
        "no stage".to_owned()
    } else {
        names.join(", ")
    }
}

/// Compile a found component and get its metadata (from the cache when there).
fn compile(runtime: &Runtime, f: &Found) -> Result<(Plugin, Metadata)> {
    let plugin = match f.precompiled {
        Some(code) => runtime.load_precompiled(code, &f.bytes, &f.digest)?,
        None => runtime.load_digested(&f.bytes, &f.digest)?,
    };
    let meta = runtime
        .metadata_cached(&plugin, METADATA_LIMITS)
        .map_err(|e| anyhow!("`metadata()` failed: {e}"))?;
    Ok((plugin, meta))
}

/// Check a plugin's metadata (name, stages, version, config schema) and register it.
fn describe(meta: Metadata, source: Source, plugin: Option<Plugin>) -> Result<Registered> {
    if meta.config_schema.len() as u64 > MAX_CONFIG_SCHEMA {
        bail!(
            "plugin `{}` reports a config schema of {}, past the limit of {}",
            meta.name,
            crate::units::ByteSize(meta.config_schema.len() as u64),
            crate::units::ByteSize(MAX_CONFIG_SCHEMA)
        );
    }
    check_name(&meta.name)?;
    if meta.stages.is_empty() {
        bail!(
            "plugin `{}` declares no stage in its metadata (`values`, `post-render` or both)",
            meta.name
        );
    }
    let mut stages = meta.stages.clone();
    stages.dedup();
    let version = semver::Version::parse(&meta.version).map_err(|e| {
        anyhow!(
            "plugin `{}` reports version `{}`, which is not semver: {e}",
            meta.name,
            meta.version
        )
    })?;
    let schema: Value = serde_json::from_str(&meta.config_schema).map_err(|e| {
        anyhow!(
            "plugin `{}` reports a config schema that is not JSON: {e}",
            meta.name
        )
    })?;
    let config_schema = jsonschema::validator_for(&schema).map_err(|e| {
        anyhow!(
            "plugin `{}` reports an invalid config schema: {e}",
            meta.name
        )
    })?;
    Ok(Registered {
        name: meta.name,
        version,
        description: meta.description,
        source,
        plugin,
        stages,
        config_schema,
    })
}

/// Build ahead what the first config schema compiled would otherwise build on the spot: the
/// meta-schema validator of the built-ins' dialect, draft-07 (~0.6 ms).
pub fn warm_up() {
    let _ = jsonschema::draft7::meta::validator();
}

fn check_name(name: &str) -> Result<()> {
    crate::names::check_dns_label(name).map_err(|_| {
        anyhow!("plugin name `{name}` is invalid: use lowercase letters, digits and `-`")
    })
}

/// Folders from `--plugin-dir` and the pipeline's `plugins.dirs`, in that order.
pub fn dirs(cli: &[PathBuf], pipeline: &[PathBuf], pipeline_file: Option<&Path>) -> Vec<PluginDir> {
    let mut out: Vec<PluginDir> = cli
        .iter()
        .map(|p| PluginDir {
            path: p.clone(),
            origin: "--plugin-dir".into(),
        })
        .collect();
    let origin = pipeline_file.map_or("plugins.dirs".to_owned(), |f| {
        format!("`plugins.dirs` in {}", f.display())
    });
    out.extend(pipeline.iter().map(|p| PluginDir {
        path: p.clone(),
        origin: origin.clone(),
    }));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What `build.rs` embeds is code the runtime's engine takes as it is: every built-in
    /// loads without compiling, so the cache receives exactly the embedded bytes.
    #[test]
    fn every_built_in_is_embedded_as_code_the_runtime_loads_without_compiling() {
        let dir = tempfile::tempdir().unwrap();
        let rt = Runtime::with_manual_epoch(Some(dir.path().to_path_buf())).unwrap();
        for b in crate::builtin::PLUGINS {
            let code = b.precompiled.expect(
                "build.rs precompiles the built-ins (unless cross-compiling or HELMWASM_NO_PRECOMPILE is set)",
            );
            let p = rt
                .load_precompiled(code, b.plugin.bytes, b.plugin.digest)
                .unwrap();
            let m = rt.metadata(&p, Limits::default()).0.unwrap();
            assert_eq!(m.name, b.plugin.name);
            let cached: Vec<Vec<u8>> = std::fs::read_dir(dir.path())
                .unwrap()
                .map(|e| e.unwrap().path())
                .filter(|p| {
                    p.extension().is_some_and(|x| x == "cwasm")
                        && p.to_string_lossy().contains(b.plugin.digest)
                })
                .map(|p| std::fs::read(p).unwrap())
                .collect();
            assert_eq!(
                cached,
                [code.to_vec()],
                "`{}`: the code, not compiled",
                m.name
            );
        }
    }

    #[test]
    fn pointers_become_dotted_paths() {
        use crate::values::pointer_path;
        assert_eq!(pointer_path("with", ""), "with");
        assert_eq!(pointer_path("with", "/port"), "with.port");
        assert_eq!(pointer_path("with", "/a~1b/items/0"), "with.a/b.items[0]");
        assert_eq!(pointer_path("", "/a.b/c"), "a\\.b.c");
    }

    /// The repository's `.cargo/config.toml` gives every plugin 4 MiB of initial memory, so
    /// the instance pool need not change page protections after a typical call (issue 15).
    #[test]
    fn built_in_plugins_start_with_four_mib_of_memory() {
        for b in crate::builtin::PLUGINS {
            let mut initial = Vec::new();
            for payload in wasmparser::Parser::new(0).parse_all(b.plugin.bytes) {
                if let wasmparser::Payload::MemorySection(memories) = payload.unwrap() {
                    for m in memories {
                        initial.push(m.unwrap().initial);
                    }
                }
            }
            assert!(!initial.is_empty(), "{}: no memory", b.plugin.name);
            for pages in initial {
                assert!(
                    pages * 64 * 1024 >= 4 << 20,
                    "{}: {pages} pages of initial memory",
                    b.plugin.name
                );
            }
        }
    }

    /// Every built-in's config schema is in one dialect, draft-07: the first schema of a
    /// dialect builds that dialect's meta-schema validator, and a second dialect cost ~1 ms of
    /// a 13 ms warm run of the example (issue 15).
    #[test]
    fn built_in_config_schemas_share_one_dialect() {
        let runtime = crate::runtime::Runtime::with_manual_epoch(None).unwrap();
        for b in crate::builtin::PLUGINS {
            let code = b.precompiled.expect("built-ins are precompiled");
            let plugin = runtime
                .load_precompiled(code, b.plugin.bytes, b.plugin.digest)
                .unwrap();
            let (meta, _) = runtime.metadata(&plugin, METADATA_LIMITS);
            let schema: Value = serde_json::from_str(&meta.unwrap().config_schema).unwrap();
            assert_eq!(
                schema["$schema"], "http://json-schema.org/draft-07/schema#",
                "{}",
                b.plugin.name
            );
        }
    }

    #[test]
    fn names() {
        assert!(check_name("airflow-database").is_ok());
        for bad in ["", "Airflow", "a_b", "-a", "a-"] {
            assert!(check_name(bad).is_err(), "{bad}");
        }
    }
}

/// A step names a plugin no folder provides.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct UnknownPlugin(String);
