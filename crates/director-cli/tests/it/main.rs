//! End-to-end tests of the `director` binary: assert_cmd runs the real executable,
//! wiremock stands in for the OpenAI-compatible provider, insta snapshots are
//! filtered for paths and timings.

#![expect(
    clippy::unwrap_used,
    reason = "test helpers fail loudly; allow-unwrap-in-tests only covers #[test] functions"
)]

mod commands;
mod doctor;
mod errors;
mod eval;
mod evidence;
mod examples;
mod fleet;
mod git;
mod hooks;
mod integrations;
mod mcp;
mod mcp_client;
mod nesting;
mod scenarios;
mod support;
mod terraform;
mod trust;
mod verify;
