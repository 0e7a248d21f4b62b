//! Diagnostics: everything a run finds, with a stable code, a severity and where it is.
//!
//! The stages report in their own terms (a check's [`crate::checks::Problem`], a plugin's
//! diagnostic, a failed stage's error); this module gives each a [`Code`] from one table
//! ([`CODES`], listed with an example and a fix in `docs/diagnostics.md`, checked by a test)
//! and a [`Diagnostic`] that `lint` prints as text, JSON, SARIF or GitHub workflow commands
//! ([`format`](mod@format)). Codes never change meaning; a retired code is never reused.

mod collect;
pub mod format;
mod locate;

pub use collect::Collector;
pub use locate::{Locator, from_failure};

use serde::Serialize;

pub use crate::codes::*;
pub use crate::codes::{CODES, Code};

/// How bad a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Note,
    Warning,
    Error,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Note => "note",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

/// One finding, located as precisely as the stage that found it knows. Every string is
/// untrusted (it may quote what a plugin returned) and already redacted by its producer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub severity: Severity,
    pub code: &'static Code,
    pub message: String,
    pub release: Option<String>,
    pub step: Option<usize>,
    /// Which list the step is in: `values` (`steps`) or `post-render` (`postRender`).
    pub stage: Option<&'static str>,
    pub plugin: Option<String>,
    pub file: Option<String>,
    pub line: Option<usize>,
    pub column: Option<usize>,
    /// The values path (`workers.keda.enabled`) or object (`Secret airflow/x`) it is about.
    pub path: Option<String>,
}

impl Diagnostic {
    pub fn new(severity: Severity, code: &'static Code, message: impl Into<String>) -> Self {
        Diagnostic {
            severity,
            code,
            message: message.into(),
            release: None,
            step: None,
            stage: None,
            plugin: None,
            file: None,
            line: None,
            column: None,
            path: None,
        }
    }

    pub fn release(mut self, release: &str) -> Self {
        self.release = Some(release.to_owned());
        self
    }

    /// A values step.
    pub fn step(self, number: usize, plugin: &str) -> Self {
        self.step_of(crate::plan::StepKind::Values, number, plugin)
    }

    pub fn step_of(mut self, kind: crate::plan::StepKind, number: usize, plugin: &str) -> Self {
        self.step = Some(number);
        self.stage = Some(match kind {
            crate::plan::StepKind::Values => "values",
            crate::plan::StepKind::PostRender => "post-render",
        });
        self.plugin = Some(plugin.to_owned());
        self
    }

    pub fn path(mut self, path: &str) -> Self {
        self.path = Some(path.to_owned());
        self
    }

    pub fn at(mut self, file: String, line: Option<usize>, column: Option<usize>) -> Self {
        self.file = Some(file);
        self.line = line;
        self.column = column;
        self
    }
}

/// `docs/diagnostics.md`: the output formats and every code with its example and fix
/// (generated from [`CODES`]; a test keeps the committed file equal, `BLESS=1` rewrites it).
pub fn reference_doc() -> String {
    let mut out = String::from(DOC_HEAD);
    for c in CODES {
        out.push_str(&format!(
            "\n### {} `{}`\n\n{}\n\n- Example: `{}`\n- Fix: {}\n",
            c.id, c.name, c.summary, c.example, c.fix
        ));
    }
    out
}

const DOC_HEAD: &str = r#"# Diagnostics

`helmwasm lint` runs every stage and check of `template` (plugins, chart schema, the Airflow
rules, `helm template` when the chart and helm are there, the checks on the rendered
manifests) and writes nothing. Each finding is a diagnostic with a stable code, a severity
(`error`, `warning`, `note`), the release, step and plugin it concerns, the file, line and
column it points at (the values file line that set a key, the pipeline file line of a step),
and the values path or object it is about. `template` stops on the same errors and prints the
same warnings, as text without codes.

