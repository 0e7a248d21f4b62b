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

/// `HELMWASM_TEST_OMIT_FROM_RENDER_KEY=FIELD`: the render cache leaves FIELD (`chart`,
/// `values`, `release`, `namespace`, `helm`, `kube_version`, `api_versions`, `flags`) out of
/// its key, so the mutation tests can show they fail when an input is missing from the key.
pub const OMIT_FROM_RENDER_KEY: &str = "HELMWASM_TEST_OMIT_FROM_RENDER_KEY";

/// The field to leave out of the render key, when the hook is set.
pub fn omit_from_render_key() -> Option<String> {
    std::env::var_os(OMIT_FROM_RENDER_KEY).map(|m| m.to_string_lossy().into_owned())
}

/// The message to panic with, when the hook is set.
pub fn debug_panic_with() -> Option<String> {
    std::env::var_os(DEBUG_PANIC_WITH).map(|m| m.to_string_lossy().into_owned())
}

/// Whether to print the peak resident memory.
pub fn report_peak_rss() -> bool {
    std::env::var_os(REPORT_PEAK_RSS).is_some()
}
