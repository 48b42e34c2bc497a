//! The HTTP layer under async-openai: a tower service installed with
//! `Client::with_http_service` around async-openai's `ReqwestService`, with
//! async-openai's own retry layer left out. It sees every raw status, header and
//! byte, so it owns the one retry policy used for every OpenAI-compatible server:
//!
//! - 408, 429 and 5xx are retried whatever their body looks like (vLLM, llama.cpp
//!   and proxies do not send OpenAI-shaped errors);
//! - connection failures, timeouts and stalled streams are retried;
//! - other statuses fail at once with the provider's message; a redirect is never
//!   followed to another host (the HTTP client's policy) and fails with its target;
//! - the retry loop is backon's (`Retryable`), which classifies with
//!   [`LlmError::is_retryable`]; delays come from its exponential builder (with
//!   jitter), except that a `Retry-After` (seconds or HTTP-date, or Azure's
//!   `retry-after-ms`) is honoured up to a cap; a longer one fails the call rather
//!   than waiting or hammering, and so does a wait that would end past the review's
//!   deadline. Header values that are not a sane wait (negative, NaN, absurdly
//!   large) fall back to the backoff.
//!
//! Bodies are read by `stream` within a size cap. A streamed answer (`stream: true`)
//! is timed by progress: the first bytes within the per-attempt timeout, then each
//! chunk within the stall timeout, so an answer that keeps coming is never cut off
//! and re-sent; the stream is folded into one completion body for async-openai.
//!
//! Each attempt waits for the shared [`Limiter`]'s rate buckets (the provider
//! holds the call's concurrency slot) and is written to the review's attempt
//! journal when there is one, however it ends (cancelled included), with the time it
//! took. Failures leave the service as [`LlmError`] boxed in `OpenAIError::Boxed`,
//! which the provider unboxes. The attempt count of a call travels back to the
//! provider through a task-local [`CallContext`], because async-openai hands the
//! caller only the parsed body.

use crate::config::RetryPolicy;
use crate::error::LlmError;
use crate::limiter::Limiter;
use crate::model::Attempt;
use crate::stream::{Pace, ReadError, is_event_stream, read_event_stream, read_plain};
use async_openai::error::OpenAIError;
use async_openai::middleware::{HttpRequestFactory, ReqwestService};
use backon::{ExponentialBuilder, Retryable};
use futures::future::BoxFuture;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};
use std::time::{Duration, SystemTime};
use tokio::time::Instant;
use tower::ServiceExt;

/// Longest provider message kept in an error.
pub(crate) const MAX_MESSAGE_CHARS: usize = 600;

/// Longest wait a `Retry-After` header is read as; anything longer is capped here
/// (and then refused by the policy's own, smaller cap).
const RETRY_AFTER_CEILING: Duration = Duration::from_secs(7 * 24 * 3600);

