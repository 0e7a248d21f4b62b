//! `helmwasm write-values` (helmfile's verb): each selected release's final values file, ready
//! for `helm install -f`, and nothing else. Files are written as `template --output-dir`
//! writes: all staged, then renamed into place, mode 0600 when they hold a secret.

use super::{How, Session};
use crate::cli::{Cli, WriteValuesArgs};
use crate::events::Event;
use crate::redact::Redactor;
use crate::{output, yaml};
use anyhow::{Context as _, Result, bail};
use handlebars::Handlebars;
use std::path::PathBuf;

pub fn run(cli: &Cli, args: &WriteValuesArgs, redactor: &mut Redactor) -> Result<()> {
    let session = Session::new(cli)?;
    let mut show = |e: Event, r: &Redactor| crate::printer::print_event(cli, e, r);
    let outcome = session.run(&args.pipeline, How::default(), redactor, &mut show)?;
    let redactor: &Redactor = redactor;
    if !outcome.failures.is_empty() {
        return Err(super::fail(outcome.failures, redactor));
    }
    let environment = args
        .pipeline
        .environment
        .clone()
        .unwrap_or_else(|| "default".to_owned());
    let mut files = Vec::new();
    for r in &outcome.render.releases {
        let path = match &args.output_file_template {
            Some(t) => {
                let chart = r.chart.as_ref().map(|c| c.name.clone()).unwrap_or_default();
                let ctx = serde_json::json!({
                    "release": r.name, "namespace": r.namespace,
                    "environment": environment, "chart": chart,
                });
                let mut hb = Handlebars::new();
                hb.set_strict_mode(true);
                hb.register_escape_fn(handlebars::no_escape);
                let p = hb
                    .render_template(t, &ctx)
                    .with_context(|| format!("--output-file-template `{t}` cannot be rendered"))?;
                if p.trim().is_empty() {
                    bail!(
                        "--output-file-template `{t}` gives an empty path for release `{}`",
                        r.name
                    );
                }
                PathBuf::from(p)
            }
            None => args
                .output_dir
                .clone()
                .unwrap_or_else(|| PathBuf::from("."))
                .join(format!("{}.yaml", r.name)),
        };
        if files.iter().any(|(p, _)| *p == path) {
            bail!(
                "two releases would write {}: put `{{{{release}}}}` in --output-file-template",
                path.display()
            );
        }
        files.push((path, yaml::to_string(&r.values)));
    }
    for path in output::write_files(&files, redactor)? {
        if !cli.quiet {
            eprintln!("wrote {}", path.display());
        }
    }
    Ok(())
}
