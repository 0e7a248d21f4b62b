//! The WebAssembly runtime: one [`Engine`] per process, compiled components cached on disk,
//! and every plugin call in a fresh, sandboxed [`Store`] with memory and time caps.
//!
//! This crate knows nothing of pipelines (it depends on `helmwasm-base` and
//! `helmwasm-engine` only, never on the host): it compiles bytes into a [`Plugin`], calls
//! `metadata` and `run`, and turns traps into a [`CallError`] that says which limit was hit.
//! The caller adds the plugin, release and step to the error.
//!
//! [`cache`] the compiled code on disk; [`sandbox`] a call's store (no files, no env, no
//! network, a virtual clock, memory and output caps); [`worlds`] the WIT versions it serves;
//! [`untrusted`] caps and escapes what a plugin returns; [`engine`] the engine configuration.

pub mod cache;
pub use helmwasm_engine as engine;
pub mod sandbox;
pub mod untrusted;
pub mod worlds;

pub use worlds::NEWEST as NEWEST_WORLD;
pub use worlds::{
    Diagnostic, LogLevel, Metadata, ObjectRef, PluginError, PostRenderRequest, PostRenderResponse,
    ReleaseContext, Request, Response, Severity, Stage,
};

use anyhow::{Context, Result};
use cache::CompileCache;
use helmwasm_base::units::ByteSize;
use sandbox::{CallState, LogLine};
use std::path::PathBuf;
use std::time::{Duration, Instant};
use wasmtime::component::Linker;
use wasmtime::{Engine, Store, Trap};

/// How often the epoch advances; the granularity of time limits.
pub const TICK: Duration = Duration::from_millis(10);

/// Sandbox limits of one plugin call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    pub memory: u64,
    pub timeout: Duration,
    pub output: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            memory: 64 << 20,
            timeout: Duration::from_secs(2),
            output: 16 << 20,
        }
    }
}

pub struct Runtime {
    engine: Engine,
    /// Why the instance pool could not be reserved, when instances get memory on demand
    /// instead ([`engine::config_on_demand`]); said with `-v`.
    pub on_demand: Option<String>,
    linker: Linker<CallState>,
    cache: Option<CompileCache>,
    /// Called once a call's deadline is set (tests of the manual epoch wait for it).
    call_started: Option<Box<dyn Fn() + Send + Sync>>,
}

/// A compiled, linked plugin component, ready to instantiate.
pub struct Plugin {
    pre: worlds::Pre,
    /// SHA-256 of the component bytes.
    digest: String,
}

/// Why a call did not return normally.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CallError {
    #[error("the plugin ran past its time limit of {} and was stopped", humantime::format_duration(*.limit))]
    Timeout { limit: Duration },
    #[error("the plugin tried to use {} of memory, past its limit of {}", ByteSize(*wanted), ByteSize(*limit))]
    Memory { wanted: u64, limit: u64 },
    #[error("the plugin overflowed its stack (deep or infinite recursion)")]
    StackOverflow,
    #[error("the plugin exited (WASI exit, status {code}) instead of returning a response")]
    Exit { code: i32 },
    /// The call was given no random key (the caller says where one comes from).
    #[error("the plugin asked for secure random bytes, and its call has no random key")]
    NoRandomSeed,
    /// (The caller says how the limit is raised.)
    #[error("the plugin returned more than its output limit of {} allows (values, manifests and diagnostics together)", ByteSize(*limit))]
    OutputTooLarge { limit: u64 },
    #[error("the plugin crashed: {trap}{}", stderr_note(.stderr))]
    Trap { trap: String, stderr: String },
}

fn stderr_note(stderr: &str) -> String {
    if stderr.trim().is_empty() {
        String::new()
    } else {
        format!(
            "\n  plugin stderr:\n    {}",
            stderr.trim_end().replace('\n', "\n    ")
        )
    }
}

/// Everything one call produced besides its return value.
#[derive(Debug, Default)]
pub struct Captured {
    pub logs: Vec<LogLine>,
    pub dropped_logs: usize,
    pub stdout: String,
    pub stderr: String,
    /// Bytes of stdout / stderr past the capture cap, dropped.
    pub dropped_stdout: u64,
    pub dropped_stderr: u64,
    pub elapsed: Duration,
}

