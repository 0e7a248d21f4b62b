//! `pod-security`: the restricted Pod Security settings where a workload leaves them out, and
//! the privileged ones refused.
//!
//! Filled in where missing (each can be turned off under `fill:`): the pod's
//! `securityContext.runAsNonRoot: true` and `seccompProfile: {type: RuntimeDefault}`, and each
//! container's and init container's `allowPrivilegeEscalation: false` and
//! `readOnlyRootFilesystem: true`. A value the chart sets is kept, whatever it is.
//! Reported as errors (the step fails) unless allowed under `allow:` or for a workload listed
//! in `exempt:`: a `privileged: true` container, a `hostPath` volume, `hostNetwork: true`.

use helmwasm_plugin_sdk::objects::{containers_mut, kind_name, pod_spec_mut};
use helmwasm_plugin_sdk::{
    Metadata, ObjectRef, Plugin, PluginError, PostRender, PostRenderRequest, PostRenderResponse,
    Value, export_post_render, json,
};
use schemars::JsonSchema;
use serde::Deserialize;

#[derive(Debug, Clone, Deserialize, JsonSchema, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Fill {
    #[serde(default = "yes")]
    pub run_as_non_root: bool,
    #[serde(default = "yes")]
    pub seccomp_profile: bool,
    #[serde(default = "yes")]
    pub allow_privilege_escalation: bool,
    #[serde(default = "yes")]
    pub read_only_root_filesystem: bool,
}

fn yes() -> bool {
    true
}

impl Default for Fill {
    fn default() -> Self {
        Fill {
            run_as_non_root: true,
            seccomp_profile: true,
            allow_privilege_escalation: true,
            read_only_root_filesystem: true,
        }
    }
}

#[derive(Debug, Clone, Default, Deserialize, JsonSchema, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Allow {
    #[serde(default)]
    pub privileged: bool,
    #[serde(default)]
    pub host_path: bool,
    #[serde(default)]
    pub host_network: bool,
}

#[derive(Debug, Clone, Default, Deserialize, JsonSchema, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Config {
    #[serde(default)]
    pub fill: Fill,
    #[serde(default)]
    pub allow: Allow,
    /// Workloads (`Kind/name`) neither filled nor checked.
    #[serde(default)]
    #[schemars(inner(regex(pattern = r"^[A-Za-z]+/[a-z0-9.-]+$")))]
    pub exempt: Vec<String>,
}

/// One finding: the object, a pointer into it, the message.
pub type Finding = (ObjectRef, String);

/// Fill in and check every workload; the errors found.
pub fn apply(c: &Config, objects: &mut [Value]) -> Vec<Finding> {
    let mut errors = Vec::new();
    for o in objects.iter_mut() {
        if c.exempt.contains(&kind_name(o)) {
            continue;
        }
        let r = ObjectRef::of(o);
        let Some((base, spec)) = pod_spec_mut(o) else {
            continue;
        };
        if spec["hostNetwork"] == true && !c.allow.host_network {
            errors.push((
                r.clone().at(format!("{base}/hostNetwork")),
                "`hostNetwork: true` shares the node's network with the pod; allow it with `allow: {hostNetwork: true}` or exempt the workload".to_owned(),
            ));
        }
        if !c.allow.host_path {
            for (i, v) in spec["volumes"].as_array().into_iter().flatten().enumerate() {
                if v.get("hostPath").is_some() {
                    errors.push((
                        r.clone().at(format!("{base}/volumes/{i}/hostPath")),
                        format!(
                            "volume `{}` mounts a path of the node (`hostPath`); use a PersistentVolumeClaim, or allow it with `allow: {{hostPath: true}}`",
                            v["name"].as_str().unwrap_or_default()
                        ),
                    ));
                }
            }
        }
        let pod_ctx = ensure_map(spec, "securityContext");
        if c.fill.run_as_non_root && pod_ctx.get("runAsNonRoot").is_none() {
            pod_ctx.insert("runAsNonRoot".into(), json!(true));
        }
        if c.fill.seccomp_profile && pod_ctx.get("seccompProfile").is_none() {
            pod_ctx.insert("seccompProfile".into(), json!({"type": "RuntimeDefault"}));
        }
        for (pointer, container) in containers_mut(spec) {
            if container["securityContext"]["privileged"] == true && !c.allow.privileged {
                errors.push((
                    r.clone().at(format!("{base}{pointer}/securityContext/privileged")),
                    format!(
                        "container `{}` is privileged (root on the node); allow it with `allow: {{privileged: true}}` or exempt the workload",
                        container["name"].as_str().unwrap_or_default()
                    ),
                ));
            }
            let ctx = ensure_map(container, "securityContext");
            if c.fill.allow_privilege_escalation && ctx.get("allowPrivilegeEscalation").is_none() {
                ctx.insert("allowPrivilegeEscalation".into(), json!(false));
            }
            if c.fill.read_only_root_filesystem && ctx.get("readOnlyRootFilesystem").is_none() {
                ctx.insert("readOnlyRootFilesystem".into(), json!(true));
            }
        }
    }
    errors
}

