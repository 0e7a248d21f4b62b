//! The helmwasm plugin SDK.
//!
//! A plugin is a `cdylib` crate built for `wasm32-wasip2` that implements [`Plugin`] (a values
//! step), [`PostRender`] (a post-render step over every rendered object) or both, and calls
//! [`export_plugin!`] or [`export_post_render!`]. The SDK owns the wit-bindgen glue for the
//! `helmwasm:plugin@0.2.0` world (`wit/v0.2.0/plugin.wit`), fills in the stages the metadata
//! declares, turns the JSON text that crosses the boundary into [`serde_json::Value`]s, and
//! offers helpers for dotted values paths ([`values`]), rendered objects ([`objects`]: by
//! kind, pod specs of every workload kind, patches by JSON pointer, labels), Kubernetes
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
pub mod objects;
pub mod values;

mod types;

pub use serde_json::{self, Value, json};
pub use types::{
    Diagnostic, Metadata, ObjectRef, PluginError, PostRenderRequest, PostRenderResponse, Release,
    Request, Response, Severity, Stage,
};

/// The generated bindings for the `helmwasm:plugin@0.2.0` world. Plugin authors do not need
/// them; they are public for the export macros.
#[doc(hidden)]
#[allow(clippy::too_many_arguments)]
pub mod bindings {
    wit_bindgen::generate!({
        // The crate's own copy (it must survive `cargo publish`), kept byte-equal to the
        // repository's `wit/v0.2.0` by a test.
        path: "wit/v0.2.0",
        world: "plugin",
        pub_export_macro: true,
        export_macro_name: "__export_world",
        default_bindings_module: "helmwasm_plugin_sdk::bindings",
    });
}

/// What every plugin implements: its metadata and, for a values step, `run`. Each function is
/// called in a fresh instance.
pub trait Plugin {
    /// Name, version, description and config schema. Called when the host scans the plugin's
    /// folder (the stages are filled in by the export macro).
    fn metadata() -> Metadata;
    /// Run one values step: read `req.values` and `req.config`, return the new values and
    /// manifests. A post-render-only plugin keeps this default.
    fn run(req: Request) -> Result<Response, PluginError> {
        let _ = req;
        Err(PluginError::UnsupportedStage(
            "this plugin has no values stage".into(),
        ))
    }
}

/// A post-render step: every object of the render in, the new list out.
pub trait PostRender {
    fn post_render(req: PostRenderRequest) -> Result<PostRenderResponse, PluginError>;
}

/// Export a [`Plugin`] as a values-step component; `export_plugin!(P, post_render)` also
/// exports its [`PostRender`] implementation (a plugin with both stages).
#[macro_export]
macro_rules! export_plugin {
    ($plugin:ty) => {
        $crate::__export!($plugin, [$crate::Stage::Values], |request| {
            let _ = request;
            ::core::result::Result::Err($crate::__private::unsupported_post_render())
        });
    };
    ($plugin:ty, post_render) => {
        $crate::__export!(
            $plugin,
            [$crate::Stage::Values, $crate::Stage::PostRender],
            |request| $crate::__private::post_render::<$plugin>(request)
        );
    };
}

/// Export a post-render-only plugin ([`Plugin`] for its metadata, [`PostRender`]).
#[macro_export]
macro_rules! export_post_render {
    ($plugin:ty) => {
        $crate::__export!($plugin, [$crate::Stage::PostRender], |request| {
            $crate::__private::post_render::<$plugin>(request)
        });
    };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __export {
    ($plugin:ty, [$($stage:expr),*], |$req:ident| $post_render:expr) => {
        #[doc(hidden)]
        struct __HelmwasmExport;

        impl $crate::bindings::Guest for __HelmwasmExport {
            fn metadata() -> $crate::bindings::helmwasm::plugin::types::Metadata {
                $crate::__private::metadata::<$plugin>(&[$($stage),*])
            }
            fn run(
                request: $crate::bindings::helmwasm::plugin::types::Request,
            ) -> ::core::result::Result<
                $crate::bindings::helmwasm::plugin::types::Response,
                $crate::bindings::helmwasm::plugin::types::PluginError,
            > {
                $crate::__private::run::<$plugin>(request)
            }
            fn post_render(
                $req: $crate::bindings::helmwasm::plugin::types::PostRenderRequest,
            ) -> ::core::result::Result<
                $crate::bindings::helmwasm::plugin::types::PostRenderResponse,
                $crate::bindings::helmwasm::plugin::types::PluginError,
            > {
                $post_render
            }
        }

        $crate::bindings::__export_world!(__HelmwasmExport with_types_in $crate::bindings);
    };
}

#[doc(hidden)]
pub mod __private {
    use crate::bindings::helmwasm::plugin::types as wit;
    use crate::{
        Plugin, PluginError, PostRender, PostRenderRequest, PostRenderResponse, Request, Response,
        Stage,
    };

    pub fn metadata<P: Plugin>(stages: &[Stage]) -> wit::Metadata {
        P::metadata().into_wit(stages)
    }

    pub fn run<P: Plugin>(request: wit::Request) -> Result<wit::Response, wit::PluginError> {
        let request = Request::from_wit(request).map_err(PluginError::into_wit)?;
        P::run(request)
            .and_then(Response::into_wit)
            .map_err(PluginError::into_wit)
    }

    pub fn post_render<P: PostRender>(
        request: wit::PostRenderRequest,
    ) -> Result<wit::PostRenderResponse, wit::PluginError> {
        let request = PostRenderRequest::from_wit(request).map_err(PluginError::into_wit)?;
        P::post_render(request)
            .map(PostRenderResponse::into_wit)
            .map_err(PluginError::into_wit)
    }

    pub fn unsupported_post_render() -> wit::PluginError {
        PluginError::UnsupportedStage("this plugin has no post-render stage".into()).into_wit()
    }
}

#[cfg(test)]
mod wit_copy {
    /// The SDK's copy of the WIT is the repository's, byte for byte.
    #[test]
    fn the_sdk_wit_is_the_repository_wit() {
        let crate_dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let ours = std::fs::read(crate_dir.join("wit/v0.2.0/plugin.wit")).unwrap();
        let repo = crate_dir.join("../../wit/v0.2.0/plugin.wit");
        let theirs = std::fs::read(&repo)
            .unwrap_or_else(|e| panic!("{}: {e} (run the test in the repository)", repo.display()));
        assert!(
            ours == theirs,
            "plugins/sdk/wit/v0.2.0/plugin.wit differs from wit/v0.2.0/plugin.wit: copy it over"
        );
    }
}
