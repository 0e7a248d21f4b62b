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

    #[test]
    fn key_lines_are_replaced_too() {
        let mut r = Redactor::default();
        r.register("-----BEGIN KEY-----\nAAAASECRETLINE\n-----END KEY-----\n");
        assert_eq!(r.redact("stderr: AAAASECRETLINE"), "stderr: <redacted>");
    }
}
