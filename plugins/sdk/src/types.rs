//! Plain-Rust mirrors of the WIT types, with JSON text parsed into [`Value`]s.

use crate::bindings::helmwasm::plugin::types as wit;
use serde::de::DeserializeOwned;
use serde_json::Value;
use std::fmt;

/// What [`crate::Plugin::metadata`] returns.
#[derive(Debug, Clone)]
pub struct Metadata {
    pub name: String,
    pub version: String,
    pub description: String,
    /// JSON Schema of the step config. Defaults to "any object".
    pub config_schema: Value,
}

impl Metadata {
    pub fn new(name: &str, version: &str, description: &str) -> Self {
        Metadata {
            name: name.to_owned(),
            version: version.to_owned(),
            description: description.to_owned(),
            config_schema: serde_json::json!({"type": "object"}),
        }
    }

    pub fn config_schema(mut self, schema: Value) -> Self {
        self.config_schema = schema;
        self
    }

    pub(crate) fn into_wit(self) -> wit::Metadata {
        wit::Metadata {
            name: self.name,
            version: self.version,
            description: self.description,
            config_schema: self.config_schema.to_string(),
        }
    }
}

/// The release a step runs for.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Release {
    pub name: String,
    pub namespace: String,
    pub chart: String,
    pub chart_version: String,
    pub environment: String,
}

/// The input of one step.
#[derive(Debug, Clone)]
pub struct Request {
    pub release: Release,
    /// The release's values so far (an object).
    pub values: Value,
    /// The selected environment's values (an object).
    pub environment_values: Value,
    /// The step's `with:` config (`{}` when absent).
    pub config: Value,
}

impl Request {
    /// Deserialize the step config into the plugin's own config type. The host has already
    /// validated it against the config schema, so a failure here is reported as invalid config.
    pub fn config<T: DeserializeOwned>(&self) -> Result<T, PluginError> {
        serde_json::from_value(self.config.clone())
            .map_err(|e| PluginError::InvalidConfig(e.to_string()))
    }

    pub(crate) fn from_wit(r: wit::Request) -> Result<Self, PluginError> {
        let parse = |what: &str, text: &str| {
            serde_json::from_str::<Value>(text)
                .map_err(|e| PluginError::Internal(format!("host sent invalid {what} JSON: {e}")))
        };
        Ok(Request {
            release: Release {
                name: r.release.name,
                namespace: r.release.namespace,
                chart: r.release.chart,
                chart_version: r.release.chart_version,
                environment: r.release.environment,
            },
            values: parse("values", &r.values)?,
            environment_values: parse("environment values", &r.environment_values)?,
            config: parse("config", &r.config)?,
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Severity {
    Info,
    Warning,
    Error,
}

/// A finding reported to the user; an `Error` fails the step after the plugin returns.
#[derive(Debug, Clone, PartialEq)]
pub struct Diagnostic {
    pub severity: Severity,
    pub message: String,
    pub path: Option<String>,
}

/// The output of one step.
#[derive(Debug, Clone, Default)]
pub struct Response {
    pub values: Value,
    pub manifests: Vec<Value>,
    pub diagnostics: Vec<Diagnostic>,
}

impl Response {
    /// A response that keeps `values` and emits nothing yet.
    pub fn new(values: Value) -> Self {
        Response {
            values,
            manifests: Vec::new(),
            diagnostics: Vec::new(),
        }
    }

    /// Emit a Kubernetes object.
    pub fn emit(&mut self, manifest: Value) {
        self.manifests.push(manifest);
    }

    pub fn info(&mut self, message: impl Into<String>, path: Option<&str>) {
        self.diagnose(Severity::Info, message.into(), path);
    }

    pub fn warning(&mut self, message: impl Into<String>, path: Option<&str>) {
        self.diagnose(Severity::Warning, message.into(), path);
    }

    pub fn error(&mut self, message: impl Into<String>, path: Option<&str>) {
        self.diagnose(Severity::Error, message.into(), path);
    }

    fn diagnose(&mut self, severity: Severity, message: String, path: Option<&str>) {
        self.diagnostics.push(Diagnostic {
            severity,
            message,
            path: path.map(str::to_owned),
        });
    }

    pub(crate) fn into_wit(self) -> Result<wit::Response, PluginError> {
        let diagnostics = self
            .diagnostics
            .into_iter()
            .map(|d| wit::Diagnostic {
                severity: match d.severity {
                    Severity::Info => wit::Severity::Info,
                    Severity::Warning => wit::Severity::Warning,
                    Severity::Error => wit::Severity::Error,
                },
                message: d.message,
                path: d.path,
            })
            .collect();
        Ok(wit::Response {
            values: self.values.to_string(),
            manifests: self.manifests.iter().map(Value::to_string).collect(),
            diagnostics,
        })
    }
}

/// Why a step failed; mirrors the WIT `plugin-error` variant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PluginError {
    InvalidConfig(String),
    InvalidValues(String),
    UnsupportedChart(String),
    Internal(String),
}

impl fmt::Display for PluginError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PluginError::InvalidConfig(m) => write!(f, "invalid config: {m}"),
            PluginError::InvalidValues(m) => write!(f, "invalid values: {m}"),
            PluginError::UnsupportedChart(m) => write!(f, "unsupported chart: {m}"),
            PluginError::Internal(m) => write!(f, "internal error: {m}"),
        }
    }
}

impl std::error::Error for PluginError {}

impl PluginError {
    pub(crate) fn into_wit(self) -> wit::PluginError {
        match self {
            PluginError::InvalidConfig(m) => wit::PluginError::InvalidConfig(m),
            PluginError::InvalidValues(m) => wit::PluginError::InvalidValues(m),
            PluginError::UnsupportedChart(m) => wit::PluginError::UnsupportedChart(m),
            PluginError::Internal(m) => wit::PluginError::Internal(m),
        }
    }
}
