//! `helmwasm lint`: every stage and every check of a `template` run, nothing written; each
//! finding printed as a [`Diagnostic`] with its stable code, in the format asked for.
//!
//! Secret references are only checked for shape unless `--resolve-secrets` is given: steps
//! get placeholders; a step that fails on one runs again with it in other shapes
//! ([`crate::secrets::shapes`]), and only a failure that evidence does not pin on the step is
//! a warning (HW0204), not an error.

use super::Outcome;
use super::{How, Session};
use crate::cli::{Cli, FailOn, LintArgs, LintFormat};
use crate::diagnostics::{Collector, Locator, format};
use crate::events::Event;
use crate::redact::Redactor;
use crate::secrets;
use anyhow::{Context as _, Result};
use std::io::Write;

pub fn run(cli: &Cli, args: &LintArgs, redactor: &mut Redactor) -> Result<Outcome> {
    let session = Session::new(cli)?;
    let how = How {
        keep_going: true,
        secrets: if args.resolve_secrets {
            secrets::Mode::Resolve
        } else {
            secrets::Mode::Shape
        },
        ..How::default()
    };
    let mut collector = Collector::new(Locator::new(&args.pipeline.file));
    let mut collect = |e: Event, r: &Redactor| {
        if let Some(other) = collector.event(e, r) {
            crate::printer::print_event(cli, other, r);
        }
    };
    let result = session.run(&args.pipeline, how, redactor, &mut collect);
    let redactor: &Redactor = redactor;
    let mut out = collector.finish(&result, redactor);
    // Code scanning and annotations want a file for every finding: the pipeline file when
    // nothing more precise is known.
    for d in &mut out {
        if d.file.is_none() {
            d.file = Some(args.pipeline.file.display().to_string());
        }
    }
    let text = match args.output {
        LintFormat::Text => format::text(&out),
        LintFormat::Json => format::json(&out),
        LintFormat::Sarif => format::sarif(&out, env!("CARGO_PKG_VERSION")),
        LintFormat::Github => format::github(&out),
    };
    let text = match args.output {
        LintFormat::Text => crate::term::paint(&text),
        _ => text,
    };
    let mut stdout = anstream::AutoStream::auto(std::io::stdout().lock());
    stdout
        .write_all(text.as_bytes())
        .and_then(|_| stdout.flush())
        .context("cannot write to stdout")?;
    let (errors, warnings, _) = format::counts(&out);
    let fails = errors > 0 || (args.fail_on == FailOn::Warning && warnings > 0);
    Ok(if fails {
        Outcome::Failed
    } else {
        Outcome::Done(())
    })
}
