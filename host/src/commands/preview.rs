//! `helmwasm preview`: render once, then watch every input of the selected releases and render
//! again the releases a change feeds; after each render print what changed (and, with
//! `--serve`, publish it to the live page). A failing render never ends the watch: the last
//! good render stays the reference. Ctrl-C stops it (exit 0).

use super::{How, Session};
use crate::cli::{Cli, PipelineArgs, PreviewArgs};
use crate::diagnostics::{Collector, Locator};
use crate::events::Event;
use crate::inputs::{self, Inputs};
use crate::preview::page::{self, Baseline};
use crate::preview::server::{self, Site};
use crate::preview::state::{Cycle, State, StepRow};
use crate::preview::{report, watch};
use crate::redact::Redactor;
use crate::render::Render;
use anyhow::Result;
use std::collections::{BTreeMap, BTreeSet};
use std::io::Write as _;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub fn run(cli: &Cli, args: &PreviewArgs, redactor: &mut Redactor) -> Result<()> {
    let session = Session::new(cli)?;
    let mut watcher = watch::Watcher::new(args.debounce)?;
    let mut inputs = Inputs::default();
    let baseline = baseline(&session, args, redactor)?;
    let live = Arc::new(Live::default());
    let server = match &args.serve {
        Some(addr) => Some(server::start(
            addr,
            args.public_host.as_deref(),
            live.clone(),
        )?),
        None => None,
    };
    stop_on_interrupt();
    let mut state = State::default();
    let mut previous = BTreeMap::new();
    let mut asked: Option<BTreeSet<String>> = None;
    loop {
        // The inputs as the pipeline names them now, and those it named before (a file that
        // does not parse any more is still one), watched before the render reads them.
        let mut now = read_inputs(&args.pipeline);
        now.merge(&inputs);
        inputs = now;
        watcher.watch(&inputs.watch_points());
        let cycle = render(cli, &session, &args.pipeline, asked.as_ref(), redactor);
        let change = state.apply(cycle).clone();
        let redactor: &Redactor = redactor;
        out(&report::block(&change, redactor, args.show_secrets));
        // One render and one set of objects per cycle, for both diffs and the page.
        let render = state.render();
        let objects = crate::diff::objects(&render);
        let diff = page::compare(&previous, &objects, redactor);
        let baseline = baseline.as_ref().map(|b| {
            (
                b.name.as_str(),
                page::compare(&b.objects, &objects, redactor),
            )
        });
        let baseline = baseline.as_ref().map(|(n, d)| (*n, d.as_str()));
        live.publish(&state, render, &diff, baseline, &inputs, redactor);
        previous = objects;
        match &server {
            Some(s) if state.number == 1 => {
                out(&format!("preview: serving {} (Ctrl-C stops)\n", s.url));
                s.publish(state.number);
            }
            Some(s) => s.publish(state.number),
            None if state.number == 1 => out("preview: watching the inputs (Ctrl-C stops)\n"),
            None => {}
        }
        asked = loop {
            if INTERRUPTED.load(Ordering::Relaxed) {
                out("preview: stopped\n");
                return Ok(());
            }
            let Some(changed) = watcher.next(Duration::from_millis(100)) else {
                continue;
            };
            match inputs.affected(&changed) {
                Some(r) if r.is_empty() => continue,
                other => break other,
            }
        };
    }
}

/// The inputs of the pipeline the arguments name; only the pipeline file when it cannot be
/// planned (the render says why).
fn read_inputs(args: &PipelineArgs) -> Inputs {
    let selection = crate::plan::Selection {
        environment: args.environment.clone(),
        selectors: args.selectors.clone(),
        overrides: Default::default(),
    };
    inputs::read(&args.file, &selection, &args.plugin_dirs)
        .unwrap_or_else(|_| inputs::of_file(&args.file))
}

/// Render the selected releases (`asked`: only these), collecting the findings and what each
/// step did.
fn render(
    cli: &Cli,
    session: &Session,
    args: &PipelineArgs,
    asked: Option<&BTreeSet<String>>,
    redactor: &mut Redactor,
) -> Cycle {
    let started = Instant::now();
    let mut narrowed = args.clone();
    if let Some(names) = asked {
        narrowed.selectors = narrow(&args.selectors, names);
    }
    let how = How {
        keep_going: true,
        trace: true,
        ..How::default()
    };
    let mut collector = Collector::new(Locator::new(&args.file));
    let mut steps = Vec::new();
    let mut collect = |e: Event, r: &Redactor| {
        if let Some(other) = collector.event(e, r) {
            match StepRow::of(&other) {
                Some(row) => steps.push(row),
                None => crate::printer::print_event(cli, other, r),
            }
        }
    };
    let result = session.run(&narrowed, how, redactor, &mut collect);
    let redactor: &Redactor = redactor;
    let mut diagnostics = collector.finish(&result, redactor);
    // As in `lint`: a finding nothing more precise locates points at the pipeline file.
    for d in &mut diagnostics {
        if d.file.is_none() {
            d.file = Some(args.file.display().to_string());
        }
    }
    let message = |e: &anyhow::Error| redactor.redact(&format!("{e:#}"));
    let mut cycle = Cycle {
        elapsed: Duration::ZERO,
        asked: asked.map(|a| a.iter().cloned().collect()),
        rendered: Vec::new(),
        failed: Vec::new(),
        error: None,
        steps,
        diagnostics,
    };
    match result {
        Ok(outcome) => {
            cycle.rendered = outcome.render.releases;
            for f in outcome.failures {
                match &f.release {
                    Some(r) => cycle.failed.push((r.clone(), message(&f.error))),
                    None => cycle.error = Some(message(&f.error)),
                }
            }
        }
        Err(f) => cycle.error = Some(message(&f.error)),
    }
    cycle.elapsed = started.elapsed();
    cycle
}

