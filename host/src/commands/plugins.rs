//! `helmwasm plugins list`, `plugins precompile` and `plugin new`.

use crate::cli::{Cli, ListArgs, PluginNewArgs};
use crate::registry::{self, Registry};
use crate::spec;
use anyhow::{Context as _, Result};
use std::io::Write;
use std::path::Path;

pub fn list(cli: &Cli, args: &ListArgs) -> Result<()> {
    let registry = load_all(cli, args)?;
    let rows: Vec<[String; 5]> = registry
        .iter()
        .map(|p| {
            [
                p.name.clone(),
                p.version.to_string(),
                p.source.to_string(),
                p.stage_list().replace(", ", ","),
                p.description.clone(),
            ]
        })
        .collect();
    let header = ["NAME", "VERSION", "SOURCE", "STAGES", "DESCRIPTION"].map(String::from);
    let widths: Vec<usize> = (0..4)
        .map(|i| {
            rows.iter()
                .chain([&header])
                .map(|r| r[i].len())
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut out = String::new();
    for r in std::iter::once(&header).chain(&rows) {
        for (i, w) in widths.iter().enumerate() {
            out.push_str(&format!("{:w$}  ", r[i], w = *w));
        }
        out.push_str(&r[4]);
        out.push('\n');
    }
    out.push_str("\nCHART RULES (the host's, for the charts helmwasm knows)\n");
    for line in crate::checks::known::describe() {
        out.push_str(&format!("{line}\n"));
    }
    std::io::stdout()
        .write_all(out.as_bytes())
        .context("cannot write to stdout")?;
    Ok(())
}

/// `helmwasm plugins precompile`: compile every plugin into the cache (and its metadata
/// beside it); a run after it compiles nothing. Built-ins whose code came precompiled with
/// helmwasm only get their metadata cached.
pub fn precompile(cli: &Cli, args: &ListArgs) -> Result<()> {
    let runtime = super::runtime(cli)?;
    let Some(dir) = runtime.cache_dir().map(Path::to_path_buf) else {
        anyhow::bail!(
            "--no-cache leaves nowhere to put compiled plugins; drop it, or name a folder with --cache-dir"
        );
    };
    let registry = load_with(&runtime, args)?;
    if !cli.quiet {
        let n = registry.iter().count();
        eprintln!(
            "{n} plugin{} ready in {}",
            if n == 1 { "" } else { "s" },
            dir.display()
        );
    }
    Ok(())
}

/// Every plugin: the built-ins, `--plugin-dir` and the pipeline's `plugins.dirs`.
fn load_all(cli: &Cli, args: &ListArgs) -> Result<Registry> {
    load_with(&super::runtime(cli)?, args)
}

fn load_with(runtime: &crate::runtime::Runtime, args: &ListArgs) -> Result<Registry> {
    let pipeline_dirs = match &args.file {
        Some(path) => {
            let file = spec::load(path)?;
            let base = crate::paths::folder(path);
            file.plugins
                .dirs
                .iter()
                .map(|d| crate::paths::join(&base, d))
                .collect()
        }
        None => Vec::new(),
    };
    let dirs = registry::dirs(&args.plugin_dirs, &pipeline_dirs, args.file.as_deref());
    Registry::load(
        runtime,
        crate::builtin::PLUGINS,
        &dirs,
        &registry::Want::All,
        crate::parallel::default_threads(),
    )
}

/// `helmwasm plugin new NAME`: a plugin crate of its own (its own workspace), from the
/// README's example, with a native unit test; it builds for `wasm32-wasip2` as written.
pub fn new(args: &PluginNewArgs) -> Result<()> {
    let name = &args.name;
    let valid = !name.is_empty()
        && name.len() <= 63
        && name.starts_with(|c: char| c.is_ascii_lowercase())
        && !name.ends_with('-')
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if !valid {
        anyhow::bail!(
            "`{}` is not a plugin name: use lowercase letters, digits and `-`, starting with a letter (e.g. `org-labels`)",
            crate::term::line(name)
        );
    }
    let dir = args.path.clone().unwrap_or_else(|| name.into());
    if dir.exists()
        && std::fs::read_dir(&dir)
            .map(|mut d| d.next().is_some())
            .unwrap_or(true)
    {
        anyhow::bail!(
            "{} exists and is not empty: choose another --path",
            dir.display()
        );
    }
    let sdk = match &args.sdk_path {
        Some(p) => {
            let p = std::path::absolute(p)
                .with_context(|| format!("cannot resolve {}", p.display()))?;
            if !p.join("Cargo.toml").is_file() {
                anyhow::bail!(
                    "{} holds no Cargo.toml: --sdk-path is the SDK's folder (plugins/sdk in the helmwasm repository)",
                    p.display()
                );
            }
            format!("{{ path = {:?} }}", p.display().to_string())
        }
        None => format!("\"={}\"", env!("CARGO_PKG_VERSION")),
    };
    let files = scaffold(name, &sdk);
    for (rel, text) in &files {
        let path = dir.join(rel);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("cannot create {}", parent.display()))?;
        }
        std::fs::write(&path, text).with_context(|| format!("cannot write {}", path.display()))?;
    }
    let mut out = std::io::stdout().lock();
    let _ = writeln!(
        out,
        "created plugin `{name}` in {}\n\n  cd {}\n  cargo test                                        # the unit test, natively\n  cargo build --release --target wasm32-wasip2      # the component\n  cp target/wasm32-wasip2/release/{}.wasm PLUGIN_DIR/",
        dir.display(),
        dir.display(),
        name.replace('-', "_")
    );
    if args.sdk_path.is_none() {
        let _ = writeln!(
            out,
            "\nnote: the SDK is not published to crates.io yet; until it is, point Cargo.toml at a checkout (`helmwasm plugin new {name} --sdk-path PATH/TO/helmwasm/plugins/sdk`)"
        );
    }
    Ok(())
}

