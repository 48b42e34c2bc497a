//! The Director review loop: one Director's conversation with a [`ChatModel`] until it
//! yields a schema-valid [`Verdict`] or an explicit failure, never anything in between.
//!
//! - Structured output follows the provider's capability: `json_schema` strict, or
//!   `json_object` / plain text with the schema appended to the last user message
//!   (unless the conversation already quotes it).
//!   Every reply is validated with `director_core::verdict::parse_verdict`.
//! - A reply that is not JSON or breaks the schema gets ONE repair round that quotes
//!   the validation error; a second bad reply fails the Director.
//! - `finish_reason: length` gets ONE retry with the output budget doubled (up to a
//!   cap); truncated again fails as `Truncated`: a cut-off answer never passes, even
//!   if the partial text happens to parse.
//! - Empty `choices`, a refusal, a content filter or any other abnormal finish fail
//!   explicitly. Missing `usage` does not: the verdict stands and the usage is
//!   estimated and flagged.
//! - Tool calls run through a [`ToolExecutor`] (async: blocking work belongs off the
//!   async workers), at most `max_tool_rounds` rounds, then one last request without
//!   tools. A tool that panics or fails internally fails the Director as `internal`:
//!   the panic is caught at this boundary, whoever implemented the tool.
//! - With an [`AnswerBound`], the schema sent is the bounded one (the canonical one
//!   still validates), and a reply cut off for good keeps its complete findings as a
//!   *partial* verdict in the outcome, next to the failure: never an answer.
//! - The whole loop is bounded by a deadline and stops on cancellation. Every HTTP
//!   attempt is journaled with its outcome and time, the cut-off ones included.

use crate::bound::{AnswerBound, salvage};
use crate::error::LlmError;
use crate::model::{
    Attempt, ChatMessage, ChatModel, ChatRequest, ChatResponse, FinishReason, ResponseMode,
    StructuredOutput, ToolSpec, estimate_tokens_from_chars,
};
use crate::transport::{AttemptJournal, duration_ms, truncate};
use director_core::verdict::{parse_verdict, verdict_schema};
use director_core::{CoreError, Usage, Verdict};
use futures::FutureExt as _;
use futures::future::BoxFuture;
use serde::Serialize;
use std::fmt;
use std::panic::AssertUnwindSafe;
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;
use tracing::Instrument;
use tracing::field::Empty;

/// Longest raw reply kept in an outcome, in bytes.
const RAW_REPLY_LIMIT: usize = 4096;

/// Schema name sent with `response_format: json_schema`.
const SCHEMA_NAME: &str = "director_verdict";

/// One Director's review call.
#[derive(Debug, Clone, PartialEq)]
pub struct ReviewRequest {
    /// Director name, for the span and errors.
    pub director: String,
    /// Model to ask; empty means the provider's default.
    pub model: String,
    /// The conversation: shared frame and context, the Director's system prompt, the instruction.
    pub messages: Vec<ChatMessage>,
    /// True when the messages already quote the verdict schema (the orchestrator's
    /// instruction does for servers that cannot enforce it), so the loop does not
    /// append a second copy in `json_object`/text mode.
    pub schema_in_prompt: bool,
    /// Output-token budget of a request.
    pub max_output_tokens: u32,
    /// Largest output budget the length retry may ask for.
    pub max_output_tokens_cap: u32,
    /// Total time allowed for this Director, retries and repair rounds included.
    pub deadline: Duration,
    /// Tool rounds allowed; 0 offers no tools.
    pub max_tool_rounds: u32,
    /// Sampling temperature (0 by default for reproducible reviews).
    pub temperature: Option<f32>,
    /// The structured-output mode to use; `None` takes the provider's
    /// ([`crate::ProviderInfo::structured_output`]).
    pub structured_output: Option<StructuredOutput>,
    /// Send the bounded verdict schema ([`AnswerBound::schema`]); `None` sends the
    /// canonical one.
    pub bound: Option<AnswerBound>,
    /// The server's grammar honours `maxLength`, so the bound includes it.
    pub schema_max_length: bool,
}

