//! Plugin discovery: the built-in plugins plus every `*.wasm` component in the plugin
//! folders, addressed by the name their `metadata()` reports.
//!
//! Loading a plugin compiles it (through the cache), calls `metadata` in the sandbox, checks
//! the name and version, and compiles its config schema. Two plugins with one name is an
//! error naming both; an unknown name suggests the closest known one.

use crate::plan::StepKind;
use crate::runtime::{Limits, Plugin, Runtime, Stage};
use anyhow::{Context, Result, anyhow, bail};
use serde_json::Value;
use std::collections::BTreeMap;
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
    pub plugin: Plugin,
    /// The stages its metadata declares (a 0.1.0 component: values only).
    pub stages: Vec<Stage>,
    config_schema: jsonschema::Validator,
}

impl Registered {
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

pub struct Registry {
    plugins: BTreeMap<String, Registered>,
}

/// A plugin folder and who named it (for error messages).
pub struct PluginDir {
    pub path: PathBuf,
    pub origin: String,
}

impl Registry {
    pub fn load(
        runtime: &Runtime,
        builtins: &[(&str, &[u8])],
        dirs: &[PluginDir],
    ) -> Result<Registry> {
        let mut reg = Registry {
            plugins: BTreeMap::new(),
        };
        for (file, bytes) in builtins {
            let r = load_one(runtime, bytes, Source::BuiltIn).map_err(|e| {
                crate::error::Internal(format!("built-in plugin `{file}` does not load: {e:#}"))
            })?;
            reg.insert(r)?;
        }
        for dir in dirs {
            for path in wasm_files(dir)? {
                let bytes = std::fs::read(&path)
                    .with_context(|| format!("cannot read plugin {}", path.display()))?;
                let r = load_one(runtime, &bytes, Source::File(path.clone()))
                    .with_context(|| format!("cannot load plugin {}", path.display()))?;
                reg.insert(r)?;
            }
        }
        Ok(reg)
    }

    fn insert(&mut self, r: Registered) -> Result<()> {
        if let Some(existing) = self.plugins.get(&r.name) {
            bail!(
                "two plugins are named `{}`: {} and {}; remove one or rename it",
                r.name,
                existing.source,
                r.source
            );
        }
        self.plugins.insert(r.name.clone(), r);
        Ok(())
    }

    /// The plugin called `name`, or an [`UnknownPlugin`] error suggesting the closest known
    /// name.
    pub fn get(&self, name: &str) -> Result<&Registered> {
        self.plugins.get(name).ok_or_else(|| {
            let closest = crate::names::did_you_mean(name, self.plugins.keys().map(String::as_str));
            anyhow::Error::new(UnknownPlugin(match closest {
                Some(k) => format!("unknown plugin `{name}`; did you mean `{k}`?"),
                None => format!(
                    "unknown plugin `{name}`; known plugins: {}",
                    self.plugins
                        .keys()
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

fn load_one(runtime: &Runtime, bytes: &[u8], source: Source) -> Result<Registered> {
    let plugin = runtime.load(bytes)?;
    let meta = runtime
        .metadata_cached(&plugin, METADATA_LIMITS)
        .map_err(|e| anyhow!("`metadata()` failed: {e}"))?;
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

    #[test]
    fn pointers_become_dotted_paths() {
        use crate::values::pointer_path;
        assert_eq!(pointer_path("with", ""), "with");
        assert_eq!(pointer_path("with", "/port"), "with.port");
        assert_eq!(pointer_path("with", "/a~1b/items/0"), "with.a/b.items[0]");
        assert_eq!(pointer_path("", "/a.b/c"), "a\\.b.c");
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
