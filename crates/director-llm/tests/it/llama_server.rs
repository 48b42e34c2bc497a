//! Regressions from the real end-to-end run against llama.cpp's `llama-server`
//! serving Gemma 3 270M (`scripts/e2e-local-llm.sh`): the mock answers exactly as that
//! server did, bodies and statuses copied from the wire.
//!
//! - Gemma's chat template accepts one leading system message and then strictly
//!   alternating user/assistant turns; the server answers 400 to anything else. The
//!   Directors' two system messages (shared frame, own prompt) must reach it as one,
//!   in the first request and in the repair round.
//! - In `json-object` and `text` modes the orchestrator's instruction already quotes
//!   the schema; the review loop must not append a second copy (1.4k prompt tokens
//!   of the 15.4k the first json-object run sent).
//! - A small model that loops is cut off with `finish_reason: "length"`; the review
//!   must end `truncated` after the one larger retry, never with a verdict, even
//!   though the cut-off text opens with `"verdict": "pass"`.
//! - A prompt larger than the server's context is a 400 `exceed_context_size_error`:
//!   not retried, a `context-too-small` failure with the server's words kept.

use crate::support::*;
use director_llm::FailureKind;
use serde_json::{Value, json};
use std::collections::VecDeque;
use std::sync::Mutex;
use wiremock::{MockServer, Request, Respond, ResponseTemplate};

/// llama-server's answer to `[system, system, user]` with Gemma 3's chat template,
/// byte for byte.
const TEMPLATE_ERROR: &str = r#"{"error":{"code":400,"message":"Unable to generate parser for this template. Automatic parser generation failed: \n------------\nWhile executing CallExpression at line 11, column 27 in source:\n...% 2 == 0) -%}↵        {{ raise_exception(\"Conversation roles must alternate user...\n                                           ^\nError: Jinja Exception: Conversation roles must alternate user/assistant/user/assistant/...","type":"invalid_request_error"}}"#;

/// A chat completion shaped as llama-server sends it (`timings`, `system_fingerprint`,
/// usage with `prompt_tokens_details`).
fn llama_completion(content: &str, finish_reason: &str, completion_tokens: u64) -> Value {
    json!({
        "choices": [{
            "finish_reason": finish_reason,
            "index": 0,
            "message": {"role": "assistant", "content": content}
        }],
        "created": 1_795_452_931,
        "model": "gemma-3-270m-q4_k_m",
        "system_fingerprint": "b0-unknown",
        "object": "chat.completion",
        "usage": {
            "completion_tokens": completion_tokens,
            "prompt_tokens": 9000,
            "total_tokens": 9000 + completion_tokens,
            "prompt_tokens_details": {"cached_tokens": 0}
        },
        "id": "chatcmpl-gqVrnq4RzmUtLmiQ48seRA43oja4eZTz",
        "timings": {
            "cache_n": 0, "prompt_n": 9000, "prompt_ms": 60_000.0,
            "prompt_per_token_ms": 6.7, "prompt_per_second": 150.0,
            "predicted_n": completion_tokens, "predicted_ms": 20_000.0,
            "predicted_per_token_ms": 40.0, "predicted_per_second": 25.0
        }
    })
}

/// The roles check of Gemma 3's template: an optional leading system message, then
/// user, assistant, user, … strictly alternating.
fn gemma_template_accepts(body: &Value) -> bool {
    let roles: Vec<&str> = body["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["role"].as_str().unwrap())
        .collect();
    let turns = match roles.split_first() {
        Some((&"system", rest)) => rest,
        _ => &roles[..],
    };
    turns.iter().enumerate().all(|(i, role)| {
        let expected = if i % 2 == 0 { "user" } else { "assistant" };
        *role == expected
    })
}

/// llama-server with Gemma 3's chat template: a template error for a conversation
/// the template rejects, else the next scripted reply.
struct GemmaServer {
    replies: Mutex<VecDeque<Value>>,
}

impl GemmaServer {
    fn new(replies: impl IntoIterator<Item = Value>) -> GemmaServer {
        GemmaServer {
            replies: Mutex::new(replies.into_iter().collect()),
        }
    }
}

impl Respond for GemmaServer {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let body: Value = request.body_json().unwrap();
        if !gemma_template_accepts(&body) {
            return ResponseTemplate::new(400)
                .insert_header("content-type", "application/json; charset=utf-8")
                .set_body_raw(TEMPLATE_ERROR.as_bytes().to_vec(), "application/json");
        }
        let reply = self.replies.lock().unwrap().pop_front().unwrap();
        ResponseTemplate::new(200).set_body_json(reply)
    }
}

async fn gemma_server(replies: impl IntoIterator<Item = Value>) -> MockServer {
    serving(GemmaServer::new(replies)).await
}

#[test]
fn the_fake_template_rejects_what_the_real_one_rejected() {
    let body = |roles: &[&str]| json!({"messages": roles.iter().map(|r| json!({"role": r, "content": "x"})).collect::<Vec<_>>()});
    assert!(!gemma_template_accepts(&body(&[
        "system", "system", "user"
    ])));
    assert!(gemma_template_accepts(&body(&["system", "user"])));
    assert!(gemma_template_accepts(&body(&[
        "system",
        "user",
        "assistant",
        "user"
    ])));
    assert!(!gemma_template_accepts(&body(&["user", "user"])));
}

#[tokio::test]
async fn directors_two_system_messages_reach_a_gemma_template_as_one() {
    let verdict = verdict_json().to_string();
    let server = gemma_server([llama_completion(&verdict, "stop", 96)]).await;
    let outcome = run_default(&provider_for(&server)).await;
    expect_verdict(&outcome);
    let bodies = bodies(&server).await;
    assert_eq!(bodies.len(), 1);
    assert_eq!(
        bodies[0]["messages"][0]["content"],
        "You review infrastructure changes.\n\nYou are DirInfra_Agent."
    );
    assert_eq!(outcome.usage.prompt_tokens, 9000);
    assert_eq!(outcome.usage.completion_tokens, 96);
}

