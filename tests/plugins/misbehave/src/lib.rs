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
                "mode": {"enum": ["ok", "loop", "alloc", "trap", "panic", "recurse", "log", "error-diagnostic", "bad-manifest", "plugin-error", "leak",
                                  "read-file", "write-file", "read-env", "tcp", "dns", "clock-random",
                                  "flood-stdout", "flood-stderr", "big-output", "log-flood", "slow-success",
                                  "sleep", "sleep-loop", "secure-random", "exit", "big-logs", "many-diagnostics", "huge-error", "many-keys",
                                  "control-chars", "many-manifests", "sleep-for", "remember", "needs-token"]},
                "secret": {"type": "string"},
                "port": {"type": "integer"},
                "iterations": {"type": "integer", "minimum": 0}
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
            "read-file" => match std::fs::read_to_string("/etc/passwd") {
                Ok(text) => leaked(req.values, "read /etc/passwd", text),
                Err(e) => Err(PluginError::Internal(format!(
                    "cannot read /etc/passwd: {e}"
                ))),
            },
            "write-file" => match std::fs::write("/tmp/helmwasm-escape", "escaped") {
                Ok(()) => leaked(req.values, "wrote /tmp/helmwasm-escape", String::new()),
                Err(e) => Err(PluginError::Internal(format!(
                    "cannot write /tmp/helmwasm-escape: {e}"
                ))),
            },
            "read-env" => {
                let vars: Vec<String> = std::env::vars().map(|(k, _)| k).collect();
                match std::env::var("HOME") {
                    Ok(home) => leaked(req.values, "read $HOME", home),
                    Err(_) if vars.is_empty() => Err(PluginError::Internal(
                        "no environment: $HOME is not set and there are no variables".into(),
                    )),
                    Err(_) => leaked(req.values, "saw variables", vars.join(",")),
                }
            }
            "tcp" => {
                let port = req.config["port"].as_u64().unwrap_or(80);
                match std::net::TcpStream::connect(("127.0.0.1", port as u16)) {
                    Ok(_) => leaked(req.values, "connected to 127.0.0.1", port.to_string()),
                    Err(e) => Err(PluginError::Internal(format!(
                        "cannot connect to 127.0.0.1:{port}: {e}"
                    ))),
                }
            }
            "dns" => {
                use std::net::ToSocketAddrs;
                match ("localhost", 80).to_socket_addrs() {
                    Ok(addrs) => leaked(
                        req.values,
                        "resolved localhost",
                        format!("{:?}", addrs.collect::<Vec<_>>()),
                    ),
                    Err(e) => Err(PluginError::Internal(format!(
                        "cannot resolve localhost: {e}"
                    ))),
                }
            }
            "clock-random" => {
                use std::hash::{BuildHasher, Hasher};
                let now = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map(|d| d.as_nanos())
                    .unwrap_or(0);
                let mut h = std::collections::hash_map::RandomState::new().build_hasher();
                h.write_u64(42);
                let mut out = Response::new(req.values);
                helmwasm_plugin_sdk::values::set(
                    &mut out.values,
                    "observed.wallClockNanos",
                    json!(now.to_string()),
                )?;
                helmwasm_plugin_sdk::values::set(
                    &mut out.values,
                    "observed.randomHash",
                    json!(h.finish().to_string()),
                )?;
                Ok(out)
            }
            "flood-stdout" | "flood-stderr" => {
                use std::io::Write;
                let chunk = vec![b'x'; 1 << 20];
                for _ in 0..100 {
                    if mode == "flood-stdout" {
                        std::io::stdout()
                            .write_all(&chunk)
                            .map_err(|e| PluginError::Internal(e.to_string()))?;
                    } else {
                        std::io::stderr()
                            .write_all(&chunk)
                            .map_err(|e| PluginError::Internal(e.to_string()))?;
                    }
                }
                Ok(Response::new(req.values))
            }
            "big-output" => {
                let mut out = Response::new(req.values);
                helmwasm_plugin_sdk::values::set(
                    &mut out.values,
                    "big",
                    json!("x".repeat(100 << 20)),
                )?;
                Ok(out)
            }
            "log-flood" => {
                for i in 0..1_000_000u32 {
                    log::debug(&format!("line {i}"));
                }
                Ok(Response::new(req.values))
            }
            "slow-success" => {
                let n = req.config["iterations"].as_u64().unwrap_or(100_000_000);
                let mut x: u64 = 1;
                for i in 0..n {
                    x = std::hint::black_box(x.wrapping_mul(6364136223846793005).wrapping_add(i));
                }
                let mut out = Response::new(req.values);
                helmwasm_plugin_sdk::values::set(&mut out.values, "slow.done", json!(x % 2 < 2))?;
                Ok(out)
            }
            "sleep" => {
                std::thread::sleep(std::time::Duration::from_secs(3600));
                Ok(Response::new(req.values))
            }
            "sleep-for" => {
                let ms = req.config["iterations"].as_u64().unwrap_or(0);
                std::thread::sleep(std::time::Duration::from_millis(ms));
                Ok(Response::new(req.values))
            }
            "sleep-loop" => loop {
                std::thread::sleep(std::time::Duration::from_millis(10));
            },
            "secure-random" => {
                let mut bytes = [0u8; 32];
                getrandom::fill(&mut bytes).map_err(|e| PluginError::Internal(e.to_string()))?;
                let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
                let mut out = Response::new(req.values);
                helmwasm_plugin_sdk::values::set(
                    &mut out.values,
                    "observed.secureRandom",
                    json!(hex),
                )?;
                Ok(out)
            }
            "exit" => std::process::exit(3),
            "big-logs" => {
                let line = "y".repeat(1 << 20);
                for _ in 0..100_000u32 {
                    log::info(&line);
                }
                Ok(Response::new(req.values))
            }
            "many-diagnostics" => {
                let mut out = Response::new(req.values);
                for i in 0..200_000u32 {
                    out.warning(format!("warning number {i}"), Some("a.b"));
                }
                Ok(out)
            }
            "huge-error" => Err(PluginError::Internal("z".repeat(50 << 20))),
            "control-chars" => {
                let evil =
                    "bell\x07 esc\x1b[31mred\x1b[0m cr\rover\nerror: release `airflow` failed";
                log::warn(evil);
                eprintln!("{evil}");
                let mut out = Response::new(req.values);
                out.warning(evil, Some(evil));
                // Text that reads otherwise than it is: a right-to-left override, a zero-width
                // space, a bidirectional isolate.
                out.values["trojan"] =
                    json!("admin\u{202e}exe.txt \u{200b}x \u{2067}y\u{2069} \u{202e}");
                if req.config["iterations"].as_u64() == Some(1) {
                    return Err(PluginError::InvalidValues(evil.to_owned()));
                }
                Ok(out)
            }
            "many-keys" => {
                // One map of `iterations` keys in the values (small text, many entries).
                let mut out = Response::new(req.values);
                let n = req.config["iterations"].as_u64().unwrap_or(1_200_000);
                let map: helmwasm_plugin_sdk::serde_json::Map<String, helmwasm_plugin_sdk::Value> =
                    (0..n).map(|i| (format!("k{i}"), json!(1))).collect();
                out.values["many"] = helmwasm_plugin_sdk::Value::Object(map);
                Ok(out)
            }
            "many-manifests" => {
                // About 15 MiB of small ConfigMaps.
                let mut out = Response::new(req.values);
                let n = req.config["iterations"].as_u64().unwrap_or(150_000);
                for i in 0..n {
                    out.emit(json!({"apiVersion": "v1", "kind": "ConfigMap",
                        "metadata": {"name": format!("cm-{}-{i}", req.config["secret"].as_str().unwrap_or("x"))},
                        "data": {"k": "v".repeat(req.config["port"].as_u64().unwrap_or(1) as usize)}}));
                }
                Ok(out)
            }
            // A secret no placeholder shape fits: it must start with `tok-`. The message
            // varies with the value (its length).
            "needs-token" => match req.config["secret"].as_str() {
                Some(s) if s.starts_with("tok-") => Ok(Response::new(req.values)),
                s => Err(PluginError::InvalidConfig(format!(
                    "`secret` must be a token (`tok-…`), not {} characters of something else",
                    s.unwrap_or_default().len()
                ))),
            },
            "remember" => {
                // Whether an earlier call's data is still in this instance's memory: the whole
                // linear memory is searched for the mark a call leaves (the secret with every
                // byte XOR 0x5a, compared on the fly so the search never finds its own needle),
                // then the mark is left in a static and on the heap for the next call to find.
                let secret = req.config["secret"]
                    .as_str()
                    .unwrap_or("marker")
                    .as_bytes()
                    .to_vec();
                let found = remembered(&secret);
                let mark: Vec<u8> = secret.iter().map(|b| b ^ 0x5a).collect();
                #[allow(static_mut_refs)]
                unsafe {
                    MARK[..mark.len().min(64)].copy_from_slice(&mark[..mark.len().min(64)]);
                    std::hint::black_box(&MARK);
                }
                std::hint::black_box(Box::leak(mark.into_boxed_slice()));
                // The search's own check: the mark just left must be found.
                let sees_own = remembered(&secret);
                let mut out = Response::new(req.values);
                helmwasm_plugin_sdk::values::set(
                    &mut out.values,
                    "remember.sawOwnMark",
                    json!(sees_own),
                )?;
                if found {
                    helmwasm_plugin_sdk::values::set(
                        &mut out.values,
                        "remember.leaked",
                        json!(true),
                    )?;
                }
                Ok(out)
            }
            _ => Ok(Response::new(req.values)),
        }
    }
}

