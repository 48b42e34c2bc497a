//! The cassette server: a small OpenAI-compatible HTTP server on loopback (tokio +
//! hyper) that the eval points each case's Verifier at, so replayed and recorded
//! answers travel the real client path (async-openai, reqwest, our retry layer,
//! structured output, the review loop) exactly as live ones do.
//!
//! Each case gets its own URL prefix (`/c/<n>/…`). In replay mode a request is
//! answered from the case's cassette by its key ([`super::cassette`]); a request the
//! cassette does not hold is answered `404 cassette_mismatch` (not retried by the
//! client) and noted, and the eval then fails naming the case, Director and key —
//! it never reaches a live provider. In record mode the request is forwarded to the
//! upstream provider, the answer is passed back unchanged and stored. A streamed
//! request (`"stream": true`) is answered as server-sent events in replay, and its
//! recorded events are assembled into one completion for the cassette.

use super::cassette::{self, Answer, Entry, RequestId};
use crate::error::Error;
use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::{Request, Response, StatusCode};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

/// Where answers come from.
#[derive(Clone)]
pub(crate) enum Mode {
    /// From the cassettes only.
    Replay,
    /// From the upstream provider at `origin` (scheme, host and port), stored.
    Record {
        /// `https://api.openai.com`, `http://127.0.0.1:8080`.
        origin: String,
        /// The HTTP client forwarding requests.
        client: reqwest::Client,
    },
}

/// What one case's requests found and made.
#[derive(Debug, Default)]
pub(crate) struct CaseTape {
    /// The model the cassette answers for.
    pub model: String,
    /// `(name, display name)` of the panel, to tell Directors apart.
    pub panel: Vec<(String, String)>,
    /// Stored answers (replay).
    pub entries: Vec<Entry>,
    /// How often each key was served, so repeated requests get the next answer.
    pub served: HashMap<String, usize>,
    /// Answers recorded in this run (record).
    pub recorded: Vec<Entry>,
    /// Requests the cassette held no answer for.
    pub mismatches: Vec<RequestId>,
    /// Requests the upstream provider could not be reached for (record).
    pub upstream_errors: Vec<String>,
}

type Tapes = Arc<Mutex<HashMap<usize, CaseTape>>>;

/// A running cassette server; it stops when dropped.
pub(crate) struct CassetteServer {
    addr: SocketAddr,
    tapes: Tapes,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for CassetteServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl CassetteServer {
    /// Bind a free loopback port and serve.
    pub(crate) async fn start(mode: Mode) -> Result<CassetteServer, Error> {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0))
            .await
            .map_err(|e| Error::io("listen on", "127.0.0.1", e))?;
        let addr = listener
            .local_addr()
            .map_err(|e| Error::io("listen on", "127.0.0.1", e))?;
        let tapes: Tapes = Arc::default();
        let shared = (tapes.clone(), Arc::new(mode));
        let task = tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    continue;
                };
                let (tapes, mode) = (shared.0.clone(), shared.1.clone());
                tokio::spawn(async move {
                    let service = hyper::service::service_fn(move |req| {
                        let (tapes, mode) = (tapes.clone(), mode.clone());
                        async move {
                            Ok::<_, std::convert::Infallible>(handle(req, &tapes, &mode).await)
                        }
                    });
                    let io = hyper_util::rt::TokioIo::new(stream);
                    if let Err(e) = hyper::server::conn::http1::Builder::new()
                        .serve_connection(io, service)
                        .await
                    {
                        tracing::debug!("cassette server connection ended: {e}");
                    }
                });
            }
        });
        Ok(CassetteServer { addr, tapes, task })
    }

    /// Serve case `n` from `tape`; returns the base URL its Verifier should use
    /// (`path` is the API path of the upstream, such as `/v1`).
    pub(crate) fn open(&self, n: usize, tape: CaseTape, path: &str) -> String {
        if let Ok(mut tapes) = self.tapes.lock() {
            tapes.insert(n, tape);
        }
        format!("http://{}/c/{n}{path}", self.addr)
    }

    /// Stop serving case `n` and hand back what its requests found and made.
    pub(crate) fn close(&self, n: usize) -> CaseTape {
        self.tapes
            .lock()
            .ok()
            .and_then(|mut t| t.remove(&n))
            .unwrap_or_default()
    }
}

