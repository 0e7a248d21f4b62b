//! The local inputs of a render: every file and folder the selected releases are made from, and which
//! releases each one feeds. Read from the plan (no secret is resolved to find them):
//!
//! - the pipeline file, the environment's values layers, `randomSeed`'s file and the plugin
//!   folders feed every release;
//! - a release's values files and `.hbs` templates, the `ref+file` files its values and steps
//!   name, its `schema:` override's files, and a local chart folder or archive feed that
//!   release.
//!
//! `ref+file` files are watched but marked secret: the page never serves them.

use crate::chart::Source;
use crate::plan::{Layer, Plan, ReleasePlan, Selection};
use crate::secrets::Reference;
use anyhow::Result;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Which releases an input feeds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    All,
    Releases(BTreeSet<String>),
}

impl Scope {
    fn add(&mut self, other: &Scope) {
        match (&mut *self, other) {
            (Scope::All, _) => {}
            (_, Scope::All) => *self = Scope::All,
            (Scope::Releases(a), Scope::Releases(b)) => a.extend(b.iter().cloned()),
        }
    }
}

/// One watched path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Input {
    /// A folder (watched with everything under it) or a file.
    pub folder: bool,
    pub scope: Scope,
    /// A `ref+file` target: watched, never shown.
    pub secret: bool,
}

/// Every input of a plan, by absolute path.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Inputs {
    pub paths: BTreeMap<PathBuf, Input>,
    /// The selected releases, in pipeline order.
    pub releases: Vec<String>,
}

/// The inputs of the pipeline `file` for `selection`, with the `--plugin-dir` folders.
pub fn read(file: &Path, selection: &Selection, plugin_dirs: &[PathBuf]) -> Result<Inputs> {
    let spec = crate::spec::load(file)?;
    let plan = crate::plan::build(spec, file, selection, 1).map_err(|e| e.into_parts().1)?;
    Ok(of_plan(&plan, file, plugin_dirs))
}

/// Only the pipeline file (when it cannot be planned, it is what a fix changes).
pub fn of_file(file: &Path) -> Inputs {
    let mut inputs = Inputs::default();
    inputs.add(file, false, Scope::All, false);
    inputs
}

/// The inputs of `plan` (of the pipeline `file`).
pub fn of_plan(plan: &Plan, file: &Path, plugin_dirs: &[PathBuf]) -> Inputs {
    let mut inputs = Inputs::default();
    let base = crate::paths::folder(file);
    inputs.add(file, false, Scope::All, false);
    for layer in &plan.environment.layers {
        inputs.layer(layer, &Scope::All);
    }
    if let Some(seed) = &plan.random_seed {
        inputs.references(&Value::String(seed.clone()), &base, &Scope::All);
    }
    for dir in crate::registry::dirs(plugin_dirs, &plan.plugin_dirs, Some(file)) {
        inputs.add(&dir.path, true, Scope::All, false);
    }
    for release in &plan.releases {
        inputs.release(release, &base);
        inputs.releases.push(release.name.clone());
    }
    inputs
}

/// `path` relative to the folder `base` (both absolute and clean), with `..` where needed.
pub fn relative(path: &Path, base: &Path) -> PathBuf {
    let (p, b): (Vec<_>, Vec<_>) = (path.components().collect(), base.components().collect());
    let common = p.iter().zip(&b).take_while(|(x, y)| x == y).count();
    let mut out = PathBuf::new();
    for _ in common..b.len() {
        out.push("..");
    }
    for c in &p[common..] {
        out.push(c);
    }
    if out.as_os_str().is_empty() {
        out.push(".");
    }
    out
}

impl Inputs {
    fn add(&mut self, path: &Path, folder: bool, scope: Scope, secret: bool) {
        let path = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
        let path = crate::paths::clean(&path);
        match self.paths.get_mut(&path) {
            Some(i) => {
                i.scope.add(&scope);
                i.secret |= secret;
            }
            None => {
                self.paths.insert(
                    path,
                    Input {
                        folder,
                        scope,
                        secret,
                    },
                );
            }
        }
    }

    fn layer(&mut self, layer: &Layer, scope: &Scope) {
        // A file layer's origin is `PATH:`; an inline one's is its place in the pipeline file.
        if let Some(path) = layer.origin.strip_suffix(':') {
            self.add(Path::new(path), false, scope.clone(), false);
        }
        self.references(&Value::Object(layer.values.clone()), &layer.base, scope);
    }

    fn release(&mut self, release: &ReleasePlan, base: &Path) {
        let scope = Scope::Releases(BTreeSet::from([release.name.clone()]));
        for layer in &release.layers {
            self.layer(layer, &scope);
        }
        for step in release.steps.iter().chain(&release.post_render) {
            self.references(&step.config, base, &scope);
        }
        if let Some(s) = &release.schema {
            let files = [Some(&s.schema_file), s.defaults_file.as_ref()];
            let files = files.into_iter().flatten();
            for f in files.chain(s.chart_version.as_ref().map(|(p, _)| p)) {
                self.add(f, false, scope.clone(), false);
            }
        }
        match &release.source {
            Source::Dir(path, _) => self.add(path, true, scope, false),
            Source::Archive(path, _) => self.add(path, false, scope, false),
            _ => {}
        }
    }

