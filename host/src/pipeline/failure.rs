//! A failed run or release: its diagnostic code, where it happened (release, step, the step's
//! place in the pipeline file), the problems of a failed check phase, and how those problems
//! read as one error.

use crate::checks::{self, Phase, Problem};
use crate::codes::Code;
use crate::plan::ReleasePlan;
use anyhow::{Result, bail};

/// A stage that failed (built once per failed run or release, so its size does not matter:
/// `clippy::result_large_err` is allowed where it is returned): its error as shown to people, and what `lint` needs to report it as
/// a [`crate::diagnostics::Diagnostic`] (the code, the release and step, and for failed checks each
/// problem on its own).
#[derive(Debug)]
pub struct Failure {
    pub code: &'static Code,
    pub release: Option<String>,
    /// The step number and plugin, for a failed step.
    pub step: Option<(usize, String)>,
    /// Where the step sits in the pipeline file (`releases[0].steps[4]`).
    pub step_path: Option<String>,
    /// The problems of a failed check phase, one by one, and where the release's values came
    /// from.
    pub problems: Vec<Problem>,
    pub provenance: Option<crate::provenance::Provenance>,
    pub error: anyhow::Error,
}

impl Failure {
    pub fn new(code: &'static Code, error: anyhow::Error) -> Self {
        Failure {
            code,
            release: None,
            step: None,
            step_path: None,
            problems: Vec::new(),
            provenance: None,
            error,
        }
    }

    pub(super) fn release(mut self, name: &str) -> Self {
        self.release = Some(name.to_owned());
        self
    }
}

impl From<Failure> for anyhow::Error {
    fn from(f: Failure) -> anyhow::Error {
        f.error
    }
}

/// All problems of one phase in one error, a section per check.
pub(super) fn report(
    release: &ReleasePlan,
    phase: Phase,
    input: &checks::Input,
    found: Vec<(&'static str, Vec<checks::Problem>)>,
) -> Result<()> {
    if found.is_empty() {
        return Ok(());
    }
    let plural = |n: usize| if n == 1 { "" } else { "s" };
    let mut sections = Vec::new();
    let mut cross = Vec::new();
    for (name, problems) in found {
        if name == "schema" {
            let label = input
                .schema
                .as_ref()
                .map(|(_, l)| l.as_str())
                .unwrap_or_default();
            sections.push(format!(
                "{} value{} {} not match the chart schema {label} (chart defaults merged under the rendered values):\n- {}",
                problems.len(),
                plural(problems.len()),
                if problems.len() == 1 { "does" } else { "do" },
                join(&problems)
            ));
        } else {
            cross.extend(problems);
        }
    }
    if !cross.is_empty() {
        let what = match phase {
            Phase::Values => "cross-check",
            Phase::Render => "check on the rendered manifests",
        };
        let what = if cross.len() == 1 {
            what.to_owned()
        } else {
            what.replacen("check", "checks", 1)
        };
        sections.push(format!(
            "{} {what} failed:\n- {}",
            cross.len(),
            join(&cross)
        ));
    }
    bail!(
        "release `{}` does not render cleanly: {}",
        release.name,
        sections.join("\n")
    )
}

/// One line per problem; their text may quote what plugins returned (names, keys, values):
/// made safe for a terminal.
fn join(problems: &[checks::Problem]) -> String {
    let mut lines: Vec<String> = problems
        .iter()
        .take(MAX_PROBLEMS_SHOWN)
        .map(|p| crate::term::line(&p.to_string()))
        .collect();
    if problems.len() > MAX_PROBLEMS_SHOWN {
        lines.push(format!(
            "… and {} more",
            problems.len() - MAX_PROBLEMS_SHOWN
        ));
    }
    lines.join("\n- ")
}

/// Problems listed per section of a report; the rest are counted.
const MAX_PROBLEMS_SHOWN: usize = 100;
