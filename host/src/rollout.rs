//! Rolling pods when the data of an emitted Secret changes.
//!
//! A chart's `checksum/…` pod annotations hash the chart's own Secret templates only. When a
//! step emits a Secret (a database password, a managed key) and its data changes, nothing in
//! the pod templates changes, so `helm upgrade` or a GitOps sync leaves pods running with the
//! old credentials. This stage puts one annotation, [`ANNOTATION`], on the pod templates of a
//! chart that has places for extra pod annotations (chart facts say where): a keyed digest of
//! every emitted Secret's data. New data, new digest, new pod template: the pods roll.
//!
//! The digest is HMAC-SHA256 keyed by HKDF-SHA256 of the pipeline's `randomSeed` and the
//! release name, so the annotation reveals nothing about the values (an unkeyed hash of a short
//! password could be brute-forced). Without `randomSeed` there is no key, and no annotation.

use crate::render::ReleaseRender;
use hkdf::Hkdf;
use hmac::{Hmac, KeyInit, Mac};
use serde_json::{Map, Value};
use sha2::Sha256;

/// The pod-template annotation holding the digest.
pub const ANNOTATION: &str = "helmwasm.io/secret-digest";

const SALT: &[u8] = b"helmwasm:secret-digest:v1";

/// The digest key of one release.
fn key(seed: &str, release: &str) -> [u8; 32] {
    let mut key = [0u8; 32];
    Hkdf::<Sha256>::new(Some(SALT), seed.as_bytes())
        .expand(release.as_bytes(), &mut key)
        .expect("32 bytes is a valid HKDF-SHA256 output length");
    key
}

/// The keyed digest of every Secret the steps emitted (`None` when they emitted none).
pub fn digest(render: &ReleaseRender, seed: &str, release: &str) -> Option<String> {
    // `namespace/name` → {data, stringData}; serde_json's map is sorted, so the text is
    // canonical whatever order the steps emitted in.
    let mut secrets = Map::new();
    for m in &render.manifests {
        let o = &m.object;
        if o["kind"] != "Secret" {
            continue;
        }
        let id = format!(
            "{}/{}",
            o["metadata"]["namespace"].as_str().unwrap_or_default(),
            o["metadata"]["name"].as_str().unwrap_or_default()
        );
        let mut content = Map::new();
        for field in ["data", "stringData"] {
            content.insert(field.into(), o[field].clone());
        }
        secrets.insert(id, Value::Object(content));
    }
    if secrets.is_empty() {
        return None;
    }
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(&key(seed, release))
        .expect("HMAC takes any key length");
    mac.update(Value::Object(secrets).to_string().as_bytes());
    let bytes = mac.finalize().into_bytes();
    Some(crate::store::hex(&bytes))
}

/// Set [`ANNOTATION`] to `digest` in each annotations map at `paths` (dotted values paths),
/// keeping the annotations already there.
pub fn annotate(values: &mut Value, paths: &[&str], digest: &str) {
    for path in paths {
        let mut node = &mut *values;
        for key in path.split('.') {
            if !node.is_object() {
                *node = Value::Object(Map::new());
            }
            node = node
                .as_object_mut()
                .expect("just made a map")
                .entry(key)
                .or_insert(Value::Null);
        }
        if !node.is_object() {
            *node = Value::Object(Map::new());
        }
        node.as_object_mut()
            .expect("just made a map")
            .insert(ANNOTATION.into(), Value::String(digest.into()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::Manifest;
    use serde_json::json;

    fn render(secrets: &[Value]) -> ReleaseRender {
        ReleaseRender {
            name: "r".into(),
            namespace: "ns".into(),
            values: json!({}),
            manifests: secrets
                .iter()
                .map(|o| Manifest {
                    kind: crate::plan::StepKind::Values,
                    step: 1,
                    plugin: "p".into(),
                    object: o.clone(),
                })
                .collect(),
            provenance: Default::default(),
            chart: None,
            skipped: None,
            trace: None,
        }
    }

    fn secret(name: &str, password: &str) -> Value {
        json!({"apiVersion": "v1", "kind": "Secret",
               "metadata": {"name": name, "namespace": "ns"}, "data": {"password": password}})
    }

    #[test]
    fn the_digest_follows_the_data_and_the_key_not_the_order() {
        let a = render(&[secret("a", "MQ=="), secret("b", "Mg==")]);
        let swapped = render(&[secret("b", "Mg=="), secret("a", "MQ==")]);
        let changed = render(&[secret("a", "Mw=="), secret("b", "Mg==")]);
        let d = digest(&a, "seed-0123456789abcdef", "r").unwrap();
        assert_eq!(d.len(), 64);
        assert_eq!(
            Some(&d),
            digest(&swapped, "seed-0123456789abcdef", "r").as_ref()
        );
        assert_ne!(
            Some(&d),
            digest(&changed, "seed-0123456789abcdef", "r").as_ref()
        );
        assert_ne!(Some(&d), digest(&a, "another-seed-0123456", "r").as_ref());
        assert_ne!(Some(&d), digest(&a, "seed-0123456789abcdef", "r2").as_ref());
        assert_eq!(digest(&render(&[]), "seed-0123456789abcdef", "r"), None);
    }

    #[test]
    fn annotations_are_added_beside_the_existing_ones() {
        let mut v =
            json!({"airflowPodAnnotations": {"team": "data"}, "pgbouncer": {"enabled": true}});
        annotate(
            &mut v,
            &["airflowPodAnnotations", "pgbouncer.podAnnotations"],
            "d1",
        );
        assert_eq!(
            v,
            json!({"airflowPodAnnotations": {"team": "data", ANNOTATION: "d1"},
                   "pgbouncer": {"enabled": true, "podAnnotations": {ANNOTATION: "d1"}}})
        );
    }
}
