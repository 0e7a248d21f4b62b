//! The post-render stage: a release's `postRender` steps, each one sandboxed plugin call over
//! every object of the render (the chart's, then the emitted ones), after `helm template` and
//! before the checks on the rendered manifests.
//!
//! A step returns the whole new list. The host matches it to the input by kind, namespace
//! and name and holds it to the step's grant (`allow:`), as it holds what values steps emit:
//!
//! - a changed object keeps its place (a chart document is printed anew from the object, with
//!   its `# Source:`);
//! - an added object must be one the step may emit ([`crate::checks::capability`]: Secrets
//!   and ConfigMaps in the release namespace unless more kinds, namespaces or cluster-scoped
//!   objects are granted); it is listed after the emitted manifests, attributed to the step;
//! - a removed object needs `allow: {remove: true}`;
//! - a Secret's `data` and `stringData` may change only with `allow: {secretData: true}`;
//! - a change that widens what the release may do needs its own grant ([`changes`]: RBAC,
//!   admission webhooks, a Secret's `type`, a pod's security); one that only tightens does not.
//!
//! Sandbox, limits, config-schema validation and the capping and escaping of everything a
//! plugin says are the same as for values steps ([`crate::execute`]).

use crate::execute::{self, ChartIdentity, Event, StepError, StepTag};
use crate::plan::{Plan, ReleasePlan, StepPlan};
use crate::registry::{Registered, Registry};
use crate::render::{ChartDocument, Manifest, ReleaseRender};
use crate::runtime::{PostRenderRequest, Runtime};
use crate::yaml;
use anyhow::{Result, bail};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

mod changes;

/// Kind, namespace (the release's when the object has none) and name.
type Key = (String, String, String);

fn key(o: &Value, release_namespace: &str) -> Key {
    let (kind, name, namespace) = crate::checks::identity(o, release_namespace);
    (kind, namespace, name)
}

/// Run every post-render step of `release` over `render`, in order.
pub fn run(
    runtime: &Runtime,
    registry: &Registry,
    plan: &Plan,
    release: &ReleasePlan,
    chart: &ChartIdentity,
    render: &mut ReleaseRender,
    events: &mut dyn FnMut(Event),
) -> Result<(), StepError> {
    let env_values = execute::json(&Value::Object(plan.environment.values()));
    for step in &release.post_render {
        let tag = StepTag::new(release, step);
        let plugin = execute::available(registry, step, &tag)?;
        let started = std::time::Instant::now();
        let objects = call(
            runtime,
            plugin,
            plan,
            release,
            chart,
            render,
            &env_values,
            step,
            &tag,
            events,
        )
        .and_then(|objects| apply(render, objects, step, &tag));
        let Applied {
            added,
            changed,
            removed,
        } = objects.map_err(|e| execute::failed(tag.clone(), e))?;
        events(Event::PostRenderDone {
            tag,
            elapsed: started.elapsed(),
            added,
            changed,
            removed,
        });
    }
    Ok(())
}

/// What a post-render step did to the render, by `Kind/name` (with the namespace when it is
/// not the release's), each list sorted: what `-v` shows.
#[derive(Debug)]
struct Applied {
    added: Vec<String>,
    changed: Vec<String>,
    removed: Vec<String>,
}

/// One call: the step's new object list, parsed and checked for shape.
#[allow(clippy::too_many_arguments)]
fn call(
    runtime: &Runtime,
    plugin: &Registered,
    plan: &Plan,
    release: &ReleasePlan,
    chart: &ChartIdentity,
    render: &ReleaseRender,
    env_values: &str,
    step: &StepPlan,
    tag: &StepTag,
    events: &mut dyn FnMut(Event),
) -> Result<Vec<Value>> {
    let plugin = execute::checked_plugin(plugin, plan, step)?;
    let request = PostRenderRequest {
        release: execute::release_context(plan, release, chart),
        objects: render.objects().map(execute::json).collect(),
        values: execute::json(&render.values),
        environment_values: env_values.to_owned(),
        config: execute::json(&step.config),
    };
    let key = execute::random_key(plan, release, step);
    let (result, captured) = runtime.post_render(plugin.plugin()?, step.limits, &request, key);
    execute::report_captured(tag, captured, events);
    let response = result
        .map_err(execute::call_error)?
        .map_err(execute::plugin_error)?;
    let texts: Vec<&str> = response.objects.iter().map(String::as_str).collect();
    execute::check_bounds(&texts, step.limits.output, "objects")?;
    let objects = execute::parse_objects(&response.objects, "object")?;
    execute::take_diagnostics(response.diagnostics, tag, events)?;
    Ok(objects)
}

