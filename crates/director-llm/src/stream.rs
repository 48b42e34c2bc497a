//! Reading a provider's response body, bounded in size and timed by progress.
//!
//! - A plain body (a whole chat completion, or an error) is read chunk by chunk up to
//!   the size cap, each chunk within the pace's deadline.
//! - A server-sent event stream (`stream: true`) is parsed with `eventsource-stream`
//!   and folded, chunk by chunk, into the one chat completion the rest of the crate
//!   reads: content and refusal concatenated, tool-call fragments joined by index,
//!   the finish reason, the usage of the final chunk. The first bytes must come
//!   within the time-to-first-token deadline and every later chunk within the stall
//!   timeout, so an answer that keeps coming is never cut off however long it takes,
//!   and a silent server is noticed at once.
//!
//! Nothing here retries: the transport classifies the [`ReadError`] it gets.

use bytes::Bytes;
use futures::StreamExt;
use serde_json::{Map, Value, json};
use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;
use tokio::time::Instant;

/// When the next chunk of a body must arrive.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Pace {
    /// Every chunk before this instant (a whole-answer timeout).
    Until(Instant),
    /// The first chunk before `first`, then each chunk within `stall` of the previous.
    Progress {
        /// Deadline of the first chunk.
        first: Instant,
        /// Longest silence after it.
        stall: Duration,
    },
}

/// Why a body could not be read.
#[derive(Debug)]
pub(crate) enum ReadError {
    /// The deadline passed before the body (or its first chunk) came.
    Timeout,
    /// A stream went silent for longer than the stall timeout.
    Stalled(Duration),
    /// The body is larger than the cap.
    TooLarge(usize),
    /// The connection failed mid-body.
    Transport(reqwest::Error),
    /// The event stream is not a stream of chat-completion chunks.
    Malformed(String),
}

impl fmt::Display for ReadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ReadError::Timeout => f.write_str("timed out"),
            ReadError::Stalled(d) => write!(f, "stalled for {d:?}"),
            ReadError::TooLarge(limit) => write!(f, "larger than {limit} bytes"),
            ReadError::Transport(e) => write!(f, "{e}"),
            ReadError::Malformed(m) => f.write_str(m),
        }
    }
}

/// The chunks of one response body, each within the pace, up to `limit` bytes.
struct Chunks {
    response: reqwest::Response,
    pace: Pace,
    limit: usize,
    read: usize,
    last: Option<Instant>,
}

impl Chunks {
    fn new(response: reqwest::Response, pace: Pace, limit: usize) -> Chunks {
        Chunks {
            response,
            pace,
            limit,
            read: 0,
            last: None,
        }
    }

    async fn next(&mut self) -> Result<Option<Bytes>, ReadError> {
        let (deadline, stalled) = match (self.pace, self.last) {
            (Pace::Until(at), _) => (at, None),
            (Pace::Progress { first, .. }, None) => (first, None),
            (Pace::Progress { stall, .. }, Some(last)) => (last + stall, Some(stall)),
        };
        let chunk = match tokio::time::timeout_at(deadline, self.response.chunk()).await {
            Err(_) => return Err(stalled.map_or(ReadError::Timeout, ReadError::Stalled)),
            Ok(Err(e)) if e.is_timeout() => return Err(ReadError::Timeout),
            Ok(Err(e)) => return Err(ReadError::Transport(e)),
            Ok(Ok(chunk)) => chunk,
        };
        if let Some(bytes) = &chunk {
            self.read = self.read.saturating_add(bytes.len());
            if self.read > self.limit {
                return Err(ReadError::TooLarge(self.limit));
            }
            self.last = Some(Instant::now());
        }
        Ok(chunk)
    }
}

/// Read a whole body, chunk by chunk within `pace`, up to `limit` bytes.
pub(crate) async fn read_plain(
    response: reqwest::Response,
    pace: Pace,
    limit: usize,
) -> Result<Bytes, ReadError> {
    let mut chunks = Chunks::new(response, pace, limit);
    let mut body = Vec::new();
    while let Some(bytes) = chunks.next().await? {
        body.extend_from_slice(&bytes);
    }
    Ok(Bytes::from(body))
}