/// A request reduced to what routing it needs.
struct Call {
    case: usize,
    rest: String,
    query: Option<String>,
    method: hyper::Method,
    headers: hyper::HeaderMap,
    body: Bytes,
}

async fn handle(req: Request<Incoming>, tapes: &Tapes, mode: &Mode) -> Response<Full<Bytes>> {
    let (parts, body) = req.into_parts();
    let body = match body.collect().await {
        Ok(b) => b.to_bytes(),
        Err(e) => return error(StatusCode::BAD_REQUEST, "bad_request", &e.to_string()),
    };
    let path = parts.uri.path();
    let Some((case, rest)) = path
        .strip_prefix("/c/")
        .and_then(|p| p.split_once('/'))
        .and_then(|(n, rest)| Some((n.parse::<usize>().ok()?, format!("/{rest}"))))
    else {
        return error(StatusCode::NOT_FOUND, "not_found", "unknown path");
    };
    let request = Call {
        case,
        rest,
        query: parts.uri.query().map(str::to_string),
        method: parts.method,
        headers: parts.headers,
        body,
    };
    let json: Option<Value> = serde_json::from_slice(&request.body).ok();
    let is_chat =
        request.method == hyper::Method::POST && request.rest.ends_with("/chat/completions");
    let stream = json
        .as_ref()
        .and_then(|j| j.get("stream"))
        .and_then(Value::as_bool)
        .unwrap_or(false);
    let id = {
        let Ok(tapes) = tapes.lock() else {
            return error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                "state poisoned",
            );
        };
        let Some(tape) = tapes.get(&case) else {
            return error(
                StatusCode::NOT_FOUND,
                "not_found",
                "no case is open at this path",
            );
        };
        match (&json, is_chat) {
            (Some(body), true) => cassette::chat_key(body, &tape.panel),
            _ => RequestId {
                key: cassette::other_key(request.method.as_str(), &request.rest, &request.body),
                director: "-".into(),
            },
        }
    };
    match mode {
        Mode::Replay => replay(tapes, case, id, stream),
        Mode::Record { origin, client } => {
            record(tapes, &request, id, stream, origin, client).await
        }
    }
}

fn replay(tapes: &Tapes, case: usize, id: RequestId, stream: bool) -> Response<Full<Bytes>> {
    let Ok(mut tapes) = tapes.lock() else {
        return error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "state poisoned",
        );
    };
    let Some(tape) = tapes.get_mut(&case) else {
        return error(
            StatusCode::NOT_FOUND,
            "not_found",
            "no case is open at this path",
        );
    };
    let candidates: Vec<&Entry> = tape.entries.iter().filter(|e| e.key == id.key).collect();
    let n = tape.served.get(&id.key).copied().unwrap_or(0);
    let Some(entry) = candidates.get(n.min(candidates.len().saturating_sub(1))) else {
        let message = format!(
            "cassette mismatch: no recorded answer for request {} (Director {})",
            id.key, id.director
        );
        tape.mismatches.push(id);
        return error(StatusCode::NOT_FOUND, "cassette_mismatch", &message);
    };
    let status = StatusCode::from_u16(entry.status).unwrap_or(StatusCode::OK);
    let answer = entry.answer(&tape.model);
    *tape.served.entry(id.key).or_default() += 1;
    match answer {
        Answer::Json(v) if stream && status.is_success() => {
            respond(status, "text/event-stream", Bytes::from(to_sse(&v)))
        }
        Answer::Json(v) => respond(status, "application/json", Bytes::from(v.to_string())),
        Answer::Text(t) => respond(status, "text/plain", Bytes::from(t)),
    }
}

