//! What a plugin instance may touch: a closed WASI context and hard limits.
//!
//! The context grants nothing: no preopened directories, no environment variables, no
//! arguments, no sockets or name lookups, an empty stdin. Stdout and stderr are captured in
//! bounded in-memory pipes (shown in the host log and in error messages). Clocks are frozen
//! and randomness is a fixed sequence, so a plugin cannot make two renders differ. Memory is
//! capped by [`Limiter`]; time is capped by epoch interruption (see [`super::Runtime`]).

use super::bindings::helmwasm::plugin::host::{Host, LogLevel};
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;
use wasmtime::ResourceLimiter;
use wasmtime::component::ResourceTable;
use wasmtime_wasi::{WasiCtx, WasiCtxBuilder, WasiCtxView, WasiView};

/// Bytes kept of a plugin's stdout and of its stderr per call.
pub const STDIO_CAPTURE: usize = 64 << 10;
/// `log` lines kept per call; later ones are counted and dropped.
pub const MAX_LOG_LINES: usize = 1_000;
/// Bytes kept of one `log` message.
pub const MAX_LOG_LINE: usize = 4 << 10;

/// One `log` call of a plugin.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogLine {
    pub level: LogLevel,
    pub message: String,
}

/// The store data of one plugin call.
pub struct StepState {
    wasi: WasiCtx,
    table: ResourceTable,
    pub limiter: Limiter,
    pub logs: Vec<LogLine>,
    pub dropped_logs: usize,
    pub stdout: CappedPipe,
    pub stderr: CappedPipe,
}

impl StepState {
    pub fn new(memory_cap: u64) -> Self {
        let stdout = CappedPipe::new(STDIO_CAPTURE);
        let stderr = CappedPipe::new(STDIO_CAPTURE);
        let mut b = WasiCtxBuilder::new();
        b.stdout(stdout.clone())
            .stderr(stderr.clone())
            .allow_tcp(false)
            .allow_udp(false)
            .allow_ip_name_lookup(false)
            .wall_clock(FrozenClock)
            .monotonic_clock(FrozenClock)
            .secure_random(wasmtime_wasi::Deterministic::new(fixed_bytes()))
            .insecure_random(wasmtime_wasi::Deterministic::new(fixed_bytes()))
            .insecure_random_seed(0x68656c6d7761736d)
            .max_random_size(1 << 20);
        StepState {
            wasi: b.build(),
            table: ResourceTable::new(),
            limiter: Limiter::new(memory_cap),
            logs: Vec::new(),
            dropped_logs: 0,
            stdout,
            stderr,
        }
    }
}

impl WasiView for StepState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

impl Host for StepState {
    fn log(&mut self, level: LogLevel, mut message: String) {
        if self.logs.len() >= MAX_LOG_LINES {
            self.dropped_logs += 1;
            return;
        }
        if message.len() > MAX_LOG_LINE {
            let mut cut = MAX_LOG_LINE;
            while !message.is_char_boundary(cut) {
                cut -= 1;
            }
            message.truncate(cut);
            message.push_str(" …(truncated)");
        }
        self.logs.push(LogLine { level, message });
    }
}

/// Caps the linear memory of one call and remembers whether the cap was hit.
pub struct Limiter {
    cap: u64,
    used: u64,
    /// The size a memory tried to grow to past the cap.
    pub exceeded: Option<u64>,
}

impl Limiter {
    fn new(cap: u64) -> Self {
        Limiter {
            cap,
            used: 0,
            exceeded: None,
        }
    }
}

impl ResourceLimiter for Limiter {
    fn memory_growing(
        &mut self,
        current: usize,
        desired: usize,
        _max: Option<usize>,
    ) -> wasmtime::Result<bool> {
        let total = self.used - current as u64 + desired as u64;
        if total > self.cap {
            self.exceeded = Some(total);
            wasmtime::bail!("memory limit exceeded");
        }
        self.used = total;
        Ok(true)
    }

    fn table_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _max: Option<usize>,
    ) -> wasmtime::Result<bool> {
        Ok(desired <= 100_000)
    }

    fn instances(&self) -> usize {
        64
    }

    fn tables(&self) -> usize {
        64
    }

    fn memories(&self) -> usize {
        16
    }
}

/// Wall and monotonic clock stuck at zero (1970-01-01T00:00:00Z).
struct FrozenClock;

impl wasmtime_wasi::HostWallClock for FrozenClock {
    fn resolution(&self) -> Duration {
        Duration::from_secs(1)
    }
    fn now(&self) -> Duration {
        Duration::ZERO
    }
}

impl wasmtime_wasi::HostMonotonicClock for FrozenClock {
    fn resolution(&self) -> u64 {
        1_000_000_000
    }
    fn now(&self) -> u64 {
        0
    }
}

/// A fixed, non-repeating-looking byte sequence for the plugin's RNGs (xorshift from a
/// constant seed): deterministic renders, not security.
fn fixed_bytes() -> Vec<u8> {
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    (0..4096)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect()
}

impl super::bindings::helmwasm::plugin::types::Host for StepState {}

/// A plugin's stdout or stderr: keeps the first `cap` bytes, counts and drops the rest, and
/// never fails a write (so a flood is truncated, not turned into a crash).
#[derive(Clone)]
pub struct CappedPipe {
    cap: usize,
    inner: Arc<Mutex<Captured>>,
}

#[derive(Default)]
struct Captured {
    kept: Vec<u8>,
    dropped: u64,
}

impl CappedPipe {
    pub fn new(cap: usize) -> Self {
        CappedPipe {
            cap,
            inner: Arc::default(),
        }
    }

    fn take(&self, bytes: &[u8]) {
        let mut c = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        let room = self.cap.saturating_sub(c.kept.len()).min(bytes.len());
        c.kept.extend_from_slice(&bytes[..room]);
        c.dropped += (bytes.len() - room) as u64;
    }

    /// What was kept, and how many bytes were dropped.
    pub fn contents(&self) -> (Vec<u8>, u64) {
        let c = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        (c.kept.clone(), c.dropped)
    }
}

impl wasmtime_wasi::p2::OutputStream for CappedPipe {
    fn write(&mut self, bytes: bytes::Bytes) -> wasmtime_wasi::p2::StreamResult<()> {
        self.take(&bytes);
        Ok(())
    }

    fn flush(&mut self) -> wasmtime_wasi::p2::StreamResult<()> {
        Ok(())
    }

    fn check_write(&mut self) -> wasmtime_wasi::p2::StreamResult<usize> {
        Ok(64 << 10)
    }
}

#[async_trait::async_trait]
impl wasmtime_wasi::p2::Pollable for CappedPipe {
    async fn ready(&mut self) {}
}

impl tokio::io::AsyncWrite for CappedPipe {
    fn poll_write(
        self: Pin<&mut Self>,
        _: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        self.take(buf);
        Poll::Ready(Ok(buf.len()))
    }

    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

impl wasmtime_wasi::cli::IsTerminal for CappedPipe {
    fn is_terminal(&self) -> bool {
        false
    }
}

impl wasmtime_wasi::cli::StdoutStream for CappedPipe {
    fn p2_stream(&self) -> Box<dyn wasmtime_wasi::p2::OutputStream> {
        Box::new(self.clone())
    }

    fn async_stream(&self) -> Box<dyn tokio::io::AsyncWrite + Send + Sync> {
        Box::new(self.clone())
    }
}
