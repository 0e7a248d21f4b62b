//! The helmwasm plugin SDK.
//!
//! A plugin is a `cdylib` crate built for `wasm32-wasip2` that implements [`Plugin`] and
//! calls [`export_plugin!`]. The SDK owns the wit-bindgen glue for the `helmwasm:plugin@0.1.0`
//! world (`wit/v0.1.0/plugin.wit`), turns the JSON text that crosses the boundary into
//! [`serde_json::Value`]s, and offers helpers for dotted values paths ([`values`]), Kubernetes
//! objects ([`k8s`]) and the host log ([`log`]).
//!
//! ```ignore
//! use helmwasm_plugin_sdk::{export_plugin, json, values, Metadata, Plugin, PluginError, Request, Response};
//!
//! struct PauseDags;
//!
//! impl Plugin for PauseDags {
//!     fn metadata() -> Metadata {
//!         Metadata::new("pause-dags", env!("CARGO_PKG_VERSION"), "Pause new DAGs at creation")
//!             .config_schema(json!({"type": "object", "properties": {"paused": {"type": "boolean"}}}))
//!     }
//!     fn run(req: Request) -> Result<Response, PluginError> {
//!         let paused = req.config.get("paused").cloned().unwrap_or(json!(true));
//!         let mut out = Response::new(req.values);
//!         values::set(&mut out.values, "config.core.dags_are_paused_at_creation", paused)?;
//!         Ok(out)
//!     }
//! }
//!
//! export_plugin!(PauseDags);
//! ```

pub mod k8s;
pub mod log;
pub mod values;

mod types;

pub use serde_json::{self, Value, json};
pub use types::{Diagnostic, Metadata, PluginError, Release, Request, Response, Severity};

/// The generated bindings for the `helmwasm:plugin@0.1.0` world. Plugin authors do not need
/// them; they are public for [`export_plugin!`].
#[doc(hidden)]
#[allow(clippy::too_many_arguments)]
pub mod bindings {
    wit_bindgen::generate!({
        path: "../../wit/v0.1.0",
        world: "plugin",
        pub_export_macro: true,
        export_macro_name: "__export_world",
        default_bindings_module: "helmwasm_plugin_sdk::bindings",
    });
}

/// What a plugin implements. Both functions are called in a fresh instance each time.
pub trait Plugin {
    /// Name, version, description and config schema. Called once when the host loads the plugin.
    fn metadata() -> Metadata;
    /// Run one step: read `req.values` and `req.config`, return the new values and manifests.
    fn run(req: Request) -> Result<Response, PluginError>;
}

/// Export a [`Plugin`] implementation as the component's `metadata` and `run`.
#[macro_export]
macro_rules! export_plugin {
    ($plugin:ty) => {
        #[doc(hidden)]
        struct __HelmwasmExport;

        impl $crate::bindings::Guest for __HelmwasmExport {
            fn metadata() -> $crate::bindings::helmwasm::plugin::types::Metadata {
                $crate::__private::metadata::<$plugin>()
            }
            fn run(
                request: $crate::bindings::helmwasm::plugin::types::Request,
            ) -> ::core::result::Result<
                $crate::bindings::helmwasm::plugin::types::Response,
                $crate::bindings::helmwasm::plugin::types::PluginError,
            > {
                $crate::__private::run::<$plugin>(request)
            }
        }

        $crate::bindings::__export_world!(__HelmwasmExport with_types_in $crate::bindings);
    };
}

#[doc(hidden)]
pub mod __private {
    use crate::bindings::helmwasm::plugin::types as wit;
    use crate::{Plugin, PluginError, Request, Response};

    pub fn metadata<P: Plugin>() -> wit::Metadata {
        P::metadata().into_wit()
    }

    pub fn run<P: Plugin>(request: wit::Request) -> Result<wit::Response, wit::PluginError> {
        let request = Request::from_wit(request).map_err(PluginError::into_wit)?;
        P::run(request)
            .and_then(Response::into_wit)
            .map_err(PluginError::into_wit)
    }
}
