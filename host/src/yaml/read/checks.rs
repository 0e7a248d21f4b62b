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
    let Some((at, c)) = first_refused(text, allowed) else {
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

/// The first character of `text` that `allowed` refuses, with its byte offset. Runs of plain
/// ASCII (printable, tab, LF, CR: nearly all of a pipeline) are passed over a block of bytes
/// at a time; only the blocks holding anything else are decoded (a tenth of the time, on a
/// pipeline of 500 releases).
fn first_refused(text: &str, allowed: impl Fn(char) -> bool) -> Option<(usize, char)> {
    const BLOCK: usize = 32;
    let plain = |b: u8| (0x20..0x7f).contains(&b) | (b == b'\t') | (b == b'\n') | (b == b'\r');
    let bytes = text.as_bytes();
    // Always on a character boundary: moved by whole blocks of ASCII or by one character.
    let mut at = 0;
    while at < bytes.len() {
        if let Some(block) = bytes.get(at..at + BLOCK)
            && block.iter().fold(true, |all, &b| all & plain(b))
        {
            at += BLOCK;
            continue;
        }
        let c = text[at..].chars().next()?;
        if !allowed(c) {
            return Some((at, c));
        }
        at += c.len_utf8();
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The block-wise scan finds what a character-by-character scan finds, wherever the
    /// character falls against the blocks.
    #[test]
    fn the_first_refused_character_is_found_at_any_offset() {
        let allowed = |c: char| c != '\u{7f}' && c != '\u{2028}' && c != '\u{0}';
        for bad in ['\u{7f}', '\u{2028}', '\u{0}'] {
            for len in [0, 1, 31, 32, 33, 63, 64, 65, 100] {
                for at in 0..=len {
                    // Wide characters around, so blocks start in all sorts of places.
                    let mut text: String = (0..len)
                        .map(|i| if i % 41 == 40 { 'é' } else { 'a' })
                        .collect();
                    let cut = text.char_indices().nth(at).map_or(text.len(), |(b, _)| b);
                    text.insert(cut, bad);
                    let expected = text.char_indices().find(|&(_, c)| !allowed(c));
                    assert_eq!(first_refused(&text, allowed), expected, "{text:?}");
                    assert_eq!(expected, Some((cut, bad)));
                }
                let clean: String = (0..len)
                    .map(|i| if i % 9 == 0 { '\t' } else { 'x' })
                    .collect();
                assert_eq!(first_refused(&clean, allowed), None);
            }
        }
    }
}
