//! A release's `schema:` override, read from disk: a chart folder (`values.schema.json`,
//! `values.yaml` and the `Chart.yaml` version) or a bare schema file with optional defaults.

use crate::{spec, yaml};
use anyhow::{Context, Result};
use serde_json::{Map, Value};
use std::path::{Path, PathBuf};

/// A chart's values schema and defaults, read from disk (the `schema:` override).
#[derive(Debug, Clone, PartialEq)]
pub struct ChartSchema {
    pub schema_file: PathBuf,
    /// Where the defaults were read from, when anywhere (`values.yaml` beside the schema).
    pub defaults_file: Option<PathBuf>,
    pub schema: crate::chart::ValuesSchema,
    pub defaults: Map<String, Value>,
    /// With `chartDir`: the folder's `Chart.yaml` and the version it says (a bare schema
    /// `file` carries no version, and is not checked).
    pub chart_version: Option<(PathBuf, String)>,
}

pub(super) fn load_schema(spec: &spec::SchemaSpec, base: &Path) -> Result<ChartSchema> {
    let (schema_file, defaults_file) = match (&spec.chart_dir, &spec.file) {
        (Some(dir), _) => (
            crate::paths::join(base, dir).join("values.schema.json"),
            Some(crate::paths::join(base, dir).join("values.yaml")),
        ),
        (None, Some(file)) => (
            crate::paths::join(base, file),
            spec.defaults.as_ref().map(|d| crate::paths::join(base, d)),
        ),
        (None, None) => unreachable!("checked by spec"),
    };
    crate::paths::check_readable(&schema_file, "schema file").map_err(anyhow::Error::msg)?;
    let text = std::fs::read_to_string(&schema_file)
        .with_context(|| format!("cannot read {}", schema_file.display()))?;
    let schema: Value = serde_json::from_str(&text).map_err(|e| {
        anyhow::anyhow!(
            "{}:{}:{}: not JSON: {e}",
            schema_file.display(),
            e.line(),
            e.column()
        )
    })?;
    let defaults = match &defaults_file {
        Some(path) => {
            crate::paths::check_readable(path, "schema defaults file")
                .map_err(anyhow::Error::msg)?;
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("cannot read {}", path.display()))?;
            match yaml::parse_values(&text, path)? {
                Value::Object(m) => m,
                _ => unreachable!("parse_values returns a map"),
            }
        }
        None => Map::new(),
    };
    let chart_version = match &spec.chart_dir {
        Some(dir) => {
            let chart_yaml = crate::paths::join(base, dir).join("Chart.yaml");
            match std::fs::read_to_string(&chart_yaml) {
                Ok(text) => {
                    let meta = yaml::parse_values(&text, &chart_yaml)?;
                    let version = meta["version"]
                        .as_str()
                        .map(str::to_owned)
                        .or_else(|| meta["version"].as_number().map(|n| n.to_string()));
                    version.map(|v| (chart_yaml, v))
                }
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
                Err(e) => {
                    return Err(anyhow::anyhow!("cannot read {}: {e}", chart_yaml.display()));
                }
            }
        }
        None => None,
    };
    Ok(ChartSchema {
        schema_file,
        defaults_file,
        schema: crate::chart::ValuesSchema::new(schema),
        defaults,
        chart_version,
    })
}
