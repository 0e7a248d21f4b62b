//! Running a release's steps in order, each step one sandboxed plugin call. Produces the
//! release's [`ReleaseRender`] (final values and emitted manifests) and reports plugin logs
//! and diagnostics through an [`Event`] callback as they happen.
//!
//! Every failure is wrapped in the release, step number and plugin it happened in.

use crate::plan::{Plan, ReleasePlan, StepKind, StepPlan};
use crate::provenance::{Origin, Provenance};
use crate::registry::{Registered, Registry};
use crate::render::{Manifest, ReleaseRender};
use crate::runtime::{self, ReleaseContext, Request, Runtime, Severity};
use anyhow::{Context, Result, anyhow, bail};
use serde_json::{Map, Value};

pub use crate::events::{Event, StepError, StepFailed, StepTag};

/// The chart identity plugins receive (`release.chart`, `release.chart-version`): from the
/// resolved `Chart.yaml` when the chart could be had, else as written in the pipeline file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChartIdentity {
    pub chart: String,
    pub version: String,
}

/// What a caller asks of [`run_release`] beyond the plan.
pub struct How<'a> {
    /// Whether a step that failed with this error may have failed on a secret placeholder
    /// (`lint`). It then runs again with the placeholders in other shapes
    /// ([`crate::secrets::shapes`]): a run that passes is kept; the same failure in every
    /// shape stops the release as any failure does; anything else skips the step, and
    /// [`Event::StepSkipped`] says so.
    pub suspect: &'a dyn Fn(&StepPlan, &anyhow::Error) -> bool,
    /// Keep the full provenance history (`explain`).
    pub history: bool,
}

/// Run one release's steps in order: the final values and the emitted manifests. A step that
/// fails stops the release unless [`How::suspect`] finds the failure was a placeholder's. The chart's
/// render and the checks are [`crate::pipeline`]'s.
pub fn run_release(
    runtime: &Runtime,
    registry: &Registry,
    plan: &Plan,
    release: &ReleasePlan,
    chart: &ChartIdentity,
    events: &mut dyn FnMut(Event),
    how: &How,
) -> Result<ReleaseRender, StepError> {
    let env_values = json(&Value::Object(plan.environment.values()));
    let mut provenance = if how.history {
        Provenance::with_history()
    } else {
        Provenance::default()
    };
    let mut values = Value::Object(
        release
            .values_traced(&plan.overrides, &mut provenance)
            .with_context(|| {
                format!(
                    "cannot write the command-line values into release `{}`",
                    release.name
                )
            })
            .map_err(StepError::Values)?,
    );
    // The user's composed values, kept only when `userWins` will need them.
    let users = (!plan.user_wins.is_empty()).then(|| values.clone());
    let mut manifests = Vec::new();
    for step in &release.steps {
        let tag = StepTag::new(release, step);
        let plugin = available(registry, step, &tag)?;
        let call = Call {
            runtime,
            plugin,
            plan,
            release,
            chart,
            env_values: &env_values,
        };
        let started = std::time::Instant::now();
        let (new_values, emitted) = match call.run_step(step, &step.config, &values, &tag, events) {
            Ok(out) => out,
            Err(e) if (how.suspect)(step, &e) => match call.reshaped(step, &values, &tag, &e) {
                Reshaped::Passed(out, shape, held) => {
                    events(Event::Info(format!(
                        "{tag} failed on lint's secret placeholders and passed with them shaped as {}",
                        shape.describe()
                    )));
                    held.into_iter().for_each(&mut *events);
                    out
                }
                Reshaped::Same(false) => return Err(failed(tag, e)),
                Reshaped::Same(true) => {
                    let e = e.context(format!(
                        "it failed the same way with lint's placeholders for its secret references in every shape tried ({}); if it needs a secret of another form, `lint --resolve-secrets` checks the real one",
                        crate::secrets::shapes::tried()
                    ));
                    return Err(failed(tag, e));
                }
                Reshaped::Real(real) => return Err(failed(tag, real)),
                Reshaped::Undecided => {
                    let message = e
                        .chain()
                        .map(|c| c.to_string())
                        .collect::<Vec<_>>()
                        .join(": ");
                    events(Event::StepSkipped { tag, message });
                    continue;
                }
            },
            Err(e) => return Err(failed(tag, e)),
        };
        let elapsed = started.elapsed();
        let paths = provenance.record(
            &values,
            &new_values,
            &Origin::Step {
                number: step.number,
                plugin: step.plugin.clone(),
            },
            None,
        );
        events(Event::StepDone {
            tag: tag.clone(),
            elapsed,
            set: paths.set,
            changed: paths.changed,
            deleted: paths.deleted,
            emitted: emitted.iter().map(kind_name).collect(),
        });
        values = new_values;
        manifests.extend(emitted.into_iter().map(|object| Manifest {
            kind: step.kind,
            step: step.number,
            plugin: step.plugin.clone(),
            object,
        }));
    }
    if let Some(users) = users {
        let before = values.clone();
        crate::values::restore(&mut values, &users, &plan.user_wins);
        provenance.record(
            &before,
            &values,
            &Origin::Host("`userWins`: the user's value put back after the steps"),
            None,
        );
    }
    Ok(ReleaseRender {
        name: release.name.clone(),
        namespace: release.namespace.clone(),
        values,
        manifests,
        provenance,
        chart: None,
        skipped: None,
        trace: None,
    })
}

