//! Redaction: every secret value resolved during a run is registered here, together with the
//! forms it commonly appears in (standard base64, URL-safe base64, percent-encoded), and
//! replaced by [`MARKER`] in everything shown to the user: errors, logs, diagnostics, plugin
//! output and the printed render.

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

/// Secrets shorter than this are masked wherever their characters appear (`main` in
/// `branch: main` too): the user is warned, without the value.
pub const SHORT_SECRET: usize = 8;

/// Parts of a text shorter than this in all are joined and redacted as one text without
/// being searched first: building the searcher costs what joining and redacting ~256 KiB do
/// (0.1-0.4 ms; the example's render is ~10 KiB, 500 releases' 3.5 MB).
const SEARCH_PARTS_FROM: usize = 256 * 1024;

#[derive(Debug, Default, Clone)]
pub struct Redactor {
    /// Longest first, so a secret inside a longer one's encoding is not half-replaced.
    needles: BTreeSet<(std::cmp::Reverse<usize>, String)>,
    /// References that resolved to short secrets, with their length.
    short: BTreeSet<(String, usize)>,
}

impl Redactor {
    /// Register a secret and its encoded forms.
    pub fn register(&mut self, secret: &str) {
        if secret.is_empty() {
            return;
        }
        let forms = [
            secret.to_owned(),
            secret.trim().to_owned(),
            STANDARD.encode(secret),
            STANDARD.encode(secret).trim_end_matches('=').to_owned(),
            URL_SAFE.encode(secret).trim_end_matches('=').to_owned(),
            utf8_percent_encode(secret, URL_COMPONENT).to_string(),
            utf8_percent_encode(secret, FORM).to_string(),
            serde_json::to_string(secret)
                .unwrap_or_default()
                .trim_matches('"')
                .to_owned(),
        ];
        for f in forms {
            if !f.is_empty() {
                self.needles.insert((std::cmp::Reverse(f.len()), f));
            }
        }
        // Multi-line secrets (keys) also show up line by line, e.g. in a plugin's stderr.
        for line in secret.lines().map(str::trim).filter(|l| l.len() >= 8) {
            self.needles
                .insert((std::cmp::Reverse(line.len()), line.to_owned()));
        }
    }

    /// Remember that `reference` resolved to a secret of `len` characters (< [`SHORT_SECRET`]).
    /// Everything `other` was given.
    pub fn absorb(&mut self, other: Redactor) {
        self.needles.extend(other.needles);
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
        self.needles.is_empty()
    }

    /// `text` with every registered form replaced by [`MARKER`].
    pub fn redact(&self, text: &str) -> String {
        let mut out = text.to_owned();
        for (_, needle) in &self.needles {
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
        let Some((std::cmp::Reverse(longest), _)) = self.needles.first() else {
            return false;
        };
        // A form across a cut lies within `longest - 1` bytes either side of it, when no part
        // is shorter than that (else it may span several cuts: say yes).
        let reach = longest - 1;
        if parts.iter().any(|p| p.len() < reach) {
            return true;
        }
        // Every form looked for in one pass (a few hundred parts of a few KB each: building a
        // searcher per form and part cost more than the search). Any occurrence of a form is
        // a leftmost-first match too, and that kind lets aho-corasick use its SIMD searcher;
        // a contiguous NFA behind it builds in a fraction of a DFA's time.
        let forms = aho_corasick::AhoCorasick::builder()
            .match_kind(aho_corasick::MatchKind::LeftmostFirst)
            .kind(Some(aho_corasick::AhoCorasickKind::ContiguousNFA))
            .build(self.needles.iter().map(|(_, n)| n));
        let Ok(forms) = forms else {
            return true;
        };
        let across = |a: &str, b: &str| {
            let mut window = a.as_bytes()[a.len() - reach..].to_vec();
            window.extend_from_slice(&b.as_bytes()[..reach]);
            forms.is_match(&window)
        };
        parts.iter().any(|p| forms.is_match(p)) || parts.windows(2).any(|w| across(&w[0], &w[1]))
    }

    /// True when `text` holds a registered secret in any form.
    pub fn contains_secret(&self, text: &str) -> bool {
        self.needles.iter().any(|(_, n)| text.contains(n.as_str()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
