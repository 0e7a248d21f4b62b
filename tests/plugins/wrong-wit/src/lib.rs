//! Test-only artifact: a component built against a made-up, incompatible
//! `helmwasm:plugin@0.2.0` (its request has an extra field, its metadata no stages): it
//! imports the real 0.2.0 host interface but exports neither supported world. The host must
//! refuse to load it.

#[allow(clippy::too_many_arguments)]
mod bindings {
    wit_bindgen::generate!({ path: "wit", world: "plugin", pub_export_macro: true });
}

use bindings::helmwasm::plugin::host::{LogLevel, log};
use bindings::helmwasm::plugin::types::{Metadata, PluginError, Request, Response};
use bindings::{Guest, export};

struct WrongWit;

impl Guest for WrongWit {
    fn metadata() -> Metadata {
        Metadata {
            name: "wrong-wit".into(),
            version: "0.2.0".into(),
            description: "Built against another ABI".into(),
            config_schema: "{}".into(),
        }
    }

    fn run(request: Request) -> Result<Response, PluginError> {
        log(LogLevel::Info, "running");
        Ok(Response {
            values: request.values,
            manifests: vec![],
            diagnostics: vec![],
        })
    }
}

export!(WrongWit with_types_in bindings);