/// A runtime being created on a start-up thread, so that creating the engine (~0.7 ms of a
/// ~13 ms warm run) overlaps the caller's reading and planning of its pipeline. [`Starting::get`]
/// waits for it. `then` runs on that thread once the runtime is handed over: other start-up
/// work that can go ahead meanwhile.
pub struct Starting {
    receiver: std::sync::Mutex<Option<std::sync::mpsc::Receiver<Result<Runtime>>>>,
    ready: std::sync::OnceLock<Result<Runtime, String>>,
}

impl Starting {
    pub fn spawn(cache_dir: Option<PathBuf>, then: impl FnOnce() + Send + 'static) -> Starting {
        let (tx, rx) = std::sync::mpsc::sync_channel(1);
        let dir = cache_dir.clone();
        let spawned = std::thread::Builder::new()
            .name("helmwasm-start".into())
            .spawn(move || {
                if tx.send(Runtime::new(dir)).is_ok() {
                    then();
                }
            });
        let starting = Starting {
            receiver: std::sync::Mutex::new(None),
            ready: std::sync::OnceLock::new(),
        };
        match spawned {
            Ok(_) => {
                *helmwasm_base::parallel::lock(&starting.receiver) = Some(rx);
            }
            // No thread to spare: created here, as before.
            Err(_) => {
                let _ = starting
                    .ready
                    .set(Runtime::new(cache_dir).map_err(|e| format!("{e:#}")));
            }
        }
        starting
    }

    /// The runtime, once created (the first call waits for it).
    pub fn get(&self) -> Result<&Runtime> {
        self.ready
            .get_or_init(|| {
                let receiver = helmwasm_base::parallel::lock(&self.receiver).take();
                match receiver.map(|r| r.recv()) {
                    Some(Ok(created)) => created.map_err(|e| format!("{e:#}")),
                    _ => Err("the engine's start-up thread stopped".into()),
                }
            })
            .as_ref()
            .map_err(|e| anyhow::Error::new(helmwasm_base::error::Internal(e.clone())))
    }
}

impl Runtime {
    /// `cache_dir: None` disables the compile cache. The epoch advances every [`TICK`].
    pub fn new(cache_dir: Option<PathBuf>) -> Result<Self> {
        let runtime = Self::with_manual_epoch(cache_dir)?;
        start_ticker(&runtime.engine);
        Ok(runtime)
    }

    /// A runtime whose epoch advances only when [`Runtime::tick`] is called: time limits
    /// become a number of ticks, so tests of the deadline need no wall clock.
    pub fn with_manual_epoch(cache_dir: Option<PathBuf>) -> Result<Self> {
        let (engine, on_demand) = match Engine::new(&engine::config(POOL_CALLS)) {
            Ok(e) => (e, None),
            // The pool reserves its address space up front; under an address-space limit
            // (`ulimit -v`) that fails, and instances get memory on demand instead.
            Err(pooled) => {
                let engine = Engine::new(&engine::config_on_demand())
                    .map_err(anyhow::Error::from)
                    .with_context(|| {
                        format!("cannot create the wasm engine (with an instance pool: {pooled:#})")
                    })?;
                (engine, Some(format!("{pooled:#}")))
            }
        };
        let mut linker = Linker::new(&engine);
        wasmtime_wasi::p2::add_to_linker_sync(&mut linker).map_err(anyhow::Error::from)?;
        // Replace the clock and secure randomness with the sandbox's own (see `sandbox`).
        linker.allow_shadowing(true);
        wasmtime_wasi::p2::bindings::clocks::monotonic_clock::add_to_linker::<
            CallState,
            sandbox::Sleepless,
        >(&mut linker, |s| s.sleepless())
        .map_err(anyhow::Error::from)?;
        wasmtime_wasi::p2::bindings::random::random::add_to_linker::<
            CallState,
            sandbox::SeededRandom,
        >(&mut linker, |s| &mut s.random)
        .map_err(anyhow::Error::from)?;
        linker.allow_shadowing(false);
        worlds::add_to_linker(&mut linker).map_err(anyhow::Error::from)?;
        let cache = cache_dir.map(|d| CompileCache::new(d, &engine));
        Ok(Runtime {
            engine,
            on_demand,
            linker,
            cache,
            call_started: None,
        })
    }

