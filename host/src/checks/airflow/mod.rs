//! The Apache Airflow chart's entry in the chart-rules registry ([`super::known`]): which
//! charts it is (the official chart, by `Chart.yaml` name and home page), the chart facts for
//! the release's version ([`airflow_facts`], checked against the chart by [`verify`]), and the
//! rules on the *final* values, whoever set a key: a values file, `--set` or a step. Each rule
//! is one small unit with its own tests; each message names the values path and where the key
//! came from ([`crate::provenance`]). Errors fail the release; warnings are printed and the
//! render goes on.

mod admin;
mod airflow2;
mod executor;
mod extra_objects;
mod keda;
mod logs;
mod pgbouncer;
mod secrets;
mod urls;
pub mod verify;

use super::known::{self, Loaded};
use super::{Input, Problem};
use crate::chart::Chart;
use crate::codes::{self, Code};
use crate::plan::ReleasePlan;
use crate::provenance::Provenance;
use airflow_facts::Facts;
use serde_json::Value;

/// The official Apache Airflow chart (`Chart.yaml` name `airflow`, home airflow.apache.org or
/// source github.com/apache/airflow). Bitnami's chart is also called `airflow`; its home is
/// bitnami.com.
pub struct Entry;

impl known::Entry for Entry {
    fn describe(&self) -> String {
        let lines: Vec<String> = airflow_facts::LINES
            .iter()
            .map(|(l, _)| l.to_string())
            .collect();
        let tested: Vec<&str> = airflow_facts::LINES.iter().map(|(_, t)| *t).collect();
        let (newest, _) = airflow_facts::LINES[airflow_facts::LINES.len() - 1];
        format!(
            "Apache Airflow chart ({}, home {}): facts for {}; tested with {}; a newer {}.x (1.22 today) is verified against the chart on every run and used with the {newest} facts, with a warning; other major versions (2.0) are refused",
            airflow_facts::NAME,
            airflow_facts::HOME,
            lines.join(", "),
            tested.join(", "),
            newest.0
        )
    }

    fn is(&self, chart: &Chart) -> bool {
        let apache = chart
            .home
            .as_deref()
            .is_some_and(|h| h.trim_end_matches('/') == airflow_facts::HOME)
            || chart
                .sources
                .iter()
                .any(|s| s.trim_end_matches('/') == airflow_facts::SOURCE);
        chart.name == airflow_facts::NAME && apache
    }

    /// `NAME` `airflow` from the official repository (`airflow.apache.org`) or an undeclared
    /// one (a values-only render), at the version the pipeline gives.
    fn named<'a>(&self, release: &'a ReleasePlan) -> Option<&'a str> {
        use crate::chart::Source;
        match &release.source {
            Source::Repo {
                url, name, version, ..
            } if name == airflow_facts::NAME
                && url.trim_end_matches('/') == airflow_facts::HOME =>
            {
                Some(version)
            }
            Source::Undeclared { name, version, .. } if name == airflow_facts::NAME => {
                version.as_deref()
            }
            _ => None,
        }
    }

    fn load(&self, version: &str, chart: Option<&Chart>) -> Result<Loaded, String> {
        // The version is the chart's or the pipeline's text: shown on one line, escaped.
        let facts =
            airflow_facts::select(version).map_err(|e| crate::term::line(&e.to_string()))?;
        let shown = |c: &Chart| crate::term::line(&format!("{} {}", c.name, c.version));
        let mut warnings = Vec::new();
        let mut unverified = None;
        match chart {
            Some(chart) => {
                let broken = verify::verify(&facts, chart);
                if !broken.is_empty() {
                    return Err(format!(
                        "the Airflow chart facts (written for chart {}, tested with {}) do not hold for chart {}:\n- {}",
                        facts.line,
                        facts.tested(),
                        shown(chart),
                        broken.join("\n- ")
                    ));
                }
                if facts.is_newer() {
                    warnings.push(Problem {
                        code: &codes::CHART_FACTS_UNVERIFIED,
                        at: "chart".into(),
                        message: format!(
                            "chart {} is newer than the Airflow chart facts helmwasm has, written for {} (tested with {}); they hold for this chart's values.yaml, values.schema.json and templates, so they are used, but a change the facts do not cover would go unnoticed",
                            shown(chart),
                            facts.line,
                            facts.tested()
                        ),
                    });
                }
            }
            None => {
                unverified = Some(format!(
                    "the Airflow chart facts for {} were chosen by the pipeline's version `{}` and could not be verified against the chart",
                    facts.line,
                    crate::term::line(version)
                ))
            }
        }
        Ok(Loaded {
            rules: Box::new(AirflowRules { facts }),
            warnings,
            unverified,
        })
    }
}

