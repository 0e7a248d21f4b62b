//! What a post-render step changed in an object that was already there, held to the step's
//! grant: the changes that widen what the release may do need one, the ones that only tighten
//! do not (setting `runAsNonRoot`, dropping capabilities, `readOnlyRootFilesystem`, resources,
//! labels and annotations). Each finding names the object and the field.
//!
//! | change | grant |
//! | --- | --- |
//! | an RBAC object's `rules`, `aggregationRule`, `subjects` or `roleRef` | `rbac` |
//! | an admission webhook configuration (anything but its labels and annotations) | `webhooks` |
//! | a Secret's `type` | `secretType` |
//! | a pod spec: a container or init container added, an image changed, `privileged` or `allowPrivilegeEscalation` turned on, a capability added, `hostNetwork`/`hostPID`/`hostIPC` turned on, a `hostPath` volume added or changed, the service account changed or its token mounted | `podSecurity` |

use crate::spec::AllowSpec;
use serde_json::Value;

const RBAC: &[&str] = &["Role", "ClusterRole", "RoleBinding", "ClusterRoleBinding"];
const WEBHOOKS: &[&str] = &[
    "ValidatingWebhookConfiguration",
    "MutatingWebhookConfiguration",
    "ValidatingAdmissionPolicy",
    "ValidatingAdmissionPolicyBinding",
];

/// The ungranted widening changes from `old` to `new` (one object of `kind`), as
/// `field: what` lines.
pub fn ungranted(kind: &str, old: &Value, new: &Value, allow: &AllowSpec) -> Vec<String> {
    let mut out = Vec::new();
    if RBAC.contains(&kind) && !allow.rbac {
        for field in ["rules", "aggregationRule", "subjects", "roleRef"] {
            if old.get(field) != new.get(field) {
                out.push(format!(
                    "`{field}` changed: RBAC changes need `allow: {{rbac: true}}`"
                ));
            }
        }
    }
    if WEBHOOKS.contains(&kind) && !allow.webhooks {
        let strip = |o: &Value| {
            let mut o = o.clone();
            if let Some(m) = o.get_mut("metadata").and_then(Value::as_object_mut) {
                m.remove("labels");
                m.remove("annotations");
            }
            o
        };
        if strip(old) != strip(new) {
            out.push(
                "changed: admission webhook changes need `allow: {webhooks: true}`".to_owned(),
            );
        }
    }
    if kind == "Secret" && !allow.secret_type && old.get("type") != new.get("type") {
        out.push(format!(
            "`type` changed from {} to {}: it needs `allow: {{secretType: true}}`",
            shown(old.get("type")),
            shown(new.get("type"))
        ));
    }
    if !allow.pod_security
        && let (Some((old_pod, at)), Some((new_pod, _))) = (
            crate::checks::pod_spec(kind, old),
            crate::checks::pod_spec(kind, new),
        )
    {
        for change in pod_changes(old_pod, new_pod) {
            out.push(format!(
                "{at}.{change}: a post-render step may only tighten a pod's security without `allow: {{podSecurity: true}}`"
            ));
        }
    }
    out
}

fn shown(v: Option<&Value>) -> String {
    v.map_or_else(|| "none".to_owned(), |v| v.to_string())
}

fn on(v: &Value) -> bool {
    v.as_bool() == Some(true)
}