    /// Call `f` at the start of every call, once its deadline is set: with a manual epoch, a
    /// test knows from then on that each [`Runtime::tick`] counts against that call.
    pub fn on_call_start(&mut self, f: impl Fn() + Send + Sync + 'static) {
        self.call_started = Some(Box::new(f));
    }

    /// Advance the epoch by one tick (what the ticker thread does every [`TICK`]).
    pub fn tick(&self) {
        self.engine.increment_epoch();
    }

    pub fn cache_dir(&self) -> Option<&std::path::Path> {
        self.cache.as_ref().map(|c| c.dir())
    }

    /// Compile (or load from cache) and link a plugin component.
    pub fn load(&self, bytes: &[u8]) -> Result<Plugin> {
        self.load_digested(bytes, &cache::digest(bytes))
    }

    /// [`Runtime::load`] of bytes whose SHA-256 (hex) the caller already knows: the built-in
    /// plugins' digests are computed when helmwasm is built.
    pub fn load_digested(&self, bytes: &[u8], digest: &str) -> Result<Plugin> {
        if !bytes.starts_with(b"\0asm") {
            anyhow::bail!("not a WebAssembly file");
        }
        // Byte 4..8 is the version/layer: 0x0d 0x00 0x01 0x00 for components, 1 for core modules.
        if bytes.get(4..8) == Some(&[1, 0, 0, 0]) {
            anyhow::bail!(
                "a core WebAssembly module, not a component: build the plugin for the \
                 `wasm32-wasip2` target so it is a component of the {} world",
                worlds::SUPPORTED
            );
        }
        let component = match &self.cache {
            Some(cache) => cache.get_or_compile(&self.engine, bytes, digest)?,
            None => cache::compile(&self.engine, bytes)?,
        };
        self.link(component, digest)
    }

    /// Link a compiled component against the host's imports.
    fn link(&self, component: wasmtime::component::Component, digest: &str) -> Result<Plugin> {
        let instance_pre = self
            .linker
            .instantiate_pre(&component)
            .map_err(anyhow::Error::from)
            .context("the component imports something the host does not provide (plugins may import only `helmwasm:plugin/host` and WASI 0.2)")?;
        let pre = worlds::Pre::new(instance_pre).ok_or_else(|| {
            anyhow::anyhow!(
                "the component does not export a supported world ({}: `metadata` and `run`, and `post-render` from {})",
                worlds::SUPPORTED,
                worlds::POST_RENDER_SINCE
            )
        })?;
        Ok(Plugin {
            pre,
            digest: digest.to_owned(),
        })
    }

    /// A built-in plugin from the code `build.rs` precompiled for it, without compiling: the
    /// code is copied into the cache on first use, so later runs map the file instead of
    /// copying the code into executable memory. When that code does not fit this engine
    /// (wasmtime checks the version, configuration and CPU features it was compiled for),
    /// `bytes` are loaded as any plugin's are ([`Runtime::load_digested`]).
    pub fn load_precompiled(&self, code: &[u8], bytes: &[u8], digest: &str) -> Result<Plugin> {
        let component = match &self.cache {
            Some(cache) => cache.get_or_insert(&self.engine, digest, code),
            // SAFETY: `code` is `Engine::precompile_component` output embedded in this binary
            // by its own build script, as trusted as the binary; wasmtime refuses code
            // compiled for another engine configuration.
            None => unsafe { wasmtime::component::Component::deserialize(&self.engine, code) }
                .map_err(anyhow::Error::from),
        };
        match component {
            Ok(component) => self.link(component, digest),
            Err(_) => self.load_digested(bytes, digest),
        }
    }

    /// The `metadata()` stored in the cache for the component with SHA-256 `digest`, if any:
    /// known without compiling (or even reading) the component's code.
    pub fn cached_metadata(&self, digest: &str) -> Option<Metadata> {
        let text = self.cache.as_ref()?.metadata(digest)?;
        metadata_from_json(&text)
    }

