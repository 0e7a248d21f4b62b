//! Secret references: `ref+env://VAR`, `ref+file://PATH` and `ref+file://PATH#/json/pointer`,
//! usable as any string value in step config and values files.
//!
//! The host resolves them before a plugin runs (plugins still get no env and no files) and
//! registers every resolved value with the run's [`Redactor`]. A missing variable, file or key
//! is an error naming the reference, never a value. Backends sit behind [`Backend`]; a new one
//! (say `ref+awssecrets://…` for the EKS case) is one more implementation in [`Resolver::new`].

mod aws;
pub mod shapes;

use crate::redact::Redactor;
use crate::yaml;
use serde_json::Value;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

pub const PREFIX: &str = crate::spec::REFERENCE_PREFIX;

/// What the secrets stage does with a reference.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Mode {
    /// Read it from its backend (every verb but `lint`).
    #[default]
    Resolve,
    /// Check its shape and known scheme only, and put a [`placeholder`] in its place: no
    /// backend is asked, so a pull request from a fork without credentials can lint.
    Shape,
}

/// What a reference becomes when it is not resolved: `helmwasm-lint-placeholder-` and 12 hex
/// digits of the reference's SHA-256 (the same reference, the same placeholder; long enough
/// for any minimum length a seed or password check asks).
pub fn placeholder(r: &Reference) -> String {
    use sha2::Digest;
    let digest = sha2::Sha256::digest(r.raw.as_bytes());
    let hex = crate::store::hex(&digest[..6]);
    format!("{PLACEHOLDER_PREFIX}{hex}")
}

/// The start of every [`placeholder`].
pub const PLACEHOLDER_PREFIX: &str = "helmwasm-lint-placeholder-";

/// A parsed reference.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reference {
    /// As written, e.g. `ref+file://keys/db.yaml#/password` (it holds no secret).
    pub raw: String,
    pub scheme: String,
    pub location: String,
    /// The JSON pointer after `#`, if any.
    pub fragment: Option<String>,
}

impl Reference {
    pub fn parse(s: &str) -> Option<Result<Reference, String>> {
        let rest = s.strip_prefix(PREFIX)?;
        let Some((scheme, after)) = rest.split_once("://") else {
            return Some(Err(format!(
                "`{s}` is not a reference: expected `ref+SCHEME://…`"
            )));
        };
        let (location, fragment) = match after.split_once('#') {
            Some((l, f)) => (l, Some(f.to_owned())),
            None => (after, None),
        };
        if location.is_empty() {
            return Some(Err(format!("`{s}` names nothing after `{scheme}://`")));
        }
        Some(Ok(Reference {
            raw: s.to_owned(),
            scheme: scheme.to_owned(),
            location: location.to_owned(),
            fragment,
        }))
    }
}

/// Where secrets come from. Implementations must never put a secret in an error.
pub trait Backend: Send + Sync {
    /// The scheme after `ref+`, e.g. `env`.
    fn scheme(&self) -> &'static str;
    /// The secret `r` names. `base` is the folder of the file the reference appears in.
    fn fetch(&self, r: &Reference, base: &Path) -> Result<String, String>;
    /// Whether `r` is well formed for this backend, without reading anything.
    fn check_shape(&self, r: &Reference) -> Result<(), String>;
    /// Fetch these references ahead, together (a remote backend resolves them concurrently
    /// and keeps them for the run); `fetch` then answers from what it kept.
    fn prefetch(&self, _refs: &[&Reference]) {}
}

/// The value at a JSON pointer in a YAML or JSON text (a secret file or a structured secret).
/// Errors say where, never what.
pub(crate) fn pointer_in(text: &str, pointer: &str) -> Result<String, String> {
    let doc =
        yaml::parse_values(text, Path::new("secret")).map_err(|e| match (e.line, e.column) {
            (Some(l), Some(c)) => format!("not valid YAML or JSON (at line {l}, column {c})"),
            _ => "not valid YAML or JSON".to_owned(),
        })?;
    match doc.pointer(pointer) {
        Some(Value::String(s)) => Ok(s.clone()),
        Some(v @ (Value::Number(_) | Value::Bool(_))) => Ok(v.to_string()),
        Some(Value::Null) | None => Err(format!("no value at `{pointer}`")),
        Some(_) => Err(format!("`{pointer}` is a map or list, not a single value")),
    }
}