/// True when the response is a server-sent event stream.
pub(crate) fn is_event_stream(headers: &reqwest::header::HeaderMap) -> bool {
    headers
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim_start().starts_with("text/event-stream"))
}

/// Read a chat-completion event stream within `pace` and `limit` and fold it into
/// one chat completion body (JSON bytes).
pub(crate) async fn read_event_stream(
    response: reqwest::Response,
    pace: Pace,
    limit: usize,
) -> Result<Bytes, ReadError> {
    let chunks = Chunks::new(response, pace, limit);
    let bytes = futures::stream::unfold(Some(chunks), |state| async move {
        let mut chunks = state?;
        match chunks.next().await {
            Ok(Some(bytes)) => Some((Ok(bytes), Some(chunks))),
            Ok(None) => None,
            Err(e) => Some((Err(e), None)),
        }
    });
    let mut events = std::pin::pin!(eventsource_stream::EventStream::new(bytes));
    let mut folded = Completion::default();
    while let Some(event) = events.next().await {
        let event = event.map_err(|e| match e {
            eventsource_stream::EventStreamError::Transport(e) => e,
            other => ReadError::Malformed(format!("not a valid event stream: {other}")),
        })?;
        let data = event.data.trim();
        if data == "[DONE]" {
            break;
        }
        if data.is_empty() {
            continue;
        }
        let chunk: Value = serde_json::from_str(data).map_err(|e| {
            ReadError::Malformed(format!(
                "a streamed event is not JSON ({e}); it starts with: {}",
                crate::transport::truncate(data, 200)
            ))
        })?;
        folded.absorb(chunk);
    }
    Ok(Bytes::from(folded.into_body().to_string()))
}

/// One tool call assembled from its streamed fragments.
#[derive(Default)]
struct ToolCallParts {
    id: Option<String>,
    name: String,
    arguments: String,
}

/// A chat completion folded from its streamed chunks.
#[derive(Default)]
struct Completion {
    model: Option<String>,
    saw_choice: bool,
    content: Option<String>,
    refusal: Option<String>,
    tool_calls: BTreeMap<u64, ToolCallParts>,
    finish_reason: Option<String>,
    usage: Option<Value>,
    timings: Option<Value>,
    error: Option<Value>,
}

impl Completion {
    fn absorb(&mut self, chunk: Value) {
        let Value::Object(mut chunk) = chunk else {
            return;
        };
        if let Some(error) = chunk.remove("error").filter(|e| !e.is_null()) {
            self.error = Some(error);
        }
        if let Some(Value::String(model)) = chunk.remove("model") {
            self.model = Some(model);
        }
        if let Some(usage) = chunk.remove("usage").filter(Value::is_object) {
            self.usage = Some(usage);
        }
        if let Some(timings) = chunk.remove("timings").filter(Value::is_object) {
            self.timings = Some(timings);
        }
        let Some(Value::Array(choices)) = chunk.remove("choices") else {
            return;
        };
        // The review reads the first choice only; so does the fold.
        let Some(choice) = choices.into_iter().find(|c| {
            c.get("index")
                .and_then(Value::as_u64)
                .is_none_or(|i| i == 0)
        }) else {
            return;
        };
        self.saw_choice = true;
        if let Some(reason) = choice.get("finish_reason").and_then(Value::as_str) {
            self.finish_reason = Some(reason.to_string());
        }
        let Some(delta) = choice.get("delta").or_else(|| choice.get("message")) else {
            return;
        };
        if let Some(text) = delta.get("content").and_then(Value::as_str) {
            self.content.get_or_insert_with(String::new).push_str(text);
        }
        if let Some(text) = delta.get("refusal").and_then(Value::as_str) {
            self.refusal.get_or_insert_with(String::new).push_str(text);
        }
        for (position, call) in delta
            .get("tool_calls")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .enumerate()
        {
            let index = call
                .get("index")
                .and_then(Value::as_u64)
                .unwrap_or(position as u64);
            let parts = self.tool_calls.entry(index).or_default();
            if let Some(id) = call.get("id").and_then(Value::as_str) {
                parts.id = Some(id.to_string());
            }
            if let Some(function) = call.get("function") {
                if let Some(name) = function.get("name").and_then(Value::as_str) {
                    parts.name.push_str(name);
                }
                match function.get("arguments") {
                    Some(Value::String(fragment)) => parts.arguments.push_str(fragment),
                    Some(Value::Null) | None => {}
                    Some(other) => parts.arguments.push_str(&other.to_string()),
                }
            }
        }
    }

