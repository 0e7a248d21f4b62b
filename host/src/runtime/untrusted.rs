//! The boundary for what a plugin sends back besides its values and manifests: metadata,
//! diagnostics, error messages, logs and captured output. Everything is capped in count and
//! length (with one "N more dropped" notice) and made safe for a terminal ([`crate::term`])
//! before any other module sees it.

use super::{Diagnostic, Metadata, ObjectRef, PluginError, Severity};
use crate::term;

/// Diagnostics kept per call.
pub const MAX_DIAGNOSTICS: usize = 1_000;
/// Bytes kept of one diagnostic message, path, error message or metadata description.
pub const MAX_TEXT: usize = 4 << 10;
/// Bytes kept of a plugin's name or version in messages.
pub const MAX_SHORT: usize = 256;

/// `s` cut to at most `max` bytes (on a character boundary), with a note of what was cut.
pub fn cut(s: &str, max: usize) -> String {
    if s.len() <= max {
        return s.to_owned();
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{} …({} more bytes dropped)", &s[..end], s.len() - end)
}

/// One untrusted line: capped, then escaped.
pub fn line(s: &str, max: usize) -> String {
    term::line(&cut(s, max))
}

/// Cap and escape a response's diagnostics; returns how many were dropped.
pub fn diagnostics(diagnostics: &mut Vec<Diagnostic>) -> usize {
    let dropped = diagnostics.len().saturating_sub(MAX_DIAGNOSTICS);
    let dropped_errors = diagnostics[diagnostics.len() - dropped..]
        .iter()
        .filter(|d| matches!(d.severity, Severity::Error))
        .count();
    diagnostics.truncate(MAX_DIAGNOSTICS);
    diagnostics.shrink_to_fit();
    for d in diagnostics.iter_mut() {
        d.message = line(&d.message, MAX_TEXT);
        d.path = d.path.as_deref().map(|p| line(p, MAX_TEXT));
        d.object = d.object.take().map(|o| ObjectRef {
            kind: line(&o.kind, MAX_SHORT),
            namespace: o.namespace.map(|n| line(&n, MAX_SHORT)),
            name: line(&o.name, MAX_SHORT),
            pointer: o.pointer.map(|p| line(&p, MAX_TEXT)),
        });
    }
    if dropped > 0 {
        // An error among the dropped ones still fails the step.
        diagnostics.push(Diagnostic {
            severity: if dropped_errors > 0 { Severity::Error } else { Severity::Warning },
            message: format!(
                "{dropped} more diagnostics dropped ({dropped_errors} of them errors; the limit is {MAX_DIAGNOSTICS} per call)"
            ),
            path: None,
            object: None,
        });
    }
    dropped
}

/// A stage's result made safe: the response's diagnostics capped and escaped, or the error's
/// message.
pub fn stage_result<R>(
    result: Result<R, PluginError>,
    diagnostics_of: impl FnOnce(&mut R) -> &mut Vec<Diagnostic>,
) -> Result<R, PluginError> {
    match result {
        Ok(mut response) => {
            diagnostics(diagnostics_of(&mut response));
            Ok(response)
        }
        Err(e) => Err(plugin_error(e)),
    }
}

/// Cap and escape a plugin error's message.
pub fn plugin_error(e: PluginError) -> PluginError {
    match e {
        PluginError::InvalidConfig(m) => PluginError::InvalidConfig(line(&m, MAX_TEXT)),
        PluginError::InvalidValues(m) => PluginError::InvalidValues(line(&m, MAX_TEXT)),
        PluginError::UnsupportedChart(m) => PluginError::UnsupportedChart(line(&m, MAX_TEXT)),
        PluginError::UnsupportedStage(m) => PluginError::UnsupportedStage(line(&m, MAX_TEXT)),
        PluginError::Internal(m) => PluginError::Internal(line(&m, MAX_TEXT)),
    }
}

/// Cap and escape the text fields of a plugin's metadata (not its schema, which is JSON).
pub fn metadata(m: Metadata) -> Metadata {
    Metadata {
        name: line(&m.name, MAX_SHORT),
        version: line(&m.version, MAX_SHORT),
        description: line(&m.description, MAX_TEXT),
        config_schema: m.config_schema,
        stages: m.stages,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cuts_on_char_boundaries() {
        assert_eq!(cut("abc", 5), "abc");
        assert_eq!(cut("ééé", 3), "é …(4 more bytes dropped)");
    }

    #[test]
    fn diagnostics_are_capped_and_escaped() {
        let mut d: Vec<Diagnostic> = (0..MAX_DIAGNOSTICS + 5)
            .map(|_| Diagnostic {
                severity: Severity::Info,
                message: "x\x1b[2J".repeat(2000),
                path: Some("a\nb".into()),
                object: Some(ObjectRef {
                    kind: "Pod\x1b]0;".into(),
                    namespace: None,
                    name: "n".repeat(10_000),
                    pointer: Some("/spec\r".into()),
                }),
            })
            .collect();
        assert_eq!(diagnostics(&mut d), 5);
        assert_eq!(d.len(), MAX_DIAGNOSTICS + 1);
        assert!(d[0].message.len() < MAX_TEXT * 2);
        assert!(!d[0].message.contains('\x1b'));
        assert_eq!(d[0].path.as_deref(), Some("a\\nb"));
        let o = d[0].object.as_ref().unwrap();
        assert_eq!(o.kind, "Pod\\x1b]0;");
        assert!(o.name.len() < MAX_SHORT * 2);
        assert_eq!(o.pointer.as_deref(), Some("/spec\\r"));
        assert!(
            d[MAX_DIAGNOSTICS]
                .message
                .starts_with("5 more diagnostics dropped")
        );
    }
}
