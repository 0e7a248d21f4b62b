//! The pipeline file (`helmwasm.yaml`) as written: parsing and field-level validation.
//!
//! Parsing is strict: unknown fields, wrong types, duplicate keys and tab indentation are
//! errors with `file:line:column`. Cross-field rules (unique release names, valid names)
//! are checked here too, with the key path. Resolving files and environments is
//! [`crate::plan`]'s job.

use crate::names::{check_dns_label, check_subdomain};
pub use crate::units::ByteSize;
use crate::yaml::{self, YamlError};
use schemars::JsonSchema;
use serde::Deserialize;
use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde_json::{Map, Value};
use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

#[derive(Debug, Clone, Deserialize, PartialEq, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "helmwasm pipeline file (helmwasm.yaml)")]
pub struct PipelineFile {
    /// Environments by name; `-e NAME` selects one (default `default`).
    #[serde(default)]
    pub environments: BTreeMap<String, EnvironmentSpec>,
    /// A secret reference (`ref+env://…`, `ref+file://…`) to the seed of the plugins' secure
    /// randomness: each call's stream is derived from it, the release, step and plugin.
    #[serde(default, rename = "randomSeed")]
    pub random_seed: Option<String>,
    /// Chart repositories that `REPO/NAME` charts refer to (helmfile style).
    #[serde(default)]
    pub repositories: Vec<RepositorySpec>,
    #[serde(default)]
    pub plugins: PluginsSpec,
    /// Values paths (`workers.keda.maxReplicaCount`, map keys joined by `.`) where the user's
    /// own value (a values file or `--set`) wins over the steps: applied after the last step,
    /// in every release. Without it a step may change a key the user set (a warning says so).
    #[serde(default, rename = "userWins")]
    pub user_wins: Vec<String>,
    pub releases: Vec<ReleaseSpec>,
}

/// The start of every secret reference (`ref+env://…`, `ref+file://…`): the pipeline file's
/// own syntax, which [`crate::secrets`] resolves.
pub const REFERENCE_PREFIX: &str = "ref+";

/// A chart repository: a classic HTTP repository (`index.yaml` plus archives) or an OCI
/// registry path (`oci://…`, pulled with helm).
#[derive(Debug, Clone, Deserialize, PartialEq, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RepositorySpec {
    pub name: String,
    pub url: String,
}

#[derive(Debug, Clone, Default, Deserialize, PartialEq, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EnvironmentSpec {
    #[serde(default)]
    pub values: Vec<ValuesSource>,
}

#[derive(Debug, Clone, Default, Deserialize, PartialEq, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PluginsSpec {
    /// Folders scanned for `*.wasm` plugin components, relative to the pipeline file.
    #[serde(default)]
    pub dirs: Vec<PathBuf>,
}

#[derive(Debug, Clone, Deserialize, PartialEq, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ReleaseSpec {
    pub name: String,
    pub namespace: String,
    /// `REPO/NAME` (with `version`), `oci://…`, a chart folder or a packaged `.tgz`; paths are
    /// relative to the pipeline file.
    pub chart: String,
    /// The chart version: required for repository charts (an exact version or a semver
    /// range); for local charts, if given, it must match the chart's `Chart.yaml`.
    #[serde(default)]
    pub version: Option<String>,
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
    #[serde(default)]
    pub values: Vec<ValuesSource>,
    #[serde(default)]
    pub steps: Vec<StepSpec>,
    /// Post-render steps: plugins run after the chart render over every rendered object, in
    /// order, before the checks on the rendered manifests.
    #[serde(default, rename = "postRender")]
    pub post_render: Vec<StepSpec>,
    /// More values layers per environment, applied after `values` when that environment is
    /// selected.
    #[serde(default, rename = "environmentValues")]
    pub environment_values: BTreeMap<String, Vec<ValuesSource>>,
    /// Secrets created outside the pipeline that the values may reference.
    #[serde(default, rename = "existingSecrets")]
    pub existing_secrets: Vec<String>,
    /// ConfigMaps created outside the pipeline that pods may reference.
    #[serde(default, rename = "existingConfigMaps")]
    pub existing_config_maps: Vec<String>,
    /// The chart's values schema, to validate the final values against.
    #[serde(default)]
    pub schema: Option<SchemaSpec>,
}

