//! What a preview knows between renders: each release's last good render, its steps and its
//! diagnostics, and what the last render changed. A render of some releases replaces theirs
//! only; a release that fails keeps its last good render (the reference the next one is
//! compared with) and shows the failure.

use crate::diagnostics::Diagnostic;
use crate::diff::Key;
use crate::events::Event;
use crate::render::{ReleaseRender, Render};
use serde_json::Value;
use std::collections::BTreeMap;
use std::time::Duration;

/// What one step did, as `-v` shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct StepRow {
    /// `step 2 (`celery-workers`)`, `post-render step 1 (`labels`)`.
    pub step: String,
    pub elapsed: Duration,
    pub set: Vec<String>,
    pub changed: Vec<String>,
    pub deleted: Vec<String>,
    /// Objects emitted or, for a post-render step, added.
    pub emitted: Vec<String>,
}

impl StepRow {
    /// The row of a step's event, with its release; `None` for any other event.
    pub fn of(e: &Event) -> Option<(String, StepRow)> {
        match e {
            Event::StepDone {
                tag,
                elapsed,
                set,
                changed,
                deleted,
                emitted,
            } => Some((
                tag.release.clone(),
                StepRow {
                    step: step_name(tag),
                    elapsed: *elapsed,
                    set: set.clone(),
                    changed: changed.clone(),
                    deleted: deleted.clone(),
                    emitted: emitted.clone(),
                },
            )),
            Event::PostRenderDone {
                tag,
                elapsed,
                added,
                changed,
                removed,
            } => Some((
                tag.release.clone(),
                StepRow {
                    step: step_name(tag),
                    elapsed: *elapsed,
                    set: Vec::new(),
                    changed: changed.clone(),
                    deleted: removed.clone(),
                    emitted: added.clone(),
                },
            )),
            _ => None,
        }
    }
}

/// `step 2 (`plugin`)` or `post-render step 1 (`plugin`)`.
fn step_name(tag: &crate::events::StepTag) -> String {
    let stage = match tag.kind {
        crate::plan::StepKind::Values => "",
        crate::plan::StepKind::PostRender => "post-render ",
    };
    format!("{stage}step {} (`{}`)", tag.step, tag.plugin)
}

/// One release as the preview shows it.
#[derive(Debug, Clone)]
pub struct Release {
    /// The last good render (`None` until one succeeds).
    pub render: Option<ReleaseRender>,
    pub steps: Vec<StepRow>,
    pub diagnostics: Vec<Diagnostic>,
    /// The last attempt failed: its error (the render above is the one before).
    pub error: Option<String>,
}

/// The result of rendering some releases once.
pub struct Cycle {
    pub elapsed: Duration,
    /// The releases this render was for (`None`: all the selection has).
    pub asked: Option<Vec<String>>,
    /// The releases that rendered.
    pub rendered: Vec<ReleaseRender>,
    /// Releases that failed, with their errors.
    pub failed: Vec<(String, String)>,
    /// A failure of the whole run (the pipeline file, say), before any release.
    pub error: Option<String>,
    pub steps: Vec<(String, StepRow)>,
    /// Every finding, each with its release when it has one.
    pub diagnostics: Vec<Diagnostic>,
}

/// What changed for one release.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ReleaseChange {
    pub release: String,
    pub added: Vec<Key>,
    pub changed: Vec<Key>,
    pub removed: Vec<Key>,
    /// Changed values paths: path, before, after (`Null`: absent), who set it now.
    pub values: Vec<(String, Value, Value, String)>,
    pub error: Option<String>,
}

/// What a render changed, for the terminal and the page.
#[derive(Debug, Clone, Default)]
pub struct Change {
    pub number: u64,
    pub elapsed: Duration,
    pub releases: Vec<ReleaseChange>,
    pub new_diagnostics: Vec<Diagnostic>,
    pub resolved_diagnostics: Vec<Diagnostic>,
    pub error: Option<String>,
}

#[derive(Debug, Default)]
pub struct State {
    pub number: u64,
    /// In pipeline order (as first rendered).
    pub releases: Vec<(String, Release)>,
    /// Findings of the run itself (no release).
    pub run_diagnostics: Vec<Diagnostic>,
    pub error: Option<String>,
    pub last: Change,
}

