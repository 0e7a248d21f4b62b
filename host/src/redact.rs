//! Redaction: every secret value resolved during a run is registered here, together with the
//! forms Helm's templates and helmwasm's writers put it in, and replaced by [`MARKER`] in
//! everything shown to the user: errors, logs, diagnostics, plugin output and the printed
//! render. The forms ([`forms`]): as it is and trimmed; standard and URL-safe base64 at each of
//! the three alignments (a secret inside a longer base64 text, such as Basic auth's
//! `user:password`); percent-encoding (RFC 3986 components, form encoding, Go's `urlquery`
//! with `+` for a space, Go's path escaping); JSON-escaped; YAML double-quoted as go-yaml
//! (Helm's `toYaml`) and helmwasm's writer escape it, and JSON inside YAML; the lines of a
//! multi-line secret of at least [`SHORT_SECRET`] characters, and a shorter line together with
//! the line before it (as a YAML block or a JSON string prints them). Not covered: other
//! transforms (hex, reversed, hashed, a secret split by `toYaml` folding a long line; see
//! SECURITY.md).

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use std::collections::BTreeSet;

/// What a secret is replaced with. YAML-safe as a plain scalar and inside quoted strings.
pub const MARKER: &str = "<redacted>";

/// RFC 3986 unreserved characters stay, everything else is encoded (how URLs carry passwords).
const URL_COMPONENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');
/// Form encoding (`application/x-www-form-urlencoded` style escapes everything but alphanumerics).
const FORM: &AsciiSet = NON_ALPHANUMERIC;
/// Go's `url.PathEscape`: RFC 3986 unreserved characters and `$&+,:;=@` stay.
const GO_PATH: &AsciiSet = &URL_COMPONENT
    .remove(b'$')
    .remove(b'&')
    .remove(b'+')
    .remove(b',')
    .remove(b':')
    .remove(b';')
    .remove(b'=')
    .remove(b'@');

/// Every form of `secret` that is looked for ([`Redactor::register`]).
pub fn forms(secret: &str) -> Vec<String> {
    let json = serde_json::to_string(secret).unwrap_or_default();
    let json = json[1..json.len().saturating_sub(1).max(1)].to_owned();
    let mut out = vec![
        secret.to_owned(),
        secret.trim().to_owned(),
        STANDARD.encode(secret),
        utf8_percent_encode(secret, URL_COMPONENT).to_string(),
        utf8_percent_encode(secret, FORM).to_string(),
        // Go's `urlquery` / `url.QueryEscape`: a space is `+`.
        utf8_percent_encode(secret, URL_COMPONENT)
            .to_string()
            .replace("%20", "+"),
        utf8_percent_encode(secret, GO_PATH).to_string(),
        yaml_escaped(secret, Hex::GoYaml),
        yaml_escaped(secret, Hex::Helmwasm),
        yaml_escaped(secret, Hex::GoQuote),
        // As the terminal-safe escaping shows untrusted text (helm's and plugins' messages).
        crate::term::line(secret),
        crate::term::block(secret),
        yaml_escaped(&json, Hex::GoYaml),
        // Go's encoding/json (Helm's `toJson`) also escapes `<`, `>`, `&`, U+2028 and U+2029.
        json.replace('<', "\\u003c")
            .replace('>', "\\u003e")
            .replace('&', "\\u0026")
            .replace('\u{2028}', "\\u2028")
            .replace('\u{2029}', "\\u2029"),
        json,
    ];
    // Base64 at each alignment: the secret as bytes 0, 1 or 2 of a group of three, without
    // the characters that also hold bits of the bytes around it.
    // Only parts long enough to be told from other base64 text (a short secret's own
    // characters are masked everywhere anyway, with a warning).
    for engine in [&STANDARD, &URL_SAFE] {
        for offset in 0..3 {
            let inside = base64_inside(engine, secret.as_bytes(), offset);
            if inside.len() >= SHORT_SECRET {
                out.push(inside);
            }
        }
    }
    // The lines of a multi-line secret (keys), e.g. in a plugin's stderr: each one long enough
    // to be told from other text; a short one (the last of a key) with the line before it, as
    // a YAML block (indented) or a JSON string (`\n`) prints them.
    let lines: Vec<&str> = secret.lines().map(str::trim).collect();
    if lines.len() > 1 {
        for (i, line) in lines.iter().enumerate() {
            if line.len() >= SHORT_SECRET {
                out.push((*line).to_owned());
            } else if !line.is_empty()
                && let Some(before) = i.checked_sub(1).map(|j| lines[j])
            {
                out.push(format!("{before}\\n{line}"));
                for indent in 0..=16 {
                    out.push(format!("{before}\n{}{line}", " ".repeat(indent)));
                }
            }
        }
    }
    // A long line that go-yaml (Helm's `toYaml`) folds at a space: the space becomes a line
    // break and the indentation of the next line (one fold, up to 20 spaces; a passphrase of
    // more than 24 words is left to the forms above).
    let spaces: Vec<usize> = secret.match_indices(' ').map(|(i, _)| i).collect();
    if secret.len() >= SHORT_SECRET && !secret.contains('\n') && spaces.len() <= 24 {
        for &i in &spaces {
            for indent in 0..=20 {
                out.push(format!(
                    "{}\n{}{}",
                    &secret[..i],
                    " ".repeat(indent),
                    &secret[i + 1..]
                ));
            }
        }
    }
    out.retain(|f| !f.is_empty());
    out.sort();
    out.dedup();
    out
}

