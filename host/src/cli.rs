//! Command-line interface: argument structs (no behaviour), dispatch to the verbs in
//! [`crate::commands`], and how events and errors are shown. Outcomes map to [`ExitStatus`]
//! here and nowhere else.

use crate::error::{self, Internal};
use crate::execute::Event;
use crate::exit::ExitStatus;
use crate::redact::Redactor;
use crate::runtime::{LogLevel, Runtime, Severity, cache};
use anyhow::{Context, Result};
use clap::{Args, Parser, Subcommand};
use std::ffi::OsString;
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(
    name = "helmwasm",
    version,
    about = "Render Helm releases through sandboxed WebAssembly plugins"
)]
pub struct Cli {
    /// Folder for compiled plugins [default: $HELMWASM_CACHE_DIR or ~/.cache/helmwasm].
    #[arg(
        long,
        global = true,
        help_heading = "Global options",
        value_name = "DIR"
    )]
    pub cache_dir: Option<PathBuf>,
    /// Do not read or write the compile cache.
    #[arg(long, global = true, help_heading = "Global options")]
    pub no_cache: bool,
    /// Show more: `-v` a line per step and the plugins' info logs and output, `-vv` the
    /// paths and objects each step changed and debug logs.
    #[arg(short, long, global = true, help_heading = "Global options", action = clap::ArgAction::Count)]
    pub verbose: u8,
    /// Show only errors.
    #[arg(
        short,
        long,
        global = true,
        help_heading = "Global options",
        conflicts_with = "verbose"
    )]
    pub quiet: bool,
    /// When to use colour: `auto` on a terminal only, and never when NO_COLOR is set.
    #[arg(long, global = true, help_heading = "Global options", value_enum, default_value_t = ColorChoice::Auto, value_name = "WHEN")]
    pub color: ColorChoice,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run every selected release's steps and print (or write) the render.
    Template(Box<TemplateArgs>),
    /// Compare the render with an earlier one (a folder or a git revision).
    Diff(Box<DiffArgs>),
    /// Run every stage and check, print the diagnostics (text, JSON, SARIF, GitHub), write
    /// nothing.
    Lint(Box<LintArgs>),
    /// Show where a values key got its value: every layer and step that set it, in order.
    Explain(Box<ExplainArgs>),
    /// Write each selected release's final values file, and nothing else.
    WriteValues(Box<WriteValuesArgs>),
    /// Apply a pipeline's post-render steps to manifests on stdin (for `helm --post-renderer`).
    PostRender(PostRenderArgs),
    /// Argo CD config management plugin commands.
    #[command(subcommand)]
    Argocd(ArgocdCommand),
    /// Inspect the available plugins.
    #[command(subcommand)]
    Plugins(PluginsCommand),
    /// Start a new plugin.
    #[command(subcommand)]
    Plugin(PluginCommand),
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell).
    Completion(CompletionArgs),
    /// Print the JSON Schema of the pipeline file, for editors (also in
    /// docs/helmwasm.schema.json).
    Schema,
}

/// `-f`'s path, cleaned as the paths the pipeline names are (`./a/../helmwasm.yaml` is
/// `helmwasm.yaml` in every message).
fn clean_path(s: &str) -> Result<PathBuf, std::convert::Infallible> {
    Ok(crate::paths::clean(std::path::Path::new(s)))
}