impl State {
    pub fn release(&self, name: &str) -> Option<&Release> {
        self.releases
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, r)| r)
    }

    /// The last good render of every release.
    pub fn render(&self) -> Render {
        Render {
            releases: self
                .releases
                .iter()
                .filter_map(|(_, r)| r.render.clone())
                .collect(),
        }
    }

    /// Every current finding.
    pub fn diagnostics(&self) -> Vec<&Diagnostic> {
        self.run_diagnostics
            .iter()
            .chain(self.releases.iter().flat_map(|(_, r)| &r.diagnostics))
            .collect()
    }

    /// Take a render in, and say what it changed.
    pub fn apply(&mut self, cycle: Cycle) -> &Change {
        self.number += 1;
        let before: Vec<Diagnostic> = self.diagnostics().into_iter().cloned().collect();
        let mut change = Change {
            number: self.number,
            elapsed: cycle.elapsed,
            error: cycle.error.clone(),
            ..Change::default()
        };
        self.error = cycle.error;
        // The findings of this render replace those of the releases it was for.
        let asked = |name: &str| {
            cycle
                .asked
                .as_ref()
                .is_none_or(|a| a.iter().any(|n| n == name))
        };
        if change.error.is_none() {
            for (name, r) in &mut self.releases {
                if asked(name) {
                    r.diagnostics.clear();
                    r.steps.clear();
                }
            }
        }
        self.run_diagnostics.clear();
        for d in cycle.diagnostics {
            match d.release.clone() {
                Some(name) => self.entry(&name).diagnostics.push(d),
                None => self.run_diagnostics.push(d),
            }
        }
        for (name, row) in cycle.steps {
            self.entry(&name).steps.push(row);
        }
        for new in cycle.rendered {
            let name = new.name.clone();
            let entry = self.entry(&name);
            entry.error = None;
            let old = entry.render.replace(new);
            let new = entry.render.as_ref().expect("just set");
            change.releases.push(compare(old.as_ref(), new));
        }
        for (name, error) in cycle.failed {
            self.entry(&name).error = Some(error.clone());
            change.releases.push(ReleaseChange {
                release: name,
                error: Some(error),
                ..ReleaseChange::default()
            });
        }
        let after: Vec<Diagnostic> = self.diagnostics().into_iter().cloned().collect();
        change.new_diagnostics = after
            .iter()
            .filter(|d| !before.contains(d))
            .cloned()
            .collect();
        change.resolved_diagnostics = before
            .iter()
            .filter(|d| !after.contains(d))
            .cloned()
            .collect();
        self.last = change;
        &self.last
    }

    fn entry(&mut self, name: &str) -> &mut Release {
        let at = match self.releases.iter().position(|(n, _)| n == name) {
            Some(at) => at,
            None => {
                self.releases.push((
                    name.to_owned(),
                    Release {
                        render: None,
                        steps: Vec::new(),
                        diagnostics: Vec::new(),
                        error: None,
                    },
                ));
                self.releases.len() - 1
            }
        };
        &mut self.releases[at].1
    }
}

/// The objects and values keys that differ between two renders of a release.
fn compare(old: Option<&ReleaseRender>, new: &ReleaseRender) -> ReleaseChange {
    let objects = |r: Option<&ReleaseRender>| -> BTreeMap<Key, Value> {
        let mut m = crate::diff::objects(&Render {
            releases: r.into_iter().cloned().collect(),
        });
        m.retain(|k, _| k.api_version != "helmwasm");
        m
    };
    let (a, b) = (objects(old), objects(new.into()));
    let mut out = ReleaseChange {
        release: new.name.clone(),
        ..ReleaseChange::default()
    };
    for (k, v) in &b {
        match a.get(k) {
            None => out.added.push(k.clone()),
            Some(o) if o != v => out.changed.push(k.clone()),
            _ => {}
        }
    }
    out.removed = a.keys().filter(|k| !b.contains_key(*k)).cloned().collect();
    let null = Value::Null;
    let old_values = old.map_or(&null, |o| &o.values);
    if old.is_some() {
        out.values = crate::provenance::differences(old_values, &new.values)
            .into_iter()
            .map(|(path, before, after)| {
                let by = new
                    .provenance
                    .of(&path)
                    .map_or_else(|| "the chart's default".to_owned(), |o| o.to_string());
                (path, before, after, by)
            })
            .collect();
    }
    out
}