/// The base64 characters that stand for `secret` alone when it starts `offset` bytes into a
/// group of three (0: at the start of an encoded text; 1 or 2: inside one, as in
/// `user:password`). The first characters, which also hold bits of the bytes before it, and
/// the last, which hold bits of the bytes after it, are left out.
fn base64_inside(engine: &base64::engine::GeneralPurpose, secret: &[u8], offset: usize) -> String {
    let mut bytes = vec![0u8; offset];
    bytes.extend_from_slice(secret);
    let encoded = engine.encode(&bytes);
    let encoded = encoded.trim_end_matches('=');
    // Characters wholly inside the secret's bits: from the first that starts at or after
    // bit 8 × offset, to the last that ends at or before bit 8 × (offset + len).
    let start = (offset * 8).div_ceil(6);
    let end = ((offset + secret.len()) * 8) / 6;
    if start >= end || end > encoded.len() {
        return String::new();
    }
    encoded[start..end].to_owned()
}

/// How a YAML writer escapes a character by its code.
#[derive(Clone, Copy)]
enum Hex {
    /// go-yaml v2 (Helm's `toYaml`): `\x7F`, `\u2028` as `\L`, …
    GoYaml,
    /// helmwasm's writer: `\u007f`.
    Helmwasm,
    /// Go's `strconv.Quote` (Helm's `quote`, `%q`): `\x7f`, `\u2028`.
    GoQuote,
}

/// `s` as it appears inside a YAML double-quoted scalar.
fn yaml_escaped(s: &str, hex: Hex) -> String {
    use std::fmt::Write as _;
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        let code = c as u32;
        match (c, hex) {
            ('"', _) => out.push_str("\\\""),
            ('\\', _) => out.push_str("\\\\"),
            ('\n', _) => out.push_str("\\n"),
            ('\t', _) => out.push_str("\\t"),
            ('\r', _) => out.push_str("\\r"),
            ('\0', Hex::GoYaml) => out.push_str("\\0"),
            ('\x07', Hex::GoYaml) => out.push_str("\\a"),
            ('\x08', Hex::GoYaml) => out.push_str("\\b"),
            ('\x0b', Hex::GoYaml) => out.push_str("\\v"),
            ('\x0c', Hex::GoYaml) => out.push_str("\\f"),
            ('\x1b', Hex::GoYaml) => out.push_str("\\e"),
            ('\u{85}', Hex::GoYaml) => out.push_str("\\N"),
            ('\u{a0}', Hex::GoYaml) => out.push_str("\\_"),
            ('\u{2028}', Hex::GoYaml) => out.push_str("\\L"),
            ('\u{2029}', Hex::GoYaml) => out.push_str("\\P"),
            (_, Hex::GoYaml) if code < 0x20 || (0x7f..=0x9f).contains(&code) || code == 0xfeff => {
                if code <= 0xff {
                    let _ = write!(out, "\\x{code:02X}");
                } else {
                    let _ = write!(out, "\\u{code:04X}");
                }
            }
            ('\x07', Hex::GoQuote) => out.push_str("\\a"),
            ('\x08', Hex::GoQuote) => out.push_str("\\b"),
            ('\x0b', Hex::GoQuote) => out.push_str("\\v"),
            ('\x0c', Hex::GoQuote) => out.push_str("\\f"),
            (_, Hex::GoQuote)
                if code < 0x20
                    || code == 0x7f
                    || (0x80..=0x9f).contains(&code)
                    || crate::term::is_invisible_format(c)
                    || matches!(c, '\u{feff}' | '\u{2028}' | '\u{2029}' | '\u{ad}') =>
            {
                if code < 0x80 {
                    let _ = write!(out, "\\x{code:02x}");
                } else {
                    let _ = write!(out, "\\u{code:04x}");
                }
            }
            (_, Hex::Helmwasm)
                if code < 0x20
                    || (0x7f..=0x9f).contains(&code)
                    || crate::term::is_invisible_format(c)
                    || matches!(c, '\u{feff}' | '\u{2028}' | '\u{2029}') =>
            {
                let _ = write!(out, "\\u{code:04x}");
            }
            _ => out.push(c),
        }
    }
    out
}