/// A step that ran (or whose config was refused) and failed.
pub(crate) fn failed(tag: StepTag, e: anyhow::Error) -> StepError {
    StepError::Failed(tag.clone(), e.context(StepFailed(tag)))
}

/// The step's plugin, or the step is [`StepError::Unavailable`].
pub(crate) fn available<'r>(
    registry: &'r Registry,
    step: &StepPlan,
    tag: &StepTag,
) -> Result<&'r Registered, StepError> {
    registry
        .get(&step.plugin)
        .map_err(|e| StepError::Unavailable(tag.clone(), e.context(StepFailed(tag.clone()))))
}

/// What every step call of a release shares.
struct Call<'a> {
    runtime: &'a Runtime,
    /// The step's plugin ([`available`]).
    plugin: &'a Registered,
    plan: &'a Plan,
    release: &'a ReleasePlan,
    chart: &'a ChartIdentity,
    env_values: &'a str,
}

/// What runs of a failed step with its placeholders in other shapes showed.
enum Reshaped {
    /// A run passed: its output, the shape, and its events held back.
    Passed(
        (Value, Vec<Value>),
        crate::secrets::shapes::Shape,
        Vec<Event>,
    ),
    /// Every run failed with the first failure's message: not the placeholders' doing
    /// (`true`: the message names a field that holds a placeholder).
    Same(bool),
    /// A run got past the failure the placeholder caused and failed in a way that names no
    /// field holding a placeholder and does not change with the placeholder's content.
    Real(anyhow::Error),
    /// The failure changed with the placeholders' shape.
    Undecided,
}