/// `ref+env://VAR`: an environment variable of the helmwasm process.
pub struct EnvBackend;

impl Backend for EnvBackend {
    fn scheme(&self) -> &'static str {
        "env"
    }

    fn check_shape(&self, r: &Reference) -> Result<(), String> {
        if r.fragment.is_some() {
            return Err("`ref+env://` takes no `#` fragment".into());
        }
        Ok(())
    }

    fn fetch(&self, r: &Reference, _base: &Path) -> Result<String, String> {
        self.check_shape(r)?;
        std::env::var(&r.location).map_err(|e| match e {
            std::env::VarError::NotPresent => {
                format!("environment variable `{}` is not set", r.location)
            }
            std::env::VarError::NotUnicode(_) => {
                format!("environment variable `{}` is not UTF-8", r.location)
            }
        })
    }
}

/// `ref+file://PATH` (the whole file, one trailing newline removed) or
/// `ref+file://PATH#/json/pointer` (a value inside a YAML or JSON file). Relative paths are
/// relative to the file the reference appears in.
pub struct FileBackend;

impl Backend for FileBackend {
    fn scheme(&self) -> &'static str {
        "file"
    }

    fn check_shape(&self, r: &Reference) -> Result<(), String> {
        match &r.fragment {
            Some(f) if !f.is_empty() && !f.starts_with('/') => Err(format!(
                "the fragment `#{f}` is not a JSON pointer: write `#/{f}`"
            )),
            _ => Ok(()),
        }
    }

    fn fetch(&self, r: &Reference, base: &Path) -> Result<String, String> {
        self.check_shape(r)?;
        let path: PathBuf = crate::paths::join(base, &r.location);
        let text = std::fs::read_to_string(&path)
            .map_err(|e| format!("cannot read {}: {}", path.display(), io_reason(&e)))?;
        let Some(pointer) = &r.fragment else {
            let text = text
                .strip_suffix('\n')
                .map(|t| t.strip_suffix('\r').unwrap_or(t))
                .unwrap_or(&text);
            return Ok(text.to_owned());
        };
        // Parse errors of a secrets file could quote its content: report only where.
        let doc = yaml::parse_values(&text, &path).map_err(|e| match (e.line, e.column) {
            (Some(l), Some(c)) => format!(
                "{} is not valid YAML or JSON (at line {l}, column {c})",
                path.display()
            ),
            _ => format!("{} is not valid YAML or JSON", path.display()),
        })?;
        match doc.pointer(pointer) {
            Some(Value::String(s)) => Ok(s.clone()),
            Some(v @ (Value::Number(_) | Value::Bool(_))) => Ok(v.to_string()),
            Some(Value::Null) | None => {
                Err(format!("{} has no value at `{pointer}`", path.display()))
            }
            Some(_) => Err(format!(
                "`{pointer}` in {} is a map or list, not a single value",
                path.display()
            )),
        }
    }
}

fn io_reason(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file".into(),
        std::io::ErrorKind::PermissionDenied => "permission denied".into(),
        _ => "not a readable text file".into(),
    }
}

/// What references may name when the pipeline is not trusted with the host's credentials
/// (`argocd generate`: an Application's repository must not read the sidecar's environment,
/// files or AWS secrets). Set by whoever runs helmwasm (the sidecar's operator), never by the
/// pipeline. A reference outside it is refused, named, before any backend is asked.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Allowed {
    /// Environment variable names; a trailing `*` allows every name with that prefix.
    pub env: Vec<String>,
    /// Folders (canonical) whose files may be read; symlinks are resolved before the check.
    pub file_dirs: Vec<PathBuf>,
    /// Prefixes of AWS Secrets Manager names (or ARNs) and SSM parameter paths.
    pub aws_prefixes: Vec<String>,
}