/// Secrets shorter than this are masked wherever their characters appear (`main` in
/// `branch: main` too): the user is warned, without the value.
pub const SHORT_SECRET: usize = 8;

/// Parts of a text shorter than this in all are joined and redacted as one text without
/// being searched first: building the searcher costs what joining and redacting ~256 KiB do
/// (0.1-0.4 ms; the example's render is ~10 KiB, 500 releases' 3.5 MB).
const SEARCH_PARTS_FROM: usize = 256 * 1024;

/// Add `secret`'s forms.
fn add(needles: &mut Needles, secret: &str) {
    if secret.is_empty() {
        return;
    }
    for f in forms(secret) {
        if !f.is_empty() {
            needles.insert((std::cmp::Reverse(f.len()), f));
        }
    }
}

type Needles = BTreeSet<(std::cmp::Reverse<usize>, String)>;

/// How much of each form [`Redactor::may_hold_secret`]'s automaton holds.
const SEARCH_PREFIX: usize = 24;

/// From this many forms, [`Redactor::contains_secret`] searches by the forms' beginnings.
const MANY_FORMS: usize = 2_000;

#[derive(Debug, Default)]
pub struct Redactor {
    /// Longest first, so a secret inside a longer one's encoding is not half-replaced. Behind
    /// a lock so that secrets learnt while releases render (the data of the Secrets a chart
    /// generates, [`Redactor::register_late`]) join the ones resolved before.
    needles: std::sync::RwLock<Needles>,
    /// References that resolved to short secrets, with their length.
    short: BTreeSet<(String, usize)>,
    /// The search by beginnings ([`Starts`]), with the number of forms it was built for
    /// (forms are only added, so the number tells whether it is current).
    starts: std::sync::Mutex<Option<(usize, std::sync::Arc<Starts>)>>,
}

impl Clone for Redactor {
    fn clone(&self) -> Self {
        Redactor {
            needles: std::sync::RwLock::new(self.read().clone()),
            short: self.short.clone(),
            starts: Default::default(),
        }
    }
}