    /// A plugin's `metadata()`: from the cache beside its compiled code when there, else one
    /// sandboxed call (with `limits`) whose result is then cached. Its text fields are already
    /// capped and escaped ([`untrusted::metadata`]).
    pub fn metadata_cached(&self, plugin: &Plugin, limits: Limits) -> Result<Metadata, CallError> {
        if let Some(m) = self.cached_metadata(&plugin.digest) {
            return Ok(m);
        }
        let (result, _captured) = self.metadata(plugin, limits);
        let m = result?;
        if let Some(c) = &self.cache {
            c.store_metadata(&plugin.digest, &metadata_to_json(&m));
        }
        Ok(m)
    }

    /// Call `metadata` in a fresh instance.
    pub fn metadata(
        &self,
        plugin: &Plugin,
        limits: Limits,
    ) -> (Result<Metadata, CallError>, Captured) {
        let (result, captured) = self.call(plugin, limits, None, |store, p| p.metadata(store));
        (result.map(untrusted::metadata), captured)
    }

    /// Call `run` in a fresh instance. `random_key` keys the plugin's secure randomness
    /// (without one, asking for secure random bytes fails the call).
    pub fn run(
        &self,
        plugin: &Plugin,
        limits: Limits,
        request: &Request,
        random_key: Option<[u8; 32]>,
    ) -> (Result<Result<Response, PluginError>, CallError>, Captured) {
        let (result, captured) =
            self.call(plugin, limits, random_key, |store, p| p.run(store, request));
        (
            result.map(|r| untrusted::stage_result(r, |r| &mut r.diagnostics)),
            captured,
        )
    }

    /// Call `post-render` in a fresh instance (a 0.1.0 component answers `unsupported-stage`).
    pub fn post_render(
        &self,
        plugin: &Plugin,
        limits: Limits,
        request: &PostRenderRequest,
        random_key: Option<[u8; 32]>,
    ) -> (
        Result<Result<PostRenderResponse, PluginError>, CallError>,
        Captured,
    ) {
        let (result, captured) = self.call(plugin, limits, random_key, |store, p| {
            p.post_render(store, request)
        });
        (
            result.map(|r| untrusted::stage_result(r, |r| &mut r.diagnostics)),
            captured,
        )
    }

    fn call<R>(
        &self,
        plugin: &Plugin,
        limits: Limits,
        random_key: Option<[u8; 32]>,
        f: impl FnOnce(&mut Store<CallState>, &worlds::Pre) -> wasmtime::Result<R>,
    ) -> (Result<R, CallError>, Captured) {
        let mut store = Store::new(
            &self.engine,
            CallState::new(limits.memory, limits.timeout, random_key),
        );
        store.limiter(|s| &mut s.limiter);
        // What wasmtime may copy out of the guest in one host call (the response's strings):
        // the output limit plus room for the framing, so the limit, not the fuel, decides.
        store.set_hostcall_fuel(hostcall_fuel(limits.output));
        let ticks = limits.timeout.as_nanos().div_ceil(TICK.as_nanos()).max(1) as u64;
        store.set_epoch_deadline(ticks);
        store.epoch_deadline_trap();
        if let Some(f) = &self.call_started {
            f();
        }
        let started = Instant::now();
        let result = f(&mut store, &plugin.pre);
        let elapsed = started.elapsed();
        let state = store.into_data();
        let (stderr_bytes, dropped_stderr) = state.stderr.contents();
        let (stdout_bytes, dropped_stdout) = state.stdout.contents();
        let stderr = String::from_utf8_lossy(&stderr_bytes).into_owned();
        let result = result.map_err(|e| classify(e, &state, limits, &stderr));
        let captured = Captured {
            logs: state.logs,
            dropped_logs: state.dropped_logs,
            stdout: helmwasm_base::term::block(&String::from_utf8_lossy(&stdout_bytes)),
            stderr: helmwasm_base::term::block(&stderr),
            dropped_stdout,
            dropped_stderr,
            elapsed,
        };
        (result, captured)
    }
}

/// Calls that can run at once: the most threads a run uses ([`helmwasm_base::parallel::MAX_THREADS`])
/// plus one for the caller.
const POOL_CALLS: u32 = helmwasm_base::parallel::MAX_THREADS as u32 + 1;