/// Where a release's chart schema and defaults are: `chartDir` (a chart folder holding
/// `values.yaml` and `values.schema.json`) or `file` (a schema) with optional `defaults`.
#[derive(Debug, Clone, Default, Deserialize, PartialEq, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct SchemaSpec {
    #[serde(default)]
    pub chart_dir: Option<PathBuf>,
    #[serde(default)]
    pub file: Option<PathBuf>,
    #[serde(default)]
    pub defaults: Option<PathBuf>,
}

#[derive(Debug, Clone, Deserialize, PartialEq, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct StepSpec {
    pub plugin: String,
    /// The plugin's config; validated against the plugin's config schema.
    #[serde(default, rename = "with")]
    pub config: Option<Value>,
    #[serde(default)]
    pub limits: LimitsSpec,
    /// Run the step only in these environments (default: all).
    #[serde(default)]
    pub environments: Option<Vec<String>>,
    /// What the step may emit beyond the default (granted by the pipeline owner).
    #[serde(default)]
    pub allow: AllowSpec,
}

/// `steps[].allow`: what a step may emit beyond the default (namespaced Secrets and
/// ConfigMaps in the release namespace). The pipeline owner grants it, not the plugin.
#[derive(Debug, Clone, Default, Deserialize, PartialEq, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct AllowSpec {
    /// More kinds the step may emit, e.g. `ServiceMonitor`, `Role`.
    #[serde(default)]
    pub kinds: Vec<String>,
    /// Namespaces other than the release's that the step may emit objects into.
    #[serde(default)]
    pub namespaces: Vec<String>,
    /// Whether the step may emit cluster-scoped objects (of the allowed kinds).
    #[serde(default)]
    pub cluster_scoped: bool,
    /// Post-render steps: whether the step may change the `data` and `stringData` of Secrets.
    #[serde(default)]
    pub secret_data: bool,
    /// Post-render steps: whether the step may remove objects from the render.
    #[serde(default)]
    pub remove: bool,
    /// Post-render steps: whether the step may change RBAC objects' `rules`,
    /// `aggregationRule`, `subjects` and `roleRef`.
    #[serde(default)]
    pub rbac: bool,
    /// Post-render steps: whether the step may change admission webhook configurations.
    #[serde(default)]
    pub webhooks: bool,
    /// Post-render steps: whether the step may change a Secret's `type`.
    #[serde(default)]
    pub secret_type: bool,
    /// Post-render steps: whether the step may widen a pod's security (add a container,
    /// change an image, turn on `privileged`, `allowPrivilegeEscalation` or a host namespace,
    /// add a capability or a `hostPath` volume, change the service account).
    #[serde(default)]
    pub pod_security: bool,
}

/// Per-step overrides of the sandbox limits.
#[derive(Debug, Clone, Copy, Default, Deserialize, PartialEq, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LimitsSpec {
    /// Linear memory cap, e.g. `64Mi`.
    #[serde(default)]
    #[schemars(with = "Option<ByteSizeSchema>")]
    pub memory: Option<ByteSize>,
    /// Wall-time cap per call, e.g. `2s` or `500ms`.
    #[serde(default, deserialize_with = "humantime_opt::deserialize")]
    #[schemars(with = "Option<DurationSchema>")]
    pub timeout: Option<Duration>,
    /// Cap on the response (values plus manifests), e.g. `16Mi`.
    #[serde(default)]
    #[schemars(with = "Option<ByteSizeSchema>")]
    pub output: Option<ByteSize>,
}

/// One values layer: a file path (relative to the pipeline file) or an inline map.
#[derive(Debug, Clone, PartialEq)]
pub enum ValuesSource {
    File(PathBuf),
    Inline(Map<String, Value>),
}

impl JsonSchema for ValuesSource {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "ValuesSource".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "description": "A values file (a path relative to the pipeline file; `.hbs` files are templates) or an inline map of values.",
            "anyOf": [
                {"type": "string", "minLength": 1},
                {"type": "object"}
            ]
        })
    }
}