impl Allowed {
    /// Whether `r` (relative to `base`) is allowed; the error names the reference and what the
    /// operator allows, never a value.
    pub fn check(&self, r: &Reference, base: &Path) -> Result<(), String> {
        let refused = |what: &str, allowed: String| {
            Err(format!(
                "`{}`: not allowed here: {what}; references resolve only from what the operator allows ({allowed})",
                r.raw
            ))
        };
        let listed = |items: &[String]| {
            if items.is_empty() {
                "none".to_owned()
            } else {
                items.join(", ")
            }
        };
        match r.scheme.as_str() {
            "env" => {
                let ok = self.env.iter().any(|a| match a.strip_suffix('*') {
                    Some(prefix) => r.location.starts_with(prefix),
                    None => *a == r.location,
                });
                if ok {
                    return Ok(());
                }
                refused(
                    "the environment variable is not allowed",
                    format!("environment variables: {}", listed(&self.env)),
                )
            }
            "file" => {
                let path = crate::paths::join(base, &r.location);
                let inside = std::fs::canonicalize(&path)
                    .ok()
                    .is_some_and(|p| self.file_dirs.iter().any(|d| p.starts_with(d)));
                if inside {
                    return Ok(());
                }
                let dirs: Vec<String> = self
                    .file_dirs
                    .iter()
                    .map(|d| d.display().to_string())
                    .collect();
                refused(
                    "the file is not inside an allowed folder (symlinks resolved)",
                    format!("folders: {}", listed(&dirs)),
                )
            }
            "awssecrets" | "awsssm" => {
                let name = r.location.split('?').next().unwrap_or_default();
                let name = name.trim_start_matches('/');
                let ok = self
                    .aws_prefixes
                    .iter()
                    .any(|p| name.starts_with(p.trim_start_matches('/')));
                if ok {
                    return Ok(());
                }
                refused(
                    "the AWS name does not start with an allowed prefix",
                    format!("AWS name prefixes: {}", listed(&self.aws_prefixes)),
                )
            }
            _ => refused("its scheme is not allowed", "no other scheme".to_owned()),
        }
    }
}

/// The backends of one run, with the secrets fetched so far. One resolver serves one run: a
/// secret is registered with the [`Redactor`] passed to the call that fetched it, and a later
/// use of the same reference is answered from the cache without registering it again, so
/// every redactor the run's calls were given must end up in the run's one (as
/// [`resolve_plan`] does with its threads' redactors).
pub struct Resolver {
    backends: Vec<Box<dyn Backend>>,
    mode: Mode,
    /// When set, only these references resolve ([`Allowed`]).
    allowed: Option<Allowed>,
    /// Each reference (with the folder it is relative to) is read once per run, however many
    /// releases' layers hold it.
    fetched: std::sync::Mutex<std::collections::HashMap<(String, PathBuf), String>>,
}

impl Default for Resolver {
    fn default() -> Self {
        Resolver::new()
    }
}

impl Resolver {
    pub fn new() -> Self {
        Resolver::with_mode(Mode::Resolve)
    }

    pub fn with_mode(mode: Mode) -> Self {
        Resolver {
            backends: vec![
                Box::new(EnvBackend),
                Box::new(FileBackend),
                Box::new(aws::AwsBackend::new(aws::Service::SecretsManager)),
                Box::new(aws::AwsBackend::new(aws::Service::Ssm)),
            ],
            mode,
            allowed: None,
            fetched: Default::default(),
        }
    }

    /// Only the references `allowed` permits resolve (or pass the shape check).
    pub fn allowing(mut self, allowed: Option<Allowed>) -> Self {
        self.allowed = allowed;
        self
    }

    /// Resolve one reference, registering the secret for redaction.
    pub fn resolve(
        &self,
        r: &Reference,
        base: &Path,
        redactor: &mut Redactor,
    ) -> Result<String, String> {
        let backend = self
            .backends
            .iter()
            .find(|b| b.scheme() == r.scheme)
            .ok_or_else(|| {
                let known: Vec<String> = self
                    .backends
                    .iter()
                    .map(|b| format!("`ref+{}://`", b.scheme()))
                    .collect();
                format!(
                    "`{}`: unknown reference scheme `{}` (known: {})",
                    r.raw,
                    r.scheme,
                    known.join(", ")
                )
            })?;
        if let Some(allowed) = &self.allowed {
            allowed.check(r, base)?;
        }
        if self.mode == Mode::Shape {
            backend
                .check_shape(r)
                .map_err(|e| format!("`{}`: {e}", r.raw))?;
            return Ok(placeholder(r));
        }
        let key = (r.raw.clone(), base.to_path_buf());
        // Held while fetching: two threads wanting one reference read it once.
        let mut fetched = crate::parallel::lock(&self.fetched);
        if let Some(secret) = fetched.get(&key) {
            // Registered when it was fetched: a reference used by every release is encoded
            // for the redactor once, not once per release.
            return Ok(secret.clone());
        }
        let secret = backend
            .fetch(r, base)
            .map_err(|e| format!("`{}`: {e}", r.raw))?;
        redactor.register(&secret);
        let len = secret.chars().count();
        if len < crate::redact::SHORT_SECRET {
            redactor.note_short(&r.raw, len);
        }
        fetched.insert(key, secret.clone());
        Ok(secret)
    }