/// Hostcall fuel for an output limit: what wasmtime may copy out of the guest in one call,
/// counted in bytes of what the host allocates (strings, plus each list element's host-side
/// size). Three times the limit plus 1 MiB leaves room for the response's framing: a 0.2.0
/// diagnostic (with its optional object reference) takes about 150 bytes on the host besides
/// its text, so the 1,000-times-capped flood of 200,000 short diagnostics a plugin may send
/// within a 16 MiB limit fits. A response past that stops at the copy, before the host holds
/// it ([`CallError::OutputTooLarge`]).
pub fn hostcall_fuel(output: u64) -> usize {
    usize::try_from(output.saturating_mul(3).saturating_add(1 << 20)).unwrap_or(usize::MAX)
}

fn metadata_to_json(m: &Metadata) -> String {
    let stages: Vec<&str> = m
        .stages
        .iter()
        .map(|s| match s {
            Stage::Values => "values",
            Stage::PostRender => "post-render",
        })
        .collect();
    serde_json::json!({
        "name": m.name, "version": m.version, "description": m.description,
        "configSchema": m.config_schema, "stages": stages,
    })
    .to_string()
}

fn metadata_from_json(text: &str) -> Option<Metadata> {
    let v: serde_json::Value = serde_json::from_str(text).ok()?;
    let field = |k: &str| v[k].as_str().map(str::to_owned);
    Some(Metadata {
        name: field("name")?,
        version: field("version")?,
        description: field("description")?,
        config_schema: field("configSchema")?,
        stages: v["stages"]
            .as_array()?
            .iter()
            .map(|s| match s.as_str()? {
                "values" => Some(Stage::Values),
                "post-render" => Some(Stage::PostRender),
                _ => None,
            })
            .collect::<Option<Vec<_>>>()?,
    })
}

fn classify(e: wasmtime::Error, state: &CallState, limits: Limits, stderr: &str) -> CallError {
    if e.downcast_ref::<sandbox::NoRandomSeed>().is_some() {
        return CallError::NoRandomSeed;
    }
    // wasmtime's `HostcallFuelExhausted` is private: its message is matched. The output-limit
    // tests (`hostile::oversized…`, `hardening::floods…`) fail loudly if that text changes.
    if format!("{e:#}").contains("fuel allocated for hostcalls") {
        return CallError::OutputTooLarge {
            limit: limits.output,
        };
    }
    if e.downcast_ref::<sandbox::SleptPastLimit>().is_some() {
        return CallError::Timeout {
            limit: limits.timeout,
        };
    }
    if let Some(exit) = e.downcast_ref::<wasmtime_wasi::I32Exit>() {
        return CallError::Exit { code: exit.0 };
    }
    if let Some(wanted) = state.limiter.exceeded {
        return CallError::Memory {
            wanted,
            limit: limits.memory,
        };
    }
    match e.downcast_ref::<Trap>() {
        Some(Trap::Interrupt) => CallError::Timeout {
            limit: limits.timeout,
        },
        Some(Trap::StackOverflow) => CallError::StackOverflow,
        Some(Trap::MemoryOutOfBounds) => CallError::Trap {
            trap: format!(
                "{} (in Rust plugins usually a stack overflow from deep recursion)",
                Trap::MemoryOutOfBounds
            ),
            stderr: tail(stderr),
        },
        Some(trap) => CallError::Trap {
            trap: trap.to_string(),
            stderr: tail(stderr),
        },
        // wasmtime's message may quote the plugin's own symbol names: untrusted text.
        None => CallError::Trap {
            trap: helmwasm_base::term::block(&untrusted::cut(
                &format!("{e:#}"),
                untrusted::MAX_TEXT,
            )),
            stderr: tail(stderr),
        },
    }
}

/// The last 20 lines of the plugin's stderr, where a panic message lands (escaped).
fn tail(s: &str) -> String {
    let lines: Vec<&str> = s.lines().filter(|l| !l.trim().is_empty()).collect();
    helmwasm_base::term::block(&lines[lines.len().saturating_sub(20)..].join("\n"))
}

