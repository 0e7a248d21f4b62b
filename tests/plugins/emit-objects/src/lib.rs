//! Test-only plugin: `with: {objects: [...]}` are emitted as they are. Lets the host tests
//! put any object (a Secret with given keys, an object in another namespace) into a render.

use helmwasm_plugin_sdk::{Metadata, Plugin, PluginError, Request, Response, export_plugin, json};

struct EmitObjects;

impl Plugin for EmitObjects {
    fn metadata() -> Metadata {
        Metadata::new(
            "emit-objects",
            "0.1.0",
            "Test plugin: emits the objects it is given",
        )
        .config_schema(json!({
            "type": "object",
            "additionalProperties": false,
            "properties": {"objects": {"type": "array", "items": {"type": "object"}}}
        }))
    }

    fn run(req: Request) -> Result<Response, PluginError> {
        let mut out = Response::new(req.values);
        for o in req.config["objects"].as_array().into_iter().flatten() {
            out.emit(o.clone());
        }
        Ok(out)
    }
}

export_plugin!(EmitObjects);
