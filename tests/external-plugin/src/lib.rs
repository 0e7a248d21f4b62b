//! An out-of-tree plugin: nothing of helmwasm but the vendored WIT (`wit/`), plain wit-bindgen, values handled
//! as text. It sets `airflowPodAnnotations` from its config, which it takes as a JSON object.

#[allow(clippy::too_many_arguments)]
mod bindings {
    wit_bindgen::generate!({ path: "wit", world: "plugin", pub_export_macro: true });
}

use bindings::{Guest, export};

use bindings::helmwasm::plugin::host::{LogLevel, log};
use bindings::helmwasm::plugin::types::{Metadata, PluginError, Request, Response};

struct RawAnnotations;

impl Guest for RawAnnotations {
    fn metadata() -> Metadata {
        Metadata {
            name: "raw-annotations".into(),
            version: "0.3.1".into(),
            description: "Set airflowPodAnnotations (built without the SDK)".into(),
            config_schema: r#"{"type":"object","additionalProperties":{"type":"string"}}"#.into(),
        }
    }

    fn run(request: Request) -> Result<Response, PluginError> {
        log(
            LogLevel::Info,
            &format!("annotating release {}", request.release.name),
        );
        let values = request.values.trim();
        let body = values
            .strip_prefix('{')
            .and_then(|v| v.strip_suffix('}'))
            .ok_or_else(|| PluginError::InvalidValues("values are not a JSON object".into()))?;
        let sep = if body.trim().is_empty() { "" } else { "," };
        Ok(Response {
            values: format!(
                "{{{body}{sep}\"airflowPodAnnotations\":{}}}",
                request.config
            ),
            manifests: vec![],
            diagnostics: vec![],
        })
    }
}

export!(RawAnnotations with_types_in bindings);
