//! Command-line interface: argument structs (no behaviour) and the commands they drive.
//! Outcomes map to [`ExitStatus`] here and nowhere else.

use crate::error::{self, Internal};
use crate::execute::Event;
use crate::exit::ExitStatus;
use crate::pipeline::{self, Options};
use crate::plan::Selection;
use crate::redact::Redactor;
use crate::registry::{self, Registry};
use crate::runtime::{LogLevel, Runtime, Severity, cache};
use crate::{output, spec};
use anyhow::{Context, Result};
use clap::{Args, Parser, Subcommand};
use std::ffi::OsString;
use std::io::Write;
use std::path::{Path, PathBuf};

#[derive(Debug, Parser)]
#[command(
    name = "helmwasm",
    version,
    about = "Render Helm releases through sandboxed WebAssembly plugins"
)]
pub struct Cli {
    /// Folder for compiled plugins [default: $HELMWASM_CACHE_DIR or ~/.cache/helmwasm].
    #[arg(long, global = true, value_name = "DIR")]
    pub cache_dir: Option<PathBuf>,
    /// Do not read or write the compile cache.
    #[arg(long, global = true)]
    pub no_cache: bool,
    /// Show more: `-v` plugin info logs and output, `-vv` debug logs.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    /// Show only errors.
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run every selected release's steps and print (or write) the render.
    Template(Box<TemplateArgs>),
    /// Inspect the available plugins.
    #[command(subcommand)]
    Plugins(PluginsCommand),
}

#[derive(Debug, Args)]
pub struct TemplateArgs {
    /// The pipeline file.
    #[arg(
        short = 'f',
        long = "file",
        default_value = "helmwasm.yaml",
        value_name = "FILE"
    )]
    pub file: PathBuf,
    /// The environment to render [default: default].
    #[arg(short = 'e', long = "environment", value_name = "ENV")]
    pub environment: Option<String>,
    /// Only releases matching `key=value[,key!=value…]`; repeat to select more.
    #[arg(short = 'l', long = "selector", value_name = "SELECTOR")]
    pub selectors: Vec<String>,
    /// Write DIR/RELEASE/values.yaml and manifests.yaml instead of printing.
    #[arg(long, value_name = "DIR")]
    pub output_dir: Option<PathBuf>,
    /// More folders of `*.wasm` plugins (before the pipeline's `plugins.dirs`).
    #[arg(long = "plugin-dir", value_name = "DIR")]
    pub plugin_dirs: Vec<PathBuf>,
    /// Print Secret data and resolved secret values in clear text (redacted by default).
    #[arg(long)]
    pub show_secrets: bool,
    #[command(flatten)]
    pub set: SetArgs,
    /// Render the other releases when one fails (the exit code is still 1, and nothing is
    /// written to --output-dir).
    #[arg(long)]
    pub keep_going: bool,
    /// Fail (exit 1) when any part is skipped: a chart that cannot be fetched, or no helm.
    #[arg(long)]
    pub strict: bool,
    /// Never use the network: only cached and local charts are used.
    #[arg(long)]
    pub offline: bool,
    /// The helm binary [default: $HELMWASM_HELM, else `helm` on PATH].
    #[arg(long, value_name = "PATH")]
    pub helm: Option<PathBuf>,
}

/// `--set` and its kin, as Helm has them.
#[derive(Debug, Clone, Default, Args)]
pub struct SetArgs {
    /// Set values for every selected release, as `helm --set` does (`a.b=1,l={x,y},m[0]=z`),
    /// after all files. Kinds apply in Helm's order: --set-json, --set, --set-string,
    /// --set-file, --set-literal.
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub set: Vec<String>,
    /// Like `--set`, but every value is a string.
    #[arg(long = "set-string", value_name = "KEY=VALUE")]
    pub set_string: Vec<String>,
    /// Set JSON values (`a={"b":1}`, `l=[1,2]`), or merge a JSON object (`{"a":{"b":1}}`).
    #[arg(long = "set-json", value_name = "KEY=JSON")]
    pub set_json: Vec<String>,
    /// Set values to the contents of files (paths relative to the current directory).
    #[arg(long = "set-file", value_name = "KEY=PATH")]
    pub set_file: Vec<String>,
    /// Set one string, everything after the first `=` taken literally (no commas, no escapes).
    #[arg(long = "set-literal", value_name = "KEY=VALUE")]
    pub set_literal: Vec<String>,
}

