//! The verbs. Each runs the pipeline through [`crate::pipeline::run`] (none renders on its
//! own) and decides what to print, write or compare:
//!
//! - [`template`]: print or write the render;
//! - [`diff`]: compare the render with a folder or a git revision ([`crate::diff`] owns the
//!   comparison);
//! - [`lint`]: every stage and check, diagnostics only ([`crate::diagnostics`]);
//! - [`explain`]: where values came from ([`crate::provenance`]);
//! - [`inputs`]: the local files each release is made from ([`crate::inputs`]);
//! - [`preview`]: render, watch, render again, show the changes (the stage is
//!   [`crate::preview`]);
//! - [`write_values`]: the final values files;
//! - [`plugins`]: list plugins, scaffold a new one;
//! - [`post_render`]: a pipeline's post-render steps over helm's manifests (`helm
//!   --post-renderer`);
//! - [`argocd`]: the Argo CD config management plugin's `generate`;
//! - [`cache`]: show and trim the caches.
//!
//! What they share, running the pipeline with the cache and chart fetcher of this machine, is
//! [`Session`].

pub mod argocd;
pub mod cache;
mod dispatch;
pub use dispatch::{Outcome, compile_cache_dir, main, overrides, runtime};
pub mod diff;
pub mod explain;
pub mod inputs;
pub mod lint;
pub mod plugins;
pub mod post_render;
pub mod preview;
pub mod template;
pub mod write_values;

use crate::cli::{Cli, PipelineArgs};
use crate::events::Event;
use crate::pipeline::{self, Failure, Options};
use crate::plan::Selection;
use crate::redact::Redactor;
use crate::runtime::cache as compile_cache;
use crate::secrets;
use anyhow::{Context as _, Result};
use std::io::Write as _;
use std::path::PathBuf;

/// The runtime, chart cache and fetcher of one command.
pub struct Session {
    runtime: crate::runtime::Starting,
    cache_dir: PathBuf,
    /// A folder that lives for this run when there is no cache folder.
    _run_dir: Option<tempfile::TempDir>,
    http: crate::chart::repo::Http,
    progress: bool,
    /// `helm template`'s outputs, kept in `renders/` of a lasting cache folder.
    renders: Option<crate::render_cache::Settings>,
}

/// The render cache's bound when `--render-cache-size` is not given.
pub const RENDER_CACHE_SIZE: u64 = 512 << 20;

impl Session {
    pub fn new(cli: &Cli) -> Result<Session> {
        // The engine is created on a start-up thread while the pipeline is read and planned;
        // that thread then builds the config schemas' meta-schema validator.
        let runtime = crate::runtime::Starting::spawn(compile_cache_dir(cli), || {
            crate::registry::warm_up();
            // zxcvbn builds its dictionaries on first use (~15 ms): on a spare core, before
            // the admin password rule asks (one core: left to that first use).
            if crate::parallel::default_threads() > 1 {
                crate::checks::password::warm_up();
            }
        });
        // Charts are cached beside the compiled plugins (`--no-cache` concerns compiled code
        // only); without any cache folder they are fetched into a folder for this run.
        let (cache_dir, run_dir) = match cli.cache_dir.clone().or_else(compile_cache::default_dir) {
            Some(d) => (d, None),
            None => {
                let t = tempfile::tempdir().context("cannot create a temp folder for charts")?;
                (t.path().to_path_buf(), Some(t))
            }
        };
        if run_dir.is_none()
            && !cli.quiet
            && let Some(w) = compile_cache::open_to_others(&cache_dir)
        {
            anstream::eprintln!("{}", crate::term::paint(&format!("warning: {w}")));
        }
        let renders = render_cache(cli, run_dir.is_none().then_some(cache_dir.as_path()));
        Ok(Session {
            runtime,
            cache_dir,
            _run_dir: run_dir,
            http: Default::default(),
            progress: !cli.quiet,
            renders,
        })
    }

    /// The pipeline context of this session.
    pub fn context(&self) -> pipeline::Context<'_> {
        pipeline::Context {
            runtime: &self.runtime,
            cache_dir: &self.cache_dir,
            fetch: &self.http,
            progress: self.progress,
            helm: None,
            renders: self.renders.as_ref(),
        }
    }

    /// Run the pipeline `args` describe (with `file` in place of `args.file` when given).
    #[allow(clippy::result_large_err)]
    pub fn run(
        &self,
        args: &PipelineArgs,
        how: How,
        redactor: &mut Redactor,
        events: &mut dyn FnMut(Event, &Redactor),
    ) -> Result<pipeline::Outcome, Failure> {
        let opts =
            options(args, how).map_err(|e| Failure::new(&crate::diagnostics::SELECTION, e))?;
        pipeline::run(&opts, &self.context(), redactor, events)
    }
}

