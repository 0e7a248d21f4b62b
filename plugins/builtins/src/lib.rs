//! The first-party plugins as WebAssembly components, built by `build.rs` for
//! `wasm32-wasip2` and embedded here; the host embeds them in its binary (and precompiles
//! them when it is built, see `host/build.rs`).

/// One built-in plugin component.
#[derive(Debug, Clone, Copy)]
pub struct Plugin {
    /// The plugin's crate name, which is also its registered name.
    pub name: &'static str,
    /// SHA-256 of `bytes`, in hex: the compile cache's key.
    pub digest: &'static str,
    /// The component.
    pub bytes: &'static [u8],
}

include!(concat!(env!("OUT_DIR"), "/builtin_plugins.rs"));
