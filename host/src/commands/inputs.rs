//! `helmwasm inputs`: the local files each selected release is made from (the pipeline file,
//! values files and `.hbs` templates, `ref+file` secret files, plugin folders' files, a local
//! chart), read from the plan without resolving a secret or running a step, and each release's
//! input fingerprint; as a list (CI path filters), as Argo CD's
//! `argocd.argoproj.io/manifest-generate-paths` value, or as JSON. The set is the one
//! `preview` watches ([`crate::inputs`]).

use crate::cli::{InputsArgs, InputsFormat};
use crate::inputs::{self, Inputs, relative};
use crate::plan::Selection;
use anyhow::{Context as _, Result};
use serde_json::json;
use std::io::Write as _;
use std::path::Path;

pub fn run(args: &InputsArgs) -> Result<()> {
    let p = &args.pipeline;
    let selection = Selection {
        environment: p.environment.clone(),
        selectors: p.selectors.clone(),
        overrides: super::overrides(&p.set)?,
    };
    let all = inputs::read(&p.file, &selection, &p.plugin_dirs)?;
    let cwd = std::env::current_dir().context("cannot read the current folder")?;
    let base = crate::paths::clean(&std::path::absolute(crate::paths::folder(&p.file))?);
    let text = format(&all, args.output, &cwd, &base);
    let mut stdout = std::io::stdout().lock();
    stdout
        .write_all(text.as_bytes())
        .and_then(|_| stdout.flush())
        .context("cannot write to stdout")
}

/// The inputs in the asked form: paths relative to `cwd` (list, JSON) or to the pipeline
/// file's folder `base` (Argo CD, whose relative paths are the application's folder's).
pub fn format(all: &Inputs, form: InputsFormat, cwd: &Path, base: &Path) -> String {
    let shown = |path: &Path| crate::term::line(&relative(path, cwd).display().to_string());
    match form {
        InputsFormat::List => {
            let mut out = String::new();
            for r in &all.releases {
                let mine = all.of_release(r);
                out += &format!("# {} {}\n", crate::term::line(r), mine.fingerprint(base));
                for (path, _) in mine.files() {
                    out += &shown(&path);
                    out.push('\n');
                }
            }
            out
        }
        InputsFormat::Argocd => {
            let paths: Vec<String> = all
                .paths
                .keys()
                .map(|path| crate::term::line(&relative(path, base).display().to_string()))
                .collect();
            format!("{}\n", paths.join(";"))
        }
        InputsFormat::Json => {
            let releases: Vec<_> = all
                .releases
                .iter()
                .map(|r| {
                    let mine = all.of_release(r);
                    let files: Vec<_> = mine
                        .files()
                        .into_iter()
                        .map(|(path, secret)| json!({"path": relative(&path, cwd), "secret": secret}))
                        .collect();
                    json!({"name": r, "fingerprint": mine.fingerprint(base), "files": files})
                })
                .collect();
            format!("{:#}\n", json!({ "releases": releases }))
        }
    }
}