/// Put a step's object list into the render, holding it to the step's grant.
fn apply(
    render: &mut ReleaseRender,
    objects: Vec<Value>,
    step: &StepPlan,
    tag: &StepTag,
) -> Result<Applied> {
    let ns = render.namespace.clone();
    let mut new: BTreeMap<Key, Value> = BTreeMap::new();
    let mut order: Vec<Key> = Vec::with_capacity(objects.len());
    for o in objects {
        let k = key(&o, &ns);
        if new.insert(k.clone(), o).is_some() {
            bail!("it returned {} `{}` (namespace `{}`) twice", k.0, k.2, k.1);
        }
        order.push(k);
    }
    let old: BTreeSet<Key> = render.objects().map(|o| key(o, &ns)).collect();
    let mut problems = Vec::new();
    // Removed objects.
    let removed: Vec<&Key> = old.iter().filter(|k| !new.contains_key(*k)).collect();
    if !removed.is_empty() && !step.allow.remove {
        for k in &removed {
            problems.push(format!(
                "removed {} `{}` (namespace `{}`): a post-render step may remove objects only when the pipeline grants it (`allow: {{remove: true}}`)",
                k.0, k.2, k.1
            ));
        }
    }
    // Changed Secret data.
    if !step.allow.secret_data {
        for o in render.objects() {
            let k = key(o, &ns);
            if k.0 != "Secret" {
                continue;
            }
            if let Some(n) = new.get(&k)
                && (n.get("data") != o.get("data") || n.get("stringData") != o.get("stringData"))
            {
                problems.push(format!(
                    "changed the data of Secret `{}` (namespace `{}`): a post-render step may change Secret data only when the pipeline grants it (`allow: {{secretData: true}}`)",
                    k.2, k.1
                ));
            }
        }
    }
    // Widening changes of objects that were there.
    for o in render.objects() {
        let k = key(o, &ns);
        if let Some(n) = new.get(&k)
            && n != o
        {
            for change in changes::ungranted(&k.0, o, n, &step.allow) {
                problems.push(format!(
                    "changed {} `{}` (namespace `{}`): {change}",
                    k.0, k.2, k.1
                ));
            }
        }
    }
    // Added objects.
    let added: Vec<&Key> = order.iter().filter(|k| !old.contains(*k)).collect();
    for k in &added {
        let o = &new[*k];
        if let Err(m) = crate::names::check_subdomain(&k.2) {
            problems.push(format!("added {} `{}`: {m}", k.0, k.2));
        }
        if let Err(m) =
            crate::checks::capability(o, &k.0, &k.1, &ns, step.number, Some(&step.allow))
        {
            problems.push(format!(
                "added {} `{}` (namespace `{}`): {m}",
                k.0, k.2, k.1
            ));
        }
    }
    if !problems.is_empty() {
        bail!(
            "{tag} broke the pipeline's grant in {} place{}:\n- {}",
            problems.len(),
            if problems.len() == 1 { "" } else { "s" },
            problems
                .iter()
                .map(|p| crate::term::line(p))
                .collect::<Vec<_>>()
                .join("\n- ")
        );
    }
    let label = |k: &Key| {
        if k.1 == ns {
            format!("{}/{}", k.0, k.2)
        } else {
            format!("{}/{} ({})", k.0, k.2, k.1)
        }
    };
    let sorted = |mut v: Vec<String>| {
        v.sort();
        v
    };
    let applied = Applied {
        added: sorted(added.iter().map(|k| label(k)).collect()),
        changed: sorted(
            render
                .objects()
                .filter_map(|o| {
                    let k = key(o, &ns);
                    new.get(&k).filter(|n| *n != o).map(|_| label(&k))
                })
                .collect(),
        ),
        removed: sorted(removed.iter().map(|k| label(k)).collect()),
    };
    // Changed objects keep their place; removed ones go; added ones follow, attributed.
    if let Some(chart) = &mut render.chart {
        let mut documents = Vec::with_capacity(chart.documents.len());
        for d in std::mem::take(&mut chart.documents) {
            let k = key(&d.object, &ns);
            match new.remove(&k) {
                Some(o) if o == d.object => documents.push(d),
                Some(o) => documents.push(ChartDocument {
                    text: document_text(&d.source, &o),
                    source: d.source,
                    object: o,
                }),
                None => {}
            }
        }
        chart.documents = documents;
    }
    let mut manifests = Vec::with_capacity(render.manifests.len());
    for m in std::mem::take(&mut render.manifests) {
        let k = key(&m.object, &ns);
        if let Some(o) = new.remove(&k) {
            manifests.push(Manifest { object: o, ..m });
        }
    }
    for k in added {
        if let Some(o) = new.remove(k) {
            manifests.push(Manifest {
                kind: step.kind,
                step: step.number,
                plugin: step.plugin.clone(),
                object: o,
            });
        }
    }
    render.manifests = manifests;
    Ok(applied)
}

