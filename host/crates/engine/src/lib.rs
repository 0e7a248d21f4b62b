//! The engine's configuration, in one place for the two that must agree on it: the runtime,
//! and the host's `build.rs`, which precompiles the built-in plugins with it when helmwasm is
//! built (a build-dependency, so this crate uses nothing but wasmtime). Code compiled
//! under one configuration loads only into an engine with the same one; wasmtime checks that,
//! and a mismatch (another CPU, say) falls back to compiling at run time.

use wasmtime::Config;

/// Wasm stack cap; deeper recursion traps as a stack overflow.
pub const MAX_WASM_STACK: usize = 1 << 20;

/// The configuration of every engine, with an instance pool of `pool_calls` calls at once.
pub fn config(pool_calls: u32) -> Config {
    let mut config = common();
    // A fresh instance per call, thousands of calls per run: instances come from a pool of
    // pre-reserved slots (reused, reset between calls, copy-on-write memory images) rather
    // than an mmap/munmap each, which also serialises threads on the kernel's mm lock.
    config.allocation_strategy(wasmtime::InstanceAllocationStrategy::Pooling(pool(
        pool_calls,
    )));
    config
}

/// [`config`] without the instance pool: memory is mapped per instance, on demand. For a
/// process whose address space is limited (`ulimit -v`, some containers and CI runners,
/// valgrind), where the pool's up-front reservation cannot be made. The code it compiles and
/// loads is the same (the pool is not part of a module's compatibility), and the per-call limits
/// are the store's, not the pool's.
pub fn config_on_demand() -> Config {
    let mut config = common();
    config.allocation_strategy(wasmtime::InstanceAllocationStrategy::OnDemand);
    config
}

fn common() -> Config {
    let mut config = Config::new();
    config.wasm_component_model(true);
    config.epoch_interruption(true);
    config.max_wasm_stack(MAX_WASM_STACK);
    config
}

/// The instance pool. Slots are virtual reservations (a wasm32 memory can never pass 4 GiB);
/// what a call may really use is its memory limit, enforced by the store's limiter.
fn pool(calls: u32) -> wasmtime::PoolingAllocationConfig {
    let mut p = wasmtime::PoolingAllocationConfig::new();
    p.total_component_instances(calls)
        .max_core_instances_per_component(16)
        .total_core_instances(calls * 16)
        .max_memories_per_component(4)
        .total_memories(calls * 2)
        .max_tables_per_component(8)
        .total_tables(calls * 8)
        .max_memory_size(4 << 30)
        // Fiber stacks serve async calls only, and every call here is synchronous. The
        // default pool of 1,000 stacks cost an `mprotect` per guard page when the engine was
        // created, and as many mappings to tear down at exit: ~4 ms of a ~16 ms warm run.
        .total_stacks(0)
        // Between calls a slot's memory is reset in place (only the pages the call touched,
        // found with Linux's PAGEMAP_SCAN where the kernel has it, 6.7 and later) instead of
        // being handed back to the kernel with `madvise`: the next call of the same plugin
        // takes no page faults, and threads stop serialising on the address space's lock and
        // TLB shootdowns. Up to 4 MiB per memory stay resident (a slot's bytes past that are
        // still returned), so what a run keeps is bounded by the pool.
        .linear_memory_keep_resident(4 << 20)
        // Tables likewise, up to 1 MiB.
        .table_keep_resident(1 << 20)
        .pagemap_scan(wasmtime::Enabled::Auto);
    p
}
