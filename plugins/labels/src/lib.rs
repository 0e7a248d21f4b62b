//! `labels`: common labels and annotations on every object of the render and on the pod
//! template of every workload. A key the object already has keeps its value unless
//! `overwrite: true`. Selectors are never touched (adding template labels keeps them valid).

use helmwasm_plugin_sdk::objects::{self, WORKLOADS};
use helmwasm_plugin_sdk::serde_json::Map;
use helmwasm_plugin_sdk::{
    Metadata, Plugin, PluginError, PostRender, PostRenderRequest, PostRenderResponse, Value,
    export_post_render,
};
use schemars::JsonSchema;
use serde::Deserialize;

#[derive(Debug, Clone, Default, Deserialize, JsonSchema, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Config {
    #[serde(default)]
    pub labels: Map<String, Value>,
    #[serde(default)]
    pub annotations: Map<String, Value>,
    /// Replace a value the object already has (default: keep it).
    #[serde(default)]
    pub overwrite: bool,
}

/// Label every object (and every pod template) of `objects`.
pub fn apply(c: &Config, objects: &mut [Value]) {
    for o in objects.iter_mut() {
        for (field, entries) in [("labels", &c.labels), ("annotations", &c.annotations)] {
            if entries.is_empty() {
                continue;
            }
            if c.overwrite {
                overwrite(o, field, entries);
            } else if field == "labels" {
                objects::add_labels(o, entries);
            } else {
                objects::add_annotations(o, entries);
            }
        }
    }
}

fn overwrite(o: &mut Value, field: &str, entries: &Map<String, Value>) {
    let kind = o["kind"].as_str().unwrap_or_default().to_owned();
    let template = WORKLOADS
        .iter()
        .find(|(k, _, _)| *k == kind)
        .map(|(_, _, meta)| *meta)
        .filter(|m| *m != "/metadata");
    for meta in std::iter::once("/metadata").chain(template) {
        if meta != "/metadata" && o.pointer(meta).is_none() {
            continue;
        }
        for (k, v) in entries {
            let pointer = format!("{meta}/{field}/{}", k.replace('~', "~0").replace('/', "~1"));
            // The pointers are built from the object's own shape: patch cannot fail here.
            let _ = objects::patch(o, &pointer, v.clone());
        }
    }
}

fn check(c: &Config) -> Result<(), PluginError> {
    for (what, entries) in [("labels", &c.labels), ("annotations", &c.annotations)] {
        for (k, v) in entries {
            if !v.is_string() {
                return Err(PluginError::InvalidConfig(format!(
                    "`{what}.{k}` must be a string (quote it: `\"{v}\"`)"
                )));
            }
        }
    }
    for (k, v) in &c.labels {
        let v = v.as_str().unwrap_or_default();
        if v.len() > 63
            || !v
                .chars()
                .all(|ch| ch.is_ascii_alphanumeric() || matches!(ch, '-' | '_' | '.'))
            || v.starts_with(['-', '_', '.'])
            || v.ends_with(['-', '_', '.'])
        {
            return Err(PluginError::InvalidConfig(format!(
                "label `{k}`: `{v}` is not a valid label value (at most 63 characters: letters, digits, `-`, `_`, `.`, starting and ending with a letter or digit)"
            )));
        }
    }
    Ok(())
}

struct Labels;

impl Plugin for Labels {
    fn metadata() -> Metadata {
        Metadata::new(
            "labels",
            env!("CARGO_PKG_VERSION"),
            "Common labels and annotations on every object and pod template (post-render)",
        )
        .config_schema_of::<Config>()
    }
}

impl PostRender for Labels {
    fn post_render(req: PostRenderRequest) -> Result<PostRenderResponse, PluginError> {
        let c: Config = req.config()?;
        check(&c)?;
        let mut objects = req.objects;
        apply(&c, &mut objects);
        Ok(PostRenderResponse::new(objects))
    }
}

export_post_render!(Labels);

#[cfg(test)]
mod tests {
    use super::*;
    use helmwasm_plugin_sdk::json;

    fn config(v: Value) -> Config {
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn every_object_and_pod_template_gets_them_without_overwriting() {
        let mut objects = vec![
            json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "d", "labels": {"team": "mine"}},
                   "spec": {"selector": {"matchLabels": {"app": "d"}}, "template": {"metadata": {"labels": {"app": "d"}}, "spec": {}}}}),
            json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "s"}}),
        ];
        let c = config(
            json!({"labels": {"team": "data", "env": "prod"}, "annotations": {"owner": "x"}}),
        );
        apply(&c, &mut objects);
        assert_eq!(
            objects[0]["metadata"]["labels"],
            json!({"team": "mine", "env": "prod"})
        );
        assert_eq!(
            objects[0]["spec"]["template"]["metadata"]["labels"],
            json!({"app": "d", "team": "data", "env": "prod"})
        );
        assert_eq!(
            objects[0]["spec"]["selector"],
            json!({"matchLabels": {"app": "d"}}),
            "selectors untouched"
        );
        assert_eq!(objects[1]["metadata"]["annotations"], json!({"owner": "x"}));
        let c = config(json!({"labels": {"team": "data"}, "overwrite": true}));
        apply(&c, &mut objects);
        assert_eq!(objects[0]["metadata"]["labels"]["team"], "data");
    }

    #[test]
    fn label_values_are_checked() {
        assert!(check(&config(json!({"labels": {"a": "ok-1.2_x"}}))).is_ok());
        assert!(check(&config(json!({"labels": {"a": "not ok"}}))).is_err());
        assert!(check(&config(json!({"labels": {"a": "-x"}}))).is_err());
    }
}