impl Redactor {
    fn read(&self) -> std::sync::RwLockReadGuard<'_, Needles> {
        self.needles.read().unwrap_or_else(|e| e.into_inner())
    }

    /// Register a secret and its encoded forms.
    pub fn register(&mut self, secret: &str) {
        let needles = self.needles.get_mut().unwrap_or_else(|e| e.into_inner());
        add(needles, secret);
    }

    /// Register a secret learnt while releases render, through a shared reference: the data of
    /// a Secret the chart generates (its random keys), so that a post-render step's logs,
    /// errors and the objects it writes elsewhere do not show it. Secrets shorter than
    /// [`SHORT_SECRET`] are not taken (they would mask ordinary text).
    pub fn register_late(&self, secret: &str) {
        if secret.chars().count() < SHORT_SECRET {
            return;
        }
        let mut needles = self.needles.write().unwrap_or_else(|e| e.into_inner());
        add(&mut needles, secret);
    }

    /// Remember that `reference` resolved to a secret of `len` characters (< [`SHORT_SECRET`]).
    /// Everything `other` was given.
    pub fn absorb(&mut self, other: Redactor) {
        let theirs = other
            .needles
            .into_inner()
            .unwrap_or_else(|e| e.into_inner());
        self.needles
            .get_mut()
            .unwrap_or_else(|e| e.into_inner())
            .extend(theirs);
        self.short.extend(other.short);
    }

    pub fn note_short(&mut self, reference: &str, len: usize) {
        self.short.insert((reference.to_owned(), len));
    }

    /// One warning per short secret, naming the reference and the length, never the value.
    pub fn short_secret_warnings(&self) -> Vec<String> {
        self.short
            .iter()
            .map(|(r, len)| format!(
                "warning: `{r}` resolved to a secret of only {len} characters: it is masked as `{MARKER}` wherever those characters appear in the output (use a longer secret to avoid masking other text)"
            ))
            .collect()
    }

    pub fn is_empty(&self) -> bool {
        self.read().is_empty()
    }

    /// `text` with every registered form replaced by [`MARKER`], longest first.
    pub fn redact(&self, text: &str) -> String {
        let needles = self.read();
        // A long text (a render) is searched once for every form (see `Starts`), and only
        // the forms it holds are replaced in turn: a form looked for one by one costs a pass
        // over the text each (31,000 forms over a 10 MB render of 500 releases). A form that
        // could appear only once a marker is in (it begins or ends like one) is kept as well,
        // so the result is the loop's over every form.
        let present = (text.len() >= SEARCH_PARTS_FROM)
            .then(|| self.starts(&needles).map(|s| s.present(text.as_bytes())))
            .flatten();
        let mut out = text.to_owned();
        for (i, (_, needle)) in needles.iter().enumerate() {
            if present
                .as_ref()
                .is_some_and(|p| !p.contains(&i) && !touches_marker(needle))
            {
                continue;
            }
            if out.contains(needle.as_str()) {
                out = out.replace(needle.as_str(), MARKER);
            }
        }
        out
    }

    /// One text, given in parts (a render's sections), with every registered form replaced
    /// by [`MARKER`]: the parts as they are when no form occurs in them or across a cut
    /// between two (nothing is copied), else the parts joined and redacted as one text.
    pub fn redact_parts(&self, parts: Vec<String>) -> Vec<String> {
        self.redact_parts_searched_from(parts, SEARCH_PARTS_FROM)
    }

    /// [`Self::redact_parts`], joining parts of fewer than `from` bytes in all without
    /// searching them first.
    fn redact_parts_searched_from(&self, parts: Vec<String>, from: usize) -> Vec<String> {
        let small = parts.iter().map(String::len).sum::<usize>() < from;
        if small || self.may_hold_secret(&parts) {
            vec![self.redact(&parts.concat())]
        } else {
            parts
        }
    }

    /// False only when no registered form occurs in the parts joined.
    fn may_hold_secret(&self, parts: &[String]) -> bool {
        let needles = self.read();
        let Some((std::cmp::Reverse(longest), _)) = needles.first() else {
            return false;
        };
        // A form across a cut lies within `longest - 1` bytes either side of it, when no part
        // is shorter than that (else it may span several cuts: say yes).
        let reach = longest - 1;
        if parts.iter().any(|p| p.len() < reach) {
            return true;
        }
        // Every form looked for in one pass (a few hundred parts of a few KB each: building a
        // searcher per form and part cost more than the search).
        let Some(starts) = self.starts(&needles) else {
            return true;
        };
        let across = |a: &str, b: &str| {
            let mut window = a.as_bytes()[a.len() - reach..].to_vec();
            window.extend_from_slice(&b.as_bytes()[..reach]);
            starts.holds(&window)
        };
        parts.iter().any(|p| starts.holds(p.as_bytes()))
            || parts.windows(2).any(|w| across(&w[0], &w[1]))
    }

    /// True when `text` holds a registered secret in any form. With many forms (each release's
    /// emitted Secrets add theirs), one search by the forms' beginnings, its automaton built
    /// once for the forms registered so far and kept: `--output-dir` asks this of every
    /// release's files (500 releases: 23 s, one pass per form and file).
    pub fn contains_secret(&self, text: &str) -> bool {
        let needles = self.read();
        if needles.len() < MANY_FORMS {
            return needles.iter().any(|(_, n)| text.contains(n.as_str()));
        }
        match self.starts(&needles) {
            Some(s) => s.holds(text.as_bytes()),
            None => needles.iter().any(|(_, n)| text.contains(n.as_str())),
        }
    }

    /// The search by beginnings for `needles` (this redactor's, read-locked by the caller):
    /// built once for the forms registered so far and kept until one is added.
    fn starts(&self, needles: &Needles) -> Option<std::sync::Arc<Starts>> {
        let mut kept = self.starts.lock().unwrap_or_else(|e| e.into_inner());
        if kept.as_ref().is_none_or(|(len, _)| *len != needles.len()) {
            *kept = Starts::new(needles).map(|s| (needles.len(), std::sync::Arc::new(s)));
        }
        kept.as_ref().map(|(_, s)| s.clone())
    }
}

