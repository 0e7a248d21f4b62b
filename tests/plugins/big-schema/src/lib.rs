//! Test-only plugin (raw WIT): its config schema is 2 MiB.

#[allow(clippy::too_many_arguments)]
mod bindings {
    wit_bindgen::generate!({ path: "../../../wit/v0.1.0", world: "plugin", pub_export_macro: true });
}

use bindings::helmwasm::plugin::types::{Metadata, PluginError, Request, Response};
use bindings::{Guest, export};

struct P;

impl Guest for P {
    fn metadata() -> Metadata {
        Metadata {
            name: "big-schema".into(),
            version: "0.1.0".into(),
            description: "a huge config schema".into(),
            config_schema: format!(
                "{{\"type\":\"object\",\"description\":\"{}\"}}",
                "d".repeat(2 << 20)
            ),
        }
    }

    fn run(request: Request) -> Result<Response, PluginError> {
        Ok(Response {
            values: request.values,
            manifests: vec![],
            diagnostics: vec![],
        })
    }
}

export!(P with_types_in bindings);