/// The widening changes of one pod spec, as `field: what`.
fn pod_changes(old: &Value, new: &Value) -> Vec<String> {
    let mut out = Vec::new();
    for field in ["hostNetwork", "hostPID", "hostIPC"] {
        if on(&new[field]) && !on(&old[field]) {
            out.push(format!("{field}: turned on"));
        }
    }
    for field in ["serviceAccountName", "serviceAccount"] {
        if new.get(field) != old.get(field) {
            out.push(format!(
                "{field}: changed from {} to {}",
                shown(old.get(field)),
                shown(new.get(field))
            ));
        }
    }
    if on(&new["automountServiceAccountToken"]) && !on(&old["automountServiceAccountToken"]) {
        out.push("automountServiceAccountToken: turned on".to_owned());
    }
    let host_paths = |p: &Value| -> Vec<(String, Value)> {
        p["volumes"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|v| v.get("hostPath").is_some())
            .map(|v| {
                (
                    v["name"].as_str().unwrap_or("").to_owned(),
                    v["hostPath"].clone(),
                )
            })
            .collect()
    };
    let before = host_paths(old);
    for (name, path) in host_paths(new) {
        if !before.iter().any(|(n, p)| *n == name && *p == path) {
            out.push(format!(
                "volumes[{name}].hostPath: {} added",
                path["path"].as_str().unwrap_or("?")
            ));
        }
    }
    for list in ["containers", "initContainers", "ephemeralContainers"] {
        let old_containers: Vec<&Value> = old[list].as_array().into_iter().flatten().collect();
        for c in new[list].as_array().into_iter().flatten() {
            let name = c["name"].as_str().unwrap_or("");
            let at = format!("{list}[{name}]");
            let Some(before) = old_containers.iter().find(|o| o["name"] == c["name"]) else {
                out.push(format!("{at}: added (image {})", shown(c.get("image"))));
                continue;
            };
            if c.get("image") != before.get("image") {
                out.push(format!(
                    "{at}.image: changed from {} to {}",
                    shown(before.get("image")),
                    shown(c.get("image"))
                ));
            }
            let (sc, was) = (&c["securityContext"], &before["securityContext"]);
            for field in ["privileged", "allowPrivilegeEscalation"] {
                if on(&sc[field]) && !on(&was[field]) {
                    out.push(format!("{at}.securityContext.{field}: turned on"));
                }
            }
            let caps = |s: &Value| -> Vec<Value> {
                s["capabilities"]["add"]
                    .as_array()
                    .cloned()
                    .unwrap_or_default()
            };
            let had = caps(was);
            for cap in caps(sc) {
                if !had.contains(&cap) {
                    out.push(format!(
                        "{at}.securityContext.capabilities.add: {cap} added"
                    ));
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn deployment(pod: Value) -> Value {
        json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "d"}, "spec": {"template": {"spec": pod}}})
    }

    #[test]
    fn widening_changes_need_a_grant_and_tightening_ones_do_not() {
        let none = AllowSpec::default();
        let old = deployment(json!({"serviceAccountName": "a", "containers": [
            {"name": "c", "image": "x:1", "securityContext": {"capabilities": {"add": ["NET_BIND_SERVICE"]}}}
        ]}));
        // Tightening, resources and labels: no grant needed.
        let tight = deployment(
            json!({"serviceAccountName": "a", "securityContext": {"runAsNonRoot": true}, "containers": [
                {"name": "c", "image": "x:1", "resources": {"limits": {"cpu": "1"}},
                 "securityContext": {"capabilities": {"drop": ["ALL"]}, "readOnlyRootFilesystem": true, "allowPrivilegeEscalation": false}}
            ]}),
        );
        assert!(ungranted("Deployment", &old, &tight, &none).is_empty());
        let wide = deployment(json!({"serviceAccountName": "admin", "hostNetwork": true,
        "volumes": [{"name": "root", "hostPath": {"path": "/"}}],
        "containers": [
            {"name": "c", "image": "evil:1", "securityContext": {"privileged": true, "capabilities": {"add": ["NET_BIND_SERVICE", "SYS_ADMIN"]}}},
            {"name": "sidecar", "image": "miner"}
        ]}));
        let found = ungranted("Deployment", &old, &wide, &none);
        for want in [
            "spec.template.spec.hostNetwork: turned on",
            "spec.template.spec.serviceAccountName: changed from \"a\" to \"admin\"",
            "spec.template.spec.volumes[root].hostPath: / added",
            "spec.template.spec.containers[c].image: changed from \"x:1\" to \"evil:1\"",
            "spec.template.spec.containers[c].securityContext.privileged: turned on",
            "spec.template.spec.containers[c].securityContext.capabilities.add: \"SYS_ADMIN\" added",
            "spec.template.spec.containers[sidecar]: added (image \"miner\")",
        ] {
            assert!(
                found.iter().any(|f| f.starts_with(want)),
                "{want}\n{found:#?}"
            );
        }
        assert_eq!(found.len(), 7, "{found:#?}");
        let granted = AllowSpec {
            pod_security: true,
            ..Default::default()
        };
        assert!(ungranted("Deployment", &old, &wide, &granted).is_empty());
    }

    #[test]
    fn rbac_webhooks_and_secret_types_need_their_grants() {
        let none = AllowSpec::default();
        let binding = json!({"kind": "ClusterRoleBinding", "metadata": {"name": "b"},
            "roleRef": {"kind": "ClusterRole", "name": "view"}, "subjects": [{"kind": "ServiceAccount", "name": "a"}]});
        let mut admin = binding.clone();
        admin["roleRef"]["name"] = json!("cluster-admin");
        admin["subjects"] = json!([{"kind": "Group", "name": "system:authenticated"}]);
        let found = ungranted("ClusterRoleBinding", &binding, &admin, &none);
        assert_eq!(found.len(), 2, "{found:?}");
        assert!(found[1].starts_with("`roleRef` changed"), "{found:?}");
        // Labels on an RBAC object are not RBAC.
        let mut labelled = binding.clone();
        labelled["metadata"]["labels"] = json!({"team": "data"});
        assert!(ungranted("ClusterRoleBinding", &binding, &labelled, &none).is_empty());
        let rbac = AllowSpec {
            rbac: true,
            ..Default::default()
        };
        assert!(ungranted("ClusterRoleBinding", &binding, &admin, &rbac).is_empty());
        let hook = json!({"kind": "MutatingWebhookConfiguration", "metadata": {"name": "h"}, "webhooks": [{"name": "a"}]});
        let mut moved = hook.clone();
        moved["webhooks"][0]["clientConfig"] = json!({"url": "https://evil.example"});
        assert_eq!(
            ungranted("MutatingWebhookConfiguration", &hook, &moved, &none).len(),
            1
        );
        let mut labelled = hook.clone();
        labelled["metadata"]["annotations"] = json!({"a": "b"});
        assert!(ungranted("MutatingWebhookConfiguration", &hook, &labelled, &none).is_empty());
        let secret = json!({"kind": "Secret", "metadata": {"name": "s"}, "type": "Opaque"});
        let mut token = secret.clone();
        token["type"] = json!("kubernetes.io/service-account-token");
        let found = ungranted("Secret", &secret, &token, &none);
        assert_eq!(
            found,
            [
                "`type` changed from \"Opaque\" to \"kubernetes.io/service-account-token\": it needs `allow: {secretType: true}`"
            ]
        );
    }
}
