//! The HTTP layer under async-openai: a tower service installed with
//! `Client::with_http_service` around async-openai's `ReqwestService`, with
//! async-openai's own retry layer left out. It sees every raw status and header,
//! so it owns the one retry policy used for every OpenAI-compatible server:
//!
//! - 408, 429 and 5xx are retried whatever their body looks like (vLLM, llama.cpp
//!   and proxies do not send OpenAI-shaped errors);
//! - connection failures and per-attempt timeouts (body read included) are retried;
//! - other statuses fail at once with the provider's message;
//! - the retry loop is backon's (`Retryable`), which classifies with
//!   [`LlmError::is_retryable`]; delays come from its exponential builder (with
//!   jitter), except that a `Retry-After` (seconds or HTTP-date, or Azure's
//!   `retry-after-ms`) is honoured up to a cap; a longer one fails the call rather
//!   than waiting or hammering.
//!
//! Each attempt waits for the shared [`Limiter`]'s rate buckets (the provider
//! holds the call's concurrency slot). Failures leave the service as [`LlmError`] boxed in `OpenAIError::Boxed`,
//! which the provider unboxes. The attempt count of a call travels back to the
//! provider through a task-local [`CallContext`], because async-openai hands the
//! caller only the parsed body.

use crate::config::RetryPolicy;
use crate::error::LlmError;
use crate::limiter::Limiter;
use async_openai::error::OpenAIError;
use async_openai::middleware::{HttpRequestFactory, ReqwestService};
use backon::{ExponentialBuilder, Retryable};
use futures::future::BoxFuture;
use reqwest::header::{HeaderMap, HeaderName};
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::task::{Context, Poll};
use std::time::{Duration, SystemTime};
use tower::ServiceExt;

/// Longest provider message kept in an error.
pub(crate) const MAX_MESSAGE_CHARS: usize = 600;

tokio::task_local! {
    static CALL: Arc<CallContext>;
}

/// Per-call facts shared between the provider and the transport.
#[derive(Debug)]
pub(crate) struct CallContext {
    attempts: AtomicU32,
    estimated_tokens: u64,
}

impl CallContext {
    pub(crate) fn new(estimated_tokens: u64) -> Arc<CallContext> {
        Arc::new(CallContext {
            attempts: AtomicU32::new(0),
            estimated_tokens,
        })
    }

    pub(crate) fn attempts(&self) -> u32 {
        self.attempts.load(Ordering::Relaxed)
    }

    /// Run `future` with this context visible to the transport.
    pub(crate) async fn scope<F: Future>(self: &Arc<Self>, future: F) -> F::Output {
        CALL.scope(Arc::clone(self), future).await
    }
}

/// Replaces secrets (the API key, extra header values) in text that leaves the crate.
#[derive(Debug, Clone, Default)]
pub(crate) struct Redactor {
    secrets: Vec<String>,
}

impl Redactor {
    pub(crate) fn new(secrets: impl IntoIterator<Item = String>) -> Redactor {
        Redactor {
            // Very short values would redact ordinary words; they are not secrets worth hiding.
            secrets: secrets.into_iter().filter(|s| s.len() >= 6).collect(),
        }
    }

    pub(crate) fn apply(&self, text: &str) -> String {
        let mut out = text.to_string();
        for secret in &self.secrets {
            if out.contains(secret.as_str()) {
                out = out.replace(secret.as_str(), "[redacted]");
            }
        }
        out
    }
}

/// Settings of the transport shared by every clone of the service.
#[derive(Debug)]
pub(crate) struct TransportSettings {
    pub(crate) policy: RetryPolicy,
    pub(crate) attempt_timeout: Duration,
    pub(crate) limiter: Arc<Limiter>,
    pub(crate) extra_headers: HeaderMap,
    /// Header carrying credentials, removed when no key is configured so keyless
    /// servers get no empty `Authorization: Bearer`.
    pub(crate) strip_header: Option<HeaderName>,
    pub(crate) redactor: Redactor,
}

/// The retrying tower service (see the module docs).
#[derive(Clone)]
pub(crate) struct RetryService {
    inner: ReqwestService,
    settings: Arc<TransportSettings>,
}

impl RetryService {
    pub(crate) fn new(inner: ReqwestService, settings: TransportSettings) -> RetryService {
        RetryService {
            inner,
            settings: Arc::new(settings),
        }
    }
}

impl tower::Service<HttpRequestFactory> for RetryService {
    type Response = reqwest::Response;
    type Error = OpenAIError;
    type Future = BoxFuture<'static, Result<reqwest::Response, OpenAIError>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, factory: HttpRequestFactory) -> Self::Future {
        let this = self.clone();
        Box::pin(async move {
            this.run(factory)
                .await
                .map_err(|e| OpenAIError::Boxed(Box::new(e)))
        })
    }
}

/// One failed attempt: the error the call ends with if it is not retried, and how
/// long the provider asked us to wait before the next one.
struct Failed {
    error: LlmError,
    retry_after: Option<Duration>,
}

