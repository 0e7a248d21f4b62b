//! `helmwasm preview`'s stage: render, watch the inputs, render again what a change feeds, and
//! say what changed, in the terminal and on a live page.
//!
//! What it watches is [`crate::inputs`] (which files and folders feed which releases, the
//! set `helmwasm inputs` prints). [`watch`] the
//! debounced file watcher; [`state`] each release's last good render, its steps and
//! diagnostics, and what a render changed; [`report`] the terminal's block; [`page`] the JSON
//! the page gets, redacted; [`server`] the HTTP server (token, `Host` and `Origin` checks,
//! Content-Security-Policy, server-sent events) with the page's embedded assets.
//!
//! The verb (`commands::preview`) runs the pipeline and drives these; nothing here renders.

pub mod page;
pub mod report;
pub mod server;
pub mod state;
pub mod watch;
