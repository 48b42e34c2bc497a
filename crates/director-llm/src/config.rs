//! Provider configuration: endpoint, key, model, structured-output capability,
//! per-attempt timeouts (streaming or not), the response-size cap, the retry policy,
//! the rate limits and what discovery may learn or is told. The orchestrator
//! resolves these from its config layers; this crate only consumes them.

use crate::model::StructuredOutput;
use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

/// Default cap on the bytes of one provider response (a streamed one included).
pub const DEFAULT_MAX_RESPONSE_BYTES: usize = 16 * 1024 * 1024;

/// The OpenAI API base URL, used when none is configured.
pub const DEFAULT_BASE_URL: &str = "https://api.openai.com/v1";

/// Everything needed to talk to one OpenAI-compatible endpoint.
#[derive(Clone)]
pub struct ProviderConfig {
    /// Base URL up to and including `/v1` (for Azure: the resource URL, e.g.
    /// `https://my.openai.azure.com`).
    pub base_url: String,
    /// API key; `None` for servers that need none (llama.cpp, Ollama, vLLM).
    pub api_key: Option<String>,
    /// Default model for requests that name none.
    pub model: String,
    /// How this server can be asked for structured output; `None` lets discovery
    /// decide (`auto`), which falls back to `json_schema`.
    pub structured_output: Option<StructuredOutput>,
    /// Per attempt: with `stream`, the longest wait for the answer to start (the
    /// first streamed event, prompt processing included); without, the whole answer.
    pub request_timeout: Duration,
    /// Ask for a streamed answer (`stream: true`), so that timeouts measure progress.
    pub stream: bool,
    /// With `stream`: the longest silence between two streamed events.
    pub stall_timeout: Duration,
    /// Largest response body read, in bytes; a longer one fails as `response-too-large`.
    pub max_response_bytes: usize,
    /// Retry policy for transient failures.
    pub retry: RetryPolicy,
    /// Rate limits, concurrency cap and circuit breaker.
    pub limits: RateLimits,
    /// Azure OpenAI deployment settings; `None` for every other server.
    pub azure: Option<AzureConfig>,
    /// Extra HTTP headers sent with every request (proxies, gateways).
    pub extra_headers: Vec<(String, String)>,
    /// Which request field carries the output-token cap.
    pub token_limit_field: TokenLimitField,
    /// What discovery may learn about the server, and what it is told instead.
    pub discovery: DiscoveryConfig,
}

/// Discovery settings: the configured values win over what the server reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiscoveryConfig {
    /// Ask the server about itself (`/props`, `/v1/models`, `/api/show`).
    pub enabled: bool,
    /// The context window to assume, overriding the server's (`[provider] context_window`).
    pub context_window: Option<u32>,
    /// Requests in flight at once to this server, overriding its slot count.
    pub max_in_flight: Option<usize>,
    /// Folder of the discovery cache file; `None` keeps results in memory only.
    pub cache_dir: Option<PathBuf>,
    /// How long a cached discovery result is reused.
    pub ttl: Duration,
    /// Timeout of one discovery probe.
    pub probe_timeout: Duration,
}

impl Default for DiscoveryConfig {
    fn default() -> Self {
        DiscoveryConfig {
            enabled: true,
            context_window: None,
            max_in_flight: None,
            cache_dir: None,
            ttl: Duration::from_secs(600),
            probe_timeout: Duration::from_secs(3),
        }
    }
}

impl ProviderConfig {
    /// A configuration for `base_url` and `model` with every other setting at its default.
    pub fn new(base_url: impl Into<String>, model: impl Into<String>) -> ProviderConfig {
        ProviderConfig {
            base_url: base_url.into(),
            model: model.into(),
            ..ProviderConfig::default()
        }
    }
}