/// Every registered form looked for at once, by its first [`SEARCH_PREFIX`] bytes: each place
/// one starts is then checked for the whole forms that share it. Forms share their beginnings
/// (a password's connection string in each of 500 releases' Secrets), so the automaton is
/// small: over the whole forms, 500 releases' 31,000 forms (7 MB) took 1.5 s and hundreds of
/// MiB to build.
struct Starts {
    automaton: aho_corasick::AhoCorasick,
    /// Per beginning (the automaton's pattern number), the forms that have it, with their
    /// place in the needle order.
    groups: Vec<Vec<(usize, Box<[u8]>)>>,
}

impl std::fmt::Debug for Starts {
    /// The number of beginnings only: the forms are secrets.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Starts({} beginnings)", self.groups.len())
    }
}

impl Starts {
    fn new(needles: &Needles) -> Option<Starts> {
        let mut group_of: std::collections::HashMap<&[u8], usize> =
            std::collections::HashMap::new();
        let mut prefixes: Vec<&[u8]> = Vec::new();
        let mut groups: Vec<Vec<(usize, Box<[u8]>)>> = Vec::new();
        for (i, (_, n)) in needles.iter().enumerate() {
            let n = n.as_bytes();
            let prefix = &n[..n.len().min(SEARCH_PREFIX)];
            let g = *group_of.entry(prefix).or_insert_with(|| {
                prefixes.push(prefix);
                groups.push(Vec::new());
                groups.len() - 1
            });
            groups[g].push((i, n.into()));
        }
        let automaton = aho_corasick::AhoCorasick::builder()
            .kind(Some(aho_corasick::AhoCorasickKind::ContiguousNFA))
            .build(&prefixes)
            .ok()?;
        Some(Starts { automaton, groups })
    }

    /// The whole forms that start at each match in `hay`.
    fn found<'h>(&'h self, hay: &'h [u8]) -> impl Iterator<Item = usize> + 'h {
        self.automaton
            .find_overlapping_iter(hay)
            .flat_map(move |m| {
                self.groups[m.pattern().as_usize()]
                    .iter()
                    .filter(move |(_, n)| hay[m.start()..].starts_with(n))
                    .map(|(i, _)| *i)
            })
    }

    fn holds(&self, hay: &[u8]) -> bool {
        self.found(hay).next().is_some()
    }

    /// The needle-order places of the forms `hay` holds.
    fn present(&self, hay: &[u8]) -> std::collections::HashSet<usize> {
        self.found(hay).collect()
    }
}

