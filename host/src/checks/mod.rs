//! Checks over a release's render, as a list of stages behind one small interface
//! ([`Check`]). Each check gets the same [`Input`] (the release plan, the render so far, the
//! values coalesced onto the chart defaults, the resolved chart) and returns [`Problem`]s.
//!
//! Two phases: [`Phase::Values`] checks run after the last step, before helm (the chart
//! schema, deprecated keys, the emitted objects, the rules of a chart helmwasm knows
//! ([`known`]: the Airflow chart's facts and rules)); [`Phase::Render`] checks run on
//! the whole render, the chart's manifests included when helm rendered it (every reference
//! from a pod template must resolve). The list is [`all`]; the order of the list is the
//! order of the report.

mod airflow;
mod deprecated;
pub mod known;
mod objects;
pub(crate) use objects::{capability, identity};
mod overrides;
pub(crate) mod password;
mod references;
pub(crate) use references::pod_spec;
mod schema;
pub use schema::ValuesSchema;
pub(crate) use schema::{Step as SchemaStep, subschema};

use crate::chart::Chart;
use crate::plan::ReleasePlan;
use crate::render::ReleaseRender;
use crate::values;
use serde_json::{Map, Value};

/// One finding, with the values path, object or reference it is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// Its stable diagnostic code.
    pub code: &'static crate::codes::Code,
    pub at: String,
    pub message: String,
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.at, self.message)
    }
}

/// When a check runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// After the last step, before helm renders the chart.
    Values,
    /// On the whole render (the chart's manifests when there are any).
    Render,
}

/// What every check sees.
pub struct Input<'a> {
    pub release: &'a ReleasePlan,
    pub render: &'a ReleaseRender,
    /// Chart defaults under the final values, as Helm coalesces them.
    pub coalesced: &'a Value,
    /// The resolved chart, if it could be had.
    pub chart: Option<&'a Chart>,
    /// The schema to validate against (the `schema:` override or the chart's own) and its label.
    pub schema: Option<(&'a schema::ValuesSchema, String)>,
    /// helm renders the chart (in the values phase: will, once these checks pass).
    pub full_render: bool,
    /// The rules of the release's chart, when helmwasm has some ([`known::lookup`]).
    pub known: Option<&'a dyn known::Rules>,
}

pub trait Check {
    /// Shown in the report's section header.
    fn name(&self) -> &'static str;
    fn phase(&self) -> Phase;
    fn run(&self, input: &Input) -> Vec<Problem>;
    /// The errors ([`Check::run`]) and the warnings — problems worth saying that do not fail
    /// the release — in one pass. Checks that warn override it.
    fn findings(&self, input: &Input) -> (Vec<Problem>, Vec<Problem>) {
        (self.run(input), Vec::new())
    }
}

/// Every check, in report order.
pub fn all() -> Vec<Box<dyn Check>> {
    vec![
        Box::new(schema::Schema),
        Box::new(deprecated::Deprecated),
        Box::new(objects::Emitted),
        Box::new(known::KnownRules),
        Box::new(overrides::UserOverridden),
        Box::new(objects::Collisions),
        Box::new(references::References),
    ]
}

/// What the checks of one phase found: the errors of each check that found any, by check, and
/// every warning.
pub struct Report {
    pub errors: Vec<(&'static str, Vec<Problem>)>,
    pub warnings: Vec<Problem>,
}

/// Run the checks of one phase, each once.
pub fn run(phase: Phase, input: &Input) -> Report {
    let mut report = Report {
        errors: Vec::new(),
        warnings: Vec::new(),
    };
    for check in all().iter().filter(|c| c.phase() == phase) {
        let (errors, warnings) = check.findings(input);
        if !errors.is_empty() {
            report.errors.push((check.name(), errors));
        }
        report.warnings.extend(warnings);
    }
    report
}

pub fn coalesce(defaults: &Map<String, Value>, rendered: &Value) -> Value {
    let mut out = defaults.clone();
    if let Value::Object(r) = rendered {
        values::coalesce(&mut out, r.clone());
    }
    Value::Object(out)
}

/// `/dags/gitSync/repo` → `dags.gitSync.repo`; `/a/0` → `a[0]`; the root is `(root)`.
pub fn values_path(pointer: &str) -> String {
    match values::pointer_path("", pointer) {
        p if p.is_empty() => "(root)".to_owned(),
        p => p,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn pointers_become_values_paths() {
        assert_eq!(values_path(""), "(root)");
        assert_eq!(values_path("/dags/gitSync/repo"), "dags.gitSync.repo");
        assert_eq!(
            values_path("/workers/extraVolumes/0/name"),
            "workers.extraVolumes[0].name"
        );
    }

    #[test]
    fn coalesce_puts_defaults_under_values() {
        let defaults = json!({"a": 1, "b": {"c": 2, "d": 3}})
            .as_object()
            .unwrap()
            .clone();
        assert_eq!(
            coalesce(&defaults, &json!({"b": {"c": null, "e": 4}})),
            json!({"a": 1, "b": {"d": 3, "e": 4}})
        );
    }
}