impl Call<'_> {
    /// Run a step that failed with `failure` again with its placeholders (in its config and
    /// the values) in each other shape.
    fn reshaped(
        &self,
        step: &StepPlan,
        values: &Value,
        tag: &StepTag,
        failure: &anyhow::Error,
    ) -> Reshaped {
        use crate::secrets::shapes::{self, Forget, SHAPES, Shape};
        let message = |e: &anyhow::Error| {
            e.chain()
                .map(|c| c.to_string())
                .collect::<Vec<_>>()
                .join(": ")
        };
        let mut hexes = shapes::placeholders_in(&step.config.to_string());
        for hex in shapes::placeholders_in(&values.to_string()) {
            if !hexes.contains(&hex) {
                hexes.push(hex);
            }
        }
        let forget = Forget::new(&hexes);
        let mut fields = Vec::new();
        shapes::fields_holding(&step.config, &mut fields);
        shapes::fields_holding(values, &mut fields);
        let run = |shape: Shape, salt: u8, held: &mut Vec<Event>| {
            let config = shapes::reshape(&step.config, shape, salt);
            let shaped = shapes::reshape(values, shape, salt);
            self.run_step(step, &config, &shaped, tag, &mut |e| held.push(e))
        };
        let mut failed = vec![(Shape::Plain, forget.message(&message(failure)))];
        for shape in SHAPES {
            let mut held = Vec::new();
            match run(shape, 0, &mut held) {
                Ok(out) => return Reshaped::Passed(out, shape, held),
                Err(e) => failed.push((shape, forget.message(&message(&e)))),
            }
        }
        // The same failure in every shape is the step's own (a step that wants a secret in a
        // shape not tried and says so in the same words whatever it gets is told apart by
        // `--resolve-secrets` only: the error says so).
        if failed.iter().all(|(_, m)| *m == failed[0].1) {
            return Reshaped::Same(shapes::names_a_field(&failed[0].1, &fields));
        }
        for (shape, m) in &failed {
            if shapes::names_a_field(m, &fields) {
                continue;
            }
            if let Err(e) = run(*shape, 1, &mut Vec::new())
                && forget.message(&message(&e)) == *m
            {
                return Reshaped::Real(e);
            }
        }
        Reshaped::Undecided
    }

    fn run_step(
        &self,
        step: &StepPlan,
        config: &Value,
        values: &Value,
        tag: &StepTag,
        events: &mut dyn FnMut(Event),
    ) -> Result<(Value, Vec<Value>)> {
        let Call {
            runtime,
            plugin,
            plan,
            release,
            chart,
            env_values,
        } = *self;
        let plugin = checked_plugin(plugin, plan, step)?;
        let request = Request {
            release: release_context(plan, release, chart),
            values: json(values),
            environment_values: env_values.to_owned(),
            config: json(config),
        };
        let key = random_key(plan, release, step);
        let (result, captured) = runtime.run(plugin.plugin()?, step.limits, &request, key);
        report_captured(tag, captured, events);
        let response = result.map_err(call_error)?.map_err(plugin_error)?;
        let texts: Vec<&str> = std::iter::once(response.values.as_str())
            .chain(response.manifests.iter().map(String::as_str))
            .collect();
        check_bounds(&texts, step.limits.output, "values and manifests")?;
        let new_values: Value = serde_json::from_str(&response.values)
            .map_err(|e| anyhow!("the plugin returned values that are not JSON: {e}"))?;
        if !new_values.is_object() {
            bail!("the plugin returned values that are not a map (a JSON object)");
        }
        let manifests = parse_objects(&response.manifests, "manifest")?;
        take_diagnostics(response.diagnostics, tag, events)?;
        Ok((new_values, manifests))
    }
}

/// `Kind/name` of an object, for messages.
pub(crate) fn kind_name(o: &Value) -> String {
    format!(
        "{}/{}",
        o["kind"].as_str().unwrap_or("?"),
        o["metadata"]["name"].as_str().unwrap_or("?")
    )
}

/// JSON text of a value for a plugin. `serde_json::to_string`, not `Display` (`to_string()`),
/// which goes through `fmt` adapters and is several times slower on large values.
pub(crate) fn json(v: &Value) -> String {
    serde_json::to_string(v).expect("a JSON value always serializes")
}

/// The release as plugins see it (`release-context`).
pub(crate) fn release_context(
    plan: &Plan,
    release: &ReleasePlan,
    chart: &ChartIdentity,
) -> ReleaseContext {
    ReleaseContext {
        name: release.name.clone(),
        namespace: release.namespace.clone(),
        chart: chart.chart.clone(),
        chart_version: chart.version.clone(),
        environment: plan.environment.name.clone(),
    }
}

