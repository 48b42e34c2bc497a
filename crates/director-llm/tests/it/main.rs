//! Integration tests of director-llm: the real HTTP path (async-openai over our
//! retry service) against wiremock speaking the OpenAI chat-completions API, driven
//! through `OpenAiProvider` and `review`, never a bypass.

#![expect(
    clippy::unwrap_used,
    reason = "test helpers fail loudly on broken fixtures"
)]

mod discovery;
mod faults;
mod hardening;
mod llama_server;
mod provider;
mod streaming;
mod support;
