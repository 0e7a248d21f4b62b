//! Write to the host log. Lines are tagged by the host with plugin, release and step, and
//! size-capped. Outside WebAssembly (native unit tests) they go to stderr.

#[cfg(target_arch = "wasm32")]
use crate::bindings::helmwasm::plugin::host::{LogLevel, log};

#[cfg(target_arch = "wasm32")]
fn write(level: LogLevel, message: &str) {
    log(level, message);
}

#[cfg(not(target_arch = "wasm32"))]
#[derive(Debug)]
enum LogLevel {
    Debug,
    Info,
    Warn,
    Error,
}

#[cfg(not(target_arch = "wasm32"))]
fn write(level: LogLevel, message: &str) {
    eprintln!("{level:?}: {message}");
}

pub fn debug(message: &str) {
    write(LogLevel::Debug, message);
}

pub fn info(message: &str) {
    write(LogLevel::Info, message);
}

pub fn warn(message: &str) {
    write(LogLevel::Warn, message);
}

pub fn error(message: &str) {
    write(LogLevel::Error, message);
}
