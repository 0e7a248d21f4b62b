//! Dispatch: arguments parsed ([`crate::cli`]), the verb run (one file per verb here), any
//! error printed once (redacted), and the outcome mapped to an [`ExitStatus`] here and nowhere
//! else. A new verb is one [`Command`] variant, one file in this folder and one arm in [`run`].

use crate::cli::{
    ArgocdCommand, CacheCommand, Cli, ColorChoice, Command, PluginCommand, PluginsCommand, SetArgs,
};
use crate::error::{self, Internal};
use crate::exit::ExitStatus;
use crate::redact::Redactor;
use crate::runtime::{Runtime, cache};
use anyhow::{Context, Result};
use clap::Parser as _;
use std::ffi::OsString;

/// Parse arguments, run, print any error once, and return the exit status.
pub fn main(args: impl IntoIterator<Item = OsString>) -> ExitStatus {
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return match e.kind() {
                clap::error::ErrorKind::DisplayHelp | clap::error::ErrorKind::DisplayVersion => {
                    ExitStatus::Success
                }
                _ => ExitStatus::Failure,
            };
        }
    };
    anstream::ColorChoice::write_global(match cli.color {
        ColorChoice::Auto => anstream::ColorChoice::Auto,
        ColorChoice::Always => anstream::ColorChoice::Always,
        ColorChoice::Never => anstream::ColorChoice::Never,
    });
    silence_panic_messages();
    let mut redactor = Redactor::default();
    let outcome =
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| run(&cli, &mut redactor)));
    let result = match outcome {
        Ok(r) => r,
        Err(panic) => {
            let msg = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_default();
            Err(anyhow::Error::new(Internal(format!(
                "helmwasm panicked: {msg}"
            ))))
        }
    };
    if crate::hooks::report_peak_rss() {
        report_peak_rss();
    }
    let detailed = matches!(&cli.command, Command::Diff(d) if d.detailed_exitcode);
    match result {
        Ok(Outcome::Done(())) => ExitStatus::Success,
        Ok(Outcome::Changes) => ExitStatus::Changes,
        Ok(Outcome::Failed) => ExitStatus::Failure,
        Err(e) => {
            anstream::eprint!(
                "{}",
                crate::term::paint(&redactor.redact(&error::render(&e)))
            );
            // With --detailed-exitcode, 2 means "changes" (helmfile's convention): every
            // error is 1 there.
            if error::is_internal(&e) && !detailed {
                ExitStatus::Error
            } else {
                ExitStatus::Failure
            }
        }
    }
}

/// The default panic hook prints the message before `main` can redact it: a panic message may
/// hold a secret. `main` reports a panic of the main thread itself (redacted); another thread's
/// panic is reported without its message.
fn silence_panic_messages() {
    std::panic::set_hook(Box::new(|_| {
        if std::thread::current().name() != Some("main") {
            eprintln!(
                "error: internal error: a helmwasm thread panicked (message withheld: it may hold a secret)"
            );
        }
    }));
}

/// `HELMWASM_REPORT_PEAK_RSS=1`: print this process's peak resident memory (Linux `VmHWM`)
/// on stderr, for the memory-bound tests and for measuring.
fn report_peak_rss() {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    if let Some(kib) = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
    {
        eprintln!("helmwasm: peak RSS {kib} KiB");
    }
}

fn run(cli: &Cli, redactor: &mut Redactor) -> Result<Outcome> {
    use crate::commands;
    match &cli.command {
        Command::Template(args) => commands::template::run(cli, args, redactor).map(Outcome::Done),
        Command::Diff(args) => commands::diff::run(cli, args, redactor),
        Command::Lint(args) => commands::lint::run(cli, args, redactor),
        Command::Explain(args) => commands::explain::run(cli, args, redactor).map(Outcome::Done),
        Command::Preview(args) => commands::preview::run(cli, args, redactor).map(Outcome::Done),
        Command::Inputs(args) => commands::inputs::run(args).map(Outcome::Done),
        Command::WriteValues(args) => {
            commands::write_values::run(cli, args, redactor).map(Outcome::Done)
        }
        Command::PostRender(args) => {
            commands::post_render::run(cli, args, redactor).map(Outcome::Done)
        }
        Command::Argocd(ArgocdCommand::Generate(args)) => {
            commands::argocd::generate(cli, args, redactor).map(Outcome::Done)
        }
        Command::Cache(CacheCommand::Info(args)) => {
            commands::cache::info(cli, args).map(Outcome::Done)
        }
        Command::Cache(CacheCommand::Prune(args)) => {
            commands::cache::prune(cli, args).map(Outcome::Done)
        }
        Command::Plugins(PluginsCommand::List(args)) => {
            commands::plugins::list(cli, args).map(Outcome::Done)
        }
        Command::Plugins(PluginsCommand::Precompile(args)) => {
            commands::plugins::precompile(cli, args).map(Outcome::Done)
        }
        Command::Plugin(PluginCommand::New(args)) => {
            commands::plugins::new(args).map(Outcome::Done)
        }
        Command::Completion(args) => {
            let mut cmd = <Cli as clap::CommandFactory>::command();
            clap_complete::generate(args.shell, &mut cmd, "helmwasm", &mut std::io::stdout());
            Ok(Outcome::Done(()))
        }
        Command::Schema => {
            use std::io::Write;
            let mut out = std::io::stdout().lock();
            out.write_all(crate::spec::json_schema().as_bytes())
                .and_then(|_| out.flush())
                .context("cannot write to stdout")?;
            Ok(Outcome::Done(()))
        }
    }
}

/// How a command ended, beyond success and error.
pub enum Outcome {
    Done(()),
    /// `diff --detailed-exitcode` found changes (exit 2).
    Changes,
    /// `lint` found what fails it (exit 1); the diagnostics are already printed.
    Failed,
}

pub fn runtime(cli: &Cli) -> Result<Runtime> {
    Runtime::new(compile_cache_dir(cli)).map_err(|e| anyhow::Error::new(Internal(format!("{e:#}"))))
}

/// The compile cache folder, or none with `--no-cache`.
pub fn compile_cache_dir(cli: &Cli) -> Option<std::path::PathBuf> {
    if cli.no_cache {
        None
    } else {
        cli.cache_dir.clone().or_else(cache::default_dir)
    }
}

/// `--set` and its kin parsed; `--set-file` paths are read relative to the current directory.
pub fn overrides(set: &SetArgs) -> Result<crate::overrides::Overrides> {
    use crate::overrides::{Flag, Overrides};
    let given = [
        (Flag::Set, &set.set),
        (Flag::String, &set.set_string),
        (Flag::Json, &set.set_json),
        (Flag::File, &set.set_file),
        (Flag::Literal, &set.set_literal),
    ];
    let cwd = std::env::current_dir().context("cannot read the current directory")?;
    Ok(Overrides::parse(
        given
            .iter()
            .flat_map(|(flag, list)| list.iter().map(move |a| (*flag, a.as_str()))),
        &cwd,
    )?)
}
