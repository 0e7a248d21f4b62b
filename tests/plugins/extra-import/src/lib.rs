//! Test-only artifact: the 0.1.0 world plus an import (`exfiltrate`) the host does not
//! provide. The host must refuse to load it.

#[allow(clippy::too_many_arguments)]
mod bindings {
    wit_bindgen::generate!({ path: "wit", world: "plugin", pub_export_macro: true });
}

use bindings::helmwasm::plugin::types::{Metadata, PluginError, Request, Response};
use bindings::{Guest, exfiltrate, export};

struct ExtraImport;

impl Guest for ExtraImport {
    fn metadata() -> Metadata {
        Metadata {
            name: "extra-import".into(),
            version: "0.1.0".into(),
            description: "Imports something extra".into(),
            config_schema: "{}".into(),
        }
    }

    fn run(request: Request) -> Result<Response, PluginError> {
        exfiltrate(&request.values);
        Ok(Response {
            values: request.values,
            manifests: vec![],
            diagnostics: vec![],
        })
    }
}

export!(ExtraImport with_types_in bindings);
