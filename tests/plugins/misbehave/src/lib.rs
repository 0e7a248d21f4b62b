//! Test-only plugin: `with: {mode: …}` picks how it misbehaves. Used by the host's limit and
//! error tests; never shipped.

use helmwasm_plugin_sdk::{
    Metadata, Plugin, PluginError, Request, Response, export_plugin, json, log,
};

struct Misbehave;

impl Plugin for Misbehave {
    fn metadata() -> Metadata {
        Metadata::new("misbehave", "0.1.0", "Test plugin that misbehaves on demand").config_schema(json!({
            "type": "object",
            "required": ["mode"],
            "additionalProperties": false,
            "properties": {
                "mode": {"enum": ["ok", "loop", "alloc", "trap", "panic", "recurse", "log", "error-diagnostic", "bad-manifest", "plugin-error", "leak"]},
                "secret": {"type": "string"}
            }
        }))
    }

    fn run(req: Request) -> Result<Response, PluginError> {
        let mode = req.config["mode"].as_str().unwrap_or("ok").to_owned();
        match mode.as_str() {
            "loop" => {
                let mut n: u64 = 0;
                loop {
                    n = std::hint::black_box(n.wrapping_add(1));
                }
            }
            "alloc" => {
                let mut hoard: Vec<Vec<u8>> = Vec::new();
                loop {
                    hoard.push(vec![1u8; 1 << 20]);
                    std::hint::black_box(&hoard);
                }
            }
            "trap" => trap(),
            "panic" => panic!("misbehave was asked to panic"),
            "recurse" => {
                let depth = recurse(std::hint::black_box(1));
                Err(PluginError::Internal(format!(
                    "returned from recursion at {depth}"
                )))
            }
            "log" => {
                log::info("hello from misbehave");
                log::warn("this is a warning");
                println!("printed to stdout");
                Ok(Response::new(req.values))
            }
            "error-diagnostic" => {
                let mut out = Response::new(req.values);
                out.warning("something looks odd", Some("workers.replicas"));
                out.error("this cannot work", Some("executor"));
                Ok(out)
            }
            "bad-manifest" => {
                let mut out = Response::new(req.values);
                out.emit(json!({"apiVersion": "v1", "metadata": {"name": "x"}}));
                Ok(out)
            }
            "plugin-error" => Err(PluginError::InvalidValues("`executor` must be set".into())),
            "leak" => {
                // Everything a careless plugin could do with a secret in its config.
                let config = req.config.to_string();
                log::warn(&format!("my config is {config}"));
                println!("stdout: {config}");
                eprintln!("stderr: {config}");
                let mut out = Response::new(req.values);
                out.warning(format!("diagnostic with {config}"), Some("x"));
                if req
                    .config
                    .get("secret")
                    .and_then(|s| s.as_str())
                    .is_some_and(|s| s.contains("panic"))
                {
                    panic!("panicking with {config}");
                }
                Ok(out)
            }
            _ => Ok(Response::new(req.values)),
        }
    }
}

#[cfg(target_arch = "wasm32")]
fn trap() -> ! {
    core::arch::wasm32::unreachable()
}

#[cfg(not(target_arch = "wasm32"))]
fn trap() -> ! {
    std::process::abort()
}

#[allow(unconditional_recursion)]
fn recurse(n: u64) -> u64 {
    let mut buf = [n; 64];
    buf[(n % 64) as usize] = std::hint::black_box(n);
    recurse(n + 1) + buf[0]
}

export_plugin!(Misbehave);