impl ReviewRequest {
    /// A request with the default budgets: 4096 output tokens (cap 16384), a
    /// 5-minute deadline, 4 tool rounds, temperature 0.
    pub fn new(
        director: impl Into<String>,
        model: impl Into<String>,
        messages: Vec<ChatMessage>,
    ) -> ReviewRequest {
        ReviewRequest {
            director: director.into(),
            model: model.into(),
            messages,
            schema_in_prompt: false,
            max_output_tokens: 4096,
            max_output_tokens_cap: 16384,
            deadline: Duration::from_secs(300),
            max_tool_rounds: 4,
            temperature: Some(0.0),
            structured_output: None,
            bound: None,
            schema_max_length: false,
        }
    }
}

/// Tools a Director may call while reviewing (read_file, grep, list_dir, MCP tools…).
///
/// `call` is async and runs on the async workers: an implementation with blocking
/// work (walking files, reading them) moves it off them (`spawn_blocking`). The
/// future may be dropped at any await point when the Director's deadline passes or
/// the run is cancelled.
pub trait ToolExecutor: Send + Sync {
    /// The tools offered to the model.
    fn specs(&self) -> Vec<ToolSpec>;
    /// Run one tool call. Refusals, bad arguments and failures of the tool's own
    /// service are `Ok` text for the model to read (`error: …`); `Err` is an internal
    /// failure of the tool itself, which fails the Director.
    fn call<'a>(
        &'a self,
        name: &'a str,
        arguments_json: &'a str,
    ) -> BoxFuture<'a, Result<String, ToolFailure>>;
}

/// A tool that could not run at all (a panic, a lost worker): the Director fails as
/// `internal`, because a review that lost a tool answer is not a review.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ToolFailure {
    /// What happened, naming the tool, e.g. `tool grep panicked: …`.
    pub message: String,
}

impl ToolFailure {
    /// A tool that panicked, with the panic's message when it has one.
    pub fn panicked(tool: &str, payload: &(dyn std::any::Any + Send)) -> ToolFailure {
        ToolFailure {
            message: format!("tool {tool} panicked: {}", panic_message(payload)),
        }
    }
}

impl fmt::Display for ToolFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

/// The text of a panic payload (`panic!("…")` carries a `&str` or a `String`).
pub fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "(a panic without a message)".to_string()
    }
}

/// Everything one review produced, success or not.
#[derive(Debug, Clone, PartialEq)]
pub struct ReviewOutcome {
    /// The validated verdict, or why there is none.
    pub result: Result<Verdict, ReviewFailure>,
    /// Tokens used over every completed request (`requests` counts completed chat calls).
    pub usage: Usage,
    /// True when some request reported no usage and its tokens were estimated.
    pub usage_estimated: bool,
    /// HTTP requests made, retries and repair rounds included.
    pub attempts: u32,
    /// Wall time of the whole review.
    pub elapsed: Duration,
    /// Tool calls executed.
    pub tool_calls: u32,
    /// The last reply text, truncated to 4 KiB, for the record.
    pub raw_reply: Option<String>,
    /// The model that answered, as the provider names it.
    pub model: Option<String>,
    /// Every HTTP attempt with its outcome and time (empty for a [`ChatModel`] that
    /// does not go through this crate's transport).
    pub attempt_log: Vec<Attempt>,
    /// With a failure: the complete findings of a reply cut off by the output limit.
    /// They are kept, but the review is still a failure.
    pub partial: Option<Verdict>,
}

/// Why a Director produced no verdict.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReviewFailure {
    /// The kind of failure.
    pub kind: FailureKind,
    /// What happened, for the record and the report (never contains the API key).
    pub message: String,
}

impl fmt::Display for ReviewFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.kind, self.message)
    }
}

/// Kinds of review failure. Displayed and serialized by [`FailureKind::as_str`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FailureKind {
    /// The provider answered with an error status (not retried, or retries ran out).
    Http,
    /// Every attempt timed out.
    Timeout,
    /// A streamed answer went silent for longer than the stall timeout.
    Stalled,
    /// The response body was larger than the cap.
    ResponseTooLarge,
    /// The request does not fit the model's context window.
    ContextTooSmall,
    /// The provider could not be reached.
    Connection,
    /// A 2xx response whose body is not a chat completion.
    BadResponse,
    /// The Director's total deadline passed.
    Deadline,
    /// The reply is not JSON, even after the repair round.
    InvalidJson,
    /// The reply breaks the verdict schema, even after the repair round.
    SchemaInvalid,
    /// The reply was cut off by the output-token limit, even after the larger retry.
    Truncated,
    /// The model refused to answer.
    Refusal,
    /// The provider's content filter stopped the answer.
    ContentFilter,
    /// The answer ended for a reason other than a normal stop.
    AbnormalFinish,
    /// The response had no choices.
    EmptyChoices,
    /// The circuit breaker is open; no request was made.
    CircuitOpen,
    /// The run was cancelled.
    Cancelled,
    /// The model kept calling tools past the allowed rounds.
    ToolLoop,
    /// The provider configuration is unusable.
    Config,
    /// Something inside director failed (a tool panicked, a task was lost): a bug,
    /// never the model's fault, and never a pass.
    Internal,
}

