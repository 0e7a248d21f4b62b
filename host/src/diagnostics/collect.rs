//! Every finding of one run as [`Diagnostic`]s: what `lint` prints and `preview` shows. The
//! run's events arrive one by one ([`Collector::event`]: plugin diagnostics are located at
//! once, a check's warning waits for its release's provenance), then the run's outcome adds
//! the failures and the charts that were not rendered ([`Collector::finish`]).

use super::{Diagnostic, Locator, Severity};
use crate::checks::Problem;
use crate::events::Event;
use crate::pipeline::{Failure, Outcome};
use crate::redact::Redactor;
use crate::runtime::Severity as PluginSeverity;

pub struct Collector {
    locator: Locator,
    found: Vec<Found>,
}

/// A finding as it arrives: plugin events are located at once; a check's warning waits for
/// the release's provenance.
enum Found {
    Ready(Diagnostic),
    Warning(String, Problem),
}

impl Collector {
    pub fn new(locator: Locator) -> Self {
        Collector {
            locator,
            found: Vec::new(),
        }
    }

    /// Take the event if it is a finding; any other event is given back.
    pub fn event(&mut self, e: Event, r: &Redactor) -> Option<Event> {
        let d = match e {
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
                self.locator.step_diagnostic(
                    severity,
                    &super::PLUGIN_WARNING,
                    &tag,
                    r.redact(&message),
                    path.map(|p| r.redact(&p)),
                )
            }
            Event::Truncated { tag, what } => self.locator.step_diagnostic(
                Severity::Warning,
                &super::TRUNCATED,
                &tag,
                format!("dropped {what}"),
                None,
            ),
            Event::StepSkipped { tag, message } => self.locator.step_diagnostic(
                Severity::Warning,
                &super::NEEDS_SECRETS,
                &tag,
                format!(
                    "did not run: it failed on the placeholders lint gives for secret references (run `lint --resolve-secrets` where the secrets are available); the release was linted without it: {}",
                    r.redact(&message)
                ),
                None,
            ),
            Event::Warning { release, problem } => {
                self.found.push(Found::Warning(release, problem));
                return None;
            }
            other => return Some(other),
        };
        self.found.push(Found::Ready(d));
        None
    }

    /// The findings of a run that ended with `result`, in the order they were found, then
    /// the failures, then the charts not rendered.
    pub fn finish(self, result: &Result<Outcome, Failure>, redactor: &Redactor) -> Vec<Diagnostic> {
        let Collector { locator, found } = self;
        let mut out: Vec<Diagnostic> = Vec::new();
        let outcome = match result {
            Err(failure) => {
                out.extend(super::from_failure(&locator, failure, redactor));
                return out;
            }
            Ok(outcome) => outcome,
        };
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
            out.extend(super::from_failure(&locator, f, redactor));
        }
        for r in &outcome.render.releases {
            if let Some(s) = &r.skipped {
                out.push(
                    Diagnostic::new(
                        Severity::Warning,
                        &super::CHART_NOT_RENDERED,
                        redactor.redact(&format!(
                            "chart not rendered, values and emitted manifests checked only: {}; {}",
                            s.reason,
                            s.hint_and_more()
                        )),
                    )
                    .release(&r.name),
                );
            }
        }
        out
    }
}
