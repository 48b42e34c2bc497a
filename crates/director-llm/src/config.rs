//! Provider configuration: endpoint, key, model, structured-output capability,
//! per-attempt timeout, the retry policy and the rate limits. The orchestrator
//! resolves these from its config layers; this crate only consumes them.

use crate::model::StructuredOutput;
use std::fmt;
use std::time::Duration;

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
    /// How this server can be asked for structured output.
    pub structured_output: StructuredOutput,
    /// Timeout of one HTTP attempt, body included.
    pub request_timeout: Duration,
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
            structured_output: StructuredOutput::JsonSchema,
            request_timeout: Duration::from_secs(120),
            retry: RetryPolicy::default(),
            limits: RateLimits::default(),
            azure: None,
            extra_headers: Vec::new(),
            token_limit_field: TokenLimitField::Auto,
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