impl FailureKind {
    /// The kebab-case name used in records.
    pub fn as_str(self) -> &'static str {
        match self {
            FailureKind::Http => "http",
            FailureKind::Timeout => "timeout",
            FailureKind::Stalled => "stalled",
            FailureKind::ResponseTooLarge => "response-too-large",
            FailureKind::ContextTooSmall => "context-too-small",
            FailureKind::Connection => "connection",
            FailureKind::BadResponse => "bad-response",
            FailureKind::Deadline => "deadline",
            FailureKind::InvalidJson => "invalid-json",
            FailureKind::SchemaInvalid => "schema-invalid",
            FailureKind::Truncated => "truncated",
            FailureKind::Refusal => "refusal",
            FailureKind::ContentFilter => "content-filter",
            FailureKind::AbnormalFinish => "abnormal-finish",
            FailureKind::EmptyChoices => "empty-choices",
            FailureKind::CircuitOpen => "circuit-open",
            FailureKind::Cancelled => "cancelled",
            FailureKind::ToolLoop => "tool-loop",
            FailureKind::Config => "config",
            FailureKind::Internal => "internal",
        }
    }
}

impl fmt::Display for FailureKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

// By hand so the record name has one source, `as_str`, not a second one in serde.
impl Serialize for FailureKind {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl From<&LlmError> for FailureKind {
    fn from(error: &LlmError) -> FailureKind {
        match error {
            LlmError::Http {
                status: 400,
                message,
                ..
            } if exceeds_context(message) => FailureKind::ContextTooSmall,
            LlmError::Http { .. } => FailureKind::Http,
            LlmError::Timeout { .. } => FailureKind::Timeout,
            LlmError::Stalled { .. } => FailureKind::Stalled,
            LlmError::ResponseTooLarge { .. } => FailureKind::ResponseTooLarge,
            LlmError::Connection { .. } => FailureKind::Connection,
            LlmError::Deserialize { .. } => FailureKind::BadResponse,
            LlmError::CircuitOpen { .. } => FailureKind::CircuitOpen,
            LlmError::Cancelled => FailureKind::Cancelled,
            LlmError::Config { .. } | LlmError::Cache { .. } => FailureKind::Config,
        }
    }
}

/// True for a server's "the prompt exceeds the context" rejection (llama-server's
/// `exceed_context_size_error`, vLLM's and OpenAI's "maximum context length").
fn exceeds_context(message: &str) -> bool {
    let m = message.to_ascii_lowercase();
    (m.contains("exceed") && m.contains("context")) || m.contains("maximum context length")
}

fn failure(kind: FailureKind, message: impl Into<String>) -> ReviewFailure {
    ReviewFailure {
        kind,
        message: message.into(),
    }
}

/// Counters kept across the requests of one review.
#[derive(Default)]
struct Progress {
    usage: Usage,
    usage_estimated: bool,
    attempts: u32,
    in_flight: bool,
    tool_calls: u32,
    raw_reply: Option<String>,
    model: Option<String>,
    partial: Option<Verdict>,
}

impl Progress {
    async fn call(
        &mut self,
        model: &dyn ChatModel,
        request: &ChatRequest,
    ) -> Result<ChatResponse, ReviewFailure> {
        self.in_flight = true;
        let result = model.complete(request).await;
        self.in_flight = false;
        match result {
            Ok(response) => {
                self.attempts += response.attempts.max(1);
                match response.usage {
                    Some(usage) => self.usage += usage,
                    None => {
                        self.usage_estimated = true;
                        let prompt_chars: usize =
                            request.messages.iter().map(ChatMessage::chars).sum();
                        let completion_chars = response.content.as_deref().map_or(0, str::len);
                        self.usage += Usage {
                            requests: 1,
                            prompt_tokens: estimate_tokens_from_chars(prompt_chars),
                            cached_prompt_tokens: 0,
                            completion_tokens: estimate_tokens_from_chars(completion_chars),
                            cost_usd: None,
                        };
                    }
                }
                if response.model.is_some() {
                    self.model.clone_from(&response.model);
                }
                tracing::debug!(
                    attempts = response.attempts,
                    finish_reason = ?response.finish_reason,
                    usage_reported = response.usage.is_some(),
                    "provider answered"
                );
                Ok(response)
            }
            Err(error) => {
                self.attempts += error.attempts();
                Err(failure(FailureKind::from(&error), error.to_string()))
            }
        }
    }
}

/// Run one Director's review to a verdict or an explicit failure (see the module docs).
pub async fn review(
    model: &dyn ChatModel,
    mut request: ReviewRequest,
    tools: Option<&dyn ToolExecutor>,
    cancel: &CancellationToken,
) -> ReviewOutcome {
    let started = Instant::now();
    let span = tracing::info_span!(
        "director_call",
        director = %request.director,
        model = %request.model,
        attempt = Empty,
        prompt_tokens = Empty,
        completion_tokens = Empty,
        cached_tokens = Empty,
        latency_ms = Empty,
        outcome = Empty,
    );
    let mut progress = Progress::default();
    let deadline = request.deadline;
    let journal = AttemptJournal::new(Some(tokio::time::Instant::now() + deadline));
    let messages = std::mem::take(&mut request.messages);
    let result = {
        let conversation = journal
            .scope(converse(model, &request, messages, tools, &mut progress))
            .instrument(span.clone());
        tokio::select! {
            biased;
            () = cancel.cancelled() => Err(failure(FailureKind::Cancelled, "the review was cancelled")),
            finished = tokio::time::timeout(deadline, conversation) => finished.unwrap_or_else(|_| {
                Err(failure(
                    FailureKind::Deadline,
                    format!("the Director did not finish within its {} s deadline", deadline.as_secs_f64()),
                ))
            }),
        }
    };
    // A request cut off by the deadline or cancellation was still sent.
    if progress.in_flight {
        progress.attempts += 1;
    }
    let attempt_log = journal.attempts();
    if !attempt_log.is_empty() {
        progress.attempts = u32::try_from(attempt_log.len()).unwrap_or(u32::MAX);
    }
    // Every request sent counts, the ones that timed out or were cut off included.
    progress.usage.requests = progress.usage.requests.max(progress.attempts);
    let elapsed = started.elapsed();
    span.record("attempt", progress.attempts);
    span.record("prompt_tokens", progress.usage.prompt_tokens);
    span.record("completion_tokens", progress.usage.completion_tokens);
    span.record("cached_tokens", progress.usage.cached_prompt_tokens);
    span.record("latency_ms", duration_ms(elapsed));
    span.record(
        "outcome",
        match &result {
            Ok(_) => "verdict",
            Err(f) => f.kind.as_str(),
        },
    );
    span.in_scope(|| match &result {
        Ok(verdict) => tracing::info!(verdict = ?verdict.verdict, findings = verdict.findings.len(), "director answered"),
        Err(f) => tracing::warn!(kind = %f.kind, message = %f.message, "director failed"),
    });
    ReviewOutcome {
        result,
        usage: progress.usage,
        usage_estimated: progress.usage_estimated,
        attempts: progress.attempts,
        elapsed,
        tool_calls: progress.tool_calls,
        raw_reply: progress.raw_reply,
        model: progress.model,
        attempt_log,
        partial: progress.partial,
    }
}

/// The conversation itself. It owns the messages and extends them in place, so a
/// long shared context is never copied per round.
async fn converse(
    model: &dyn ChatModel,
    request: &ReviewRequest,
    mut messages: Vec<ChatMessage>,
    tools: Option<&dyn ToolExecutor>,
    progress: &mut Progress,
) -> Result<Verdict, ReviewFailure> {
    // Replies are validated against this very schema (`parse_verdict`), so it is the
    // one sent or quoted, never a caller-supplied one.
    let schema = verdict_schema();
    let capability = request
        .structured_output
        .unwrap_or_else(|| model.info().structured_output);
    let response_format = match capability {
        StructuredOutput::JsonSchema => ResponseMode::JsonSchema {
            name: SCHEMA_NAME.to_string(),
            schema: match &request.bound {
                Some(bound) => bound.schema(request.schema_max_length),
                None => schema.clone(),
            },
        },
        StructuredOutput::JsonObject | StructuredOutput::Text => {
            if !request.schema_in_prompt {
                append_schema(&mut messages, schema);
            }
            if capability == StructuredOutput::JsonObject {
                ResponseMode::JsonObject
            } else {
                ResponseMode::Text
            }
        }
    };
    let cap = request.max_output_tokens_cap.max(request.max_output_tokens);
    let mut max_tokens = request.max_output_tokens;
    let mut chat = ChatRequest {
        model: request.model.clone(),
        messages,
        response_format,
        max_tokens: None,
        temperature: request.temperature,
        tools: match tools {
            Some(executor) if request.max_tool_rounds > 0 => executor.specs(),
            _ => Vec::new(),
        },
    };
    let mut tool_rounds = 0;
    let mut length_retried = false;
    let mut repaired = false;
    loop {
        // Once the tool rounds are used up or a repair is asked for, tools are never
        // offered again: the specs are dropped instead of copied into every round.
        if tool_rounds >= request.max_tool_rounds || repaired {
            chat.tools.clear();
        }
        let offer_tools = !chat.tools.is_empty();
        chat.max_tokens = Some(max_tokens);
        let response = progress.call(model, &chat).await?;
        if let Some(text) = &response.content {
            progress.raw_reply = Some(truncate(text, RAW_REPLY_LIMIT));
        }
        if response.choices == 0 {
            return Err(failure(
                FailureKind::EmptyChoices,
                "the provider answered with an empty `choices` list",
            ));
        }
        if let Some(refusal) = &response.refusal {
            return Err(failure(
                FailureKind::Refusal,
                format!("the model refused: {}", truncate(refusal, 300)),
            ));
        }
        match &response.finish_reason {
            Some(FinishReason::Length) => {
                if length_retried || max_tokens >= cap {
                    progress.partial = response.content.as_deref().and_then(salvage);
                    return Err(failure(
                        FailureKind::Truncated,
                        format!(
                            "the answer was cut off at {max_tokens} output tokens (finish_reason: length)"
                        ),
                    ));
                }
                length_retried = true;
                max_tokens = max_tokens.saturating_mul(2).min(cap);
                tracing::debug!(
                    max_tokens,
                    "answer truncated; retrying with a larger output budget"
                );
                continue;
            }
            Some(FinishReason::ContentFilter) => {
                return Err(failure(
                    FailureKind::ContentFilter,
                    "the provider's content filter stopped the answer",
                ));
            }
            Some(FinishReason::ToolCalls) if response.tool_calls.is_empty() => {
                return Err(failure(
                    FailureKind::AbnormalFinish,
                    "finish_reason is tool_calls but the response carries no usable tool call",
                ));
            }
            Some(FinishReason::Stop | FinishReason::ToolCalls) => {}
            Some(FinishReason::Other(reason)) => {
                return Err(failure(
                    FailureKind::AbnormalFinish,
                    format!("the answer ended abnormally (finish_reason: {reason})"),
                ));
            }
            None => {
                return Err(failure(
                    FailureKind::AbnormalFinish,
                    "the response has no finish_reason, so the answer may be incomplete",
                ));
            }
        }
        if !response.tool_calls.is_empty() {
            let Some(executor) = tools.filter(|_| offer_tools) else {
                return Err(failure(
                    FailureKind::ToolLoop,
                    format!(
                        "the model asked for tools after {tool_rounds} tool round(s) when none were offered"
                    ),
                ));
            };
            tool_rounds += 1;
            chat.messages.push(ChatMessage::Assistant {
                content: response.content.clone(),
                tool_calls: response.tool_calls.clone(),
            });
            for call in &response.tool_calls {
                progress.tool_calls += 1;
                let output = run_tool(executor, &call.name, &call.arguments).await?;
                tracing::debug!(tool = %call.name, output_bytes = output.len(), "tool call");
                chat.messages.push(ChatMessage::Tool {
                    call_id: call.id.clone(),
                    content: output,
                });
            }
            continue;
        }
        let text = response.content.unwrap_or_default();
        match parse_verdict(&text) {
            Ok(verdict) => return Ok(verdict),
            Err(error) if !repaired => {
                repaired = true;
                tracing::debug!(%error, "reply invalid; asking for a repair");
                chat.messages.push(ChatMessage::Assistant {
                    content: Some(text),
                    tool_calls: Vec::new(),
                });
                chat.messages.push(ChatMessage::User(repair_instruction(
                    &error, capability, schema,
                )));
            }
            Err(error) => {
                let kind = match error {
                    CoreError::NotJson(_) => FailureKind::InvalidJson,
                    _ => FailureKind::SchemaInvalid,
                };
                return Err(failure(kind, format!("after one repair round: {error}")));
            }
        }
    }
}

/// One tool call, with a panic anywhere in the executor's future caught here and
/// turned into an `internal` failure of the Director.
async fn run_tool(
    executor: &dyn ToolExecutor,
    name: &str,
    arguments: &str,
) -> Result<String, ReviewFailure> {
    match AssertUnwindSafe(executor.call(name, arguments))
        .catch_unwind()
        .await
    {
        Ok(Ok(output)) => Ok(output),
        Ok(Err(tool_failure)) => Err(failure(FailureKind::Internal, tool_failure.message)),
        Err(payload) => Err(failure(
            FailureKind::Internal,
            ToolFailure::panicked(name, payload.as_ref()).message,
        )),
    }
}

/// The schema instruction for servers that cannot enforce it themselves, appended
/// to the last user message (or added as one).
fn append_schema(messages: &mut Vec<ChatMessage>, schema: &serde_json::Value) {
    let instruction = format!(
        "\n\nAnswer with exactly one JSON object that validates against this JSON schema, and nothing else:\n```json\n{schema}\n```"
    );
    match messages.iter_mut().rev().find_map(|m| match m {
        ChatMessage::User(text) => Some(text),
        _ => None,
    }) {
        Some(text) => text.push_str(&instruction),
        None => messages.push(ChatMessage::User(instruction.trim_start().to_string())),
    }
}

fn repair_instruction(
    error: &CoreError,
    capability: StructuredOutput,
    schema: &serde_json::Value,
) -> String {
    let detail = match error {
        CoreError::NotJson(e) => format!("it is not valid JSON ({e})"),
        other => other.to_string(),
    };
    let schema_text = match capability {
        StructuredOutput::JsonSchema => String::new(),
        StructuredOutput::JsonObject | StructuredOutput::Text => {
            format!(" The schema is:\n```json\n{schema}\n```")
        }
    };
    format!(
        "Your previous reply could not be used: {}. Reply again with the corrected JSON object only: no prose, no code fences, every required field present, no extra fields.{schema_text}",
        truncate(&detail, 2000)
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn schema_goes_to_the_last_user_message() {
        let mut messages = vec![
            ChatMessage::System("s".into()),
            ChatMessage::User("first".into()),
            ChatMessage::User("last".into()),
        ];
        append_schema(&mut messages, &json!({"type":"object"}));
        assert_eq!(messages[1], ChatMessage::User("first".into()));
        let ChatMessage::User(last) = &messages[2] else {
            panic!()
        };
        assert!(last.starts_with("last\n\nAnswer with exactly one JSON object"));
        assert!(last.contains(r#"{"type":"object"}"#));
        let mut none = vec![ChatMessage::System("s".into())];
        append_schema(&mut none, &json!({}));
        assert!(matches!(&none[1], ChatMessage::User(t) if t.starts_with("Answer")));
    }

    #[test]
    fn truncation_respects_char_boundaries() {
        assert_eq!(truncate("héllo", 2), "h…");
        assert_eq!(truncate("abc", 10), "abc");
    }

    #[test]
    fn repair_instruction_quotes_the_error() {
        let error = parse_verdict(r#"{"verdict":"maybe","summary":"","findings":[]}"#).unwrap_err();
        let text = repair_instruction(&error, StructuredOutput::JsonSchema, &json!({}));
        assert!(text.contains("/verdict"), "{text}");
        assert!(!text.contains("The schema is"));
        let text = repair_instruction(&error, StructuredOutput::Text, &json!({"x":1}));
        assert!(text.contains(r#"{"x":1}"#));
    }

    #[test]
    fn failure_kinds_have_stable_names() {
        assert_eq!(FailureKind::EmptyChoices.to_string(), "empty-choices");
        assert_eq!(
            serde_json::to_value(FailureKind::SchemaInvalid).unwrap(),
            "schema-invalid"
        );
    }
}
