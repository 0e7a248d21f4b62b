//! The exit codes, in one place (documented in the README).

use std::process::ExitCode;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitStatus {
    /// 0: the command did what was asked.
    Success,
    /// 1: bad input, bad pipeline, a failing or misbehaving plugin, bad CLI usage.
    Failure,
    /// 2: an internal error (a bug in helmwasm or a broken installation).
    Error,
    /// 2: `diff --detailed-exitcode` found changes (helmfile's convention; errors are then 1).
    Changes,
}

impl From<ExitStatus> for ExitCode {
    fn from(s: ExitStatus) -> ExitCode {
        ExitCode::from(match s {
            ExitStatus::Success => 0,
            ExitStatus::Failure => 1,
            ExitStatus::Error | ExitStatus::Changes => 2,
        })
    }
}