/// `v[key]` as a map, made one when absent or null.
fn ensure_map<'a>(
    v: &'a mut Value,
    key: &str,
) -> &'a mut helmwasm_plugin_sdk::serde_json::Map<String, Value> {
    if !v[key].is_object() {
        v[key] = json!({});
    }
    v[key].as_object_mut().expect("made a map")
}

struct PodSecurity;

impl Plugin for PodSecurity {
    fn metadata() -> Metadata {
        Metadata::new(
            "pod-security",
            env!("CARGO_PKG_VERSION"),
            "Restricted pod security settings filled in; privileged, hostPath and hostNetwork refused (post-render)",
        )
        .config_schema_of::<Config>()
    }
}

impl PostRender for PodSecurity {
    fn post_render(req: PostRenderRequest) -> Result<PostRenderResponse, PluginError> {
        let c: Config = req.config()?;
        let mut objects = req.objects;
        let errors = apply(&c, &mut objects);
        let mut out = PostRenderResponse::new(objects);
        for (r, message) in errors {
            out.error(r, message);
        }
        Ok(out)
    }
}

export_post_render!(PodSecurity);

#[cfg(test)]
mod tests {
    use super::*;

    fn deployment(spec: Value) -> Value {
        json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "d"},
               "spec": {"template": {"spec": spec}}})
    }

    #[test]
    fn fills_what_is_missing_and_keeps_what_is_set() {
        let mut objects = vec![deployment(json!({
            "securityContext": {"runAsUser": 50000},
            "containers": [{"name": "a"}, {"name": "b", "securityContext": {"readOnlyRootFilesystem": false}}],
            "initContainers": [{"name": "i"}]
        }))];
        assert!(apply(&Config::default(), &mut objects).is_empty());
        let spec = &objects[0]["spec"]["template"]["spec"];
        assert_eq!(
            spec["securityContext"],
            json!({"runAsUser": 50000, "runAsNonRoot": true, "seccompProfile": {"type": "RuntimeDefault"}})
        );
        assert_eq!(
            spec["containers"][0]["securityContext"],
            json!({"allowPrivilegeEscalation": false, "readOnlyRootFilesystem": true})
        );
        assert_eq!(
            spec["containers"][1]["securityContext"]["readOnlyRootFilesystem"],
            false
        );
        assert_eq!(
            spec["initContainers"][0]["securityContext"]["allowPrivilegeEscalation"],
            false
        );
    }

    #[test]
    fn privileged_host_path_and_host_network_are_errors_unless_allowed() {
        let bad = deployment(json!({
            "hostNetwork": true,
            "volumes": [{"name": "logs", "hostPath": {"path": "/var/log"}}],
            "containers": [{"name": "a", "securityContext": {"privileged": true}}]
        }));
        let errors = apply(&Config::default(), &mut [bad.clone()]);
        let pointers: Vec<String> = errors
            .iter()
            .map(|(r, _)| r.pointer.clone().unwrap())
            .collect();
        assert_eq!(
            pointers,
            [
                "/spec/template/spec/hostNetwork",
                "/spec/template/spec/volumes/0/hostPath",
                "/spec/template/spec/containers/0/securityContext/privileged"
            ]
        );
        let allowed: Config = serde_json::from_value(
            json!({"allow": {"privileged": true, "hostPath": true, "hostNetwork": true}}),
        )
        .unwrap();
        assert!(apply(&allowed, &mut [bad.clone()]).is_empty());
        let exempt: Config = serde_json::from_value(json!({"exempt": ["Deployment/d"]})).unwrap();
        let mut objects = [bad.clone()];
        assert!(apply(&exempt, &mut objects).is_empty());
        assert_eq!(objects[0], bad, "an exempt workload is left as it is");
    }
}