/// The key of a call's secure randomness (no seed, no key): per release, step and plugin,
/// post-render steps keyed apart from a values step of the same number and plugin.
pub(crate) fn random_key(plan: &Plan, release: &ReleasePlan, step: &StepPlan) -> Option<[u8; 32]> {
    let seed = plan.random_seed.as_deref()?;
    let plugin = match step.kind {
        StepKind::Values => step.plugin.clone(),
        StepKind::PostRender => format!("post-render/{}", step.plugin),
    };
    Some(crate::random::call_key(
        seed,
        &release.name,
        step.number,
        &plugin,
    ))
}

/// What a response may hold before the host parses it: at most the output limit in bytes,
/// [`MAX_CONTAINERS`] maps and lists and [`MAX_ENTRIES`] map keys and list items (parsed JSON
/// costs far more than its text, so the host's memory stays a fixed multiple of the limits).
/// `what` names the texts in messages.
pub(crate) fn check_bounds(texts: &[&str], limit: u64, what: &str) -> Result<()> {
    let size: usize = texts.iter().map(|t| t.len()).sum();
    if size as u64 > limit {
        bail!(
            "the plugin returned {} of {what}, past the output limit of {} (raise `limits.output` for this step if that is expected)",
            crate::units::ByteSize(size as u64),
            crate::units::ByteSize(limit)
        );
    }
    let (mut containers, mut entries) = (0, 0);
    for t in texts {
        let (c, e) = json_shape(t);
        containers += c;
        entries += e;
    }
    if containers > MAX_CONTAINERS {
        bail!(
            "the plugin returned {containers} maps and lists in its {what}, past the limit of {MAX_CONTAINERS} per step"
        );
    }
    if entries > MAX_ENTRIES {
        bail!(
            "the plugin returned {entries} map keys and list items in its {what}, past the limit of {MAX_ENTRIES} per step"
        );
    }
    Ok(())
}

/// Kubernetes objects from a response (`noun` 1, 2, … in messages).
pub(crate) fn parse_objects(texts: &[String], noun: &str) -> Result<Vec<Value>> {
    let mut objects = Vec::with_capacity(texts.len());
    for (i, text) in texts.iter().enumerate() {
        let o: Value =
            serde_json::from_str(text).map_err(|e| anyhow!("{noun} {} is not JSON: {e}", i + 1))?;
        check_manifest(&o).map_err(|e| anyhow!("{noun} {} {e}", i + 1))?;
        objects.push(o);
    }
    Ok(objects)
}

/// A response's diagnostics: warnings and infos become events; errors fail the step, all
/// listed. Each is placed at its object (kind, namespace/name, pointer) or values path.
pub(crate) fn take_diagnostics(
    diagnostics: Vec<runtime::Diagnostic>,
    tag: &StepTag,
    events: &mut dyn FnMut(Event),
) -> Result<()> {
    let mut errors = Vec::new();
    for d in diagnostics {
        let at = d
            .object
            .as_ref()
            .map(|o| {
                let mut s = match &o.namespace {
                    Some(ns) => format!("{} {ns}/{}", o.kind, o.name),
                    None => format!("{} {}", o.kind, o.name),
                };
                if let Some(p) = &o.pointer {
                    s.push_str(&format!(" {p}"));
                }
                s
            })
            .or(d.path);
        match d.severity {
            Severity::Error => errors.push(match &at {
                Some(a) => format!("{a}: {}", d.message),
                None => d.message,
            }),
            severity => events(Event::Diagnostic {
                tag: tag.clone(),
                severity,
                message: d.message,
                path: at,
            }),
        }
    }
    if !errors.is_empty() {
        bail!(
            "the plugin reported {} error{}:\n- {}",
            errors.len(),
            if errors.len() == 1 { "" } else { "s" },
            errors.join("\n- ")
        );
    }
    Ok(())
}

/// The step's plugin, once it is known to implement the step's stage and to accept its config
/// (offending config values are never echoed: they may be secrets).
pub(crate) fn checked_plugin<'r>(
    plugin: &'r Registered,
    plan: &Plan,
    step: &StepPlan,
) -> Result<&'r Registered> {
    plugin.check_stage(step.kind)?;
    let problems = plugin.check_config(&step.config, &step.config_path);
    if !problems.is_empty() {
        bail!(
            "invalid step config in {} (checked against the config schema of `{}` {}):\n- {}",
            plan.file.display(),
            plugin.name,
            plugin.version,
            problems.join("\n- ")
        );
    }
    Ok(plugin)
}

