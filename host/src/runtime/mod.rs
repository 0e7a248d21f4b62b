//! The WebAssembly runtime: one [`Engine`] per process, compiled components cached on disk,
//! and every plugin call in a fresh, sandboxed [`Store`] with memory and time caps.
//!
//! This module knows nothing of pipelines: it compiles bytes into a [`Plugin`], calls
//! `metadata` and `run`, and turns traps into a [`CallError`] that says which limit was hit.
//! The caller adds the plugin, release and step to the error.

mod bindings {
    wasmtime::component::bindgen!({
        path: "../wit/v0.1.0",
        world: "plugin",
    });
}

pub mod cache;
pub mod sandbox;

pub use bindings::helmwasm::plugin::host::LogLevel;
pub use bindings::helmwasm::plugin::types::{
    Diagnostic, Metadata, PluginError, ReleaseContext, Request, Response, Severity,
};

use crate::units::ByteSize;
use anyhow::{Context, Result};
use cache::CompileCache;
use sandbox::{LogLine, StepState};
use std::path::PathBuf;
use std::time::{Duration, Instant};
use wasmtime::component::{HasSelf, Linker};
use wasmtime::{Config, Engine, Store, Trap};

/// How often the epoch advances; the granularity of time limits.
const TICK: Duration = Duration::from_millis(10);
/// Wasm stack cap; deeper recursion traps as a stack overflow.
const MAX_WASM_STACK: usize = 1 << 20;

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
    linker: Linker<StepState>,
    cache: Option<CompileCache>,
}

/// A compiled, linked plugin component, ready to instantiate.
pub struct Plugin {
    pre: bindings::PluginPre<StepState>,
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

impl Runtime {
    /// `cache_dir: None` disables the compile cache.
    pub fn new(cache_dir: Option<PathBuf>) -> Result<Self> {
        let mut config = Config::new();
        config.wasm_component_model(true);
        config.epoch_interruption(true);
        config.max_wasm_stack(MAX_WASM_STACK);
        let engine = Engine::new(&config)
            .map_err(anyhow::Error::from)
            .context("cannot create the wasm engine")?;
        let mut linker = Linker::new(&engine);
        wasmtime_wasi::p2::add_to_linker_sync(&mut linker).map_err(anyhow::Error::from)?;
        bindings::Plugin::add_to_linker::<StepState, HasSelf<StepState>>(&mut linker, |s| s)
            .map_err(anyhow::Error::from)?;
        start_ticker(&engine);
        let cache = cache_dir.map(|d| CompileCache::new(d, &engine));
        Ok(Runtime {
            engine,
            linker,
            cache,
        })
    }

    pub fn cache_dir(&self) -> Option<&std::path::Path> {
        self.cache.as_ref().map(|c| c.dir())
    }

    /// Compile (or load from cache) and link a plugin component.
    pub fn load(&self, bytes: &[u8]) -> Result<Plugin> {
        if !bytes.starts_with(b"\0asm") {
            anyhow::bail!("not a WebAssembly file");
        }
        // Byte 4..8 is the version/layer: 0x0d 0x00 0x01 0x00 for components, 1 for core modules.
        if bytes.get(4..8) == Some(&[1, 0, 0, 0]) {
            anyhow::bail!(
                "a core WebAssembly module, not a component: build the plugin for the \
                 `wasm32-wasip2` target so it is a component of the helmwasm:plugin@0.1.0 world"
            );
        }
        let component = match &self.cache {
            Some(cache) => cache.get_or_compile(&self.engine, bytes)?,
            None => cache::compile(&self.engine, bytes)?,
        };
        let instance_pre = self
            .linker
            .instantiate_pre(&component)
            .map_err(anyhow::Error::from)
            .context("the component imports something the host does not provide (plugins may import only `helmwasm:plugin/host@0.1.0` and WASI 0.2)")?;
        let pre = bindings::PluginPre::new(instance_pre)
            .map_err(anyhow::Error::from)
            .context("the component does not export the `helmwasm:plugin@0.1.0` world (`metadata` and `run`)")?;
        Ok(Plugin { pre })
    }

    /// Call `metadata` in a fresh instance.
    pub fn metadata(
        &self,
        plugin: &Plugin,
        limits: Limits,
    ) -> (Result<Metadata, CallError>, Captured) {
        self.call(plugin, limits, |store, p| p.call_metadata(store))
    }

    /// Call `run` in a fresh instance.
    pub fn run(
        &self,
        plugin: &Plugin,
        limits: Limits,
        request: &Request,
    ) -> (Result<Result<Response, PluginError>, CallError>, Captured) {
        self.call(plugin, limits, |store, p| p.call_run(store, request))
    }

    fn call<R>(
        &self,
        plugin: &Plugin,
        limits: Limits,
        f: impl FnOnce(&mut Store<StepState>, &bindings::Plugin) -> wasmtime::Result<R>,
    ) -> (Result<R, CallError>, Captured) {
        let mut store = Store::new(&self.engine, StepState::new(limits.memory));
        store.limiter(|s| &mut s.limiter);
        let ticks = limits.timeout.as_nanos().div_ceil(TICK.as_nanos()).max(1) as u64;
        store.set_epoch_deadline(ticks);
        store.epoch_deadline_trap();
        let started = Instant::now();
        let result = plugin
            .pre
            .instantiate(&mut store)
            .and_then(|instance| f(&mut store, &instance));
        let elapsed = started.elapsed();
        let state = store.into_data();
        let (stderr_bytes, dropped_stderr) = state.stderr.contents();
        let (stdout_bytes, dropped_stdout) = state.stdout.contents();
        let stderr = String::from_utf8_lossy(&stderr_bytes).into_owned();
        let result = result.map_err(|e| classify(e, &state, limits, &stderr));
        let captured = Captured {
            logs: state.logs,
            dropped_logs: state.dropped_logs,
            stdout: String::from_utf8_lossy(&stdout_bytes).into_owned(),
            stderr,
            dropped_stdout,
            dropped_stderr,
            elapsed,
        };
        (result, captured)
    }
}

fn classify(e: wasmtime::Error, state: &StepState, limits: Limits, stderr: &str) -> CallError {
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
        None => CallError::Trap {
            trap: format!("{e:#}"),
            stderr: tail(stderr),
        },
    }
}

/// The last 20 lines of the plugin's stderr, where a panic message lands.
fn tail(s: &str) -> String {
    let lines: Vec<&str> = s.lines().filter(|l| !l.trim().is_empty()).collect();
    lines[lines.len().saturating_sub(20)..].join("\n")
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