/// The render cache of a lasting cache folder, unless `--no-cache` or `--no-render-cache`
/// turn it off. One that cannot be opened (a read-only folder) is no cache, not an error.
pub fn render_cache(
    cli: &Cli,
    cache_dir: Option<&std::path::Path>,
) -> Option<crate::render_cache::Settings> {
    if cli.no_cache || cli.no_render_cache {
        return None;
    }
    Some(crate::render_cache::Settings {
        cache_dir: cache_dir?.to_path_buf(),
        max_bytes: cli.render_cache_size.map_or(RENDER_CACHE_SIZE, |s| s.0),
    })
}

/// What a verb asks of the pipeline beyond the arguments.
#[derive(Debug, Clone, Default)]
pub struct How {
    pub keep_going: bool,
    pub secrets: secrets::Mode,
    /// When set, only these references resolve (`argocd generate`).
    pub allowed_secrets: Option<secrets::Allowed>,
    /// Another pipeline file (the same file in another worktree).
    pub file: Option<PathBuf>,
    /// Keep chart defaults and schemas in the render (`explain`).
    pub trace: bool,
    /// Format each release's section of the stream as it renders (`template` to stdout).
    pub sections: Option<pipeline::Sections>,
}

pub(crate) fn options(args: &PipelineArgs, how: How) -> Result<Options> {
    Ok(Options {
        file: how.file.unwrap_or_else(|| args.file.clone()),
        selection: Selection {
            environment: args.environment.clone(),
            selectors: args.selectors.clone(),
            overrides: overrides(&args.set)?,
        },
        plugin_dirs: args.plugin_dirs.clone(),
        keep_going: how.keep_going,
        strict: args.strict,
        offline: args.source.offline,
        helm: args.source.helm.clone(),
        helm_bounds: {
            let d = crate::helm::Bounds::default();
            crate::helm::Bounds {
                memory: args.helm_memory.map_or(d.memory, |b| b.0),
                timeout: args.helm_timeout.unwrap_or(d.timeout),
            }
        },
        secrets: how.secrets,
        allowed_secrets: how.allowed_secrets,
        trace: how.trace,
        capabilities: crate::helm::Capabilities {
            kube_version: args.kube_version.clone(),
            api_versions: args.api_versions.clone(),
        },
        concurrency: concurrency(args.threads.concurrency.as_deref())?,
        sections: how.sections,
    })
}

/// `--concurrency` (or `$HELMWASM_CONCURRENCY`), else 0 (one thread per core). Checked here, not
/// by clap, so that a bad value is shown escaped (it may come from the environment).
fn concurrency(given: Option<&str>) -> Result<usize> {
    match given {
        Some(v) if !v.is_empty() => match v.parse::<usize>() {
            Ok(n) if (1..=crate::parallel::MAX_THREADS).contains(&n) => Ok(n),
            _ => anyhow::bail!(
                "--concurrency (or HELMWASM_CONCURRENCY) is `{}`: it must be a whole number from 1 to 64",
                crate::term::line(v)
            ),
        },
        _ => Ok(0),
    }
}

/// Every failure but the last printed (redacted); the last returned, for `main` to print.
pub fn fail(mut failures: Vec<Failure>, redactor: &Redactor) -> anyhow::Error {
    let last = failures.pop().expect("at least one failure");
    for f in &failures {
        anstream::eprint!(
            "{}",
            crate::term::paint(&redactor.redact(&crate::error::render(&f.error)))
        );
    }
    last.error
}

/// The skipped-chart notes of a render, on stderr.
pub fn skip_notes(cli: &Cli, render: &crate::render::Render, redactor: &Redactor) {
    if cli.quiet {
        return;
    }
    // Redacted and written together: one pass and one write for hundreds of releases.
    let mut notes = String::new();
    for r in &render.releases {
        if let Some(s) = &r.skipped {
            notes += &format!(
                "note: release `{}`: chart not rendered, values and emitted manifests only: {}; {}\n",
                r.name,
                s.reason,
                s.hint_and_more()
            );
        }
    }
    if !notes.is_empty() {
        let mut stderr = std::io::stderr().lock();
        let _ = stderr.write_all(redactor.redact(&notes).as_bytes());
    }
}

pub use crate::paths::parent;