/// What every verb that runs the pipeline takes: which file, environment, releases and
/// values.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Pipeline options")]
pub struct PipelineArgs {
    /// The pipeline file.
    #[arg(
        short = 'f',
        long = "file",
        default_value = "helmwasm.yaml",
        value_name = "FILE",
        value_parser = clean_path
    )]
    pub file: PathBuf,
    /// The environment to render [default: default].
    #[arg(short = 'e', long = "environment", value_name = "ENV")]
    pub environment: Option<String>,
    /// Only releases matching `key=value[,key!=value…]`; repeat to select more.
    #[arg(short = 'l', long = "selector", value_name = "SELECTOR")]
    pub selectors: Vec<String>,
    /// More folders of `*.wasm` plugins (before the pipeline's `plugins.dirs`).
    #[arg(long = "plugin-dir", value_name = "DIR")]
    pub plugin_dirs: Vec<PathBuf>,
    /// Fail (exit 1) when any part is skipped: a chart that cannot be fetched, or no helm.
    #[arg(long)]
    pub strict: bool,
    /// Never use the network: only cached and local charts are used.
    #[arg(long)]
    pub offline: bool,
    /// The helm binary [default: $HELMWASM_HELM, else `helm` on PATH].
    #[arg(long, value_name = "PATH")]
    pub helm: Option<PathBuf>,
    /// The memory (address space) one `helm template` may take, e.g. `8Gi` [default: 4Gi].
    #[arg(long = "helm-memory", value_name = "SIZE", value_parser = crate::units::ByteSize::parse)]
    pub helm_memory: Option<crate::units::ByteSize>,
    /// The time one `helm template` may take, e.g. `10m` [default: 5m].
    #[arg(long = "helm-timeout", value_name = "DURATION", value_parser = humantime::parse_duration)]
    pub helm_timeout: Option<std::time::Duration>,
    /// The target cluster's Kubernetes version for the chart's `.Capabilities` (as `helm
    /// template --kube-version`).
    #[arg(long, value_name = "VERSION")]
    pub kube_version: Option<String>,
    /// An API version the target cluster serves (as `helm template --api-versions`);
    /// repeatable.
    #[arg(long = "api-versions", value_name = "GROUP/VERSION")]
    pub api_versions: Vec<String>,
    /// Render this many releases at once (plugin calls, checks, `helm template`) and compile
    /// plugins on as many threads, 1 to 64; the output is the same as with 1 [default: the
    /// number of cores, or $HELMWASM_CONCURRENCY].
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=64))]
    pub concurrency: Option<u16>,
    #[command(flatten)]
    pub set: SetArgs,
}

#[derive(Debug, Args)]
pub struct TemplateArgs {
    /// Write DIR/RELEASE/values.yaml and manifests.yaml instead of printing.
    #[arg(long, value_name = "DIR")]
    pub output_dir: Option<PathBuf>,
    /// The form of --output-dir: `render` (values, manifests and the chart's render) or
    /// `flux` (HelmRepository, HelmRelease and values objects for Flux, and a
    /// kustomization.yaml).
    #[arg(long, value_enum, default_value_t = OutputForm::Render, value_name = "FORM", requires = "output_dir")]
    pub output: OutputForm,
    /// Print Secret data and resolved secret values in clear text (redacted by default).
    #[arg(long)]
    pub show_secrets: bool,
    /// Render the other releases when one fails (the exit code is still 1, and nothing is
    /// written to --output-dir).
    #[arg(long)]
    pub keep_going: bool,
    #[command(flatten)]
    pub pipeline: PipelineArgs,
}

#[derive(Debug, Args)]
#[command(group = clap::ArgGroup::new("against_what").required(true).args(["against", "against_rev"]))]
pub struct DiffArgs {
    /// A folder written by `template --output-dir`.
    #[arg(long, value_name = "DIR")]
    pub against: Option<PathBuf>,
    /// Render the pipeline as it was at this git revision (from a temporary worktree).
    #[arg(long, value_name = "REV")]
    pub against_rev: Option<String>,
    /// Show resolved secret values in the values and non-Secret objects (Secret `data` stays
    /// hidden unless --show-secret-values is also given).
    #[arg(long)]
    pub show_secrets: bool,
    /// With --show-secrets: show Secret `data` and `stringData` values too.
    #[arg(long, requires = "show_secrets")]
    pub show_secret_values: bool,
    /// Exit 2 when there are changes, 0 when there are none, 1 on error.
    #[arg(long)]
    pub detailed_exitcode: bool,
    /// Lines of context around each change.
    #[arg(long, short = 'C', default_value_t = 3, value_name = "N")]
    pub context: usize,
    #[command(flatten)]
    pub pipeline: PipelineArgs,
}

/// What `template --output-dir` writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum OutputForm {
    Render,
    Flux,
}

/// `--color`: `auto` colours a terminal only, and never when `NO_COLOR` is set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

