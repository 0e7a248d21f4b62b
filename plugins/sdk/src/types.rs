//! Plain-Rust mirrors of the WIT types, with JSON text parsed into [`Value`]s.

use crate::bindings::helmwasm::plugin::types as wit;
use serde::de::DeserializeOwned;
use serde_json::Value;
use std::fmt;

/// The pipeline stages a plugin takes part in (the export macros declare them).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// A values step (`steps[]`, [`crate::Plugin::run`]).
    Values,
    /// A post-render step (`postRender[]`, [`crate::PostRender::post_render`]).
    PostRender,
}

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

    /// The config schema derived from the config type itself (`#[derive(JsonSchema)]` beside
    /// `Deserialize`), so the schema the host validates against and the type the plugin reads
    /// cannot drift apart: serde's renames, defaults and `deny_unknown_fields` become the
    /// schema's names, `required` and `additionalProperties`; doc comments its descriptions;
    /// `#[schemars(...)]` adds bounds, lengths and enums. JSON Schema draft-07.
    pub fn config_schema_of<T: schemars::JsonSchema>(self) -> Self {
        let schema = schemars::generate::SchemaSettings::draft07()
            .into_generator()
            .into_root_schema_for::<T>();
        self.config_schema(
            serde_json::to_value(schema).unwrap_or_else(|_| serde_json::json!({"type": "object"})),
        )
    }

    pub(crate) fn into_wit(self, stages: &[Stage]) -> wit::Metadata {
        wit::Metadata {
            name: self.name,
            version: self.version,
            description: self.description,
            config_schema: self.config_schema.to_string(),
            stages: stages
                .iter()
                .map(|s| match s {
                    Stage::Values => wit::Stage::Values,
                    Stage::PostRender => wit::Stage::PostRender,
                })
                .collect(),
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
        Ok(Request {
            release: Release::from_wit(r.release),
            values: parse("values", &r.values)?,
            environment_values: parse("environment values", &r.environment_values)?,
            config: parse("config", &r.config)?,
        })
    }
}

/// JSON text for the host. `serde_json::to_string`, not `Display` (`to_string()`), which goes
/// through `fmt` adapters and is several times slower on large values.
fn json(v: &Value) -> String {
    serde_json::to_string(v).expect("a JSON value always serializes")
}

fn parse(what: &str, text: &str) -> Result<Value, PluginError> {
    serde_json::from_str::<Value>(text)
        .map_err(|e| PluginError::Internal(format!("host sent invalid {what} JSON: {e}")))
}

impl Release {
    fn from_wit(r: wit::ReleaseContext) -> Self {
        Release {
            name: r.name,
            namespace: r.namespace,
            chart: r.chart,
            chart_version: r.chart_version,
            environment: r.environment,
        }
    }
}

/// The input of one post-render step.
#[derive(Debug, Clone)]
pub struct PostRenderRequest {
    pub release: Release,
    /// Every object of the render, in render order.
    pub objects: Vec<Value>,
    /// The release's final values (`{}` when the host does not know them, as under
    /// `helm --post-renderer`).
    pub values: Value,
    pub environment_values: Value,
    /// The step's `with:` config (`{}` when absent).
    pub config: Value,
}

impl PostRenderRequest {
    /// Deserialize the step config into the plugin's own config type.
    pub fn config<T: DeserializeOwned>(&self) -> Result<T, PluginError> {
        serde_json::from_value(self.config.clone())
            .map_err(|e| PluginError::InvalidConfig(e.to_string()))
    }

    pub(crate) fn from_wit(r: wit::PostRenderRequest) -> Result<Self, PluginError> {
        Ok(PostRenderRequest {
            release: Release::from_wit(r.release),
            objects: r
                .objects
                .iter()
                .map(|o| parse("object", o))
                .collect::<Result<_, _>>()?,
            values: parse("values", &r.values)?,
            environment_values: parse("environment values", &r.environment_values)?,
            config: parse("config", &r.config)?,
        })
    }
}