```sh
helmwasm lint -e prod                       # text, for people
helmwasm lint -e prod --output json         # one JSON document (below)
helmwasm lint -e prod --output sarif > helmwasm.sarif   # SARIF 2.1.0, for code scanning
helmwasm lint -e prod --output github       # ::error file=…,line=…:: workflow commands
helmwasm lint -e prod --fail-on warning     # warnings fail too
helmwasm lint -e prod --resolve-secrets     # resolve references instead of checking their shape
```

Exit codes: 0 when nothing fails (by default: no error; with `--fail-on warning`: no error or
warning), 1 otherwise, 2 on an internal error.

**Secrets.** Without `--resolve-secrets`, lint reads no secret: each `ref+…` reference is
checked for shape (scheme, fragment) and the steps get a placeholder
(`helmwasm-lint-placeholder-` and 12 hex digits) in its place, so a pull request from a fork,
without credentials, can lint. A step that fails without having seen a placeholder is an error
as usual. A step that fails while it may have seen one (in its own config, an earlier step's,
or the values) runs again with every placeholder in other shapes, each derived from the
placeholder (no secret): an unencrypted OpenSSH private key file, a Fernet key, a PostgreSQL
URL. Then, by that evidence:

- a run passes: the failure was the placeholder's; lint goes on with that run (`-v` says
  which shape), and everything after it is checked as usual;
- every run fails with the same message (placeholders blanked out): the failure is the step's
  own, an error (HW0201) exactly as `template` would report. When that message names the field
  that holds the reference, the error adds that a secret of another form is checked only by
  `lint --resolve-secrets`;
- a run got past the placeholder's failure and failed in a way that names no field holding a
  placeholder and comes back the same with other content in that shape (git-sync with the key
  in the shape of a key file, failing on `ssh.knownHosts`): that failure is the step's own, an
  error (HW0201);
- otherwise lint cannot tell: the warning HW0204; the release goes on without that step, and
  the errors the checks then find in that release are reported as warnings (they may follow
  from the missing step).

So `lint` reports an error exactly when `template` fails, except where the failure needs a
secret's value: a weak password given by reference, a key of a form no shape fits (tested
over every golden case and the example in full, each also with its credentials turned into
references: `host/tests/e2e/lint_template.rs`).

## JSON output

`{"version": 1, "diagnostics": [...], "summary": {"errors": N, "warnings": N, "notes": N}}`.
Every diagnostic has every field (null when unknown):

| field | type | what |
| --- | --- | --- |
| `severity` | `"error"`, `"warning"`, `"note"` | |
| `code` | string | `HW` and four digits, below |
| `name` | string | the code's kebab-case name |
| `message` | string | what is wrong (secrets redacted) |
| `release` | string or null | the release |
| `step` | integer or null | the step number (1-based, as listed in the pipeline file) |
| `stage` | `"values"`, `"post-render"` or null | which list the step is in (`steps`, `postRender`) |
| `plugin` | string or null | the step's plugin |
| `file` | string or null | the file it points at (lint falls back to the pipeline file) |
| `line`, `column` | integer or null | 1-based |
| `path` | string or null | the values path (`workers.keda.enabled`) or object it is about |

`version` changes only when a field changes meaning or goes away; fields may be added.

## SARIF and GitHub

SARIF logs list every code as a rule (`ruleIndex` is stable), with the release, step and
plugin under `properties` and the values path as a logical location. Upload them with
`github/codeql-action/upload-sarif`. `--output github` prints one workflow command per
diagnostic for pull-request annotations; messages are escaped so none can forge a command.

## Codes
"#;

#[cfg(test)]
mod doc_tests {
    #[test]
    fn the_committed_reference_is_up_to_date() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/diagnostics.md");
        let want = super::reference_doc();
        if std::env::var_os("BLESS").is_some() {
            std::fs::write(&path, &want).unwrap();
        }
        let have = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            have == want,
            "docs/diagnostics.md is out of date: `BLESS=1 cargo test -p helmwasm --lib diagnostics` rewrites it"
        );
    }
}
