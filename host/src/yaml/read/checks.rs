//! What the reader refuses before parsing: directives, and characters Helm's reader takes
//! differently or refuses.

use super::YamlError;
use std::path::Path;

/// Helm refuses a values file that starts with a directive (`%YAML 1.1`, `%TAG …`).
pub(super) fn check_directives(text: &str, file: &Path) -> Result<(), YamlError> {
    let first = text
        .lines()
        .enumerate()
        .find(|(_, l)| !l.trim().is_empty() && !l.trim_start().starts_with('#'));
    match first {
        Some((i, l)) if l.starts_with('%') => Err(YamlError {
            file: file.to_owned(),
            line: Some(i + 1),
            column: Some(1),
            message: "a YAML directive: Helm refuses values files with directives (`%YAML`, \
                      `%TAG`); remove the line"
                .into(),
        }),
        _ => Ok(()),
    }
}

/// Helm's reader (go-yaml) refuses a file holding a control character, and takes U+0085,
/// U+2028 and U+2029 for line breaks (YAML 1.1), where a YAML 1.2 reader sees text. Both are
/// refused here with their position, so a file never reads differently.
pub(super) fn check_characters(text: &str, file: &Path) -> Result<(), YamlError> {
    // go-yaml's reader: tab, LF, CR, printable ASCII, NEL and the printable planes; here
    // without NEL, U+2028 and U+2029 (line breaks to YAML 1.1 only).
    let allowed = |c: char| {
        matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{7e}' | '\u{a0}'..='\u{2027}'
            | '\u{202a}'..='\u{d7ff}' | '\u{e000}'..='\u{fffd}')
            || c >= '\u{10000}'
    };
    let Some((at, c)) = text.char_indices().find(|&(_, c)| !allowed(c)) else {
        return Ok(());
    };
    let before = &text[..at];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().unwrap_or("").chars().count() + 1;
    let what = if matches!(c, '\u{85}' | '\u{2028}' | '\u{2029}') {
        "is a line break to Helm's YAML 1.1 reader and text to YAML 1.2"
    } else {
        "is a control character, which Helm's reader refuses"
    };
    Err(YamlError {
        file: file.to_owned(),
        line: Some(line),
        column: Some(column),
        message: format!(
            "the character U+{:04X} {what}; write it as `\\u{:04x}` inside double quotes",
            c as u32, c as u32
        ),
    })
}
