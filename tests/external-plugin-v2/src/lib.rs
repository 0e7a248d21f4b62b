//! An out-of-tree `helmwasm:plugin@0.2.0` post-render plugin: nothing of helmwasm but the
//! vendored WIT (`wit/`), plain wit-bindgen, objects handled as text. It stamps an annotation
//! (`stamp.example.com/by: <config.by>`) into every object whose `metadata` opens the text.

#[allow(clippy::too_many_arguments)]
mod bindings {
    wit_bindgen::generate!({ path: "wit", world: "plugin", pub_export_macro: true });
}

use bindings::{Guest, export};

use bindings::helmwasm::plugin::host::{LogLevel, log};
use bindings::helmwasm::plugin::types::{
    Metadata, PluginError, PostRenderRequest, PostRenderResponse, Request, Response, Stage,
};

struct RawStamp;

impl Guest for RawStamp {
    fn metadata() -> Metadata {
        Metadata {
            name: "raw-stamp".into(),
            version: "0.2.0".into(),
            description: "Stamp an annotation on every object (0.2.0, built without the SDK)".into(),
            config_schema: r#"{"type":"object","required":["by"],"properties":{"by":{"type":"string","pattern":"^[a-z0-9-]+$"}}}"#.into(),
            stages: vec![Stage::PostRender],
        }
    }

    fn run(_: Request) -> Result<Response, PluginError> {
        Err(PluginError::UnsupportedStage("raw-stamp is a post-render plugin".into()))
    }

    fn post_render(request: PostRenderRequest) -> Result<PostRenderResponse, PluginError> {
        log(LogLevel::Info, &format!("stamping {} objects", request.objects.len()));
        // The config is `{"by":"…"}` with a checked pattern: the value needs no escaping.
        let by = request
            .config
            .split("\"by\":\"")
            .nth(1)
            .and_then(|rest| rest.split('"').next())
            .ok_or_else(|| PluginError::InvalidConfig("`by` is required".into()))?;
        let annotation = format!("\"stamp.example.com/by\":\"{by}\"");
        let objects = request
            .objects
            .iter()
            .map(|o| stamp(o, &annotation))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(PostRenderResponse { objects, diagnostics: vec![] })
    }
}

/// Insert `annotation` into `metadata.annotations`, as text: the host sends compact JSON
/// (`{"apiVersion":…,"kind":…,"metadata":{…},…}`, keys sorted).
fn stamp(object: &str, annotation: &str) -> Result<String, PluginError> {
    let Some(at) = object.find("\"metadata\":{") else {
        return Err(PluginError::InvalidValues("an object without metadata".into()));
    };
    let open = at + "\"metadata\":{".len();
    // Keys are sorted: `annotations`, when there, is the first key of `metadata`.
    if object[open..].starts_with("\"annotations\":{") {
        let inner = open + "\"annotations\":{".len();
        let sep = if object[inner..].starts_with('}') { "" } else { "," };
        return Ok(format!("{}{annotation}{sep}{}", &object[..inner], &object[inner..]));
    }
    let sep = if object[open..].starts_with('}') { "" } else { "," };
    Ok(format!(
        "{}\"annotations\":{{{annotation}}}{sep}{}",
        &object[..open],
        &object[open..]
    ))
}

export!(RawStamp with_types_in bindings);