/// Advance the engine's epoch every [`TICK`] for as long as the engine lives.
fn start_ticker(engine: &Engine) {
    let weak = engine.weak();
    std::thread::Builder::new()
        .name("helmwasm-epoch".into())
        .spawn(move || {
            loop {
                std::thread::sleep(TICK);
                match weak.upgrade() {
                    Some(engine) => engine.increment_epoch(),
                    None => break,
                }
            }
        })
        .expect("cannot start the epoch thread");
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cwasm_contents(dir: &std::path::Path) -> Vec<Vec<u8>> {
        let mut files: Vec<_> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|x| x == "cwasm"))
            .collect();
        files.sort();
        files.iter().map(|p| std::fs::read(p).unwrap()).collect()
    }

    #[test]
    fn a_runtime_started_on_a_thread_is_handed_over_once_then_the_rest_runs() {
        let (tx, rx) = std::sync::mpsc::channel();
        let starting = Starting::spawn(None, move || tx.send(()).unwrap());
        let first: *const Runtime = starting.get().unwrap();
        let again: *const Runtime = starting.get().unwrap();
        assert_eq!(first, again);
        rx.recv_timeout(Duration::from_secs(60))
            .expect("`then` runs after the hand-over");
        // Usable from the thread that waited for it, and from others.
        std::thread::scope(|s| {
            s.spawn(|| assert!(starting.get().is_ok()));
        });
    }

    /// The `labels` built-in, and its code precompiled as the host's `build.rs` does it: with
    /// the engine configuration of [`engine::config`].
    fn labels() -> (&'static helmwasm_builtins::Plugin, Vec<u8>) {
        let p = helmwasm_builtins::PLUGINS
            .iter()
            .find(|p| p.name == "labels")
            .unwrap();
        let code = Engine::new(&engine::config(1))
            .unwrap()
            .precompile_component(p.bytes)
            .unwrap();
        (p, code)
    }

    /// Precompiled code loads without compiling: that code is what lands in the cache, byte
    /// for byte, and a second runtime maps it from there. Code wasmtime refuses (compiled for
    /// another engine configuration, or not code at all) falls back to compiling the
    /// component, which then lands in the cache.
    #[test]
    fn precompiled_code_loads_without_compiling_and_foreign_code_falls_back() {
        let dir = tempfile::tempdir().unwrap();
        let rt = Runtime::with_manual_epoch(Some(dir.path().to_path_buf())).unwrap();
        let (b, code) = labels();
        let code = &code[..];
        let name = |rt: &Runtime, p: &Plugin| rt.metadata(p, Limits::default()).0.unwrap().name;
        let p = rt.load_precompiled(code, b.bytes, b.digest).unwrap();
        assert_eq!(name(&rt, &p), "labels");
        assert_eq!(
            cwasm_contents(dir.path()),
            [code.to_vec()],
            "the code, not compiled"
        );
        let again = Runtime::with_manual_epoch(Some(dir.path().to_path_buf())).unwrap();
        let p = again.load_precompiled(code, b.bytes, b.digest).unwrap();
        assert_eq!(
            again.metadata(&p, Limits::default()).0.unwrap().name,
            "labels"
        );
        assert_eq!(cwasm_contents(dir.path()), [code.to_vec()]);
        // Without a cache, straight from the embedded code.
        let uncached = Runtime::with_manual_epoch(None).unwrap();
        let p = uncached.load_precompiled(code, b.bytes, b.digest).unwrap();
        assert_eq!(
            uncached.metadata(&p, Limits::default()).0.unwrap().name,
            "labels"
        );

        let dir = tempfile::tempdir().unwrap();
        let rt = Runtime::with_manual_epoch(Some(dir.path().to_path_buf())).unwrap();
        let mut other = engine::config(1);
        other.consume_fuel(true);
        let foreign = Engine::new(&other)
            .unwrap()
            .precompile_component(b.bytes)
            .unwrap();
        let p = rt.load_precompiled(&foreign, b.bytes, b.digest).unwrap();
        assert_eq!(name(&rt, &p), "labels");
        let cached = cwasm_contents(dir.path());
        assert_eq!(cached.len(), 1, "compiled and cached instead");
        assert!(cached[0] != foreign);
        let p = rt.load_precompiled(b"not code", b.bytes, b.digest).unwrap();
        assert_eq!(name(&rt, &p), "labels");
    }
}