    /// Hand every reference of the plan to its backend ahead of resolving (remote backends
    /// fetch theirs together, once).
    fn prefetch(&self, plan: &crate::plan::Plan, threads: usize) {
        let mut found: Vec<Reference> = Vec::new();
        for v in plan
            .environment
            .layers
            .iter()
            .flat_map(|l| l.values.values())
        {
            collect(v, &mut found);
        }
        // Each release's references, found on `threads` threads.
        let per_release = crate::parallel::map(&plan.releases, threads, |r| {
            let mut found = Vec::new();
            for v in r.layers.iter().flat_map(|l| l.values.values()) {
                collect(v, &mut found);
            }
            for s in r.steps.iter().chain(&r.post_render) {
                collect(&s.config, &mut found);
            }
            found
        });
        found.extend(per_release.into_iter().flatten());
        if let Some(Ok(r)) = plan.random_seed.as_deref().and_then(Reference::parse) {
            found.push(r);
        }
        // What the operator does not allow is never fetched, not even ahead.
        if let Some(allowed) = &self.allowed {
            found.retain(|r| r.scheme != "file" && allowed.check(r, Path::new(".")).is_ok());
        }
        for b in &self.backends {
            let mine: Vec<&Reference> = found.iter().filter(|r| r.scheme == b.scheme()).collect();
            if !mine.is_empty() {
                b.prefetch(&mine);
            }
        }
    }

    /// Replace every string in `value` that is a reference by the secret it names. Errors carry
    /// the key path under `at` (e.g. `releases[0].steps[1].with.password`).
    pub fn resolve_tree(
        &self,
        value: &mut Value,
        base: &Path,
        at: &str,
        redactor: &mut Redactor,
    ) -> Result<usize, String> {
        let mut count = 0;
        self.walk(value, base, &mut at.to_owned(), redactor, &mut count)?;
        Ok(count)
    }

    fn walk(
        &self,
        value: &mut Value,
        base: &Path,
        at: &mut String,
        redactor: &mut Redactor,
        count: &mut usize,
    ) -> Result<(), String> {
        match value {
            Value::String(s) => {
                if let Some(parsed) = Reference::parse(s) {
                    let r = parsed.map_err(|e| format!("{at}: {e}"))?;
                    *s = self
                        .resolve(&r, base, redactor)
                        .map_err(|e| format!("{at}: {e}"))?;
                    *count += 1;
                }
            }
            Value::Array(items) => {
                for (i, item) in items.iter_mut().enumerate() {
                    let len = at.len();
                    let _ = write!(at, "[{i}]");
                    self.walk(item, base, at, redactor, count)?;
                    at.truncate(len);
                }
            }
            Value::Object(map) => {
                for (k, v) in map.iter_mut() {
                    let len = at.len();
                    if !at.is_empty() {
                        at.push('.');
                    }
                    at.push_str(k);
                    self.walk(v, base, at, redactor, count)?;
                    at.truncate(len);
                }
            }
            _ => {}
        }
        Ok(())
    }
}

/// Every well-formed reference in a tree.
fn collect(v: &Value, out: &mut Vec<Reference>) {
    match v {
        Value::String(s) => {
            if let Some(Ok(r)) = Reference::parse(s) {
                out.push(r);
            }
        }
        Value::Array(items) => items.iter().for_each(|i| collect(i, out)),
        Value::Object(m) => m.values().for_each(|i| collect(i, out)),
        _ => {}
    }
}