/// Whether `form` could appear in a text only once a [`MARKER`] is in it: it holds the
/// marker, begins with an end of it or ends with a beginning of it.
fn touches_marker(form: &str) -> bool {
    form.contains(MARKER)
        || (1..MARKER.len()).any(|k| form.starts_with(&MARKER[k..]) || form.ends_with(&MARKER[..k]))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The secret inside a longer base64 text, whatever its alignment, and its other forms.
    #[test]
    fn every_form_helm_gives_a_secret_is_registered() {
        let secret = "S3cr3t pw/+:x";
        let mut r = Redactor::default();
        r.register(secret);
        for prefix in ["", "u", "us", "usr:", "user:", "login:", "Basic x:"] {
            for suffix in ["", "!", "\n", "tail"] {
                let text = STANDARD.encode(format!("{prefix}{secret}{suffix}"));
                assert!(r.contains_secret(&text), "{prefix:?} {suffix:?}: {text}");
                assert!(r.redact(&text).contains(MARKER));
            }
        }
        for form in [
            "S3cr3t+pw%2F%2B%3Ax",   // Go's urlquery
            "S3cr3t%20pw%2F+:x",     // Go's PathEscape
            "S3cr3t%20pw%2F%2B%3Ax", // RFC 3986 component
        ] {
            assert!(r.contains_secret(form), "{form}");
        }
        let odd = "a\"b\\c\td\u{7f}e\u{2028}f\u{85}g\x08h";
        let f = forms(odd);
        for want in [
            r#"a\"b\\c\td\x7Fe\Lf\Ng\bh"#,               // go-yaml (toYaml)
            r#"a\"b\\c\td\u007fe\u2028f\u0085g\u0008h"#, // helmwasm's writer
            r#"a\"b\\c\td\x7fe\u2028f\u0085g\bh"#,       // Go's strconv.Quote (quote)
            r#"a\\\"b\\\\c\\td"#,                        // JSON inside YAML (prefix)
        ] {
            assert!(f.iter().any(|x| x.starts_with(want)), "{want}\n{f:#?}");
        }
        // A short last line of a multi-line secret, with the line before it, as printed.
        let key = "-----BEGIN KEY-----\nAAAAB3NzaC1yc2EAAAADAQABAAABAQ\nQw==\n-----END KEY-----";
        let mut r = Redactor::default();
        r.register(key);
        let block = "key: |\n    AAAAB3NzaC1yc2EAAAADAQABAAABAQ\n    Qw==\n";
        assert!(!r.redact(block).contains("Qw=="), "{}", r.redact(block));
        assert!(
            !r.redact("\"AAAAB3NzaC1yc2EAAAADAQABAAABAQ\\nQw==\"")
                .contains("Qw==")
        );
        // Folded by toYaml at a space, onto an indented line.
        let long = "correct horse battery staple and a very long passphrase that goes on and on";
        let mut r = Redactor::default();
        r.register(long);
        let folded = "    password: correct horse battery staple and a very long passphrase that goes on and\n      on\n";
        assert_eq!(r.redact(folded), "    password: <redacted>\n");
    }

    #[test]
    fn every_form_is_replaced() {
        let mut r = Redactor::default();
        r.register("p@ss:w/rd?#%");
        let encoded = utf8_percent_encode("p@ss:w/rd?#%", URL_COMPONENT).to_string();
        let text = format!(
            "plain p@ss:w/rd?#% url {encoded} b64 {}",
            STANDARD.encode("p@ss:w/rd?#%")
        );
        assert_eq!(
            r.redact(&text),
            "plain <redacted> url <redacted> b64 <redacted>"
        );
        assert!(r.contains_secret(&text));
        assert!(!r.contains_secret("nothing here"));
    }

    /// A long text (a render) is searched once, then only the forms it holds are replaced: the
    /// result is exactly the loop over every form's, a form that appears only once a marker
    /// is in included.
    #[test]
    fn a_long_text_is_redacted_as_by_every_form_in_turn() {
        let mut r = Redactor::default();
        for s in [
            "alpha-secret-1",
            "ted>beta-part",
            "postgresql://airflow:hunter2-long@db-one.example.internal/airflow",
            "hunter2-long",
        ] {
            r.register(s);
        }
        for i in 0..300 {
            r.register(&format!("generated-key-{i:04}-of-some-length"));
        }
        let every_form_in_turn = |text: &str| {
            let mut out = text.to_owned();
            for (_, n) in r.read().iter() {
                out = out.replace(n.as_str(), MARKER);
            }
            out
        };
        let filler = "kind: ConfigMap\ndata:\n  a: nothing secret here\n".repeat(8_000);
        let text = format!(
            "{filler}x: alpha-secret-1beta-part\n{filler}url: {}\nkey: {}\n{filler}b64: {}\n{filler}",
            "postgresql://airflow:hunter2-long@db-one.example.internal/airflow",
            "generated-key-0123-of-some-length",
            STANDARD.encode("hunter2-long"),
        );
        assert!(text.len() >= SEARCH_PARTS_FROM);
        let redacted = r.redact(&text);
        assert_eq!(redacted, every_form_in_turn(&text));
        for leak in ["alpha-secret", "hunter2", "beta-part", "generated-key-0123"] {
            assert!(!redacted.contains(leak), "{leak}");
        }
    }

    /// With many forms, `contains_secret` searches by beginnings, and a form registered after
    /// a search is found by the next one (the searcher is built again).
    #[test]
    fn contains_secret_with_many_forms_answers_as_every_form_in_turn() {
        let r = Redactor::default();
        for i in 0..300 {
            r.register_late(&format!(
                "postgresql://airflow:pw-{i:04}@db.example/airflow"
            ));
        }
        assert!(r.read().len() >= MANY_FORMS, "{} forms", r.read().len());
        let every = |t: &str| r.read().iter().any(|(_, n)| t.contains(n.as_str()));
        let texts = [
            "nothing here".to_owned(),
            "a: postgresql://airflow:pw-0042@db.example/airflow\n".to_owned(),
            format!(
                "b: {}",
                STANDARD.encode("x postgresql://airflow:pw-0299@db.example/airflow")
            ),
            "c: postgresql://airflow:pw-9999@db.example/airflow".to_owned(),
        ];
        for t in &texts {
            assert_eq!(r.contains_secret(t), every(t), "{t}");
        }
        assert!(r.contains_secret(&texts[1]) && !r.contains_secret(&texts[3]));
        r.register_late("postgresql://airflow:pw-9999@db.example/airflow");
        assert!(
            r.contains_secret(&texts[3]),
            "a form registered later is found"
        );
    }

    /// Forms longer than the searched prefix that share it: a shared beginning alone is not a
    /// secret; a whole form is, wherever the text is cut.
    #[test]
    fn long_forms_sharing_a_beginning_are_told_apart() {
        let r = Redactor::default();
        for host in ["db-one.example.internal", "db-two.example.internal"] {
            r.register_late(&format!(
                "postgresql://airflow:hunter2-long@{host}:5432/airflow"
            ));
        }
        let pad = "x".repeat(120);
        let only_prefix = format!(
            "{pad}postgresql://airflow:hunter2-long@db-three.example.internal:5432/airflow{pad}"
        );
        assert!(!r.may_hold_secret(&[only_prefix.clone(), pad.clone()]));
        let text = format!(
            "{pad}url: postgresql://airflow:hunter2-long@db-two.example.internal:5432/airflow\n{pad}"
        );
        for cut in (pad.len()..text.len() - pad.len()).step_by(7) {
            let parts = vec![text[..cut].to_owned(), text[cut..].to_owned()];
            assert!(r.may_hold_secret(&parts), "cut at {cut}");
        }
        // And its base64 form (a Secret's `data`).
        let b64 = STANDARD
            .encode("postgresql://airflow:hunter2-long@db-one.example.internal:5432/airflow");
        assert!(r.may_hold_secret(&[format!("{pad}{b64}{pad}")]));
    }

    /// Redacting a text's parts gives the text redacted, wherever it is cut, and gives the
    /// parts back untouched when they hold no secret.
    #[test]
    fn parts_are_redacted_as_the_text_they_make() {
        let mut r = Redactor::default();
        r.register("s3cret-value");
        r.register("p@ss w0rd!");
        let pad = "padding text, longer than any form";
        for form in [
            "s3cret-value".to_owned(),
            STANDARD.encode("p@ss w0rd!"),
            "p%40ss%20w0rd%21".to_owned(),
        ] {
            let text = &format!("{pad} a: {form}\n{pad}");
            let whole = r.redact(text);
            assert_eq!(whole, format!("{pad} a: {MARKER}\n{pad}"));
            for first in 0..=text.len() {
                for second in first..=text.len() {
                    let parts = vec![
                        text[..first].to_owned(),
                        text[first..second].to_owned(),
                        text[second..].to_owned(),
                    ];
                    assert!(r.may_hold_secret(&parts), "cut at {first}, {second}");
                    for from in [0, SEARCH_PARTS_FROM] {
                        assert_eq!(
                            r.redact_parts_searched_from(parts.clone(), from).concat(),
                            whole,
                            "cut at {first}, {second}"
                        );
                    }
                }
            }
        }
        let clean = vec!["x".repeat(40), "y".repeat(40), "z".repeat(40)];
        assert!(!r.may_hold_secret(&clean));
        let parts = r.redact_parts_searched_from(clean.clone(), 0);
        assert_eq!(parts, clean, "untouched, not joined");
        assert_eq!(
            r.redact_parts(clean.clone()),
            [clean.concat()],
            "small: joined"
        );
        // Nothing registered: nothing to find.
        assert_eq!(
            Redactor::default().redact_parts_searched_from(clean.clone(), 0),
            clean
        );
    }

    #[test]
    fn key_lines_are_replaced_too() {
        let mut r = Redactor::default();
        r.register("-----BEGIN KEY-----\nAAAASECRETLINE\n-----END KEY-----\n");
        assert_eq!(r.redact("stderr: AAAASECRETLINE"), "stderr: <redacted>");
    }
}
