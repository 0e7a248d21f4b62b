//! Command-line interface: the clap argument types and nothing else. Dispatch, outcomes and
//! their exit codes are [`crate::commands`]'s; how events are shown is [`crate::printer`]'s.

use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(
    name = "helmwasm",
    version,
    about = "Render Helm releases through sandboxed WebAssembly plugins"
)]
pub struct Cli {
    /// Folder for compiled plugins, fetched charts and cached renders [default:
    /// ~/.cache/helmwasm].
    #[arg(
        long,
        global = true,
        help_heading = "Global options",
        value_name = "DIR",
        env = "HELMWASM_CACHE_DIR",
        hide_env_values = true
    )]
    pub cache_dir: Option<PathBuf>,
    /// Do not read or write the compile cache or the render cache (charts are still cached).
    #[arg(long, global = true, help_heading = "Global options")]
    pub no_cache: bool,
    /// Do not read or write the render cache: run `helm template` for every release.
    #[arg(
        long,
        global = true,
        help_heading = "Global options",
        env = "HELMWASM_NO_RENDER_CACHE",
        hide_env_values = true,
        value_parser = clap::builder::FalseyValueParser::new()
    )]
    pub no_render_cache: bool,
    /// The most the render cache keeps, least recently used renders going first [default:
    /// 512Mi].
    #[arg(
        long,
        global = true,
        help_heading = "Global options",
        value_name = "SIZE",
        env = "HELMWASM_RENDER_CACHE_SIZE",
        hide_env_values = true,
        value_parser = crate::units::ByteSize::parse
    )]
    pub render_cache_size: Option<crate::units::ByteSize>,
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
    /// Render, then watch the inputs and render again what each change feeds; optionally
    /// serve a live page (`--serve`).
    Preview(Box<PreviewArgs>),
    /// Print the local files each selected release is made from, and its input fingerprint
    /// (for CI path filters and Argo CD's manifest-generate-paths).
    Inputs(Box<InputsArgs>),
    /// Write each selected release's final values file, and nothing else.
    WriteValues(Box<WriteValuesArgs>),
    /// Apply a pipeline's post-render steps to manifests on stdin (for `helm --post-renderer`).
    PostRender(Box<PostRenderArgs>),
    /// Argo CD config management plugin commands.
    #[command(subcommand)]
    Argocd(ArgocdCommand),
    /// Show or trim the caches (compiled plugins, charts, renders).
    #[command(subcommand)]
    Cache(CacheCommand),
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
        value_parser = clean_path,
        env = "HELMWASM_PIPELINE", hide_env_values = true
    )]
    pub file: PathBuf,
    /// The environment to render [default: default].
    #[arg(
        short = 'e',
        long = "environment",
        value_name = "ENV",
        env = "HELMWASM_ENVIRONMENT",
        hide_env_values = true
    )]
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
    #[command(flatten)]
    pub source: SourceArgs,
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
    #[command(flatten)]
    pub threads: ThreadArgs,
    #[command(flatten)]
    pub set: SetArgs,
}

/// Where charts and helm come from, for every verb that renders (each variable declared once).
#[derive(Debug, Clone, Default, Args)]
pub struct SourceArgs {
    /// Never use the network: only cached and local charts are used.
    #[arg(long, env = "HELMWASM_OFFLINE", hide_env_values = true, value_parser = clap::builder::FalseyValueParser::new())]
    pub offline: bool,
    /// The helm binary [default: `helm` on PATH].
    #[arg(
        long,
        value_name = "PATH",
        env = "HELMWASM_HELM",
        hide_env_values = true
    )]
    pub helm: Option<PathBuf>,
}

/// How many releases render at once, for every verb that renders.
#[derive(Debug, Clone, Default, Args)]
pub struct ThreadArgs {
    /// Render this many releases at once (plugin calls, checks, `helm template`) and compile
    /// plugins on as many threads, 1 to 64; the output is the same as with 1 [default: the
    /// number of cores].
    #[arg(
        long,
        value_name = "N",
        env = "HELMWASM_CONCURRENCY",
        hide_env_values = true
    )]
    pub concurrency: Option<String>,
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