/// The user's selectors, each narrowed to the releases `names` (a release is selected when
/// any selector matches; the terms of one must all hold).
fn narrow(selectors: &[String], names: &BTreeSet<String>) -> Vec<String> {
    let mut out = Vec::new();
    for name in names {
        if selectors.is_empty() {
            out.push(format!("name={name}"));
        }
        for s in selectors {
            out.push(format!("{s},name={name}"));
        }
    }
    out
}

/// The render to compare with on the page, when one is asked for.
fn baseline(
    session: &Session,
    args: &PreviewArgs,
    redactor: &mut Redactor,
) -> Result<Option<Baseline>> {
    if let Some(dir) = &args.against {
        // Objects of a folder have no namespace of their own; the pipeline's are not known
        // before the first render, so none is assumed.
        let objects = crate::diff::read_dir(dir, &Default::default())?;
        return Ok(Some(Baseline {
            name: dir.display().to_string(),
            objects,
        }));
    }
    let Some(rev) = &args.against_rev else {
        return Ok(None);
    };
    let before = super::diff::render_at(session, &args.pipeline, rev, redactor)?;
    Ok(Some(Baseline {
        name: format!("revision {rev}"),
        objects: crate::diff::objects(&before),
    }))
}

/// What the page is served: the last published state, behind a lock.
#[derive(Default)]
struct Live {
    shown: Mutex<Shown>,
}

#[derive(Default)]
struct Shown {
    json: String,
    render: Option<Render>,
    inputs: Inputs,
    redactor: Redactor,
}

impl Live {
    fn publish(
        &self,
        state: &State,
        render: Render,
        diff: &str,
        baseline: Option<(&str, &str)>,
        inputs: &Inputs,
        redactor: &Redactor,
    ) {
        let json = page::state(state, diff, baseline, redactor).to_string();
        let mut shown = crate::parallel::lock(&self.shown);
        *shown = Shown {
            json,
            render: Some(render),
            inputs: inputs.clone(),
            redactor: redactor.clone(),
        };
    }
}

impl Site for Live {
    fn state(&self) -> String {
        crate::parallel::lock(&self.shown).json.clone()
    }

    fn explain(&self, release: &str, path: &str) -> Option<String> {
        let shown = crate::parallel::lock(&self.shown);
        let r = shown
            .render
            .as_ref()?
            .releases
            .iter()
            .find(|r| r.name == release)?;
        let text = super::explain::key_history(r, path).unwrap_or_else(|e| format!("{e:#}\n"));
        Some(crate::term::block(&shown.redactor.redact(&text)))
    }

    fn source(&self, file: &str) -> Option<String> {
        let shown = crate::parallel::lock(&self.shown);
        let path = std::path::absolute(Path::new(file)).ok()?;
        let path = crate::paths::clean(&path);
        if !shown.inputs.showable(&path) {
            return None;
        }
        let text = std::fs::read_to_string(&path).ok()?;
        Some(crate::term::block(&shown.redactor.redact(&text)))
    }
}

fn out(text: &str) {
    let mut stdout = std::io::stdout().lock();
    let _ = stdout.write_all(text.as_bytes());
    let _ = stdout.flush();
}

static INTERRUPTED: AtomicBool = AtomicBool::new(false);

extern "C" fn interrupted(_: libc::c_int) {
    INTERRUPTED.store(true, Ordering::Relaxed);
}

/// Ctrl-C (and SIGTERM) end the watch at its next turn, cleanly.
fn stop_on_interrupt() {
    let handler = interrupted as extern "C" fn(libc::c_int) as libc::sighandler_t;
    // SAFETY: the handler only stores to an atomic, which is async-signal-safe.
    unsafe {
        libc::signal(libc::SIGINT, handler);
        libc::signal(libc::SIGTERM, handler);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn selectors_are_narrowed_to_the_releases_a_change_feeds() {
        let names = BTreeSet::from(["a".to_owned(), "b".to_owned()]);
        assert_eq!(narrow(&[], &names), ["name=a", "name=b"]);
        assert_eq!(
            narrow(&["tier=x".to_owned()], &names),
            ["tier=x,name=a", "tier=x,name=b"]
        );
    }
}