    /// Every `ref+file://` string in `v`, relative to `base`.
    fn references(&mut self, v: &Value, base: &Path, scope: &Scope) {
        match v {
            Value::String(s) => {
                if let Some(Ok(r)) = Reference::parse(s)
                    && r.scheme == "file"
                {
                    self.add(
                        &crate::paths::join(base, &r.location),
                        false,
                        scope.clone(),
                        true,
                    );
                }
            }
            Value::Array(items) => items.iter().for_each(|i| self.references(i, base, scope)),
            Value::Object(map) => map.values().for_each(|i| self.references(i, base, scope)),
            _ => {}
        }
    }

    /// Add every input of `other` (the inputs before an edit stay watched: a values file
    /// that no longer parses is still an input).
    pub fn merge(&mut self, other: &Inputs) {
        for (path, input) in &other.paths {
            self.add(path, input.folder, input.scope.clone(), input.secret);
        }
    }

    /// The releases a change to `changed` (absolute paths) feeds: `None` for all of them,
    /// an empty set when no input changed.
    pub fn affected(&self, changed: &[PathBuf]) -> Option<BTreeSet<String>> {
        let mut scope = Scope::Releases(BTreeSet::new());
        for c in changed {
            for (path, input) in &self.paths {
                if c == path || (input.folder && c.starts_with(path)) {
                    scope.add(&input.scope);
                }
            }
        }
        match scope {
            Scope::All => None,
            Scope::Releases(r) => Some(r),
        }
    }

    /// What to give the watcher: folders, each with whether everything under it counts. A file
    /// is watched through its folder, so that an editor's save by rename is seen.
    pub fn watch_points(&self) -> BTreeMap<PathBuf, bool> {
        let mut out: BTreeMap<PathBuf, bool> = BTreeMap::new();
        for (path, input) in &self.paths {
            let (dir, recursive) = if input.folder {
                (path.clone(), true)
            } else {
                (crate::paths::parent(path).to_path_buf(), false)
            };
            let r = out.entry(dir).or_insert(false);
            *r |= recursive;
        }
        out
    }

    /// The inputs that feed `release`.
    pub fn of_release(&self, release: &str) -> Inputs {
        Inputs {
            paths: self
                .paths
                .iter()
                .filter(|(_, i)| match &i.scope {
                    Scope::All => true,
                    Scope::Releases(r) => r.contains(release),
                })
                .map(|(p, i)| (p.clone(), i.clone()))
                .collect(),
            releases: vec![release.to_owned()],
        }
    }

    /// Every file the inputs name: each file input (whether it exists or not) and every file
    /// under a folder input, sorted, each with whether it is a secret.
    pub fn files(&self) -> Vec<(PathBuf, bool)> {
        let mut out = BTreeMap::new();
        for (path, input) in &self.paths {
            if input.folder {
                let mut found = Vec::new();
                files_under(path, &mut found);
                for f in found {
                    out.entry(f).or_insert(input.secret);
                }
            } else {
                *out.entry(path.clone()).or_insert(false) |= input.secret;
            }
        }
        out.into_iter().collect()
    }

    /// A digest of what the inputs hold (`sha256:HEX`): each file's path relative to `base`
    /// and the SHA-256 of its bytes (or that it is missing), in path order. A secret file
    /// counts by its path only, so that the fingerprint, printed in CI logs, says nothing of
    /// it (rotating a secret does not change the fingerprint; the file is still listed).
    pub fn fingerprint(&self, base: &Path) -> String {
        let mut text = String::new();
        for (path, secret) in self.files() {
            let content = if secret {
                "secret".to_owned()
            } else {
                std::fs::read(&path)
                    .map(|b| crate::store::sha256_hex(&b))
                    .unwrap_or_else(|_| "missing".to_owned())
            };
            text.push_str(&format!("{}\t{content}\n", relative(&path, base).display()));
        }
        format!("sha256:{}", crate::store::sha256_hex(text.as_bytes()))
    }

    /// Whether `path` is an input the page may show (a file, not a secret one).
    pub fn showable(&self, path: &Path) -> bool {
        self.paths.get(path).is_some_and(|i| !i.folder && !i.secret)
    }
}

