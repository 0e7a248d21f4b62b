//! From a pipeline file to a plan: the selected environment, the selected releases, and each
//! release's chart source, values layers and steps with their effective limits.
//!
//! The plan is a plain value: every values file it needs has been read (and `.hbs` templates
//! rendered), nothing has run yet, and no secret has been touched: secret references are
//! still strings in the layers and step configs, resolved by [`crate::secrets::resolve_plan`]
//! as a later stage. Errors name the file (with line and column for YAML) or the pipeline key
//! path.

mod error;
mod schema;
mod selector;

pub use error::PlanError;
pub use schema::ChartSchema;
use schema::load_schema;
pub use selector::Selector;

use crate::chart::Source;
use crate::overrides::{Overrides, SetError};
use crate::provenance::{Origin, Provenance};
use crate::runtime::Limits;
use crate::spec::{self, PipelineFile, ReleaseSpec, ValuesSource};
use crate::template;
use crate::values;
use crate::yaml;
use anyhow::{Context, Result};
use serde_json::{Map, Value};
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

/// The step's limits: the runtime defaults with the step's `limits:` overrides.
fn step_limits(spec: &spec::LimitsSpec) -> Limits {
    let d = Limits::default();
    Limits {
        memory: spec.memory.map_or(d.memory, |b| b.0),
        timeout: spec.timeout.unwrap_or(d.timeout),
        output: spec.output.map_or(d.output, |b| b.0),
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    pub file: PathBuf,
    pub environment: Environment,
    /// Plugin folders from `plugins.dirs`, resolved against the pipeline file's folder.
    pub plugin_dirs: Vec<PathBuf>,
    /// `--set` and its kin: written into every release's composed values, as Helm does.
    pub overrides: Overrides,
    /// `randomSeed` (a reference until the secrets stage resolves it).
    pub random_seed: Option<String>,
    /// `userWins`: values paths where the user's value is put back after the steps.
    pub user_wins: Vec<String>,
    /// Environment values read by `.hbs` templates (`env`, `required_env`): registered for
    /// redaction by the secrets stage.
    pub template_env: Vec<String>,
    pub releases: Vec<ReleasePlan>,
}

/// One values layer: a file or an inline map, with where it came from and the folder its
/// secret references are relative to.
#[derive(Debug, Clone, PartialEq)]
pub struct Layer {
    /// `path/to/values.yaml:` or a pipeline key such as `releases[0].values[1]`.
    pub origin: String,
    /// Where the layer is listed in the pipeline file (`releases[0].values[1]`,
    /// `environments.prod.values[0]`).
    pub key: String,
    pub base: PathBuf,
    pub values: Map<String, Value>,
    /// The line of each key path in the layer's file (empty for inline maps).
    pub lines: std::collections::HashMap<String, usize>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Environment {
    pub name: String,
    pub layers: Vec<Layer>,
}

impl Environment {
    /// The environment's own values (passed to plugins as `environment-values`).
    pub fn values(&self) -> Map<String, Value> {
        values::layer(self.layers.iter().map(|l| l.values.clone()))
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct ReleasePlan {
    pub name: String,
    pub namespace: String,
    /// `chart:` as written, and where it resolves to.
    pub chart: String,
    pub source: Source,
    /// `version:` as written, if any.
    pub version: Option<String>,
    pub labels: BTreeMap<String, String>,
    /// `values`, then `environmentValues.ENV`, in order (`--set` and its kin are the plan's).
    pub layers: Vec<Layer>,
    pub steps: Vec<StepPlan>,
    /// `postRender`: steps over the rendered objects, after the chart render.
    pub post_render: Vec<StepPlan>,
    pub existing_secrets: Vec<String>,
    pub existing_config_maps: Vec<String>,
    /// An explicit `schema:` override; otherwise the chart's own schema is used.
    pub schema: Option<std::sync::Arc<ChartSchema>>,
}

impl ReleasePlan {
    /// The composed user values: every layer, then `--set` and its kin written into them.
    /// What the first step sees.
    pub fn values(&self, overrides: &Overrides) -> Result<Map<String, Value>, SetError> {
        self.values_traced(overrides, &mut Provenance::default())
    }

    /// [`Self::values`], recording where each key came from.
    pub fn values_traced(
        &self,
        overrides: &Overrides,
        provenance: &mut Provenance,
    ) -> Result<Map<String, Value>, SetError> {
        let mut composed = Value::Object(Map::new());
        for l in &self.layers {
            let before = composed.clone();
            if let Value::Object(m) = &mut composed {
                values::compose(m, l.values.clone());
            }
            let origin = Origin::Layer {
                label: l.origin.trim_end_matches(':').to_owned(),
                line: None,
                key: l.key.clone(),
            };
            provenance.record(&before, &composed, &origin, Some(&l.lines));
        }
        let before = composed.clone();
        let Value::Object(mut values) = composed else {
            unreachable!("layers compose into a map")
        };
        overrides.apply(&mut values)?;
        if !overrides.is_empty() {
            provenance.record(&before, &Value::Object(values.clone()), &Origin::Set, None);
        }
        Ok(values)
    }
}

/// Which list a step is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StepKind {
    /// `steps[]`: a values step (the plugin's `run`).
    Values,
    /// `postRender[]`: after the chart render (the plugin's `post-render`).
    PostRender,
}

#[derive(Debug, Clone, PartialEq)]
pub struct StepPlan {
    pub kind: StepKind,
    /// 1-based within its list, as shown to users.
    pub number: usize,
    pub plugin: String,
    pub config: Value,
    /// Where the config sits in the pipeline file, e.g. `releases[0].steps[1].with`.
    pub config_path: String,
    /// The folder the config's secret references are relative to.
    pub base: PathBuf,
    pub limits: Limits,
    /// What the step may emit beyond Secrets and ConfigMaps in the release namespace.
    pub allow: spec::AllowSpec,
}

/// What the user asked for on the command line.
#[derive(Debug, Clone, Default)]
pub struct Selection {
    /// `-e`; `None` means `default`.
    pub environment: Option<String>,
    /// `-l`, each `key=value[,key!=value…]`; a release is selected when any selector matches.
    pub selectors: Vec<String>,
    /// `--set` and its kin, already parsed.
    pub overrides: Overrides,
}

pub const DEFAULT_ENVIRONMENT: &str = "default";

/// The plan of `file` for the selection. The file is consumed: step configs and inline values
/// move into the plan instead of being copied (hundreds of releases' worth at scale). The
/// releases are planned on up to `threads` threads; the error is the first in pipeline order,
/// as on one.
pub fn build(
    mut file: PipelineFile,
    path: &Path,
    sel: &Selection,
    threads: usize,
) -> std::result::Result<Plan, PlanError> {
    let base = &crate::paths::folder(path);
    let env_name = sel
        .environment
        .clone()
        .unwrap_or_else(|| DEFAULT_ENVIRONMENT.to_owned());
    let mut loader = Loader {
        env_name: env_name.clone(),
        env_values: Value::Object(Map::new()),
        files: Default::default(),
        schemas: Default::default(),
    };
    let mut template_env = Vec::new();
    let env_layers = match file.environments.get(&env_name) {
        Some(env) => loader
            .layers(
                env.values.clone(),
                base,
                &format!("environments.{env_name}.values"),
                None,
                &mut template_env,
            )
            .map_err(PlanError::Values)?,
        None if env_name == DEFAULT_ENVIRONMENT => Vec::new(),
        None => {
            let known: Vec<_> = file.environments.keys().map(|k| format!("`{k}`")).collect();
            let known = if known.is_empty() {
                "none are defined".to_owned()
            } else {
                format!("defined: {}", known.join(", "))
            };
            let hint =
                crate::names::did_you_mean(&env_name, file.environments.keys().map(String::as_str))
                    .map(|k| format!("; did you mean `{k}`?"))
                    .unwrap_or_default();
            return Err(PlanError::Selection(anyhow::anyhow!(
                "{}: environment `{env_name}` is not defined in `environments` ({known}){hint}",
                path.display()
            )));
        }
    };
    let environment = Environment {
        name: env_name,
        layers: env_layers,
    };
    loader.env_values = Value::Object(environment.values());
    let selectors = sel
        .selectors
        .iter()
        .map(|s| Selector::parse(s))
        .collect::<Result<Vec<_>>>()
        .map_err(PlanError::Selection)?;
    let selected: Vec<bool> = file
        .releases
        .iter()
        .map(|r| selectors.is_empty() || selectors.iter().any(|s| s.matches(r)))
        .collect();
    if !selected.contains(&true) {
        let hint = selectors
            .iter()
            .find_map(|s| s.did_you_mean(&file.releases))
            .map(|s| format!("; did you mean `{s}`?"))
            .unwrap_or_default();
        return Err(PlanError::Selection(anyhow::anyhow!(
            "no release matches the selector{} {}{hint}",
            if sel.selectors.len() > 1 { "s" } else { "" },
            sel.selectors
                .iter()
                .map(|s| format!("`{s}`"))
                .collect::<Vec<_>>()
                .join(", ")
        )));
    }
    let specs: Vec<(usize, ReleaseSpec)> = std::mem::take(&mut file.releases)
        .into_iter()
        .enumerate()
        .zip(selected)
        .filter_map(|(r, selected)| selected.then_some(r))
        .collect();
    let repositories = &file.repositories;
    let planned = crate::parallel::map_owned(specs, threads, |(i, r)| {
        let mut read = Vec::new();
        let planned = Source::classify(&r.chart, r.version.as_deref(), repositories, base)
            .map_err(|(field, message)| {
                PlanError::Release(anyhow::anyhow!(
                    "{}: releases[{i}].{field}: {message}",
                    path.display()
                ))
            })
            .and_then(|source| loader.release(r, i, base, source, &mut read));
        planned.map(|p| (p, read))
    });
    let mut releases = Vec::with_capacity(planned.len());
    for planned in planned {
        let (release, read) = planned?;
        template_env.extend(read);
        releases.push(release);
    }
    Ok(Plan {
        file: path.to_owned(),
        environment,
        plugin_dirs: file
            .plugins
            .dirs
            .iter()
            .map(|d| crate::paths::join(base, d))
            .collect(),
        overrides: sel.overrides.clone(),
        random_seed: file.random_seed,
        user_wins: file.user_wins,
        template_env,
        releases,
    })
}

/// Reads values files, rendering `.hbs` templates with the environment's values. Each file
/// is read once per run however many releases list it (a plain file is parsed once too; a
/// template is rendered per release, since it may read the release). Shared by the threads
/// that plan releases: a cache is locked while its file is read, so a file is read once.
struct Loader {
    env_name: String,
    env_values: Value,
    files: std::sync::Mutex<HashMap<PathBuf, std::sync::Arc<LoadedFile>>>,
    /// `schema:` overrides, read once each.
    schemas: std::sync::Mutex<HashMap<String, std::sync::Arc<ChartSchema>>>,
}

/// A values file as read: its text, and for a plain file its values and their lines.
struct LoadedFile {
    text: String,
    parsed: Option<(Map<String, Value>, Lines)>,
}

impl Loader {
    /// A `schema:` override, loaded once per run.
    fn schema(&self, spec: &spec::SchemaSpec, base: &Path) -> Result<std::sync::Arc<ChartSchema>> {
        let key = format!("{}\0{spec:?}", base.display());
        let mut schemas = crate::parallel::lock(&self.schemas);
        if let Some(s) = schemas.get(&key) {
            return Ok(s.clone());
        }
        let loaded = std::sync::Arc::new(load_schema(spec, base)?);
        schemas.insert(key, loaded.clone());
        Ok(loaded)
    }

    /// One release's plan; the environment variables its templates read go to `read`.
    fn release(
        &self,
        mut r: ReleaseSpec,
        index: usize,
        base: &Path,
        source: Source,
        read: &mut Vec<String>,
    ) -> std::result::Result<ReleasePlan, PlanError> {
        let release_ctx = serde_json::json!({
            "name": r.name, "namespace": r.namespace, "chart": r.chart, "version": r.version, "labels": r.labels,
        });
        let load_err = || format!("cannot load the values of release `{}`", r.name);
        let mut layers = self
            .layers(
                std::mem::take(&mut r.values),
                base,
                &format!("releases[{index}].values"),
                Some(&release_ctx),
                read,
            )
            .with_context(load_err)
            .map_err(PlanError::Values)?;
        if let Some(extra) = r.environment_values.remove(&self.env_name) {
            let key = format!("releases[{index}].environmentValues.{}", self.env_name);
            layers.extend(
                self.layers(extra, base, &key, Some(&release_ctx), read)
                    .with_context(load_err)
                    .map_err(PlanError::Values)?,
            );
        }
        let steps = self.steps(r.steps, StepKind::Values, index, base);
        let post_render = self.steps(r.post_render, StepKind::PostRender, index, base);
        let schema = r
            .schema
            .as_ref()
            .map(|s| self.schema(s, base))
            .transpose()
            .with_context(|| format!("cannot load the chart schema of release `{}`", r.name))
            .map_err(PlanError::Release)?;
        if let (Some(s), Some(wanted)) = (&schema, &r.version)
            && let Some((chart_yaml, version)) = &s.chart_version
            && let Ok(w) = crate::chart::version::Wanted::parse(wanted)
            && !w.matches(version)
        {
            return Err(PlanError::Release(anyhow::anyhow!(
                "release `{}`: releases[{index}].schema.chartDir: the chart folder's {} says version `{version}`, but the \
                 release is `{wanted}`: its schema and defaults would check the values against another version's keys. \
                 Point `chartDir` at the chart of `{wanted}`, or drop `schema:` to use the chart's own",
                r.name,
                chart_yaml.display()
            )));
        }
        Ok(ReleasePlan {
            existing_secrets: r.existing_secrets,
            existing_config_maps: r.existing_config_maps,
            schema,
            name: r.name,
            namespace: r.namespace,
            chart: r.chart,
            source,
            version: r.version,
            labels: r.labels,
            layers,
            steps,
            post_render,
        })
    }

    /// The steps of one list that run in the selected environment.
    fn steps(
        &self,
        list: Vec<spec::StepSpec>,
        kind: StepKind,
        index: usize,
        base: &Path,
    ) -> Vec<StepPlan> {
        let key = match kind {
            StepKind::Values => "steps",
            StepKind::PostRender => "postRender",
        };
        list.into_iter()
            .enumerate()
            .filter(|(_, s)| {
                s.environments
                    .as_ref()
                    .is_none_or(|envs| envs.contains(&self.env_name))
            })
            .map(|(j, s)| StepPlan {
                kind,
                number: j + 1,
                plugin: s.plugin,
                config: s.config.unwrap_or_else(|| Value::Object(Map::new())),
                config_path: format!("releases[{index}].{key}[{j}].with"),
                base: base.to_path_buf(),
                limits: step_limits(&s.limits),
                allow: s.allow,
            })
            .collect()
    }

    /// Values layers in order. Files are relative to `base`; a `.hbs` file is rendered first;
    /// references stay unresolved, relative to the file they appear in.
    fn layers(
        &self,
        sources: Vec<ValuesSource>,
        base: &Path,
        key: &str,
        release: Option<&Value>,
        template_env: &mut Vec<String>,
    ) -> Result<Vec<Layer>> {
        let mut layers = Vec::with_capacity(sources.len());
        for (i, src) in sources.into_iter().enumerate() {
            let at = format!("{key}[{i}]");
            let layer = match src {
                ValuesSource::Inline(map) => Layer {
                    origin: at.clone(),
                    key: at,
                    base: base.to_path_buf(),
                    values: map,
                    lines: Default::default(),
                },
                ValuesSource::File(rel) => {
                    let path = crate::paths::join(base, &rel);
                    let loaded = {
                        let mut files = crate::parallel::lock(&self.files);
                        match files.get(&path) {
                            Some(loaded) => loaded.clone(),
                            None => {
                                let loaded = std::sync::Arc::new(read_values_file(&path, &at)?);
                                files.insert(path.clone(), loaded.clone());
                                loaded
                            }
                        }
                    };
                    let (values, lines) = match &loaded.parsed {
                        Some(parsed) => parsed.clone(),
                        None => {
                            let ctx = template::context(
                                &self.env_name,
                                &self.env_values,
                                release.cloned(),
                            );
                            let (text, read) =
                                template::render_collecting(&loaded.text, &path, &ctx)
                                    .map_err(|e| anyhow::anyhow!("{e}"))?;
                            template_env.extend(read);
                            values_map(&text, &path)?
                        }
                    };
                    Layer {
                        origin: format!("{}:", path.display()),
                        key: at,
                        base: crate::paths::folder(&path),
                        values,
                        lines,
                    }
                }
            };
            layers.push(layer);
        }
        Ok(layers)
    }
}

/// Read a values file (`at` is its place in the pipeline); parse it unless it is a template.
fn read_values_file(path: &Path, at: &str) -> Result<LoadedFile> {
    crate::paths::check_readable(path, &format!("{at}: values file"))
        .map_err(anyhow::Error::msg)?;
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("{at}: cannot read values file {}", path.display()))?;
    if template::is_template(path) {
        return Ok(LoadedFile { text, parsed: None });
    }
    let parsed = values_map(&text, path)?;
    Ok(LoadedFile {
        text: String::new(),
        parsed: Some(parsed),
    })
}

/// Each key path's line in a values file.
type Lines = HashMap<String, usize>;

fn values_map(text: &str, path: &Path) -> Result<(Map<String, Value>, Lines)> {
    let (Value::Object(values), lines) = yaml::parse_values_with_lines(text, path)? else {
        unreachable!("values layers are maps")
    };
    Ok((values, lines))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use std::time::Duration;

    fn release_plan(r: &ReleaseSpec, index: usize, base: &Path, env: &str) -> Result<ReleasePlan> {
        let loader = Loader {
            env_name: env.into(),
            env_values: serde_json::json!({}),
            files: Default::default(),
            schemas: Default::default(),
        };
        let source = Source::classify(&r.chart, r.version.as_deref(), &[], base).unwrap();
        Ok(loader.release(r.clone(), index, base, source, &mut Vec::new())?)
    }

    fn no_set() -> Overrides {
        Overrides::default()
    }

    pub(crate) fn release(name: &str, labels: &[(&str, &str)]) -> ReleaseSpec {
        ReleaseSpec {
            name: name.into(),
            namespace: "ns".into(),
            chart: "repo/chart".into(),
            version: Some("1.0.0".into()),
            labels: labels
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            values: vec![],
            steps: vec![],
            post_render: vec![],
            environment_values: Default::default(),
            existing_secrets: vec![],
            existing_config_maps: vec![],
            schema: None,
        }
    }

    #[test]
    fn unknown_environment_lists_the_known_ones() {
        let file = PipelineFile {
            environments: [("prod".to_owned(), Default::default())].into(),
            plugins: Default::default(),
            repositories: vec![],
            random_seed: None,
            user_wins: Vec::new(),
            releases: vec![release("a", &[])],
        };
        let sel = Selection {
            overrides: Overrides::default(),
            environment: Some("staging".into()),
            selectors: vec![],
        };
        let e = build(file.clone(), Path::new("p.yaml"), &sel, 1)
            .unwrap_err()
            .to_string();
        assert_eq!(
            e,
            "p.yaml: environment `staging` is not defined in `environments` (defined: `prod`)"
        );
        assert_eq!(
            build(file.clone(), Path::new("p.yaml"), &Selection::default(), 2)
                .unwrap()
                .environment
                .name,
            "default"
        );
    }

    #[test]
    fn each_planning_failure_has_the_code_of_its_kind() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("p.yaml");
        let file = |r: ReleaseSpec| PipelineFile {
            environments: Default::default(),
            plugins: Default::default(),
            repositories: vec![],
            random_seed: None,
            user_wins: Vec::new(),
            releases: vec![r],
        };
        let code = |f: PipelineFile, sel: &Selection| {
            build(f, &path, sel, 1).unwrap_err().into_parts().0.id
        };
        // A chart path that names nothing: the release's own field, not the selection.
        let mut r = release("a", &[]);
        r.chart = "./nowhere".into();
        assert_eq!(code(file(r), &Selection::default()), "HW0101");
        let mut r = release("a", &[]);
        r.version = Some("1.19".into());
        assert_eq!(code(file(r), &Selection::default()), "HW0101");
        let mut r = release("a", &[]);
        r.values.push(ValuesSource::File("missing.yaml".into()));
        assert_eq!(code(file(r), &Selection::default()), "HW0102");
        let sel = Selection {
            environment: Some("staging".into()),
            ..Selection::default()
        };
        assert_eq!(code(file(release("a", &[])), &sel), "HW0105");
        let sel = Selection {
            selectors: vec!["team=none".into()],
            ..Selection::default()
        };
        assert_eq!(code(file(release("a", &[])), &sel), "HW0105");
    }

    #[test]
    fn releases_planned_on_threads_fail_at_the_first_failing_release_in_order() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("shared.yaml"), "tier: prod\n").unwrap();
        let path = dir.path().join("p.yaml");
        let mut releases: Vec<ReleaseSpec> = (0..9)
            .map(|i| {
                let mut r = release(&format!("r{i}"), &[]);
                r.values.push(ValuesSource::File("shared.yaml".into()));
                r
            })
            .collect();
        let file = |releases: Vec<ReleaseSpec>| PipelineFile {
            environments: Default::default(),
            plugins: Default::default(),
            repositories: vec![],
            random_seed: None,
            user_wins: Vec::new(),
            releases,
        };
        let serial = build(file(releases.clone()), &path, &Selection::default(), 1).unwrap();
        for threads in [2, 3] {
            let plan = build(
                file(releases.clone()),
                &path,
                &Selection::default(),
                threads,
            );
            assert_eq!(plan.unwrap(), serial, "{threads} threads");
        }
        // A missing values file in release 5, a chart that is no reference in release 3 and a
        // broken one in 7: release 3's error, however the releases are spread over threads.
        releases[5]
            .values
            .push(ValuesSource::File("missing.yaml".into()));
        releases[3].chart = "not a chart".into();
        releases[7].values.push(ValuesSource::File("p.yaml".into()));
        std::fs::write(&path, "a: [1\n").unwrap();
        let first = format!(
            "{:#}",
            build(file(releases.clone()), &path, &Selection::default(), 1).unwrap_err()
        );
        assert!(first.contains("releases[3]"), "{first}");
        for threads in [2, 3, 9] {
            let e = build(
                file(releases.clone()),
                &path,
                &Selection::default(),
                threads,
            );
            assert_eq!(format!("{:#}", e.unwrap_err()), first, "{threads} threads");
        }
        releases[3].chart = "repo/chart".into();
        let e = build(file(releases.clone()), &path, &Selection::default(), 2).unwrap_err();
        assert!(format!("{e:#}").contains("r5"), "{e:#}");
    }

    #[test]
    fn steps_and_values_follow_the_environment() {
        let mut r = release("a", &[]);
        for (plugin, envs) in [("all", None), ("prod-only", Some(vec!["prod".to_owned()]))] {
            r.steps.push(spec::StepSpec {
                plugin: plugin.into(),
                config: None,
                limits: Default::default(),
                environments: envs,
                allow: Default::default(),
            });
        }
        r.values.push(ValuesSource::Inline(
            serde_json::json!({"tier": "base", "keep": 1})
                .as_object()
                .unwrap()
                .clone(),
        ));
        r.environment_values.insert(
            "prod".into(),
            vec![ValuesSource::Inline(
                serde_json::json!({"tier": "prod"})
                    .as_object()
                    .unwrap()
                    .clone(),
            )],
        );
        let dev = release_plan(&r, 0, Path::new("."), "dev").unwrap();
        assert_eq!(
            dev.steps
                .iter()
                .map(|s| s.plugin.as_str())
                .collect::<Vec<_>>(),
            ["all"]
        );
        assert_eq!(
            Value::Object(dev.values(&no_set()).unwrap()),
            serde_json::json!({"tier": "base", "keep": 1})
        );
        let prod = release_plan(&r, 0, Path::new("."), "prod").unwrap();
        assert_eq!(
            prod.steps
                .iter()
                .map(|s| (s.number, s.plugin.as_str()))
                .collect::<Vec<_>>(),
            [(1, "all"), (2, "prod-only")]
        );
        assert_eq!(
            Value::Object(prod.values(&no_set()).unwrap()),
            serde_json::json!({"tier": "prod", "keep": 1})
        );
    }

    #[test]
    fn step_limits_override_defaults() {
        let mut r = release("a", &[]);
        r.steps.push(spec::StepSpec {
            plugin: "p".into(),
            config: None,
            limits: spec::LimitsSpec {
                timeout: Some(Duration::from_millis(500)),
                ..Default::default()
            },
            environments: None,
            allow: Default::default(),
        });
        let p = release_plan(&r, 0, Path::new("."), "default").unwrap();
        assert_eq!(
            p.steps[0].limits,
            Limits {
                timeout: Duration::from_millis(500),
                ..Limits::default()
            }
        );
        assert_eq!(p.steps[0].config, serde_json::json!({}));
    }
}
