//! Untrusted text on a terminal: plugin-controlled strings (logs, diagnostics, errors,
//! captured output, names, versions, descriptions) reach terminals, CI logs and annotations.
//! Every control character is made visible (`\x1b`, `\x07`, `\r`, C1 controls such as
//! `\u{9b}`, bidirectional overrides), so no escape sequence runs and no carriage return
//! overwrites a line. [`line()`] also escapes newlines, so an untrusted string can never start
//! a line of its own; [`block`] keeps them for multi-line text that the caller indents.

use std::fmt::Write as _;

/// One line of untrusted text: every control character visible, newlines included.
pub fn line(s: &str) -> String {
    escape(s, false)
}

/// Untrusted multi-line text: control characters visible, `\n` (and tabs) kept.
pub fn block(s: &str) -> String {
    escape(s, true)
}

fn escape(s: &str, keep_newlines: bool) -> String {
    if !s.chars().any(|c| needs_escape(c, keep_newlines)) {
        return s.to_owned();
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if !needs_escape(c, keep_newlines) {
            out.push(c);
            continue;
        }
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x80 => {
                let _ = write!(out, "\\x{:02x}", c as u32);
            }
            c => {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
        }
    }
    out
}

/// Style the severity word that starts each line of our own messages (`error:`, `warning:`,
/// `note:`, `caused by:`, `error[HW…]`); everything else is left as is. Text must already be
/// escaped: styles are added by us only, and [`anstream`] strips them where colour is off
/// (not a terminal, `NO_COLOR`, `--color never`).
pub fn paint(text: &str) -> String {
    use anstyle::{AnsiColor, Style};
    const STYLES: [(&str, Style); 5] = [
        ("error", AnsiColor::Red.on_default().bold()),
        ("warning", AnsiColor::Yellow.on_default().bold()),
        ("note", AnsiColor::Cyan.on_default().bold()),
        ("  caused by:", AnsiColor::Red.on_default()),
        ("  -->", AnsiColor::Blue.on_default().bold()),
    ];
    let mut out = String::with_capacity(text.len() + 16);
    for line in text.split_inclusive('\n') {
        let styled = STYLES.iter().find_map(|(word, style)| {
            let rest = line.strip_prefix(word)?;
            let cut = if word.ends_with(':') || word.ends_with('>') {
                0
            } else {
                // `error:` or `error[HW0101 name]:`
                let end = rest
                    .find(':')
                    .filter(|i| *i == 0 || rest.starts_with('['))?;
                end + 1
            };
            Some(format!(
                "{style}{word}{}{style:#}{}",
                &rest[..cut],
                &rest[cut..]
            ))
        });
        out.push_str(styled.as_deref().unwrap_or(line));
    }
    out
}

fn needs_escape(c: char, keep_newlines: bool) -> bool {
    match c {
        '\n' | '\t' => !keep_newlines,
        // C0 controls, DEL, C1 controls (U+009B is a one-byte CSI on some terminals).
        c if c.is_control() => true,
        // The line/paragraph separators some viewers break on.
        '\u{2028}' | '\u{2029}' => true,
        c => is_invisible_format(c),
    }
}

/// Bidirectional overrides, embeddings and isolates ("Trojan Source": U+202A–U+202E,
/// U+2066–U+2069, U+061C), zero-width spaces, joiners and direction marks (U+200B–U+200F) and
/// the BOM: characters that reorder or hide text where it is shown. Escaped on stderr and in
/// the YAML helmwasm writes on stdout.
pub fn is_invisible_format(c: char) -> bool {
    matches!(
        c,
        '\u{200b}'..='\u{200f}'
            | '\u{202a}'..='\u{202e}'
            | '\u{2066}'..='\u{2069}'
            | '\u{061c}'
            | '\u{feff}'
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_become_visible() {
        assert_eq!(line("plain text, ünïcode"), "plain text, ünïcode");
        assert_eq!(
            line("a\x1b[31mred\x07\rX\nerror: forged"),
            "a\\x1b[31mred\\x07\\rX\\nerror: forged"
        );
        assert_eq!(line("\u{9b}2J \u{202e}abc"), "\\u{9b}2J \\u{202e}abc");
        assert_eq!(block("one\ntwo\x1b"), "one\ntwo\\x1b");
        assert_eq!(block("tab\there\r"), "tab\there\\r");
        assert!(!line(&"\x1b".repeat(3)).contains('\x1b'));
    }

    #[test]
    fn paint_styles_only_our_severity_words() {
        let styled = paint("error: bad\n  caused by: x\nwarning[HW0202 w]: y\nerrors: z\n");
        let plain = String::from_utf8(anstream::adapter::strip_bytes(styled.as_bytes()).into_vec())
            .unwrap();
        assert_eq!(
            plain,
            "error: bad\n  caused by: x\nwarning[HW0202 w]: y\nerrors: z\n"
        );
        assert!(styled.starts_with("\x1b["));
        assert!(
            styled.contains("errors: z"),
            "a word that only starts like one is left alone"
        );
    }
}