/// Where `remember` leaves its mark in the data segment.
static mut MARK: [u8; 64] = [0; 64];

/// Whether linear memory holds `secret` XOR 0x5a anywhere.
#[cfg(target_arch = "wasm32")]
fn remembered(secret: &[u8]) -> bool {
    let size = core::arch::wasm32::memory_size(0) * 65536;
    let base = core::ptr::null::<u8>();
    // From address 1: reading through a null pointer is undefined behaviour even where the
    // address is valid memory, and Rust never places data at 0.
    (1..size.saturating_sub(secret.len())).any(|at| {
        secret.iter().enumerate().all(|(k, b)| {
            // SAFETY: every address below `memory_size` is readable linear memory.
            unsafe { core::ptr::read_volatile(base.wrapping_add(at + k)) == b ^ 0x5a }
        })
    })
}

#[cfg(not(target_arch = "wasm32"))]
fn remembered(_: &[u8]) -> bool {
    false
}

/// What a sandbox escape would return: the test fails on it.
fn leaked(
    values: helmwasm_plugin_sdk::Value,
    what: &str,
    detail: String,
) -> Result<Response, PluginError> {
    let mut out = Response::new(values);
    helmwasm_plugin_sdk::values::set(
        &mut out.values,
        "escaped",
        json!({"what": what, "detail": detail}),
    )?;
    Ok(out)
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
