//! Why planning failed, by kind.

/// Why planning failed, typed so that the kind decides the diagnostic code (nothing downcasts
/// the chain to guess it).
#[derive(Debug)]
pub enum PlanError {
    /// A release's own fields name what is not there or not valid: `chart`, `version`, a
    /// `schema:` override (`HW0101 invalid-pipeline-file`).
    Release(anyhow::Error),
    /// A values layer: a file, a template, inline values (`HW0102 invalid-values`).
    Values(anyhow::Error),
    /// The environment or the selectors (`HW0105 invalid-selection`).
    Selection(anyhow::Error),
}

impl PlanError {
    /// Its diagnostic code and error.
    pub fn into_parts(self) -> (&'static crate::codes::Code, anyhow::Error) {
        match self {
            PlanError::Release(e) => (&crate::codes::PIPELINE_FILE, e),
            PlanError::Values(e) => (&crate::codes::VALUES, e),
            PlanError::Selection(e) => (&crate::codes::SELECTION, e),
        }
    }

    fn error(&self) -> &anyhow::Error {
        match self {
            PlanError::Release(e) | PlanError::Values(e) | PlanError::Selection(e) => e,
        }
    }
}

impl std::fmt::Display for PlanError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if f.alternate() {
            write!(f, "{:#}", self.error())
        } else {
            write!(f, "{}", self.error())
        }
    }
}

impl std::error::Error for PlanError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.error().source()
    }
}
