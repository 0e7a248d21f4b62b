//! How run events are shown on stderr: plugin logs and diagnostics tagged with their step,
//! host warnings, and with `-v` what each step did. Data goes to stdout, never here.

use crate::cli::Cli;
use crate::events::Event;
use crate::redact::Redactor;
use crate::runtime::{LogLevel, Severity};

/// `-v`'s line for a step: `HEAD 5 set, 0 changed, 0 deleted TAIL`, and with `-vv` (`all`)
/// one more line per non-empty list naming its members.
fn step_story(head: String, lists: [(&str, Vec<String>); 3], tail: &str, all: bool) -> String {
    let counts: Vec<String> = lists
        .iter()
        .map(|(what, l)| format!("{} {what}", l.len()))
        .collect();
    let mut line = format!("{head} {}{tail}", counts.join(", "));
    for (what, l) in lists.iter().filter(|(_, l)| all && !l.is_empty()) {
        line.push_str(&format!("\n    {what}: {}", l.join(", ")));
    }
    line
}

/// Plugin logs and diagnostics go to stderr, tagged; data goes to stdout.
pub(crate) fn print_event(cli: &Cli, event: Event, redactor: &Redactor) {
    let level = if cli.quiet { 0 } else { 1 + cli.verbose };
    let line = match event {
        Event::Log {
            tag,
            level: l,
            message,
        } => {
            let (needed, name) = match l {
                LogLevel::Error => (1, "error"),
                LogLevel::Warn => (1, "warn"),
                LogLevel::Info => (2, "info"),
                LogLevel::Debug => (3, "debug"),
                LogLevel::Trace => (3, "trace"),
            };
            (level >= needed).then(|| format!("[{tag}] {name}: {message}"))
        }
        Event::Output { tag, stream, text } => (level >= 2).then(|| {
            format!(
                "[{tag}] {stream}:\n    {}",
                text.trim_end().replace('\n', "\n    ")
            )
        }),
        Event::Diagnostic {
            tag,
            severity,
            message,
            path,
        } => {
            let at = path.map(|p| format!(" (at `{p}`)")).unwrap_or_default();
            match severity {
                Severity::Warning => (level >= 1).then(|| format!("warning: {tag}: {message}{at}")),
                _ => (level >= 2).then(|| format!("info: {tag}: {message}{at}")),
            }
        }
        Event::Truncated { tag, what } => {
            (level >= 1).then(|| format!("warning: {tag}: dropped {what}"))
        }
        Event::StepSkipped { tag, message } => (level >= 1).then(|| {
            format!("warning: {tag} did not run: it failed on a secret placeholder: {message}")
        }),
        Event::Warning { release, problem } => {
            (level >= 1).then(|| format!("warning: release `{release}`: {problem}"))
        }
        Event::Info(message) => (level >= 2).then(|| format!("info: {message}")),
        Event::StepDone {
            tag,
            elapsed,
            set,
            changed,
            deleted,
            emitted,
        } => (level >= 2).then(|| {
            let emitted = if emitted.is_empty() {
                "nothing".to_owned()
            } else {
                emitted.join(", ")
            };
            step_story(
                format!("info: {tag}: {} ms; values:", elapsed.as_millis()),
                [("set", set), ("changed", changed), ("deleted", deleted)],
                &format!("; emitted {emitted}"),
                level >= 3,
            )
        }),
        Event::PostRenderDone {
            tag,
            elapsed,
            added,
            changed,
            removed,
        } => (level >= 2).then(|| {
            step_story(
                format!("info: {tag}: {} ms; objects:", elapsed.as_millis()),
                [("added", added), ("changed", changed), ("removed", removed)],
                "",
                level >= 3,
            )
        }),
    };
    if let Some(line) = line {
        // Plugin text was escaped at the runtime boundary; this is the safety net.
        anstream::eprintln!(
            "{}",
            crate::term::paint(&crate::term::block(&redactor.redact(&line)))
        );
    }
}