/// Maps and lists a step may return, values and manifests together: with the output limit,
/// this bounds what the host holds for one step's response (about 100 MB at most).
pub const MAX_CONTAINERS: usize = 200_000;

/// Map keys and list items a step may return, values and manifests together: a map of a
/// million keys held 588 MiB before this bound.
pub const MAX_ENTRIES: usize = 400_000;

/// The maps and lists of a JSON text, and their map keys and list items (strings skipped),
/// without parsing it: one pass over the bytes.
pub(crate) fn json_shape(text: &str) -> (usize, usize) {
    let (mut containers, mut entries) = (0, 0);
    let mut in_string = false;
    let mut escaped = false;
    // For each open list: whether an item has started in it.
    let mut lists: Vec<Option<bool>> = Vec::new();
    let item_starts = |lists: &mut Vec<Option<bool>>, entries: &mut usize| {
        if let Some(Some(started)) = lists.last_mut()
            && !*started
        {
            *started = true;
            *entries += 1;
        }
    };
    for b in text.bytes() {
        if in_string {
            match (escaped, b) {
                (true, _) => escaped = false,
                (false, b'\\') => escaped = true,
                (false, b'"') => in_string = false,
                _ => {}
            }
            continue;
        }
        match b {
            b' ' | b'\n' | b'\r' | b'\t' => {}
            b'"' => {
                item_starts(&mut lists, &mut entries);
                in_string = true;
            }
            b'{' => {
                item_starts(&mut lists, &mut entries);
                containers += 1;
                lists.push(None);
            }
            b'[' => {
                item_starts(&mut lists, &mut entries);
                containers += 1;
                lists.push(Some(false));
            }
            b'}' | b']' => {
                lists.pop();
            }
            b':' => entries += 1,
            b',' => {
                if let Some(Some(started)) = lists.last_mut() {
                    *started = false;
                }
            }
            _ => item_starts(&mut lists, &mut entries),
        }
    }
    (containers, entries)
}

/// A failed call as the pipeline tells it: the runtime's message, with what the pipeline file
/// can do about it where that is a setting (`randomSeed`, a step's `limits.output`).
pub(crate) fn call_error(e: runtime::CallError) -> anyhow::Error {
    use runtime::CallError as E;
    match e {
        E::NoRandomSeed => anyhow!(
            "the plugin asked for secure random bytes, and the pipeline sets no `randomSeed`; add a top-level `randomSeed: ref+env://HELMWASM_RANDOM_SEED` (a secret of at least 32 random bytes, e.g. `openssl rand -hex 32`) so each step gets its own deterministic, unpredictable stream"
        ),
        E::OutputTooLarge { limit } => anyhow!(
            "the plugin returned more than its output limit of {} allows (values, manifests and diagnostics together; a step can raise it with `limits.output`)",
            crate::units::ByteSize(limit)
        ),
        e => e.into(),
    }
}

pub(crate) fn plugin_error(e: runtime::PluginError) -> anyhow::Error {
    use runtime::PluginError as E;
    match e {
        E::InvalidConfig(m) => anyhow!("invalid step config: {m}"),
        E::InvalidValues(m) => anyhow!("invalid values: {m}"),
        E::UnsupportedChart(m) => anyhow!("unsupported chart: {m}"),
        E::UnsupportedStage(m) => anyhow!("the plugin does not implement this stage: {m}"),
        E::Internal(m) => anyhow!("the plugin failed: {m}"),
    }
}

