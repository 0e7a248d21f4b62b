//! Test-only plugin written against the raw WIT, to return what the SDK never would: values
//! that are not JSON (`with: {mode: invalid-json}`) or JSON that is not an object.

#[allow(clippy::too_many_arguments)]
mod bindings {
    wit_bindgen::generate!({ path: "../../../wit/v0.1.0", world: "plugin", pub_export_macro: true });
}

use bindings::helmwasm::plugin::types::{Metadata, PluginError, Request, Response};
use bindings::{Guest, export};

struct HostileRaw;

impl Guest for HostileRaw {
    fn metadata() -> Metadata {
        Metadata {
            name: "hostile-raw".into(),
            version: "0.1.0".into(),
            description: "Returns malformed responses".into(),
            config_schema: r#"{"type":"object","properties":{"mode":{"enum":["invalid-json","not-object","manifest-not-object"]}}}"#.into(),
        }
    }

    fn run(request: Request) -> Result<Response, PluginError> {
        let (values, manifests) =
            if request.config.contains("not-object") && !request.config.contains("manifest") {
                ("[1, 2, 3]".to_owned(), vec![])
            } else if request.config.contains("manifest-not-object") {
                (request.values, vec!["\"just a string\"".to_owned()])
            } else {
                ("{not json".to_owned(), vec![])
            };
        Ok(Response {
            values,
            manifests,
            diagnostics: vec![],
        })
    }
}

export!(HostileRaw with_types_in bindings);
