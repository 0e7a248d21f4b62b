//! The render model: what a run produced for each release. Built by [`crate::execute`]
//! (values and emitted manifests) and [`crate::pipeline`] (the chart's own manifests when
//! helm rendered it, or why it did not), read by [`crate::checks`] and [`crate::output`]. It
//! depends on no other stage.

use serde_json::Value;

#[derive(Debug, Clone, PartialEq)]
pub struct Render {
    pub releases: Vec<ReleaseRender>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ReleaseRender {
    pub name: String,
    pub namespace: String,
    /// The final values (what `helm template` got).
    pub values: Value,
    /// Objects emitted by the steps, in step order (then those post-render steps added).
    pub manifests: Vec<Manifest>,
    /// Where each values key came from (layers, `--set`, steps).
    pub provenance: crate::provenance::Provenance,
    /// The chart's own render, when helm rendered it.
    pub chart: Option<ChartRender>,
    /// Why the chart was not rendered, when it was not.
    pub skipped: Option<Skipped>,
    /// The chart defaults and schema, kept only when asked for (`explain`).
    pub trace: Option<Box<Trace>>,
}

/// What `explain` shows beside the provenance.
#[derive(Debug, Clone, PartialEq)]
pub struct Trace {
    /// `None` when neither the chart nor a `schema:` override could be read.
    pub defaults: Option<serde_json::Map<String, Value>>,
    pub schema: Option<Value>,
}

impl ReleaseRender {
    /// Every object of the render: the chart's, then the emitted ones.
    pub fn objects(&self) -> impl Iterator<Item = &Value> {
        self.chart
            .iter()
            .flat_map(|c| c.documents.iter().map(|d| &d.object))
            .chain(self.manifests.iter().map(|m| &m.object))
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Manifest {
    /// The list of the step that emitted it (a post-render step may add objects too).
    pub kind: crate::plan::StepKind,
    pub step: usize,
    pub plugin: String,
    pub object: Value,
}

/// The chart's manifests as `helm template` printed them.
#[derive(Debug, Clone, PartialEq)]
pub struct ChartRender {
    /// `Chart.yaml` name and version.
    pub name: String,
    pub version: String,
    pub documents: Vec<ChartDocument>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ChartDocument {
    /// helm's `# Source:` (`airflow/templates/...yaml`).
    pub source: String,
    /// The document as helm printed it (comments included).
    pub text: String,
    pub object: Value,
}

/// The chart was not rendered: why, and what to do to get the full render.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skipped {
    pub reason: String,
    pub hint: String,
    /// What could not be checked without the chart (chart facts chosen by the pipeline's
    /// `version`, not verified), said after the hint.
    pub unverified: Option<String>,
}

impl Skipped {
    pub fn new(reason: String, hint: String) -> Self {
        Skipped {
            reason,
            hint,
            unverified: None,
        }
    }

    /// `HINT`, then `; UNVERIFIED` when there is something.
    pub fn hint_and_more(&self) -> String {
        match &self.unverified {
            Some(u) => format!("{}; {u}", self.hint),
            None => self.hint.clone(),
        }
    }
}