/// What a rule looks at.
pub struct Ctx<'a> {
    /// The chart facts for the release's chart version.
    pub facts: &'a Facts,
    /// The final values coalesced onto the chart defaults (what the chart sees).
    pub values: &'a Value,
    /// The final user values (before the chart defaults).
    pub user: &'a Value,
    pub provenance: &'a Provenance,
    /// The steps' emitted manifests (for the Secrets a connection URL is read from).
    pub render: &'a crate::render::ReleaseRender,
}

/// The value of a chart-facts key in `values`: the first of its paths that is set and not
/// null (the chart reads a new path first, its deprecated spelling when the new one is unset).
pub(super) fn effective<'v>(facts: &Facts, values: &'v Value, key: &str) -> Option<&'v Value> {
    facts.first_set(key, |p| {
        crate::values::get(values, p).filter(|v| !v.is_null())
    })
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

    /// A chart-facts key as the chart reads it (see [`effective`]).
    pub fn fact(&self, key: &str) -> Option<&Value> {
        effective(self.facts, self.values, key)
    }

    /// The path a chart-facts key is read from: the first of its paths set in the values, else
    /// the one a step would write.
    pub fn fact_path(&self, key: &str) -> &'static str {
        self.facts
            .first_set(key, |p| {
                crate::values::get(self.values, p)
                    .is_some_and(|v| !v.is_null())
                    .then_some(p)
            })
            .unwrap_or(self.facts.path(key))
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

    /// The Airflow major version the chart renders for (`airflowVersion`, default the
    /// chart's).
    pub fn airflow_major(&self) -> u64 {
        self.str("airflowVersion")
            .unwrap_or(self.facts.default_airflow_version())
            .split('.')
            .next()
            .and_then(|v| v.trim_start_matches('v').parse().ok())
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
    (pgbouncer::bypass, &codes::PGBOUNCER_BYPASS),
    (admin::weak_admin_password, &codes::ADMIN_PASSWORD),
    (admin::partial_webserver_user, &codes::PARTIAL_USER),
    (admin::who_sets_the_user, &codes::ADMIN_USER_SHADOWED),
    (urls::connection_urls, &codes::CONNECTION_URL),
    (keda::settings_without_effect, &codes::KEDA_SETTING),
    (logs::block_storage_for_shared_logs, &codes::LOGS_STORAGE),
    (executor::replaced_by_a_step, &codes::EXECUTOR_REPLACED),
    (extra_objects::names, &codes::EXTRA_OBJECT_NAME),
    (airflow2::ignored_on_airflow_3, &codes::AIRFLOW2_ONLY),
];

/// The Airflow rules with the facts of one chart version.
pub struct AirflowRules {
    facts: Facts,
}

