//! What a plugin instance may touch: a closed WASI context and hard limits.
//!
//! The context grants nothing: no preopened directories, no environment variables, no
//! arguments, no sockets or name lookups, an empty stdin. Stdout and stderr are captured in
//! bounded in-memory pipes (shown in the host log and in error messages). The wall clock is
//! frozen; the monotonic clock is virtual ([`Sleepless`]): it starts at zero and moves only
//! when the plugin sleeps, every sleep or timer is ready at once, and sleeping past the call's
//! time limit stops the call as a timeout. A plugin blocked in a host call could not be
//! interrupted by the epoch deadline, so no host call ever blocks. Insecure
//! randomness is a fixed sequence; secure randomness ([`SeededRandom`]) is a stream derived
//! from a per-call key the caller gives (HMAC-SHA256 in counter mode), or an error when there
//! is none: the same inputs give the same render, and nobody without the pipeline's seed can
//! predict it. Memory is capped by [`Limiter`]; time is capped by epoch interruption (see
//! [`super::Runtime`]).

use crate::worlds::LogLevel;
use hmac::{KeyInit, Mac};
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;
use wasmtime::ResourceLimiter;
use wasmtime::component::ResourceTable;
use wasmtime::component::{HasData, Resource};
use wasmtime_wasi::p2::bindings::clocks::monotonic_clock;
use wasmtime_wasi::p2::bindings::random::random;
use wasmtime_wasi::p2::{DynPollable, Pollable};
use wasmtime_wasi::{WasiCtx, WasiCtxBuilder, WasiCtxView, WasiView};

/// Bytes kept of a plugin's stdout and of its stderr per call.
pub const STDIO_CAPTURE: usize = 64 << 10;
/// `log` lines kept per call; later ones are counted and dropped.
pub const MAX_LOG_LINES: usize = 1_000;
/// Bytes kept of one `log` message.
pub const MAX_LOG_LINE: usize = 4 << 10;
/// Bytes of `log` messages kept per call, all lines together.
pub const MAX_LOG_BYTES: usize = 1 << 20;

/// One `log` call of a plugin.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogLine {
    pub level: LogLevel,
    pub message: String,
}

/// Cap on the bytes of one secure-random request.
pub const MAX_RANDOM_REQUEST: u64 = 1 << 20;

/// The store data of one plugin call.
pub struct CallState {
    wasi: WasiCtx,
    table: ResourceTable,
    pub limiter: Limiter,
    pub logs: Vec<LogLine>,
    pub dropped_logs: usize,
    log_bytes: usize,
    pub stdout: CappedPipe,
    pub stderr: CappedPipe,
    pub random: SeededRandom,
    pub clock: VirtualClock,
}

impl CallState {
    /// `random_key`: the key of this call's secure-random stream, if the caller has one.
    pub fn new(memory_cap: u64, time_limit: Duration, random_key: Option<[u8; 32]>) -> Self {
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
            .insecure_random(wasmtime_wasi::Deterministic::new(fixed_bytes().to_vec()))
            .insecure_random_seed(0x68656c6d7761736d)
            .max_random_size(1 << 20);
        CallState {
            wasi: b.build(),
            table: ResourceTable::new(),
            limiter: Limiter::new(memory_cap),
            logs: Vec::new(),
            dropped_logs: 0,
            log_bytes: 0,
            stdout,
            stderr,
            random: SeededRandom::new(random_key),
            clock: VirtualClock {
                now: 0,
                limit: u64::try_from(time_limit.as_nanos()).unwrap_or(u64::MAX),
            },
        }
    }
}

impl CallState {
    /// What the virtual monotonic clock needs.
    pub fn sleepless(&mut self) -> SleeplessView<'_> {
        SleeplessView {
            table: &mut self.table,
            clock: &mut self.clock,
        }
    }
}

impl WasiView for CallState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