/// The schema of a byte size: `64Mi`, `1Gi`, `512k`, or a number of bytes.
struct ByteSizeSchema;

impl JsonSchema for ByteSizeSchema {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "ByteSize".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "description": "A byte size such as `64Mi` or `1Gi` (units Ki, Mi, Gi, K, M, G), or a number of bytes.",
            "anyOf": [
                {"type": "string", "pattern": "^\\s*[0-9]+(Ki|Mi|Gi|K|k|M|G)?\\s*$"},
                {"type": "integer", "minimum": 0}
            ]
        })
    }
}

/// The schema of a duration: `2s`, `500ms`, `1m 30s` (humantime's units).
struct DurationSchema;

impl JsonSchema for DurationSchema {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Duration".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "description": "A duration such as `2s`, `500ms` or `1m 30s`.",
            "type": "string",
            "pattern": "^\\s*([0-9]+\\s*[a-zA-Z\u{b5}]+\\s*)+$"
        })
    }
}

/// The JSON Schema of the pipeline file, generated from these types (committed as
/// `docs/helmwasm.schema.json`; a test keeps it up to date).
pub fn json_schema() -> String {
    let schema = schemars::schema_for!(PipelineFile);
    let mut text = serde_json::to_string_pretty(&schema).expect("a schema serializes");
    text.push('\n');
    text
}

impl<'de> Deserialize<'de> for ValuesSource {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = ValuesSource;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a values file path or an inline map of values")
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<ValuesSource, E> {
                if s.is_empty() {
                    return Err(E::custom("a values file path must not be empty"));
                }
                Ok(ValuesSource::File(PathBuf::from(s)))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<ValuesSource, A::Error> {
                let m = Map::deserialize(de::value::MapAccessDeserializer::new(map))?;
                Ok(ValuesSource::Inline(m))
            }
        }
        d.deserialize_any(V)
    }
}

mod humantime_opt {
    use serde::de::{self, Deserializer, Visitor};
    use std::fmt;
    use std::time::Duration;

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Duration>, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Duration;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a duration such as `2s` or `500ms`")
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<Duration, E> {
                humantime::parse_duration(s).map_err(|e| {
                    E::custom(format!("`{s}` is not a duration like `2s` or `500ms`: {e}"))
                })
            }
        }
        d.deserialize_str(V).map(Some)
    }
}

/// A field-level rule broken in an otherwise well-formed pipeline file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}: {path}: {message}", file = file.display())]
pub struct SpecError {
    pub file: PathBuf,
    pub path: String,
    pub message: String,
}

/// Errors from [`load`].
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("cannot read pipeline file {}{hint}", path.display())]
    Read {
        path: PathBuf,
        /// `; did you mean `helmwasm.yaml`?` when a file of a close name is beside it.
        hint: String,
        source: std::io::Error,
    },
    #[error(transparent)]
    Yaml(#[from] YamlError),
    #[error(transparent)]
    Spec(#[from] SpecError),
}

/// Read and check a pipeline file.
pub fn load(path: &Path) -> Result<PipelineFile, LoadError> {
    load_on(path, 1)
}

/// [`load`], reading a long file on up to `threads` threads (see [`yaml::from_str_split`]).
pub fn load_on(path: &Path, threads: usize) -> Result<PipelineFile, LoadError> {
    let text = std::fs::read_to_string(path).map_err(|source| LoadError::Read {
        path: path.to_owned(),
        hint: if source.kind() == std::io::ErrorKind::NotFound {
            closest_file(path)
        } else {
            String::new()
        },
        source,
    })?;
    // Releases are most of a long file: they are deserialized on `threads` threads.
    let file: PipelineFile = yaml::from_str_split(
        &text,
        path,
        threads,
        "releases",
        |f: &mut PipelineFile, r| f.releases = r,
    )?;
    check(&file, path)?;
    Ok(file)
}

/// `; did you mean `NAME`?` for a missing pipeline file whose folder holds a YAML file of a
/// close name (`helmwasm.yml` → `helmwasm.yaml`), else nothing.
fn closest_file(path: &Path) -> String {
    let dir = crate::paths::folder(path);
    let (Some(name), Ok(entries)) = (
        path.file_name().and_then(|n| n.to_str()),
        std::fs::read_dir(&dir),
    ) else {
        return String::new();
    };
    let files: Vec<String> = entries
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|f| f.ends_with(".yaml") || f.ends_with(".yml"))
        .collect();
    match crate::names::did_you_mean(name, files.iter().map(String::as_str)) {
        Some(f) => format!(
            "; did you mean `{}`?",
            crate::paths::join(&dir, f).display()
        ),
        None => String::new(),
    }
}

