//! Integration tests of the `director` library through the real HTTP path: wiremock
//! speaks the OpenAI chat completions API, async-openai and reqwest do the rest.

#![expect(
    clippy::unwrap_used,
    reason = "test helpers fail loudly; allow-unwrap-in-tests only covers #[test] functions"
)]

mod embed;
mod faults;
mod formats;
mod local_llm;
mod mcp;
mod panel;
mod routing;
mod safety;
mod support;
mod verify;
