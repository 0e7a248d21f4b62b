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
//!
//! The Application's author is not trusted with the sidecar (SECURITY.md): `file` names a file
//! inside the application's folder only (relative, no `..` out of it, no symlink out of it);
//! `set` / `set-string` values are literals, passed as data (a comma or `=` in a value is part
//! of it), and one that looks like a secret reference is refused; the pipeline's own references
//! resolve only from what the operator allows with `--allow-env`, `--allow-file-dir` and
//! `--allow-aws-prefix` (in the plugin's `generate` command), nothing by default.

use super::{How, Session};
use crate::cli::{ArgocdGenerateArgs, Cli, PipelineArgs, SetArgs};
use crate::events::Event;
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
        source: args.source.clone(),
        helm_memory: None,
        helm_timeout: None,
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
        // The sidecar's HELMWASM_CONCURRENCY (or --concurrency), else one thread per core.
        threads: args.threads.clone(),
        set: SetArgs::default(),
    };
    // The application's plugin env first; its parameters override it.
    if let Some(e) = env("ARGOCD_ENV_HELMWASM_ENVIRONMENT") {
        pipeline.environment = Some(e);
    }
    if let Some(f) = env("ARGOCD_ENV_HELMWASM_FILE") {
        pipeline.file = confine(&f, "ARGOCD_ENV_HELMWASM_FILE")?;
    }
    if let Some(l) = env("ARGOCD_ENV_HELMWASM_SELECTOR") {
        pipeline.selectors.push(l);
    }
    if let Some(text) = env("ARGOCD_APP_PARAMETERS") {
        apply_parameters(&text, &mut pipeline)?;
    }
    let session = Session::new(cli)?;
    let mut show = |e: Event, r: &Redactor| crate::printer::print_event(cli, e, r);
    let allowed = allowed(args)?;
    // Values files, schema and local chart paths inside the application's folder only, and
    // values templates' `env` only for what the operator allows.
    crate::paths::confine(crate::paths::Confinement {
        root: repository_root()?,
        env: allowed.env.clone(),
    });
    let how = How {
        allowed_secrets: Some(allowed),
        ..How::default()
    };
    let outcome = session.run(&pipeline, how, redactor, &mut show)?;
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

/// The application's repository checkout: the working directory less Argo CD's
/// `ARGOCD_APP_SOURCE_PATH` (the app's path in the repository), else the working directory.
/// Values files and local charts may come from anywhere in it (a monorepo's shared charts),
/// never from outside it.
fn repository_root() -> Result<PathBuf> {
    let here = std::env::current_dir()
        .and_then(std::fs::canonicalize)
        .context("cannot read the application's folder")?;
    let source = std::env::var("ARGOCD_APP_SOURCE_PATH").unwrap_or_default();
    let depth = std::path::Path::new(source.trim_matches('/'))
        .components()
        .filter(|c| matches!(c, std::path::Component::Normal(_)))
        .count();
    Ok(here
        .ancestors()
        .nth(depth)
        .map_or_else(|| here.clone(), std::path::Path::to_path_buf))
}

/// What the operator lets the Application's references read (`--allow-*`).
fn allowed(args: &ArgocdGenerateArgs) -> Result<crate::secrets::Allowed> {
    let mut file_dirs = Vec::new();
    for d in &args.allow_file_dirs {
        file_dirs.push(std::fs::canonicalize(d).with_context(|| {
            format!("--allow-file-dir {}: not a folder that exists", d.display())
        })?);
    }
    Ok(crate::secrets::Allowed {
        env: args.allow_env.clone(),
        file_dirs,
        aws_prefixes: args.allow_aws_prefixes.clone(),
    })
}

