//! `helmwasm lint`: every stage and every check of a `template` run, nothing written; each
//! finding printed as a [`Diagnostic`] with its stable code, in the format asked for.
//!
//! Secret references are only checked for shape unless `--resolve-secrets` is given: steps
//! get placeholders; a step that fails on one runs again with it in other shapes
//! ([`crate::secrets::shapes`]), and only a failure that evidence does not pin on the step is
//! a warning (HW0204), not an error.

use super::Outcome;
use super::{How, Session};
use crate::checks::Problem;
use crate::cli::{Cli, FailOn, LintArgs, LintFormat};
use crate::diagnostics::{self, Diagnostic, Locator, Severity, format};
use crate::events::Event;
use crate::redact::Redactor;
use crate::runtime::Severity as PluginSeverity;
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
    let locator = Locator::new(&args.pipeline.file);
    let mut found: Vec<Found> = Vec::new();
    let mut collect = |e: Event, r: &Redactor| {
        match e {
        Event::Diagnostic {
            tag,
            severity,
            message,
            path,
        } => {
            let severity = match severity {
                PluginSeverity::Warning => Severity::Warning,
                _ => Severity::Note,
            };
            found.push(Found::Ready(locator.step_diagnostic(
                severity,
                &diagnostics::PLUGIN_WARNING,
                &tag,
                r.redact(&message),
                path.map(|p| r.redact(&p)),
            )));
        }
        Event::Truncated { tag, what } => found.push(Found::Ready(locator.step_diagnostic(
            Severity::Warning,
            &diagnostics::TRUNCATED,
            &tag,
            format!("dropped {what}"),
            None,
        ))),
        Event::StepSkipped { tag, message } => found.push(Found::Ready(locator.step_diagnostic(
            Severity::Warning,
            &diagnostics::NEEDS_SECRETS,
            &tag,
            format!(
                "did not run: it failed on the placeholders lint gives for secret references (run `lint --resolve-secrets` where the secrets are available); the release was linted without it: {}",
                r.redact(&message)
            ),
            None,
        ))),
        Event::Warning { release, problem } => found.push(Found::Warning(release, problem)),
        other => crate::printer::print_event(cli, other, r),
    }
    };
    let result = session.run(&args.pipeline, how, redactor, &mut collect);
    let redactor: &Redactor = redactor;
    let mut out: Vec<Diagnostic> = Vec::new();
    match result {
        Err(failure) => out.extend(diagnostics::from_failure(&locator, &failure, redactor)),
        Ok(outcome) => {
            let provenance = |release: &str| {
                outcome
                    .render
                    .releases
                    .iter()
                    .find(|r| r.name == release)
                    .map(|r| &r.provenance)
                    .or_else(|| {
                        outcome
                            .failures
                            .iter()
                            .find(|f| f.release.as_deref() == Some(release))
                            .and_then(|f| f.provenance.as_ref())
                    })
            };
            for f in found {
                out.push(match f {
                    Found::Ready(d) => d,
                    Found::Warning(release, p) => locator.problem(
                        Severity::Warning,
                        &release,
                        provenance(&release),
                        &p,
                        redactor,
                    ),
                });
            }
            for f in &outcome.failures {
                out.extend(diagnostics::from_failure(&locator, f, redactor));
            }
            for r in &outcome.render.releases {
                if let Some(s) = &r.skipped {
                    out.push(
                        Diagnostic::new(
                            Severity::Warning,
                            &diagnostics::CHART_NOT_RENDERED,
                            redactor.redact(&format!(
                                "chart not rendered, values and emitted manifests checked only: {}; {}",
                                s.reason, s.hint_and_more()
                            )),
                        )
                        .release(&r.name),
                    );
                }
            }
        }
    }
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

/// A finding as it arrives: plugin events are located at once; a check's warning waits for
/// the release's provenance.
enum Found {
    Ready(Diagnostic),
    Warning(String, Problem),
}