/// The output of one post-render step: the new object list (it replaces the input list).
#[derive(Debug, Clone, Default)]
pub struct PostRenderResponse {
    pub objects: Vec<Value>,
    pub diagnostics: Vec<Diagnostic>,
}

impl PostRenderResponse {
    pub fn new(objects: Vec<Value>) -> Self {
        PostRenderResponse {
            objects,
            diagnostics: Vec::new(),
        }
    }

    /// A warning about an object (and a place in it, a JSON pointer).
    pub fn warning(&mut self, object: ObjectRef, message: impl Into<String>) {
        self.diagnostics
            .push(Diagnostic::about(Severity::Warning, message.into(), object));
    }

    /// An error about an object: the step fails after the plugin returns.
    pub fn error(&mut self, object: ObjectRef, message: impl Into<String>) {
        self.diagnostics
            .push(Diagnostic::about(Severity::Error, message.into(), object));
    }

    pub fn info(&mut self, object: ObjectRef, message: impl Into<String>) {
        self.diagnostics
            .push(Diagnostic::about(Severity::Info, message.into(), object));
    }

    pub(crate) fn into_wit(self) -> wit::PostRenderResponse {
        wit::PostRenderResponse {
            objects: self.objects.iter().map(json).collect(),
            diagnostics: self
                .diagnostics
                .into_iter()
                .map(Diagnostic::into_wit)
                .collect(),
        }
    }
}

/// An object of the render a finding is about, with an optional JSON pointer into it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectRef {
    pub kind: String,
    pub namespace: Option<String>,
    pub name: String,
    pub pointer: Option<String>,
}

impl ObjectRef {
    /// The reference of `object` (kind, namespace, name).
    pub fn of(object: &Value) -> Self {
        let s = |v: &Value| v.as_str().map(str::to_owned);
        ObjectRef {
            kind: s(&object["kind"]).unwrap_or_default(),
            namespace: s(&object["metadata"]["namespace"]),
            name: s(&object["metadata"]["name"]).unwrap_or_default(),
            pointer: None,
        }
    }

    /// The same object, at `pointer` (e.g. `/spec/template/spec/containers/0`).
    pub fn at(mut self, pointer: impl Into<String>) -> Self {
        self.pointer = Some(pointer.into());
        self
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
    /// The values path it is about (values steps).
    pub path: Option<String>,
    /// The object it is about (post-render steps).
    pub object: Option<ObjectRef>,
}

impl Diagnostic {
    fn about(severity: Severity, message: String, object: ObjectRef) -> Self {
        Diagnostic {
            severity,
            message,
            path: None,
            object: Some(object),
        }
    }

    fn into_wit(self) -> wit::Diagnostic {
        wit::Diagnostic {
            severity: match self.severity {
                Severity::Info => wit::Severity::Info,
                Severity::Warning => wit::Severity::Warning,
                Severity::Error => wit::Severity::Error,
            },
            message: self.message,
            path: self.path,
            object: self.object.map(|o| wit::ObjectRef {
                kind: o.kind,
                namespace: o.namespace,
                name: o.name,
                pointer: o.pointer,
            }),
        }
    }
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
            object: None,
        });
    }

    pub(crate) fn into_wit(self) -> Result<wit::Response, PluginError> {
        let diagnostics = self
            .diagnostics
            .into_iter()
            .map(Diagnostic::into_wit)
            .collect();
        Ok(wit::Response {
            values: json(&self.values),
            manifests: self.manifests.iter().map(json).collect(),
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
    /// The plugin does not implement the stage it was called for.
    UnsupportedStage(String),
    Internal(String),
}

impl fmt::Display for PluginError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PluginError::InvalidConfig(m) => write!(f, "invalid config: {m}"),
            PluginError::InvalidValues(m) => write!(f, "invalid values: {m}"),
            PluginError::UnsupportedChart(m) => write!(f, "unsupported chart: {m}"),
            PluginError::UnsupportedStage(m) => write!(f, "unsupported stage: {m}"),
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
            PluginError::UnsupportedStage(m) => wit::PluginError::UnsupportedStage(m),
            PluginError::Internal(m) => wit::PluginError::Internal(m),
        }
    }
}