/// The secrets stage: resolve every reference in a plan in place (environment values,
/// `--set`, each release's values layers and step configs, post-render steps' too), registering each secret with the
/// redactor. Planning never reads a secret, so stages before this one (and verbs that stop
/// before it) need no credentials. The releases are resolved on up to `threads` threads; the
/// error is the first in pipeline order, as on one.
pub fn resolve_plan(
    plan: &mut crate::plan::Plan,
    redactor: &mut Redactor,
    mode: Mode,
    allowed: Option<&Allowed>,
    threads: usize,
) -> anyhow::Result<()> {
    use anyhow::anyhow;
    let resolver = Resolver::with_mode(mode).allowing(allowed.cloned());
    if mode == Mode::Resolve {
        resolver.prefetch(plan, threads);
    }
    for v in &plan.template_env {
        redactor.register(v);
    }
    let layer = |l: &mut crate::plan::Layer, redactor: &mut Redactor| -> anyhow::Result<()> {
        let mut tree = Value::Object(std::mem::take(&mut l.values));
        let result = resolver.resolve_tree(&mut tree, &l.base, &l.origin, redactor);
        if let Value::Object(m) = tree {
            l.values = m;
        }
        result.map(|_| ()).map_err(|e| anyhow!("{e}"))
    };
    for l in &mut plan.environment.layers {
        layer(l, redactor)?;
    }
    // `--set` references are resolved once for every release.
    for value in plan.overrides.values_mut() {
        resolver
            .resolve_tree(value, Path::new("."), "--set", redactor)
            .map_err(|e| anyhow!("{e}"))?;
    }
    if let Some(seed) = &mut plan.random_seed {
        let mut v = Value::String(std::mem::take(seed));
        resolver
            .resolve_tree(
                &mut v,
                &crate::paths::folder(&plan.file),
                "randomSeed",
                redactor,
            )
            .map_err(|e| anyhow!("{e}"))?;
        *seed = v.as_str().unwrap_or_default().to_owned();
        if seed.len() < 16 {
            anyhow::bail!(
                "randomSeed: the seed has {} characters; use at least 16 (e.g. `openssl rand -hex 32`)",
                seed.len()
            );
        }
    }
    // Each thread registers what it fetches with a redactor of its own; all of them join the
    // run's before any error is returned (a secret fetched for a later release may be
    // answered from the cache to an earlier one).
    let resolved = crate::parallel::map_owned(
        std::mem::take(&mut plan.releases),
        threads,
        |mut r: crate::plan::ReleasePlan| {
            let mut found = Redactor::default();
            let result = resolve_release(&resolver, &mut r, &mut found, &layer);
            (r, found, result)
        },
    );
    let mut first_error = None;
    for (r, found, result) in resolved {
        redactor.absorb(found);
        match result {
            Ok(()) => plan.releases.push(r),
            Err(e) => {
                first_error.get_or_insert(e);
            }
        }
    }
    first_error.map_or(Ok(()), Err)
}

