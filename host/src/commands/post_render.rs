//! `helmwasm post-render`: helm's rendered manifests on stdin, a pipeline release's
//! post-render steps applied, the manifests on stdout. This is what `helm install|upgrade|
//! template --post-renderer helmwasm` runs through the Helm 4 plugin in `helm-plugin/`, and
//! what Helm 3's `--post-renderer PATH` runs directly.
//!
//! Output goes to helm, not to a terminal: Secret data is printed as it is (helm applies it).
//! Errors and plugin warnings go to stderr, redacted; the exit code is 1 on any error.

use super::Session;
use crate::cli::{Cli, PostRenderArgs};
use crate::events::Event;
use crate::pipeline::{self, Options};
use crate::redact::Redactor;
use anyhow::{Context as _, Result, bail};
use std::io::{Read, Write};

/// The most helmwasm reads from stdin (helm's whole render).
const MAX_INPUT: u64 = 256 << 20;

pub fn run(cli: &Cli, args: &PostRenderArgs, redactor: &mut Redactor) -> Result<()> {
    let mut stream = String::new();
    std::io::stdin()
        .take(MAX_INPUT + 1)
        .read_to_string(&mut stream)
        .context("cannot read the manifests from stdin (UTF-8 YAML, as helm writes them)")?;
    if stream.len() as u64 > MAX_INPUT {
        bail!(
            "stdin holds more than {} of manifests",
            crate::units::ByteSize(MAX_INPUT)
        );
    }
    let session = Session::new(cli)?;
    // The pipeline arguments every verb takes; no chart is fetched here (helm rendered it).
    let opts = Options {
        offline: true,
        ..super::options(&args.pipeline, super::How::default())?
    };
    let mut show = |e: Event, r: &Redactor| crate::printer::print_event(cli, e, r);
    let render = pipeline::post_render_stream(
        &opts,
        &session.context(),
        args.release.as_deref(),
        &stream,
        redactor,
        &mut show,
    )?;
    let out = crate::output::to_stream(&render, 1);
    let mut stdout = std::io::stdout().lock();
    stdout
        .write_all(out.as_bytes())
        .and_then(|_| stdout.flush())
        .context("cannot write to stdout")
}