tokio::task_local! {
    static CALL: Arc<CallContext>;
    static JOURNAL: Arc<AttemptJournal>;
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

/// Every HTTP attempt of one review, however it ended, and the review's deadline.
/// The review loop owns it; the transport writes to it through a task-local.
#[derive(Debug)]
pub(crate) struct AttemptJournal {
    attempts: Mutex<Vec<Attempt>>,
    deadline: Option<Instant>,
}

impl AttemptJournal {
    pub(crate) fn new(deadline: Option<Instant>) -> Arc<AttemptJournal> {
        Arc::new(AttemptJournal {
            attempts: Mutex::new(Vec::new()),
            deadline,
        })
    }

    /// Run `future` with this journal visible to the transport.
    pub(crate) async fn scope<F: Future>(self: &Arc<Self>, future: F) -> F::Output {
        JOURNAL.scope(Arc::clone(self), future).await
    }

    /// The attempts so far.
    pub(crate) fn attempts(&self) -> Vec<Attempt> {
        self.attempts
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    fn push(&self, outcome: String, elapsed: Duration) {
        self.attempts
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(Attempt { outcome, elapsed });
    }
}

/// Writes one attempt to the journal when it ends; an attempt dropped before it
/// ended (deadline, cancellation) is written as `cancelled`.
struct JournalEntry {
    journal: Option<Arc<AttemptJournal>>,
    started: Instant,
}

impl JournalEntry {
    fn start() -> JournalEntry {
        JournalEntry {
            journal: JOURNAL.try_with(Arc::clone).ok(),
            started: Instant::now(),
        }
    }

    fn finish(mut self, outcome: String) {
        if let Some(journal) = self.journal.take() {
            journal.push(outcome, self.started.elapsed());
        }
    }
}

impl Drop for JournalEntry {
    fn drop(&mut self) {
        if let Some(journal) = self.journal.take() {
            journal.push("cancelled".into(), self.started.elapsed());
        }
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
    /// Per attempt: the whole answer, or (streaming) the wait for its first bytes.
    pub(crate) attempt_timeout: Duration,
    /// Streamed answers: the longest silence between chunks.
    pub(crate) stall_timeout: Duration,
    /// Whether requests ask for a streamed answer.
    pub(crate) stream: bool,
    /// Largest body read, in bytes.
    pub(crate) max_response_bytes: usize,
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

/// Why the retry loop stopped early, beyond the error itself.
enum Refused {
    /// The provider asked for a wait beyond the cap.
    Cap(Duration),
    /// The next attempt would start after the review's deadline.
    Deadline(Duration),
}

impl RetryService {
    async fn run(&self, factory: HttpRequestFactory) -> Result<reqwest::Response, LlmError> {
        let context = CALL.try_with(Arc::clone).ok();
        let deadline = JOURNAL.try_with(|j| j.deadline).ok().flatten();
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
        // Set when the loop stops for a reason the last error does not tell.
        let mut refused = None;
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
            let wait = match failed.retry_after {
                Some(wait) if wait > policy.max_retry_after => {
                    refused = Some(Refused::Cap(wait));
                    return None;
                }
                Some(wait) => wait,
                None => backoff,
            };
            if deadline.is_some_and(|d| Instant::now() + wait >= d) {
                refused = Some(Refused::Deadline(wait));
                return None;
            }
            Some(wait)
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
        result.map_err(|failed| match refused {
            Some(Refused::Cap(wait)) => with_note(
                failed.error,
                &format!(
                    " (the provider asked to retry after {}s, more than the {}s cap; hint: raise max_retry_after_secs or lower the request rate)",
                    wait.as_secs(),
                    policy.max_retry_after.as_secs()
                ),
            ),
            Some(Refused::Deadline(wait)) => with_note(
                failed.error,
                &format!(
                    " (not retried: waiting {} ms would pass the Director's deadline)",
                    duration_ms(wait)
                ),
            ),
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

    /// One HTTP request, journaled however it ends. A 2xx comes back as a response
    /// over the body already read (a stream folded into one completion); anything
    /// else as the error it stands for, numbered `attempts`.
    async fn attempt(
        &self,
        factory: HttpRequestFactory,
        tokens: u64,
        attempts: u32,
    ) -> Result<reqwest::Response, Failed> {
        self.settings.limiter.pace(tokens).await;
        let entry = JournalEntry::start();
        let result = self.exchange(factory, attempts).await;
        entry.finish(match &result {
            Ok(_) => "ok".to_string(),
            Err(failed) => outcome_label(&failed.error),
        });
        result
    }

    async fn exchange(
        &self,
        factory: HttpRequestFactory,
        attempts: u32,
    ) -> Result<reqwest::Response, Failed> {
        let settings = &self.settings;
        let started = Instant::now();
        let first_by = started + settings.attempt_timeout;
        let timed_out = || LlmError::Timeout {
            timeout: settings.attempt_timeout,
            attempts,
        };
        let response =
            match tokio::time::timeout_at(first_by, self.inner.clone().oneshot(factory)).await {
                Ok(Ok(response)) => response,
                Err(_) => return Err(timed_out().into()),
                Ok(Err(error)) => return Err(self.send_error(error, attempts).into()),
            };
        let mut head = http::Response::new(());
        *head.status_mut() = response.status();
        *head.version_mut() = response.version();
        *head.headers_mut() = response.headers().clone();
        let limit = settings.max_response_bytes;
        if !head.status().is_success() {
            // An error body gets the rest of the attempt's time, and at least a moment.
            let pace = Pace::Until(first_by.max(Instant::now() + Duration::from_secs(5)));
            let body = read_plain(response, pace, limit)
                .await
                .map_err(|e| self.read_error(e, attempts))?;
            return Err(self.status_error(&head, &body, attempts));
        }
        let stall = settings.stall_timeout;
        let body = if settings.stream && is_event_stream(head.headers()) {
            let body = read_event_stream(
                response,
                Pace::Progress {
                    first: first_by,
                    stall,
                },
                limit,
            )
            .await
            .map_err(|e| self.read_error(e, attempts))?;
            let headers = head.headers_mut();
            headers.insert(
                reqwest::header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            );
            headers.remove(reqwest::header::CONTENT_LENGTH);
            body
        } else {
            // Streaming asked but a whole body came: the server has finished, so only
            // silence can stop the read; without streaming the attempt timeout holds.
            let pace = if settings.stream {
                Pace::Progress {
                    first: Instant::now() + stall,
                    stall,
                }
            } else {
                Pace::Until(first_by)
            };
            read_plain(response, pace, limit)
                .await
                .map_err(|e| self.read_error(e, attempts))?
        };
        Ok(reqwest::Response::from(head.map(|()| body)))
    }

    fn send_error(&self, error: OpenAIError, attempts: u32) -> LlmError {
        match error {
            OpenAIError::Reqwest(e) if e.is_timeout() => LlmError::Timeout {
                timeout: self.settings.attempt_timeout,
                attempts,
            },
            OpenAIError::Reqwest(e) if e.is_builder() => LlmError::Config {
                reason: format!(
                    "the request could not be built: {}; hint: check base_url and extra headers",
                    error_chain(&e)
                ),
            },
            OpenAIError::Reqwest(e) => LlmError::Connection {
                message: self.settings.redactor.apply(&error_chain(&e)),
                attempts,
            },
            other => LlmError::Config {
                reason: format!("the request could not be built: {other}"),
            },
        }
    }

    fn read_error(&self, error: ReadError, attempts: u32) -> Failed {
        let error = match error {
            ReadError::Timeout => LlmError::Timeout {
                timeout: self.settings.attempt_timeout,
                attempts,
            },
            ReadError::Stalled(silence) => LlmError::Stalled { silence, attempts },
            ReadError::TooLarge(limit) => LlmError::ResponseTooLarge { limit, attempts },
            ReadError::Transport(e) => LlmError::Connection {
                message: self.settings.redactor.apply(&error_chain(&e)),
                attempts,
            },
            ReadError::Malformed(message) => LlmError::Deserialize {
                message: self.settings.redactor.apply(&message),
                attempts,
            },
        };
        error.into()
    }

    /// A non-2xx answer as the error it stands for. A redirect reaches here only
    /// when the client's policy refused to follow it (another host).
    fn status_error(&self, head: &http::Response<()>, body: &[u8], attempts: u32) -> Failed {
        let status = head.status();
        let message = if status.is_redirection() {
            let target = head
                .headers()
                .get(reqwest::header::LOCATION)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("(no Location header)");
            format!(
                "the provider redirected to {}; director does not follow a redirect to another host, so the key never leaves the configured one; hint: set base_url to the final address",
                truncate(target, 200)
            )
        } else {
            provider_message(body)
        };
        Failed {
            error: LlmError::Http {
                status: status.as_u16(),
                message: self.settings.redactor.apply(&message),
                attempts,
            },
            retry_after: retry_after(head.headers(), SystemTime::now()),
        }
    }
}

/// Short name of how an attempt ended, for the journal.
fn outcome_label(error: &LlmError) -> String {
    match error {
        LlmError::Http { status, .. } => format!("http {status}"),
        LlmError::Timeout { .. } => "timeout".into(),
        LlmError::Stalled { .. } => "stalled".into(),
        LlmError::ResponseTooLarge { .. } => "response-too-large".into(),
        LlmError::Connection { .. } => "connection".into(),
        LlmError::Deserialize { .. } => "bad-response".into(),
        LlmError::CircuitOpen { .. } => "circuit-open".into(),
        LlmError::Cancelled => "cancelled".into(),
        LlmError::Config { .. } | LlmError::Cache { .. } => "config".into(),
    }
}

/// The redirect policy of the provider's HTTP client: follow a redirect only to the
/// same scheme, host and port as the request (at most 5 hops), so the API key and
/// extra headers never reach another host; a refused redirect comes back as the
/// 3xx response itself.
pub(crate) fn same_origin_redirects() -> reqwest::redirect::Policy {
    reqwest::redirect::Policy::custom(|attempt| {
        let same = attempt.previous().first().is_some_and(|first| {
            let next = attempt.url();
            first.scheme() == next.scheme()
                && first.host_str() == next.host_str()
                && first.port_or_known_default() == next.port_or_known_default()
        });
        if same && attempt.previous().len() <= 5 {
            attempt.follow()
        } else {
            attempt.stop()
        }
    })
}

/// The error with `note` appended to its provider message.
fn with_note(error: LlmError, note: &str) -> LlmError {
    match error {
        LlmError::Http {
            status,
            message,
            attempts,
        } => LlmError::Http {
            status,
            message: message + note,
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
/// `Retry-After` as seconds (integer or decimal) or as an HTTP-date, capped at a week.
/// A value that is no sane wait (negative, NaN, infinite, unparsable) is ignored, so
/// the backoff decides; a date in the past means now.
pub(crate) fn retry_after(headers: &HeaderMap, now: SystemTime) -> Option<Duration> {
    let text = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
    };
    if let Some(wait) = text("retry-after-ms")
        .and_then(|v| v.parse::<f64>().ok())
        .and_then(|ms| seconds(ms / 1000.0))
    {
        return Some(wait);
    }
    let value = text("retry-after")?;
    if let Ok(number) = value.parse::<f64>() {
        return seconds(number);
    }
    let when = httpdate::parse_http_date(value).ok()?;
    Some(
        when.duration_since(now)
            .unwrap_or(Duration::ZERO)
            .min(RETRY_AFTER_CEILING),
    )
}

/// A wait of `secs` seconds, capped at the ceiling; `None` for negative or non-finite values.
fn seconds(secs: f64) -> Option<Duration> {
    if !secs.is_finite() || secs < 0.0 {
        return None;
    }
    let ceiling = RETRY_AFTER_CEILING.as_secs_f64();
    Some(Duration::from_secs_f64(secs.min(ceiling)))
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
    truncate(&collapsed, MAX_MESSAGE_CHARS)
}

/// Whole milliseconds of `d`, for log fields.
pub(crate) fn duration_ms(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

/// At most `max` bytes of `text`, cut on a character boundary, with an ellipsis when
/// cut: the one truncation of provider text for messages, logs and the record.
pub(crate) fn truncate(text: &str, max: usize) -> String {
    if text.len() <= max {
        return text.to_string();
    }
    let mut cut = max;
    while !text.is_char_boundary(cut) {
        cut -= 1;
    }
    format!("{}…", &text[..cut])
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
    fn hostile_retry_after_values_are_capped_or_ignored_never_a_panic() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        let week = Some(RETRY_AFTER_CEILING);
        let cases = [
            ("1e20", week),
            ("18446744073709551616", week),
            ("1e308", week),
            ("NaN", None),
            ("inf", None),
            ("-1", None),
            ("-0.5", None),
            ("1.5", Some(Duration::from_millis(1500))),
            ("Fri, 31 Dec 9999 23:59:59 GMT", week),
            ("Thu, 01 Jan 1970 00:00:00 GMT", Some(Duration::ZERO)),
            ("", None),
        ];
        for (value, expected) in cases {
            assert_eq!(
                retry_after(&headers(&[("retry-after", value)]), now),
                expected,
                "{value:?}"
            );
        }
        // A bad `retry-after-ms` falls through to `Retry-After`.
        assert_eq!(
            retry_after(
                &headers(&[("retry-after-ms", "NaN"), ("retry-after", "2")]),
                now
            ),
            Some(Duration::from_secs(2))
        );
        assert_eq!(
            retry_after(&headers(&[("retry-after-ms", "1e30")]), now),
            week
        );
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
