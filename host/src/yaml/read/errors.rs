//! The reader's errors that need more than a message: an escape in a double-quoted scalar that
//! Helm's reader (go-yaml v2) and YAML 1.2 do not both know, and the scanner's own errors, put
//! where the mistake is and given a hint.

use super::{Composer, Frame, YamlError};
use saphyr_parser::Marker;

impl Composer<'_, '_, '_> {
    /// The first escape in the double-quoted scalar that starts at `at` that Helm's reader
    /// (go-yaml v2) and YAML 1.2 do not both know, with its line and (0-based) column. Both know
    /// `\0 \a \b \t \n \v \f \r \e`, `\ `, `\"`, `\\`, `\N \_ \L \P`, `\x \u \U` and an
    /// escaped line break; YAML 1.2 adds `\/` (Helm refuses it), go-yaml adds `\'` (YAML 1.2
    /// refuses it).
    pub(super) fn unknown_escape(&self, at: Marker) -> Option<(char, usize, usize)> {
        let start = self.chars.byte(at.index());
        let mut chars = self.text.get(start..)?.chars();
        if chars.next() != Some('"') {
            return None;
        }
        let (mut line, mut col) = (at.line(), at.col() + 1);
        while let Some(c) = chars.next() {
            match c {
                '"' => return None,
                '\\' => {
                    let escape = chars.next()?;
                    let known = matches!(
                        escape,
                        '0' | 'a'
                            | 'b'
                            | 't'
                            | '\t'
                            | 'n'
                            | 'v'
                            | 'f'
                            | 'r'
                            | 'e'
                            | ' '
                            | '"'
                            | '\\'
                            | 'N'
                            | '_'
                            | 'L'
                            | 'P'
                            | 'x'
                            | 'u'
                            | 'U'
                            | '\n'
                            | '\r'
                    );
                    if !known {
                        return Some((escape, line, col));
                    }
                    if escape == '\n' {
                        (line, col) = (line + 1, 0);
                    } else {
                        col += 2;
                    }
                }
                '\n' => (line, col) = (line + 1, 0),
                _ => col += 1,
            }
        }
        None
    }

    pub(super) fn escape_error(&self, escape: char, line: usize, col: usize) -> YamlError {
        let message = match escape {
            '\'' => "`\\'` in a double-quoted string: Helm's reader takes it for `'`, YAML 1.2 readers refuse it, \
                      so helmwasm does; write `'` without the backslash"
                .to_owned(),
            '/' => "`\\/` in a double-quoted string: Helm's reader refuses it (\"found unknown escape character\"), \
                    so helmwasm does; write `/` without the backslash"
                .to_owned(),
            c => format!(
                "`\\{}` in a double-quoted string is not an escape Helm's reader knows (\"found unknown escape \
                 character\"); write `\\\\` for a backslash, or single-quote the string",
                c.escape_debug()
            ),
        };
        YamlError {
            file: self.file.to_owned(),
            line: Some(line),
            column: Some(col + 1),
            message,
        }
    }

    pub(super) fn scan_error(&self, e: &saphyr_parser::ScanError) -> YamlError {
        let at = e.marker();
        // An escape the scanner refuses: say which, where, and what Helm does with it.
        if e.info().contains("unknown escape character")
            && let Some((escape, line, col)) = self.unknown_escape(*at)
        {
            return self.escape_error(escape, line, col);
        }
        let mut line = at.line();
        let mut column = at.col() + 1;
        let mut message = e.info().to_owned();
        // Say where an unclosed `[` or `{` opened.
        let open = self.stack.last().map(|f| match f {
            Frame::Seq { at, .. } | Frame::Map { at, .. } => *at,
        });
        if let Some(open) = open {
            let opener = self.text[self.chars.byte(open.index())..].chars().next();
            if let Some(what) = match opener {
                Some('[') => Some("list"),
                Some('{') => Some("map"),
                _ => None,
            } {
                message.push_str(&format!(
                    " (the {what} opened at line {} column {})",
                    open.line(),
                    open.col() + 1
                ));
            }
        }
        let tab_after_colon = self
            .text
            .lines()
            .nth(line.saturating_sub(1))
            .and_then(|l| l.find(":\t").map(|b| l[..b].chars().count() + 2));
        if let (true, Some(col)) = (
            message.contains("must be followed by a valid YAML whitespace"),
            tab_after_colon,
        ) {
            column = col;
            message = "a tab after `:`: Helm's reader accepts it, YAML 1.2 readers do not, so \
                       helmwasm refuses it; use a space"
                .into();
        } else if message.contains("tab") || message.contains("whitespace") {
            // The scanner notices a tab in the indentation at the end of the content before
            // it: point at the tabbed line itself (past blank and comment lines).
            let indented_with_tab = |l: &str| l.trim_start_matches(' ').starts_with('\t');
            let tabbed = self
                .text
                .lines()
                .enumerate()
                .skip(line.saturating_sub(1))
                .enumerate()
                .find(|(n, (_, l))| {
                    let skip = *n == 0 || l.trim().is_empty() || l.trim_start().starts_with('#');
                    indented_with_tab(l) || !skip
                })
                .filter(|(_, (_, l))| indented_with_tab(l));
            if let Some((_, (i, _))) = tabbed {
                line = i + 1;
                column = 1;
            }
            message.push_str("; hint: indent YAML with spaces, tab characters are not allowed");
        }
        YamlError {
            file: self.file.to_owned(),
            line: Some(line),
            column: Some(column),
            message,
        }
    }
}