/// A pipeline file named by the Application (`what`: the parameter), confined to the
/// application's folder (the current one): relative, not leaving it through `..` or a symlink.
/// The error names the parameter, never what the path holds.
fn confine(path: &str, what: &str) -> Result<PathBuf> {
    let shown = crate::term::line(path);
    let p = PathBuf::from(path);
    if p.is_absolute() {
        bail!(
            "{what} `{shown}` is refused: it must name a file inside the application's folder (a relative path)"
        );
    }
    let clean = path_clean::clean(&p);
    if clean.components().next() == Some(std::path::Component::ParentDir) {
        bail!("{what} `{shown}` is refused: it leaves the application's folder (`..`)");
    }
    let here = std::env::current_dir()
        .and_then(std::fs::canonicalize)
        .context("cannot read the application's folder")?;
    match std::fs::canonicalize(&clean) {
        Ok(real) if real.starts_with(&here) && real.is_file() => Ok(clean),
        Ok(real) if real.starts_with(&here) => {
            bail!("{what} `{shown}` is refused: it is not a file")
        }
        Ok(_) => bail!(
            "{what} `{shown}` is refused: it leads out of the application's folder (a symlink)"
        ),
        Err(_) => bail!("{what} `{shown}`: no such file in the application's folder"),
    }
}

/// A `set` / `set-string` value as the `--set` text that means exactly it: the characters
/// `--set` reads as syntax (`\`, `,`, `{`, `}`) escaped, so a value sets one key.
fn escape_set_value(v: &str) -> String {
    let mut out = String::with_capacity(v.len());
    for c in v.chars() {
        if matches!(c, '\\' | ',' | '{' | '}') {
            out.push('\\');
        }
        out.push(c);
    }
    out
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
                .map(|(k, v)| {
                    let key = crate::term::line(k);
                    let Some(v) = v.as_str() else {
                        bail!("parameter `{name}`: `{key}` must be a string");
                    };
                    // A key is a values path: one, never several.
                    if k.is_empty() || k.contains([',', '=', '\\']) {
                        bail!("parameter `{name}`: `{key}` is not a values path (no `,`, `=` or `\\` in a key)");
                    }
                    if v.starts_with(crate::secrets::PREFIX) {
                        bail!(
                            "parameter `{name}`: the value of `{key}` looks like a secret reference (`ref+…`): Argo CD parameters are literal values, and the sidecar's secrets are not the Application's to read; put the reference in the pipeline file, where the operator's allow-list applies"
                        );
                    }
                    Ok(format!("{k}={}", escape_set_value(v)))
                })
                .collect()
        };
        match name {
            "environment" => p.environment = Some(string()?),
            "file" => p.file = confine(&string()?, "parameter `file`")?,
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
            source: Default::default(),
            helm_memory: None,
            helm_timeout: None,
            threads: Default::default(),
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
    fn a_value_sets_one_key_whatever_it_holds() {
        let mut p = args();
        apply_parameters(
            r#"[{"name":"set","map":{"a":"x,b=2","l":"{1,2}","e":"back\\slash"}},{"name":"set-string","map":{"s":"1,c=3"}}]"#,
            &mut p,
        )
        .unwrap();
        let o = crate::commands::overrides(&p.set).unwrap();
        let mut values = serde_json::Map::new();
        o.apply(&mut values).unwrap();
        assert_eq!(
            Value::Object(values),
            serde_json::json!({"a": "x,b=2", "l": "{1,2}", "e": "back\\slash", "s": "1,c=3"})
        );
    }

    #[test]
    fn a_parameter_value_that_looks_like_a_reference_is_refused() {
        for (param, value) in [
            ("set", "ref+env://HOME"),
            ("set-string", "ref+file:///etc/passwd"),
        ] {
            let text = format!(r#"[{{"name":"{param}","map":{{"a":"{value}"}}}}]"#);
            let e = apply_parameters(&text, &mut args())
                .unwrap_err()
                .to_string();
            assert!(e.contains("looks like a secret reference"), "{e}");
        }
        for key in ["a,b", "a=b"] {
            let text = format!(r#"[{{"name":"set","map":{{"{key}":"1"}}}}]"#);
            assert!(apply_parameters(&text, &mut args()).is_err(), "{key}");
        }
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
