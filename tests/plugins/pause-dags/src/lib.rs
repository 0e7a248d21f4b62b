use helmwasm_plugin_sdk::{
    Metadata, Plugin, PluginError, Request, Response, export_plugin, json, values,
};

struct PauseDags;

impl Plugin for PauseDags {
    fn metadata() -> Metadata {
        Metadata::new("pause-dags", "1.0.0", "Pause new DAGs at creation").config_schema(json!({
            "type": "object", "additionalProperties": false,
            "properties": {"paused": {"type": "boolean", "default": true}}
        }))
    }

    fn run(req: Request) -> Result<Response, PluginError> {
        let paused = req.config.get("paused").cloned().unwrap_or(json!(true));
        let mut out = Response::new(req.values);
        values::set(
            &mut out.values,
            "config.core.dags_are_paused_at_creation",
            paused,
        )?;
        Ok(out)
    }
}

export_plugin!(PauseDags);