/// `helmwasm inputs`.
#[derive(Debug, Args)]
pub struct InputsArgs {
    /// `list`: per release a `# RELEASE FINGERPRINT` line, then its files, one per line,
    /// relative to the current folder; `argocd`: the value of the Application annotation
    /// `argocd.argoproj.io/manifest-generate-paths` (every selected release's inputs,
    /// `;`-separated, relative to the pipeline file's folder, folders as folders); `json`.
    #[arg(long, short = 'o', value_enum, default_value_t = InputsFormat::List)]
    pub output: InputsFormat,
    #[command(flatten)]
    pub pipeline: PipelineArgs,
}

/// `helmwasm cache …`.
#[derive(Debug, Subcommand)]
pub enum CacheCommand {
    /// The cache folder, and each cache's entries, size, bound and the switches that skip it.
    Info(CacheInfoArgs),
    /// Remove entries: every cache's, or only the named caches'; with `--older-than`, only
    /// those not used (renders) or written (the others) for that long.
    Prune(CachePruneArgs),
}

#[derive(Debug, Args)]
pub struct CacheInfoArgs {
    /// `text`, or `json` for programs.
    #[arg(long, short = 'o', value_enum, default_value_t = CacheFormat::Text)]
    pub output: CacheFormat,
}

/// `cache info --output`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum CacheFormat {
    Text,
    Json,
}

#[derive(Debug, Args)]
pub struct CachePruneArgs {
    /// The compiled plugins.
    #[arg(long)]
    pub compiled: bool,
    /// The fetched charts (an exact version that is gone is fetched again; `--offline` cannot).
    #[arg(long)]
    pub charts: bool,
    /// The cached renders.
    #[arg(long)]
    pub renders: bool,
    /// Only entries older than this, e.g. `30d`, `12h`.
    #[arg(long, value_name = "AGE", value_parser = humantime::parse_duration)]
    pub older_than: Option<std::time::Duration>,
}

/// `inputs --output`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum InputsFormat {
    List,
    Argocd,
    Json,
}

/// `helmwasm preview`.
#[derive(Debug, Args)]
pub struct PreviewArgs {
    /// Also serve a live page, on ADDR (default: 127.0.0.1 and a free port). Its URL, with a
    /// one-time token every request must carry, is printed. Secret data and resolved secret
    /// values are never sent to the page, whatever the flags (--show-secrets included).
    #[arg(long, value_name = "ADDR", num_args = 0..=1, default_missing_value = "127.0.0.1:0")]
    pub serve: Option<String>,
    /// The host name the page is reached by when --serve listens off loopback (NAME or
    /// NAME:PORT): the only `Host` and `Origin` accepted besides the address itself.
    #[arg(long, value_name = "NAME", requires = "serve")]
    pub public_host: Option<String>,
    /// A folder written by `template --output-dir`: the page also shows the diff against it.
    #[arg(long, value_name = "DIR", conflicts_with = "against_rev")]
    pub against: Option<PathBuf>,
    /// The pipeline as it was at this git revision: the page also shows the diff against it.
    #[arg(long, value_name = "REV")]
    pub against_rev: Option<String>,
    /// Show resolved secret values in the terminal's changed values (never on the page).
    #[arg(long)]
    pub show_secrets: bool,
    /// How long the inputs must be quiet before a render starts.
    #[arg(long, value_name = "DURATION", default_value = "50ms", value_parser = humantime::parse_duration)]
    pub debounce: std::time::Duration,
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
    /// The pipeline release whose post-render steps apply [default: the pipeline's only
    /// release].
    #[arg(
        long,
        value_name = "NAME",
        env = "HELMWASM_RELEASE",
        hide_env_values = true
    )]
    pub release: Option<String>,
    #[command(flatten)]
    pub pipeline: PipelineArgs,
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
    #[command(flatten)]
    pub source: SourceArgs,
    #[command(flatten)]
    pub threads: ThreadArgs,
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