#[derive(Debug, Args)]
pub struct LintArgs {
    /// How to print the diagnostics.
    #[arg(long, short = 'o', value_enum, default_value_t = LintFormat::Text, value_name = "FORMAT")]
    pub output: LintFormat,
    /// Exit 1 on errors (default), or on warnings too.
    #[arg(long, value_enum, default_value_t = FailOn::Error, value_name = "SEVERITY")]
    pub fail_on: FailOn,
    /// Resolve secret references (by default only their shape is checked and the steps get
    /// placeholders, so lint needs no credentials).
    #[arg(long)]
    pub resolve_secrets: bool,
    #[command(flatten)]
    pub pipeline: PipelineArgs,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LintFormat {
    /// For people.
    Text,
    /// One JSON document (schema in docs/diagnostics.md).
    Json,
    /// SARIF 2.1.0, for code scanning uploads.
    Sarif,
    /// GitHub Actions workflow commands, for pull request annotations.
    Github,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum FailOn {
    Error,
    Warning,
}

#[derive(Debug, Args)]
#[command(group = clap::ArgGroup::new("what").required(true).args(["path", "all"]))]
pub struct ExplainArgs {
    /// A values path, e.g. `workers.keda.enabled` or `workers.extraVolumes[0].name`.
    #[arg(value_name = "PATH")]
    pub path: Option<String>,
    /// Every leaf of the final values, with where it was last set, as a table.
    #[arg(long)]
    pub all: bool,
    /// Show secret values in clear text (redacted by default).
    #[arg(long)]
    pub show_secrets: bool,
    #[command(flatten)]
    pub pipeline: PipelineArgs,
}

#[derive(Debug, Args)]
pub struct WriteValuesArgs {
    /// Where each file goes, a template over `{{release}}`, `{{namespace}}`,
    /// `{{environment}}` and `{{chart}}` (relative to the current directory).
    #[arg(long, value_name = "TEMPLATE", conflicts_with = "output_dir")]
    pub output_file_template: Option<String>,
    /// Write DIR/RELEASE.yaml [default: the current directory].
    #[arg(long, value_name = "DIR")]
    pub output_dir: Option<PathBuf>,
    #[command(flatten)]
    pub pipeline: PipelineArgs,
}

#[derive(Debug, Args)]
pub struct PostRenderArgs {
    /// The pipeline file [default: $HELMWASM_PIPELINE, else helmwasm.yaml].
    #[arg(short = 'f', long = "file", value_name = "FILE")]
    pub file: Option<PathBuf>,
    /// The environment [default: $HELMWASM_ENVIRONMENT, else default].
    #[arg(short = 'e', long = "environment", value_name = "ENV")]
    pub environment: Option<String>,
    /// The pipeline release whose post-render steps apply [default: $HELMWASM_RELEASE, else
    /// the pipeline's only release].
    #[arg(long, value_name = "NAME")]
    pub release: Option<String>,
    /// More folders of `*.wasm` plugins.
    #[arg(long = "plugin-dir", value_name = "DIR")]
    pub plugin_dirs: Vec<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum ArgocdCommand {
    /// The CMP `generate` command: render the pipeline in the app's folder as Argo CD asks
    /// (parameters from ARGOCD_APP_PARAMETERS, KUBE_VERSION, KUBE_API_VERSIONS), manifests
    /// only on stdout, Secret data as it is (Argo CD applies it).
    Generate(ArgocdGenerateArgs),
}

#[derive(Debug, Args)]
pub struct ArgocdGenerateArgs {
    /// More folders of `*.wasm` plugins (the sidecar image's, e.g. /opt/helmwasm/plugins).
    #[arg(long = "plugin-dir", value_name = "DIR")]
    pub plugin_dirs: Vec<PathBuf>,
    /// An environment variable the Application's pipeline may read with `ref+env://`
    /// (`NAME`, or `PREFIX*`); repeatable. None by default: the sidecar's environment is not
    /// the Application's.
    #[arg(long = "allow-env", value_name = "NAME")]
    pub allow_env: Vec<String>,
    /// A folder whose files the pipeline may read with `ref+file://` (symlinks resolved;
    /// relative to the application's folder, `.` for the app's own files); repeatable.
    #[arg(long = "allow-file-dir", value_name = "DIR")]
    pub allow_file_dirs: Vec<PathBuf>,
    /// A prefix of the AWS Secrets Manager names and SSM parameter paths the pipeline may read
    /// (`ref+awssecrets://`, `ref+awsssm://`); repeatable.
    #[arg(long = "allow-aws-prefix", value_name = "PREFIX")]
    pub allow_aws_prefixes: Vec<String>,
}

#[derive(Debug, Subcommand)]
pub enum PluginCommand {
    /// Write a new out-of-tree plugin crate that builds as-is.
    New(PluginNewArgs),
}

#[derive(Debug, Args)]
pub struct PluginNewArgs {
    /// The plugin's name (lowercase, digits and `-`).
    pub name: String,
    /// The folder to create [default: ./NAME].
    #[arg(long, value_name = "DIR")]
    pub path: Option<PathBuf>,
    /// Depend on the SDK at this path instead of this helmwasm's version.
    #[arg(long, value_name = "DIR")]
    pub sdk_path: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct CompletionArgs {
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

/// `--set` and its kin, as Helm has them.
#[derive(Debug, Clone, Default, Args)]
#[command(next_help_heading = "Values options")]
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
    /// Print name, version, source, stages and description of every plugin.
    List(ListArgs),
    /// Compile every plugin (built-in and in the plugin folders) into the cache now, so that
    /// the next run starts warm: for container images and CI caches.
    Precompile(ListArgs),
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
    if std::env::var_os("HELMWASM_REPORT_PEAK_RSS").is_some() {
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
        Command::WriteValues(args) => {
            commands::write_values::run(cli, args, redactor).map(Outcome::Done)
        }
        Command::PostRender(args) => {
            commands::post_render::run(cli, args, redactor).map(Outcome::Done)
        }
        Command::Argocd(ArgocdCommand::Generate(args)) => {
            commands::argocd::generate(cli, args, redactor).map(Outcome::Done)
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

pub(crate) fn runtime(cli: &Cli) -> Result<Runtime> {
    Runtime::new(compile_cache_dir(cli)).map_err(|e| anyhow::Error::new(Internal(format!("{e:#}"))))
}

/// The compile cache folder, or none with `--no-cache`.
pub(crate) fn compile_cache_dir(cli: &Cli) -> Option<std::path::PathBuf> {
    if cli.no_cache {
        None
    } else {
        cli.cache_dir.clone().or_else(cache::default_dir)
    }
}

/// `-v`'s line for a step: `HEAD 5 set, 0 changed, 0 deleted TAIL`, and with `-vv` (`all`)
/// one more line per non-empty list naming its members.
fn step_story(head: String, lists: [(&str, Vec<String>); 3], tail: &str, all: bool) -> String {
    let counts: Vec<String> = lists
        .iter()
        .map(|(what, l)| format!("{} {what}", l.len()))
        .collect();
    let mut line = format!("{head} {}{tail}", counts.join(", "));
    for (what, l) in lists.iter().filter(|(_, l)| all && !l.is_empty()) {
        line.push_str(&format!("\n    {what}: {}", l.join(", ")));
    }
    line
}

/// Plugin logs and diagnostics go to stderr, tagged; data goes to stdout.
pub(crate) fn print_event(cli: &Cli, event: Event, redactor: &Redactor) {
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
        Event::StepSkipped { tag, message } => (level >= 1).then(|| {
            format!("warning: {tag} did not run: it failed on a secret placeholder: {message}")
        }),
        Event::Warning { release, problem } => {
            (level >= 1).then(|| format!("warning: release `{release}`: {problem}"))
        }
        Event::Info(message) => (level >= 2).then(|| format!("info: {message}")),
        Event::StepDone {
            tag,
            elapsed,
            set,
            changed,
            deleted,
            emitted,
        } => (level >= 2).then(|| {
            let emitted = if emitted.is_empty() {
                "nothing".to_owned()
            } else {
                emitted.join(", ")
            };
            step_story(
                format!("info: {tag}: {} ms; values:", elapsed.as_millis()),
                [("set", set), ("changed", changed), ("deleted", deleted)],
                &format!("; emitted {emitted}"),
                level >= 3,
            )
        }),
        Event::PostRenderDone {
            tag,
            elapsed,
            added,
            changed,
            removed,
        } => (level >= 2).then(|| {
            step_story(
                format!("info: {tag}: {} ms; objects:", elapsed.as_millis()),
                [("added", added), ("changed", changed), ("removed", removed)],
                "",
                level >= 3,
            )
        }),
    };
    if let Some(line) = line {
        // Plugin text was escaped at the runtime boundary; this is the safety net.
        anstream::eprintln!(
            "{}",
            crate::term::paint(&crate::term::block(&redactor.redact(&line)))
        );
    }
}
