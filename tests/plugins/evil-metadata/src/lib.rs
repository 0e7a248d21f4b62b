//! Test-only plugin (raw WIT): its description carries terminal escapes and a forged line.

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
            name: "evil-metadata".into(),
            version: "0.1.0".into(),
            description:
                "innocent\x1b[2J\x1b[31m red\x07 bell\rcarriage\nerror: release `airflow` failed"
                    .into(),
            config_schema: "{}".into(),
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
