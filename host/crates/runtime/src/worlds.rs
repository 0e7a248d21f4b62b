//! The bindings of every supported version of the plugin world, in one place (Spin's
//! `spin-world` is the model): one `bindgen!` per `wit/vX.Y.Z` folder, the host's own types
//! (those of the newest version), and the conversions from and to each older version.
//!
//! A component is linked against the newest world it exports; a `helmwasm:plugin@0.1.0`
//! component keeps working unchanged (its `run` is a values step; it has no post-render).
//! Adding a version: a new module here, a [`Pre`] variant, its `Host` impls, and conversions;
//! nothing else in the host names a version (the SDK carries its own copy of the newest WIT).

use crate::sandbox::CallState;
use wasmtime::Store;
use wasmtime::component::{HasSelf, InstancePre, Linker};

pub mod v0_1 {
    wasmtime::component::bindgen!({
        path: "../../../wit/v0.1.0",
        world: "plugin",
    });
}

pub mod v0_2 {
    wasmtime::component::bindgen!({
        path: "../../../wit/v0.2.0",
        world: "plugin",
    });
}

/// The host's types: the newest world's.
pub use v0_2::helmwasm::plugin::host::LogLevel;
pub use v0_2::helmwasm::plugin::types::{
    Diagnostic, Metadata, ObjectRef, PluginError, PostRenderRequest, PostRenderResponse,
    ReleaseContext, Request, Response, Severity, Stage,
};

// The host side of each version's imports: `log`, and the `types` interface (types only).
impl v0_1::helmwasm::plugin::host::Host for CallState {
    fn log(&mut self, level: v0_1::helmwasm::plugin::host::LogLevel, message: String) {
        self.push_log(from_v0_1_level(level), message);
    }
}

impl v0_2::helmwasm::plugin::host::Host for CallState {
    fn log(&mut self, level: LogLevel, message: String) {
        self.push_log(level, message);
    }
}

impl v0_1::helmwasm::plugin::types::Host for CallState {}
impl v0_2::helmwasm::plugin::types::Host for CallState {}

/// The newest world version, the one the SDK and `plugin new` build against.
pub const NEWEST: &str = "0.2.0";

/// The first world version with the `post-render` stage.
pub const POST_RENDER_SINCE: &str = "0.2.0";

/// The world versions the host supports, newest first (for messages).
pub const SUPPORTED: &str = "helmwasm:plugin@0.2.0 or helmwasm:plugin@0.1.0";

/// Add every version's host imports to the linker.
pub fn add_to_linker(linker: &mut Linker<CallState>) -> wasmtime::Result<()> {
    v0_2::Plugin::add_to_linker::<CallState, HasSelf<CallState>>(linker, |s| s)?;
    v0_1::Plugin::add_to_linker::<CallState, HasSelf<CallState>>(linker, |s| s)?;
    Ok(())
}

/// A linked component, by the world version it exports.
pub enum Pre {
    V0_1(v0_1::PluginPre<CallState>),
    V0_2(v0_2::PluginPre<CallState>),
}

impl Pre {
    /// The newest world the component exports, or `None` when it exports none of them.
    pub fn new(instance: InstancePre<CallState>) -> Option<Pre> {
        if let Ok(p) = v0_2::PluginPre::new(instance.clone()) {
            return Some(Pre::V0_2(p));
        }
        v0_1::PluginPre::new(instance).ok().map(Pre::V0_1)
    }

    /// `0.1.0`, `0.2.0`.
    pub fn version(&self) -> &'static str {
        match self {
            Pre::V0_1(_) => "0.1.0",
            Pre::V0_2(_) => "0.2.0",
        }
    }

    /// `metadata()` in a fresh instance.
    pub fn metadata(&self, store: &mut Store<CallState>) -> wasmtime::Result<Metadata> {
        match self {
            Pre::V0_2(p) => p.instantiate(&mut *store)?.call_metadata(store),
            Pre::V0_1(p) => {
                let m = p.instantiate(&mut *store)?.call_metadata(store)?;
                Ok(Metadata {
                    name: m.name,
                    version: m.version,
                    description: m.description,
                    config_schema: m.config_schema,
                    stages: vec![Stage::Values],
                })
            }
        }
    }

    /// `run(request)` (a values step) in a fresh instance.
    pub fn run(
        &self,
        store: &mut Store<CallState>,
        request: &Request,
    ) -> wasmtime::Result<Result<Response, PluginError>> {
        match self {
            Pre::V0_2(p) => p.instantiate(&mut *store)?.call_run(store, request),
            Pre::V0_1(p) => {
                let r = p
                    .instantiate(&mut *store)?
                    .call_run(store, &v0_1_request(request))?;
                Ok(r.map(from_v0_1_response).map_err(from_v0_1_error))
            }
        }
    }

    /// `post-render(request)` in a fresh instance; a 0.1.0 component has none.
    pub fn post_render(
        &self,
        store: &mut Store<CallState>,
        request: &PostRenderRequest,
    ) -> wasmtime::Result<Result<PostRenderResponse, PluginError>> {
        match self {
            Pre::V0_2(p) => p.instantiate(&mut *store)?.call_post_render(store, request),
            Pre::V0_1(_) => Ok(Err(PluginError::UnsupportedStage(
                "a helmwasm:plugin@0.1.0 component has no post-render stage".into(),
            ))),
        }
    }
}

fn v0_1_request(r: &Request) -> v0_1::helmwasm::plugin::types::Request {
    use v0_1::helmwasm::plugin::types as old;
    old::Request {
        release: old::ReleaseContext {
            name: r.release.name.clone(),
            namespace: r.release.namespace.clone(),
            chart: r.release.chart.clone(),
            chart_version: r.release.chart_version.clone(),
            environment: r.release.environment.clone(),
        },
        values: r.values.clone(),
        environment_values: r.environment_values.clone(),
        config: r.config.clone(),
    }
}

fn from_v0_1_response(r: v0_1::helmwasm::plugin::types::Response) -> Response {
    use v0_1::helmwasm::plugin::types::Severity as Old;
    Response {
        values: r.values,
        manifests: r.manifests,
        diagnostics: r
            .diagnostics
            .into_iter()
            .map(|d| Diagnostic {
                severity: match d.severity {
                    Old::Info => Severity::Info,
                    Old::Warning => Severity::Warning,
                    Old::Error => Severity::Error,
                },
                message: d.message,
                path: d.path,
                object: None,
            })
            .collect(),
    }
}

fn from_v0_1_error(e: v0_1::helmwasm::plugin::types::PluginError) -> PluginError {
    use v0_1::helmwasm::plugin::types::PluginError as Old;
    match e {
        Old::InvalidConfig(m) => PluginError::InvalidConfig(m),
        Old::InvalidValues(m) => PluginError::InvalidValues(m),
        Old::UnsupportedChart(m) => PluginError::UnsupportedChart(m),
        Old::Internal(m) => PluginError::Internal(m),
    }
}

/// A 0.1.0 log level as the host's.
pub fn from_v0_1_level(l: v0_1::helmwasm::plugin::host::LogLevel) -> LogLevel {
    use v0_1::helmwasm::plugin::host::LogLevel as Old;
    match l {
        Old::Trace => LogLevel::Trace,
        Old::Debug => LogLevel::Debug,
        Old::Info => LogLevel::Info,
        Old::Warn => LogLevel::Warn,
        Old::Error => LogLevel::Error,
    }
}
