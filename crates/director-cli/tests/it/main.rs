//! End-to-end tests of the `director` binary: assert_cmd runs the real executable,
//! wiremock stands in for the OpenAI-compatible provider, insta snapshots are
//! filtered for paths and timings.

#![expect(
    clippy::unwrap_used,
    reason = "test helpers fail loudly; allow-unwrap-in-tests only covers #[test] functions"
)]

mod commands;
mod errors;
mod eval;
mod examples;
mod git;
mod integrations;
mod mcp;
mod nesting;
mod support;
mod trust;
mod verify;