impl From<LlmError> for Failed {
    fn from(error: LlmError) -> Failed {
        Failed {
            error,
            retry_after: None,
        }
    }
}

impl RetryService {
    async fn run(&self, factory: HttpRequestFactory) -> Result<reqwest::Response, LlmError> {
        let context = CALL.try_with(Arc::clone).ok();
        let tokens = context.as_ref().map_or(1, |c| c.estimated_tokens);
        let policy = self.settings.policy;
        let mut backoff = ExponentialBuilder::new()
            .with_min_delay(policy.initial_backoff)
            .with_max_delay(policy.max_backoff)
            .with_max_times(usize::try_from(policy.max_retries).unwrap_or(usize::MAX));
        if policy.jitter {
            backoff = backoff.with_jitter();
        }
        let factory = self.prepare(factory);
        let mut attempts: u32 = 0;
        // Set when the provider asked for a wait beyond the cap, which ends the call.
        let mut refused_wait = None;
        let result = (|| {
            attempts += 1;
            if let Some(context) = &context {
                context.attempts.store(attempts, Ordering::Relaxed);
            }
            self.attempt(factory.clone(), tokens, attempts)
        })
        .retry(backoff)
        .when(|failed: &Failed| failed.error.is_retryable())
        .adjust(|failed, backoff| {
            // `None` from the backoff: the retries are used up.
            let backoff = backoff?;
            match failed.retry_after {
                Some(wait) if wait > policy.max_retry_after => {
                    refused_wait = Some(wait);
                    None
                }
                Some(wait) => Some(wait),
                None => Some(backoff),
            }
        })
        .notify(|failed, delay| {
            tracing::warn!(
                attempt = failed.error.attempts(),
                delay_ms = duration_ms(delay),
                error = %failed.error,
                "provider request failed; retrying"
            );
        })
        .await;
        result.map_err(|failed| match refused_wait {
            Some(wait) => beyond_cap(failed.error, wait, policy.max_retry_after),
            None => failed.error,
        })
    }

    /// Wrap the factory so every attempt carries the extra headers and, without a
    /// key, no credential header.
    fn prepare(&self, factory: HttpRequestFactory) -> HttpRequestFactory {
        if self.settings.extra_headers.is_empty() && self.settings.strip_header.is_none() {
            return factory;
        }
        let settings = Arc::clone(&self.settings);
        HttpRequestFactory::new(move || {
            let factory = factory.clone();
            let settings = Arc::clone(&settings);
            async move {
                let mut request = factory.build().await?;
                let headers = request.headers_mut();
                if let Some(name) = &settings.strip_header {
                    headers.remove(name);
                }
                for (name, value) in &settings.extra_headers {
                    headers.insert(name.clone(), value.clone());
                }
                Ok(request)
            }
        })
    }

    /// One HTTP request, body read within the per-attempt timeout. A 2xx comes back
    /// as a response over the body already read; anything else as the error it
    /// stands for, numbered `attempts`.
    async fn attempt(
        &self,
        factory: HttpRequestFactory,
        tokens: u64,
        attempts: u32,
    ) -> Result<reqwest::Response, Failed> {
        self.settings.limiter.pace(tokens).await;
        let exchange = async {
            let response = self.inner.clone().oneshot(factory).await?;
            let mut head = http::Response::new(());
            *head.status_mut() = response.status();
            *head.version_mut() = response.version();
            *head.headers_mut() = response.headers().clone();
            let body = response.bytes().await?;
            Ok::<_, OpenAIError>(head.map(|()| body))
        };
        let timed_out = || LlmError::Timeout {
            timeout: self.settings.attempt_timeout,
            attempts,
        };
        let exchange = match tokio::time::timeout(self.settings.attempt_timeout, exchange).await {
            Ok(Ok(exchange)) => exchange,
            Err(_) => return Err(timed_out().into()),
            Ok(Err(OpenAIError::Reqwest(e))) if e.is_timeout() => return Err(timed_out().into()),
            Ok(Err(OpenAIError::Reqwest(e))) if e.is_builder() => {
                return Err(LlmError::Config {
                    reason: format!(
                        "the request could not be built: {}; hint: check base_url and extra headers",
                        error_chain(&e)
                    ),
                }
                .into());
            }
            Ok(Err(OpenAIError::Reqwest(e))) => {
                return Err(LlmError::Connection {
                    message: self.settings.redactor.apply(&error_chain(&e)),
                    attempts,
                }
                .into());
            }
            Ok(Err(other)) => {
                return Err(LlmError::Config {
                    reason: format!("the request could not be built: {other}"),
                }
                .into());
            }
        };
        if exchange.status().is_success() {
            return Ok(reqwest::Response::from(exchange));
        }
        Err(Failed {
            error: LlmError::Http {
                status: exchange.status().as_u16(),
                message: self
                    .settings
                    .redactor
                    .apply(&provider_message(exchange.body())),
                attempts,
            },
            retry_after: retry_after(exchange.headers(), SystemTime::now()),
        })
    }
}

