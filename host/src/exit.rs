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

/// Leave a value that is no longer needed to the end of the process: a one-shot command's
/// big trees (the plan, the render: hundreds of thousands of small allocations at 500
/// releases, ~30 ms to free node by node; a chart's compiled schema; the plugins' compiled
/// code, unmapped one by one)
/// go back to the OS at once when it exits. Only for
/// values whose drop does nothing but free memory (no files, processes or locks), and only
/// while every command runs the pipeline a bounded number of times (twice at most, `diff`):
/// a long-running mode (a watcher) would have to drop them instead.
pub fn leave_to_exit<T>(value: T) {
    std::mem::forget(value);
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