async fn record(
    tapes: &Tapes,
    request: &Call,
    id: RequestId,
    stream: bool,
    origin: &str,
    client: &reqwest::Client,
) -> Response<Full<Bytes>> {
    let mut url = format!("{origin}{}", request.rest);
    if let Some(q) = &request.query {
        url = format!("{url}?{q}");
    }
    let mut forward = client.request(request.method.clone(), &url);
    for name in ["authorization", "api-key", "content-type", "accept"] {
        if let Some(v) = request.headers.get(name) {
            forward = forward.header(name, v.clone());
        }
    }
    let answer = match forward.body(request.body.clone()).send().await {
        Ok(r) => {
            let status = r.status().as_u16();
            let kind = r
                .headers()
                .get("content-type")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("application/json")
                .to_string();
            r.bytes().await.map(|b| (status, kind, b))
        }
        Err(e) => Err(e),
    };
    let Ok(mut guard) = tapes.lock() else {
        return error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "state poisoned",
        );
    };
    let Some(tape) = guard.get_mut(&request.case) else {
        return error(
            StatusCode::NOT_FOUND,
            "not_found",
            "no case is open at this path",
        );
    };
    let (status, kind, bytes) = match answer {
        Ok(a) => a,
        Err(e) => {
            let message = format!("upstream {url} unreachable: {}", crate::eval::chain(&e));
            tape.upstream_errors.push(message.clone());
            return error(StatusCode::BAD_GATEWAY, "upstream_unreachable", &message);
        }
    };
    let text = String::from_utf8_lossy(&bytes).into_owned();
    // A server may answer a streamed request with a whole completion: only an event
    // stream is folded.
    let response =
        if stream && (200..300).contains(&status) && kind.starts_with("text/event-stream") {
            Some(from_sse(&text))
        } else {
            serde_json::from_str::<Value>(&text).ok()
        };
    tape.recorded.push(Entry {
        key: id.key,
        director: id.director,
        status,
        body: response.is_none().then_some(text),
        response,
        verdict: None,
        content: None,
        finish_reason: None,
        note: None,
    });
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_GATEWAY);
    respond(status, &kind, bytes)
}

fn respond(status: StatusCode, content_type: &str, body: Bytes) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(body));
    *response.status_mut() = status;
    if let Ok(v) = hyper::header::HeaderValue::from_str(content_type) {
        response
            .headers_mut()
            .insert(hyper::header::CONTENT_TYPE, v);
    }
    response
}

/// An OpenAI-style error body.
fn error(status: StatusCode, kind: &str, message: &str) -> Response<Full<Bytes>> {
    let body = json!({"error": {"message": message, "type": kind, "code": kind}});
    respond(status, "application/json", Bytes::from(body.to_string()))
}

/// A chat completion as server-sent events: the message in one delta, the finish
/// reason, the usage (if any) and `[DONE]`.
pub(crate) fn to_sse(completion: &Value) -> String {
    let choice = completion
        .pointer("/choices/0")
        .cloned()
        .unwrap_or(Value::Null);
    let message = choice.get("message").cloned().unwrap_or(Value::Null);
    let mut delta = json!({"role": "assistant"});
    if let Some(content) = message.get("content").filter(|c| !c.is_null()) {
        delta["content"] = content.clone();
    }
    if let Some(calls) = message.get("tool_calls").and_then(Value::as_array) {
        let calls: Vec<Value> = calls
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let mut c = c.clone();
                c["index"] = json!(i);
                c
            })
            .collect();
        delta["tool_calls"] = json!(calls);
    }
    let chunk = |choices: Value, usage: Option<&Value>| {
        let mut c = json!({
            "id": completion.get("id").cloned().unwrap_or(json!("cassette")),
            "object": "chat.completion.chunk",
            "created": completion.get("created").cloned().unwrap_or(json!(0)),
            "model": completion.get("model").cloned().unwrap_or(json!("")),
            "choices": choices,
        });
        if let Some(u) = usage {
            c["usage"] = u.clone();
        }
        format!("data: {c}\n\n")
    };
    let finish = choice
        .get("finish_reason")
        .cloned()
        .unwrap_or(json!("stop"));
    let mut out = chunk(
        json!([{"index": 0, "delta": delta, "finish_reason": null}]),
        None,
    );
    out.push_str(&chunk(
        json!([{"index": 0, "delta": {}, "finish_reason": finish}]),
        None,
    ));
    if let Some(usage) = completion.get("usage").filter(|u| !u.is_null()) {
        out.push_str(&chunk(json!([]), Some(usage)));
    }
    out.push_str("data: [DONE]\n\n");
    out
}