/// One release's values layers and step configs (values and post-render steps).
fn resolve_release(
    resolver: &Resolver,
    r: &mut crate::plan::ReleasePlan,
    redactor: &mut Redactor,
    layer: &(impl Fn(&mut crate::plan::Layer, &mut Redactor) -> anyhow::Result<()> + Sync),
) -> anyhow::Result<()> {
    use anyhow::{Context, anyhow};
    for l in &mut r.layers {
        layer(l, redactor)
            .with_context(|| format!("cannot load the values of release `{}`", r.name))?;
    }
    for s in r.steps.iter_mut().chain(r.post_render.iter_mut()) {
        let kind = match s.kind {
            crate::plan::StepKind::Values => "step",
            crate::plan::StepKind::PostRender => "post-render step",
        };
        resolver
            .resolve_tree(&mut s.config, &s.base, &s.config_path, redactor)
            .map_err(|e| anyhow!("{e}"))
            .with_context(|| {
                format!(
                    "cannot resolve the secret references of release `{}` {kind} {}",
                    r.name, s.number
                )
            })?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn parses_references() {
        assert_eq!(Reference::parse("plain"), None);
        let r = Reference::parse("ref+file://a/b.yaml#/db/password")
            .unwrap()
            .unwrap();
        assert_eq!(
            (
                r.scheme.as_str(),
                r.location.as_str(),
                r.fragment.as_deref()
            ),
            ("file", "a/b.yaml", Some("/db/password"))
        );
        assert!(Reference::parse("ref+env:VAR").unwrap().is_err());
        assert!(Reference::parse("ref+env://").unwrap().is_err());
    }

    #[test]
    fn files_whole_and_by_pointer() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("pw"), "s3cret-value\n").unwrap();
        std::fs::write(
            dir.path().join("creds.yaml"),
            "db:\n  password: from-yaml\n  port: 5432\n",
        )
        .unwrap();
        let mut red = Redactor::default();
        let res = Resolver::new();
        let mut v = json!({"a": "ref+file://pw", "b": ["ref+file://creds.yaml#/db/password"], "c": "ref+file://creds.yaml#/db/port", "d": 1});
        assert_eq!(
            res.resolve_tree(&mut v, dir.path(), "with", &mut red)
                .unwrap(),
            3
        );
        assert_eq!(
            v,
            json!({"a": "s3cret-value", "b": ["from-yaml"], "c": "5432", "d": 1})
        );
        assert_eq!(
            red.redact("x s3cret-value from-yaml"),
            "x <redacted> <redacted>"
        );
    }

    #[test]
    fn errors_name_the_reference_and_path_never_the_value() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("creds.yaml"), "db: {password: hunter22}\n").unwrap();
        let res = Resolver::new();
        let mut red = Redactor::default();
        let mut v = json!({"p": "ref+file://creds.yaml#/db/user"});
        let e = res
            .resolve_tree(&mut v, dir.path(), "with", &mut red)
            .unwrap_err();
        assert!(
            e.starts_with("with.p: `ref+file://creds.yaml#/db/user`: "),
            "{e}"
        );
        assert!(e.ends_with("creds.yaml has no value at `/db/user`"), "{e}");
        let mut v = json!({"p": "ref+file://creds.yaml#/db"});
        assert!(
            res.resolve_tree(&mut v, dir.path(), "with", &mut red)
                .unwrap_err()
                .contains("is a map or list")
        );
        let mut v = json!({"p": "ref+env://HELMWASM_TEST_SURELY_UNSET"});
        assert_eq!(
            res.resolve_tree(&mut v, dir.path(), "with", &mut red)
                .unwrap_err(),
            "with.p: `ref+env://HELMWASM_TEST_SURELY_UNSET`: environment variable `HELMWASM_TEST_SURELY_UNSET` is not set"
        );
        let mut v = json!({"p": "ref+vault://x"});
        assert!(
            res.resolve_tree(&mut v, dir.path(), "with", &mut red)
                .unwrap_err()
                .contains("unknown reference scheme `vault`")
        );
        let mut v = json!({"p": "ref+file://missing"});
        assert!(
            res.resolve_tree(&mut v, dir.path(), "with", &mut red)
                .unwrap_err()
                .ends_with("missing: no such file")
        );
        assert!(red.is_empty());
    }

    #[test]
    fn shape_mode_reads_nothing_and_still_rejects_malformed_references() {
        let res = Resolver::with_mode(Mode::Shape);
        let mut red = Redactor::default();
        let mut v =
            json!({"a": "ref+env://HELMWASM_TEST_SURELY_UNSET", "b": "ref+file://missing#/x"});
        assert_eq!(
            res.resolve_tree(&mut v, Path::new("."), "with", &mut red),
            Ok(2)
        );
        let a = v["a"].as_str().unwrap();
        assert!(a.starts_with(PLACEHOLDER_PREFIX) && a.len() == PLACEHOLDER_PREFIX.len() + 12);
        assert_ne!(v["a"], v["b"]);
        assert!(red.is_empty());
        for bad in [
            "ref+vault://x",
            "ref+env://X#/y",
            "ref+file://f#y",
            "ref+env:X",
        ] {
            let mut v = json!({"p": bad});
            assert!(
                res.resolve_tree(&mut v, Path::new("."), "with", &mut red)
                    .is_err(),
                "{bad}"
            );
        }
    }
}