/// A new plugin's `.cargo/config.toml`: the built-in plugins' linker setting (see the
/// repository's own `.cargo/config.toml`).
const PLUGIN_CARGO_CONFIG: &str = r#"# Start with 4 MiB of linear memory (the linker's default is ~1 MiB): a call that fits never
# grows its memory, which spares helmwasm's instance pool an `mprotect` (and a TLB shootdown
# across its threads) per call.
[target.wasm32-wasip2]
rustflags = ["-C", "link-arg=--initial-memory=4194304"]
"#;

/// The files of a new plugin: (relative path, text).
fn scaffold(name: &str, sdk: &str) -> Vec<(&'static str, String)> {
    let ty: String = name
        .split('-')
        .map(|w| {
            let mut c = w.chars();
            c.next()
                .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
                .unwrap_or_default()
        })
        .collect();
    let cargo = format!(
        r#"[package]
name = "{name}"
description = "A helmwasm plugin"
version = "0.1.0"
edition = "2024"
rust-version = "1.95"
publish = false

# A cdylib is the component; the rlib lets `cargo test` run the plugin's logic natively.
[lib]
crate-type = ["cdylib", "rlib"]

[dependencies]
helmwasm-plugin-sdk = {sdk}

# Its own workspace: the plugin builds wherever it is put.
[workspace]
"#
    );
    let lib = format!(
        r#"//! `{name}`: a helmwasm plugin. `metadata()` runs when helmwasm scans the plugin folder
//! (name, version, description, config schema); `run` is one pipeline step. Values and
//! config cross the boundary as JSON text; the SDK parses them into `serde_json::Value`.

use helmwasm_plugin_sdk::{{Metadata, Plugin, PluginError, Request, Response, export_plugin, json, values}};

pub struct {ty};

impl Plugin for {ty} {{
    fn metadata() -> Metadata {{
        Metadata::new("{name}", env!("CARGO_PKG_VERSION"), "Pause new DAGs at creation")
            .config_schema(json!({{
                "type": "object", "additionalProperties": false,
                "properties": {{"paused": {{"type": "boolean", "default": true}}}}
            }}))
    }}

    fn run(req: Request) -> Result<Response, PluginError> {{
        let paused = req.config.get("paused").cloned().unwrap_or(json!(true));
        let mut out = Response::new(req.values);
        values::set(&mut out.values, "config.core.dags_are_paused_at_creation", paused)?;
        Ok(out)
    }}
}}

export_plugin!({ty});

#[cfg(test)]
mod tests {{
    use super::*;
    use helmwasm_plugin_sdk::Release;

    #[test]
    fn sets_the_key_from_its_config() {{
        let req = Request {{
            release: Release {{
                name: "r".into(),
                namespace: "ns".into(),
                chart: "c".into(),
                chart_version: "1.0.0".into(),
                environment: "default".into(),
            }},
            values: json!({{"config": {{"core": {{}}}}}}),
            environment_values: json!({{}}),
            config: json!({{"paused": false}}),
        }};
        let out = {ty}::run(req).unwrap();
        assert_eq!(out.values["config"]["core"]["dags_are_paused_at_creation"], json!(false));
    }}
}}
"#
    );
    let readme = format!(
        r#"# {name}

A [helmwasm](https://example.invalid/helmwasm) plugin: a WebAssembly component built for
`wasm32-wasip2` against the `helmwasm:plugin@{world}` world, through the helmwasm plugin SDK.
It is a values step (`steps:`); for a post-render step (`postRender:`) implement the SDK's
`PostRender` trait and call `export_post_render!` instead.

```sh
rustup target add wasm32-wasip2
cargo test                                      # the logic, natively
cargo build --release --target wasm32-wasip2    # the component
cp target/wasm32-wasip2/release/{file}.wasm /path/to/pipeline/plugins/
helmwasm plugins list --plugin-dir /path/to/pipeline/plugins
```

Then, in `helmwasm.yaml` (with `plugins: {{dirs: [plugins]}}`):

```yaml
steps:
  - plugin: {name}
    with:
      paused: true
```

What crosses the boundary: the release (name, namespace, chart, version, environment), the
values so far, the environment's values and the step's `with:` config, all as JSON; the
plugin returns the new values, any manifests to emit and diagnostics. The host validates the
config against the schema `metadata()` reports, before `run`. It does not fill in a
namespace or labels on emitted objects: set them yourself (emitted objects must be namespaced
`v1` Secrets or ConfigMaps in the release namespace unless the step's `allow:` grants more).
The plugin gets no files, network, environment or real clock, and runs within memory, time
and output limits.
"#,
        file = name.replace('-', "_"),
        world = crate::runtime::NEWEST_WORLD
    );
    vec![
        ("Cargo.toml", cargo),
        (".cargo/config.toml", PLUGIN_CARGO_CONFIG.to_owned()),
        ("src/lib.rs", lib),
        ("README.md", readme),
        (".gitignore", "/target\n".to_owned()),
    ]
}