/// Server-sent chat-completion chunks assembled into one completion.
pub(crate) fn from_sse(text: &str) -> Value {
    let mut content = String::new();
    let mut finish = Value::Null;
    let mut usage = Value::Null;
    let mut head = (json!("stream"), json!(0), json!(""));
    let mut calls: Vec<Value> = Vec::new();
    let chunks = text
        .lines()
        .filter_map(|l| l.strip_prefix("data:"))
        .map(str::trim)
        .filter(|d| *d != "[DONE]")
        .filter_map(|d| serde_json::from_str::<Value>(d).ok());
    for chunk in chunks {
        head = (
            chunk.get("id").cloned().unwrap_or(head.0),
            chunk.get("created").cloned().unwrap_or(head.1),
            chunk.get("model").cloned().unwrap_or(head.2),
        );
        if let Some(u) = chunk.get("usage").filter(|u| !u.is_null()) {
            usage = u.clone();
        }
        let Some(choice) = chunk.pointer("/choices/0") else {
            continue;
        };
        if let Some(f) = choice.get("finish_reason").filter(|f| !f.is_null()) {
            finish = f.clone();
        }
        if let Some(c) = choice.pointer("/delta/content").and_then(Value::as_str) {
            content.push_str(c);
        }
        for call in choice
            .pointer("/delta/tool_calls")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            merge_call(&mut calls, call);
        }
    }
    let mut message = json!({"role": "assistant", "content": content});
    if !calls.is_empty() {
        message["tool_calls"] = json!(calls);
    }
    json!({
        "id": head.0, "object": "chat.completion", "created": head.1, "model": head.2,
        "choices": [{"index": 0, "message": message, "finish_reason": finish}],
        "usage": usage,
    })
}

/// Fold one streamed tool-call delta into the calls assembled so far.
fn merge_call(calls: &mut Vec<Value>, delta: &Value) {
    let index = delta.get("index").and_then(Value::as_u64).unwrap_or(0) as usize;
    while calls.len() <= index {
        calls
            .push(json!({"id": "", "type": "function", "function": {"name": "", "arguments": ""}}));
    }
    let call = &mut calls[index];
    if let Some(id) = delta.get("id").and_then(Value::as_str) {
        call["id"] = json!(id);
    }
    for field in ["name", "arguments"] {
        if let Some(part) = delta
            .pointer(&format!("/function/{field}"))
            .and_then(Value::as_str)
        {
            let so_far = call["function"][field].as_str().unwrap_or("").to_string();
            call["function"][field] = json!(format!("{so_far}{part}"));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sse_round_trips_content_finish_usage_and_tool_calls() {
        let completion = json!({
            "id": "x", "object": "chat.completion", "created": 7, "model": "m",
            "choices": [{"index": 0, "finish_reason": "stop", "message": {
                "role": "assistant", "content": "{\"verdict\":\"pass\"}",
                "tool_calls": [{"id": "c1", "type": "function",
                                "function": {"name": "read_file", "arguments": "{\"path\":\"a\"}"}}]}}],
            "usage": {"prompt_tokens": 10, "completion_tokens": 3, "total_tokens": 13},
        });
        let sse = to_sse(&completion);
        assert!(sse.ends_with("data: [DONE]\n\n"));
        let back = from_sse(&sse);
        assert_eq!(
            back["choices"][0]["message"]["content"],
            completion["choices"][0]["message"]["content"]
        );
        assert_eq!(back["choices"][0]["finish_reason"], json!("stop"));
        assert_eq!(back["usage"], completion["usage"]);
        assert_eq!(
            back["choices"][0]["message"]["tool_calls"][0]["function"]["arguments"],
            json!("{\"path\":\"a\"}")
        );
    }

    #[test]
    fn streamed_pieces_are_concatenated() {
        let text = "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"{\\\"ver\"}}]}\n\n\
                    data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"dict\\\"\"},\"finish_reason\":\"length\"}]}\n\n\
                    data: [DONE]\n\n";
        let c = from_sse(text);
        assert_eq!(c["choices"][0]["message"]["content"], json!("{\"verdict\""));
        assert_eq!(c["choices"][0]["finish_reason"], json!("length"));
    }
}
