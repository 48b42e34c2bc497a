//! The error type of `director-llm`: every way a provider call can fail, with the
//! number of HTTP attempts it took, and whether a later call could succeed.
//!
//! Messages never contain the API key: provider error bodies are redacted before
//! they are stored here, and request headers are never rendered.

use std::time::Duration;
use thiserror::Error;

/// Errors raised by providers, the limiter, the cache and the review loop.
#[derive(Debug, Error)]
pub enum LlmError {
    /// The provider answered with an error status that is not retried, or retries ran out.
    #[error("provider answered http {status} after {attempts} attempt(s): {message}")]
    Http {
        /// HTTP status code of the last response.
        status: u16,
        /// The provider's own message (error body text, truncated and redacted).
        message: String,
        /// HTTP requests made for this call, retries included.
        attempts: u32,
    },
    /// Every attempt ran into the per-attempt timeout.
    #[error("provider did not answer within {timeout:?} (per attempt, {attempts} attempt(s))")]
    Timeout {
        /// The per-attempt timeout.
        timeout: Duration,
        /// HTTP requests made for this call.
        attempts: u32,
    },
    /// A streamed answer went silent for longer than the stall timeout.
    #[error(
        "the provider's streamed answer went silent for {silence:?} ({attempts} attempt(s)); hint: raise [provider] stall_timeout_secs for a slow server"
    )]
    Stalled {
        /// The stall timeout that ran out.
        silence: Duration,
        /// HTTP requests made for this call.
        attempts: u32,
    },
    /// The response body was larger than the cap; reading stopped there.
    #[error(
        "the provider's response is larger than {limit} bytes; reading stopped there (attempt {attempts})"
    )]
    ResponseTooLarge {
        /// The cap in bytes.
        limit: usize,
        /// HTTP requests made for this call.
        attempts: u32,
    },
    /// The connection failed (refused, reset, TLS, DNS) on every attempt.
    #[error("could not reach the provider after {attempts} attempt(s): {message}")]
    Connection {
        /// What the transport said about the last attempt.
        message: String,
        /// HTTP requests made for this call.
        attempts: u32,
    },
    /// A successful (2xx) response whose body is not a chat completion.
    #[error("provider response is not a chat completion: {message}")]
    Deserialize {
        /// What the JSON parser said, with the start of the body.
        message: String,
        /// HTTP requests made for this call.
        attempts: u32,
    },
    /// The circuit breaker is open after repeated provider failures; no request was made.
    #[error(
        "circuit breaker open after {failures} consecutive provider failures; no request made (retrying in {retry_in:?})"
    )]
    CircuitOpen {
        /// Consecutive failures that opened the circuit.
        failures: u32,
        /// Time until the circuit lets a trial call through.
        retry_in: Duration,
    },
    /// The call was cancelled before it finished.
    #[error("provider call cancelled")]
    Cancelled,
    /// The provider configuration cannot be used.
    #[error("invalid provider configuration: {reason}")]
    Config {
        /// What is wrong, naming the setting, with a hint.
        reason: String,
    },
    /// The verdict cache could not be read or written.
    #[error("verdict cache error at {path}")]
    Cache {
        /// The file or directory involved.
        path: String,
        /// The underlying I/O or JSON error.
        #[source]
        source: std::io::Error,
    },
}

impl LlmError {
    /// True when the failure is transient: a later call could succeed.
    ///
    /// 429, 408 and 5xx statuses, timeouts and connection failures are; client
    /// errors (400, 401, 403, 404, 422), bad bodies, configuration and an open
    /// circuit are not.
    pub fn is_retryable(&self) -> bool {
        match self {
            LlmError::Http { status, .. } => is_retryable_status(*status),
            LlmError::Timeout { .. } | LlmError::Stalled { .. } | LlmError::Connection { .. } => {
                true
            }
            LlmError::Deserialize { .. }
            | LlmError::ResponseTooLarge { .. }
            | LlmError::CircuitOpen { .. }
            | LlmError::Cancelled
            | LlmError::Config { .. }
            | LlmError::Cache { .. } => false,
        }
    }

    /// HTTP requests made before this error was raised.
    pub fn attempts(&self) -> u32 {
        match self {
            LlmError::Http { attempts, .. }
            | LlmError::Timeout { attempts, .. }
            | LlmError::Stalled { attempts, .. }
            | LlmError::ResponseTooLarge { attempts, .. }
            | LlmError::Connection { attempts, .. }
            | LlmError::Deserialize { attempts, .. } => *attempts,
            LlmError::CircuitOpen { .. }
            | LlmError::Cancelled
            | LlmError::Config { .. }
            | LlmError::Cache { .. } => 0,
        }
    }

    /// True when this failure says something about the provider's health and so
    /// counts towards opening the circuit breaker. Request-specific rejections
    /// (400, 413, 422) and local conditions do not.
    pub fn counts_against_provider(&self) -> bool {
        match self {
            LlmError::Http { status, .. } => !matches!(status, 400 | 413 | 422),
            LlmError::Timeout { .. }
            | LlmError::Stalled { .. }
            | LlmError::ResponseTooLarge { .. }
            | LlmError::Connection { .. }
            | LlmError::Deserialize { .. } => true,
            LlmError::CircuitOpen { .. }
            | LlmError::Cancelled
            | LlmError::Config { .. }
            | LlmError::Cache { .. } => false,
        }
    }
}

/// Statuses the retry policy retries whatever their body: 408, 429 and every 5xx.
fn is_retryable_status(status: u16) -> bool {
    status == 408 || status == 429 || (500..=599).contains(&status)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classification() {
        let http = |status| LlmError::Http {
            status,
            message: String::new(),
            attempts: 1,
        };
        for s in [429, 500, 502, 503, 504, 408] {
            assert!(http(s).is_retryable(), "{s}");
        }
        for s in [400, 401, 403, 404, 422] {
            assert!(!http(s).is_retryable(), "{s}");
        }
        assert!(!http(400).counts_against_provider());
        assert!(http(401).counts_against_provider());
        assert!(!LlmError::Cancelled.counts_against_provider());
        assert_eq!(http(500).attempts(), 1);
        let msg = http(401).to_string();
        assert!(
            msg.starts_with("provider answered http 401 after 1 attempt(s)"),
            "{msg}"
        );
    }
}