/// Every file under `dir`, recursively (symbolic links not followed).
fn files_under(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        match e.file_type() {
            Ok(t) if t.is_dir() => files_under(&e.path(), out),
            Ok(t) if t.is_file() => out.push(e.path()),
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_example_feeds_its_release_from_its_files_and_every_release_from_the_pipeline() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/airflow-eks");
        let file = root.join("helmwasm.yaml");
        let sel = Selection {
            environment: Some("prod".into()),
            ..Selection::default()
        };
        let inputs = read(&file, &sel, &[]).unwrap();
        let abs = |rel: &str| crate::paths::clean(&std::path::absolute(root.join(rel)).unwrap());
        let airflow = Scope::Releases(BTreeSet::from(["airflow".to_owned()]));
        assert_eq!(inputs.paths[&abs("helmwasm.yaml")].scope, Scope::All);
        assert_eq!(inputs.paths[&abs("values/prod.yaml")].scope, airflow);
        assert_eq!(inputs.paths[&abs("values/airflow.yaml")].scope, airflow);
        let seed = &inputs.paths[&abs("credentials/random-seed")];
        assert!(seed.secret && seed.scope == Scope::All);
        assert!(inputs.paths[&abs("credentials/db-password")].secret);
        assert!(!inputs.showable(&abs("credentials/db-password")));
        assert!(inputs.showable(&abs("values/prod.yaml")));
        assert_eq!(
            inputs.affected(&[abs("values/prod.yaml")]),
            Some(BTreeSet::from(["airflow".to_owned()]))
        );
        assert_eq!(inputs.affected(&[abs("helmwasm.yaml")]), None);
        assert_eq!(inputs.affected(&[abs("README.md")]), Some(BTreeSet::new()));
        // Files are watched through their folders.
        assert_eq!(inputs.watch_points().get(&abs("values")), Some(&false));
        assert_eq!(inputs.releases, ["airflow"]);
    }

    #[test]
    fn templates_schema_overrides_and_local_charts_are_inputs_of_their_release() {
        let dir = tempfile::tempdir().unwrap();
        let d = crate::paths::clean(&std::path::absolute(dir.path()).unwrap());
        std::fs::create_dir(d.join("chart")).unwrap();
        std::fs::write(d.join("chart/Chart.yaml"), "name: c\nversion: 1.0.0\n").unwrap();
        std::fs::write(d.join("s.json"), "{}").unwrap();
        std::fs::write(d.join("v.yaml.hbs"), "a: {{environment}}\n").unwrap();
        std::fs::write(
            d.join("helmwasm.yaml"),
            "releases:\n  - name: r\n    namespace: x\n    chart: ./chart\n    schema: {file: s.json}\n    values: [v.yaml.hbs]\n",
        )
        .unwrap();
        let inputs = read(&d.join("helmwasm.yaml"), &Selection::default(), &[]).unwrap();
        let r = Scope::Releases(BTreeSet::from(["r".to_owned()]));
        assert_eq!(inputs.paths[&d.join("v.yaml.hbs")].scope, r);
        assert_eq!(inputs.paths[&d.join("s.json")].scope, r);
        assert!(inputs.paths[&d.join("chart")].folder);
        assert_eq!(
            inputs
                .files()
                .into_iter()
                .map(|(p, _)| p)
                .collect::<Vec<_>>(),
            [
                d.join("chart/Chart.yaml"),
                d.join("helmwasm.yaml"),
                d.join("s.json"),
                d.join("v.yaml.hbs")
            ]
        );
    }

    #[test]
    fn paths_are_made_relative_with_dot_dot_where_needed() {
        let r = |p: &str, b: &str| relative(Path::new(p), Path::new(b)).display().to_string();
        assert_eq!(r("/repo/app/values/a.yaml", "/repo/app"), "values/a.yaml");
        assert_eq!(r("/repo/common/c.yaml", "/repo/app"), "../common/c.yaml");
        assert_eq!(r("/repo/app", "/repo/app"), ".");
    }

    /// The fingerprint follows every file's content but a secret file's, and every path.
    #[test]
    fn the_fingerprint_follows_contents_and_paths_but_not_secrets() {
        let dir = tempfile::tempdir().unwrap();
        let base = crate::paths::clean(&std::path::absolute(dir.path()).unwrap());
        let (values, secret, plugins) =
            (base.join("v.yaml"), base.join("pw"), base.join("plugins"));
        std::fs::write(&values, "a: 1\n").unwrap();
        std::fs::write(&secret, "hunter2hunter2").unwrap();
        std::fs::create_dir(&plugins).unwrap();
        let mut inputs = Inputs::default();
        inputs.add(&values, false, Scope::All, false);
        inputs.add(&secret, false, Scope::All, true);
        inputs.add(&plugins, true, Scope::All, false);
        let first = inputs.fingerprint(&base);
        assert!(first.starts_with("sha256:") && first.len() == 71, "{first}");
        std::fs::write(&secret, "another-password").unwrap();
        assert_eq!(
            inputs.fingerprint(&base),
            first,
            "a secret's content is not in it"
        );
        std::fs::write(&values, "a: 2\n").unwrap();
        let second = inputs.fingerprint(&base);
        assert_ne!(second, first);
        std::fs::write(plugins.join("p.wasm"), "x").unwrap();
        assert_ne!(
            inputs.fingerprint(&base),
            second,
            "a file added to a folder"
        );
        assert_eq!(
            inputs.files(),
            [
                (plugins.join("p.wasm"), false),
                (secret.clone(), true),
                (values.clone(), false)
            ]
        );
    }
}
