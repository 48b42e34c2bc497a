//! The LLM side of `director`: the provider-neutral [`ChatModel`] contract, the
//! OpenAI-compatible [`OpenAiProvider`] (OpenAI, Azure OpenAI, vLLM, llama.cpp,
//! Ollama) on async-openai with one retry policy of our own and streamed answers
//! timed by progress, [`discovery`] of the model's context window, slots and
//! structured-output modes, the shared [`Limiter`] (concurrency cap, rate buckets,
//! circuit breaker), the [`AnswerBound`] that keeps grammar-constrained answers
//! finite, the Director [`review()`] loop that turns a conversation into a validated
//! verdict or an explicit failure, and the [`PriceTable`] for cost. (The
//! verdict cache lives in the `director` crate, beside the other storage.)
//!
//! Architecture Invariant: nothing here decides the gate. A review ends in a
//! schema-valid verdict or a [`ReviewFailure`]; what a failure means for the
//! decision is the orchestrator's call. API keys never appear in errors, logs or
//! `Debug` output.

#![warn(missing_docs)]

pub mod bound;
pub mod config;
pub mod cost;
pub mod discovery;
pub mod error;
pub mod limiter;
pub mod model;
pub mod openai;
pub mod review;
mod stream;
mod transport;

pub use bound::AnswerBound;
pub use config::{
    AzureConfig, DEFAULT_BASE_URL, DiscoveryConfig, ProviderConfig, RateLimits, RetryPolicy,
    TokenLimitField,
};
pub use cost::{Price, PriceTable};
pub use discovery::{ModelProfile, ServerFacts, ServerKind};
pub use error::LlmError;
pub use limiter::{CallGuard, Limiter};
pub use model::{
    Attempt, ChatMessage, ChatModel, ChatRequest, ChatResponse, FinishReason, ProviderInfo,
    ResponseMode, StructuredOutput, ToolCall, ToolSpec,
};
pub use openai::OpenAiProvider;
pub use review::{
    FailureKind, ReviewFailure, ReviewOutcome, ReviewRequest, ToolExecutor, ToolFailure,
    panic_message, review,
};
