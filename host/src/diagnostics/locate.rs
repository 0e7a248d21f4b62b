//! Turning what the stages report into located [`Diagnostic`]s: a check's values path is
//! traced to the file and line that set it ([`crate::provenance`]), a step to its place in
//! the pipeline file, a YAML error to its own position.

use super::{Code, Diagnostic, Severity};
use crate::checks::Problem;
use crate::events::{StepFailed, StepTag};
use crate::pipeline::Failure;
use crate::plan::StepKind;
use crate::provenance::{Origin, Provenance};
use crate::redact::Redactor;
use crate::spec::{LoadError, SpecError};
use crate::yaml::{self, YamlError};
use serde_json::Value;
use std::collections::HashMap;
use std::path::Path;

/// Positions in the pipeline file, read once per run.
#[derive(Default)]
pub struct Locator {
    file: String,
    document: Value,
    lines: HashMap<String, usize>,
}

impl Locator {
    /// Read the pipeline file's key positions; a file that cannot be read locates nothing.
    pub fn new(pipeline: &Path) -> Self {
        let text = std::fs::read_to_string(pipeline).unwrap_or_default();
        let (document, lines) = yaml::parse_values_with_lines(&text, pipeline).unwrap_or_default();
        Locator {
            file: pipeline.display().to_string(),
            document,
            lines,
        }
    }

    /// The pipeline file and the line of a key path in it (`releases[0].steps[2]`).
    fn pipeline_at(&self, key: &str) -> (String, Option<usize>) {
        (self.file.clone(), self.lines.get(key).copied())
    }

    /// `releases[I].steps[N-1]` (or `postRender[N-1]`) for step N of a release.
    fn step_key(&self, release: &str, kind: StepKind, number: usize) -> Option<String> {
        let releases = self.document.get("releases")?.as_array()?;
        let i = releases.iter().position(|r| r["name"] == release)?;
        let list = match kind {
            StepKind::Values => "steps",
            StepKind::PostRender => "postRender",
        };
        Some(format!("releases[{i}].{list}[{}]", number.checked_sub(1)?))
    }

    /// Where a values path was set: its layer's file and line, the pipeline file for an
    /// inline layer or a step, nothing for `--set` or a chart default.
    fn origin(&self, release: &str, origin: &Origin) -> Option<(String, Option<usize>)> {
        match origin {
            Origin::Layer { label, line, .. } => {
                if self.lines.contains_key(label) {
                    Some(self.pipeline_at(label))
                } else {
                    Some((label.clone(), *line))
                }
            }
            Origin::Step { number, .. } => {
                let key = self.step_key(release, StepKind::Values, *number)?;
                Some(self.pipeline_at(&key))
            }
            Origin::Set | Origin::Host(_) => None,
        }
    }

    /// A check's problem. Its `at` is a values path (located through the provenance) or an
    /// object of the render (located at the step that emitted it, when named).
    pub fn problem(
        &self,
        severity: Severity,
        release: &str,
        provenance: Option<&Provenance>,
        p: &Problem,
        redactor: &Redactor,
    ) -> Diagnostic {
        let mut d = Diagnostic::new(severity, p.code, redactor.redact(&p.message))
            .release(release)
            .path(&redactor.redact(&p.at));
        if let Some(origin) = provenance.and_then(|pr| pr.of(&p.at)) {
            if let Origin::Step { number, plugin } = origin {
                d = d.step(*number, plugin);
            }
            if let Some((file, line)) = self.origin(release, origin) {
                d = d.at(file, line, None);
            }
        }
        d
    }

    /// A plugin's warning or dropped output, at its step in the pipeline file.
    pub fn step_diagnostic(
        &self,
        severity: Severity,
        code: &'static Code,
        tag: &StepTag,
        message: String,
        path: Option<String>,
    ) -> Diagnostic {
        let mut d = Diagnostic::new(severity, code, message)
            .release(&tag.release)
            .step_of(tag.kind, tag.step, &tag.plugin);
        d.path = path;
        if let Some(key) = self.step_key(&tag.release, tag.kind, tag.step) {
            let (file, line) = self.pipeline_at(&key);
            d = d.at(file, line, None);
        }
        d
    }
}

/// A failed stage: each problem of a failed check phase on its own, anything else as one
/// diagnostic with the whole error chain as its message.
pub fn from_failure(locator: &Locator, f: &Failure, redactor: &Redactor) -> Vec<Diagnostic> {
    let severity = Severity::Error;
    if !f.problems.is_empty() {
        let release = f.release.as_deref().unwrap_or_default();
        return f
            .problems
            .iter()
            .map(|p| locator.problem(severity, release, f.provenance.as_ref(), p, redactor))
            .collect();
    }
    // A failed step's diagnostic names the release and step itself: its message starts below
    // the "release `x` step N (`p`) failed" context.
    let skip = usize::from(f.step.is_some() && f.error.downcast_ref::<StepFailed>().is_some());
    let message = f
        .error
        .chain()
        .skip(skip)
        .map(|c| c.to_string())
        .collect::<Vec<_>>()
        .join(": ");

    let mut d = Diagnostic::new(severity, f.code, redactor.redact(&message));
    d.release = f.release.clone();
    if let Some((n, plugin)) = &f.step {
        let kind = if f
            .step_path
            .as_deref()
            .is_some_and(|p| p.contains(".postRender["))
        {
            StepKind::PostRender
        } else {
            StepKind::Values
        };
        d = d.step_of(kind, *n, plugin);
    }
    if let Some(y) = yaml_error(&f.error) {
        d = d.at(y.file.display().to_string(), y.line, y.column);
    } else if let Some(s) = spec_error(&f.error) {
        let (file, line) = locator.pipeline_at(&s.path);
        d = d.at(file, line, None).path(&s.path);
    } else if let Some(key) = &f.step_path {
        let (file, line) = locator.pipeline_at(key);
        d = d.at(file, line, None);
    }
    vec![d]
}

fn yaml_error(e: &anyhow::Error) -> Option<&YamlError> {
    e.chain().find_map(|c| {
        c.downcast_ref::<YamlError>()
            .or_else(|| match c.downcast_ref::<LoadError>() {
                Some(LoadError::Yaml(y)) => Some(y),
                _ => None,
            })
    })
}

fn spec_error(e: &anyhow::Error) -> Option<&SpecError> {
    e.chain().find_map(|c| {
        c.downcast_ref::<SpecError>()
            .or_else(|| match c.downcast_ref::<LoadError>() {
                Some(LoadError::Spec(s)) => Some(s),
                _ => None,
            })
    })
}