impl SetArgs {
    /// Parse every argument; `--set-file` paths are read relative to the current directory.
    pub fn overrides(&self) -> Result<crate::overrides::Overrides> {
        use crate::overrides::{Flag, Overrides};
        let given = [
            (Flag::Set, &self.set),
            (Flag::String, &self.set_string),
            (Flag::Json, &self.set_json),
            (Flag::File, &self.set_file),
            (Flag::Literal, &self.set_literal),
        ];
        let cwd = std::env::current_dir().context("cannot read the current directory")?;
        Ok(Overrides::parse(
            given
                .iter()
                .flat_map(|(flag, list)| list.iter().map(move |a| (*flag, a.as_str()))),
            &cwd,
        )?)
    }
}

#[derive(Debug, Subcommand)]
pub enum PluginsCommand {
    /// Print name, version, source and description of every plugin.
    List(ListArgs),
}

#[derive(Debug, Args)]
pub struct ListArgs {
    /// Also load the `plugins.dirs` of this pipeline file.
    #[arg(short = 'f', long = "file", value_name = "FILE")]
    pub file: Option<PathBuf>,
    /// More folders of `*.wasm` plugins.
    #[arg(long = "plugin-dir", value_name = "DIR")]
    pub plugin_dirs: Vec<PathBuf>,
}

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
    if std::env::var_os("HELMWASM_REPORT_PEAK_RSS").is_some() {
        report_peak_rss();
    }
    match result {
        Ok(()) => ExitStatus::Success,
        Err(e) => {
            eprint!("{}", redactor.redact(&error::render(&e)));
            if error::is_internal(&e) {
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

fn run(cli: &Cli, redactor: &mut Redactor) -> Result<()> {
    match &cli.command {
        Command::Template(args) => template(cli, args, redactor),
        Command::Plugins(PluginsCommand::List(args)) => list(cli, args),
    }
}

fn runtime(cli: &Cli) -> Result<Runtime> {
    let dir = if cli.no_cache {
        None
    } else {
        cli.cache_dir.clone().or_else(cache::default_dir)
    };
    Runtime::new(dir).map_err(|e| anyhow::Error::new(Internal(format!("{e:#}"))))
}

fn template(cli: &Cli, args: &TemplateArgs, redactor: &mut Redactor) -> Result<()> {
    let overrides = args.set.overrides()?;
    let opts = Options {
        file: args.file.clone(),
        selection: Selection {
            environment: args.environment.clone(),
            selectors: args.selectors.clone(),
            overrides,
        },
        plugin_dirs: args.plugin_dirs.clone(),
        keep_going: args.keep_going,
        strict: args.strict,
        offline: args.offline
            || std::env::var_os("HELMWASM_OFFLINE").is_some_and(|v| !v.is_empty() && v != "0"),
        helm: args.helm.clone(),
    };
    let runtime = runtime(cli)?;
    // Charts are cached beside the compiled plugins (`--no-cache` concerns compiled code only);
    // without any cache folder they are fetched into a folder that lives for this run.
    let run_dir;
    let cache_dir = match cli.cache_dir.clone().or_else(cache::default_dir) {
        Some(d) => d,
        None => {
            run_dir = tempfile::tempdir().context("cannot create a temp folder for charts")?;
            run_dir.path().to_path_buf()
        }
    };
    let http = crate::chart::repo::Http::default();
    let ctx = pipeline::Context {
        runtime: &runtime,
        cache_dir: &cache_dir,
        fetch: &http,
    };
    let mut show = |e: Event, r: &Redactor| print_event(cli, e, r);
    let result = pipeline::run(&opts, &ctx, redactor, &mut show);
    let redactor: &Redactor = redactor;
    if !cli.quiet {
        for w in redactor.short_secret_warnings() {
            eprintln!("{w}");
        }
    }
    let outcome = result?;
    let render = outcome.render;
    let mut failures = outcome.failures;
    if let Some(last) = failures.pop() {
        // Every failure is shown; the last one is returned and printed by `main`.
        for e in &failures {
            eprint!("{}", redactor.redact(&error::render(e)));
        }
        if let Some(dir) = &args.output_dir {
            eprintln!(
                "note: nothing was written to {}: {} release(s) failed",
                dir.display(),
                failures.len() + 1
            );
        } else if args.keep_going && !render.releases.is_empty() {
            print_render(&render, args, redactor)?;
        }
        return Err(last);
    }
    if !cli.quiet {
        for r in &render.releases {
            if let Some(s) = &r.skipped {
                eprintln!(
                    "{}",
                    redactor.redact(&format!(
                        "note: release `{}`: chart not rendered, values and emitted manifests only: {}; {}",
                        r.name, s.reason, s.hint
                    ))
                );
            }
        }
    }
    match &args.output_dir {
        Some(dir) => {
            let written = output::write_dir(&render, dir, redactor)?;
            if !cli.quiet {
                for path in written {
                    eprintln!("wrote {}", path.display());
                }
            }
        }
        None => print_render(&render, args, redactor)?,
    }
    Ok(())
}

fn list(cli: &Cli, args: &ListArgs) -> Result<()> {
    let pipeline_dirs = match &args.file {
        Some(path) => {
            let file = spec::load(path)?;
            let base = path.parent().unwrap_or(Path::new("."));
            file.plugins.dirs.iter().map(|d| base.join(d)).collect()
        }
        None => Vec::new(),
    };
    let runtime = runtime(cli)?;
    let dirs = registry::dirs(&args.plugin_dirs, &pipeline_dirs, args.file.as_deref());
    let registry = Registry::load(&runtime, crate::builtin::PLUGINS, &dirs)?;
    let rows: Vec<[String; 4]> = registry
        .iter()
        .map(|p| {
            [
                p.name.clone(),
                p.version.to_string(),
                p.source.to_string(),
                p.description.clone(),
            ]
        })
        .collect();
    let header = ["NAME", "VERSION", "SOURCE", "DESCRIPTION"].map(String::from);
    let widths: Vec<usize> = (0..3)
        .map(|i| {
            rows.iter()
                .chain([&header])
                .map(|r| r[i].len())
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut out = String::new();
    for r in std::iter::once(&header).chain(&rows) {
        out.push_str(&format!(
            "{:w0$}  {:w1$}  {:w2$}  {}\n",
            r[0],
            r[1],
            r[2],
            r[3],
            w0 = widths[0],
            w1 = widths[1],
            w2 = widths[2]
        ));
    }
    std::io::stdout()
        .write_all(out.as_bytes())
        .context("cannot write to stdout")?;
    Ok(())
}

/// The render on stdout: redacted unless `--show-secrets` (which is announced on stderr).
fn print_render(
    render: &crate::render::Render,
    args: &TemplateArgs,
    redactor: &Redactor,
) -> Result<()> {
    let text = if args.show_secrets {
        eprintln!(
            "warning: --show-secrets: Secret data and secret values are printed in clear text"
        );
        output::to_stream(render)
    } else {
        output::to_stream_redacted(render, redactor)
    };
    let mut stdout = std::io::stdout().lock();
    stdout
        .write_all(text.as_bytes())
        .context("cannot write to stdout")?;
    stdout.flush().context("cannot write to stdout")
}

/// Plugin logs and diagnostics go to stderr, tagged; data goes to stdout.
fn print_event(cli: &Cli, event: Event, redactor: &Redactor) {
    let level = if cli.quiet { 0 } else { 1 + cli.verbose };
    let line = match event {
        Event::Log {
            tag,
            level: l,
            message,
        } => {
            let (needed, name) = match l {
                LogLevel::Error => (1, "error"),
                LogLevel::Warn => (1, "warn"),
                LogLevel::Info => (2, "info"),
                LogLevel::Debug => (3, "debug"),
                LogLevel::Trace => (3, "trace"),
            };
            (level >= needed).then(|| format!("[{tag}] {name}: {message}"))
        }
        Event::Output { tag, stream, text } => (level >= 2).then(|| {
            format!(
                "[{tag}] {stream}:\n    {}",
                text.trim_end().replace('\n', "\n    ")
            )
        }),
        Event::Diagnostic {
            tag,
            severity,
            message,
            path,
        } => {
            let at = path.map(|p| format!(" (at `{p}`)")).unwrap_or_default();
            match severity {
                Severity::Warning => (level >= 1).then(|| format!("warning: {tag}: {message}{at}")),
                _ => (level >= 2).then(|| format!("info: {tag}: {message}{at}")),
            }
        }
        Event::Truncated { tag, what } => {
            (level >= 1).then(|| format!("warning: {tag}: dropped {what}"))
        }
        Event::Warning { release, message } => {
            (level >= 1).then(|| format!("warning: release `{release}`: {message}"))
        }
    };
    if let Some(line) = line {
        // Plugin text was escaped at the runtime boundary; this is the safety net.
        eprintln!("{}", crate::term::block(&redactor.redact(&line)));
    }
}
