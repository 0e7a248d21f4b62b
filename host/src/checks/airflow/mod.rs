//! Rules for the Apache Airflow chart 1.19 on the *final* values, whoever set a key: a values
//! file, `--set` or a step. Each rule is one small unit with its own tests; each message names
//! the values path and where the key came from ([`crate::provenance`]). Errors fail the
//! release; warnings are printed and the render goes on.
//!
//! Chart facts they rely on live in [`super::facts`] (and AIRFLOW.md section 7).

mod admin;
mod executor;
mod extra_objects;
mod keda;
mod logs;
mod pgbouncer;
mod urls;

use super::{Check, Input, Phase, Problem};
use crate::diagnostics::{self, Code};
use crate::provenance::Provenance;
use serde_json::Value;

/// What a rule looks at.
pub struct Ctx<'a> {
    /// The final values coalesced onto the chart defaults (what the chart sees).
    pub values: &'a Value,
    /// The final user values (before the chart defaults).
    pub user: &'a Value,
    pub provenance: &'a Provenance,
    /// The steps' emitted manifests (for the Secrets a connection URL is read from).
    pub render: &'a crate::render::ReleaseRender,
}

impl Ctx<'_> {
    pub fn get(&self, path: &str) -> Option<&Value> {
        crate::values::get(self.values, path).filter(|v| !v.is_null())
    }

    pub fn str(&self, path: &str) -> Option<&str> {
        self.get(path)
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
    }

    pub fn flag(&self, path: &str) -> bool {
        self.get(path).and_then(Value::as_bool).unwrap_or(false)
    }

    /// ` (set by values/prod.yaml:12)`, ` (set by step 3 (`x`))`, ` (the chart's default)`.
    pub fn set_by(&self, path: &str) -> String {
        self.provenance.set_by(path)
    }

    /// `values.yaml:12`, `step 3 (`x`)`, `the command line (--set)` or `the chart's default`.
    pub fn origin(&self, path: &str) -> String {
        self.provenance
            .of(path)
            .map_or_else(|| "the chart's default".to_owned(), |o| o.to_string())
    }

    /// The Airflow major version the chart renders for (`airflowVersion`, default 3).
    pub fn airflow_major(&self) -> u64 {
        self.str("airflowVersion")
            .and_then(|v| v.split('.').next()?.parse().ok())
            .unwrap_or(3)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Severity {
    Error,
    Warning,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub severity: Severity,
    pub path: String,
    pub message: String,
}

impl Finding {
    pub fn error(path: &str, message: String) -> Self {
        Finding {
            severity: Severity::Error,
            path: path.to_owned(),
            message,
        }
    }

    pub fn warning(path: &str, message: String) -> Self {
        Finding {
            severity: Severity::Warning,
            path: path.to_owned(),
            message,
        }
    }
}

type Rule = fn(&Ctx) -> Vec<Finding>;

/// Every rule, with the diagnostic code of its findings.
const RULES: &[(Rule, &Code)] = &[
    (pgbouncer::bypass, &diagnostics::PGBOUNCER_BYPASS),
    (
        admin::exposed_default_password,
        &diagnostics::ADMIN_PASSWORD,
    ),
    (admin::partial_webserver_user, &diagnostics::PARTIAL_USER),
    (urls::connection_urls, &diagnostics::CONNECTION_URL),
    (keda::settings_without_effect, &diagnostics::KEDA_SETTING),
    (
        logs::block_storage_for_shared_logs,
        &diagnostics::LOGS_STORAGE,
    ),
    (
        executor::replaced_by_a_step,
        &diagnostics::EXECUTOR_REPLACED,
    ),
    (extra_objects::names, &diagnostics::EXTRA_OBJECT_NAME),
];

fn findings(input: &Input) -> Vec<(&'static Code, Finding)> {
    if !super::facts::is_apache_airflow_1_19_release(input.chart, input.release) {
        return Vec::new();
    }
    let ctx = Ctx {
        values: input.coalesced,
        user: &input.render.values,
        provenance: &input.render.provenance,
        render: input.render,
    };
    RULES
        .iter()
        .flat_map(|(rule, code)| rule(&ctx).into_iter().map(move |f| (*code, f)))
        .collect()
}

pub struct AirflowRules;

impl Check for AirflowRules {
    fn name(&self) -> &'static str {
        "Airflow rules"
    }

    fn phase(&self) -> Phase {
        Phase::Values
    }

    fn run(&self, input: &Input) -> Vec<Problem> {
        self.findings(input).0
    }

    /// Errors and warnings from one pass over the rules.
    fn findings(&self, input: &Input) -> (Vec<Problem>, Vec<Problem>) {
        let (mut errors, mut warnings) = (Vec::new(), Vec::new());
        for (code, f) in findings(input) {
            let problem = Problem {
                code,
                at: f.path,
                message: f.message,
            };
            match f.severity {
                Severity::Error => errors.push(problem),
                Severity::Warning => warnings.push(problem),
            }
        }
        (errors, warnings)
    }
}

#[cfg(test)]
pub mod test_support {
    use super::*;
    use crate::provenance::Origin;

    /// Run `rule` on `values` (already coalesced), every key set by `values.yaml`.
    pub fn run(rule: Rule, values: Value) -> Vec<Finding> {
        let mut provenance = Provenance::default();
        provenance.record(
            &serde_json::json!({}),
            &values,
            &Origin::Layer {
                label: "values.yaml".into(),
                line: None,
                key: "releases[0].values[0]".into(),
            },
            None,
        );
        run_with(rule, values, provenance)
    }

    /// A release render holding `values` and nothing else.
    pub fn render(values: &Value) -> crate::render::ReleaseRender {
        crate::render::ReleaseRender {
            name: "airflow".into(),
            namespace: "airflow".into(),
            values: values.clone(),
            manifests: Vec::new(),
            provenance: Provenance::default(),
            chart: None,
            skipped: None,
            trace: None,
        }
    }

    pub fn run_with(rule: Rule, values: Value, provenance: Provenance) -> Vec<Finding> {
        let render = render(&values);
        let ctx = Ctx {
            values: &values,
            user: &values,
            provenance: &provenance,
            render: &render,
        };
        rule(&ctx)
    }
}
