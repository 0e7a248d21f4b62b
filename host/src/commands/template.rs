//! `helmwasm template`: print the render, or write it to a folder.

use super::{How, Session};
use crate::cli::{Cli, OutputForm, TemplateArgs};
use crate::events::Event;
use crate::output;
use crate::redact::Redactor;
use anyhow::{Context as _, Result};
use std::io::Write;

pub fn run(cli: &Cli, args: &TemplateArgs, redactor: &mut Redactor) -> Result<()> {
    let session = Session::new(cli)?;
    // On stdout, each release's part of the stream is printed as soon as it renders.
    let data = if args.show_secrets {
        output::SecretData::Shown
    } else {
        output::SecretData::Masked
    };
    let sections = args
        .output_dir
        .is_none()
        .then(|| crate::pipeline::Sections(std::sync::Arc::new(move |r| output::section(r, data))));
    let how = How {
        keep_going: args.keep_going,
        sections,
        ..How::default()
    };
    let mut show = |e: Event, r: &Redactor| crate::printer::print_event(cli, e, r);
    let result = session.run(&args.pipeline, how, redactor, &mut show);
    let redactor: &Redactor = redactor;
    if !cli.quiet {
        for w in redactor.short_secret_warnings() {
            eprintln!("{w}");
        }
    }
    let outcome = result?;
    let render = outcome.render;
    let failures = outcome.failures;
    let sections = outcome.sections;
    if !failures.is_empty() {
        let n = failures.len();
        let last = super::fail(failures, redactor);
        if let Some(dir) = &args.output_dir {
            eprintln!(
                "note: nothing was written to {}: {n} release(s) failed",
                dir.display(),
            );
        } else if args.keep_going && !render.releases.is_empty() {
            print_render(&render, sections, args, redactor)?;
        }
        return Err(last);
    }
    super::skip_notes(cli, &render, redactor);
    match &args.output_dir {
        Some(dir) if args.output == OutputForm::Flux => {
            let file = crate::spec::load(&args.pipeline.file)?;
            let environment = args.pipeline.environment.as_deref().unwrap_or("default");
            let files =
                crate::flux::files(&render, &file, &args.pipeline.file, environment, redactor)?;
            let files: Vec<_> = files.into_iter().map(|(p, t)| (dir.join(p), t)).collect();
            for path in output::write_files(&files, redactor)? {
                if !cli.quiet {
                    eprintln!("wrote {}", path.display());
                }
            }
        }
        Some(dir) => {
            let written = output::write_dir(&render, dir, redactor)?;
            if !cli.quiet {
                for path in written {
                    eprintln!("wrote {}", path.display());
                }
            }
        }
        None => print_render(&render, sections, args, redactor)?,
    }
    // Freed by the exit, not node by node (~20 ms at 500 releases).
    crate::exit::leave_to_exit(render);
    Ok(())
}

/// The render on stdout, from its releases' sections: redacted unless `--show-secrets`
/// (which is announced on stderr).
fn print_render(
    render: &crate::render::Render,
    sections: Vec<String>,
    args: &TemplateArgs,
    redactor: &Redactor,
) -> Result<()> {
    let parts = output::parts(render, sections);
    let parts = if args.show_secrets {
        eprintln!(
            "warning: --show-secrets: Secret data and secret values are printed in clear text"
        );
        parts
    } else {
        redactor.redact_parts(parts)
    };
    let mut stdout = std::io::BufWriter::with_capacity(1 << 16, std::io::stdout().lock());
    for part in &parts {
        stdout
            .write_all(part.as_bytes())
            .context("cannot write to stdout")?;
    }
    stdout.flush().context("cannot write to stdout")
}
