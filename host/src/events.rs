//! What a run tells while it goes: [`Event`]s (plugin logs and diagnostics, what each step did,
//! host warnings), each tagged with its release and step ([`StepTag`]). Only types: the
//! stages that send them and the printers that show them both look down at this module.

use crate::plan::{ReleasePlan, StepKind, StepPlan};
use crate::runtime::{LogLevel, Severity};

/// Where a message came from: release, step (values or post-render) and plugin.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepTag {
    pub release: String,
    pub kind: StepKind,
    pub step: usize,
    pub plugin: String,
}

impl StepTag {
    pub fn new(release: &ReleasePlan, step: &StepPlan) -> Self {
        StepTag {
            release: release.name.clone(),
            kind: step.kind,
            step: step.number,
            plugin: step.plugin.clone(),
        }
    }
}

impl std::fmt::Display for StepTag {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let stage = match self.kind {
            StepKind::Values => "",
            StepKind::PostRender => "post-render ",
        };
        write!(
            f,
            "release `{}` {stage}step {} (`{}`)",
            self.release, self.step, self.plugin
        )
    }
}

/// The context of a step's error: `release `x` step N (`plugin`) failed`, typed so callers can
/// tell which step failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepFailed(pub StepTag);

impl std::fmt::Display for StepFailed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} failed", self.0)
    }
}

/// Something to show the user while the pipeline runs.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    /// A `log` call of a plugin.
    Log {
        tag: StepTag,
        level: LogLevel,
        message: String,
    },
    /// What a plugin wrote to stdout or stderr.
    Output {
        tag: StepTag,
        stream: &'static str,
        text: String,
    },
    /// A warning or info diagnostic returned by a plugin.
    Diagnostic {
        tag: StepTag,
        severity: Severity,
        message: String,
        path: Option<String>,
    },
    /// Something was cut to stay within a cap.
    Truncated { tag: StepTag, what: String },
    /// A step failed and the release went on without it (only `lint` asks for that, when the
    /// step may have failed on a secret placeholder).
    StepSkipped { tag: StepTag, message: String },
    /// What a values step did (shown with `-v`): its time, the values paths it set, changed
    /// and deleted, and the objects it emitted (`Kind/name`).
    StepDone {
        tag: StepTag,
        elapsed: std::time::Duration,
        set: Vec<String>,
        changed: Vec<String>,
        deleted: Vec<String>,
        emitted: Vec<String>,
    },
    /// What a post-render step did (shown with `-v`): its time and the objects it added,
    /// changed and removed.
    PostRenderDone {
        tag: StepTag,
        elapsed: std::time::Duration,
        added: Vec<String>,
        changed: Vec<String>,
        removed: Vec<String>,
    },
    /// A host check's warning about a release (the render goes on).
    Warning {
        release: String,
        problem: crate::checks::Problem,
    },
    /// Something about the run itself, shown with `-v` (the engine runs without its
    /// instance pool).
    Info(String),
}

/// Why a release's steps stopped, typed so that the kind decides the diagnostic code (nothing
/// downcasts the error chain to guess it). Each error keeps its chain for people, topped by
/// [`StepFailed`] for a step.
#[derive(Debug)]
pub enum StepError {
    /// Before the first step: the command-line values could not be written into the
    /// release's (`HW0102 invalid-values`).
    Values(anyhow::Error),
    /// A step names a plugin that is not there (`HW0106 plugin-unavailable`).
    Unavailable(StepTag, anyhow::Error),
    /// A step's config was refused, or it ran and failed (`HW0201 step-failed`).
    Failed(StepTag, anyhow::Error),
}

impl StepError {
    /// The step it is about, if any.
    pub fn tag(&self) -> Option<&StepTag> {
        match self {
            StepError::Values(_) => None,
            StepError::Unavailable(t, _) | StepError::Failed(t, _) => Some(t),
        }
    }

    pub fn into_error(self) -> anyhow::Error {
        match self {
            StepError::Values(e) | StepError::Unavailable(_, e) | StepError::Failed(_, e) => e,
        }
    }
}