fn beyond_cap(error: LlmError, wait: Duration, cap: Duration) -> LlmError {
    let note = format!(
        " (the provider asked to retry after {}s, more than the {}s cap; hint: raise max_retry_after or lower the request rate)",
        wait.as_secs(),
        cap.as_secs()
    );
    match error {
        LlmError::Http {
            status,
            message,
            attempts,
        } => LlmError::Http {
            status,
            message: message + &note,
            attempts,
        },
        other => other,
    }
}

/// The error and its causes on one line (`reqwest` puts the interesting part, such
/// as "connection reset by peer", in the source chain).
pub(crate) fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}

/// How long the provider asked us to wait: `retry-after-ms` (Azure), then
/// `Retry-After` as seconds or as an HTTP-date.
pub(crate) fn retry_after(headers: &HeaderMap, now: SystemTime) -> Option<Duration> {
    let text = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
    };
    if let Some(ms) = text("retry-after-ms").and_then(|v| v.parse::<f64>().ok())
        && ms.is_finite()
        && ms >= 0.0
    {
        return Some(Duration::from_secs_f64(ms / 1000.0));
    }
    let value = text("retry-after")?;
    if let Ok(seconds) = value.parse::<f64>() {
        return (seconds.is_finite() && seconds >= 0.0).then(|| Duration::from_secs_f64(seconds));
    }
    let when = httpdate::parse_http_date(value).ok()?;
    Some(when.duration_since(now).unwrap_or(Duration::ZERO))
}

/// The provider's own words from an error body: `error.message` (OpenAI, vLLM,
/// llama.cpp), `error` as a string (Ollama), `message` or `detail` (proxies), or
/// else the body text itself; whitespace collapsed, truncated.
pub(crate) fn provider_message(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let from_json = serde_json::from_str::<serde_json::Value>(&text)
        .ok()
        .and_then(|v| {
            let pick = |v: &serde_json::Value| v.as_str().map(str::to_string);
            v.pointer("/error/message")
                .and_then(pick)
                .or_else(|| v.get("error").and_then(pick))
                .or_else(|| v.get("message").and_then(pick))
                .or_else(|| v.get("detail").and_then(pick))
        });
    let message = from_json.unwrap_or_else(|| text.into_owned());
    let collapsed = message.split_whitespace().collect::<Vec<_>>().join(" ");
    if collapsed.is_empty() {
        return "(empty body)".to_string();
    }
    truncate_chars(&collapsed, MAX_MESSAGE_CHARS)
}

/// Whole milliseconds of `d`, for log fields.
pub(crate) fn duration_ms(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

/// The first `max` characters of `text`, with an ellipsis when cut.
pub(crate) fn truncate_chars(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (k, v) in pairs {
            map.insert(*k, v.parse().unwrap());
        }
        map
    }

    #[test]
    fn retry_after_forms() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        assert_eq!(
            retry_after(&headers(&[("retry-after", "3")]), now),
            Some(Duration::from_secs(3))
        );
        assert_eq!(
            retry_after(
                &headers(&[("retry-after-ms", "250"), ("retry-after", "9")]),
                now
            ),
            Some(Duration::from_millis(250))
        );
        let date = httpdate::fmt_http_date(now + Duration::from_secs(7));
        assert_eq!(
            retry_after(&headers(&[("retry-after", &date)]), now),
            Some(Duration::from_secs(7))
        );
        let past = httpdate::fmt_http_date(now - Duration::from_secs(7));
        assert_eq!(
            retry_after(&headers(&[("retry-after", &past)]), now),
            Some(Duration::ZERO)
        );
        assert_eq!(retry_after(&headers(&[("retry-after", "soon")]), now), None);
        assert_eq!(retry_after(&headers(&[("retry-after", "-1")]), now), None);
        assert_eq!(retry_after(&HeaderMap::new(), now), None);
    }

    #[test]
    fn provider_messages() {
        assert_eq!(
            provider_message(
                br#"{"error":{"message":"Incorrect API key","type":"invalid_request_error"}}"#
            ),
            "Incorrect API key"
        );
        assert_eq!(
            provider_message(br#"{"error":"model not found"}"#),
            "model not found"
        );
        assert_eq!(
            provider_message(b"<html>\n<body>Bad   Gateway</body></html>"),
            "<html> <body>Bad Gateway</body></html>"
        );
        assert_eq!(provider_message(b""), "(empty body)");
        let long = "x".repeat(2000);
        assert_eq!(
            provider_message(long.as_bytes()).chars().count(),
            MAX_MESSAGE_CHARS + 1
        );
    }

    #[test]
    fn redactor_hides_secrets() {
        let r = Redactor::new(["sk-test-abcdef".to_string(), "abc".to_string()]);
        assert_eq!(
            r.apply("key sk-test-abcdef is bad abc"),
            "key [redacted] is bad abc"
        );
    }
}