    fn into_body(self) -> Value {
        let mut body = Map::new();
        if let Some(model) = self.model {
            body.insert("model".into(), Value::String(model));
        }
        if let Some(usage) = self.usage {
            body.insert("usage".into(), usage);
        }
        if let Some(timings) = self.timings {
            body.insert("timings".into(), timings);
        }
        if let Some(error) = self.error {
            body.insert("error".into(), error);
        }
        let mut choices = Vec::new();
        if self.saw_choice {
            let tool_calls: Vec<Value> = self
                .tool_calls
                .into_iter()
                .map(|(index, call)| {
                    json!({
                        "id": call.id.unwrap_or_else(|| format!("call_{index}")),
                        "type": "function",
                        "function": {"name": call.name, "arguments": call.arguments}
                    })
                })
                .collect();
            let mut message = json!({"role": "assistant", "content": self.content});
            if let Some(refusal) = self.refusal {
                message["refusal"] = Value::String(refusal);
            }
            if !tool_calls.is_empty() {
                message["tool_calls"] = Value::Array(tool_calls);
            }
            choices.push(json!({
                "index": 0,
                "message": message,
                "finish_reason": self.finish_reason,
            }));
        }
        body.insert("choices".into(), Value::Array(choices));
        Value::Object(body)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fold(chunks: &[Value]) -> Value {
        let mut folded = Completion::default();
        for c in chunks {
            folded.absorb(c.clone());
        }
        folded.into_body()
    }

    #[test]
    fn content_usage_and_finish_are_folded() {
        let body = fold(&[
            json!({"model": "m", "choices": [{"index": 0, "delta": {"role": "assistant", "content": ""}, "finish_reason": null}]}),
            json!({"choices": [{"index": 0, "delta": {"content": "{\"verdict\""}, "finish_reason": null}]}),
            json!({"choices": [{"index": 0, "delta": {"content": ": \"pass\"}"}, "finish_reason": null}]}),
            json!({"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}),
            json!({"choices": [], "usage": {"prompt_tokens": 10, "completion_tokens": 4}}),
        ]);
        assert_eq!(
            body,
            json!({
                "model": "m",
                "usage": {"prompt_tokens": 10, "completion_tokens": 4},
                "choices": [{"index": 0, "message": {"role": "assistant", "content": "{\"verdict\": \"pass\"}"}, "finish_reason": "stop"}]
            })
        );
    }

    #[test]
    fn tool_call_fragments_are_joined_by_index() {
        let body = fold(&[
            json!({"choices": [{"index": 0, "delta": {"tool_calls": [{"index": 0, "id": "c1", "function": {"name": "read_file", "arguments": "{\"pa"}}]}}]}),
            json!({"choices": [{"index": 0, "delta": {"tool_calls": [{"index": 0, "function": {"arguments": "th\":\"a\"}"}}]}}]}),
            json!({"choices": [{"index": 0, "delta": {"tool_calls": [{"index": 1, "id": "c2", "function": {"name": "grep", "arguments": "{}"}}]}, "finish_reason": "tool_calls"}]}),
        ]);
        let calls = &body["choices"][0]["message"]["tool_calls"];
        assert_eq!(calls[0]["id"], "c1");
        assert_eq!(calls[0]["function"]["arguments"], "{\"path\":\"a\"}");
        assert_eq!(calls[1]["function"]["name"], "grep");
        assert_eq!(body["choices"][0]["finish_reason"], "tool_calls");
    }

    #[test]
    fn a_stream_without_choices_or_finish_stays_incomplete() {
        assert_eq!(fold(&[json!({"usage": null})])["choices"], json!([]));
        let cut = fold(&[json!({"choices": [{"delta": {"content": "{\"ver"}}]})]);
        assert_eq!(cut["choices"][0]["finish_reason"], Value::Null);
        let error = fold(&[json!({"error": {"message": "boom"}})]);
        assert_eq!(error["error"]["message"], "boom");
    }
}
