//! The boundary for what a plugin sends back besides its values and manifests: metadata,
//! diagnostics, error messages, logs and captured output. Everything is capped in count and
//! length (with one "N more dropped" notice) and made safe for a terminal ([`crate::term`])
//! before any other module sees it.

use crate::{Diagnostic, Metadata, ObjectRef, PluginError, Severity};
use helmwasm_base::term;

/// Diagnostics kept per call.
pub const MAX_DIAGNOSTICS: usize = 1_000;
/// Bytes of diagnostics (messages, paths, objects) kept per call: what one step can put on
/// stderr (each diagnostic is also capped, at [`MAX_TEXT`] per field).
pub const MAX_DIAGNOSTIC_BYTES: usize = 64 << 10;
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

/// Cap and escape a response's diagnostics (in count, each field, and in bytes all together);
/// returns how many were dropped.
pub fn diagnostics(diagnostics: &mut Vec<Diagnostic>) -> usize {
    // Count first, then bytes: the first diagnostics that fit in MAX_DIAGNOSTIC_BYTES.
    let mut keep = diagnostics.len().min(MAX_DIAGNOSTICS);
    let mut bytes = 0;
    for (i, d) in diagnostics[..keep].iter().enumerate() {
        let size = d.message.len().min(MAX_TEXT)
            + d.path.as_deref().map_or(0, |p| p.len().min(MAX_TEXT))
            + d.object.as_ref().map_or(0, |o| {
                o.kind.len().min(MAX_SHORT)
                    + o.name.len().min(MAX_SHORT)
                    + o.namespace.as_deref().map_or(0, |n| n.len().min(MAX_SHORT))
                    + o.pointer.as_deref().map_or(0, |p| p.len().min(MAX_TEXT))
            });
        bytes += size;
        if bytes > MAX_DIAGNOSTIC_BYTES {
            keep = i;
            break;
        }
    }
    let dropped = diagnostics.len() - keep;
    let dropped_errors = diagnostics[keep..]
        .iter()
        .filter(|d| matches!(d.severity, Severity::Error))
        .count();
    diagnostics.truncate(keep);
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
                "{dropped} more diagnostics dropped ({dropped_errors} of them errors; the limit is {MAX_DIAGNOSTICS} or {} KiB per call)",
                MAX_DIAGNOSTIC_BYTES >> 10
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
    fn diagnostics_are_capped_in_count() {
        let mut d: Vec<Diagnostic> = (0..MAX_DIAGNOSTICS + 5)
            .map(|i| Diagnostic {
                severity: if i == MAX_DIAGNOSTICS + 4 {
                    Severity::Error
                } else {
                    Severity::Info
                },
                message: "short".into(),
                path: None,
                object: None,
            })
            .collect();
        assert_eq!(diagnostics(&mut d), 5);
        assert_eq!(d.len(), MAX_DIAGNOSTICS + 1);
        assert!(
            d[MAX_DIAGNOSTICS]
                .message
                .starts_with("5 more diagnostics dropped (1 of them errors")
        );
        // A dropped error still fails the step.
        assert!(matches!(d[MAX_DIAGNOSTICS].severity, Severity::Error));
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
        // Each one is about 4.3 KiB once capped: 15 fit in 64 KiB.
        let dropped = diagnostics(&mut d);
        assert_eq!(d.len(), MAX_DIAGNOSTICS + 5 - dropped + 1);
        let kept_bytes: usize = d[..d.len() - 1]
            .iter()
            .map(|x| x.message.len() + x.path.as_ref().map_or(0, String::len))
            .sum();
        assert!(kept_bytes <= MAX_DIAGNOSTIC_BYTES * 2, "{kept_bytes}");
        assert!(d.len() < 20, "{}", d.len());
        assert!(d[0].message.len() < MAX_TEXT * 2);
        assert!(!d[0].message.contains('\x1b'));
        assert_eq!(d[0].path.as_deref(), Some("a\\nb"));
        let o = d[0].object.as_ref().unwrap();
        assert_eq!(o.kind, "Pod\\x1b]0;");
        assert!(o.name.len() < MAX_SHORT * 2);
        assert_eq!(o.pointer.as_deref(), Some("/spec\\r"));
        assert!(
            d[d.len() - 1]
                .message
                .starts_with(&format!("{dropped} more diagnostics dropped")),
            "{}",
            d[d.len() - 1].message
        );
    }
}
