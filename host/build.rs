//! Precompiles the built-in plugins (from the `helmwasm-builtins` crate) with the runtime's
//! own engine configuration, and embeds both forms in the binary, so a first run on an empty
//! cache compiles none of them (a cold render costs what a warm one does).
//!
//! Only when the build runs on the machine kind it builds for (no cross-compilation):
//! Cranelift targets the build machine's CPU, as it would at run time. If the code does not
//! fit the engine that runs it (another CPU's features, say), wasmtime refuses it and the
//! runtime compiles the plugin instead, as it does for any plugin file. Set
//! `HELMWASM_NO_PRECOMPILE=1` to skip this step (the binary then compiles built-ins on first
//! use and caches them).

use helmwasm_base::parallel;
use helmwasm_engine as engine;
use std::path::PathBuf;

fn main() {
    println!("cargo:rerun-if-env-changed=HELMWASM_NO_PRECOMPILE");
    let out_dir = PathBuf::from(std::env::var("OUT_DIR").unwrap());
    let plugins = helmwasm_builtins::PLUGINS;
    let native = std::env::var("TARGET").ok() == std::env::var("HOST").ok();
    let wanted = native && std::env::var_os("HELMWASM_NO_PRECOMPILE").is_none_or(|v| v.is_empty());
    let engine = wanted
        .then(|| wasmtime::Engine::new(&engine::config(1)).expect("cannot create the wasm engine"));
    // One plugin per thread, as many threads as cores (the runtime's own `parallel::map`):
    // Cranelift also compiles a plugin's functions in parallel, and the plugins are
    // independent.
    let compiled: Vec<Option<Vec<u8>>> = match &engine {
        None => vec![None; plugins.len()],
        Some(engine) => parallel::map(plugins, parallel::default_threads(), |p| {
            Some(engine.precompile_component(p.bytes).unwrap_or_else(|e| {
                panic!("precompiling built-in plugin `{}` failed: {e:?}", p.name)
            }))
        }),
    };
    let mut code = String::from(
        "/// Every built-in plugin, with its code precompiled when helmwasm was built.\npub const PLUGINS: &[crate::registry::Builtin] = &[\n",
    );
    for (i, (p, compiled)) in plugins.iter().zip(compiled).enumerate() {
        let precompiled = match compiled {
            Some(bytes) => {
                let path = out_dir.join(format!("{}.cwasm", p.name));
                std::fs::write(&path, bytes).unwrap();
                format!("Some(include_bytes!({:?}))", path.display().to_string())
            }
            None => "None".to_owned(),
        };
        code.push_str(&format!(
            "    crate::registry::Builtin {{ plugin: helmwasm_builtins::PLUGINS[{i}], precompiled: {precompiled} }},\n",
        ));
    }
    code.push_str("];\n");
    std::fs::write(out_dir.join("builtin_plugins.rs"), code).unwrap();
}
