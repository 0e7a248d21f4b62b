//! `volumeMounts[].subPath` into a Secret, ConfigMap or projected volume: the key it names
//! (with `items`, an item's `path`), and what a missing one means (see the parent module).

use super::{Kind, Provided, hint, items, quoted, str_of};
use serde_json::Value as Json;
use std::collections::BTreeSet;

/// A `volumeMounts[]` entry with a `subPath` into a Secret, ConfigMap or projected volume.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Mount {
    pub(super) container: String,
    /// e.g. `spec.template.spec.containers[0].volumeMounts[2]`.
    pub(super) path: String,
    pub(super) mount_path: String,
    pub(super) volume: String,
    pub(super) sub_path: String,
    pub(super) sources: Vec<Source>,
}

/// A Secret or ConfigMap a volume takes keys from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Source {
    pub(super) kind: Kind,
    pub(super) name: String,
    pub(super) optional: bool,
    /// `items[]` as (key, path), when the volume lists them.
    pub(super) items: Option<Vec<(String, String)>>,
}

impl Provided {
    /// What is wrong with a `subPath` mount, and whether it is an error.
    pub(super) fn check_mount(
        &self,
        namespace: &str,
        m: &Mount,
        known: Option<&dyn crate::checks::known::Rules>,
        coalesced: &Json,
    ) -> Option<(String, bool)> {
        let mut paths: Vec<&str> = Vec::new();
        for s in &m.sources {
            if let Some(items) = &s.items {
                if items.iter().any(|(_, p)| *p == m.sub_path) {
                    return None;
                }
                paths.extend(items.iter().map(|(_, p)| p.as_str()));
            }
        }
        let at = format!(
            "the kubelet mounts an empty folder at `{}` instead (volume `{}`, `subPath: {}`)",
            m.mount_path, m.volume, m.sub_path
        );
        let plain: Vec<&Source> = m.sources.iter().filter(|s| s.items.is_none()).collect();
        let Some(first) = plain.first() else {
            let hint = hint(&m.sub_path, paths.iter().copied());
            return Some((
                format!(
                    "volume `{}` maps no item to the path `{}` (its `items` paths: {}){hint}: {at}",
                    m.volume,
                    m.sub_path,
                    quoted(paths.iter().copied())
                ),
                false,
            ));
        };
        let mut have: BTreeSet<&str> = BTreeSet::new();
        for s in &plain {
            if s.optional {
                return None;
            }
            match self.keys(s.kind, namespace, &s.name) {
                // A missing object is the volume's own finding; an existing one may hold any key.
                None | Some(None) => return None,
                Some(Some(keys)) if keys.contains(&m.sub_path) => return None,
                Some(Some(keys)) => have.extend(keys.iter().map(String::as_str)),
            }
        }
        if let Some(rules) = known
            && plain
                .iter()
                .any(|s| rules.sometimes_mounted(s.kind.name(), &m.sub_path))
        {
            return None;
        }
        let reads = known.is_some_and(|rules| {
            plain
                .iter()
                .any(|s| rules.reads_key(coalesced, s.kind.name(), &s.name, &m.sub_path))
        });
        let have_text = if have.is_empty() {
            "no keys".to_owned()
        } else {
            format!("keys: {}", quoted(have.iter().copied()))
        };
        let hint = hint(
            &m.sub_path,
            have.iter().copied().chain(paths.iter().copied()),
        );
        let consequence = if reads {
            "; the chart reads that file, so the container fails"
        } else {
            ""
        };
        Some((
            format!(
                "{} `{}` has no key `{}` ({have_text}){hint}: {at}{consequence}",
                first.kind.name(),
                first.name,
                m.sub_path
            ),
            reads,
        ))
    }
}