fn check(file: &PipelineFile, path: &Path) -> Result<(), SpecError> {
    let err = |p: String, message: String| SpecError {
        file: path.to_owned(),
        path: p,
        message,
    };
    if let Some(seed) = &file.random_seed
        && !seed.starts_with(REFERENCE_PREFIX)
    {
        return Err(err(
            "randomSeed".into(),
            "must be a secret reference such as `ref+env://HELMWASM_RANDOM_SEED` or `ref+file://seed`: a seed written in the pipeline file is not secret".into(),
        ));
    }
    for (i, p) in file.user_wins.iter().enumerate() {
        if p.is_empty() || p.split('.').any(str::is_empty) {
            return Err(err(
                format!("userWins[{i}]"),
                format!(
                    "`{p}` is not a values path: map keys joined by `.`, such as `workers.keda.maxReplicaCount`"
                ),
            ));
        }
    }
    let mut repos = BTreeMap::new();
    for (i, repo) in file.repositories.iter().enumerate() {
        check_dns_label(&repo.name).map_err(|m| err(format!("repositories[{i}].name"), m))?;
        if let Some(first) = repos.insert(repo.name.as_str(), i) {
            return Err(err(
                format!("repositories[{i}].name"),
                format!(
                    "repository `{}` is already defined at repositories[{first}]",
                    repo.name
                ),
            ));
        }
        let scheme_ok = ["http://", "https://", "oci://"]
            .iter()
            .any(|p| repo.url.starts_with(p) && repo.url.len() > p.len());
        if !scheme_ok {
            return Err(err(
                format!("repositories[{i}].url"),
                format!(
                    "`{}` is not a chart repository URL: use `https://…` (a classic repository with an index.yaml) or `oci://…`",
                    repo.url
                ),
            ));
        }
    }
    if file.releases.is_empty() {
        return Err(err(
            "releases".into(),
            "the pipeline has no releases; add at least one".into(),
        ));
    }
    let mut seen = BTreeMap::new();
    for (i, r) in file.releases.iter().enumerate() {
        check_release_name(&r.name).map_err(|m| err(format!("releases[{i}].name"), m))?;
        check_dns_label(&r.namespace).map_err(|m| err(format!("releases[{i}].namespace"), m))?;
        if r.chart.trim().is_empty() {
            return Err(err(
                format!("releases[{i}].chart"),
                "must not be empty".into(),
            ));
        }
        if r.version.as_deref().is_some_and(|v| v.trim().is_empty()) {
            return Err(err(
                format!("releases[{i}].version"),
                "must not be empty".into(),
            ));
        }
        for (field, names) in [
            ("existingSecrets", &r.existing_secrets),
            ("existingConfigMaps", &r.existing_config_maps),
        ] {
            for (j, name) in names.iter().enumerate() {
                check_subdomain(name).map_err(|m| err(format!("releases[{i}].{field}[{j}]"), m))?;
            }
        }
        if let Some(first) = seen.insert(r.name.as_str(), i) {
            return Err(err(
                format!("releases[{i}].name"),
                format!(
                    "release `{}` is already defined at releases[{first}]",
                    r.name
                ),
            ));
        }
        if let Some(schema) = &r.schema {
            let ok = match (&schema.chart_dir, &schema.file) {
                (Some(_), None) => schema.defaults.is_none(),
                (None, Some(_)) => true,
                _ => false,
            };
            if !ok {
                return Err(err(
                    format!("releases[{i}].schema"),
                    "set either `chartDir` (a folder with values.yaml and values.schema.json) or `file` (with optional `defaults`)".into(),
                ));
            }
        }
        let known_env = |name: &str| name == "default" || file.environments.contains_key(name);
        for name in r.environment_values.keys() {
            if !known_env(name) {
                return Err(err(
                    format!("releases[{i}].environmentValues.{name}"),
                    format!("environment `{name}` is not defined in `environments`"),
                ));
            }
        }
        let lists = [("steps", &r.steps), ("postRender", &r.post_render)];
        for (j, s, list) in lists
            .iter()
            .flat_map(|(list, steps)| steps.iter().enumerate().map(move |(j, s)| (j, s, *list)))
        {
            if s.plugin.trim().is_empty() {
                return Err(err(
                    format!("releases[{i}].{list}[{j}].plugin"),
                    "must not be empty".into(),
                ));
            }
            if s.limits.output.is_some_and(|b| b.0 > MAX_OUTPUT_LIMIT) {
                return Err(err(
                    format!("releases[{i}].{list}[{j}].limits.output"),
                    format!(
                        "may be at most {}: the runtime copies at most three times the output limit out of a plugin in one call, and the host holds the whole response",
                        ByteSize(MAX_OUTPUT_LIMIT)
                    ),
                ));
            }
            for (k, ns) in s.allow.namespaces.iter().enumerate() {
                check_dns_label(ns).map_err(|m| {
                    err(
                        format!("releases[{i}].{list}[{j}].allow.namespaces[{k}]"),
                        m,
                    )
                })?;
            }
            for name in s.environments.iter().flatten() {
                if !known_env(name) {
                    return Err(err(
                        format!("releases[{i}].{list}[{j}].environments"),
                        format!("environment `{name}` is not defined in `environments`"),
                    ));
                }
            }
        }
    }
    Ok(())
}

