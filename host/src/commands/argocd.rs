//! `helmwasm argocd generate`: the `generate` command of the Argo CD config management plugin
//! (`deploy/argocd/plugin.yaml`), reading Argo CD's contract so the sidecar config stays one
//! line.
//!
//! Argo CD runs it in the application's folder (the pipeline file is `helmwasm.yaml` there,
//! or the `file` parameter), with stdin closed and no terminal. It reads:
//!
//! - `ARGOCD_APP_PARAMETERS`, the JSON list of the application's plugin parameters:
//!   `environment` (string), `selectors` (array, each `key=value[,…]`), `set` and
//!   `set-string` (maps of values paths to values, applied as `--set` / `--set-string` in key
//!   order), `file` (string); any other name is an error;
//! - the application's plugin env (`spec.source.plugin.env`, which Argo CD prefixes with
//!   `ARGOCD_ENV_`): `HELMWASM_ENVIRONMENT`, `HELMWASM_SELECTOR` (one selector) and
//!   `HELMWASM_FILE`, used when the parameters do not say;
//! - `KUBE_VERSION` and `KUBE_API_VERSIONS` (comma-separated), passed to `helm template` as
//!   `--kube-version` and `--api-versions`.
//!
//! It renders as `template --strict` (a skipped chart is an error) and prints the manifests
//! only, Secret data as it is: Argo CD applies them. Everything else (notes, warnings,
//! errors, redacted) goes to stderr; exit codes as `template`.

use super::{How, Session};
use crate::cli::{ArgocdGenerateArgs, Cli, PipelineArgs, SetArgs};
use crate::execute::Event;
use crate::redact::Redactor;
use anyhow::{Context as _, Result, bail};
use serde_json::Value;
use std::io::Write;
use std::path::PathBuf;

/// The parameters a CMP application may set (`deploy/argocd/plugin.yaml` announces them).
pub const PARAMETERS: &[&str] = &["environment", "selectors", "set", "set-string", "file"];

pub fn generate(cli: &Cli, args: &ArgocdGenerateArgs, redactor: &mut Redactor) -> Result<()> {
    let env = |k: &str| std::env::var(k).ok().filter(|v| !v.trim().is_empty());
    let mut pipeline = PipelineArgs {
        file: PathBuf::from("helmwasm.yaml"),
        environment: None,
        selectors: Vec::new(),
        plugin_dirs: args.plugin_dirs.clone(),
        strict: true,
        offline: false,
        helm: None,
        kube_version: env("KUBE_VERSION"),
        api_versions: env("KUBE_API_VERSIONS")
            .map(|v| {
                v.split(',')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default(),
        // HELMWASM_CONCURRENCY in the sidecar's env, else one thread per core.
        concurrency: None,
        set: SetArgs::default(),
    };
    // The application's plugin env first; its parameters override it.
    if let Some(e) = env("ARGOCD_ENV_HELMWASM_ENVIRONMENT") {
        pipeline.environment = Some(e);
    }
    if let Some(f) = env("ARGOCD_ENV_HELMWASM_FILE") {
        pipeline.file = PathBuf::from(f);
    }
    if let Some(l) = env("ARGOCD_ENV_HELMWASM_SELECTOR") {
        pipeline.selectors.push(l);
    }
    if let Some(text) = env("ARGOCD_APP_PARAMETERS") {
        apply_parameters(&text, &mut pipeline)?;
    }
    let session = Session::new(cli)?;
    let mut show = |e: Event, r: &Redactor| crate::cli::print_event(cli, e, r);
    let outcome = session.run(&pipeline, How::default(), redactor, &mut show)?;
    let redactor: &Redactor = redactor;
    if !outcome.failures.is_empty() {
        return Err(super::fail(outcome.failures, redactor));
    }
    let text = crate::output::to_stream(&outcome.render, outcome.threads);
    let mut stdout = std::io::stdout().lock();
    stdout
        .write_all(text.as_bytes())
        .and_then(|_| stdout.flush())
        .context("cannot write to stdout")
}

/// Read Argo CD's parameter list into the pipeline arguments.
fn apply_parameters(text: &str, p: &mut PipelineArgs) -> Result<()> {
    let list: Vec<Value> = serde_json::from_str(text)
        .context("ARGOCD_APP_PARAMETERS is not the JSON list Argo CD sends")?;
    for item in list {
        let name = item["name"].as_str().unwrap_or_default();
        let string = || -> Result<String> {
            item["string"]
                .as_str()
                .map(str::to_owned)
                .with_context(|| format!("parameter `{name}` takes a string"))
        };
        let map = || -> Result<Vec<String>> {
            let m = item["map"]
                .as_object()
                .with_context(|| format!("parameter `{name}` takes a map"))?;
            // serde_json's map is ordered by key: the same parameters, the same arguments.
            m.iter()
                .map(|(k, v)| match v.as_str() {
                    Some(v) => Ok(format!("{k}={v}")),
                    None => bail!("parameter `{name}`: `{k}` must be a string"),
                })
                .collect()
        };
        match name {
            "environment" => p.environment = Some(string()?),
            "file" => p.file = PathBuf::from(string()?),
            "selectors" => {
                p.selectors.clear();
                let items = item["array"]
                    .as_array()
                    .with_context(|| format!("parameter `{name}` takes an array"))?;
                for s in items {
                    p.selectors.push(
                        s.as_str()
                            .context("parameter `selectors` holds strings")?
                            .to_owned(),
                    );
                }
            }
            "set" => p.set.set.extend(map()?),
            "set-string" => p.set.set_string.extend(map()?),
            other => bail!(
                "unknown parameter `{}` (the helmwasm plugin takes: {})",
                crate::term::line(other),
                PARAMETERS.join(", ")
            ),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args() -> PipelineArgs {
        PipelineArgs {
            file: "helmwasm.yaml".into(),
            environment: None,
            selectors: vec![],
            plugin_dirs: vec![],
            strict: true,
            offline: false,
            helm: None,
            concurrency: None,
            kube_version: None,
            api_versions: vec![],
            set: SetArgs::default(),
        }
    }

    #[test]
    fn parameters_map_to_arguments() {
        let mut p = args();
        apply_parameters(
            r#"[{"name":"environment","string":"prod"},{"name":"selectors","array":["app=airflow","tier!=x"]},
               {"name":"set","map":{"b.c":"2","a":"1"}},{"name":"set-string","map":{"s":"007"}}]"#,
            &mut p,
        )
        .unwrap();
        assert_eq!(p.environment.as_deref(), Some("prod"));
        assert_eq!(p.selectors, ["app=airflow", "tier!=x"]);
        assert_eq!(p.set.set, ["a=1", "b.c=2"]);
        assert_eq!(p.set.set_string, ["s=007"]);
    }

    #[test]
    fn wrong_parameters_are_errors() {
        for bad in [
            r#"[{"name":"enviroment","string":"prod"}]"#,
            r#"[{"name":"environment","array":["prod"]}]"#,
            r#"[{"name":"set","map":{"a":1}}]"#,
            "not json",
        ] {
            assert!(apply_parameters(bad, &mut args()).is_err(), "{bad}");
        }
    }
}