/// Every `subPath` mount of a Secret, ConfigMap or projected volume in a pod spec.
pub(super) fn mounts(spec: &Json, prefix: &str) -> Vec<Mount> {
    let mut out = Vec::new();
    let optional = |v: &Json| v["optional"].as_bool().unwrap_or(false);
    let items_of = |v: &Json| {
        v["items"].as_array().map(|items| {
            items
                .iter()
                .filter_map(|i| Some((str_of(&i["key"])?, str_of(&i["path"])?)))
                .collect::<Vec<_>>()
        })
    };
    for field in ["initContainers", "containers", "ephemeralContainers"] {
        for (i, c) in items(spec, field) {
            for (j, m) in items(c, "volumeMounts") {
                let sub_path = str_of(&m["subPath"])
                    .or_else(|| str_of(&m["subPathExpr"]).filter(|s| !s.contains("$(")));
                let (Some(sub_path), Some(volume)) = (sub_path, str_of(&m["name"])) else {
                    continue;
                };
                let Some(vol) = items(spec, "volumes")
                    .map(|(_, v)| v)
                    .find(|v| v["name"].as_str() == Some(volume.as_str()))
                else {
                    continue;
                };
                let mut sources = Vec::new();
                let mut add = |kind: Kind, name: Option<String>, r: &Json| {
                    if let Some(name) = name {
                        sources.push(Source {
                            kind,
                            name,
                            optional: optional(r),
                            items: items_of(r),
                        });
                    }
                };
                add(
                    Kind::Secret,
                    str_of(&vol["secret"]["secretName"]),
                    &vol["secret"],
                );
                add(
                    Kind::ConfigMap,
                    str_of(&vol["configMap"]["name"]),
                    &vol["configMap"],
                );
                for (_, src) in items(&vol["projected"], "sources") {
                    add(Kind::Secret, str_of(&src["secret"]["name"]), &src["secret"]);
                    add(
                        Kind::ConfigMap,
                        str_of(&src["configMap"]["name"]),
                        &src["configMap"],
                    );
                }
                if sources.is_empty() {
                    continue;
                }
                out.push(Mount {
                    container: str_of(&c["name"]).unwrap_or_else(|| format!("{field}[{i}]")),
                    path: format!("{prefix}.{field}[{i}].volumeMounts[{j}]"),
                    mount_path: str_of(&m["mountPath"]).unwrap_or_default(),
                    volume,
                    sub_path,
                    sources,
                });
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::{Input, Problem};
    use serde_json::{Value, json};

    #[test]
    fn sub_paths_into_key_volumes_are_found_in_every_kind_of_container() {
        let spec = json!({
            "initContainers": [{"name": "init", "volumeMounts": [{"name": "ssh", "mountPath": "/etc/ssh/key", "subPath": "gitSshKey"}]}],
            "containers": [{"name": "main", "volumeMounts": [
                {"name": "config", "mountPath": "/opt/a.cfg", "subPathExpr": "a.cfg"},
                {"name": "config", "mountPath": "/opt/b.cfg", "subPathExpr": "$(POD)/b.cfg"},
                {"name": "ssh", "mountPath": "/whole"},
                {"name": "data", "mountPath": "/data", "subPath": "x"}
            ]}],
            "ephemeralContainers": [{"name": "debug", "volumeMounts": [{"name": "both", "mountPath": "/p", "subPath": "p"}]}],
            "volumes": [
                {"name": "ssh", "secret": {"secretName": "git", "optional": true}},
                {"name": "config", "configMap": {"name": "cfg", "items": [{"key": "k", "path": "a.cfg"}]}},
                {"name": "data", "emptyDir": {}},
                {"name": "both", "projected": {"sources": [{"secret": {"name": "s"}}, {"configMap": {"name": "c"}}]}}
            ]
        });
        let found = mounts(&spec, "spec");
        let seen: Vec<(&str, &str, &str)> = found
            .iter()
            .map(|m| {
                (
                    m.container.as_str(),
                    m.mount_path.as_str(),
                    m.sub_path.as_str(),
                )
            })
            .collect();
        assert_eq!(
            seen,
            [
                ("init", "/etc/ssh/key", "gitSshKey"),
                ("main", "/opt/a.cfg", "a.cfg"),
                ("debug", "/p", "p")
            ]
        );
        assert!(found[0].sources[0].optional);
        assert_eq!(found[0].path, "spec.initContainers[0].volumeMounts[0]");
        assert_eq!(
            found[1].sources[0].items,
            Some(vec![("k".to_owned(), "a.cfg".to_owned())])
        );
        assert_eq!(found[2].sources.len(), 2);
    }

    /// Rules that read `gitSshKey` of the Secret `git` and mount `pod_template_file.yaml`
    /// without always giving it.
    struct Chart;

    impl crate::checks::known::Rules for Chart {
        fn pod_annotations(&self) -> Vec<&'static str> {
            Vec::new()
        }
        fn findings(&self, _: &Input) -> (Vec<Problem>, Vec<Problem>) {
            Default::default()
        }
        fn reports_overrides_of(&self, _: &str) -> bool {
            false
        }
        fn reads_key(&self, _: &Value, kind: &str, name: &str, key: &str) -> bool {
            (kind, name, key) == ("Secret", "git", "gitSshKey")
        }
        fn sometimes_mounted(&self, kind: &str, key: &str) -> bool {
            (kind, key) == ("ConfigMap", "pod_template_file.yaml")
        }
    }

    #[test]
    fn a_missing_mounted_key_is_a_warning_and_an_error_where_the_chart_reads_it() {
        let mut p = Provided::default();
        p.secrets.insert(
            ("ns".into(), "git".into()),
            Some(["sshKey".to_owned()].into()),
        );
        p.secrets.insert(
            ("ns".into(), "mine".into()),
            Some(["tls.crt".to_owned()].into()),
        );
        p.config_maps
            .insert(("ns".into(), "cfg".into()), Some(BTreeSet::new()));
        p.secrets.insert(("ns".into(), "outside".into()), None);
        p.secrets.insert(
            ("ns".into(), "typo".into()),
            Some(["gitSshkey".to_owned()].into()),
        );
        let mount = |kind: Kind,
                     name: &str,
                     sub: &str,
                     optional: bool,
                     items: Option<Vec<(String, String)>>| Mount {
            container: "git-sync".into(),
            path: "spec.containers[0].volumeMounts[0]".into(),
            mount_path: "/etc/git-secret/ssh".into(),
            volume: "git-sync-ssh-key".into(),
            sub_path: sub.into(),
            sources: vec![Source {
                kind,
                name: name.into(),
                optional,
                items,
            }],
        };
        let rules: &dyn crate::checks::known::Rules = &Chart;
        let check = |m: &Mount| p.check_mount("ns", m, Some(rules), &json!({}));
        let (message, error) =
            check(&mount(Kind::Secret, "git", "gitSshKey", false, None)).unwrap();
        assert!(error);
        assert_eq!(
            message,
            "Secret `git` has no key `gitSshKey` (keys: `sshKey`): the kubelet mounts an empty folder at `/etc/git-secret/ssh` instead (volume `git-sync-ssh-key`, `subPath: gitSshKey`); the chart reads that file, so the container fails"
        );
        let (message, error) = check(&mount(Kind::Secret, "mine", "tls.key", false, None)).unwrap();
        assert!(!error, "a key no rule reads is a warning");
        assert!(
            message.contains("has no key `tls.key` (keys: `tls.crt`)"),
            "{message}"
        );
        let (message, _) = check(&mount(Kind::Secret, "typo", "gitSshKey", false, None)).unwrap();
        assert!(
            message.contains("(keys: `gitSshkey`); did you mean `gitSshkey`?"),
            "{message}"
        );
        // optional covers a missing key; existing objects hold any key; a missing object is
        // the volume's own finding; a present key is fine.
        assert_eq!(
            check(&mount(Kind::Secret, "git", "gitSshKey", true, None)),
            None
        );
        assert_eq!(
            check(&mount(Kind::Secret, "outside", "x", false, None)),
            None
        );
        assert_eq!(
            check(&mount(Kind::Secret, "nowhere", "x", false, None)),
            None
        );
        assert_eq!(
            check(&mount(Kind::Secret, "git", "sshKey", false, None)),
            None
        );
        // A key the chart mounts without always giving it.
        assert_eq!(
            check(&mount(
                Kind::ConfigMap,
                "cfg",
                "pod_template_file.yaml",
                false,
                None
            )),
            None
        );
        assert!(
            p.check_mount(
                "ns",
                &mount(
                    Kind::ConfigMap,
                    "cfg",
                    "pod_template_file.yaml",
                    false,
                    None
                ),
                None,
                &json!({})
            )
            .is_some(),
            "only the chart's rules excuse it"
        );
        // With items, the subPath names an item's path.
        let items = Some(vec![("sshKey".to_owned(), "id_ed25519".to_owned())]);
        assert_eq!(
            check(&mount(
                Kind::Secret,
                "git",
                "id_ed25519",
                false,
                items.clone()
            )),
            None
        );
        let (message, error) =
            check(&mount(Kind::Secret, "git", "id_ed2519", false, items)).unwrap();
        assert!(!error);
        assert!(
            message.starts_with("volume `git-sync-ssh-key` maps no item to the path `id_ed2519` (its `items` paths: `id_ed25519`); did you mean `id_ed25519`?"),
            "{message}"
        );
    }
}