/// A chart document printed from its object, under helm's `# Source:` line.
fn document_text(source: &str, object: &Value) -> String {
    let body = yaml::to_string(object);
    if source.is_empty() {
        body
    } else {
        format!("# Source: {source}\n{body}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::StepKind;
    use crate::render::ChartRender;
    use serde_json::json;

    fn render() -> ReleaseRender {
        let doc = |o: Value| ChartDocument {
            source: "c/templates/x.yaml".into(),
            text: format!("# Source: c/templates/x.yaml\n{}", yaml::to_string(&o)),
            object: o,
        };
        ReleaseRender {
            name: "r".into(),
            namespace: "ns".into(),
            values: json!({}),
            manifests: vec![Manifest {
                kind: StepKind::Values,
                step: 1,
                plugin: "p".into(),
                object: json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"}, "data": {"k": "dg=="}}),
            }],
            provenance: Default::default(),
            chart: Some(ChartRender {
                name: "c".into(),
                version: "1.0.0".into(),
                documents: vec![
                    doc(
                        json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "d"}}),
                    ),
                    doc(
                        json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "svc"}}),
                    ),
                ],
            }),
            skipped: None,
            trace: None,
        }
    }

    fn step(allow: crate::spec::AllowSpec) -> StepPlan {
        StepPlan {
            kind: StepKind::PostRender,
            number: 1,
            plugin: "labels".into(),
            config: json!({}),
            config_path: "releases[0].postRender[0].with".into(),
            base: ".".into(),
            limits: Default::default(),
            allow,
        }
    }

    fn tag() -> StepTag {
        StepTag {
            release: "r".into(),
            kind: StepKind::PostRender,
            step: 1,
            plugin: "labels".into(),
        }
    }

    fn objects(r: &ReleaseRender) -> Vec<Value> {
        r.objects().cloned().collect()
    }

    #[test]
    fn changes_keep_their_place_and_helms_text_stays_for_the_rest() {
        let mut r = render();
        let mut list = objects(&r);
        list.reverse(); // the plugin's order does not matter
        let deployment = list.iter_mut().find(|o| o["kind"] == "Deployment").unwrap();
        deployment["metadata"]["labels"] = json!({"team": "data"});
        apply(&mut r, list, &step(Default::default()), &tag()).unwrap();
        let chart = r.chart.as_ref().unwrap();
        assert_eq!(
            chart.documents[0].object["metadata"]["labels"]["team"],
            "data"
        );
        assert!(
            chart.documents[0]
                .text
                .starts_with("# Source: c/templates/x.yaml\napiVersion: apps/v1\n")
        );
        assert!(chart.documents[0].text.contains("team: data"));
        assert_eq!(chart.documents[1], render().chart.unwrap().documents[1]);
        assert_eq!(r.manifests.len(), 1);
    }

    #[test]
    fn adding_removing_and_secret_data_need_a_grant() {
        let mut list = objects(&render());
        list.push(json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding", "metadata": {"name": "admin"}}));
        list.retain(|o| o["kind"] != "Service");
        list[1]["data"]["k"] = json!("eA==");
        let e = apply(
            &mut render(),
            list.clone(),
            &step(Default::default()),
            &tag(),
        )
        .unwrap_err();
        let m = e.to_string();
        assert!(
            m.starts_with(
                "release `r` post-render step 1 (`labels`) broke the pipeline's grant in 3 places:"
            ),
            "{m}"
        );
        assert!(m.contains("removed Service `svc`"), "{m}");
        assert!(m.contains("changed the data of Secret `s`"), "{m}");
        assert!(m.contains("added ClusterRoleBinding `admin`"), "{m}");
        let grant = crate::spec::AllowSpec {
            kinds: vec!["ClusterRoleBinding".into()],
            cluster_scoped: true,
            remove: true,
            secret_data: true,
            ..Default::default()
        };
        let mut r = render();
        apply(&mut r, list, &step(grant), &tag()).unwrap();
        assert_eq!(r.chart.as_ref().unwrap().documents.len(), 1);
        assert_eq!(r.manifests.len(), 2);
        assert_eq!(r.manifests[1].kind, StepKind::PostRender);
        assert_eq!(r.manifests[0].object["data"]["k"], "eA==");
    }

    #[test]
    fn an_object_twice_is_refused() {
        let mut list = objects(&render());
        list.push(list[0].clone());
        let e = apply(&mut render(), list, &step(Default::default()), &tag()).unwrap_err();
        assert!(
            e.to_string()
                .contains("returned Deployment `d` (namespace `ns`) twice")
        );
    }
}