impl AirflowRules {
    fn run(&self, input: &Input) -> Vec<(&'static Code, Finding)> {
        let ctx = Ctx {
            facts: &self.facts,
            values: input.coalesced,
            user: &input.render.values,
            provenance: &input.render.provenance,
            render: input.render,
        };
        let mut found: Vec<(&'static Code, Finding)> = RULES
            .iter()
            .flat_map(|(rule, code)| rule(&ctx).into_iter().map(move |f| (*code, f)))
            .collect();
        // Without helm, the Secrets the values name are checked here with the keys the chart
        // reads; a full render checks them on the real pod specs.
        if !input.full_render {
            for p in
                secrets::airflow_secrets(&self.facts, input.release, input.render, input.coalesced)
            {
                found.push((p.code, Finding::error(&p.at, p.message)));
            }
        }
        found
    }
}

impl known::Rules for AirflowRules {
    fn pod_annotations(&self) -> Vec<&'static str> {
        self.facts.pod_annotations()
    }

    /// Errors and warnings from one pass over the rules.
    fn findings(&self, input: &Input) -> (Vec<Problem>, Vec<Problem>) {
        let (mut errors, mut warnings) = (Vec::new(), Vec::new());
        for (code, f) in self.run(input) {
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

    /// A replaced executor gets advice of its own (HW0316).
    fn reports_overrides_of(&self, path: &str) -> bool {
        path == "executor"
    }

    fn reads_key(&self, coalesced: &serde_json::Value, kind: &str, name: &str, key: &str) -> bool {
        kind == "Secret"
            && self.facts.secret_refs().into_iter().any(|(path, keys)| {
                crate::values::get(coalesced, path).and_then(|v| v.as_str()) == Some(name)
                    && keys.contains(&key)
            })
    }

    fn sometimes_mounted(&self, kind: &str, key: &str) -> bool {
        airflow_facts::SOMETIMES_MOUNTED.contains(&(kind, key))
    }
}

#[cfg(test)]
pub mod test_support {
    use super::*;
    use crate::provenance::Origin;

    /// Run `rule` on `values` (already coalesced), every key set by `values.yaml`, with the
    /// facts of chart 1.19.
    pub fn run(rule: Rule, values: Value) -> Vec<Finding> {
        run_on("1.19.0", rule, values)
    }

    /// [`run`] with the facts of chart `version`.
    pub fn run_on(version: &str, rule: Rule, values: Value) -> Vec<Finding> {
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
        run_facts(version, rule, values, provenance)
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
        run_facts("1.19.0", rule, values, provenance)
    }

    /// [`run`] with these objects emitted by step 1 (`airflow-ui`).
    pub fn run_emitting(rule: Rule, values: Value, emitted: Vec<Value>) -> Vec<Finding> {
        let facts = airflow_facts::select("1.19.0").unwrap();
        let mut render = render(&values);
        render.manifests = emitted
            .into_iter()
            .map(|object| crate::render::Manifest {
                kind: crate::plan::StepKind::Values,
                step: 1,
                plugin: "airflow-ui".into(),
                object,
            })
            .collect();
        run_in(&facts, rule, &values, &Provenance::default(), &render)
    }

    pub fn run_facts(
        version: &str,
        rule: Rule,
        values: Value,
        provenance: Provenance,
    ) -> Vec<Finding> {
        let facts = airflow_facts::select(version).unwrap();
        run_in(&facts, rule, &values, &provenance, &render(&values))
    }

    /// `rule` on `values` (also the user's), with these facts, provenance and render.
    fn run_in(
        facts: &Facts,
        rule: Rule,
        values: &Value,
        provenance: &Provenance,
        render: &crate::render::ReleaseRender,
    ) -> Vec<Finding> {
        rule(&Ctx {
            facts,
            values,
            user: values,
            provenance,
            render,
        })
    }
}

/// Every rule with a failing and a passing case, run with the facts of every chart line (and a
/// newer chart's), the keys written where that line reads them.
#[cfg(test)]
mod every_version {
    use super::test_support::run_facts;
    use super::*;
    use crate::provenance::{Origin, Provenance};
    use serde_json::json;

    const VERSIONS: &[&str] = &["1.19.0", "1.20.0", "1.21.0", "1.22.0"];

    /// `{}` with `value` at the path the version reads the facts key `key` from.
    fn at(f: &Facts, key: &str, value: Value) -> Value {
        at_path(f.path(key), value)
    }

    fn at_path(path: &str, value: Value) -> Value {
        path.rsplit('.').fold(value, |v, k| json!({ k: v }))
    }

    fn merge(mut a: Value, b: Value) -> Value {
        if let (Value::Object(a), Value::Object(b)) = (&mut a, b) {
            crate::values::compose(a, b);
        }
        a
    }

    fn user_set(values: &Value) -> Provenance {
        let mut p = Provenance::default();
        p.record(
            &json!({}),
            values,
            &Origin::Layer {
                label: "values.yaml".into(),
                line: None,
                key: "releases[0].values[0]".into(),
            },
            None,
        );
        p
    }

    /// The rule's findings on `values` (set by `values.yaml`) with chart `version`'s facts.
    fn found(version: &str, rule: Rule, values: Value) -> Vec<Finding> {
        let p = user_set(&values);
        run_facts(version, rule, values, p)
    }

    type Case = fn(&Facts) -> (Value, Value);

    /// `(rule, failing values, passing values)` for every rule but the executor's, which
    /// needs a step in the provenance (below).
    fn cases() -> Vec<(&'static str, Rule, Case)> {
        vec![
            ("pgbouncer bypass", pgbouncer::bypass, |f| {
                let on = at(f, "pgbouncer.enabled", json!(true));
                let secret = at(f, "data.metadataSecretName", json!("prod-db"));
                let config = at(f, "pgbouncer.configSecretName", json!("pgb"));
                (
                    merge(on.clone(), secret.clone()),
                    merge(merge(on, secret), config),
                )
            }),
            ("admin password", admin::weak_admin_password, |f| {
                let lb = at(f, "apiServer.service.type", json!("LoadBalancer"));
                let user = at(
                    f,
                    "createUserJob.defaultUser",
                    json!({"username": "admin", "password": "N7w#q2LxT9v!bR4m-admin"}),
                );
                (lb.clone(), merge(lb, user))
            }),
            (
                "partial webserver user",
                admin::partial_webserver_user,
                |f| {
                    let full = json!({"role": "Admin", "username": "a", "email": "a@b.c", "firstName": "a", "lastName": "b", "password": "long-passphrase"});
                    (
                        at(f, "webserver.defaultUser", json!({"username": "a"})),
                        at(f, "webserver.defaultUser", full),
                    )
                },
            ),
            ("connection urls", urls::connection_urls, |f| {
                let with = |url: &str| {
                    merge(
                        at(f, "data.resultBackendSecretName", json!("result")),
                        at(
                            f,
                            "extraSecrets",
                            json!({"result": {"stringData": format!("connection: {url}")}}),
                        ),
                    )
                };
                (
                    with("postgresql://u:p@db:5432/a?sslmode=require"),
                    with("db+postgresql://u:p@db:5432/a?sslmode=require"),
                )
            }),
            ("keda cooldown", keda::settings_without_effect, |f| {
                let keda = merge(
                    at(f, "workers.keda.enabled", json!(true)),
                    at(f, "workers.keda.cooldownPeriod", json!(30)),
                );
                (
                    merge(
                        keda.clone(),
                        at(f, "workers.keda.minReplicaCount", json!(2)),
                    ),
                    merge(keda, at(f, "workers.keda.minReplicaCount", json!(0))),
                )
            }),
            (
                "logs on block storage",
                logs::block_storage_for_shared_logs,
                |f| {
                    let on = at(f, "logs.persistence.enabled", json!(true));
                    (
                        merge(
                            on.clone(),
                            at(f, "logs.persistence.storageClassName", json!("gp3")),
                        ),
                        merge(
                            on,
                            at(f, "logs.persistence.storageClassName", json!("efs-sc")),
                        ),
                    )
                },
            ),
            ("extra object names", extra_objects::names, |f| {
                (
                    at(
                        f,
                        "extraSecrets",
                        json!({"Airflow_Connections": {"stringData": "a: b"}}),
                    ),
                    at(
                        f,
                        "extraSecrets",
                        json!({"airflow-connections": {"stringData": "a: b"}}),
                    ),
                )
            }),
            (
                "webserver keys on Airflow 3",
                airflow2::ignored_on_airflow_3,
                |f| {
                    (
                        at(f, "webserver.service.type", json!("LoadBalancer")),
                        at(f, "apiServer.service.type", json!("LoadBalancer")),
                    )
                },
            ),
        ]
    }

    #[test]
    fn every_rule_fails_and_passes_on_every_chart_version() {
        // Every rule of RULES has a case here (the executor's and the admin user's below).
        assert_eq!(cases().len() + 2, RULES.len());
        for version in VERSIONS {
            let f = airflow_facts::select(version).unwrap();
            for (name, rule, case) in cases() {
                let (bad, good) = case(&f);
                assert!(
                    !found(version, rule, bad.clone()).is_empty(),
                    "{name} on {version}: no finding for {bad}"
                );
                let ok = found(version, rule, good.clone());
                assert!(ok.is_empty(), "{name} on {version}: {ok:?} for {good}");
            }
        }
    }

    #[test]
    fn the_executor_rule_fails_and_passes_on_every_chart_version() {
        for version in VERSIONS {
            let step = Origin::Step {
                number: 1,
                plugin: "celery-workers".into(),
            };
            let values = json!({"executor": "CeleryExecutor"});
            let mut replaced = user_set(&json!({"executor": "KubernetesExecutor"}));
            replaced.record(
                &json!({"executor": "KubernetesExecutor"}),
                &values,
                &step,
                None,
            );
            let f = run_facts(
                version,
                executor::replaced_by_a_step,
                values.clone(),
                replaced,
            );
            assert_eq!(f.len(), 1, "{version}");
            let mut alone = Provenance::default();
            alone.record(&json!({}), &values, &step, None);
            assert!(run_facts(version, executor::replaced_by_a_step, values, alone).is_empty());
        }
    }

    #[test]
    fn the_admin_user_rule_fails_and_passes_on_every_chart_version() {
        let user = json!({"role": "Admin", "username": "old", "email": "o@x.y", "firstName": "a",
                          "lastName": "b", "password": "N7w#q2LxT9v!bR4m-admin"});
        let step = Origin::Step {
            number: 1,
            plugin: "airflow-ui".into(),
        };
        for version in VERSIONS {
            let before = json!({"webserver": {"defaultUser": user}});
            let values = merge(
                before.clone(),
                json!({"createUserJob": {"defaultUser": {"username": "ops"}}}),
            );
            let mut p = user_set(&before);
            p.record(&before, &values, &step, None);
            let f = run_facts(version, admin::who_sets_the_user, values, p);
            assert_eq!(f.len(), 1, "{version}");
            // The step alone sets the user: the chart uses it.
            let values = json!({"createUserJob": {"defaultUser": {"username": "ops"}}});
            let mut alone = Provenance::default();
            alone.record(&json!({}), &values, &step, None);
            assert!(run_facts(version, admin::who_sets_the_user, values, alone).is_empty());
        }
    }

    /// The KEDA rule reads the key where each version reads it: on 1.20 and later a cooldown
    /// under the old `workers.keda` with a minimum under `workers.celery.keda` still counts.
    #[test]
    fn deprecated_spellings_are_read_where_the_chart_reads_them() {
        for version in ["1.20.0", "1.21.0"] {
            let values = json!({"workers": {
                "keda": {"cooldownPeriod": 30},
                "celery": {"keda": {"enabled": true, "minReplicaCount": 2}}
            }});
            let f = found(version, keda::settings_without_effect, values);
            assert_eq!(f.len(), 1, "{version}");
            assert_eq!(f[0].path, "workers.keda.cooldownPeriod");
        }
    }
}