impl Default for ProviderConfig {
    fn default() -> Self {
        ProviderConfig {
            base_url: DEFAULT_BASE_URL.to_string(),
            api_key: None,
            model: "gpt-4o-mini".to_string(),
            structured_output: None,
            request_timeout: Duration::from_secs(120),
            stream: true,
            stall_timeout: Duration::from_secs(60),
            max_response_bytes: DEFAULT_MAX_RESPONSE_BYTES,
            retry: RetryPolicy::default(),
            limits: RateLimits::default(),
            azure: None,
            extra_headers: Vec::new(),
            token_limit_field: TokenLimitField::Auto,
            discovery: DiscoveryConfig::default(),
        }
    }
}

// Hand-written so the API key can never end up in a log line or an error message.
impl fmt::Debug for ProviderConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ProviderConfig")
            .field("base_url", &self.base_url)
            .field("api_key", &self.api_key.as_ref().map(|_| "[redacted]"))
            .field("model", &self.model)
            .field("structured_output", &self.structured_output)
            .field("request_timeout", &self.request_timeout)
            .field("stream", &self.stream)
            .field("stall_timeout", &self.stall_timeout)
            .field("max_response_bytes", &self.max_response_bytes)
            .field("retry", &self.retry)
            .field("limits", &self.limits)
            .field("azure", &self.azure)
            .field(
                "extra_headers",
                &self
                    .extra_headers
                    .iter()
                    .map(|(k, _)| k)
                    .collect::<Vec<_>>(),
            )
            .field("token_limit_field", &self.token_limit_field)
            .field("discovery", &self.discovery)
            .finish()
    }
}

/// Azure OpenAI deployment addressing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AzureConfig {
    /// The `api-version` query parameter, e.g. `2024-10-21`.
    pub api_version: String,
    /// The deployment name (Azure routes by deployment, not by model).
    pub deployment: String,
}

/// Which request field carries the output-token cap.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TokenLimitField {
    /// `max_completion_tokens` for OpenAI and Azure, `max_tokens` for everything else.
    #[default]
    Auto,
    /// Always `max_tokens` (llama.cpp, Ollama, older vLLM).
    MaxTokens,
    /// Always `max_completion_tokens` (OpenAI reasoning models).
    MaxCompletionTokens,
}

/// The one retry policy used for every server.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RetryPolicy {
    /// Retries after the first attempt (so `max_retries + 1` requests at most).
    pub max_retries: u32,
    /// First backoff delay.
    pub initial_backoff: Duration,
    /// Largest backoff delay.
    pub max_backoff: Duration,
    /// Largest `Retry-After` the policy waits for; a longer one fails the call at once.
    pub max_retry_after: Duration,
    /// Add random jitter (up to the delay itself) to each backoff delay.
    pub jitter: bool,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_retries: 4,
            initial_backoff: Duration::from_millis(500),
            max_backoff: Duration::from_secs(20),
            max_retry_after: Duration::from_secs(60),
            jitter: true,
        }
    }
}

/// Rate limits, concurrency cap and circuit breaker of a [`crate::Limiter`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RateLimits {
    /// Requests per minute, if limited.
    pub requests_per_minute: Option<u32>,
    /// Estimated tokens per minute, if limited.
    pub tokens_per_minute: Option<u32>,
    /// Requests in flight at once, shared by every call using the limiter.
    pub max_concurrency: usize,
    /// Consecutive failed calls that open the circuit; 0 turns the breaker off.
    pub circuit_breaker_threshold: u32,
    /// How long an open circuit fails calls fast before letting a trial through.
    pub circuit_breaker_cooldown: Duration,
}

impl Default for RateLimits {
    fn default() -> Self {
        RateLimits {
            requests_per_minute: None,
            tokens_per_minute: None,
            max_concurrency: 16,
            circuit_breaker_threshold: 5,
            circuit_breaker_cooldown: Duration::from_secs(30),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_hides_the_key() {
        let config = ProviderConfig {
            api_key: Some("sk-secret-123".into()),
            extra_headers: vec![("x-proxy-token".into(), "hidden-value".into())],
            ..ProviderConfig::default()
        };
        let shown = format!("{config:?}");
        assert!(!shown.contains("sk-secret-123"), "{shown}");
        assert!(!shown.contains("hidden-value"), "{shown}");
        assert!(shown.contains("[redacted]"));
    }
}
