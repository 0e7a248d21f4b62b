//! Error classes and how they are shown.
//!
//! Everything that goes wrong because of the input (pipeline file, values, plugin, CLI
//! arguments) is an ordinary [`anyhow::Error`] with context: exit code 1. A failure that is
//! helmwasm's own fault is wrapped in [`Internal`]: exit code 2. Errors are printed once, at
//! the top, as `error: …` followed by one `caused by: …` line per cause.

use std::fmt::Write as _;

/// A bug or broken installation rather than bad input.
#[derive(Debug, thiserror::Error)]
#[error("internal error: {0}")]
pub struct Internal(pub String);

pub fn is_internal(err: &anyhow::Error) -> bool {
    err.chain().any(|c| c.is::<Internal>())
}

/// `error: top` then `  caused by: …` lines. Multi-line messages are indented under their line.
pub fn render(err: &anyhow::Error) -> String {
    let mut out = String::new();
    let mut chain = err.chain();
    if let Some(top) = chain.next() {
        let _ = writeln!(out, "error: {}", indent(&top.to_string()));
    }
    for cause in chain {
        let _ = writeln!(out, "  caused by: {}", indent(&cause.to_string()));
    }
    out
}

/// Continuation lines are indented, so no message can forge a line of its own; control
/// characters are made visible ([`crate::term::block`]).
fn indent(s: &str) -> String {
    crate::term::block(s).replace('\n', "\n  ")
}
