//! `helmwasm diff`: the render against a folder written by `template --output-dir`, or
//! against the pipeline as it was at a git revision (rendered from a temporary worktree with
//! the same arguments). The comparison is [`crate::diff`]'s.

use super::Outcome;
use super::{How, Session};
use crate::cli::{Cli, DiffArgs};
use crate::diff::{self, Show};
use crate::events::Event;
use crate::redact::Redactor;
use anyhow::{Context as _, Result, bail};
use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

pub fn run(cli: &Cli, args: &DiffArgs, redactor: &mut Redactor) -> Result<Outcome> {
    let session = Session::new(cli)?;
    let mut show = |e: Event, r: &Redactor| crate::printer::print_event(cli, e, r);
    let outcome = session.run(&args.pipeline, How::default(), redactor, &mut show)?;
    if !outcome.failures.is_empty() {
        return Err(super::fail(outcome.failures, redactor));
    }
    super::skip_notes(cli, &outcome.render, redactor);
    let new = diff::objects(&outcome.render);
    let old = match (&args.against, &args.against_rev) {
        (Some(dir), _) => {
            let namespaces: BTreeMap<String, String> = outcome
                .render
                .releases
                .iter()
                .map(|r| (r.name.clone(), r.namespace.clone()))
                .collect();
            diff::read_dir(dir, &namespaces)?
        }
        (None, Some(rev)) => diff::objects(&render_at(&session, &args.pipeline, rev, redactor)?),
        (None, None) => unreachable!("clap requires --against or --against-rev"),
    };
    let redactor: &Redactor = redactor;
    if args.show_secrets && !cli.quiet {
        eprintln!(
            "warning: --show-secrets: secret values outside Secret data are shown in clear text{}",
            if args.show_secret_values {
                " (and, with --show-secret-values, Secret data too)"
            } else {
                ""
            }
        );
    }
    let report = diff::compare(
        &old,
        &new,
        Show {
            context: args.context,
            secrets: args.show_secrets,
            secret_values: args.show_secret_values,
        },
        redactor,
    );
    let mut stdout = anstream::AutoStream::auto(std::io::stdout().lock());
    stdout
        .write_all(report.text.as_bytes())
        .and_then(|_| stdout.flush())
        .context("cannot write to stdout")?;
    Ok(if args.detailed_exitcode && report.has_changes() {
        Outcome::Changes
    } else {
        Outcome::Done(())
    })
}

/// The pipeline `args` names as it was at git revision `rev`, rendered with the same
/// arguments from a temporary worktree (`diff --against-rev`, the preview's baseline).
pub(crate) fn render_at(
    session: &Session,
    args: &crate::cli::PipelineArgs,
    rev: &str,
    redactor: &mut Redactor,
) -> Result<crate::render::Render> {
    let worktree = Worktree::add(&args.file, rev)?;
    let how = How {
        file: Some(worktree.file.clone()),
        ..How::default()
    };
    // The earlier render's plugin logs are not this change's: only errors show.
    let mut quiet = |_: Event, _: &Redactor| {};
    let before = session
        .run(args, how, redactor, &mut quiet)
        .map_err(anyhow::Error::from)
        .with_context(|| format!("cannot render the pipeline at revision `{rev}`"))?;
    if !before.failures.is_empty() {
        let e = super::fail(before.failures, redactor);
        return Err(e.context(format!("cannot render the pipeline at revision `{rev}`")));
    }
    Ok(before.render)
}

/// A detached worktree of the pipeline's repository at a revision, removed on drop.
struct Worktree {
    repo: PathBuf,
    dir: tempfile::TempDir,
    /// The pipeline file inside it.
    file: PathBuf,
}

impl Worktree {
    fn add(pipeline: &Path, rev: &str) -> Result<Worktree> {
        if rev.starts_with('-') {
            bail!("--against-rev `{rev}` is not a revision");
        }
        let file = pipeline
            .canonicalize()
            .with_context(|| format!("cannot find the pipeline file {}", pipeline.display()))?;
        let folder = super::parent(&file);
        let root = git(folder, &["rev-parse", "--show-toplevel"])
            .context("--against-rev needs the pipeline file inside a git repository")?;
        let repo = PathBuf::from(root.trim_end());
        let relative = file
            .strip_prefix(repo.canonicalize().unwrap_or_else(|_| repo.clone()))
            .with_context(|| format!("{} is not inside {}", file.display(), repo.display()))?
            .to_path_buf();
        let commit = git(
            &repo,
            &[
                "rev-parse",
                "--verify",
                "--quiet",
                &format!("{rev}^{{commit}}"),
            ],
        )
        .map_err(|_| anyhow::anyhow!("`{rev}` is not a revision of {}", repo.display()))?;
        let dir = tempfile::Builder::new()
            .prefix("helmwasm-diff-")
            .tempdir()
            .context("cannot create a temp folder for the worktree")?;
        let path = dir.path().join("tree");
        git(
            &repo,
            &[
                "worktree",
                "add",
                "--quiet",
                "--detach",
                &path.to_string_lossy(),
                commit.trim_end(),
            ],
        )
        .with_context(|| format!("cannot check out `{rev}` into a temporary worktree"))?;
        let worktree = Worktree {
            file: path.join(&relative),
            repo,
            dir,
        };
        if !worktree.file.is_file() {
            // `worktree` is dropped (and removed) on the way out.
            bail!("{} does not exist at revision `{rev}`", relative.display());
        }
        Ok(worktree)
    }
}

impl Drop for Worktree {
    fn drop(&mut self) {
        let path = self.dir.path().join("tree");
        let _ = git(
            &self.repo,
            &["worktree", "remove", "--force", &path.to_string_lossy()],
        );
    }
}

/// Run git; its stdout, or its stderr as the error.
fn git(dir: &Path, args: &[&str]) -> Result<String> {
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .stdin(std::process::Stdio::null())
        .output()
        .context("cannot run git")?;
    if !out.status.success() {
        bail!(
            "git {} failed: {}",
            args.first().copied().unwrap_or_default(),
            crate::term::line(String::from_utf8_lossy(&out.stderr).trim())
        );
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}