/// A manifest must be an object with `apiVersion`, `kind` and `metadata.name` strings.
pub(crate) fn check_manifest(m: &Value) -> Result<(), String> {
    let obj = m.as_object().ok_or("is not a JSON object")?;
    let non_empty = |o: &Map<String, Value>, k: &str| {
        o.get(k)
            .and_then(Value::as_str)
            .is_some_and(|s| !s.is_empty())
    };
    for key in ["apiVersion", "kind"] {
        if !non_empty(obj, key) {
            return Err(format!("has no `{key}`"));
        }
    }
    let meta = obj
        .get("metadata")
        .and_then(Value::as_object)
        .ok_or("has no `metadata`")?;
    if !non_empty(meta, "name") {
        return Err("has no `metadata.name`".into());
    }
    if obj.get("kind").and_then(Value::as_str) == Some("Secret") {
        use base64::Engine as _;
        for (key, v) in obj
            .get("data")
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
        {
            let ok = v
                .as_str()
                .is_some_and(|s| base64::engine::general_purpose::STANDARD.decode(s).is_ok());
            if !ok {
                return Err(format!(
                    "is a Secret whose `data.{}` is not base64 (put plain text under `stringData`)",
                    crate::term::line(key)
                ));
            }
        }
    }
    Ok(())
}

pub(crate) fn report_captured(
    tag: &StepTag,
    captured: runtime::Captured,
    events: &mut dyn FnMut(Event),
) {
    for line in captured.logs {
        events(Event::Log {
            tag: tag.clone(),
            level: line.level,
            message: line.message,
        });
    }
    if captured.dropped_logs > 0 {
        events(Event::Truncated {
            tag: tag.clone(),
            what: format!(
                "{} more log lines (the limit is {} per call)",
                captured.dropped_logs,
                runtime::sandbox::MAX_LOG_LINES
            ),
        });
    }
    let streams = [
        ("stdout", captured.stdout, captured.dropped_stdout),
        ("stderr", captured.stderr, captured.dropped_stderr),
    ];
    for (stream, text, dropped) in streams {
        if dropped > 0 {
            events(Event::Truncated {
                tag: tag.clone(),
                what: format!(
                    "{dropped} bytes of {stream} past the first {} (the capture limit)",
                    runtime::sandbox::STDIO_CAPTURE
                ),
            });
        }
        if !text.is_empty() {
            events(Event::Output {
                tag: tag.clone(),
                stream,
                text,
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn containers_are_counted_outside_strings() {
        assert_eq!(json_shape(r#"{"a": [1, {"b": "{[\"]}"}], "c": {}}"#).0, 4);
        assert_eq!(json_shape("3").0, 0);
    }

    #[test]
    fn keys_and_items_are_counted_outside_strings() {
        // a, b, c (keys); 1, {…}, "x,y:z" (items of a); [] empty.
        assert_eq!(
            json_shape(r#"{"a": [1, {"b": "{[\",:]}"}, "x,y:z"], "c": {}, "d": []}"#),
            (5, 7)
        );
        assert_eq!(json_shape("[[1, 2], [], [3]]"), (4, 6));
        assert_eq!(json_shape(" [ 10 , true,null ] "), (1, 3));
        let big: String = format!(
            "{{{}}}",
            (0..1000)
                .map(|i| format!("\"k{i}\": {i}"))
                .collect::<Vec<_>>()
                .join(",")
        );
        assert_eq!(json_shape(&big), (1, 1000));
        let e = check_bounds(&[&big], 1 << 20, "values").map(|_| ());
        assert!(e.is_ok());
    }

    #[test]
    fn manifests_need_kind_and_name() {
        assert_eq!(
            check_manifest(
                &json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "x"}})
            ),
            Ok(())
        );
        assert_eq!(
            check_manifest(&json!([])),
            Err("is not a JSON object".into())
        );
        assert_eq!(
            check_manifest(&json!({"apiVersion": "v1", "metadata": {"name": "x"}})),
            Err("has no `kind`".into())
        );
        assert_eq!(
            check_manifest(&json!({"apiVersion": "v1", "kind": "Secret", "metadata": {}})),
            Err("has no `metadata.name`".into())
        );
    }
}
