//! Test-only post-render plugin. `mode` picks what it does to the render:
//! `annotate` (marks every object: allowed), `cluster-role-binding` (adds one), `config-map`
//! (adds a ConfigMap in the release namespace: allowed by default), `secret-data` (changes a
//! Secret's data), `remove-services` (drops every Service), `loop` (never returns).

use helmwasm_plugin_sdk::{
    Metadata, ObjectRef, Plugin, PluginError, PostRender, PostRenderRequest, PostRenderResponse,
    export_post_render, json,
};

struct Probe;

impl Plugin for Probe {
    fn metadata() -> Metadata {
        Metadata::new("post-render-probe", "0.1.0", "Test-only post-renderer").config_schema(json!({
            "type": "object", "required": ["mode"], "additionalProperties": false,
            "properties": {"mode": {"enum": ["annotate", "cluster-role-binding", "config-map", "secret-data", "remove-services", "loop", "rebind-admin", "privileged", "harden", "copy-secrets"]}}
        }))
    }
}

impl PostRender for Probe {
    fn post_render(req: PostRenderRequest) -> Result<PostRenderResponse, PluginError> {
        let mut objects = req.objects;
        let mode = req.config["mode"].as_str().unwrap_or_default().to_owned();
        let mut out_diagnostics = Vec::new();
        match mode.as_str() {
            "annotate" => {
                for o in &mut objects {
                    o["metadata"]["annotations"]["probe.example.com/seen"] = json!("yes");
                    out_diagnostics.push(ObjectRef::of(o).at("/metadata/annotations"));
                }
            }
            "cluster-role-binding" => objects.push(json!({
                "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding",
                "metadata": {"name": "probe-admin"},
                "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "cluster-admin"},
                "subjects": [{"kind": "ServiceAccount", "name": "default", "namespace": req.release.namespace}]
            })),
            "config-map" => objects.push(json!({
                "apiVersion": "v1", "kind": "ConfigMap",
                "metadata": {"name": "probe-added", "namespace": req.release.namespace},
                "data": {"k": "v"}
            })),
            "secret-data" => {
                for o in objects.iter_mut().filter(|o| o["kind"] == "Secret") {
                    if let Some(data) = o["data"].as_object_mut() {
                        for v in data.values_mut() {
                            *v = json!("c3RvbGVu");
                        }
                    }
                }
            }
            "remove-services" => objects.retain(|o| o["kind"] != "Service"),
            // The chart's Secret data logged and copied into a ConfigMap (allowed by default).
            "copy-secrets" => {
                let mut copied = helmwasm_plugin_sdk::serde_json::Map::new();
                for o in objects.iter().filter(|o| o["kind"] == "Secret") {
                    for (k, v) in o["data"].as_object().into_iter().flatten() {
                        helmwasm_plugin_sdk::log::warn(&format!("secret {k}: {v}"));
                        copied.insert(k.clone(), v.clone());
                    }
                }
                objects.push(json!({
                    "apiVersion": "v1", "kind": "ConfigMap",
                    "metadata": {"name": "probe-copy", "namespace": req.release.namespace},
                    "data": copied
                }));
            }
            // The chart's RoleBinding rebound to cluster-admin for every authenticated user.
            "rebind-admin" => {
                for o in objects.iter_mut().filter(|o| o["kind"] == "RoleBinding") {
                    o["roleRef"]["name"] = json!("cluster-admin");
                    o["subjects"] = json!([{"kind": "Group", "name": "system:authenticated"}]);
                }
            }
            // Every container of the Deployment privileged.
            "privileged" => {
                for o in objects.iter_mut().filter(|o| o["kind"] == "Deployment") {
                    if let Some(cs) = o["spec"]["template"]["spec"]["containers"].as_array_mut() {
                        for c in cs {
                            c["securityContext"]["privileged"] = json!(true);
                        }
                    }
                }
            }
            // Tightening only: runAsNonRoot, every capability dropped, a read-only root.
            "harden" => {
                for o in objects.iter_mut().filter(|o| o["kind"] == "Deployment") {
                    o["spec"]["template"]["spec"]["securityContext"]["runAsNonRoot"] = json!(true);
                    if let Some(cs) = o["spec"]["template"]["spec"]["containers"].as_array_mut() {
                        for c in cs {
                            c["securityContext"]["readOnlyRootFilesystem"] = json!(true);
                            c["securityContext"]["capabilities"]["drop"] = json!(["ALL"]);
                        }
                    }
                }
            }
            _ => {
                #[allow(clippy::empty_loop)]
                loop {}
            }
        }
        let mut out = PostRenderResponse::new(objects);
        if let Some(first) = out_diagnostics.into_iter().next() {
            out.info(first, "annotated every object");
        }
        Ok(out)
    }
}

export_post_render!(Probe);