impl CallState {
    /// A plugin's `log` call, whatever its world version ([`super::worlds`] holds the `Host` impls).
    pub(super) fn push_log(&mut self, level: LogLevel, mut message: String) {
        if self.logs.len() >= MAX_LOG_LINES || self.log_bytes >= MAX_LOG_BYTES {
            self.dropped_logs += 1;
            return;
        }
        // A new, small allocation: truncating in place would keep the whole line's capacity
        // alive (1,000 lines of 1 MiB are 1 GiB). Escaped for the terminal once, here.
        message = crate::untrusted::line(&message, MAX_LOG_LINE);
        self.log_bytes += message.len();
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
fn fixed_bytes() -> &'static [u8] {
    static BYTES: std::sync::LazyLock<Vec<u8>> = std::sync::LazyLock::new(xorshift_bytes);
    &BYTES
}

fn xorshift_bytes() -> Vec<u8> {
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

/// `wasi:clocks/monotonic-clock` for plugins: a virtual clock that starts at zero and
/// advances only by what the plugin sleeps; every sleep or timer is ready at once, and sleeping
/// past the call's time limit traps with [`SleptPastLimit`]. (wasmtime-wasi's own
/// implementation sleeps in real time, inside a host call, where the epoch deadline cannot
/// stop it.) Deterministic: the time a plugin sees depends only on its own sleeps.
pub struct Sleepless;

impl HasData for Sleepless {
    type Data<'a> = SleeplessView<'a>;
}

pub struct SleeplessView<'a> {
    pub table: &'a mut ResourceTable,
    pub clock: &'a mut VirtualClock,
}

/// Nanoseconds slept so far in this call, and the call's time limit.
#[derive(Debug, Clone, Copy)]
pub struct VirtualClock {
    pub now: u64,
    pub limit: u64,
}

/// A plugin slept past its time limit.
#[derive(Debug, thiserror::Error)]
#[error("the plugin slept past its time limit")]
pub struct SleptPastLimit;

impl SleeplessView<'_> {
    fn sleep_until(&mut self, when: u64) -> wasmtime::Result<Resource<DynPollable>> {
        if when > self.clock.limit {
            return Err(wasmtime::Error::new(SleptPastLimit));
        }
        self.clock.now = self.clock.now.max(when);
        ready_now(self.table)
    }
}

struct Ready;

#[async_trait::async_trait]
impl Pollable for Ready {
    async fn ready(&mut self) {}
}

fn ready_now(table: &mut ResourceTable) -> wasmtime::Result<Resource<DynPollable>> {
    let r = table.push(Ready)?;
    wasmtime_wasi::p2::subscribe(table, r)
}

impl monotonic_clock::Host for SleeplessView<'_> {
    fn now(&mut self) -> wasmtime::Result<monotonic_clock::Instant> {
        Ok(self.clock.now)
    }

    fn resolution(&mut self) -> wasmtime::Result<monotonic_clock::Duration> {
        Ok(1_000_000_000)
    }

    fn subscribe_instant(
        &mut self,
        when: monotonic_clock::Instant,
    ) -> wasmtime::Result<Resource<DynPollable>> {
        self.sleep_until(when)
    }

    fn subscribe_duration(
        &mut self,
        duration: monotonic_clock::Duration,
    ) -> wasmtime::Result<Resource<DynPollable>> {
        let when = self.clock.now.saturating_add(duration);
        self.sleep_until(when)
    }
}

/// `wasi:random/random` for plugins: HMAC-SHA256(key, counter) blocks from the call's key,
/// or, without a key, a trap carrying [`NoRandomSeed`].
pub struct SeededRandom {
    key: Option<[u8; 32]>,
    counter: u64,
    buffer: Vec<u8>,
}

/// A plugin asked for secure random bytes and the pipeline gave no seed.
#[derive(Debug, thiserror::Error)]
#[error("the plugin asked for secure random bytes, and its call has no random key")]
pub struct NoRandomSeed;

impl SeededRandom {
    pub fn new(key: Option<[u8; 32]>) -> Self {
        SeededRandom {
            key,
            counter: 0,
            buffer: Vec::new(),
        }
    }

    fn bytes(&mut self, len: u64) -> wasmtime::Result<Vec<u8>> {
        let Some(key) = self.key else {
            return Err(wasmtime::Error::new(NoRandomSeed));
        };
        if len > MAX_RANDOM_REQUEST {
            wasmtime::bail!("requested {len} random bytes, past the limit of {MAX_RANDOM_REQUEST}");
        }
        let len = len as usize;
        while self.buffer.len() < len {
            let mut mac = <hmac::Hmac<sha2::Sha256> as KeyInit>::new_from_slice(&key)
                .expect("HMAC takes any key length");
            mac.update(&self.counter.to_be_bytes());
            self.counter += 1;
            self.buffer.extend_from_slice(&mac.finalize().into_bytes());
        }
        let rest = self.buffer.split_off(len);
        Ok(std::mem::replace(&mut self.buffer, rest))
    }
}

impl HasData for SeededRandom {
    type Data<'a> = &'a mut SeededRandom;
}

impl random::Host for &mut SeededRandom {
    fn get_random_bytes(&mut self, len: u64) -> wasmtime::Result<Vec<u8>> {
        self.bytes(len)
    }

    fn get_random_u64(&mut self) -> wasmtime::Result<u64> {
        let b = self.bytes(8)?;
        Ok(u64::from_le_bytes(b.try_into().expect("8 bytes")))
    }
}

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
