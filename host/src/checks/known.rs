//! The charts helmwasm has rules for, in one registry: an entry per chart, keyed by its
//! identity (the `Chart.yaml` name plus its home page or source) and the versions it has facts
//! for. An entry chooses the facts for the release's chart version, checks them against the
//! resolved chart before the first step, and gives the rules that use them (values-phase
//! findings, where pod-template annotations go). The pipeline asks [`lookup`] and names no
//! chart; a second chart's rules are a second entry in [`ENTRIES`], touching nothing else.

use super::{Check, Input, Phase, Problem};
use crate::chart::Chart;
use crate::plan::ReleasePlan;

/// A chart helmwasm has rules for.
pub trait Entry: Sync {
    /// Whether the resolved chart is this entry's chart (name plus home page or source).
    fn is(&self, chart: &Chart) -> bool;
    /// Without the chart (a values-only render): the version the pipeline names, when it
    /// names this chart.
    fn named<'a>(&self, release: &'a ReleasePlan) -> Option<&'a str>;
    /// The rules for a chart version, their facts checked against `chart` when there is one.
    /// An error (no facts for the version, or facts the chart contradicts) names the fact,
    /// the key and the version.
    fn load(&self, version: &str, chart: Option<&Chart>) -> Result<Loaded, String>;
    /// One line for `plugins list`: the chart and the versions its facts cover, tested and
    /// verified only.
    fn describe(&self) -> String;
}

/// The rules of one release's chart.
pub struct Loaded {
    pub rules: Box<dyn Rules>,
    /// Said once for the release: facts used for a chart newer than they were written for.
    pub warnings: Vec<Problem>,
    /// Without the chart: what could not be verified (said with the chart-not-rendered note).
    pub unverified: Option<String>,
}

/// What a chart's rules give the pipeline.
pub trait Rules: Send + Sync {
    /// Where the chart takes extra pod-template annotations (the rollout digest goes there).
    fn pod_annotations(&self) -> Vec<&'static str>;
    /// Errors and warnings on the final values (the values phase).
    fn findings(&self, input: &Input) -> (Vec<Problem>, Vec<Problem>);
    /// Whether these rules report a step's replacement of a user's value at `path` in their
    /// own words (the generic warning then says nothing).
    fn reports_overrides_of(&self, path: &str) -> bool;
    /// Whether the chart reads `key` of the `kind` (`Secret`, `ConfigMap`) named `name`, by
    /// its values (`coalesced`): a missing key mounted by `subPath` is then an error, not a
    /// warning.
    fn reads_key(
        &self,
        _coalesced: &serde_json::Value,
        _kind: &str,
        _name: &str,
        _key: &str,
    ) -> bool {
        false
    }
    /// Whether the chart mounts `key` of a `kind` by `subPath` without always giving it, and
    /// nothing reads the empty folder the kubelet mounts instead: no finding.
    fn sometimes_mounted(&self, _kind: &str, _key: &str) -> bool {
        false
    }
}

/// Every chart with rules.
static ENTRIES: &[&dyn Entry] = &[&super::airflow::Entry];

/// The rules for a release's chart: the resolved chart when it could be had, else what the
/// pipeline names. `Ok(None)`: a chart helmwasm has no rules for.
pub fn lookup(chart: Option<&Chart>, release: &ReleasePlan) -> Result<Option<Loaded>, String> {
    match chart {
        Some(c) => for_chart(c).transpose(),
        None => ENTRIES
            .iter()
            .find_map(|e| e.named(release).map(|v| e.load(v, None)))
            .transpose(),
    }
}

/// The rules of a resolved chart helmwasm knows, their facts verified against it: `None` for a
/// chart without rules.
pub fn for_chart(chart: &Chart) -> Option<Result<Loaded, String>> {
    ENTRIES
        .iter()
        .find(|e| e.is(chart))
        .map(|e| e.load(&chart.version, Some(chart)))
}

/// What `plugins list` says about the charts with rules, a line each.
pub fn describe() -> Vec<String> {
    ENTRIES.iter().map(|e| e.describe()).collect()
}

/// The check that runs the release's chart rules, if it has any.
pub struct KnownRules;

impl Check for KnownRules {
    fn name(&self) -> &'static str {
        "chart rules"
    }

    fn phase(&self) -> Phase {
        Phase::Values
    }

    fn run(&self, input: &Input) -> Vec<Problem> {
        self.findings(input).0
    }

    fn findings(&self, input: &Input) -> (Vec<Problem>, Vec<Problem>) {
        input
            .known
            .map(|rules| rules.findings(input))
            .unwrap_or_default()
    }
}
