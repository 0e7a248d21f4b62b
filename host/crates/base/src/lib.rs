//! The leaves of helmwasm: helpers with no knowledge of plugins or pipelines, used by the
//! runtime crate and by the host (which re-exports each module under its own name, so
//! `crate::term` there is [`term`] here).
//!
//! [`term`] safe terminal text; [`units`] byte sizes; [`parallel`] the worker threads and
//! their locks; [`error`] internal errors and how every error is shown; [`store`] content
//! hashes, private folders and atomic cache writes.
//!
//! Nothing here uses another helmwasm crate, and within the crate only `error` uses `term`
//! and nothing uses `error`.

pub mod error;
pub mod parallel;
pub mod store;
pub mod term;
pub mod units;