#[tokio::test]
async fn the_repair_round_keeps_the_turns_alternating() {
    let verdict = verdict_json().to_string();
    let server = gemma_server([
        llama_completion(r#"{"verdict": "pass", "summary": "ok"}"#, "stop", 12),
        llama_completion(&verdict, "stop", 96),
    ])
    .await;
    let outcome = run_default(&provider_for(&server)).await;
    expect_verdict(&outcome);
    let bodies = bodies(&server).await;
    assert_eq!(bodies.len(), 2, "one repair round");
    let roles: Vec<&str> = bodies[1]["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["role"].as_str().unwrap())
        .collect();
    assert_eq!(roles, ["system", "user", "assistant", "user"]);
}

#[tokio::test]
async fn a_rejected_template_fails_the_director_with_the_servers_words() {
    // Whatever still breaks the template (here a conversation with two user turns in
    // a row) fails at once as http 400, quoting llama-server, without retries.
    let server = gemma_server([]).await;
    let mut request = request();
    request
        .messages
        .push(director_llm::ChatMessage::User("again".into()));
    let outcome = run(&provider_for(&server), request).await;
    let message = expect_failure(&outcome, FailureKind::Http);
    assert!(
        message.contains("Conversation roles must alternate"),
        "{message}"
    );
    assert_eq!(outcome.attempts, 1, "a 400 is not retried");
}

#[tokio::test]
async fn json_object_mode_sends_the_schema_once_when_the_instruction_quotes_it() {
    let verdict = verdict_json().to_string();
    let server = gemma_server([llama_completion(&verdict, "stop", 96)]).await;
    let provider = provider_with(&server, |c| {
        c.structured_output = Some(director_llm::StructuredOutput::JsonObject);
    });
    // As the orchestrator renders it when the server cannot enforce the schema.
    let mut request = request();
    request.schema_in_prompt = true;
    let schema = serde_json::to_string_pretty(director_core::verdict::verdict_schema()).unwrap();
    request.messages[2] = director_llm::ChatMessage::User(format!(
        "Answer with the JSON verdict only.\n\nReply with one JSON object and nothing else. The object must match this JSON schema:\n\n{schema}"
    ));
    let outcome = run(&provider, request).await;
    expect_verdict(&outcome);
    let body = &bodies(&server).await[0];
    assert_eq!(body["response_format"], json!({"type": "json_object"}));
    let copies: usize = body["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            m["content"]
                .as_str()
                .unwrap()
                .matches("DirectorVerdict")
                .count()
        })
        .sum();
    assert_eq!(copies, 1, "the schema is in the prompt exactly once");
}

/// The start of Gemma 3 270M's first reply in the json-schema run, then its loop.
fn looping_reply(repeats: usize) -> String {
    let start = "{\n  \"verdict\": \"pass\",\n  \"summary\": \"category: scalability, reliability, cloud-resources, disaster-recovery, cost, iac-quality, monitoring\",\n  \"findings\": [\n    {\n      \"severity\": \"blocking\",\n      \"category\": \"scalability\",\n      \"title\": \"Scalability\",\n      \"resources\": [\n        \"aws_db_instance.main\",\n";
    let mut text = start.to_string();
    for _ in 0..repeats {
        text.push_str("        \"aws_eks_node_group.dev\",\n");
    }
    text.push_str("        \"aws_eks_node_group");
    text
}

#[tokio::test]
async fn a_looping_model_ends_truncated_never_pass() {
    let server = gemma_server([
        llama_completion(&looping_reply(40), "length", 512),
        llama_completion(&looping_reply(90), "length", 1024),
    ])
    .await;
    let mut request = request();
    request.max_output_tokens = 512;
    request.max_output_tokens_cap = 1024;
    let outcome = run(&provider_for(&server), request).await;
    let message = expect_failure(&outcome, FailureKind::Truncated);
    assert!(message.contains("1024 output tokens"), "{message}");
    let bodies = bodies(&server).await;
    let budgets: Vec<&Value> = bodies.iter().map(|b| &b["max_tokens"]).collect();
    assert_eq!(
        budgets,
        [&json!(512), &json!(1024)],
        "one retry, budget doubled"
    );
    assert_eq!(outcome.attempts, 2);
    assert_eq!(outcome.usage.completion_tokens, 512 + 1024);
    assert!(
        outcome
            .raw_reply
            .as_deref()
            .unwrap()
            .starts_with("{\n  \"verdict\": \"pass\"")
    );
}

/// llama-server's answer to a prompt larger than its slot context (`-c 4096`),
/// byte for byte.
const CONTEXT_ERROR: &str = r#"{"error":{"code":400,"message":"request (13920 tokens) exceeds the available context size (4096 tokens), try increasing it","type":"exceed_context_size_error","n_prompt_tokens":13920,"n_ctx":4096}}"#;

#[tokio::test]
async fn a_prompt_beyond_the_context_fails_at_once_with_the_servers_words() {
    let server = serving(
        ResponseTemplate::new(400)
            .set_body_raw(CONTEXT_ERROR.as_bytes().to_vec(), "application/json"),
    )
    .await;
    let outcome = run_default(&provider_for(&server)).await;
    // Named for what it is, so the report can say how to give the model more room.
    let message = expect_failure(&outcome, FailureKind::ContextTooSmall);
    assert!(
        message.contains("exceeds the available context size (4096 tokens)"),
        "{message}"
    );
    assert_eq!(outcome.attempts, 1, "a 400 is not retried");
}