/// The largest `limits.output` a step may set.
pub const MAX_OUTPUT_LIMIT: u64 = 1 << 30;

/// Helm release names: lowercase RFC 1123 label characters, at most 53 characters.
fn check_release_name(name: &str) -> Result<(), String> {
    check_dns_label(name)?;
    if name.len() > 53 {
        return Err(format!(
            "release name `{name}` is longer than Helm's limit of 53 characters"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn repo() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
    }

    #[test]
    fn the_committed_json_schema_is_up_to_date() {
        let committed =
            std::fs::read_to_string(repo().join("docs/helmwasm.schema.json")).unwrap_or_default();
        assert!(
            committed == json_schema(),
            "docs/helmwasm.schema.json is out of date: run `cargo run -p helmwasm -- schema > docs/helmwasm.schema.json`"
        );
    }

    /// Every pipeline file of the examples and test cases: the JSON Schema accepts exactly the
    /// files whose fields and types the parser accepts (cross-field rules are the parser's
    /// alone), so editors flag what helmwasm rejects and nothing it accepts.
    #[test]
    fn the_json_schema_agrees_with_the_parser_on_every_example_and_case() {
        let schema: Value = serde_json::from_str(&json_schema()).unwrap();
        let validator = jsonschema::options().build(&schema).unwrap();
        let mut files = vec![repo().join("examples/airflow-eks/helmwasm.yaml")];
        for e in std::fs::read_dir(repo().join("tests/cases")).unwrap() {
            let p = e.unwrap().path().join("helmwasm.yaml");
            if p.is_file() {
                files.push(p);
            }
        }
        let (mut accepted, mut rejected) = (0, 0);
        for f in &files {
            let text = std::fs::read_to_string(f).unwrap();
            let Ok(doc) = yaml::parse_values(&text, f) else {
                continue; // not YAML at all: nothing for a schema to say
            };
            let typed = yaml::from_str::<PipelineFile>(&text, f);
            let valid = validator.is_valid(&doc);
            assert_eq!(
                valid,
                typed.is_ok(),
                "{}: schema says {valid}, parser says {:?}",
                f.display(),
                typed.err()
            );
            if valid {
                accepted += 1;
            } else {
                rejected += 1;
            }
        }
        assert!(
            accepted > 40 && rejected >= 3,
            "{accepted} accepted, {rejected} rejected"
        );
        let unknown = serde_json::json!({"releases": [], "relases": []});
        assert!(
            !validator.is_valid(&unknown),
            "an unknown field is rejected"
        );
        let nested = serde_json::json!({"releases": [{"name": "a", "namespace": "b", "chart": "c", "stepz": []}]});
        assert!(!validator.is_valid(&nested));
    }

    fn parse(text: &str) -> Result<PipelineFile, String> {
        let f: PipelineFile =
            yaml::from_str(text, Path::new("p.yaml")).map_err(|e| e.to_string())?;
        check(&f, Path::new("p.yaml")).map_err(|e| e.to_string())?;
        Ok(f)
    }

    const MIN: &str = "releases:\n- name: a\n  namespace: ns\n  chart: c\n  version: 1.0.0\n";

    #[test]
    fn minimal_file_parses() {
        let f = parse(MIN).unwrap();
        assert_eq!(f.releases[0].name, "a");
        assert!(f.environments.is_empty());
    }

    #[test]
    fn unknown_field_has_path_and_position() {
        let e = parse(&format!("{MIN}  chartt: x\n")).unwrap_err();
        assert!(
            e.starts_with("p.yaml:6:3: releases[0]: unknown field `chartt`"),
            "{e}"
        );
    }

    #[test]
    fn wrong_type_has_path_and_position() {
        let e = parse(&format!(
            "{MIN}  steps:\n  - plugin: x\n    limits:\n      timeout: soon\n"
        ))
        .unwrap_err();
        assert!(
            e.starts_with(
                "p.yaml:9:16: releases[0].steps[0].limits.timeout: `soon` is not a duration"
            ),
            "{e}"
        );
        let e = parse(&format!(
            "{MIN}  steps:\n  - plugin: x\n    limits:\n      memory: lots\n"
        ))
        .unwrap_err();
        assert!(
            e.starts_with(
                "p.yaml:9:15: releases[0].steps[0].limits.memory: `lots` is not a size like `64Mi`"
            ),
            "{e}"
        );
    }

    #[test]
    fn values_sources_are_paths_or_maps() {
        let f = parse(&format!("{MIN}  values:\n  - a.yaml\n  - {{x: 1}}\n")).unwrap();
        assert_eq!(f.releases[0].values[0], ValuesSource::File("a.yaml".into()));
        assert!(matches!(&f.releases[0].values[1], ValuesSource::Inline(m) if m["x"] == 1));
        let e = parse(&format!("{MIN}  values:\n  - 3\n")).unwrap_err();
        assert!(e.contains("releases[0].values[0]: invalid type: integer `3`, expected a values file path or an inline map"), "{e}");
    }

    #[test]
    fn yaml_1_1_words_are_read_as_helm_reads_them() {
        let e = parse(&MIN.replace("namespace: ns", "namespace: no")).unwrap_err();
        assert_eq!(
            e,
            "p.yaml:3:14: releases[0].namespace: invalid type: boolean `false`, expected a string \
             (`no` is not text in YAML 1.1, which is how Helm reads YAML; write `\"no\"` for text)"
        );
        let f = parse(&MIN.replace("namespace: ns", "namespace: \"no\"")).unwrap();
        assert_eq!(f.releases[0].namespace, "no");
        let f = parse(&format!(
            "{MIN}  steps:\n  - plugin: x\n    with: {{on: yes, mode: 0755}}\n"
        ))
        .unwrap();
        assert_eq!(
            f.releases[0].steps[0].config,
            Some(serde_json::json!({"true": true, "mode": 493}))
        );
    }

    #[test]
    fn field_rules() {
        assert_eq!(
            parse("releases: []\n").unwrap_err(),
            "p.yaml: releases: the pipeline has no releases; add at least one"
        );
        let e = parse(&format!("{MIN}{}", MIN.replace("releases:\n", ""))).unwrap_err();
        assert_eq!(
            e,
            "p.yaml: releases[1].name: release `a` is already defined at releases[0]"
        );
        let e = parse(&MIN.replace("name: a", "name: Airflow")).unwrap_err();
        assert!(
            e.starts_with("p.yaml: releases[0].name: `Airflow` is not a valid name"),
            "{e}"
        );
    }
}
