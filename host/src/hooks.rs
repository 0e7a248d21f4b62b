//! The test-only hooks, declared in one place and kept out of `--help`: environment variables
//! the tests set to reach code no input can (a panic in the host, a memory figure). Every
//! user-facing `HELMWASM_*` variable is a clap `env` of its option instead ([`crate::cli`]),
//! so `--help` lists it.

/// `HELMWASM_DEBUG_PANIC_WITH=MESSAGE`: the host panics with MESSAGE after the secrets stage,
/// to prove a panic's message is redacted.
pub const DEBUG_PANIC_WITH: &str = "HELMWASM_DEBUG_PANIC_WITH";

/// `HELMWASM_REPORT_PEAK_RSS=1`: print the process's peak resident memory on stderr, for the
/// memory-bound tests and for measuring.
pub const REPORT_PEAK_RSS: &str = "HELMWASM_REPORT_PEAK_RSS";

/// The message to panic with, when the hook is set.
pub fn debug_panic_with() -> Option<String> {
    std::env::var_os(DEBUG_PANIC_WITH).map(|m| m.to_string_lossy().into_owned())
}

/// Whether to print the peak resident memory.
pub fn report_peak_rss() -> bool {
    std::env::var_os(REPORT_PEAK_RSS).is_some()
}
